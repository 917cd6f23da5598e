"""Steppers: the conditionals of a batch being generated, one step of the chain rule at a time.

A stepper owns `seq` [B, L], the values in chain-rule order (column t is step t). The generator
asks `logits(t)` for the conditional of step t given seq[:, :t], then `commit(t, values)`.
Recomputing steppers run the whole network each step; caching steppers (in the family modules)
keep what earlier steps computed and must give the same logits.

Past its context, a model that reads its input behind a start token (the Transformer) needs a window
policy, which the stepper applies:
- "slide": step t sees the last `window` values (exact sliding window; every step moves it);
- "shift": the window stays put until it is full, then drops its oldest half and starts again from
  the kept half (as llama.cpp shifts its context), so a cache is rebuilt once per half a context
  instead of every step; each step still sees at least half a context.
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import Tensor

WINDOW_POLICIES = ("shift", "slide")


def window_start(policy: str, t: int, window: int) -> int:
    """The first value step t sees under `policy`, for a model that sees `window` preceding values.

    Both policies start at 0 while t <= window. "shift" keeps the newest (window + 1) // 2 values
    (half the context, start token aside) when the window overflows, so its start moves by
    `period` values at a time.
    """
    if policy == "slide":
        return max(0, t - window)
    keep = (window + 1) // 2
    period = window + 1 - keep
    return max(0, (t - keep) // period) * period


class SteppedModel(Protocol):
    """What a recomputing stepper asks of its model (every ARModel has it)."""

    window: int | None
    """How many preceding values a step sees, for sequences of any length; None for fixed sizes."""

    def sequence_logits(self, seq: Tensor, labels: Tensor | None = None) -> Tensor:
        """seq [B, L] in chain-rule order -> logits [B, L, K]; step t depends on seq[:, :t] only."""


class Stepper:
    """labels: LongTensor[B, F], the classes a conditional model generates as (None for others); they
    follow `reorder` like seq."""

    def __init__(self, model: SteppedModel, seq: Tensor, labels: Tensor | None = None) -> None:
        self.model = model
        self.seq = seq
        self.labels = labels

    def logits(self, t: int) -> Tensor:
        """[B, K]: the conditional logits of step t given seq[:, :t]."""
        raise NotImplementedError

    def prefix_logits(self, count: int) -> Tensor:
        """[B, count, K]: steps 0..count-1 at once, when seq[:, :count] is already known."""
        out = []
        for t in range(count):
            out.append(self.logits(t))
            self.commit(t, self.seq[:, t])
        return torch.stack(out, dim=1)

    def commit(self, t: int, values: Tensor) -> None:
        self.seq[:, t] = values

    def reorder(self, index: Tensor) -> None:
        """Keep rows `index` (beam search): seq, the labels and every cache follow."""
        self.seq = self.seq[index]
        if self.labels is not None:
            self.labels = self.labels[index]


class RecomputeStepper(Stepper):
    """Runs the model on the whole input (fixed-size kinds) or on the window that step t sees.

    `policy` (one of WINDOW_POLICIES) says how that window moves past the context; families whose
    window is exact (WaveNet's receptive field) keep the default "slide".
    """

    def __init__(self, model: SteppedModel, seq: Tensor, policy: str = "slide", labels: Tensor | None = None) -> None:
        super().__init__(model, seq, labels)
        self.policy = policy

    def logits(self, t: int) -> Tensor:
        window = self.model.window
        if window is None:
            return self.model.sequence_logits(self.seq, self.labels)[:, t]
        start = window_start(self.policy, t, window)
        return self.model.sequence_logits(self.seq[:, start:t + 1], self.labels)[:, -1]

    def prefix_logits(self, count: int) -> Tensor:
        if self.model.window is None or count > self.model.window + 1:
            return super().prefix_logits(count)
        return self.model.sequence_logits(self.seq[:, :count], self.labels)
