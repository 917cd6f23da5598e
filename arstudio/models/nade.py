"""NADE (Larochelle & Murray, 2011): one shared hidden layer computed by an O(DH) recurrence.

a_1 = c;  a_{i+1} = a_i + W[:, o_i] x_{o_i};  h_i = sigmoid(a_i);
p(x_{o_i} = 1 | x_{o_<i}) = sigmoid(b_{o_i} + V[o_i] . h_i)
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from arstudio.data import DataSpec
from arstudio.models.base import SequenceModel
from arstudio.models.orderings import make_ordering
from arstudio.models.steppers import Stepper

KINDS = ("binary",)
DEFAULTS: dict[str, Any] = {"hidden": 256, "ordering": "raster", "ordering_seed": 0}
HELP = {
    "hidden": ("Hidden units H shared by all conditionals (cost O(D*H)).", 8, 4096),
    "ordering": ("Variable ordering.", ("raster", "random"), None),
    "ordering_seed": ("Seed of the random ordering.", 0, 2**31 - 1),
}


class NADE(SequenceModel):
    family = "nade"

    def __init__(self, spec: DataSpec, hidden: int, ordering: str, ordering_seed: int) -> None:
        super().__init__(spec, {"hidden": hidden, "ordering": ordering, "ordering_seed": ordering_seed})
        dims = spec.dims
        self.order = make_ordering(spec, ordering, ordering_seed)
        # Weights are stored in chain-rule order: column i belongs to position order[i].
        self.W = nn.Parameter(torch.randn(hidden, dims) / math.sqrt(dims))
        self.c = nn.Parameter(torch.zeros(hidden))
        self.V = nn.Parameter(torch.randn(dims, hidden) / math.sqrt(hidden))
        self.b = nn.Parameter(torch.zeros(dims))

    def sequence_logits(self, seq: Tensor, labels: Tensor | None = None) -> Tensor:
        """seq [B, D] in chain-rule order -> logits [B, D, 2] by the O(DH) recurrence."""
        self.labels_for(labels, seq.shape[0])
        contributions = seq.to(self.W.dtype).unsqueeze(-1) * self.W.t().unsqueeze(0)
        a = torch.cumsum(contributions, dim=1) - contributions + self.c
        logit_one = (torch.sigmoid(a) * self.V).sum(-1) + self.b
        return torch.stack([torch.zeros_like(logit_one), logit_one], dim=-1)

    def stepper(self, seq: Tensor, use_cache: bool = True, window: str = "slide",
                labels: Tensor | None = None) -> Stepper:
        self.labels_for(labels, seq.shape[0])
        return NADEStepper(self, seq) if use_cache else super().stepper(seq, use_cache)


class NADEStepper(Stepper):
    """Keeps the hidden pre-activation a_t, so each step costs O(H)."""

    model: NADE

    def __init__(self, model: NADE, seq: Tensor) -> None:
        super().__init__(model, seq)
        self.a = model.c.expand(seq.shape[0], -1).clone()

    def logits(self, t: int) -> Tensor:
        logit_one = torch.sigmoid(self.a) @ self.model.V[t] + self.model.b[t]
        return torch.stack([torch.zeros_like(logit_one), logit_one], dim=-1)

    def commit(self, t: int, values: Tensor) -> None:
        super().commit(t, values)
        self.a = self.a + values.to(self.a.dtype).unsqueeze(1) * self.model.W[:, t]

    def reorder(self, index: Tensor) -> None:
        super().reorder(index)
        self.a = self.a[index]
