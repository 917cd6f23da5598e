"""scikit-learn's 8x8 handwritten digits (1797 images, 17 grey levels), shipped with the package."""

from __future__ import annotations

import functools
import gzip
import importlib.util
from pathlib import Path

import numpy as np

from arstudio.data.examples import Examples
from arstudio.data.labels import DIGIT_LABELS
from arstudio.data.spec import DataSpec
from arstudio.errors import UserError

GREY_LEVELS = 17
BINARY_THRESHOLD = 8


def digits_spec() -> DataSpec:
    return DataSpec("image", (1, 8, 8), GREY_LEVELS, labels=(DIGIT_LABELS,))


def binary_digits_spec() -> DataSpec:
    return DataSpec("binary", (1, 8, 8), 2, labels=(DIGIT_LABELS,))


@functools.lru_cache(maxsize=1)
def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 [1797, 1, 8, 8] with values 0..16, and their digit labels (read once per process).

    The arrays are read-only so that the cached copy cannot be changed by a caller. They are read straight
    from scikit-learn's data file: importing scikit-learn (scipy with it) costs a second of holding the GIL,
    which stalled the window and delayed every run process's start.
    """
    table = _read_shipped_file()
    if table is None:
        table = _load_through_scikit_learn()
    images = table[:, :64].reshape(-1, 1, 8, 8).astype(np.uint8)
    labels = table[:, 64].astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _read_shipped_file() -> np.ndarray | None:
    """scikit-learn's `datasets/data/digits.csv.gz` (64 pixels and the label per row), found without importing
    scikit-learn; None when it is not where scikit-learn keeps it."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    try:
        with gzip.open(path, "rt") as file:
            table = np.loadtxt(file, delimiter=",", dtype=np.int64)
    except (OSError, ValueError):
        return None
    return table if table.ndim == 2 and table.shape[1] == 65 else None


def _load_through_scikit_learn() -> np.ndarray:
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise UserError(
            "The digits data sets come with scikit-learn, which is not installed; "
            "run `pip install scikit-learn` and try again."
        ) from exc
    bunch = load_digits()
    return np.concatenate([np.asarray(bunch.data).round(), np.asarray(bunch.target)[:, None]], axis=1).astype(np.int64)


def build_digits() -> Examples:
    images, labels = load_digits_arrays()
    return Examples(images, labels=labels)


def build_binary_digits() -> Examples:
    images, labels = load_digits_arrays()
    return Examples((images >= BINARY_THRESHOLD).astype(np.uint8), labels=labels)
