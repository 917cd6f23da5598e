"""Where ARStudio keeps its runs."""

from __future__ import annotations

from pathlib import Path

from arstudio.data.paths import data_home


def default_runs_dir() -> Path:
    """`<ARStudio's data folder>/runs`: $ARSTUDIO_HOME/runs, else e.g. ~/.local/share/arstudio/runs."""
    return data_home() / "runs"
