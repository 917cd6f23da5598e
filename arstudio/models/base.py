"""The one abstraction every family shares: a chain-rule model over D variables with K levels."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.models.steppers import RecomputeStepper, Stepper


class ARModel(nn.Module):
    """p(x) = prod_i p(x[order[i]] | x[order[:i]]) over the variables of a DataSpec.

    Subclasses implement `logits`; families that compute in chain-rule order derive from SequenceModel
    and implement `sequence_logits` instead. Positions are flat indices into a tensor of `spec.shape`.
    Which data kinds a family accepts is checked by its catalog entry (FamilyInfo) before it is built.
    """

    family: str = ""
    window: int | None = None
    """For models of sequences of any length: how many preceding values a step can see."""
    window_policies: tuple[str, ...] = ()
    """The window policies (steppers.WINDOW_POLICIES) this family's steppers apply past the context;
    empty where the window is exact (WaveNet's receptive field) or there is none (fixed sizes)."""

    def __init__(self, spec: DataSpec, hparams: dict[str, Any]) -> None:
        super().__init__()
        self.spec = spec
        self.hparams = dict(hparams)
        self.register_buffer("order", torch.tensor(spec.raster_order(), dtype=torch.long), persistent=False)

    @property
    def num_levels(self) -> int:
        return self.spec.levels

    def logits(self, x: Tensor) -> Tensor:
        """x: LongTensor[B, *spec.shape] -> Tensor[B, *spec.shape, K].

        The logits at position order[i] depend on x only through x[order[:i]].
        """
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        return self.logits(x)

    def log_prob(self, x: Tensor) -> Tensor:
        """Exact log-likelihood in nats of each example: Tensor[B]."""
        logp = torch.log_softmax(self.logits(x).float(), dim=-1)
        return logp.gather(-1, x.unsqueeze(-1)).squeeze(-1).flatten(1).sum(1)

    def sequence_logits(self, seq: Tensor) -> Tensor:
        """seq [B, L] in chain-rule order -> logits [B, L, K]; step t depends on seq[:, :t] only.

        Fixed-size models need L = D; windowed models (`window` set) take any L <= window + 1.
        """
        x = torch.empty_like(seq)
        x[:, self.order] = seq
        return self.logits(x.view(seq.shape[0], *self.spec.shape)).flatten(1, -2)[:, self.order]

    def stepper(self, seq: Tensor, use_cache: bool = True, window: str = "slide") -> Stepper:
        """A stepper that generates `seq` [B, L] in chain-rule order (see arstudio.models.steppers).

        window: the policy past the context, for families that list it in `window_policies`;
        the others ignore it.
        """
        return RecomputeStepper(self, seq)

    def eval_log_prob(self, x: Tensor) -> Tensor:
        """The log-likelihood used for evaluation; families with ensembles override it."""
        return self.log_prob(x)

    def on_train_step(self, step: int) -> None:
        """Called by the trainer before optimisation step `step` (e.g. to pick that step's MADE mask).

        It must depend only on `step`, so that a resumed run continues exactly.
        """

    # Flattening between the spec's shape and chain-rule order.
    def to_sequence(self, x: Tensor) -> Tensor:
        """[B, *shape] -> [B, D] with column i holding position order[i]."""
        return x.flatten(1)[:, self.order]

    def from_sequence(self, seq_logits: Tensor) -> Tensor:
        """[B, D, K] in chain-rule order -> [B, *shape, K]."""
        batch, dims, levels = seq_logits.shape
        out = torch.empty_like(seq_logits)
        out[:, self.order] = seq_logits
        return out.view(batch, *self.spec.shape, levels)

    def check_input(self, x: Tensor) -> None:
        if tuple(x.shape[1:]) != self.spec.shape:
            raise UserError(
                f"This {self.family} model expects examples of shape {self.spec.shape}, got {tuple(x.shape[1:])}."
            )


class SequenceModel(ARModel):
    """A family that computes its conditionals in chain-rule order: `logits` follows from `sequence_logits`."""

    def sequence_logits(self, seq: Tensor) -> Tensor:
        """seq [B, L] in chain-rule order -> logits [B, L, K]; step t depends on seq[:, :t] only."""
        raise NotImplementedError

    def logits(self, x: Tensor) -> Tensor:
        self.check_input(x)
        return self.from_sequence(self.sequence_logits(self.to_sequence(x)))
