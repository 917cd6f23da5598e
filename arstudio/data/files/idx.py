"""MNIST-style IDX files (optionally gzipped), parsed from their header without other libraries."""

from __future__ import annotations

import gzip
import math
import re
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from arstudio.errors import UserError

if TYPE_CHECKING:  # Python 3.11+; the annotations are never evaluated
    from importlib.resources.abc import Traversable

IDX_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4")}
FLOAT_TYPES = {0x0D: "32-bit float", 0x0E: "64-bit float"}
DOWNLOAD_AGAIN = "Download it again."


def is_idx_name(path: Path) -> bool:
    """True for names such as train-images-idx3-ubyte(.gz), images.idx or data.idx3."""
    name = path.name.lower().removesuffix(".gz")
    return name.endswith("ubyte") or bool(re.search(r"\.idx\d?$|-idx\d", name))


def read_idx(path: Path | Traversable, remedy: str | None = None) -> np.ndarray:
    """The array stored in the IDX file at `path` (gzipped or not), in its stored integer type, read-only.

    `path` may be a package resource (importlib.resources). A damaged file is a UserError that says what is
    wrong and then what to do: `remedy` (a sentence) where given, else advice for a user's own file.
    """
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise UserError(f"The gzip file {path.name} is damaged ({exc}). {remedy or DOWNLOAD_AGAIN}") from exc
    return parse_idx(raw, path.name, remedy)


def parse_idx(raw: bytes, name: str = "the IDX file", remedy: str | None = None) -> np.ndarray:
    """Parse IDX bytes: two zero bytes, a type code, the number of dimensions, big-endian sizes, data.

    `remedy` (a sentence) replaces the advice that ends each message about a bad file (see read_idx).
    """

    def bad(problem: str, advice: str = DOWNLOAD_AGAIN) -> UserError:
        return UserError(" ".join(part for part in (problem, remedy or advice) if part))

    if len(raw) < 4 or raw[:2] != b"\x00\x00":
        raise bad(
            f"{name} is not an IDX file: IDX files start with two zero bytes, this one starts with "
            f"{raw[:4].hex(' ') or 'nothing'}.",
            "Point ARStudio at the images file (e.g. train-images-idx3-ubyte).",
        )
    code, ndim = raw[2], raw[3]
    if code in FLOAT_TYPES:
        raise bad(f"{name} holds {FLOAT_TYPES[code]} values.", "ARStudio reads IDX files of whole numbers.")
    if code not in IDX_TYPES:
        raise bad(f"{name} has the unknown IDX type code 0x{code:02x}; it is damaged or not an IDX file.", "")
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise bad(f"{name} ends inside its header; the file is truncated.")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    actual = len(raw) - header
    if actual < expected:
        raise bad(
            f"{name} holds {actual} bytes of data but its header promises {expected} for shape {shape}; "
            "the file is truncated."
        )
    if actual > expected:
        raise bad(f"{name} has {actual - expected} bytes more than its header's shape {shape} needs; "
                  "it is damaged or not an IDX file.", "")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
