"""Pieces that several families share: the gated unit, the [-1, 1] encoding of levels, the label embedding."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from arstudio.data.labels import LabelSet


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


class LabelEmbedding(nn.Module):
    """h in p(x | h): the sum of one learned vector per label an example carries (its digit, its voice).

    Conditional families (van den Oord et al. 2016: conditional PixelCNN, WaveNet's global conditioning) add a
    learned projection of h to the gate pre-activations of every layer; h never depends on x, so the chain
    rule is untouched.
    """

    def __init__(self, label_sets: Sequence[LabelSet], dim: int) -> None:
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(label_set.size, dim) for label_set in label_sets)

    def forward(self, labels: Tensor) -> Tensor:
        """labels LongTensor[B, F] (one column per label set) -> [B, dim]."""
        return sum(table(labels[:, i]) for i, table in enumerate(self.tables))
