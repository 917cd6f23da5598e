"""The sampler chain, stage by stage: the distribution a model gives the next value and what each processor of
``SamplerConfig.order`` makes of it, with its entropy and how many values survive.

:func:`processor_chain` runs the same stages as :func:`~arstudio.sampling.processors.apply_processors` (it calls
the same :func:`~arstudio.sampling.processors.apply_stage`), so its last stage is exactly the distribution a
sampler draws from. :func:`next_value_logits` asks any model for the logits of the value after a context.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from arstudio.errors import UserError
from arstudio.models.base import ARModel
from arstudio.sampling.config import SamplerConfig
from arstudio.sampling.knobs import KNOB
from arstudio.sampling.processors import apply_stage

MODEL = "model"
"""The name of the first stage: the model's own distribution, before any processor."""


@dataclass(frozen=True)
class ChainStage:
    """The distribution after one stage: ``logits`` float32 [K] (removed values at -inf), ``probs`` [K] their
    softmax, ``entropy`` in nats, ``survivors`` the number of values left; ``skipped`` when the stage's knob is
    neutral (or, for the repetition penalty, there is no history), so it changed nothing."""

    name: str
    label: str
    logits: Tensor
    probs: Tensor
    entropy: float
    survivors: int
    skipped: bool


def processor_chain(logits: Tensor, config: SamplerConfig, history: Tensor | None = None) -> list[ChainStage]:
    """The model's distribution (``logits`` [K] or [1, K]) and the one after every stage of ``config.order``.

    ``history`` ([T] or [1, T], negative = padding) is what the repetition penalty looks at. The last stage's
    logits equal ``apply_processors(logits.view(1, K), config, history)[0]`` exactly.
    """
    if logits.dim() == 2 and logits.shape[0] == 1:
        logits = logits[0]
    if logits.dim() != 1:
        raise ValueError(f"logits must be [K] or [1, K], got {tuple(logits.shape)}")
    if history is not None:
        history = torch.as_tensor(history, dtype=torch.long).reshape(1, -1)
    out = logits.to(torch.float32, copy=True).unsqueeze(0)
    stages = [_stage(MODEL, "model", out[0], False)]
    for name in config.order:
        out = apply_stage(out, name, config, history)
        knob = KNOB[name]
        value = getattr(config, name)
        skipped = knob.is_neutral(value) or (name == "repetition_penalty" and (history is None or not history.numel()))
        stages.append(_stage(name, stage_label(name, config), out[0], skipped))
    return stages


def stage_label(name: str, config: SamplerConfig) -> str:
    """A stage with its setting, e.g. ``"top-p 0.9"`` (``"top-p off"`` when neutral)."""
    knob = KNOB[name]
    value = getattr(config, name)
    label = knob.describe(value) if not knob.is_neutral(value) else f"{knob.short} off"
    if name == "repetition_penalty" and config.repetition_window and not knob.is_neutral(value):
        label += f" (last {config.repetition_window})"
    return label


def top_candidates(stages: list[ChainStage], k: int) -> Tensor:
    """The indices of the ``k`` most probable values under the first stage (most probable first), capped at K."""
    if not stages:
        raise ValueError("no stages")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    probs = stages[0].probs
    return torch.topk(probs, min(k, probs.numel())).indices


def next_value_logits(model: ARModel, context: Tensor, labels: Tensor | None = None) -> Tensor:
    """The logits [K] the model gives the value after ``context`` (values in its chain-rule order).

    A model of sequences of any length (``window`` set) sees the context's last ``window`` values; a model of a
    fixed size needs fewer than its D values (the rest of its input is zeros, which it cannot see).
    """
    context = torch.as_tensor(context, dtype=torch.long).flatten().to(model.order.device)
    dims = model.spec.dims
    if model.window is not None:
        context = context[len(context) - min(len(context), model.window):]
        seq = torch.cat([context, context.new_zeros(1)]).unsqueeze(0)
        step = len(context)
    else:
        if len(context) >= dims:
            raise UserError(f"This {model.family} model has {dims} values; a context of {len(context)} leaves no "
                            f"next value. Choose a position below {dims}.")
        seq = torch.zeros(1, dims, dtype=torch.long, device=context.device)
        seq[0, :len(context)] = context
        step = len(context)
    if model.conditional and labels is None:
        labels = torch.zeros(1, len(model.spec.labels), dtype=torch.long)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            logits = model.sequence_logits(seq, model.labels_for(labels, 1))
    finally:
        model.train(was_training)
    return logits[0, step].float().cpu()


def _stage(name: str, label: str, logits: Tensor, skipped: bool) -> ChainStage:
    probs = torch.softmax(logits, -1)
    log_p = torch.log_softmax(logits, -1)
    entropy = -torch.where(probs > 0, probs * log_p, torch.zeros_like(probs)).sum()
    return ChainStage(name, label, logits, probs, max(0.0, float(entropy)), int(torch.isfinite(logits).sum()),
                      skipped)
