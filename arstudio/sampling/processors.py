"""Logit processors: turn a model's conditional logits into the distribution a sampler draws from.

:func:`apply_processors` composes the processors below in a fixed order:

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

Removed entries become ``-inf``. Every filter keeps the most probable value of its input, so a row
is never all ``-inf`` and the argmax of the result is the argmax after the repetition penalty;
greedy decoding can take ``argmax`` of the output. Values tied with a filter's cut-off are kept
(top-k keeps more than k values on a tie, which makes a filter independent of the value order), and
the probability boundaries of top-p, min-p and typical are inclusive up to float32 rounding
(``_TOL``), so ``top_p=0.8`` on probabilities ``[0.5, 0.3, 0.2]`` keeps two values even when they come
from rounded logits. A filter whose setting is a no-op (top_k=0, top_p=1, min_p=0, typical_p=1) is
skipped. Computation is in float32 whatever the input dtype, and the input is never modified.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from arstudio.sampling.config import SamplerConfig

_TOL = 1e-5
"""Slack on probability-mass and ratio boundaries, so that float32 rounding does not move a cut-off."""


def repetition_penalty(logits: Tensor, history: Tensor | None, penalty: float, window: int = 0) -> Tensor:
    """Penalise the values present in ``history`` [B, T] (positive logits / penalty, negative ones * penalty)."""
    logits = _as_float32(logits)
    if history is None or penalty == 1.0 or history.numel() == 0:
        return logits
    batch, levels = logits.shape
    if history.dim() != 2 or history.shape[0] != batch:
        raise ValueError(f"history must be [B={batch}, T], got {tuple(history.shape)}")
    if window > 0:
        history = history[:, -window:]
    history = history.to(device=logits.device, dtype=torch.long)
    if bool((history >= levels).any()):
        raise ValueError(f"history holds values >= K={levels}")
    index = torch.where(history >= 0, history, levels)
    seen = torch.zeros(batch, levels + 1, dtype=torch.bool, device=logits.device)
    seen.scatter_(1, index, True)
    penalised = torch.where(logits < 0, logits * penalty, logits / penalty)
    return torch.where(seen[:, :levels], penalised, logits)


def apply_temperature(logits: Tensor, temperature: float) -> Tensor:
    """Divide the logits by ``temperature`` (> 0): below 1 sharpens, above 1 flattens."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    logits = _as_float32(logits)
    return logits if temperature == 1.0 else logits / temperature


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    """Keep the ``k`` largest logits of each row (and any tied with the k-th); ``k=0`` or ``k >= K`` is a no-op."""
    logits = _as_float32(logits)
    if k <= 0 or k >= logits.shape[-1]:
        return logits
    kth = torch.topk(logits, k, dim=-1).values[:, -1:]
    return _keep(logits, logits >= kth)


def top_p_filter(logits: Tensor, top_p: float) -> Tensor:
    """Nucleus filter: keep the smallest set of most probable values whose probability is >= ``top_p``."""
    logits = _as_float32(logits)
    if top_p >= 1.0:
        return logits
    probs = torch.softmax(logits, dim=-1)
    sorted_probs, _ = torch.sort(probs, dim=-1, descending=True)
    mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
    needed = mass_before < top_p - _TOL
    needed[:, 0] = True
    cutoff = torch.where(needed, sorted_probs, torch.ones_like(sorted_probs)).amin(dim=-1, keepdim=True)
    return _keep(logits, probs >= cutoff)


def min_p_filter(logits: Tensor, min_p: float) -> Tensor:
    """Keep the values whose probability is >= ``min_p`` times the largest probability of the row."""
    logits = _as_float32(logits)
    if min_p <= 0.0:
        return logits
    gap = logits - logits.amax(dim=-1, keepdim=True)
    return _keep(logits, gap >= math.log(min_p) - _TOL)


def typical_filter(logits: Tensor, typical_p: float) -> Tensor:
    """Locally typical filter: keep the smallest set of most typical values with probability >= ``typical_p``.

    A value's atypicality is ``|-log p - H|`` with ``H`` the entropy of the row; values are taken
    from the most typical on until their probability reaches ``typical_p``.
    """
    logits = _as_float32(logits)
    if typical_p >= 1.0:
        return logits
    log_probs = torch.log_softmax(logits, dim=-1)
    probs = log_probs.exp()
    entropy = -torch.where(probs > 0, probs * log_probs, torch.zeros_like(probs)).sum(dim=-1, keepdim=True)
    atypicality = (-log_probs - entropy).abs()
    sorted_atyp, order = torch.sort(atypicality, dim=-1)
    sorted_probs = probs.gather(-1, order)
    mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
    needed = mass_before < typical_p - _TOL
    needed[:, 0] = True
    inf = torch.full_like(sorted_atyp, math.inf)
    cutoff = torch.where(needed, sorted_atyp, -inf).amax(dim=-1, keepdim=True)
    return _keep(logits, atypicality <= cutoff)


def apply_processors(logits: Tensor, config: SamplerConfig, history: Tensor | None = None) -> Tensor:
    """Turn ``logits`` [B, K] into the (unnormalised log) distribution to draw from, as float32 [B, K].

    ``history`` [B, T] holds the values already in each row's sequence (negative = padding) and is
    only used by the repetition penalty.
    """
    if logits.dim() != 2:
        raise ValueError(f"logits must be [B, K], got {tuple(logits.shape)}")
    out = logits.to(torch.float32, copy=True)
    out = repetition_penalty(out, history, config.repetition_penalty, config.repetition_window)
    out = apply_temperature(out, config.temperature)
    out = top_k_filter(out, config.top_k)
    out = top_p_filter(out, config.top_p)
    out = min_p_filter(out, config.min_p)
    return typical_filter(out, config.typical_p)


def is_identity(config: SamplerConfig) -> bool:
    """Whether apply_processors leaves the logits as they are (temperature 1, no penalty, no filter)."""
    return (config.temperature == 1.0 and config.repetition_penalty == 1.0 and config.top_k == 0
            and config.top_p >= 1.0 and config.min_p <= 0.0 and config.typical_p >= 1.0)


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
    probs = torch.softmax(_as_float32(logits), dim=-1)
    top = torch.topk(probs, min(k, probs.shape[-1]), dim=-1)
    return top.indices, top.values


def _as_float32(logits: Tensor) -> Tensor:
    if logits.dim() != 2:
        raise ValueError(f"logits must be [B, K], got {tuple(logits.shape)}")
    return logits.float()


def _keep(logits: Tensor, keep: Tensor) -> Tensor:
    """``logits`` with the entries outside ``keep`` at -inf; each row's argmax is always kept."""
    keep = keep.scatter(-1, logits.argmax(dim=-1, keepdim=True), True)
    return logits.masked_fill(~keep, -math.inf)
