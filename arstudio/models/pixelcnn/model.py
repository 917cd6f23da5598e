"""Gated PixelCNN (van den Oord et al., 2016) with vertical and horizontal stacks.

The vertical stack sees the rows at and above a pixel's row and reaches the horizontal stack
only shifted down by one row, so a pixel sees every row above it in full (no blind spot). The
horizontal stack sees the pixels to the left in the same row. Feature maps are split into one
group per image channel; at the current pixel, group g sees groups < g in the first layer
(mask A) and groups <= g afterwards (mask B), which gives the R -> G -> B dependency.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.models.base import ARModel, require_kind
from arstudio.models.pixelcnn.column_stepper import ColumnStepper
from arstudio.models.steppers import Stepper

KINDS = ("binary", "image")
DEFAULTS: dict[str, Any] = {"channels": 32, "kernel": 5, "layers": 0, "head": "softmax", "mixtures": 5}
HELP = {
    "channels": ("Feature maps per stack (a multiple of the image channels works best).", 4, 512),
    "kernel": ("Odd kernel size; each layer widens the view by kernel // 2 pixels.", 3, 11),
    "layers": ("Gated layers (0 = just enough for the view to cover the whole image).", 0, 64),
    "head": ("Output: a free softmax over the levels, or a discretised logistic mixture (neighbouring levels "
             "alike; learns faster on photographs).", ("softmax", "logistic"), None),
    "mixtures": ("Logistic components per value (logistic head only).", 1, 32),
}
LOG_SCALE_MIN = -7.0


def group_labels(features: int, groups: int) -> Tensor:
    return torch.arange(features) * groups // features


def auto_layers(height: int, width: int, kernel: int) -> int:
    return max(3, math.ceil((max(height, width) - 1) / (kernel // 2)))


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


def gate(x: Tensor) -> Tensor:
    a, b = x.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


def log_expm1(x: Tensor) -> Tensor:
    """log(exp(x) - 1) for x > 0, accurate for small and large x."""
    return x + torch.log(-torch.expm1(-x))


def mixture_logits(params: Tensor, levels: int) -> Tensor:
    """[..., 3M] mixture parameters (weights, means, log scales) -> [..., levels] normalised log-probabilities.

    Level k covers [c_k - d, c_k + d] on [-1, 1] (c_k = 2k / (levels - 1) - 1, d = 1 / (levels - 1)); the
    first and last levels extend to -inf and +inf, so the probabilities of the levels sum to 1.
    """
    weights, means, log_scales = params.float().unsqueeze(-2).chunk(3, dim=-1)
    inv_scale = torch.exp(-log_scales.clamp(min=LOG_SCALE_MIN))
    centres = torch.linspace(-1.0, 1.0, levels, device=params.device).unsqueeze(-1)
    half = 1.0 / (levels - 1)
    upper = (centres + half - means) * inv_scale
    lower = (centres - half - means) * inv_scale
    inner = lower + log_expm1(2 * half * inv_scale) - F.softplus(upper) - F.softplus(lower)
    first, last = -F.softplus(-upper[..., :1, :]), -F.softplus(lower[..., -1:, :])
    per_component = torch.cat([first, inner[..., 1:-1, :], last], dim=-2)
    return torch.logsumexp(per_component + torch.log_softmax(weights, dim=-1), dim=-1)


def mixture_log_prob(params: Tensor, values: Tensor, levels: int) -> Tensor:
    """log P(values) under mixture_logits(params, levels), at the observed values only: O(M), not O(M K)."""
    weights, means, log_scales = params.float().chunk(3, dim=-1)
    inv_scale = torch.exp(-log_scales.clamp(min=LOG_SCALE_MIN))
    half = 1.0 / (levels - 1)
    centre = (values.to(means.dtype) * (2 * half) - 1.0).unsqueeze(-1)
    upper = (centre + half - means) * inv_scale
    lower = (centre - half - means) * inv_scale
    inner = lower + log_expm1(2 * half * inv_scale) - F.softplus(upper) - F.softplus(lower)
    value = values.unsqueeze(-1)
    per_component = torch.where(value == 0, -F.softplus(-upper),
                                torch.where(value == levels - 1, -F.softplus(lower), inner))
    return torch.logsumexp(per_component + torch.log_softmax(weights, dim=-1), dim=-1)


def shift_down(x: Tensor) -> Tensor:
    return F.pad(x, (0, 0, 1, 0))[:, :, :-1, :]


class GatedLayer(nn.Module):
    def __init__(self, in_ch: int, in_labels: Tensor, features: int, groups: int, kernel: int, first: bool) -> None:
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

    def forward(self, v: Tensor, h: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        k = self.half
        v_pre = self.vertical(F.pad(v, (k, k, k, 0)))
        h_pre = self.horizontal(F.pad(h, (k, 0, 0, 0))) + self.v_to_h(shift_down(v_pre))
        h_gated = gate(h_pre)
        h_out = self.h_residual(h_gated)
        if not self.first:
            h_out = h_out + h
        return gate(v_pre), h_out, self.h_skip(h_gated)


class PixelCNN(ARModel):
    family = "pixelcnn"

    def __init__(self, spec: DataSpec, channels: int, kernel: int, layers: int, head: str = "softmax",
                 mixtures: int = 5) -> None:
        require_kind("PixelCNN", spec, KINDS)
        if not spec.is_spatial:
            raise UserError(f"PixelCNN models images of shape (C, H, W); this data has shape {spec.shape}.")
        if kernel < 3 or kernel % 2 == 0:
            raise UserError(f"The PixelCNN kernel must be an odd size of at least 3, got {kernel}.")
        n_ch, height, width = spec.shape
        if channels < n_ch:
            raise UserError(f"PixelCNN needs at least {n_ch} feature maps for {n_ch} image channels.")
        if head not in ("softmax", "logistic"):
            raise UserError(f"Unknown PixelCNN head {head!r}: use 'softmax' or 'logistic'.")
        super().__init__(spec, {"channels": channels, "kernel": kernel, "layers": layers, "head": head,
                                "mixtures": mixtures})
        self.head_width = 3 * mixtures if head == "logistic" else spec.levels
        self.num_layers = layers or auto_layers(height, width, kernel)
        labels = group_labels(channels, n_ch)
        self.layers = nn.ModuleList(
            GatedLayer(n_ch if i == 0 else channels, torch.arange(n_ch) if i == 0 else labels,
                       channels, n_ch, kernel, first=i == 0)
            for i in range(self.num_layers)
        )
        out_labels = torch.arange(n_ch).repeat_interleave(self.head_width)
        self.head_hidden = MaskedConv2d(channels, channels, (1, 1),
                                        channel_mask(labels, labels, inclusive=True)[:, :, None, None])
        self.head_out = MaskedConv2d(channels, n_ch * self.head_width, (1, 1),
                                     channel_mask(out_labels, labels, inclusive=True)[:, :, None, None])

    def encode_input(self, x: Tensor) -> Tensor:
        return x.to(self.head_out.weight.dtype) * (2.0 / (self.spec.levels - 1)) - 1.0

    def head_outputs(self, x: Tensor) -> Tensor:
        """[B, C, H, W, head_width]: the output head of every value (logits, or mixture parameters)."""
        self.check_input(x)
        v = h = self.encode_input(x)
        skip = 0
        for layer in self.layers:
            v, h, s = layer(v, h)
            skip = skip + s
        out = self.head_out(torch.relu(self.head_hidden(torch.relu(skip))))
        batch, n_ch, height, width = x.shape
        return out.view(batch, n_ch, self.head_width, height, width).permute(0, 1, 3, 4, 2)

    def logits(self, x: Tensor) -> Tensor:
        return self.output_logits(self.head_outputs(x))

    def log_prob(self, x: Tensor) -> Tensor:
        if self.hparams["head"] != "logistic":
            return super().log_prob(x)
        return mixture_log_prob(self.head_outputs(x), x, self.spec.levels).flatten(1).sum(1)

    def output_logits(self, out: Tensor) -> Tensor:
        """The head's outputs [..., head_width] of one value each -> logits [..., levels]."""
        if self.hparams["head"] == "logistic":
            return mixture_logits(out, self.spec.levels)
        return out

    def stepper(self, seq: Tensor, use_cache: bool = True) -> Stepper:
        return ColumnStepper(self, seq) if use_cache else super().stepper(seq, use_cache)
