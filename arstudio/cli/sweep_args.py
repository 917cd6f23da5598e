"""The flags of `arstudio sweep`: ordering, scaling, list and show."""

from __future__ import annotations

import argparse

from arstudio.training.sweeps import ORDERINGS, ordering_lab, scaling


def add_sweep_parser(commands: argparse._SubParsersAction) -> None:
    """`arstudio sweep ...`: queue an ordering lab or a scaling sweep and wait for it, or list and show sweeps."""
    sweep = commands.add_parser("sweep", help="train a group of runs that compares orderings or model sizes, "
                                              "and show its table and fit")
    kinds = sweep.add_subparsers(dest="sweep_command", metavar="SWEEP", required=True)

    lab = kinds.add_parser("ordering", help="one family and data set under several orderings, a few seeds each")
    lab.add_argument("--family", default=ordering_lab.DEFAULTS["family"], choices=ordering_lab.ORDERING_FAMILIES)
    lab.add_argument("--dataset", default=ordering_lab.DEFAULTS["dataset"], help="data set name or user:PATH")
    lab.add_argument("--orderings", default=None, metavar="LIST",
                     help=f"comma-separated, from {','.join(ORDERINGS)} (default: all the family takes; "
                          "agnostic is MADE's)")
    lab.add_argument("--seeds", type=int, default=ordering_lab.DEFAULTS["seeds"], help="runs per ordering")
    lab.add_argument("--steps", type=int, default=ordering_lab.DEFAULTS["steps"], help="steps per run")
    _common(lab, ordering_lab.DEFAULTS["hparams"])

    sizes = kinds.add_parser("scaling", help="a series of model sizes under a compute budget, with a power-law fit")
    sizes.add_argument("--family", default=scaling.DEFAULTS["family"], choices=scaling.SCALING_FAMILIES)
    sizes.add_argument("--dataset", default=scaling.DEFAULTS["dataset"],
                       help="data set name or user:PATH (default pydocs with --data-option context=32)")
    sizes.add_argument("--sizes", default=",".join(map(str, scaling.DEFAULTS["sizes"])), metavar="LIST",
                       help="comma-separated widths: d_model of a Transformer, channels of a PixelCNN")
    budget = sizes.add_mutually_exclusive_group()
    budget.add_argument("--budget", type=float, default=None, metavar="FLOPS",
                        help="training compute per size, C = 6*N*tokens (e.g. 3e11): every size the same compute")
    budget.add_argument("--steps", type=int, default=None,
                        help=f"steps per size instead: every size the same data (default {scaling.DEFAULTS['steps']})")
    _common(sizes, scaling.DEFAULTS["hparams"])

    listing = kinds.add_parser("list", help="the sweeps in the runs folder")
    _runs_dir(listing)
    show = kinds.add_parser("show", help="a sweep's table, summary and fit")
    show.add_argument("sweep_id", type=int, metavar="ID")
    show.add_argument("--csv", default=None, metavar="PATH", help="also write the table to this CSV file")
    _runs_dir(show)


def _common(parser: argparse.ArgumentParser, hparams: dict) -> None:
    fixed = " ".join(f"{k}={v}" for k, v in hparams.items())
    parser.add_argument("--hparam", action="append", default=None, metavar="KEY=VALUE",
                        help=f"a hyper-parameter every run shares (repeatable; default {fixed})")
    parser.add_argument("--data-option", action="append", default=None, metavar="KEY=VALUE",
                        help="a data set option, e.g. context=64 (repeatable)")
    parser.add_argument("--name", default=None, help="a name for the sweep")
    parser.add_argument("--no-wait", action="store_true",
                        help="queue the runs and return; `arstudio sweep show ID` shows them later")
    parser.add_argument("--csv", default=None, metavar="PATH", help="write the table to this CSV file at the end")
    _runs_dir(parser)


def _runs_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs-dir", default=None, help="the runs folder (default: $ARSTUDIO_HOME/runs or the "
                                                          "user data folder)")
