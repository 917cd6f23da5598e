"""Cutting long sequences (text bytes, audio samples) into fixed-length examples."""

from __future__ import annotations

import numpy as np

from arstudio.data.examples import Examples
from arstudio.data.splits import contiguous_groups


def windows(sequence: np.ndarray, length: int) -> np.ndarray:
    """Non-overlapping windows [N, length] of `sequence`; a shorter tail is dropped."""
    count = len(sequence) // length
    return np.asarray(sequence[: count * length]).reshape(count, length)


def sequence_examples(pieces: list[np.ndarray], length: int) -> Examples:
    """Windows of every piece, grouped in runs of neighbours so the splits don't share context."""
    cut = [windows(piece, length) for piece in pieces]
    values = np.concatenate(cut) if cut else np.zeros((0, length), dtype=np.int64)
    return Examples(values, groups=contiguous_groups(len(values)))
