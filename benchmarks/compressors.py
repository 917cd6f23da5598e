"""Bits per dimension of general-purpose coders on the same values a model is scored on."""

from __future__ import annotations

import bz2
import io
import lzma
import math
import zlib

import numpy as np
from PIL import Image

from arstudio.data import DataSpec


def as_bytes(values: np.ndarray) -> bytes:
    """One byte per value, examples one after another in their tensor layout."""
    return values.astype(np.uint8).tobytes()


def coder_bits(payload: bytes) -> dict[str, int]:
    return {
        "xz": 8 * len(lzma.compress(payload, preset=9 | lzma.PRESET_EXTREME)),
        "bzip2": 8 * len(bz2.compress(payload, 9)),
        "gzip": 8 * len(zlib.compress(payload, 9)),
    }


def png_bits(values: np.ndarray, spec: DataSpec, columns: int = 32) -> int:
    """Size in bits of one PNG holding every example as a tile of a grid (optimised, highest compression)."""
    count, channels, height, width = values.shape
    rows = math.ceil(count / columns)
    grid = np.zeros((rows * height, columns * width, channels), dtype=np.uint8)
    for index, image in enumerate(values):
        row, column = divmod(index, columns)
        grid[row * height:(row + 1) * height, column * width:(column + 1) * width] = image.transpose(1, 2, 0)
    if spec.levels == 2:
        picture = Image.fromarray(grid[:, :, 0] * 255).convert("1")
    elif channels == 1:
        picture = Image.fromarray(grid[:, :, 0], "L")
    else:
        picture = Image.fromarray(grid[:, :, :3], "RGB")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True, compress_level=9)
    return 8 * buffer.tell()


def bits_per_dim(values: np.ndarray, spec: DataSpec) -> dict[str, float]:
    """xz, bzip2 and gzip (and PNG for images) in bits per dimension of `values` [N, *spec.shape].

    Each coder gets the values one byte each; binary data is also tried bit-packed, and the smaller
    of the two counts.
    """
    dims = values.size
    bits = coder_bits(as_bytes(values))
    if spec.levels == 2:
        packed = coder_bits(np.packbits(values.astype(np.uint8).ravel()).tobytes())
        bits = {name: min(bits[name], packed[name]) for name in bits}
    if spec.is_spatial and spec.shape[0] in (1, 3):
        bits["png"] = png_bits(values, spec)
    return {name: value / dims for name, value in bits.items()}
