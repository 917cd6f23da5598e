"""The sub-commands that open the window: `gui` (the default) and `screenshot`.

This is the one module outside arstudio/ui that imports it (lazily, and only for these commands), so the
headless commands never load Qt; pyproject.toml's import contract names these imports as its exceptions.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from arstudio.cli.display import require_x_server
from arstudio.cli.qt_libraries import require_qt_platform
from arstudio.errors import UserError


def run(args: argparse.Namespace) -> int:
    return run_screenshot(args) if args.command == "screenshot" else open_gui()


def open_gui() -> int:
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                                                 or os.environ.get("QT_QPA_PLATFORM")):
        raise UserError("No display found for the workbench window. Run it in a desktop session (or over ssh -X), "
                        "or use the command line: `arstudio train --help`.")
    if require_qt_platform().platform == "xcb" and sys.platform.startswith("linux"):
        require_x_server(os.environ.get("DISPLAY", ""))
    try:
        from arstudio.ui.shell.application import run_app
    except ImportError as exc:
        raise UserError(f"The workbench window needs Qt, which failed to load ({exc}). `arstudio doctor` shows "
                        "which libraries are missing and the line that installs them.") from exc
    return run_app()


def run_screenshot(args: argparse.Namespace) -> int:
    from arstudio.ui.shell.screenshots import parse_panels, parse_size, take_screenshots

    panels, size = parse_panels(args.panels), parse_size(args.size)
    profile = "quick" if args.quick else "ready" if args.ready else "docs"
    paths = take_screenshots(args.out, panels, profile, args.theme, size, args.runs_dir)
    print(f"wrote {len(paths)} screenshot{'s' if len(paths) != 1 else ''} to {Path(args.out)}")
    return 0
