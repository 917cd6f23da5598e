"""Sweeps: the seed's two lessons as tools. The ordering lab trains one model under several orderings; the
scaling sweep trains a series of sizes under a compute budget and fits a power law. Both are ordinary queued
runs grouped as a sweep in the run store."""

from arstudio.training.sweeps.fit import PowerLaw, fit_power_law, frontier
from arstudio.training.sweeps.ordering_lab import (
    ORDERING_FAMILIES,
    ORDERING_HELP,
    ORDERINGS,
    column_major,
    plan_ordering_lab,
    snake,
)
from arstudio.training.sweeps.plan import (
    KINDS,
    ORDERING_LAB,
    SCALING,
    TITLES,
    PlannedRun,
    SweepPlan,
    count_parameters,
    queue_sweep,
    run_name,
)
from arstudio.training.sweeps.results import (
    ComputeCurves,
    GroupSummary,
    SweepRow,
    all_ended,
    compute_curves,
    loss_of,
    scaling_fit,
    summarize,
    sweep_rows,
    write_sweep_csv,
)
from arstudio.training.sweeps.scaling import SCALING_FAMILIES, SIZE_HPARAM, flops, plan_scaling, tokens_per_step

__all__ = [
    "KINDS", "ORDERINGS", "ORDERING_FAMILIES", "ORDERING_HELP", "ORDERING_LAB", "SCALING", "SCALING_FAMILIES",
    "SIZE_HPARAM", "TITLES", "ComputeCurves", "GroupSummary", "PlannedRun", "PowerLaw", "SweepPlan", "SweepRow",
    "all_ended", "column_major", "compute_curves", "count_parameters", "fit_power_law", "flops", "frontier",
    "loss_of", "plan_ordering_lab", "plan_scaling", "queue_sweep", "run_name", "scaling_fit", "snake", "summarize",
    "sweep_rows", "tokens_per_step", "write_sweep_csv",
]
