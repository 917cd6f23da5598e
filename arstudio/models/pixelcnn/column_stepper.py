"""Cached PixelCNN generation: a step computes one pixel of every layer instead of the whole image.

In the gated PixelCNN the vertical stack at row r sees the rows at and above r only, and reaches the
horizontal stack shifted down by one row. So when row r starts, every layer's vertical features of
row r-1 become final: they are computed once, from the cached vertical features of the k rows
above, together with their contribution to the whole of row r of the horizontal stack.

The horizontal stack at column c sees columns c-k .. c of its own row, and no feature of a pixel
depends on the pixel's last channel (group g sees channels < g). So the horizontal features of the
columns to the left are final, and a step computes only column c of every layer: per layer, one
product of the k+1 cached input columns with the masked kernel, the gate, and the residual and skip
1x1s. Each channel step of a pixel recomputes its column, so R -> G -> B stays exact.

A conditional model's label adds a constant per layer and example to both stacks' pre-activations: to the
vertical one where a row start computes it, and to the horizontal one folded into that row's v_to_h.

As in the WaveNet stepper (models/wavenet/queue_stepper.py), the gate tanh(a) sigmoid(b) is evaluated as
2 sigmoid(2a) sigmoid(b) - sigmoid(b) (models/layers.py) with in-place operations on preallocated buffers,
whose views are made once per stepper.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from arstudio.models.layers import gate, sigmoid_gate_order, sigmoid_gate_rows, unit_interval
from arstudio.models.pixelcnn.layers import GatedLayer, GatedNetwork
from arstudio.models.steppers import Stepper


def masked_weight(conv: torch.nn.Conv2d) -> Tensor:
    mask = getattr(conv, "mask", None)
    weight = conv.weight.detach()
    return weight * mask if mask is not None else weight


def gate_rows(conv: torch.nn.Conv2d) -> Tensor:
    """A masked 1x1 convolution as rows [bias; -W; 2W] for the input [1 | sigmoid(b) | sigmoid(2a) sigmoid(b)]."""
    w = masked_weight(conv)[:, :, 0, 0].t()
    return torch.cat([conv.bias.detach()[None], sigmoid_gate_rows(w)]).contiguous()


@dataclass
class ColumnLayer:
    """One gated layer's weights, masks applied, for single-column steps and row starts."""

    first: bool
    vertical: tuple[Tensor, Tensor]
    v_to_h: tuple[Tensor, Tensor]
    """Its 1x1 weight [2F, 2F, 1], and the horizontal bias folded into its bias, in gate order."""
    horizontal: Tensor
    """[(k + 1) * C_in, 2F]: the masked kernel for k+1 input columns (oldest first), in gate order."""
    residual: Tensor
    skip: Tensor

    @classmethod
    @torch.no_grad()
    def from_layer(cls, layer: GatedLayer) -> ColumnLayer:
        features = layer.h_residual.weight.shape[0]
        order, scale = sigmoid_gate_order(features)
        scale = scale.to(layer.vertical.weight)
        horizontal = masked_weight(layer.horizontal)[:, :, 0, :]
        v_to_h_weight = layer.v_to_h.weight.detach()[order, :, :, 0] * scale[:, None, None]
        v_to_h_bias = (layer.v_to_h.bias.detach() + layer.horizontal.bias.detach())[order] * scale
        return cls(
            first=layer.first,
            vertical=(layer.vertical.weight.detach(), layer.vertical.bias.detach()),
            v_to_h=(v_to_h_weight, v_to_h_bias),
            horizontal=(horizontal[order] * scale[:, None, None]).permute(2, 1, 0).flatten(0, 1).contiguous(),
            residual=gate_rows(layer.h_residual),
            skip=gate_rows(layer.h_skip),
        )


