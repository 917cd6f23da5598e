"""The data files the PyInstaller spec adds to the bundle, as (source, destination folder) pairs.

Kept apart from `arstudio.spec` so that tests can check the lists without running PyInstaller.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESOURCES_DIR = ROOT / "resources"
RESOURCES_DEST = Path("arstudio") / "resources"
SKIPPED = {"__pycache__"}


def resource_datas(resources: Path = RESOURCES_DIR) -> list[tuple[str, str]]:
    """Every file of the top-level resources/ folder (the package arstudio.resources), its __init__.py included.

    PyInstaller cannot see `arstudio.resources` through the editable install's package-dir mapping, so the
    whole folder ships as files under arstudio/resources/, where the frozen importer finds the package.
    """
    datas = []
    for folder, dirs, files in os.walk(resources):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED)
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")) or name.startswith("."):
                continue
            source = Path(folder) / name
            datas.append((str(source), str(RESOURCES_DEST / source.parent.relative_to(resources))))
    return datas


def pydocs_datas() -> list[tuple[str, str]]:
    """The standard library sources the pydocs data set reads, under the folder it looks in when frozen."""
    from arstudio.data.pydocs import BUNDLED_STDLIB, TOPICS_FILE, source_files, stdlib_dir

    root = stdlib_dir()
    files = list(source_files(root))
    if (root / TOPICS_FILE).is_file():
        files.append(root / TOPICS_FILE)
    return [(str(path), str(Path(BUNDLED_STDLIB) / path.parent.relative_to(root))) for path in files]
