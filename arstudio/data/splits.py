"""Deterministic train / validation / test splits that keep related examples together."""

from __future__ import annotations

import numpy as np

from arstudio.errors import UserError

SPLITS = ("train", "validation", "test")
FRACTIONS = {"validation": 0.1, "test": 0.1}


def check_split(split: str) -> str:
    """`split` if it names a split, else a UserError listing the valid ones."""
    if split not in SPLITS:
        raise UserError(f"Unknown split {split!r}: choose one of {', '.join(SPLITS)}.")
    return split


def contiguous_groups(count: int, target: int = 100) -> np.ndarray:
    """Group ids for `count` ordered examples cut into about `target` runs of neighbours.

    Windows of one text or recording overlap in content with their neighbours; splitting whole
    runs rather than single windows keeps the splits from leaking into each other.
    """
    block = max(1, -(-count // target))
    return np.arange(count) // block


def split_indices(count: int, split: str, seed: int = 0, groups: np.ndarray | None = None) -> np.ndarray:
    """The sorted indices of the examples in `split`: about 80 / 10 / 10 percent of the groups.

    The groups (one per example when `groups` is None) are shuffled once by `seed`; the same
    seed always gives the same, disjoint splits.
    """
    check_split(split)
    group_of = np.arange(count) if groups is None else np.asarray(groups)
    if group_of.shape != (count,):
        raise ValueError(f"groups has shape {group_of.shape}, expected ({count},)")
    names, group_of = np.unique(group_of, return_inverse=True)
    n = len(names)
    if n < 3 and split != "train":
        raise UserError(
            f"The data set has only {count} example{'s' if count != 1 else ''}, too few to set aside a "
            f"{split} split; add more data (at least 3 examples, or 3 separate stretches of audio or text)."
        )
    if n < 3:
        return np.arange(count)
    n_validation = max(1, round(FRACTIONS["validation"] * n))
    n_test = max(1, round(FRACTIONS["test"] * n))
    order = np.random.default_rng(seed).permutation(n)
    bounds = {
        "train": (0, n - n_validation - n_test),
        "validation": (n - n_validation - n_test, n - n_test),
        "test": (n - n_test, n),
    }
    start, stop = bounds[split]
    chosen = np.zeros(n, dtype=bool)
    chosen[order[start:stop]] = True
    return np.flatnonzero(chosen[group_of])
