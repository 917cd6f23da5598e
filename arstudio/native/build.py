"""Compile a kernel's C source once per machine into ARStudio's cache, and load it with ctypes.

The library's name carries a hash of the source, the compiler command and the platform, so an
edited kernel or another machine sharing the folder gets its own build. A build is written under a
temporary name and renamed into place, so concurrent processes (torchrun) never load half a file.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from arstudio.data.paths import cache_dir

SWITCH = "ARSTUDIO_NATIVE"
"""Set to ``off`` (or 0, no, false) to use the PyTorch fallbacks."""
FLAGS = ("-O3", "-shared", "-fPIC", "-std=c11", "-pthread")
BUILD_TIMEOUT_S = 120

_lock = threading.Lock()
_loaded: dict[str, ctypes.CDLL | str] = {}


def load(name: str) -> ctypes.CDLL | None:
    """The kernel `<name>.c` of this package as a loaded library, or None (see `unavailable_reason`)."""
    result = _load(name)
    return result if isinstance(result, ctypes.CDLL) else None


def unavailable_reason(name: str) -> str | None:
    """Why `load(name)` gives None, in words; None when the kernel is loaded."""
    result = _load(name)
    return None if isinstance(result, ctypes.CDLL) else result


def _load(name: str) -> ctypes.CDLL | str:
    """A build is tried once per process; the switch is read on every call."""
    if switched_off():
        return f"{SWITCH} is set to off"
    with _lock:
        if name not in _loaded:
            _loaded[name] = _build_and_load(name)
        return _loaded[name]


def switched_off() -> bool:
    return os.environ.get(SWITCH, "").strip().lower() in {"off", "0", "no", "false"}


@contextmanager
def switched_off_within() -> Iterator[None]:
    """Use the PyTorch fallbacks inside the block: sets the switch to off and restores it after."""
    before = os.environ.get(SWITCH)
    os.environ[SWITCH] = "off"
    try:
        yield
    finally:
        if before is None:
            del os.environ[SWITCH]
        else:
            os.environ[SWITCH] = before


def compiler() -> str | None:
    """$CC if set, else cc, gcc or clang from the PATH."""
    named = os.environ.get("CC")
    if named:
        return shutil.which(named)
    return shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


def _build_and_load(name: str) -> ctypes.CDLL | str:
    if sys.platform == "win32":
        return "native kernels are not built on Windows"
    if getattr(sys, "frozen", False):
        return "the packaged app carries no compiler"
    cc = compiler()
    if cc is None:
        return "no C compiler found (install gcc or clang, or set CC)"
    source = resources.files(__package__).joinpath(f"{name}.c").read_bytes()
    key = hashlib.sha256(b"\0".join([source, cc.encode(), " ".join(FLAGS).encode(),
                                     platform.platform().encode(), platform.node().encode()])).hexdigest()[:16]
    try:
        target = cache_dir() / "native" / f"{name}-{key}.so"
    except OSError as error:
        return f"ARStudio's cache folder cannot be created: {error}"
    return load_or_build(cc, source, target)


def load_or_build(cc: str, source: bytes, target: Path) -> ctypes.CDLL | str:
    """`target` loaded, built first where it is missing or does not load (a damaged file)."""
    try:
        if target.exists():
            try:
                return ctypes.CDLL(str(target))
            except OSError:
                target.unlink(missing_ok=True)
        failure = compile_kernel(cc, source, target)
        return failure if failure else ctypes.CDLL(str(target))
    except OSError as error:
        return f"the kernel {target} cannot be built or loaded: {error}"


def compile_kernel(cc: str, source: bytes, target: Path) -> str | None:
    """Build `source` into `target`; a message saying why on failure, else None."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        src, out = Path(work) / "kernel.c", Path(work) / target.name
        src.write_bytes(source)
        try:
            done = subprocess.run([cc, *FLAGS, "-o", str(out), str(src), "-lm"], capture_output=True, text=True,
                                  timeout=BUILD_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"the C compiler {cc} did not run: {error}"
        if done.returncode != 0:
            return f"the C compiler {cc} failed: {done.stderr.strip()[-500:]}"
        os.replace(out, target)
    return None
