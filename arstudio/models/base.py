"""The one abstraction every family shares: a chain-rule model over D variables with K levels."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
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

    conditional: bool = False
    """Whether the model is p(x | labels): it then needs the spec's labels with every call (see `labels_for`)."""

    def __init__(self, spec: DataSpec, hparams: dict[str, Any]) -> None:
        super().__init__()
        self.spec = spec
        self.hparams = dict(hparams)
        self.conditional = bool(self.hparams.get("conditional", False))
        if self.conditional and not spec.labels:
            raise UserError(
                f"A conditional {self.family} learns p(x | class) from a data set's labels, and these examples carry "
                "none; choose a labelled data set (the digits, mnist, spoken-digits) or turn conditional off."
            )
        self.register_buffer("order", torch.tensor(spec.raster_order(), dtype=torch.long), persistent=False)

    @property
    def num_levels(self) -> int:
        return self.spec.levels

    def logits(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """x: LongTensor[B, *spec.shape] -> Tensor[B, *spec.shape, K].

        The logits at position order[i] depend on x only through x[order[:i]] (and the labels, for a
        conditional model: LongTensor[B, F], one column per label set of the spec; see `labels_for`).
        """
        raise NotImplementedError

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.logits(x, labels)

    def log_prob(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """Exact log-likelihood in nats of each example: Tensor[B]."""
        logp = torch.log_softmax(self.logits(x, labels).float(), dim=-1)
        return logp.gather(-1, x.unsqueeze(-1)).squeeze(-1).flatten(1).sum(1)

    def sequence_logits(self, seq: Tensor, labels: Tensor | None = None) -> Tensor:
        """seq [B, L] in chain-rule order -> logits [B, L, K]; step t depends on seq[:, :t] only.

        Fixed-size models need L = D; windowed models (`window` set) take any L <= window + 1.
        """
        x = torch.empty_like(seq)
        x[:, self.order] = seq
        return self.logits(x.view(seq.shape[0], *self.spec.shape), labels).flatten(1, -2)[:, self.order]

    def stepper(self, seq: Tensor, use_cache: bool = True, window: str = "slide",
                labels: Tensor | None = None) -> Stepper:
        """A stepper that generates `seq` [B, L] in chain-rule order (see arstudio.models.steppers).

        window: the policy past the context, for families that list it in `window_policies`;
        the others ignore it. labels: what a conditional model generates as ([B, F]).
        """
        return RecomputeStepper(self, seq, labels=self.labels_for(labels, seq.shape[0]))

    def eval_log_prob(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """The log-likelihood used for evaluation; families with ensembles override it."""
        return self.log_prob(x, labels)

    def labels_for(self, labels: Tensor | None, batch: int) -> Tensor | None:
        """The labels a call passes, checked: LongTensor[batch, F] for a conditional model, None otherwise.

        One row broadcasts to the batch; a conditional model without labels, labels for an unconditional one
        and a class outside a label set's range are UserErrors that say what to do.
        """
        names = ", ".join(self.spec.label_names)
        if not self.conditional:
            if labels is not None:
                raise UserError(
                    f"This {self.family} model is not conditional, so it cannot generate as a chosen class; leave "
                    "the label out, or train a conditional model (conditional on) on a labelled data set."
                )
            return None
        if labels is None:
            raise UserError(
                f"This {self.family} model was trained to generate as a chosen {names}; give one "
                f"(--label {self.spec.labels[0].name}=..., or choose it under 'Generate as')."
            )
        labels = torch.as_tensor(labels, dtype=torch.long, device=self.order.device)
        columns = len(self.spec.labels)
        if labels.dim() <= 1:
            labels = labels.reshape(-1, columns) if labels.numel() % columns == 0 else labels
        if labels.dim() != 2 or labels.shape[1] != columns or labels.shape[0] not in (1, batch):
            raise UserError(f"Give one class per label ({names}) for each of the {batch} examples, "
                            f"got labels of shape {tuple(labels.shape)}.")
        for i, label_set in enumerate(self.spec.labels):
            outside = labels[:, i][(labels[:, i] < 0) | (labels[:, i] >= label_set.size)]
            if len(outside):
                raise UserError(f"A {label_set.name} must be one of its {label_set.size} classes (0 to "
                                f"{label_set.size - 1}), got {int(outside[0])}.")
        return labels.expand(batch, columns)

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

    def sequence_logits(self, seq: Tensor, labels: Tensor | None = None) -> Tensor:
        """seq [B, L] in chain-rule order -> logits [B, L, K]; step t depends on seq[:, :t] only."""
        raise NotImplementedError

    def logits(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        self.check_input(x)
        return self.from_sequence(self.sequence_logits(self.to_sequence(x), labels))

    def log_prob(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """As ARModel.log_prob, summed in chain-rule order: no reordering of the logits, one fused cross-entropy."""
        self.check_input(x)
        seq = self.to_sequence(x)
        logits = self.sequence_logits(seq, labels).float()
        return -F.cross_entropy(logits.flatten(0, 1), seq.flatten(), reduction="none").view(seq.shape).sum(1)
