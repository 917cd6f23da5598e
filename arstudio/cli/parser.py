"""The command line's arguments: sub-commands, their flags and KEY=VALUE assignments."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from arstudio import __version__
from arstudio.cli.sweep_args import add_sweep_parser
from arstudio.cli.zoo_args import add_zoo_parser
from arstudio.errors import UserError
from arstudio.sampling import WINDOW_POLICIES
from arstudio.sampling.knobs import KNOBS

SAMPLER_FLAGS = tuple(knob for knob in KNOBS if knob.flag)
"""The sampler knobs that `arstudio sample` takes as flags (their values are in args under the knob's name)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arstudio", description="A workbench for autoregressive models.")
    parser.add_argument("--version", action="version", version=f"arstudio {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("gui", help="open the workbench window (the default)")
    commands.add_parser("families", help="list the model families, the data they accept and their defaults")
    commands.add_parser("datasets", help="list the built-in data sets with their shapes and levels")
    commands.add_parser("doctor", help="check what this machine has (Qt platform, display, audio, compiler, GPU, "
                                       "data folder) and say what to install for what is missing")

    runs = commands.add_parser("runs", help="list the runs in the registry")
    _runs_dir(runs)

    train = commands.add_parser("train", help="train a model (also under torchrun for several processes)")
    train.add_argument("--family", default="made", help="model family (see `arstudio families`)")
    train.add_argument("--dataset", default="binary-digits", help="data set name or user:PATH")
    train.add_argument("--steps", type=int, default=None, help="optimisation steps (default 2000; with --resume, "
                                                               "the run's own)")
    train.add_argument("--batch-size", type=int, default=None,
                       help="examples per step (default: about 8k positions, 2 to 64 examples)")
    train.add_argument("--lr", type=float, default=None, help="learning rate (default: the family's)")
    train.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--compile", default="auto", choices=("auto", "on", "off"),
                       help="torch.compile the training step: auto (where it was measured faster and a C++ "
                            "compiler is present), on or off (default auto)")
    train.add_argument("--name", default=None, help="a name for the run")
    train.add_argument("--eval-every", type=int, default=200, help="steps between validation passes")
    train.add_argument("--checkpoint-seconds", type=float, default=None, metavar="SECONDS",
                       help="also save the last checkpoint after this many seconds of training (default 60), so a "
                            "killed run loses at most that much")
    train.add_argument("--hparam", action="append", default=[], metavar="KEY=VALUE",
                       help="a model hyper-parameter, e.g. --hparam hidden=128 (repeatable)")
    train.add_argument("--data-option", action="append", default=[], metavar="KEY=VALUE",
                       help="a data set option, e.g. --data-option context=128 (repeatable)")
    train.add_argument("--resume", type=int, default=None, metavar="RUN_ID",
                       help="continue a stopped or interrupted run from its newest checkpoint (last or best)")
    train.add_argument("--queued-run", type=int, default=None, metavar="RUN_ID",
                       help="train a run queued by the window or a sweep, streaming its events to the window "
                            "(the window starts these processes itself)")
    train.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's own)")
    _runs_dir(train)

    evaluate = commands.add_parser("eval", help="negative log-likelihood of a trained model on a split")
    _model_source(evaluate)
    evaluate.add_argument("--split", default="test", choices=("train", "validation", "test"))
    evaluate.add_argument("--marginal", action="store_true",
                          help="for a conditional model, also -log p(x) with every class equally likely (one pass "
                               "per class): the figure to compare with unconditional models and the papers")

    sample = commands.add_parser("sample", help="draw samples and save them as PNG, WAV or text")
    _model_source(sample)
    sample.add_argument("--n", type=int, default=16, help="number of samples")
    sample.add_argument("--out", required=True, help="output file: .png for images, .wav for audio, .txt for text")
    sample.add_argument("--length", type=int, default=None, help="steps to generate for audio and text")
    sample.add_argument("--prompt", default=None, help="text to continue (text models)")
    sample.add_argument("--label", default=None, metavar="CLASS",
                        help="for a conditional model, the class to generate as: 3, or digit=3,voice=en+f2 "
                             "for several labels")
    sample.add_argument("--window", choices=WINDOW_POLICIES, default="shift",
                        help="past a Transformer's context: shift (drop the oldest half once full; fast) "
                             "or slide (the last context at every step; exact, slow)")
    _sampler_flags(sample)

    screenshot = commands.add_parser("screenshot", help="open the window offscreen, walk the tour and save PNGs")
    screenshot.add_argument("out", metavar="OUT_DIR", help="folder for <panel>.png")
    screenshot.add_argument("--panels", default="window,train,images,audio,text",
                            help="comma-separated panels: window, train, images, audio, text, and the Inside "
                                 "view's inside-masks, inside-field, inside-wavenet-field, inside-attention, "
                                 "inside-surprisal, inside-chain, inside-hand, inside-beam, inside-order "
                                 "(default: the first five)")
    screenshot.add_argument("--quick", action="store_true",
                            help="tiny models and few steps: proves each panel renders, in seconds")
    screenshot.add_argument("--ready", action="store_true",
                            help="explore the ready models (`arstudio zoo`) in the Images, Audio and Text steps "
                                 "instead of training small ones")
    screenshot.add_argument("--theme", default="light", choices=("light", "dark"))
    screenshot.add_argument("--size", default="1280x800", help="window size WIDTHxHEIGHT (default 1280x800)")
    screenshot.add_argument("--runs-dir", default=None, help="keep the tour's runs here (default: a temporary "
                                                            "folder, deleted afterwards)")
    add_sweep_parser(commands)
    add_zoo_parser(commands)
    return parser


def _runs_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs-dir", default=None, help="the runs folder (default: $ARSTUDIO_HOME/runs or the "
                                                          "user data folder)")


def _sampler_flags(parser: argparse.ArgumentParser) -> None:
    """A flag per sampler knob that has one, with the knob's default and help; stored under the knob's name."""
    for knob in SAMPLER_FLAGS:
        if knob.kind is bool:
            parser.add_argument(knob.flag, dest=knob.name, action="store_true", default=knob.default, help=knob.help)
        else:
            parser.add_argument(knob.flag, dest=knob.name, type=knob.kind, default=knob.default, help=knob.help,
                                metavar=knob.flag.removeprefix("--").replace("-", "_").upper())


def _model_source(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", type=int, help="a run id from `arstudio runs`")
    source.add_argument("--checkpoint", help="a checkpoint file (.json or .safetensors)")
    source.add_argument("--ready", metavar="NAME", help="a ready-trained model shipped with ARStudio (`arstudio zoo`)")
    _runs_dir(parser)


def parse_assignments(items: Sequence[str], what: str) -> dict[str, Any]:
    """KEY=VALUE pairs; values are read as JSON where they parse (numbers, true/false), else as text."""
    result: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise UserError(f"Write each {what} as KEY=VALUE, got {item!r}.")
        try:
            result[key] = json.loads(raw)
        except json.JSONDecodeError:
            result[key] = raw
    return result
