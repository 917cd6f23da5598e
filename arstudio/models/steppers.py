"""Steppers: the conditionals of a batch being generated, one step of the chain rule at a time.

A stepper owns `seq` [B, L], the values in chain-rule order (column t is step t). The generator
asks `logits(t)` for the conditional of step t given seq[:, :t], then `commit(t, values)`.
Recomputing steppers run the whole network each step; caching steppers (in the family modules)
keep what earlier steps computed and must give the same logits.
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import Tensor


class SteppedModel(Protocol):
    """What a recomputing stepper asks of its model (every ARModel has it)."""

    window: int | None
    """How many preceding values a step sees, for sequences of any length; None for fixed sizes."""

    def sequence_logits(self, seq: Tensor) -> Tensor:
        """seq [B, L] in chain-rule order -> logits [B, L, K]; step t depends on seq[:, :t] only."""


class Stepper:
    def __init__(self, model: SteppedModel, seq: Tensor) -> None:
        self.model = model
        self.seq = seq

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
        """Keep rows `index` (beam search): seq and every cache follow."""
        self.seq = self.seq[index]


class RecomputeStepper(Stepper):
    """Runs the model on the whole input (fixed-size kinds) or on the window that step t sees."""

    def logits(self, t: int) -> Tensor:
        window = self.model.window
        if window is None:
            return self.model.sequence_logits(self.seq)[:, t]
        start = max(0, t - window)
        return self.model.sequence_logits(self.seq[:, start:t + 1])[:, -1]

    def prefix_logits(self, count: int) -> Tensor:
        if self.model.window is None or count > self.model.window + 1:
            return super().prefix_logits(count)
        return self.model.sequence_logits(self.seq[:, :count])