class ColumnStepper(Stepper):
    """Caches the vertical stack row by row and the horizontal stack column by column (see the module)."""

    model: GatedNetwork

    def __init__(self, model: GatedNetwork, seq: Tensor, labels: Tensor | None = None) -> None:
        super().__init__(model, seq, labels)
        self.channels, self.height, self.width = model.spec.shape
        self.k = model.layers[0].half
        self.layers = [ColumnLayer.from_layer(layer) for layer in model.layers]
        levels = model.spec.levels
        width = model.head_width
        with torch.no_grad():
            self.head_hidden = (masked_weight(model.head_hidden)[:, :, 0, 0].t().contiguous(),
                                model.head_hidden.bias.detach())
            out, out_bias = masked_weight(model.head_out)[:, :, 0, 0].t(), model.head_out.bias.detach()
            self.head_out = [(out[:, c * width:(c + 1) * width].contiguous(), out_bias[c * width:(c + 1) * width])
                             for c in range(self.channels)]
        like = self.head_hidden[0]
        self.conditions = self._condition_biases(model, labels)
        self.encoding = unit_interval(torch.arange(levels, device=like.device), levels, like.dtype)
        self.next_step = 0
        features = self.layers[0].residual.shape[1]
        batch = seq.shape[0]
        state = {
            "image": like.new_zeros(batch, self.channels, self.height, self.width),
            "vertical": [like.new_zeros(batch, features, self.height, self.width) for _ in self.layers],
            "v_to_h": [like.new_zeros(batch, self.width, 2 * features) for _ in self.layers],
            "rows": [like.new_zeros(batch, self.width + self.k, self.channels if i == 0 else features)
                     for i in range(len(self.layers))],
        }
        self._allocate(state)

    @staticmethod
    @torch.no_grad()
    def _condition_biases(model: GatedNetwork, labels: Tensor | None) -> list[tuple[Tensor, Tensor]] | None:
        """Per layer, what the labels add to the vertical pre-activation and, in gate order, to the horizontal one."""
        if labels is None or model.label_embedding is None:
            return None
        embedding = model.label_embedding(labels)
        biases = []
        for layer in model.layers:
            vertical, horizontal = layer.condition_biases(embedding)
            order, scale = sigmoid_gate_order(horizontal.shape[1] // 2)
            biases.append((vertical, horizontal[:, order] * scale.to(horizontal)))
        return biases

    def _allocate(self, state: dict[str, Tensor | list[Tensor]]) -> None:
        """Take over the state tensors, and make the scratch buffers and every view a step uses."""
        self.image, self.vertical = state["image"], state["vertical"]
        self.v_to_h, self.rows = state["v_to_h"], state["rows"]
        batch, k = self.image.shape[0], self.k
        features = self.layers[0].residual.shape[1]
        self.skip = self.image.new_empty(batch, features)
        self.cells = [[self.rows[0][:, c + k, ch] for ch in range(self.channels)] for c in range(self.width)]
        self.gates = []
        for _ in self.layers:
            gates = self.image.new_ones(batch, 1 + 2 * features)
            self.gates.append((gates, gates[:, 1:], gates[:, 1:1 + features], gates[:, 1 + features:]))
        self.columns = []
        for c in range(self.width):
            plan = []
            for i, (row, v_to_h) in enumerate(zip(self.rows, self.v_to_h, strict=True)):
                window = row.view(batch, -1)[:, c * row.shape[2]:(c + k + 1) * row.shape[2]]
                out = self.rows[i + 1][:, c + k] if i + 1 < len(self.rows) else None
                plan.append((window, v_to_h[:, c], row[:, c + k], out))
            self.columns.append(plan)

    def logits(self, t: int) -> Tensor:
        if t != self.next_step:
            raise RuntimeError(f"ColumnStepper steps in order: expected step {self.next_step}, got {t}.")
        pixel, channel = divmod(t, self.channels)
        row, column = divmod(pixel, self.width)
        if column == 0 and channel == 0:
            self._start_row(row)
        skip = self.skip
        steps = zip(self.layers, self.gates, self.columns[column], strict=True)
        for i, (layer, (gates, pre, sig_b, product), (window, v_to_h, h, out)) in enumerate(steps):
            torch.addmm(v_to_h, window, layer.horizontal, out=pre)
            pre.sigmoid_()
            product.mul_(sig_b)
            if i == 0:
                torch.mm(gates, layer.skip, out=skip)
            else:
                skip.addmm_(gates, layer.skip)
            if out is None:
                continue
            if layer.first:
                torch.mm(gates, layer.residual, out=out)
            else:
                torch.addmm(h, gates, layer.residual, out=out)
        self.next_step = t + 1
        hidden = torch.relu_(torch.addmm(self.head_hidden[1], torch.relu(skip), self.head_hidden[0]))
        weight, bias = self.head_out[channel]
        return self.model.output_logits(torch.addmm(bias, hidden, weight))

    def _start_row(self, row: int) -> None:
        """Make every layer's vertical features of row-1 final, and their contribution to row `row`."""
        k = self.k
        if row > 0:
            self.image[:, :, row - 1].copy_(self.rows[0][:, k:].transpose(1, 2))
        below = self.image
        for i, (layer, cache, v_to_h) in enumerate(zip(self.layers, self.vertical, self.v_to_h, strict=True)):
            condition = self.conditions[i] if self.conditions is not None else None
            if row == 0:
                v_to_h.copy_(layer.v_to_h[1].expand_as(v_to_h))
            else:
                top = max(0, row - 1 - k)
                window = F.pad(below[:, :, top:row], (k, k, k + 1 - (row - top), 0))
                pre = F.conv2d(window, *layer.vertical)[:, :, 0]
                if condition is not None:
                    pre = pre + condition[0][:, :, None]
                cache[:, :, row - 1] = gate(pre)
                v_to_h.copy_(F.conv1d(pre, *layer.v_to_h).transpose(1, 2))
            if condition is not None:
                v_to_h.add_(condition[1][:, None, :])
            below = cache

    def commit(self, t: int, values: Tensor) -> None:
        super().commit(t, values)
        pixel, channel = divmod(t, self.channels)
        torch.index_select(self.encoding, 0, values, out=self.cells[pixel % self.width][channel])

    def reorder(self, index: Tensor) -> None:
        super().reorder(index)
        if self.conditions is not None:
            self.conditions = [(vertical[index], horizontal[index]) for vertical, horizontal in self.conditions]
        tensors = [self.image, *self.vertical, *self.v_to_h, *self.rows]
        if len(index) == self.image.shape[0]:
            for tensor in tensors:
                tensor.copy_(tensor[index])
            return
        self._allocate({
            "image": self.image[index],
            "vertical": [cache[index] for cache in self.vertical],
            "v_to_h": [v_to_h[index] for v_to_h in self.v_to_h],
            "rows": [row[index] for row in self.rows],
        })
