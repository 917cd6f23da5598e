"""The scaling sweep: one family at several widths on one data set, each under a budget of training compute.

Training compute is C ~ 6 N T FLOPs for N parameters and T positions seen (a forward and a backward pass),
as in the scaling-law papers. A budget in FLOPs gives every size the same C, so a size trains
C / (6 N T_step) steps; a number of steps gives every size the same data, so C grows with N.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arstudio.data import DataSpec, dataset_spec
from arstudio.errors import UserError
from arstudio.models import FAMILIES
from arstudio.training.config import TrainConfig
from arstudio.training.sweeps.plan import SCALING, PlannedRun, SweepPlan, count_parameters, positive_int

SIZE_HPARAM = {"transformer": "d_model", "pixelcnn": "channels"}
"""The hyper-parameter a scaling sweep widens, per family it accepts."""
SCALING_FAMILIES = tuple(SIZE_HPARAM)
MIN_STEPS = 10
EVAL_POINTS = 10
"""Validation passes per run, so each run's loss can be drawn against the compute it has used."""
HEAD_WIDTH = 16
DEFAULTS: dict[str, Any] = {"family": "transformer", "dataset": "pydocs", "dataset_options": {"context": 32},
                            "sizes": (16, 32, 48, 64), "steps": 300, "hparams": {"layers": 2}}
"""First-click settings: four two-layer Transformers on 32-byte windows of text, a minute or two on a laptop."""


def flops(params: int, tokens: float) -> float:
    """Training compute C = 6 N T."""
    return 6.0 * params * tokens


def tokens_per_step(config: TrainConfig, spec: DataSpec) -> int:
    """Positions one optimisation step sees: examples per batch times positions per example."""
    return config.examples_per_batch(spec.dims) * spec.dims


def size_hparams(family: str, width: int, fixed: dict[str, Any]) -> dict[str, Any]:
    """The hyper-parameters of size `width`: the family's width, and for the Transformer heads of about 16 units."""
    if family == "transformer" and "heads" not in fixed:
        heads = max(h for h in range(1, max(1, width // HEAD_WIDTH) + 1) if width % h == 0)
        return {**fixed, "d_model": width, "heads": heads}
    if family == "transformer" and width % int(fixed["heads"]):
        raise UserError(f"d_model {width} is not a multiple of heads={fixed['heads']}; choose sizes that are, "
                        "or leave heads out and let the sweep pick them.")
    return {**fixed, SIZE_HPARAM[family]: width}


def plan_scaling(family: str = DEFAULTS["family"], dataset: str = DEFAULTS["dataset"],
                 sizes: Sequence[int] = DEFAULTS["sizes"], budget: float | None = None, steps: int | None = None,
                 hparams: dict[str, Any] | None = None, dataset_options: dict[str, Any] | None = None,
                 name: str | None = None) -> SweepPlan:
    """One run per size, smallest first. `budget` (FLOPs) gives each size the same compute; else `steps` each."""
    if family not in SCALING_FAMILIES:
        raise UserError(f"The scaling sweep widens {', '.join(SCALING_FAMILIES)}; choose one of them, not {family!r}.")
    sizes = sorted(dict.fromkeys(positive_int("size", size) for size in sizes))
    if len(sizes) < 2:
        raise UserError("A scaling sweep compares sizes: list at least two (three or more for a fitted curve).")
    if budget is not None and steps is not None:
        raise UserError("Give either a compute budget (the same FLOPs for every size) or a number of steps "
                        "(the same data for every size), not both.")
    if budget is not None and not (isinstance(budget, (int, float)) and budget > 0):
        raise UserError(f"The compute budget is a positive number of FLOPs, e.g. 1e12, got {budget!r}.")
    if budget is None:
        steps = positive_int("number of steps", DEFAULTS["steps"] if steps is None else steps)
    fixed = dict(DEFAULTS["hparams"] if hparams is None else hparams)
    if SIZE_HPARAM[family] in fixed:
        raise UserError(f"The sweep sets {SIZE_HPARAM[family]} from the sizes; leave it out of the hyper-parameters.")
    if dataset_options is None:
        options = dict(DEFAULTS["dataset_options"]) if dataset == DEFAULTS["dataset"] else {}
    else:
        options = dict(dataset_options)
    spec = dataset_spec(dataset, **options)
    FAMILIES[family].require_accepts(spec)
    tokens = tokens_per_step(TrainConfig(family=family, dataset=dataset), spec)
    runs = []
    for width in sizes:
        model_hparams = size_hparams(family, width, fixed)
        params = count_parameters(family, spec, model_hparams)
        run_steps = steps if budget is None else round(budget / flops(params, tokens))
        if run_steps < MIN_STEPS:
            needed = flops(params, tokens) * MIN_STEPS
            raise UserError(f"A budget of {budget:.3g} FLOPs trains {SIZE_HPARAM[family]}={width} ({params:,} "
                            f"parameters) for only {run_steps} steps; raise the budget to at least {needed:.2g} "
                            "or drop that size.")
        config = TrainConfig(family=family, dataset=dataset, dataset_options=options, steps=run_steps,
                             hparams=model_hparams, eval_every=max(1, run_steps // EVAL_POINTS), compile="off")
        label = f"{SIZE_HPARAM[family]} {width}"
        runs.append(PlannedRun(label, label, config, params, tokens))
    settings = {"family": family, "dataset": dataset, "dataset_options": options, "dims": spec.dims,
                "sizes": sizes, "size_hparam": SIZE_HPARAM[family], "budget": budget, "steps": steps,
                "hparams": fixed}
    return SweepPlan(SCALING, name or f"Scaling sweep: {family} on {dataset}", tuple(runs), settings)
