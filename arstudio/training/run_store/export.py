"""Metrics of several runs as one CSV file, one row per measurement."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from arstudio.atomic import atomic_write
from arstudio.errors import UserError
from arstudio.training.run_store.records import MetricRow, RunRecord

CSV_COLUMNS = ("run_id", "run_name", "family", "dataset", "split", "step", "wall_time", "nll", "bpd")


def write_metrics_csv(runs: Iterable[tuple[RunRecord, list[MetricRow]]], path: Path) -> Path:
    """Write each (run, its metrics) pair's rows to `path` atomically."""
    lines: list[list[Any]] = [list(CSV_COLUMNS)]
    for record, metrics in runs:
        lines += [[record.id, record.name, record.family, record.dataset, m.split, m.step, m.wall_time,
                   m.nll, m.bpd] for m in metrics]
    return write_csv(path, lines)


def write_csv(path: Path, lines: list[list[Any]]) -> Path:
    """Write rows (the header first) to `path` as CSV, atomically; a file that cannot be written is a UserError."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(lines)
    try:
        atomic_write(path, lambda handle: handle.write(text.getvalue().encode("utf-8")))
    except OSError as exc:
        raise UserError(f"Cannot write {path}: {exc.strerror or exc}. Choose another file.") from exc
    return path
