"""The connectivity that masks give NADE and MADE: mask matrices per layer and what each output can reach.

Read from the model's own mask buffers (MADE) or its ordering (NADE, whose shared hidden layer at step i sums
the inputs before step i), never from a separate formula."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from arstudio.errors import UserError
from arstudio.models.base import ARModel
from arstudio.models.made import MADE
from arstudio.models.nade import NADE


@dataclass(frozen=True)
class Connectivity:
    """A layered graph: `sizes[l]` units in layer l (0: the input variables, last: the output variables) and
    `masks[l]` [sizes[l+1], sizes[l]] 0/1, whether unit j of layer l feeds unit i of layer l+1."""

    names: list[str]
    masks: list[Tensor]
    order: Tensor
    """The chain-rule order these masks belong to (flat positions)."""

    @property
    def sizes(self) -> list[int]:
        return [self.masks[0].shape[1]] + [mask.shape[0] for mask in self.masks]

    def reachable(self, output: int) -> list[Tensor]:
        """Per layer, a bool vector of the units with a path to output variable `output` (the last entry is the
        output itself)."""
        if not 0 <= output < self.sizes[-1]:
            raise UserError(f"Pick an output variable between 0 and {self.sizes[-1] - 1}, got {output}.")
        reach = torch.zeros(self.sizes[-1], dtype=torch.bool)
        reach[output] = True
        layers = [reach]
        for mask in reversed(self.masks):
            reach = (reach.float() @ mask) > 0
            layers.append(reach)
        return layers[::-1]

    def dependencies(self) -> Tensor:
        """[D, D] bool: [i, j] whether input variable i has a path to output variable j."""
        paths = self.masks[-1]
        for mask in reversed(self.masks[:-1]):
            paths = (paths @ mask).clamp(max=1)
        return paths.t() > 0

    def inputs_seen(self) -> list[Tensor]:
        """Per layer, how many input variables each unit can be reached from (MADE's connectivity number)."""
        seen = torch.eye(self.sizes[0])
        counts = [seen.sum(1)]
        for mask in self.masks:
            seen = (mask @ seen).clamp(max=1)
            counts.append(seen.sum(1))
        return counts


def connectivity(model: ARModel, mask_index: int | None = None) -> Connectivity:
    """The connectivity of a NADE or of a MADE's mask `mask_index` (None: the mask installed now)."""
    if isinstance(model, MADE):
        return _made(model, mask_index)
    if isinstance(model, NADE):
        return _nade(model)
    raise UserError(f"Masks are how NADE and MADE keep the chain rule; a {model.family} model keeps it with "
                    "masked convolutions or causal attention: see its receptive field instead.")


def mask_count(model: ARModel) -> int:
    """How many masks order-agnostic training cycles through (1 for NADE and a single MADE)."""
    return int(model.hparams.get("num_masks", 1)) if isinstance(model, MADE) else 1


def _made(model: MADE, mask_index: int | None) -> Connectivity:
    if mask_index is None:
        layers = [layer.mask for layer in model.hidden_layers]
        output, order = model.output.mask, model.order
    else:
        if not 0 <= mask_index < model.hparams["num_masks"]:
            raise UserError(f"This MADE has {model.hparams['num_masks']} masks; pick one from 0 to "
                            f"{model.hparams['num_masks'] - 1}.")
        order, layers, output = model.masks_for(mask_index)
    dims, width, levels = model.spec.dims, model.in_width, model.spec.levels
    first = layers[0].detach().cpu().view(-1, dims, width).amax(-1)
    hidden = [mask.detach().cpu() for mask in layers[1:]]
    last = output.detach().cpu().view(dims, levels, -1).amax(1)
    names = ["inputs"] + [f"hidden {i + 1}" for i in range(len(layers))] + ["outputs"]
    return Connectivity(names, [first, *hidden, last], order.detach().cpu())


def _nade(model: NADE) -> Connectivity:
    """NADE's hidden layer at step i, h_i = sigmoid(c + W[:, <i] x_<i), drawn as one unit per step."""
    dims = model.spec.dims
    order = model.order.detach().cpu()
    rank = torch.empty(dims, dtype=torch.long)
    rank[order] = torch.arange(dims)
    sees = (rank.unsqueeze(0) < rank.unsqueeze(1)).float()
    steps = sees[order]
    to_output = torch.zeros(dims, dims)
    to_output[order, torch.arange(dims)] = 1.0
    return Connectivity(["inputs", "hidden state per step", "outputs"], [steps, to_output], order)
