"""Crash-safe file writes: readers see the old file or the whole new one, never half of it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO


def fsync_dir(folder: Path) -> None:
    """Make a rename inside `folder` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temp_path_for(target: Path) -> Path:
    """A fresh, hidden temporary file next to `target` (same folder, so os.replace is atomic)."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def atomic_target(target: Path) -> Iterator[Path]:
    """Yield a temporary path to fill; on success it is fsynced and renamed onto `target`.

    On any error the temporary file is removed and `target` is left as it was.
    """
    tmp = temp_path_for(target)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(target.parent)


def atomic_write(target: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write `target` through `write(handle)` so readers see the old file or the whole new one."""
    with atomic_target(target) as tmp, open(tmp, "wb") as handle:
        write(handle)
        handle.flush()


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write `data` to `target` atomically, creating its folder when needed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, lambda handle: handle.write(data))
