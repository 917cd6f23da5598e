"""Where a partial image comes from: an image file fitted to the model, and quick masks of unknown pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from arstudio.data import DataSpec
from arstudio.data.files.images import open_image
from arstudio.errors import UserError

QUICK_MASKS = ("bottom half", "right half", "centre", "random")


def quick_mask(name: str, height: int, width: int, seed: int = 0) -> np.ndarray:
    """[H, W] bool of *known* pixels after erasing a region: the named one becomes unknown."""
    known = np.ones((height, width), dtype=bool)
    if name == "bottom half":
        known[height // 2:] = False
    elif name == "right half":
        known[:, width // 2:] = False
    elif name == "centre":
        known[height // 4:height - height // 4, width // 4:width - width // 4] = False
    elif name == "random":
        known = np.random.default_rng(seed).random((height, width)) >= 0.5
    else:
        raise UserError(f"Unknown quick mask {name!r}: choose one of {', '.join(QUICK_MASKS)}.")
    return known


def image_from_file(path: str | Path, spec: DataSpec) -> np.ndarray:
    """The image at `path` as values [C, H, W] of the model's spec: centre-cropped, resized, and
    quantized to its levels (binary: black below mid-grey, white above)."""
    channels, height, width = spec.shape
    if channels not in (1, 3, 4):
        raise UserError(f"This model's images have {channels} channels; only grey, RGB and RGBA files can be loaded.")
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[channels]
    picture = ImageOps.fit(open_image(Path(path)).convert(mode), (width, height), Image.Resampling.LANCZOS)
    pixels = np.asarray(picture, dtype=np.int64).reshape(height, width, channels).transpose(2, 0, 1)
    if spec.levels == 2:
        return (pixels >= 128).astype(np.int64)
    return pixels * spec.levels // 256
