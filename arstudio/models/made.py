"""MADE (Germain et al., 2015): a masked autoencoder whose connectivity encodes the chain rule.

Every unit carries a connectivity number m. Inputs get m(d) = 1 + their rank in the ordering;
hidden units draw m from [min m of the layer below, D-1]; a hidden unit sees units below with
m' <= m, and output d sees hidden units with m < m(d). Order-agnostic training cycles through
`num_masks` masks (optionally each with its own ordering); evaluation averages the probabilities
of an ensemble of masks.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.models.base import ARModel
from arstudio.models.layers import unit_interval
from arstudio.models.orderings import make_ordering, random_ordering

KINDS = ("binary", "image")
ONE_HOT_MAX_LEVELS = 32
DEFAULTS: dict[str, Any] = {
    "hidden": 256,
    "layers": 2,
    "ordering": "raster",
    "num_masks": 1,
    "order_agnostic": False,
    "ensemble": 0,
    "seed": 0,
}
HELP = {
    "hidden": ("Units in each hidden layer.", 8, 8192),
    "layers": ("Number of masked hidden layers.", 1, 8),
    "ordering": ("Input ordering of the first mask.", ("raster", "random"), None),
    "num_masks": ("Masks cycled through in training (1 = a single fixed MADE).", 1, 1024),
    "order_agnostic": ("Give every mask its own random ordering.", None, None),
    "ensemble": ("Masks averaged at evaluation (0 = all of them).", 0, 1024),
    "seed": ("Seed of the connectivity numbers and orderings.", 0, 2**31 - 1),
}


def hidden_degrees(units: int, low: int, dims: int, gen: torch.Generator) -> Tensor:
    """Connectivity numbers of a hidden layer, drawn from [low, D-1].

    When there are enough units, every number in the range appears (in shuffled, balanced
    counts) so that no conditional loses a predecessor by chance.
    """
    low = min(low, dims - 1)
    if dims == 1:
        return torch.zeros(units, dtype=torch.long)
    span = dims - low
    if units >= span:
        balanced = low + torch.arange(units) % span
        return balanced[torch.randperm(units, generator=gen)]
    return torch.randint(low, dims, (units,), generator=gen)


class MaskedLinear(nn.Linear):
    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__(in_features, out_features)
        self.register_buffer("mask", torch.ones(out_features, in_features))

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


class MADE(ARModel):
    family = "made"

    def __init__(
        self,
        spec: DataSpec,
        hidden: int,
        layers: int,
        ordering: str,
        num_masks: int,
        order_agnostic: bool,
        ensemble: int,
        seed: int,
    ) -> None:
        if num_masks < 1 or layers < 1 or hidden < 1:
            raise UserError("MADE needs at least one mask, one hidden layer and one hidden unit.")
        super().__init__(spec, dict(hidden=hidden, layers=layers, ordering=ordering, num_masks=num_masks,
                                    order_agnostic=order_agnostic, ensemble=ensemble, seed=seed))
        dims, levels = spec.dims, spec.levels
        self.one_hot = levels <= ONE_HOT_MAX_LEVELS
        self.in_width = levels if self.one_hot else 1
        self.first_order = make_ordering(spec, ordering, seed)
        sizes = [dims * self.in_width] + [hidden] * layers
        self.hidden_layers = nn.ModuleList(MaskedLinear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=False))
        self.output = MaskedLinear(hidden, dims * levels)
        self.mask_index = -1
        self.set_mask(0)
        self.register_load_state_dict_post_hook(self._after_load)

    def set_mask(self, index: int) -> None:
        """Install mask `index` (0..num_masks-1): its ordering and connectivity numbers."""
        index %= self.hparams["num_masks"]
        if index == self.mask_index:
            return
        order, hidden_masks, output_mask = self.masks_for(index)
        for layer, mask in zip(self.hidden_layers, hidden_masks, strict=True):
            layer.mask.copy_(mask)
        self.output.mask.copy_(output_mask)
        self.order = order.to(self.order.device)
        self.mask_index = index

    def masks_for(self, index: int) -> tuple[Tensor, list[Tensor], Tensor]:
        """Mask `index`'s ordering, hidden-layer masks and output mask, regenerated from (seed, index)."""
        gen = torch.Generator().manual_seed(int(self.hparams["seed"]) * 100_003 + index)
        if index > 0 and self.hparams["order_agnostic"]:
            order = random_ordering(self.spec, gen)
        else:
            order = self.first_order
        dims = self.spec.dims
        degree_in = torch.empty(dims, dtype=torch.long)
        degree_in[order] = torch.arange(1, dims + 1)
        below = degree_in.repeat_interleave(self.in_width)
        hidden_masks = []
        for layer in self.hidden_layers:
            degrees = hidden_degrees(layer.out_features, int(below.min()), dims, gen)
            hidden_masks.append((degrees.unsqueeze(1) >= below.unsqueeze(0)).float())
            below = degrees
        out_degrees = degree_in.repeat_interleave(self.spec.levels)
        return order, hidden_masks, (out_degrees.unsqueeze(1) > below.unsqueeze(0)).float()

    def _after_load(self, *_: object) -> None:
        """Loaded weights bring the masks that were installed when they were saved: find which index that is, so
        that set_mask and the ensemble never take them for another mask."""
        self.mask_index = -1
        for index in range(self.hparams["num_masks"]):
            order, hidden_masks, output_mask = self.masks_for(index)
            if torch.equal(output_mask, self.output.mask.cpu()) and all(
                    torch.equal(mask, layer.mask.cpu()) for mask, layer in zip(hidden_masks, self.hidden_layers,
                                                                                strict=True)):
                self.order = order.to(self.order.device)
                self.mask_index = index
                return

    def connectivity(self) -> Tensor:
        """[D, D] bool: whether the masks leave a path from input variable i to output variable j."""
        dims = self.spec.dims
        paths = self.output.mask.view(dims, self.spec.levels, -1).amax(1)
        for layer in reversed(self.hidden_layers):
            paths = (paths @ layer.mask).clamp(max=1)
        return paths.view(dims, dims, self.in_width).amax(-1).t() > 0

    def on_train_step(self, step: int) -> None:
        self.set_mask(step)

    def encode_input(self, x: Tensor) -> Tensor:
        flat = x.flatten(1)
        if self.one_hot:
            return F.one_hot(flat, self.spec.levels).to(self.output.weight.dtype).flatten(1)
        return unit_interval(flat, self.spec.levels, self.output.weight.dtype)

    def logits(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        self.check_input(x)
        self.labels_for(labels, x.shape[0])
        h = self.encode_input(x)
        for layer in self.hidden_layers:
            h = torch.relu(layer(h))
        return self.output(h).view(x.shape[0], *self.spec.shape, self.spec.levels)

    def eval_log_prob(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """log of the mean probability over the first `ensemble` masks (all when 0)."""
        count = self.hparams["ensemble"] or self.hparams["num_masks"]
        count = min(count, self.hparams["num_masks"])
        if count == 1:
            return self.log_prob(x, labels)
        current = self.mask_index
        installed = [layer.mask.clone() for layer in (*self.hidden_layers, self.output)], self.order.clone()
        per_mask = []
        for index in range(count):
            self.set_mask(index)
            per_mask.append(self.log_prob(x, labels))
        if current >= 0:
            self.set_mask(current)
        else:
            for layer, mask in zip((*self.hidden_layers, self.output), installed[0], strict=True):
                layer.mask.copy_(mask)
            self.order, self.mask_index = installed[1], -1
        return torch.logsumexp(torch.stack(per_mask), dim=0) - math.log(count)
