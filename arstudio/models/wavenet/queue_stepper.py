"""Fast WaveNet generation (Paine et al., 2016): one sample costs O(layers), not O(receptive field).

A step of the default model is about a hundred tiny operations, so their count and their calling
overhead are the cost. The weights are rearranged once per stepper so that a layer takes four
in-place operations on preallocated buffers:

1. ``slot.addmm_(h, W)``: the layer's ring buffer has one slot per dilation step, each holding two
   halves: the past input's contribution to this step's dilated convolution (plus every constant),
   and the constant alone. One product with the present taps and the past taps side by side turns
   them into this step's pre-activation ``z`` and the contribution of ``h`` to step t + dilation.
   The halves swap roles on every visit of a slot, so nothing is moved.
2.-3. the gate ``tanh(a) * sigmoid(b) = 2 sigmoid(2a) sigmoid(b) - sigmoid(b)``: ``z`` holds ``[b | 2a]``
   (the ``a`` columns are doubled in the weights); an in-place sigmoid and product leave
   ``[sigmoid(b) | sigmoid(2a) sigmoid(b)]``.
4. ``stream.addmm_(gate, [-W; 2W])``: the residual stream and the running skip sum are one row
   ``[h | skip]``, so the residual and skip 1x1s are one in-place product.
5. the spent halves of every layer are reset to their constants by one indexed copy per step.

The residual and skip biases are constants, so they are folded into the slot constants and the
start of the skip sum; so is a conditional model's label term, a constant per layer and stream. The
input convolution becomes a table lookup: the stream at the start of a step is the sum of two table rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from arstudio.models.layers import sigmoid_gate_order, sigmoid_gate_rows
from arstudio.models.steppers import Stepper
from arstudio.models.wavenet.layers import DilatedNetwork


@dataclass
class FusedLayer:
    """One residual block's weights in the stepper's layout, and its slot constants."""

    dilation: int
    weights: tuple[Tensor, Tensor]
    """[R, 4D] for the slot layouts (z | past) and (past | z): present and past taps side by side."""
    out_1x1: Tensor
    """[2D, R + S]: residual and skip 1x1s as rows [-W; 2W] for the gate [sigmoid(b) | product]."""
    constant: Tensor
    """[2D]: what a slot half holds before it receives a contribution (biases and residual biases)."""
    initial: Tensor
    """[2D]: the contribution of the causal zero padding."""


@dataclass
class FusedWeights:
    """The model's weights rearranged for single-step evaluation (see the module docstring)."""

    input_table: Tensor
    """[K, 2(R + S)]: rows (embed(x) @ present tap + bias | 0 | embed(x) @ past tap | sum of skip biases).

    The present half of x[t-1]'s row plus the past half of x[t-2]'s is the stream [h | skip] of step t.
    """
    start_row: Tensor
    """[2(R + S)]: the same for the learned start vector."""
    padding_row: Tensor
    """[2(R + S)]: the same for the causal zero padding before the start (only its past half is used)."""
    layers: list[FusedLayer]
    head_hidden: tuple[Tensor, Tensor]
    head_out: tuple[Tensor, Tensor]

    @classmethod
    @torch.no_grad()
    def from_model(cls, model: DilatedNetwork) -> FusedWeights:
        embed, start = model.embed.weight.detach(), model.start.detach()
        conv = model.input_conv
        past, present, bias = conv.weight[:, :, 0].detach(), conv.weight[:, :, 1].detach(), conv.bias.detach()
        skip_bias = torch.stack([block.skip.bias.detach() for block in model.blocks]).sum(0)

        def rows(x: Tensor) -> Tensor:
            zeros, skips = x.new_zeros(len(x), len(skip_bias)), skip_bias.expand(len(x), -1)
            return torch.cat([x @ present.t() + bias, zeros, x @ past.t(), skips], dim=1)

        table, start_row, padding_row = rows(embed), rows(start[None])[0], rows(torch.zeros_like(start[None]))[0]
        residual_bias = torch.zeros_like(bias)
        layers = []
        for block in model.blocks:
            weight, conv_bias = block.dilated.weight.detach(), block.dilated.bias.detach()
            order, scale = sigmoid_gate_order(weight.shape[0] // 2)
            scale = scale.to(weight)
            now, before = ((weight[order, :, k] * scale[:, None]).t() for k in (1, 0))
            conv_bias = conv_bias[order] * scale
            initial = conv_bias + residual_bias @ now
            layers.append(FusedLayer(
                dilation=block.dilation,
                weights=(torch.cat([now, before], 1).contiguous(), torch.cat([before, now], 1).contiguous()),
                out_1x1=torch.cat([gate_rows(block.residual), gate_rows(block.skip)], dim=1).contiguous(),
                constant=initial + residual_bias @ before,
                initial=initial,
            ))
            residual_bias = residual_bias + block.residual.bias.detach()
        head = (model.head_hidden, model.head_out)
        hidden, out = ((c.weight[:, :, 0].detach().t().contiguous(), c.bias.detach()) for c in head)
        return cls(table, start_row, padding_row, layers, hidden, out)


def gate_rows(conv: torch.nn.Conv1d) -> Tensor:
    """A 1x1 convolution [out, D] as rows [-W; 2W] for the gate [sigmoid(b) | sigmoid(2a) sigmoid(b)]."""
    return sigmoid_gate_rows(conv.weight[:, :, 0].detach().t())


class Rings:
    """Every layer's ring buffer [dilation, B, 4D], as views of one [rows, 2D] tensor of slot halves.

    `slots[layer][slot][role]` holds the views a step uses: the slot, its z half and the two
    quarters of z. After a step, `reset(t)` writes the constants into every half spent at step t
    in a single indexed copy.
    """

    TABLE_LIMIT = 1 << 20
    """Most entries kept in the table of spent rows per step phase (8 MB)."""

    def __init__(self, layers: list[FusedLayer], contents: list[Tensor], offsets: Tensor | None = None) -> None:
        """contents: per layer, its ring [dilation, B, 4D]; offsets [layers, B, 2D]: added to every constant."""
        batch, width = contents[0].shape[1], contents[0].shape[2] // 2
        self.dilations = [layer.dilation for layer in layers]
        self.halves = contents[0].new_empty(sum(2 * d * batch for d in self.dilations), width)
        self.rings, self.slots, self.first_rows = [], [], []
        row = 0
        for dilation, content in zip(self.dilations, contents, strict=True):
            ring = self.halves[row:row + 2 * dilation * batch].view(dilation, batch, 2 * width)
            ring.copy_(content)
            self.rings.append(ring)
            self.slots.append([[(slot, z, z[:, :width // 2], z[:, width // 2:]) for z in (slot[:, :width],
                                                                                         slot[:, width:])]
                               for slot in ring.unbind(0)])
            self.first_rows.append(row)
            row += 2 * dilation * batch
        self.batch = batch
        constants = torch.stack([layer.constant for layer in layers])[:, None].expand(-1, batch, -1)
        if offsets is not None:
            constants = constants + offsets
        self.constants = constants.flatten(0, 1).contiguous()
        self.period = 2 * max(self.dilations)
        self.table: list[Tensor | None] | None = None
        if self.period * len(layers) * batch <= self.TABLE_LIMIT:
            self.table = [None] * self.period
        self.within_batch = 2 * torch.arange(batch, device=self.halves.device)

    def views(self, t: int) -> list[tuple[Tensor, Tensor, Tensor, Tensor]]:
        """Per layer, the views step t uses: (slot, z, sigmoid(b) quarter, product quarter)."""
        return [slots[t % d][(t // d) % 2] for slots, d in zip(self.slots, self.dilations, strict=True)]

    def spent_rows(self, t: int) -> Tensor:
        """[layers * B]: the rows of the halves that step t turned into gates."""
        phase = t % self.period
        if self.table is not None and self.table[phase] is not None:
            return self.table[phase]
        starts = [first + 2 * (t % d) * self.batch + (t // d) % 2 for first, d in zip(self.first_rows, self.dilations,
                                                                                       strict=True)]
        rows = (torch.tensor(starts, device=self.halves.device)[:, None] + self.within_batch).flatten()
        if self.table is not None:
            self.table[phase] = rows
        return rows

    def reset(self, t: int) -> None:
        self.halves.index_copy_(0, self.spent_rows(t), self.constants)


class QueueStepper(Stepper):
    """Fast WaveNet: a queue per layer, so a step costs O(layers) instead of O(receptive field).

    Cached and recomputed logits agree to float rounding; the empty queues stand for the causal
    zero padding of the convolutions.
    """

    model: DilatedNetwork

    def __init__(self, model: DilatedNetwork, seq: Tensor, labels: Tensor | None = None) -> None:
        super().__init__(model, seq, labels)
        self.weights = w = FusedWeights.from_model(model)
        self.next_step = 0
        batch = seq.shape[0]
        self.offsets = self._condition_offsets(model, labels)
        rings = [torch.cat([layer.initial, layer.constant]).expand(layer.dilation, batch, -1) for layer in w.layers]
        if self.offsets is not None:
            rings = [ring + offset.repeat(1, 2)[None] for ring, offset in zip(rings, self.offsets, strict=True)]
        rows = torch.stack([w.start_row, w.padding_row])[:, None].repeat(1, batch, 1)
        self._allocate(rings, rows)

    @staticmethod
    @torch.no_grad()
    def _condition_offsets(model: DilatedNetwork, labels: Tensor | None) -> Tensor | None:
        """[layers, B, 2D]: what the labels add to each layer's pre-activation, in the slots' gate order."""
        if labels is None or model.label_embedding is None:
            return None
        embedding = model.label_embedding(labels)
        offsets = []
        for block in model.blocks:
            term = block.condition(embedding)
            order, scale = sigmoid_gate_order(term.shape[1] // 2)
            offsets.append(term[:, order] * scale.to(term))
        return torch.stack(offsets)

    def _allocate(self, rings: list[Tensor], rows: Tensor) -> None:
        """Preallocate every buffer for the batch of `rows` [2, B, 2(R + S)], holding the given ring contents."""
        w = self.weights
        width = rows.shape[2] // 2
        self.rows, self.row_views = rows, list(rows.unbind(0))
        self.present_rows = [row[:, :width] for row in rows]
        self.past_rows = [row[:, width:] for row in rows]
        self.stream = rows.new_empty(rows.shape[1], width)
        self.h = self.stream[:, :w.layers[0].weights[0].shape[0]]
        self.skip = self.stream[:, self.h.shape[1]:]
        self.hidden = rows.new_empty(rows.shape[1], w.head_hidden[0].shape[1])
        self.rings = Rings(w.layers, rings, self.offsets)
        self.plans: list[list[tuple[Tensor, ...]] | None] = [None] * self.rings.period

    def _plan(self, t: int) -> list[tuple[Tensor, ...]]:
        """Per layer, the views and weights of step t; the same for every t of one phase (t mod period)."""
        phase = t % self.rings.period
        plan = self.plans[phase]
        if plan is None:
            plan = self.plans[phase] = [
                (*views, layer.weights[(t // layer.dilation) % 2], layer.out_1x1)
                for views, layer in zip(self.rings.views(t), self.weights.layers, strict=True)]
        return plan

    def logits(self, t: int) -> Tensor:
        if t != self.next_step:
            raise RuntimeError(f"QueueStepper steps in order: expected step {self.next_step}, got {t}.")
        w = self.weights
        torch.add(self.present_rows[t % 2], self.past_rows[1 - t % 2], out=self.stream)
        h, stream = self.h, self.stream
        for slot, z, sig_b, product, weight, out_1x1 in self._plan(t):
            slot.addmm_(h, weight)
            z.sigmoid_()
            product.mul_(sig_b)
            stream.addmm_(z, out_1x1)
        self.rings.reset(t)
        self.next_step = t + 1
        torch.addmm(w.head_hidden[1], self.skip.relu_(), w.head_hidden[0], out=self.hidden)
        return torch.addmm(w.head_out[1], self.hidden.relu_(), w.head_out[0])

    def commit(self, t: int, values: Tensor) -> None:
        super().commit(t, values)
        torch.index_select(self.weights.input_table, 0, values, out=self.row_views[(t + 1) % 2])

    def reorder(self, index: Tensor) -> None:
        super().reorder(index)
        if self.offsets is not None:
            self.offsets = self.offsets[:, index]
        if len(index) == self.rows.shape[1]:
            if self.offsets is not None:
                constants = self.rings.constants.view(len(self.offsets), len(index), -1)
                constants.copy_(constants[:, index])
            for ring in self.rings.rings:
                ring.copy_(ring[:, index])
            self.rows.copy_(self.rows[:, index])
        else:
            self._allocate([ring[:, index] for ring in self.rings.rings], self.rows[:, index])
