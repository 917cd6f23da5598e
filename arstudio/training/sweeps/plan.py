"""A sweep's plan: the runs it trains, each with its label, its group and what it costs, and queueing them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.models import build_model
from arstudio.training.config import TrainConfig
from arstudio.training.run_store import RunStore

ORDERING_LAB = "ordering"
SCALING = "scaling"
KINDS = (ORDERING_LAB, SCALING)
TITLES = {ORDERING_LAB: "Ordering lab", SCALING: "Scaling sweep"}
Enqueue = Callable[[TrainConfig, int], int]
"""Queues one run of sweep `sweep_id` and returns its run id (the window's controller, or the store)."""


@dataclass(frozen=True)
class PlannedRun:
    """One run of a sweep: `group` is what it compares (an ordering, a size); `label` names this run."""

    label: str
    group: str
    config: TrainConfig
    params: int | None = None
    tokens_per_step: int | None = None

    def entry(self) -> dict[str, Any]:
        """What the sweep's stored config says about this run."""
        return {"label": self.label, "group": self.group, "params": self.params,
                "tokens_per_step": self.tokens_per_step, "steps": self.config.steps}


@dataclass(frozen=True)
class SweepPlan:
    """Everything one click (or one `arstudio sweep` command) queues: the kind, a name, the runs, the settings."""

    kind: str
    name: str
    runs: tuple[PlannedRun, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    """What was swept and over what (family, data set, dims, orderings or sizes...), kept with the sweep."""


def count_parameters(family: str, spec: DataSpec, hparams: dict[str, Any]) -> int:
    """N, the trainable parameters of the model these hyper-parameters build (it is built once, on the CPU)."""
    model = build_model(family, spec, **hparams)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def store_enqueue(store: RunStore) -> Enqueue:
    """Queue a run straight into the store (the command line's way; the window goes through its controller)."""

    def enqueue(config: TrainConfig, sweep_id: int) -> int:
        name = config.name or f"{config.family} on {config.dataset}"
        return store.enqueue_run(name, config.family, config.dataset, config.hparams, config.to_json(),
                                 sweep_id=sweep_id)

    return enqueue


def queue_sweep(store: RunStore, plan: SweepPlan, enqueue: Enqueue | None = None) -> int:
    """Record the sweep with its plan and queue its runs (starting them is the caller's); returns its id."""
    if plan.kind not in KINDS:
        raise UserError(f"Unknown kind of sweep {plan.kind!r}: use one of {', '.join(KINDS)}.")
    if not plan.runs:
        raise UserError("This sweep has no runs; choose at least one ordering or size.")
    labels = [run.label for run in plan.runs]
    if len(set(labels)) != len(labels):
        raise UserError("Two runs of this sweep would have the same name; list each ordering or size once.")
    sweep_id = store.create_sweep(plan.kind, plan.name, {**plan.settings, "runs": [r.entry() for r in plan.runs]})
    enqueue = enqueue or store_enqueue(store)
    for run in plan.runs:
        enqueue(replace(run.config, name=run_name(sweep_id, run.label)), sweep_id)
    return sweep_id


def run_name(sweep_id: int, label: str) -> str:
    """The name a sweep's run gets in the store: the sweep and the run's label, e.g. 'sweep 3: snake, seed 1'."""
    return f"sweep {sweep_id}: {label}"


def positive_int(what: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"The {what} must be a whole number of at least 1, got {value!r}.")
    return value
