"""A sweep's results from the run store: one row per run, a summary per group, curves, the CSV file."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from arstudio.errors import UserError
from arstudio.training.run_store import RunRecord, RunStore, SweepRecord
from arstudio.training.run_store.export import write_csv
from arstudio.training.sweeps.fit import PowerLaw, fit_power_law, frontier
from arstudio.training.sweeps.plan import run_name
from arstudio.training.sweeps.scaling import flops

PENDING_STATUSES = ("queued", "running", "paused")
CSV_COLUMNS = ("sweep_id", "kind", "run_id", "label", "group", "status", "steps", "total_steps", "params",
               "tokens_per_step", "compute_flops", "test_nll", "test_bpd")


@dataclass(frozen=True)
class SweepRow:
    """One run of a sweep as its table shows it; the test figures are None until it finished."""

    run_id: int
    label: str
    group: str
    status: str
    steps: int
    total_steps: int
    params: int | None
    tokens_per_step: int | None
    test_nll: float | None
    test_bpd: float | None

    @property
    def compute(self) -> float | None:
        """FLOPs trained so far, 6 N T."""
        if self.params is None or self.tokens_per_step is None:
            return None
        return flops(self.params, self.tokens_per_step * self.steps)

    @property
    def pending(self) -> bool:
        return self.status in PENDING_STATUSES


@dataclass(frozen=True)
class GroupSummary:
    """The finished runs of one group (an ordering, a size): their mean test loss and its spread (std over seeds)."""

    group: str
    runs: int
    finished: int
    mean_nll: float | None
    spread_nll: float
    mean_bpd: float | None
    spread_bpd: float
    params: int | None
    compute: float | None


def sweep_rows(store: RunStore, sweep_id: int) -> list[SweepRow]:
    """The sweep's runs in the order they were queued, each matched to its entry of the plan."""
    sweep = store.get_sweep(sweep_id)
    records = store.sweep_runs(sweep_id)
    entries = list(sweep.config.get("runs", []))
    by_name = {run_name(sweep_id, entry["label"]): entry for entry in entries}
    dims = sweep.config.get("dims")
    rows = []
    for index, record in enumerate(records):
        entry = by_name.get(record.name)
        if entry is None and len(records) == len(entries):
            entry = entries[index]
        rows.append(_row(record, entry or {"label": record.name, "group": record.name}, dims))
    return rows


def all_ended(rows: list[SweepRow]) -> bool:
    """Whether no run of the sweep waits or trains any more."""
    return bool(rows) and not any(row.pending for row in rows)


def summarize(rows: list[SweepRow]) -> list[GroupSummary]:
    """One summary per group, in the order the groups first appear."""
    groups: dict[str, list[SweepRow]] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    summaries = []
    for group, members in groups.items():
        done = [row for row in members if row.status == "finished" and row.test_nll is not None]
        nll = [row.test_nll for row in done]
        bpd = [row.test_bpd for row in done if row.test_bpd is not None]
        computes = [row.compute for row in done if row.compute is not None]
        summaries.append(GroupSummary(group, len(members), len(done), _mean(nll), _spread(nll), _mean(bpd),
                                      _spread(bpd), members[0].params, _mean(computes)))
    return summaries


def loss_of(summary: GroupSummary) -> float | None:
    """The loss a sweep plots and fits: bits per dimension where known, else nats per example."""
    return summary.mean_bpd if summary.mean_bpd is not None else summary.mean_nll


def scaling_fit(rows: list[SweepRow]) -> PowerLaw | None:
    """The power law in N through the sizes' mean test losses, once at least two sizes finished."""
    points = [(s.params, loss_of(s)) for s in summarize(rows) if s.params is not None and loss_of(s) is not None]
    if len({n for n, _ in points}) < 2:
        return None
    return fit_power_law([n for n, _ in points], [loss for _, loss in points])


@dataclass(frozen=True)
class ComputeCurves:
    """Every run's validation loss against the compute it had used, and the lower envelope of all of them."""

    curves: list[tuple[str, np.ndarray, np.ndarray]]
    frontier_compute: np.ndarray
    frontier_loss: np.ndarray
    fit: PowerLaw | None


def compute_curves(store: RunStore, rows: list[SweepRow], dims: int | None) -> ComputeCurves:
    """Validation losses (bits per dimension when `dims` is known) at 6 N T_step * step FLOPs, per run."""
    curves = []
    for row in rows:
        if row.params is None or row.tokens_per_step is None:
            continue
        arrays = store.metric_arrays(row.run_id, "validation")
        keep = arrays["step"] > 0
        loss = arrays["bpd"] if dims else arrays["nll"]
        curves.append((row.label, flops(row.params, row.tokens_per_step) * arrays["step"][keep], loss[keep]))
    compute = np.concatenate([c for _, c, _ in curves]) if curves else np.zeros(0)
    loss = np.concatenate([v for _, _, v in curves]) if curves else np.zeros(0)
    edge = frontier(compute, loss)
    fit = None
    if len(edge) >= 3:
        try:
            fit = fit_power_law(compute[edge], loss[edge])
        except UserError:
            fit = None
    return ComputeCurves(curves, compute[edge], loss[edge], fit)


def write_sweep_csv(sweep: SweepRecord, rows: list[SweepRow], path: Path | str) -> Path:
    """One line per run of the sweep, written atomically."""
    path = Path(path)
    lines: list[list[Any]] = [list(CSV_COLUMNS)]
    lines += [[sweep.id, sweep.kind, r.run_id, r.label, r.group, r.status, r.steps, r.total_steps, _cell(r.params),
               _cell(r.tokens_per_step), _cell(r.compute), _cell(r.test_nll), _cell(r.test_bpd)] for r in rows]
    return write_csv(path, lines)


def _row(record: RunRecord, entry: dict[str, Any], dims: int | None) -> SweepRow:
    test_nll = record.test_nll if record.status == "finished" else None
    bpd = test_nll / (dims * math.log(2)) if test_nll is not None and dims else None
    return SweepRow(record.id, str(entry.get("label", record.name)), str(entry.get("group", record.name)),
                    record.status, record.steps, int(record.config.get("steps", entry.get("steps", 0)) or 0),
                    entry.get("params"), entry.get("tokens_per_step"), test_nll, bpd)


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def _spread(values: list[float]) -> float:
    """Sample standard deviation over seeds (0 for fewer than two)."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def _cell(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else f"{value:.6g}"
