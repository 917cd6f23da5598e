"""Where ARStudio keeps the user's data: caches of built-in data sets and other files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HOME_VARIABLE = "ARSTUDIO_HOME"


def data_home() -> Path:
    """The user's ARStudio folder.

    `$ARSTUDIO_HOME` if set, else the platform's usual place: `~/Library/Application Support/ARStudio`
    (macOS), `%LOCALAPPDATA%\\ARStudio` (Windows), else `$XDG_DATA_HOME/arstudio` or
    `~/.local/share/arstudio`.
    """
    override = os.environ.get(HOME_VARIABLE)
    if override:
        return Path(override).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "ARStudio"
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.environ.get("APPDATA")
        return (Path(base) if base else Path.home() / "AppData" / "Local") / "ARStudio"
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share") / "arstudio"


def cache_dir() -> Path:
    """`<data_home>/cache`, where built data sets are kept; created on demand."""
    path = data_home() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path
