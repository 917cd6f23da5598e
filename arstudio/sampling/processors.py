"""Logit processors: turn a model's conditional logits into the distribution a sampler draws from.

:func:`apply_processors` composes the processors below in ``config.order``, by default:

1. repetition penalty: for every value seen in ``history`` (only its last ``repetition_window``
   columns when that is > 0; negative entries are padding), a positive logit is divided by the
   penalty and a negative one multiplied by it (as HuggingFace's RepetitionPenaltyLogitsProcessor);
2. temperature: logits are divided by it;
3. the filters, each seeing the distribution left by the previous ones (softmax over the entries
   that survived):
   top-k (keep the k largest), top-p (keep the smallest set of most probable values whose
   probability is >= top_p), min-p (keep p >= min_p * p_max) and typical (Meister et al. 2022:
   keep the smallest set of values whose ``|-log p - H|`` is smallest and whose probability is
   >= typical_p).

Removed entries become ``-inf``. Every filter keeps the most probable value of its input, so the
argmax of the result is the argmax after the repetition penalty; greedy decoding can take ``argmax``
of the output. The processors are the knobs of :mod:`arstudio.sampling.knobs` (each with its no-op
value, which skips it) and their tensor math is :mod:`arstudio.sampling.transforms`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from arstudio.sampling.config import SamplerConfig
from arstudio.sampling.knobs import PROCESSORS, REPETITION_PENALTY, WARPERS
from arstudio.sampling.transforms import as_float32, repetition_penalty

WARPER = {knob.name: knob for knob in WARPERS}


def apply_processors(logits: Tensor, config: SamplerConfig, history: Tensor | None = None) -> Tensor:
    """Turn ``logits`` [B, K] into the (unnormalised log) distribution to draw from, as float32 [B, K].

    ``history`` [B, T] holds the values already in each row's sequence (negative = padding) and is
    only used by the repetition penalty.
    """
    if logits.dim() != 2:
        raise ValueError(f"logits must be [B, K], got {tuple(logits.shape)}")
    out = logits.to(torch.float32, copy=True)
    for name in config.order:
        out = apply_stage(out, name, config, history)
    return out


def apply_stage(logits: Tensor, name: str, config: SamplerConfig, history: Tensor | None = None) -> Tensor:
    """One processor stage (a name of ``config.order``) with its setting in ``config``, on float32 ``logits`` [B, K]."""
    if name == REPETITION_PENALTY.name:
        return repetition_penalty(logits, history, config.repetition_penalty, config.repetition_window)
    return WARPER[name].process(logits, getattr(config, name))


def is_identity(config: SamplerConfig) -> bool:
    """Whether apply_processors leaves the logits as they are (temperature 1, no penalty, no filter)."""
    return all(knob.is_neutral(getattr(config, knob.name)) for knob in PROCESSORS)


def draw(probs: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """One value per row of ``probs`` [B, K] (non-negative weights): the argmax of p / E with E ~ Exp(1).

    This exponential race samples exactly from the normalised weights. It is the algorithm behind
    ``torch.multinomial(probs, 1)`` on the CPU, so the draws are the same, without that call's overhead.
    """
    noise = torch.empty_like(probs).exponential_(generator=generator)
    return (probs / noise).argmax(-1)


def candidates(logits: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """The ``k`` most probable values of each row of processed ``logits`` and their probabilities.

    Returns ``(values LongTensor[B, k], probs Tensor[B, k])``, most probable first; probabilities are
    the softmax over the surviving entries (removed ones have probability 0). ``k`` is capped at K.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    probs = torch.softmax(as_float32(logits), dim=-1)
    top = torch.topk(probs, min(k, probs.shape[-1]), dim=-1)
    return top.indices, top.values
