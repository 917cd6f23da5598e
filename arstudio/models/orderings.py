"""Chain-rule orderings of a spec's variables."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from arstudio.data import DataSpec
from arstudio.errors import UserError


def make_ordering(spec: DataSpec, ordering: str | Sequence[int], seed: int = 0) -> Tensor:
    """'raster', 'random' (seeded) or an explicit permutation of 0..D-1, as LongTensor[D].

    A random ordering of a multi-channel image shuffles pixels but keeps each pixel's
    channels consecutive, R before G before B.
    """
    if isinstance(ordering, str):
        if ordering == "raster":
            return torch.tensor(spec.raster_order(), dtype=torch.long)
        if ordering == "random":
            return random_ordering(spec, torch.Generator().manual_seed(int(seed)))
        raise UserError(f"Unknown ordering {ordering!r}: use 'raster', 'random' or a list of positions.")
    order = torch.as_tensor(list(ordering), dtype=torch.long)
    if order.numel() != spec.dims or not torch.equal(order.sort().values, torch.arange(spec.dims)):
        raise UserError(f"An explicit ordering must list each of the {spec.dims} positions exactly once.")
    return order


def random_ordering(spec: DataSpec, generator: torch.Generator) -> Tensor:
    if not spec.is_spatial or spec.shape[0] == 1:
        return torch.randperm(spec.dims, generator=generator)
    channels, height, width = spec.shape
    pixels = torch.randperm(height * width, generator=generator)
    plane = height * width
    return (pixels.unsqueeze(1) + plane * torch.arange(channels).unsqueeze(0)).flatten()
