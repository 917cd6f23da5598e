"""scikit-learn's 8x8 handwritten digits (1797 images, 17 grey levels), shipped with the package."""

from __future__ import annotations

import functools

import numpy as np

from arstudio.data.examples import Examples
from arstudio.data.spec import DataSpec
from arstudio.errors import UserError

GREY_LEVELS = 17
BINARY_THRESHOLD = 8


def digits_spec() -> DataSpec:
    return DataSpec("image", (1, 8, 8), GREY_LEVELS)


def binary_digits_spec() -> DataSpec:
    return DataSpec("binary", (1, 8, 8), 2)


@functools.lru_cache(maxsize=1)
def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 [1797, 1, 8, 8] with values 0..16, and their digit labels (read once per process).

    The arrays are read-only so that the cached copy cannot be changed by a caller.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise UserError(
            "The digits data sets come with scikit-learn, which is not installed; "
            "run `pip install scikit-learn` and try again."
        ) from exc
    bunch = load_digits()
    images = np.asarray(bunch.images).round().astype(np.uint8)[:, None]
    labels = np.asarray(bunch.target, dtype=np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def build_digits() -> Examples:
    images, labels = load_digits_arrays()
    return Examples(images, labels=labels)


def build_binary_digits() -> Examples:
    images, labels = load_digits_arrays()
    return Examples((images >= BINARY_THRESHOLD).astype(np.uint8), labels=labels)
