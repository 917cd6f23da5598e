"""Command line: `arstudio` opens the workbench; sub-commands run the engine headless."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence

from arstudio import __version__
from arstudio.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arstudio", description="A workbench for autoregressive models.")
    parser.add_argument("--version", action="version", version=f"arstudio {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("gui", help="open the workbench window (the default)")
    commands.add_parser("families", help="list the model families, the data they accept and their defaults")
    return parser


def list_families() -> None:
    from arstudio.models import FAMILIES

    for info in FAMILIES.values():
        defaults = ", ".join(f"{k}={v}" for k, v in info.defaults.items())
        print(f"{info.name:12} {info.title}: {info.description}")
        print(f"{'':12} accepts {', '.join(info.kinds)}; defaults {defaults}")


def open_gui() -> int:
    if importlib.util.find_spec("arstudio.ui") is None:
        print("This build of ARStudio has no workbench window yet; the engine is ready:\n")
        list_families()
        return 0
    from arstudio.ui.app import run_app

    return run_app()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "families":
            list_families()
            return 0
        return open_gui()
    except UserError as exc:
        print(f"arstudio: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
