"""A whole data set as arrays, and one split of it as a torch Dataset."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from arstudio.data.spec import DataSpec
from arstudio.data.splits import fixed_split_indices, split_indices


@dataclass(frozen=True)
class Examples:
    """Every example of a data set before splitting.

    values  integer array [N, *spec.shape] with values in 0..K-1.
    groups  per example, the group it is split with (None: every example on its own).
    labels  per example, its classes: [N] for one kind of label (the digit drawn) or [N, F] for F kinds
            (the digit and the voice), in the order of the spec's `labels`.
    splits  per example, the name of its split ("train", "validation", "test"; see splits.fixed_splits) for
            a data set with a standard split of its own; then neither the seed nor `groups` changes the
            splits. None: the splits are drawn from shuffled groups by the seed.
    """

    values: np.ndarray
    groups: np.ndarray | None = None
    labels: np.ndarray | None = None
    splits: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.values)


class ArrayDataset(Dataset):
    """One split of a data set held in memory as a single LongTensor.

    data    LongTensor[N, *spec.shape], the whole split (for fast batching: data[index_tensor]).
    spec    the DataSpec of one example.
    labels  LongTensor[N, F], one column per LabelSet of the spec, or None.
    """

    def __init__(
        self, data: torch.Tensor, spec: DataSpec, name: str, split: str, labels: torch.Tensor | None = None
    ) -> None:
        if tuple(data.shape[1:]) != spec.shape:
            raise ValueError(f"data of shape {tuple(data.shape)} does not hold examples of shape {spec.shape}")
        self.data = data
        self.spec = spec
        self.name = name
        self.split = split
        self.labels = labels

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.data[index]

    def __repr__(self) -> str:
        return f"ArrayDataset({self.name!r}, {self.split!r}, n={len(self)}, spec={self.spec})"


def make_split(examples: Examples, spec: DataSpec, name: str, split: str, seed: int = 0) -> ArrayDataset:
    """The `split` of `examples`, as an ArrayDataset: the examples' own split where they name one, else chosen
    by `seed`."""
    values = np.asarray(examples.values)
    if examples.splits is not None:
        if np.shape(examples.splits) != (len(values),):
            raise ValueError(f"splits has shape {np.shape(examples.splits)}, expected ({len(values)},)")
        index = fixed_split_indices(examples.splits, split)
    else:
        index = split_indices(len(values), split, seed, examples.groups)
    data = torch.from_numpy(values[index].astype(np.int64, copy=False).reshape(len(index), *spec.shape))
    labels = None
    if examples.labels is not None:
        chosen = np.asarray(examples.labels)[index].astype(np.int64)
        labels = torch.from_numpy(chosen.reshape(len(index), -1))
    return ArrayDataset(data, spec, name, split, labels)
