"""The ready models' recipes: one JSON file (resources/zoo/recipes.json) of TrainConfigs, read and checked here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arstudio.errors import UserError
from arstudio.resources import resource_path
from arstudio.training.config import TrainConfig

ZOO_FOLDER = resource_path("zoo")
"""Where the ready models lie: recipes.json, and a folder per model with its checkpoint and card."""


@dataclass(frozen=True)
class Recipe:
    name: str
    about: str
    config: TrainConfig
    """What `arstudio zoo build NAME` trains; its name is the ready model's."""
    goal: dict[str, Any] = field(default_factory=dict)
    """What it should reach on the test split: {"nll": nats} or {"bits_per_dim": bits}; {} when nothing is set."""


def load_recipes(path: Path | None = None) -> dict[str, Recipe]:
    """Every recipe of the recipes file, by name; a damaged file is a UserError naming it."""
    path = path or ZOO_FOLDER / "recipes.json"
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["recipes"]
        return {name: _recipe(name, entry) for name, entry in entries.items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"The ready models' recipes in {path} cannot be read ({exc}); reinstall ARStudio.") from exc


def recipe(name: str) -> Recipe:
    recipes = load_recipes()
    if name not in recipes:
        raise UserError(f"There is no ready model called {name!r}; `arstudio zoo` lists them: {', '.join(recipes)}.")
    return recipes[name]


def _recipe(name: str, entry: dict[str, Any]) -> Recipe:
    config = TrainConfig.from_json({**entry["config"], "name": name})
    return Recipe(name, str(entry.get("about", "")), config, dict(entry.get("goal") or {}))
