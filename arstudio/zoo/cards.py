"""A ready model's card: how it was made and how good it is, as JSON beside its checkpoint (NAME/card.json)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from arstudio.atomic import atomic_write_bytes
from arstudio.errors import UserError


@dataclass
class Measure:
    """A negative log-likelihood over the first `examples` examples of a split, in nats per example."""

    nll: float
    examples: int
    bits_per_dim: float
    split: str = "test"
    given: str | None = None
    """For a conditional model: the labels the NLL is conditioned on ("digit"), else None."""


@dataclass
class ModelCard:
    name: str
    about: str
    family: str
    dataset: str
    recipe: dict[str, Any]
    """The TrainConfig that trained it, as JSON (recipes.json holds the same)."""
    parameters: int
    hardware: str
    wall_seconds: float
    trained: str
    """The day it was trained, ISO 8601."""
    commit: str
    """The git commit of ARStudio that trained it."""
    test: Measure
    """The whole test split (given the class, for a conditional model)."""
    check: Measure
    """The same NLL over a few test examples, which the tests recompute to rounding."""
    marginal: Measure | None = None
    """A conditional model's -log p(x) with every class equally likely (what unconditional papers report)."""
    goal: dict[str, Any] = field(default_factory=dict)
    """What the issue asked of it: {"nll": 92.0} in nats, or {"bits_per_dim": 1.7}; {} when none."""
    references: list[dict[str, Any]] = field(default_factory=list)
    """The published results it is compared with: model, detail, nll, paper."""
    curve: dict[str, list[list[float]]] = field(default_factory=dict)
    """split -> [[step, seconds, nll], ...]: the training curve, for the NLL plot's target overlay."""
    notes: list[str] = field(default_factory=list)
    """What was checked by ear or eye, and what fell short of the goal, in words."""

    @property
    def compared_nll(self) -> Measure:
        """The figure held against the goal and the papers: -log p(x) (the marginal, for a conditional model)."""
        return self.marginal or self.test

    @property
    def goal_met(self) -> bool | None:
        """True or False against the goal; None when there is none."""
        measure = self.compared_nll
        if "nll" in self.goal:
            return measure.nll <= float(self.goal["nll"])
        if "bits_per_dim" in self.goal:
            return measure.bits_per_dim <= float(self.goal["bits_per_dim"])
        return None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelCard:
        data = dict(data)
        for key in ("test", "check", "marginal"):
            if data.get(key) is not None:
                data[key] = Measure(**data[key])
        return cls(**data)


def read_card(path: Path) -> ModelCard:
    try:
        card = ModelCard.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise UserError(f"The ready model's card {path} is missing; reinstall ARStudio or rebuild it with "
                        f"`arstudio zoo build {path.parent.name}`.") from exc
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise UserError(f"The ready model's card {path} is damaged ({exc}); reinstall ARStudio or rebuild it "
                        f"with `arstudio zoo build {path.parent.name}`.") from exc
    if not math.isfinite(card.test.nll):
        raise UserError(f"The ready model's card {path} has no finite test NLL; rebuild it.")
    return card


def write_card(card: ModelCard, path: Path) -> None:
    atomic_write_bytes(path, (json.dumps(card.to_json(), indent=1) + "\n").encode("utf-8"))
