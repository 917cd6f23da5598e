"""Command line: `arstudio` opens the workbench; sub-commands run the engine headless.

A UserError prints its message and exits 2; nothing else shows a traceback to a user. The two commands
that open the window live in `window.py`, the only module below the GUI that may import it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from arstudio.cli.parser import build_parser
from arstudio.errors import UserError

WINDOW_COMMANDS = (None, "gui", "screenshot")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command in WINDOW_COMMANDS:
            from arstudio.cli import window

            return window.run(args)
        if args.command == "doctor":
            from arstudio.cli import doctor

            return doctor.run(args)
        if args.command == "zoo":
            from arstudio.cli import zoo

            return zoo.run(args)
        if args.command == "sweep":
            from arstudio.cli import sweep

            return sweep.run(args)
        from arstudio.cli import commands

        return getattr(commands, f"run_{args.command}")(args)
    except UserError as exc:
        print(f"arstudio: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("arstudio: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
