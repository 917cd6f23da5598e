"""The ready models on disk: each recipe's folder with its checkpoint and card, listed without loading weights."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from arstudio.errors import UserError
from arstudio.training.checkpoint import Checkpoint, load_checkpoint
from arstudio.zoo.cards import ModelCard, read_card
from arstudio.zoo.recipes import ZOO_FOLDER, Recipe, load_recipes

CHECKPOINT_NAME = "model.json"
CARD_NAME = "card.json"


@dataclass(frozen=True)
class ReadyModel:
    """One ready model. `card` is None and `problem` says why when its files are missing or damaged."""

    recipe: Recipe
    folder: Path
    card: ModelCard | None
    problem: str | None = None

    @property
    def name(self) -> str:
        return self.recipe.name

    @property
    def checkpoint_path(self) -> Path:
        return self.folder / CHECKPOINT_NAME

    @property
    def available(self) -> bool:
        return self.card is not None and self.problem is None

    def load(self, device: str | torch.device = "cpu") -> Checkpoint:
        """The checkpoint, on `device` in eval mode; a UserError that names the model when it cannot be read."""
        if self.problem is not None:
            raise UserError(self.problem)
        try:
            return load_checkpoint(self.checkpoint_path, device=device)
        except UserError as exc:
            raise UserError(f"The ready model {self.name} cannot be loaded: {exc} Reinstall ARStudio, or rebuild it "
                            f"with `arstudio zoo build {self.name}`.") from exc


def ready_models(folder: Path | None = None) -> list[ReadyModel]:
    """Every recipe's ready model in the recipes' order; one with a missing or damaged card is still listed,
    with its problem, so the others stay usable."""
    folder = folder or ZOO_FOLDER
    return [_ready(recipe, folder / name) for name, recipe in load_recipes(folder / "recipes.json").items()]


def ready_model(name: str, folder: Path | None = None) -> ReadyModel:
    models = {model.name: model for model in ready_models(folder)}
    if name not in models:
        raise UserError(f"There is no ready model called {name!r}; `arstudio zoo` lists them: {', '.join(models)}.")
    return models[name]


def _ready(recipe: Recipe, folder: Path) -> ReadyModel:
    if not (folder / CHECKPOINT_NAME).exists():
        missing = folder / CHECKPOINT_NAME
        return ReadyModel(recipe, folder, None, f"The ready model {recipe.name} is not installed ({missing} is "
                                                f"missing); rebuild it with `arstudio zoo build {recipe.name}`.")
    try:
        return ReadyModel(recipe, folder, read_card(folder / CARD_NAME))
    except UserError as exc:
        return ReadyModel(recipe, folder, None, str(exc))
