"""The order in which a model fills a sample, and a real sample generated in it, frame by frame.

The order is the model's own: its `order` buffer (NADE's ordering, the raster order of PixelCNN, WaveNet and the
Transformer) or, for MADE, the ordering of the chosen mask as `masks_for` regenerates it. The sample comes from
`generate()`, whose step callback records which position each step filled, so the animation replays what the
generation engine actually did."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import Tensor

from arstudio.errors import UserError
from arstudio.inside.connectivity import mask_count
from arstudio.models.base import ARModel
from arstudio.models.made import MADE
from arstudio.sampling import SamplerConfig, generate
from arstudio.sampling.request import GenerationStep

SEQUENCE_STEPS = {"audio": 1024, "text": 256}
"""How many steps of a sequence are animated at most (the whole spec when shorter): enough to watch, quick to
generate on a CPU."""


def _check_mask(model: ARModel, mask_index: int | None) -> None:
    count = mask_count(model)
    if mask_index is not None and not 0 <= mask_index < count:
        if count == 1:
            raise UserError(f"This {model.family} model has a single ordering; leave the mask out.")
        raise UserError(f"This MADE has {count} masks; pick one from 0 to {count - 1}.")


def generation_order(model: ARModel, mask_index: int | None = None) -> Tensor:
    """LongTensor[D] (CPU): the flat positions of a sample in the order the model fills them.

    mask_index: for MADE, the mask whose ordering to give (None: the mask installed now)."""
    _check_mask(model, mask_index)
    if isinstance(model, MADE) and mask_index is not None:
        return model.masks_for(mask_index)[0].detach().cpu().clone()
    return model.order.detach().cpu().clone()


def step_map(order: Tensor, shape: tuple[int, ...]) -> Tensor:
    """LongTensor[*shape]: at every position, the step (0-based) at which `order` fills it."""
    steps = torch.empty(order.numel(), dtype=torch.long)
    steps[order] = torch.arange(order.numel())
    return steps.view(shape)


def order_name(model: ARModel, mask_index: int | None = None) -> str:
    """A short description of the order, e.g. 'raster order' or 'mask 3's random ordering'."""
    _check_mask(model, mask_index)
    if isinstance(model, MADE):
        index = model.mask_index if mask_index is None else mask_index
        random = model.hparams["order_agnostic"] and index > 0 or model.hparams["ordering"] == "random"
        kind = "random ordering" if random else "raster order"
        return f"mask {index}'s {kind}" if mask_count(model) > 1 and index >= 0 else kind
    if model.hparams.get("ordering") == "random":
        return f"random ordering (seed {model.hparams.get('ordering_seed', 0)})"
    if model.spec.is_sequence:
        return "left-to-right order"
    return "raster order" + (" (R, G, B of each pixel in turn)" if model.spec.shape[0] > 1 else "")


def steps_shown(model: ARModel) -> int:
    """How many steps the animation generates: the whole sample, or the first SEQUENCE_STEPS of a sequence."""
    spec = model.spec
    return min(spec.dims, SEQUENCE_STEPS[spec.kind]) if spec.is_sequence else spec.dims


@dataclass(frozen=True)
class OrderedSample:
    """One generated sample and the order it was filled in.

    sample     LongTensor[*shape]: the finished sample
    order      LongTensor[L]: the flat position filled at each step, as the step callback reported it
    log_probs  Tensor[*shape]: the model's log-probability of each value given those before it in the order
    seed       the sampler seed that reproduces it"""

    sample: Tensor
    order: Tensor
    log_probs: Tensor
    seed: int

    @property
    def steps(self) -> int:
        return int(self.order.numel())

    def filled(self, step: int) -> Tensor:
        """BoolTensor[*shape]: the positions generated in the first `step` steps."""
        if not 0 <= step <= self.steps:
            raise UserError(f"Pick a step between 0 and {self.steps}, got {step}.")
        mask = torch.zeros(self.sample.numel(), dtype=torch.bool)
        mask[self.order[:step]] = True
        return mask.view(self.sample.shape)

    def frame(self, step: int, blank: int = -1) -> Tensor:
        """LongTensor[*shape]: the sample after `step` steps; positions not generated yet hold `blank`."""
        filled = self.filled(step)
        return torch.where(filled, self.sample, torch.full_like(self.sample, blank))


def generate_in_order(model: ARModel, mask_index: int | None = None, seed: int = 0,
                      config: SamplerConfig | None = None) -> OrderedSample:
    """Generate one sample with `model` (MADE: with mask `mask_index`, on a copy so the model keeps its mask) and
    record the position each step fills. A conditional model generates as the first class of every label."""
    _check_mask(model, mask_index)
    if isinstance(model, MADE) and mask_index is not None and mask_index != model.mask_index:
        model = copy.deepcopy(model)
        model.set_mask(mask_index)
    config = config or SamplerConfig(seed=seed)
    positions: list[int] = []

    def record(step: GenerationStep) -> None:
        positions.append(step.position)

    spec = model.spec
    length = steps_shown(model) if spec.is_sequence else None
    labels = torch.zeros(len(spec.labels), dtype=torch.long) if model.conditional else None
    result = generate(model, 1, config, length=length, callback=record, labels=labels)
    order = torch.tensor(positions, dtype=torch.long)
    return OrderedSample(result.samples[0].cpu(), order, result.log_probs[0].cpu(), result.seed)
