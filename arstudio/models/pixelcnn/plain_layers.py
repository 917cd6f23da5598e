"""The original PixelCNN's layer (van den Oord et al. 2016a, "Pixel Recurrent Neural Networks"): one stack of
k x k masked convolutions with ReLU, residual connections after the first layer and a 1x1 skip into the head.

The k x k mask keeps every row above the centre and, on the centre row, the pixels to its left (mask A in the
first layer: the centre pixel's earlier channel groups only; mask B afterwards: its own group too). Stacked, such
masks never reach the pixels up and to the right beyond each layer's diagonal: the blind spot that the gated
two-stack network (layers.GatedLayer) removes. Kept to show that blind spot, not for quality.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from arstudio.models.pixelcnn.layers import MaskedConv2d, channel_mask, group_labels


def causal_mask(out_labels: Tensor, in_labels: Tensor, kernel: int, first: bool) -> Tensor:
    """[out, in, k, k] 0/1: the rows above the centre, the centre row left of it, and at the centre the input
    groups before (first, mask A) or up to (mask B) each output's group."""
    half = kernel // 2
    mask = torch.zeros(len(out_labels), len(in_labels), kernel, kernel)
    mask[:, :, :half, :] = 1
    mask[:, :, half, :half] = 1
    mask[:, :, half, half] = channel_mask(out_labels, in_labels, inclusive=not first)
    return mask


class PlainLayer(nn.Module):
    """h -> (relu(W * h + V e) [+ h after the first layer], the 1x1 skip of that activation). With `condition_dim`,
    a projection V e of the label embedding e joins the pre-activation, as in the gated layer."""

    def __init__(self, in_ch: int, in_labels: Tensor, features: int, groups: int, kernel: int, first: bool,
                 condition_dim: int = 0) -> None:
        super().__init__()
        self.half = kernel // 2
        self.first = first
        labels = group_labels(features, groups)
        self.conv = MaskedConv2d(in_ch, features, (kernel, kernel), causal_mask(labels, in_labels, kernel, first))
        self.skip = MaskedConv2d(features, features, (1, 1),
                                 channel_mask(labels, labels, inclusive=True)[:, :, None, None])
        self.condition = nn.Linear(condition_dim, features, bias=False) if condition_dim else None

    def forward(self, h: Tensor, embedding: Tensor | None = None) -> tuple[Tensor, Tensor]:
        k = self.half
        pre = self.conv(F.pad(h, (k, k, k, k)))
        if embedding is not None:
            assert self.condition is not None
            pre = pre + self.condition(embedding)[:, :, None, None]
        active = torch.relu(pre)
        out = active if self.first else h + active
        return out, self.skip(active)
