"""Logit transforms: the tensor math behind each sampling processor, on logits [B, K].

``repetition_penalty`` divides a positive logit of a value seen in the history by the penalty and
multiplies a negative one (as HuggingFace's RepetitionPenaltyLogitsProcessor); ``apply_temperature``
divides the logits; the filters top-k, top-p, min-p and typical (Meister et al. 2022) set the values
they remove to ``-inf``. Every filter keeps the most probable value of its input, so a row is never
all ``-inf``. Values tied with a filter's cut-off are kept (top-k keeps more than k values on a tie,
which makes a filter independent of the value order), and the probability boundaries of top-p, min-p
and typical are inclusive up to float32 rounding (``_TOL``), so ``top_p=0.8`` on probabilities
``[0.5, 0.3, 0.2]`` keeps two values even when they come from rounded logits. A filter whose setting
is a no-op (top_k=0, top_p=1, min_p=0, typical_p=1) returns its input. Computation is in float32
whatever the input dtype, and the input is never modified.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

_TOL = 1e-5
"""Slack on probability-mass and ratio boundaries, so that float32 rounding does not move a cut-off."""


def repetition_penalty(logits: Tensor, history: Tensor | None, penalty: float, window: int = 0) -> Tensor:
    """Penalise the values present in ``history`` [B, T] (positive logits / penalty, negative ones * penalty)."""
    logits = as_float32(logits)
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
    logits = as_float32(logits)
    return logits if temperature == 1.0 else logits / temperature


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    """Keep the ``k`` largest logits of each row (and any tied with the k-th); ``k=0`` or ``k >= K`` is a no-op."""
    logits = as_float32(logits)
    if k <= 0 or k >= logits.shape[-1]:
        return logits
    kth = torch.topk(logits, k, dim=-1).values[:, -1:]
    return _keep(logits, logits >= kth)


def top_p_filter(logits: Tensor, top_p: float) -> Tensor:
    """Nucleus filter: keep the smallest set of most probable values whose probability is >= ``top_p``."""
    logits = as_float32(logits)
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
    logits = as_float32(logits)
    if min_p <= 0.0:
        return logits
    gap = logits - logits.amax(dim=-1, keepdim=True)
    return _keep(logits, gap >= math.log(min_p) - _TOL)


def typical_filter(logits: Tensor, typical_p: float) -> Tensor:
    """Locally typical filter: keep the smallest set of most typical values with probability >= ``typical_p``.

    A value's atypicality is ``|-log p - H|`` with ``H`` the entropy of the row; values are taken
    from the most typical on until their probability reaches ``typical_p``.
    """
    logits = as_float32(logits)
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


def as_float32(logits: Tensor) -> Tensor:
    """``logits`` as float32, checked to be [B, K]."""
    if logits.dim() != 2:
        raise ValueError(f"logits must be [B, K], got {tuple(logits.shape)}")
    return logits.float()


def _keep(logits: Tensor, keep: Tensor) -> Tensor:
    """``logits`` with the entries outside ``keep`` at -inf; each row's argmax is always kept."""
    keep = keep.scatter(-1, logits.argmax(dim=-1, keepdim=True), True)
    return logits.masked_fill(~keep, -math.inf)
