"""Making ready models: train a recipe into the runs folder (`zoo build`), and publish a run as a ready model."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from arstudio import __version__
from arstudio.data.references import references_for
from arstudio.errors import UserError
from arstudio.training.checkpoint import load_checkpoint, save_checkpoint
from arstudio.training.config import TrainConfig
from arstudio.training.run_checkpoint import run_checkpoint
from arstudio.training.run_store import RunStore
from arstudio.training.trainer import EventCallback, Trainer, TrainSummary
from arstudio.zoo.cards import Measure, ModelCard, write_card
from arstudio.zoo.catalog import CARD_NAME, CHECKPOINT_NAME, ReadyModel
from arstudio.zoo.measure import CHECK_EXAMPLES, measure, measure_marginal
from arstudio.zoo.recipes import Recipe

CURVE_POINTS = 120
"""A card keeps the training loss as at most this many averaged points (validation in full)."""


@dataclass
class Rebuilt:
    """A recipe trained again: its run, and its test NLL measured as the card measures it."""

    summary: TrainSummary
    test: Measure
    shipped: ReadyModel | None

    @property
    def difference(self) -> float | None:
        """Rebuilt minus shipped test NLL, relative to the shipped one; None without a shipped card."""
        if self.shipped is None or self.shipped.card is None:
            return None
        shipped = self.shipped.card.test.nll
        return (self.test.nll - shipped) / abs(shipped)


def build(recipe: Recipe, registry: RunStore, callback: EventCallback | None = None,
          shipped: ReadyModel | None = None, examples: int | None = None) -> Rebuilt:
    """Train `recipe` as a new run of `registry` and measure its test NLL over `examples` (all: None)."""
    summary = Trainer(recipe.config, registry, callback=callback).run()
    if summary.status != "finished" or summary.run_id is None:
        raise UserError(f"The rebuild of {recipe.name} ended {summary.status} after {summary.steps} steps; run "
                        f"`arstudio zoo build {recipe.name}` again to train it in full.")
    model = load_checkpoint(run_checkpoint(registry, summary.run_id)).model
    config = recipe.config
    return Rebuilt(summary, measure(model, config.dataset, config.dataset_options, config.seed, examples), shipped)


def publish(registry: RunStore, run_id: int, recipe: Recipe, folder: Path, commit: str | None = None,
            threads: int | None = None, notes: list[str] | None = None) -> ModelCard:
    """Write run `run_id` (trained from `recipe`) into `folder` as a ready model: its weights without the optimizer,
    and a card measured on the whole test split."""
    run = registry.get(run_id)
    if run.status != "finished":
        raise UserError(f"Run {run_id} is {run.status}; only a finished run of the recipe can be published.")
    config = recipe.config
    if not same_recipe(run.config, config):
        raise UserError(f"Run {run_id} was not trained from the recipe of {recipe.name}; publish a run of "
                        f"`arstudio zoo build {recipe.name}`.")
    checkpoint = load_checkpoint(run_checkpoint(registry, run_id))
    model = checkpoint.model
    options, seed = config.dataset_options, config.seed
    meta = {"dataset": config.dataset, "dataset_options": options, "config": config.to_json(),
            "step": checkpoint.meta.get("step"), "ready_model": recipe.name}
    folder.mkdir(parents=True, exist_ok=True)
    save_checkpoint(folder / CHECKPOINT_NAME, model, meta=meta)
    card = ModelCard(
        name=recipe.name, about=recipe.about, family=model.family, dataset=config.dataset, recipe=config.to_json(),
        parameters=sum(p.numel() for p in model.parameters()), hardware=hardware(run.device, threads),
        wall_seconds=round((run.ended or 0.0) - (run.started or run.created), 1),
        trained=datetime.date.fromtimestamp(run.created).isoformat(), commit=commit or current_commit(),
        test=measure(model, config.dataset, options, seed),
        check=measure(model, config.dataset, options, seed, CHECK_EXAMPLES),
        marginal=measure_marginal(model, config.dataset, options, seed), goal=recipe.goal,
        references=[{"model": r.model, "detail": r.detail, "nll": r.nll, "paper": r.paper.short}
                    for r in references_for(config.dataset)],
        curve=training_curve(registry, run_id), notes=list(notes or []))
    write_card(card, folder / CARD_NAME)
    return card


def same_recipe(trained: dict, config: TrainConfig) -> bool:
    """Whether a run's stored config is the recipe's, apart from where and how fast it ran."""
    ignored = {"name", "device", "compile", "checkpoint_seconds"}
    wanted = config.to_json()
    return all(trained.get(key) == value for key, value in wanted.items() if key not in ignored)


def training_curve(registry: RunStore, run_id: int) -> dict[str, list[list[float]]]:
    """Validation as logged, and the training loss averaged into at most CURVE_POINTS points: [step, seconds, nll]."""
    curve = {"validation": [[r.step, round(r.wall_time, 2), round(r.nll, 4)]
                            for r in registry.metrics(run_id, "validation")]}
    train = registry.metric_arrays(run_id, "train")
    if len(train["step"]):
        chunks = np.array_split(np.arange(len(train["step"])), min(CURVE_POINTS, len(train["step"])))
        curve["train"] = [[int(train["step"][c[-1]]), round(float(train["wall_time"][c[-1]]), 2),
                           round(float(train["nll"][c].mean()), 4)] for c in chunks]
    return curve


def hardware(device: str, threads: int | None = None) -> str:
    """"x86_64 CPU, 2 cores, 1 torch thread" (the threads it trained with) or the GPU's name."""
    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    threads = threads or torch.get_num_threads()
    return f"{platform.machine()} CPU, {os.cpu_count()} cores, {threads} torch thread{'s' if threads > 1 else ''}"


def current_commit() -> str:
    """The git commit of the checkout ARStudio runs from, or its version when it is not a checkout."""
    try:
        found = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                               text=True, timeout=10, check=True)
        return found.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return f"arstudio {__version__}"
