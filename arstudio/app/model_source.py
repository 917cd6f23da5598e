"""The model the exploration panels work on: from a run in the registry or a checkpoint file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arstudio.data import DataSpec, load_dataset
from arstudio.errors import UserError
from arstudio.models.base import ARModel
from arstudio.training.checkpoint import load_checkpoint
from arstudio.training.device import resolve_device
from arstudio.training.run_checkpoint import run_checkpoint
from arstudio.training.run_store import RunStore
from arstudio.zoo.catalog import ReadyModel


@dataclass
class LoadedModel:
    """A trained model ready for generation, with where it came from."""

    model: ARModel
    name: str
    checkpoint: Path
    dataset: str | None = None
    dataset_options: dict[str, Any] = field(default_factory=dict)
    seed: int = 0

    @property
    def spec(self) -> DataSpec:
        return self.model.spec

    @property
    def family(self) -> str:
        return self.model.family

    def test_examples(self, count: int = 64):
        """Up to `count` examples of the test split of the model's data set (LongTensor), or None."""
        if not self.dataset:
            return None
        try:
            data = load_dataset(self.dataset, "test", seed=self.seed, **self.dataset_options).data
        except UserError:
            return None
        return data[:count]


def load_checkpoint_model(path: str | Path, name: str | None = None) -> LoadedModel:
    checkpoint = load_checkpoint(path, device=str(resolve_device("auto")))
    config = checkpoint.meta.get("config") or {}
    return LoadedModel(checkpoint.model.eval(), name or f"{checkpoint.family} ({Path(path).parent.parent.name})",
                       checkpoint.path, checkpoint.meta.get("dataset"), checkpoint.meta.get("dataset_options") or {},
                       int(config.get("seed", 0)))


def load_run_model(registry: RunStore, run_id: int) -> LoadedModel:
    """A run's newest checkpoint (`run_checkpoint`: `last`, or `best` when that is newer or the only one)."""
    path = run_checkpoint(registry, run_id)
    run = registry.get(run_id)
    return load_checkpoint_model(path, f"#{run.id} {run.name}")


def load_ready_model(ready: ReadyModel) -> LoadedModel:
    """A ready model shipped with ARStudio; a UserError naming it when its files are missing or damaged."""
    checkpoint = ready.load(device=str(resolve_device("auto")))
    config = ready.recipe.config
    return LoadedModel(checkpoint.model.eval(), f"ready: {ready.name}", checkpoint.path, config.dataset,
                       dict(config.dataset_options), config.seed)
