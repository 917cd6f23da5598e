"""Deterministic train / validation / test splits that keep related examples together.

Most data sets are split here from shuffled groups, the split chosen by a seed. A data set with a standard
split of its own (MNIST's official test set, say) names each example's split instead (`Examples.splits`,
built with `fixed_splits`), and then the seed does not change it (`fixed_split_indices`).
"""

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


def fixed_splits(train: int, validation: int, test: int) -> np.ndarray:
    """Split names for examples stored train first, then validation, then test (for `Examples.splits`)."""
    return np.repeat(np.array(SPLITS), [train, validation, test])


def fixed_split_indices(splits: np.ndarray, split: str) -> np.ndarray:
    """The sorted indices of the examples whose entry in `splits` (one split name per example) is `split`."""
    check_split(split)
    names = np.asarray(splits)
    unknown = sorted(set(np.unique(names).tolist()) - set(SPLITS))
    if unknown:
        raise ValueError(f"splits names {unknown}, which are not among {SPLITS}")
    index = np.flatnonzero(names == split)
    if len(index) == 0:
        raise UserError(f"This data set has no {split} split; choose one of "
                        f"{', '.join(s for s in SPLITS if s in names)}.")
    return index
