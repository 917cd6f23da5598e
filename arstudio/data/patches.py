"""RGB patches cut at seeded random places from the colour photographs scikit-learn ships.

Each photograph is divided into square tiles twice the patch size; every patch lies inside one
tile and the splits take whole tiles, so no pixel is shared between train, validation and test.
"""

from __future__ import annotations

import numpy as np

from arstudio.data.examples import Examples
from arstudio.data.options import whole
from arstudio.data.spec import DataSpec
from arstudio.errors import UserError

CROP_SEED = 5489
DEFAULT_SIZE = 16
DEFAULT_COUNT = 4000
MIN_SIZE, MAX_SIZE = 4, 64


def patches_spec(size: int = DEFAULT_SIZE, count: int = DEFAULT_COUNT, levels: int = 256) -> DataSpec:
    size = whole("size", size, MIN_SIZE, MAX_SIZE)
    whole("count", count, 10, 1_000_000)
    return DataSpec("image", (3, size, size), levels)


def patches_4bit_spec(size: int = DEFAULT_SIZE, count: int = DEFAULT_COUNT) -> DataSpec:
    return patches_spec(size, count, levels=16)


def build_patches(size: int = DEFAULT_SIZE, count: int = DEFAULT_COUNT, levels: int = 256) -> Examples:
    size = whole("size", size, MIN_SIZE, MAX_SIZE)
    count = whole("count", count, 10, 1_000_000)
    patches, tiles = cut_patches(sample_photographs(), size, count)
    return Examples(patches // (256 // levels), groups=tiles)


def build_patches_4bit(size: int = DEFAULT_SIZE, count: int = DEFAULT_COUNT) -> Examples:
    return build_patches(size, count, levels=16)


def sample_photographs() -> np.ndarray:
    """scikit-learn's sample photographs (china.jpg, flower.jpg) as uint8 [n, H, W, 3]."""
    try:
        from sklearn.datasets import load_sample_images
    except ImportError as exc:
        raise UserError(
            "The patches data sets use photographs that come with scikit-learn, which is not installed; "
            "run `pip install scikit-learn` and try again."
        ) from exc
    images = load_sample_images().images
    height = min(image.shape[0] for image in images)
    width = min(image.shape[1] for image in images)
    return np.stack([np.asarray(image[:height, :width, :3], dtype=np.uint8) for image in images])


def cut_patches(photos: np.ndarray, size: int, count: int, seed: int = CROP_SEED) -> tuple[np.ndarray, np.ndarray]:
    """`count` patches uint8 [count, 3, size, size] spread evenly over the tiles, and each one's tile."""
    n_photos, height, width, _ = photos.shape
    tile = 2 * size
    rows, cols = height // tile, width // tile
    n_tiles = n_photos * rows * cols
    rng = np.random.default_rng(seed)
    tiles = rng.permutation(np.arange(count) % n_tiles)
    photo, rest = np.divmod(tiles, rows * cols)
    row, col = np.divmod(rest, cols)
    top = row * tile + rng.integers(0, tile - size + 1, size=count)
    left = col * tile + rng.integers(0, tile - size + 1, size=count)
    steps = np.arange(size)
    patches = photos[
        photo[:, None, None],
        (top[:, None] + steps)[:, :, None],
        (left[:, None] + steps)[:, None, :],
    ]
    return np.ascontiguousarray(patches.transpose(0, 3, 1, 2)), tiles
