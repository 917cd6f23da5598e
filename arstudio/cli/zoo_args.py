"""The flags of `arstudio zoo`: list, show, build and publish the ready models."""

from __future__ import annotations

import argparse


def add_zoo_parser(commands: argparse._SubParsersAction) -> None:
    zoo = commands.add_parser("zoo", help="the ready-trained models: list them with their test NLL (the default), "
                                          "show one's card, rebuild one from its recipe")
    actions = zoo.add_subparsers(dest="zoo_command", metavar="ACTION")
    actions.add_parser("list", help="the ready models with their test NLL, goal and published results")
    show = actions.add_parser("show", help="a ready model's card: recipe, hardware, wall time, NLL, references")
    show.add_argument("name", metavar="NAME")
    build = actions.add_parser("build", help="train a ready model again from its recipe (same seed, same steps) into "
                                             "the runs folder, and compare its test NLL with the shipped one")
    build.add_argument("name", metavar="NAME")
    build.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's own)")
    _runs_dir(build)
    publish = actions.add_parser("publish", help="for developers: write a finished run of a recipe into the zoo "
                                                 "folder as its ready model, with a card measured on the test split")
    publish.add_argument("name", metavar="NAME")
    publish.add_argument("--run", type=int, required=True, help="the finished run of the recipe")
    publish.add_argument("--commit", default=None, help="the commit that trained it (default: this checkout's)")
    publish.add_argument("--threads", type=int, default=None, help="the torch threads it trained with")
    publish.add_argument("--note", action="append", default=[], help="a line for the card (repeatable)")
    _runs_dir(publish)


def _runs_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs-dir", default=None, help="the runs folder (default: $ARSTUDIO_HOME/runs or the user "
                                                          "data folder)")
