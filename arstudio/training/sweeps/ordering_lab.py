"""The ordering lab: one family and data set trained under several chain-rule orderings, a few seeds each.

"Ordering matters": the same model reaches a different test NLL depending on the order its chain rule
visits the variables. Raster and random are the models' own options; column-major and snake are given as
explicit permutations (an image's pixel keeps its channels consecutive, R before G before B); MADE also
trains order-agnostically (every mask its own random ordering, evaluated as an ensemble of masks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arstudio.data import DataSpec, dataset_spec
from arstudio.errors import UserError
from arstudio.models import FAMILIES
from arstudio.training.config import TrainConfig
from arstudio.training.sweeps.plan import ORDERING_LAB, PlannedRun, SweepPlan, count_parameters, positive_int

ORDERINGS = ("raster", "random", "column", "snake", "agnostic")
ORDERING_HELP = {
    "raster": "row by row, left to right",
    "random": "a random permutation of the pixels, a different one per seed",
    "column": "column by column, top to bottom",
    "snake": "row by row, alternating left-to-right and right-to-left",
    "agnostic": "MADE only: order-agnostic training over several masks, each its own random ordering",
}
ORDERING_FAMILIES = ("made", "nade")
"""Families that take an explicit ordering (PixelCNN, WaveNet and the Transformer are raster by construction)."""
AGNOSTIC_MASKS = 8
ORDERING_KEYS = ("ordering", "ordering_seed", "order_agnostic", "num_masks", "seed")
DEFAULTS: dict[str, Any] = {"family": "made", "dataset": "binary-digits", "orderings": ORDERINGS, "seeds": 2,
                            "steps": 500, "hparams": {"hidden": 128}}
"""The lab's first-click settings: ten small MADE runs on the binary digits, a minute or two on a laptop CPU."""


def column_major(spec: DataSpec) -> list[int]:
    """Flat positions column by column, top to bottom, each pixel's channels consecutively."""
    channels, height, width = _image_shape(spec, "column")
    plane = height * width
    return [ch * plane + row * width + col for col in range(width) for row in range(height) for ch in range(channels)]


def snake(spec: DataSpec) -> list[int]:
    """Flat positions row by row, even rows left to right and odd rows right to left (boustrophedon)."""
    channels, height, width = _image_shape(spec, "snake")
    plane = height * width
    return [ch * plane + row * width + (col if row % 2 == 0 else width - 1 - col)
            for row in range(height) for col in range(width) for ch in range(channels)]


def ordering_hparams(family: str, spec: DataSpec, ordering: str, seed: int) -> dict[str, Any]:
    """The hyper-parameters that make `family` use `ordering` (seeded where it is random)."""
    seeded = {"seed": seed} if family == "made" else {}
    if ordering == "raster":
        return {"ordering": "raster", **seeded}
    if ordering == "random":
        return {"ordering": "random", **({"seed": seed} if family == "made" else {"ordering_seed": seed})}
    if ordering == "column":
        return {"ordering": column_major(spec), **seeded}
    if ordering == "snake":
        return {"ordering": snake(spec), **seeded}
    if ordering == "agnostic":
        if family != "made":
            raise UserError(f"Order-agnostic training is MADE's; {FAMILIES[family].title} has one ordering. "
                            "Drop 'agnostic' from the orderings or choose MADE.")
        return {"ordering": "raster", "num_masks": AGNOSTIC_MASKS, "order_agnostic": True, "ensemble": 0, **seeded}
    raise UserError(f"Unknown ordering {ordering!r}: choose from {', '.join(ORDERINGS)}.")


def plan_ordering_lab(family: str = DEFAULTS["family"], dataset: str = DEFAULTS["dataset"],
                      orderings: Sequence[str] = DEFAULTS["orderings"], seeds: int = DEFAULTS["seeds"],
                      steps: int = DEFAULTS["steps"], hparams: dict[str, Any] | None = None,
                      dataset_options: dict[str, Any] | None = None, name: str | None = None) -> SweepPlan:
    """Every ordering times every seed; seed s of each ordering shares the data split and initial seed s."""
    if family not in ORDERING_FAMILIES:
        raise UserError(f"The ordering lab needs a family that takes an ordering: {', '.join(ORDERING_FAMILIES)}. "
                        f"{family!r} is not one of them (PixelCNN, WaveNet and the Transformer are raster by "
                        "construction).")
    positive_int("number of seeds", seeds)
    positive_int("number of steps", steps)
    orderings = list(dict.fromkeys(orderings))
    if not orderings:
        raise UserError(f"Choose at least one ordering: {', '.join(ORDERINGS)}.")
    unknown = [o for o in orderings if o not in ORDERINGS]
    if unknown:
        raise UserError(f"Unknown ordering {', '.join(map(repr, unknown))}: choose from {', '.join(ORDERINGS)}.")
    fixed = dict(DEFAULTS["hparams"] if hparams is None else hparams)
    clash = sorted(set(fixed) & set(ORDERING_KEYS))
    if clash:
        raise UserError(f"The ordering lab sets {', '.join(clash)} itself; leave them out of the hyper-parameters.")
    options = dict(dataset_options or {})
    spec = dataset_spec(dataset, **options)
    FAMILIES[family].require_accepts(spec)
    runs = []
    for ordering in orderings:
        params = count_parameters(family, spec, {**fixed, **ordering_hparams(family, spec, ordering, 0)})
        for seed in range(seeds):
            config = TrainConfig(family=family, dataset=dataset, dataset_options=options, steps=steps, seed=seed,
                                 hparams={**fixed, **ordering_hparams(family, spec, ordering, seed)},
                                 eval_every=max(1, steps // 5), compile="off")
            runs.append(PlannedRun(f"{ordering}, seed {seed}", ordering, config, params))
    settings = {"family": family, "dataset": dataset, "dataset_options": options, "dims": spec.dims,
                "orderings": orderings, "seeds": seeds, "steps": steps, "hparams": fixed}
    return SweepPlan(ORDERING_LAB, name or f"Ordering lab: {family} on {dataset}", tuple(runs), settings)


def _image_shape(spec: DataSpec, ordering: str) -> tuple[int, int, int]:
    if not spec.is_spatial:
        raise UserError(f"The {ordering} ordering walks an image's rows and columns; this data set is a sequence of "
                        f"{spec.dims} values. Use raster or random, or an image data set.")
    channels, height, width = spec.shape
    return channels, height, width
