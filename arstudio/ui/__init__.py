"""The Qt workbench. Everything here may import Qt; nothing below arstudio/ui does.

Rooms mirror what a person sees: shell/ (application, window, menus, theme), common/ (what every panel
shares), train/, images/, audio/ and text/. Importing this package loads none of them: `MainWindow` is
imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from arstudio.ui.shell.main_window import MainWindow

__all__ = ["MainWindow"]


def __getattr__(name: str) -> Any:
    if name == "MainWindow":
        from arstudio.ui.shell.main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
