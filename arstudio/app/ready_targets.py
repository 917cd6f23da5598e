"""Which ready model a run can be held against, and a ready model's curve in the plot's terms."""

from __future__ import annotations

from typing import Any

from arstudio.zoo.catalog import ReadyModel, ready_models


def target_for(family: str, dataset: str, hparams: dict[str, Any] | None = None,
               models: list[ReadyModel] | None = None) -> ReadyModel | None:
    """The available ready model of the same family on the same data set (and as conditional as the run), or None."""
    conditional = bool((hparams or {}).get("conditional", False))
    for model in ready_models() if models is None else models:
        config = model.recipe.config
        if (model.available and config.family == family and config.dataset == dataset
                and bool(config.hparams.get("conditional", False)) == conditional):
            return model
    return None


def curve_points(model: ReadyModel, split: str) -> list[tuple[int, float, float]]:
    """The card's `split` curve as (step, seconds, nll) points; [] when the card has none."""
    if model.card is None:
        return []
    return [(int(step), float(seconds), float(nll)) for step, seconds, nll in model.card.curve.get(split, [])]
