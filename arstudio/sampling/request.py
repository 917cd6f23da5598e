"""Turning generate()'s arguments into chain-rule-ordered tensors, and results back into shapes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import torch
from torch import Tensor

from arstudio.errors import UserError
from arstudio.models.base import ARModel
from arstudio.models.steppers import WINDOW_POLICIES, Stepper
from arstudio.sampling.processors import candidates

TOP_CANDIDATES = 5
"""How many of the most probable values a GenerationStep offers."""


@dataclass
class GenerationStep:
    """What a callback sees after each step of the chain rule.

    step          index into the generation order (0 .. total-1)
    position      the flat index into the sample's shape that was just filled
    values        LongTensor[B]: the values chosen for every sample (or best beams)
    logits        Tensor[B, K]: the processed logits (or log-probabilities) they were drawn from
    probs         Tensor[B, K]: that distribution, normalised
    top_values, top_probs   its TOP_CANDIDATES most probable values and their probabilities, [B, k]

    probs and the candidates are computed when first read, so a callback that follows only the
    values (audio, images) does not pay for them at every step.
    """

    step: int
    total: int
    position: int
    values: Tensor
    logits: Tensor
    _samples: Callable[[], Tensor] = field(repr=False)

    @property
    def samples(self) -> Tensor:
        """The samples so far, in their final shape (unfilled positions hold 0 or their known value)."""
        return self._samples()

    @cached_property
    def probs(self) -> Tensor:
        return torch.softmax(self.logits.float(), dim=-1)

    @cached_property
    def _candidates(self) -> tuple[Tensor, Tensor]:
        return candidates(self.logits, TOP_CANDIDATES)

    @property
    def top_values(self) -> Tensor:
        return self._candidates[0]

    @property
    def top_probs(self) -> Tensor:
        return self._candidates[1]


StepCallback = Callable[[GenerationStep], "bool | None"]
"""Called after every step; returning True stops generation early."""

StepperFactory = Callable[..., Stepper]
"""Makes the stepper for [n, L] values in chain-rule order and `labels=` [n, F] or None (the model's, with the
request's cache and window)."""


@dataclass
class GenerationResult:
    """samples LongTensor[n, *shape]; log_probs Tensor[n, *shape] holds, at every position, the
    model's own log-probability of the value there given what it was conditioned on: what precedes
    it in the order, past a Transformer's context the window that `window_policy` ("shift" or
    "slide") kept; None for families whose conditioning has no policy (WaveNet, fixed sizes)."""

    samples: Tensor
    log_probs: Tensor
    seed: int
    stopped_early: bool = False
    window_policy: str | None = None

    @property
    def log_likelihood(self) -> Tensor:
        """Tensor[n]: the exact log-likelihood of each sample in nats."""
        return self.log_probs.flatten(1).sum(1)


@dataclass
class Layout:
    """How generated sequences (chain-rule order, [n, L]) map to the samples' shape."""

    model: ARModel
    length: int

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.length,) if self.model.spec.is_sequence else self.model.spec.shape

    @cached_property
    def order(self) -> Tensor:
        """[L]: the flat position in the sample that each step of the chain rule fills."""
        if self.model.spec.is_sequence:
            return torch.arange(self.length, device=self.model.order.device)
        return self.model.order

    @cached_property
    def positions(self) -> list[int]:
        """`order` as Python numbers, for per-step reports."""
        return self.order.tolist()

    def to_sequence(self, x: Tensor) -> Tensor:
        return x.flatten(1)[:, self.order]

    def from_sequence(self, seq: Tensor) -> Tensor:
        out = torch.empty_like(seq)
        out[:, self.order] = seq
        return out.view(seq.shape[0], *self.shape)


def resolve_length(model: ARModel, length: int | None) -> int:
    spec = model.spec
    if length is None:
        return spec.dims
    if not spec.is_sequence:
        raise UserError(f"A length applies only to audio and text; {spec.kind} samples have shape {spec.shape}.")
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise UserError(f"The length to generate must be a positive whole number, got {length!r}.")
    return length


def resolve_window(model: ARModel, window: str) -> str | None:
    """The window policy that applies to `model` (None where it has none); UserError if unknown."""
    if window not in WINDOW_POLICIES:
        raise UserError(f"Unknown window policy {window!r}: use one of {', '.join(WINDOW_POLICIES)}.")
    return window if window in model.window_policies else None


def known_tensors(layout: Layout, n: int, known: Tensor | None, known_mask: Tensor | None,
                  device: torch.device) -> tuple[Tensor, Tensor]:
    """(values, mask) as [n, L] in chain-rule order; unknown positions hold 0 and False."""
    shape, levels = layout.shape, layout.model.spec.levels
    values = torch.zeros(n, *shape, dtype=torch.long, device=device)
    mask = torch.zeros(n, *shape, dtype=torch.bool, device=device)
    if known is None:
        if known_mask is not None and bool(torch.as_tensor(known_mask).any()):
            raise UserError("A known-value mask was given without the known values.")
        return layout.to_sequence(values), layout.to_sequence(mask)
    known = torch.as_tensor(known, device=device).long()
    given = _fit(known, shape, n, "known values")
    if known_mask is None:
        given_mask = torch.ones(given.shape, dtype=torch.bool, device=device)
    else:
        given_mask = _fit(torch.as_tensor(known_mask, device=device).bool(), shape, n, "known-value mask")
        if given_mask.shape[1:] != given.shape[1:]:
            raise UserError(f"The known values {tuple(given.shape[1:])} and their mask "
                            f"{tuple(given_mask.shape[1:])} must have the same shape.")
    if bool(((given < 0) | (given >= levels))[given_mask].any()):
        raise UserError(f"Known values must lie in 0..{levels - 1}.")
    region = (slice(None),) + tuple(slice(0, s) for s in given.shape[1:])
    values[region] = torch.where(given_mask, given, 0)
    mask[region] = given_mask
    return layout.to_sequence(values), layout.to_sequence(mask)


def _fit(tensor: Tensor, shape: tuple[int, ...], n: int, what: str) -> Tensor:
    """Broadcast [*s] or [n, *s] to [n, *s], where s fits in shape (a prefix for sequences)."""
    if tensor.dim() == len(shape):
        tensor = tensor.unsqueeze(0)
    if tensor.dim() != len(shape) + 1 or tensor.shape[0] not in (1, n):
        raise UserError(f"The {what} have shape {tuple(tensor.shape)}; expected {shape} or ({n}, *{shape}).")
    if len(shape) == 1:
        if tensor.shape[1] > shape[0]:
            raise UserError(f"The {what} cover {tensor.shape[1]} steps but only {shape[0]} are generated.")
    elif tuple(tensor.shape[1:]) != shape:
        raise UserError(f"The {what} have shape {tuple(tensor.shape[1:])}; the model's samples are {shape}.")
    return tensor.expand(n, *tensor.shape[1:])
