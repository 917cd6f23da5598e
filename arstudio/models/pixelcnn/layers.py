"""The gated PixelCNN's network parts: masked convolutions, channel-group masks and the gated layer.

The model (model.py) stacks them; the cached stepper (column_stepper.py) reads their weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from arstudio.data import DataSpec
from arstudio.models.layers import gate


def group_labels(features: int, groups: int) -> Tensor:
    return torch.arange(features) * groups // features


class MaskedConv2d(nn.Conv2d):
    """A convolution whose weight is multiplied by a fixed 0/1 mask."""

    def __init__(self, in_ch: int, out_ch: int, kernel: tuple[int, int], mask: Tensor) -> None:
        super().__init__(in_ch, out_ch, kernel)
        self.register_buffer("mask", mask.expand_as(self.weight).clone())

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias)


def channel_mask(out_labels: Tensor, in_labels: Tensor, inclusive: bool) -> Tensor:
    """[out, in] 0/1: output group g sees input groups < g, or <= g when inclusive."""
    out_g, in_g = out_labels.unsqueeze(1), in_labels.unsqueeze(0)
    return ((in_g <= out_g) if inclusive else (in_g < out_g)).float()


def shift_down(x: Tensor) -> Tensor:
    return F.pad(x, (0, 0, 1, 0))[:, :, :-1, :]


class GatedLayer(nn.Module):
    """One gated layer of both stacks. With `condition_dim`, a projection of the label embedding h is added to
    both stacks' gate pre-activations, tanh(W_f * x + V_f h) sigmoid(W_g * x + V_g h) (conditional PixelCNN)."""

    def __init__(self, in_ch: int, in_labels: Tensor, features: int, groups: int, kernel: int, first: bool,
                 condition_dim: int = 0) -> None:
        super().__init__()
        self.half = kernel // 2
        self.first = first
        labels = group_labels(features, groups)
        gate_labels = torch.cat([labels, labels])
        self.vertical = nn.Conv2d(in_ch, 2 * features, (self.half + 1, kernel))
        self.v_to_h = nn.Conv2d(2 * features, 2 * features, 1)
        h_mask = torch.ones(2 * features, in_ch, 1, self.half + 1)
        h_mask[:, :, 0, -1] = channel_mask(gate_labels, in_labels, inclusive=not first)
        self.horizontal = MaskedConv2d(in_ch, 2 * features, (1, self.half + 1), h_mask)
        b_mask = channel_mask(labels, labels, inclusive=True)[:, :, None, None]
        self.h_residual = MaskedConv2d(features, features, (1, 1), b_mask)
        self.h_skip = MaskedConv2d(features, features, (1, 1), b_mask)
        self.condition = nn.Linear(condition_dim, 4 * features, bias=False) if condition_dim else None

    def condition_biases(self, embedding: Tensor) -> tuple[Tensor, Tensor]:
        """The label embedding [B, E] -> what it adds to the vertical and the horizontal pre-activation ([B, 2F])."""
        assert self.condition is not None
        vertical, horizontal = self.condition(embedding).chunk(2, dim=1)
        return vertical, horizontal

    def forward(self, v: Tensor, h: Tensor, embedding: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        k = self.half
        v_pre = self.vertical(F.pad(v, (k, k, k, 0)))
        if embedding is not None:
            v_bias, h_bias = self.condition_biases(embedding)
            v_pre = v_pre + v_bias[:, :, None, None]
        h_pre = self.horizontal(F.pad(h, (k, 0, 0, 0))) + self.v_to_h(shift_down(v_pre))
        if embedding is not None:
            h_pre = h_pre + h_bias[:, :, None, None]
        h_gated = gate(h_pre)
        h_out = self.h_residual(h_gated)
        if not self.first:
            h_out = h_out + h
        return gate(v_pre), h_out, self.h_skip(h_gated)


class GatedNetwork(Protocol):
    """What the cached stepper reads of a PixelCNN: its gated layers and its output head."""

    spec: DataSpec
    layers: Sequence[GatedLayer]
    head_hidden: MaskedConv2d
    head_out: MaskedConv2d
    head_width: int
    """Outputs per value: the logits, or the mixture parameters of a logistic head."""
    label_embedding: nn.Module | None
    """labels [B, F] -> h [B, E] for a conditional model; None for an unconditional one."""

    def output_logits(self, out: Tensor) -> Tensor:
        """The head's outputs [..., head_width] of one value each -> logits [..., levels]."""
