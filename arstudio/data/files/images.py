"""Folders of image files (PNG, JPEG, BMP, ...) read as square arrays of one size."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from arstudio.errors import UserError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
MODES = {"grey": "L", "rgb": "RGB"}


def read_images(paths: list[Path], size: int, color: str) -> np.ndarray:
    """The images as uint8 [N, C, size, size]: centre-cropped to a square, resized, grey (C=1) or RGB (C=3)."""
    mode = MODES[color]
    out = np.empty((len(paths), len(mode), size, size), dtype=np.uint8)
    for i, path in enumerate(paths):
        image = open_image(path).convert(mode)
        image = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
        out[i] = np.asarray(image).reshape(size, size, len(mode)).transpose(2, 0, 1)
    return out


def open_image(path: Path) -> Image.Image:
    """The fully decoded image at `path`; an unreadable or truncated file is a UserError naming it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                return image.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
        raise UserError(
            f"Could not read the image {path.name} in {path.parent} ({exc}). "
            "The file may be truncated or not an image; replace or remove it and try again."
        ) from exc
