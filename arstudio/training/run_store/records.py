"""What the run store holds: a run, one measurement, one artifact, and the values their fields take."""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass
from typing import Any

STATUSES = ("queued", "running", "paused", "stopped", "finished", "failed", "interrupted")
ACTIVE_STATUSES = ("running", "paused")
"""A process trains these runs (or did, until it vanished)."""
RESUMABLE_STATUSES = ("stopped", "interrupted", "failed")
SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class RunRecord:
    """One row of the runs table. Times are seconds since the epoch."""

    id: int
    name: str
    family: str
    dataset: str
    hparams: dict[str, Any]
    config: dict[str, Any]
    device: str
    status: str
    pid: int | None
    host: str | None
    created: float
    started: float | None
    ended: float | None
    steps: int
    best_val_nll: float | None
    test_nll: float | None
    checkpoint: str | None
    error: str | None
    """Why a run failed, was interrupted or stopped early, in words (None when there is nothing to say)."""
    sweep_id: int | None = None
    live: dict[str, Any] | None = None
    """Where the run's process streams live events (host, port, token), while it trains."""

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


@dataclass(frozen=True)
class SweepRecord:
    """A group of runs trained to compare one thing (orderings, model sizes); `config` says what was swept."""

    id: int
    kind: str
    name: str
    config: dict[str, Any]
    created: float


@dataclass(frozen=True)
class MetricRow:
    """One measurement: NLL in nats per example and bits per dimension (NaN where none was logged)."""

    step: int
    wall_time: float
    split: str
    nll: float
    bpd: float


@dataclass(frozen=True)
class Artifact:
    id: int
    run_id: int
    kind: str
    path: str
    created: float


def run_from_row(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        id=row["id"], name=row["name"], family=row["family"], dataset=row["dataset"],
        hparams=json.loads(row["hparams"]), config=json.loads(row["config"]), device=row["device"],
        status=row["status"], pid=row["pid"], host=row["host"], created=row["created"], started=row["started"],
        ended=row["ended"], steps=row["steps"], best_val_nll=row["best_val_nll"], test_nll=row["test_nll"],
        checkpoint=row["checkpoint"], error=row["error"], sweep_id=row["sweep_id"],
        live=json.loads(row["live"]) if row["live"] else None,
    )


def sweep_from_row(row: sqlite3.Row) -> SweepRecord:
    return SweepRecord(row["id"], row["kind"], row["name"], json.loads(row["config"]), row["created"])


def metric_from_row(row: sqlite3.Row) -> MetricRow:
    return MetricRow(row["step"], row["wall_time"], row["split"], _float(row["nll"]), _float(row["bpd"]))


def artifact_from_row(row: sqlite3.Row) -> Artifact:
    return Artifact(row["id"], row["run_id"], row["kind"], row["path"], row["created"])


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)
