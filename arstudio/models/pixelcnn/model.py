"""Gated PixelCNN (van den Oord et al., 2016) with vertical and horizontal stacks.

The vertical stack sees the rows at and above a pixel's row and reaches the horizontal stack
only shifted down by one row, so a pixel sees every row above it in full (no blind spot). The
horizontal stack sees the pixels to the left in the same row. Feature maps are split into one
group per image channel; at the current pixel, group g sees groups < g in the first layer
(mask A) and groups <= g afterwards (mask B), which gives the R -> G -> B dependency.

With `gated=False` the network is the original single stack of masked k x k convolutions instead (van den Oord
et al. 2016a; plain_layers.py), which has a blind spot up and to the right; it generates by recomputation.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.models.base import ARModel
from arstudio.models.layers import LabelEmbedding, unit_interval
from arstudio.models.pixelcnn.column_stepper import ColumnStepper
from arstudio.models.pixelcnn.layers import GatedLayer, MaskedConv2d, channel_mask, group_labels
from arstudio.models.pixelcnn.logistic_mixture import mixture_log_prob, mixture_logits
from arstudio.models.pixelcnn.plain_layers import PlainLayer
from arstudio.models.steppers import Stepper

KINDS = ("binary", "image")
DEFAULTS: dict[str, Any] = {"channels": 32, "kernel": 5, "layers": 0, "head": "softmax", "mixtures": 5,
                            "conditional": False, "gated": True}
HELP = {
    "channels": ("Feature maps per stack (a multiple of the image channels works best).", 4, 512),
    "kernel": ("Odd kernel size; each layer widens the view by kernel // 2 pixels.", 3, 11),
    "layers": ("Gated layers (0 = just enough for the view to cover the whole image).", 0, 64),
    "head": ("Output: a free softmax over the levels, or a discretised logistic mixture (neighbouring levels "
             "alike; learns faster on photographs).", ("softmax", "logistic"), None),
    "mixtures": ("Logistic components per value (logistic head only).", 1, 32),
    "conditional": ("Learn p(image | label) from the data set's labels (the digit), as conditional PixelCNN does, "
                    "and generate as a chosen class.", None, None),
    "gated": ("Gated two-stack network without a blind spot (van den Oord 2016b); off: the original single stack "
              "of masked convolutions, which has a blind spot (and generates by recomputation, without the "
              "column cache).", None, None),
}


def auto_layers(height: int, width: int, kernel: int) -> int:
    return max(3, math.ceil((max(height, width) - 1) / (kernel // 2)))


class PixelCNN(ARModel):
    family = "pixelcnn"

    def __init__(self, spec: DataSpec, channels: int, kernel: int, layers: int, head: str = "softmax",
                 mixtures: int = 5, conditional: bool = False, gated: bool = True) -> None:
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
                                "mixtures": mixtures, "conditional": bool(conditional), "gated": bool(gated)})
        self.gated = bool(gated)
        self.label_embedding = LabelEmbedding(spec.labels, channels) if self.conditional else None
        self.head_width = 3 * mixtures if head == "logistic" else spec.levels
        self.num_layers = layers or auto_layers(height, width, kernel)
        labels = group_labels(channels, n_ch)
        layer_class = GatedLayer if self.gated else PlainLayer
        self.layers = nn.ModuleList(
            layer_class(n_ch if i == 0 else channels, torch.arange(n_ch) if i == 0 else labels,
                        channels, n_ch, kernel, first=i == 0, condition_dim=channels if self.conditional else 0)
            for i in range(self.num_layers)
        )
        out_labels = torch.arange(n_ch).repeat_interleave(self.head_width)
        self.head_hidden = MaskedConv2d(channels, channels, (1, 1),
                                        channel_mask(labels, labels, inclusive=True)[:, :, None, None])
        self.head_out = MaskedConv2d(channels, n_ch * self.head_width, (1, 1),
                                     channel_mask(out_labels, labels, inclusive=True)[:, :, None, None])

    def encode_input(self, x: Tensor) -> Tensor:
        return unit_interval(x, self.spec.levels, self.head_out.weight.dtype)

    def head_outputs(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """[B, C, H, W, head_width]: the output head of every value (logits, or mixture parameters)."""
        self.check_input(x)
        labels = self.labels_for(labels, x.shape[0])
        embedding = self.label_embedding(labels) if self.label_embedding is not None else None
        v = h = self.encode_input(x)
        skip = 0
        for layer in self.layers:
            if self.gated:
                v, h, s = layer(v, h, embedding)
            else:
                h, s = layer(h, embedding)
            skip = skip + s
        out = self.head_out(torch.relu(self.head_hidden(torch.relu(skip))))
        batch, n_ch, height, width = x.shape
        return out.view(batch, n_ch, self.head_width, height, width).permute(0, 1, 3, 4, 2)

    def logits(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.output_logits(self.head_outputs(x, labels))

    def log_prob(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.hparams["head"] != "logistic":
            return super().log_prob(x, labels)
        return mixture_log_prob(self.head_outputs(x, labels), x, self.spec.levels).flatten(1).sum(1)

    def output_logits(self, out: Tensor) -> Tensor:
        """The head's outputs [..., head_width] of one value each -> logits [..., levels]."""
        if self.hparams["head"] == "logistic":
            return mixture_logits(out, self.spec.levels)
        return out

    def stepper(self, seq: Tensor, use_cache: bool = True, window: str = "slide",
                labels: Tensor | None = None) -> Stepper:
        if not use_cache or not self.gated:
            return super().stepper(seq, use_cache, labels=labels)
        return ColumnStepper(self, seq, self.labels_for(labels, seq.shape[0]))
