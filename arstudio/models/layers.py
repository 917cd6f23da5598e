"""Pieces that several families share: the gated unit and the [-1, 1] encoding of levels."""

from __future__ import annotations

import torch
from torch import Tensor


def gate(x: Tensor) -> Tensor:
    """The gated unit tanh(a) * sigmoid(b) of a pre-activation [B, 2F, ...] split into a and b on dim 1."""
    a, b = x.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


def sigmoid_gate_order(features: int) -> tuple[Tensor, Tensor]:
    """Column order [b | a] and scale [1 | 2] of a gate pre-activation of 2 * `features` columns.

    Steppers evaluate the gate as tanh(a) sigmoid(b) = 2 sigmoid(2a) sigmoid(b) - sigmoid(b): with the
    pre-activation reordered and scaled so, an in-place sigmoid and product leave
    [sigmoid(b) | sigmoid(2a) sigmoid(b)], and `sigmoid_gate_rows` finishes the gate inside the next product.
    """
    order = torch.cat([torch.arange(features, 2 * features), torch.arange(features)])
    scale = torch.cat([torch.ones(features), torch.full((features,), 2.0)])
    return order, scale


def sigmoid_gate_rows(weight: Tensor) -> Tensor:
    """A product's weight [F, out] as rows [-W; 2W] that apply it to [sigmoid(b) | sigmoid(2a) sigmoid(b)]."""
    return torch.cat([-weight, 2 * weight])


def unit_interval(values: Tensor, levels: int, dtype: torch.dtype) -> Tensor:
    """Levels 0..levels-1 mapped evenly onto [-1, 1], as `dtype`."""
    return values.to(dtype) * (2.0 / (levels - 1)) - 1.0
