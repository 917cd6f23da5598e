"""Built data sets cached on disk, written atomically so a crash never leaves half a file."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from arstudio.atomic import atomic_write_bytes
from arstudio.data.paths import cache_dir
from arstudio.errors import UserError


def cache_key(name: str, version: int, **options: object) -> str:
    """A readable file stem naming a data set, its build version and the options that shape it."""
    parts = [name, f"v{version}"] + [f"{key}{value}" for key, value in sorted(options.items())]
    return "-".join(parts)


def cached_arrays(key: str, build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays cached under `key`, built and saved (as .npz, no pickle) on first use."""
    path = cache_dir() / f"{key}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as archive:
                return {name: archive[name] for name in archive.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):
            path.unlink(missing_ok=True)
    arrays = build()
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    _write_cache(path, buffer.getvalue())
    return arrays


def cached_bytes(filename: str, build: Callable[[], bytes]) -> bytes:
    """The file cached under `filename`, built and saved on first use."""
    path = cache_dir() / filename
    if path.exists():
        return path.read_bytes()
    data = build()
    _write_cache(path, data)
    return data


def _write_cache(path: Path, data: bytes) -> None:
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise UserError(
            f"Could not save the data set cache {path} ({exc.strerror or exc}). "
            "Free some disk space or set ARSTUDIO_HOME to a writable folder."
        ) from exc
