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
from arstudio.models.base import ARModel, require_kind
from arstudio.models.orderings import make_ordering

KINDS = ("binary",)
DEFAULTS: dict[str, Any] = {"hidden": 256, "ordering": "raster", "ordering_seed": 0}
HELP = {
    "hidden": ("Hidden units H shared by all conditionals (cost O(D*H)).", 8, 4096),
    "ordering": ("Variable ordering: 'raster' or 'random'.", None, None),
    "ordering_seed": ("Seed of the random ordering.", 0, 2**31 - 1),
}


class NADE(ARModel):
    family = "nade"

    def __init__(self, spec: DataSpec, hidden: int, ordering: str, ordering_seed: int) -> None:
        require_kind("NADE", spec, KINDS)
        super().__init__(spec, {"hidden": hidden, "ordering": ordering, "ordering_seed": ordering_seed})
        dims = spec.dims
        self.order = make_ordering(spec, ordering, ordering_seed)
        # Weights are stored in chain-rule order: column i belongs to position order[i].
        self.W = nn.Parameter(torch.randn(hidden, dims) / math.sqrt(dims))
        self.c = nn.Parameter(torch.zeros(hidden))
        self.V = nn.Parameter(torch.randn(dims, hidden) / math.sqrt(hidden))
        self.b = nn.Parameter(torch.zeros(dims))

    def sequence_logit(self, x_seq: Tensor) -> Tensor:
        """x_seq [B, D] in chain-rule order -> the logit of x=1 at every step, [B, D]."""
        contributions = x_seq.to(self.W.dtype).unsqueeze(-1) * self.W.t().unsqueeze(0)
        a = torch.cumsum(contributions, dim=1) - contributions + self.c
        return (torch.sigmoid(a) * self.V).sum(-1) + self.b

    def logits(self, x: Tensor) -> Tensor:
        self.check_input(x)
        logit_one = self.sequence_logit(self.to_sequence(x))
        two_way = torch.stack([torch.zeros_like(logit_one), logit_one], dim=-1)
        return self.from_sequence(two_way)
