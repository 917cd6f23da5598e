"""The run store: every training run, its metrics and artifacts, in one SQLite file.

`<runs_dir>/runs.sqlite` in WAL mode, so a trainer thread (or process) writes while GUI threads
read. Each thread gets its own connection. Each run also owns a folder `<runs_dir>/run-<id>`.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from arstudio.errors import UserError
from arstudio.training.paths import default_runs_dir
from arstudio.training.run_store.connections import Connections
from arstudio.training.run_store.export import write_metrics_csv
from arstudio.training.run_store.processes import pid_alive
from arstudio.training.run_store.records import (
    ACTIVE_STATUSES,
    SPLITS,
    STATUSES,
    Artifact,
    MetricRow,
    RunRecord,
    SweepRecord,
    artifact_from_row,
    metric_from_row,
    run_from_row,
    sweep_from_row,
)
from arstudio.training.run_store.schema import DB_NAME, migrate

UPDATABLE = {"name", "steps", "best_val_nll", "test_nll", "checkpoint", "device", "hparams"}
VANISHED = ("its process ended without a word (killed with kill -9, out of memory, or the machine stopped); "
            "its last checkpoint is kept: resume it from the runs table")
"""The reason given to a run found active whose process is gone; `record_exit` may replace it with a better one."""


class RunStore:
    """Runs, metrics and artifacts under `runs_dir` (default: `default_runs_dir()`).

    Safe to use from several threads and processes at once; each thread uses its own connection.
    """

    def __init__(self, runs_dir: Path | str | None = None) -> None:
        self.runs_dir = Path(runs_dir).expanduser() if runs_dir is not None else default_runs_dir()
        self.path = self.runs_dir / DB_NAME
        self.host = socket.gethostname()
        self._db = Connections(self.runs_dir, self.path)
        self._db.prepare_folder()
        with self._db.guard():
            migrate(self._db.conn(), self.path)
        self.mark_interrupted()

    def close(self) -> None:
        """Close this thread's connection; other threads' connections close when those threads end."""
        self._db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Writing.
    def create_run(self, name: str, family: str, dataset: str, hparams: dict[str, Any], config: dict[str, Any],
                   device: str) -> int:
        """A new run in status 'running', owned by this process; returns its id."""
        now = time.time()
        with self._db.write() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (name, family, dataset, hparams, config, device, status, pid, host, created, "
                "started) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
                (_clean_name(name), family, dataset, json.dumps(hparams), json.dumps(config), str(device),
                 os.getpid(), self.host, now, now),
            )
            run_id = int(cursor.lastrowid)
        return run_id

    def enqueue_run(self, name: str, family: str, dataset: str, hparams: dict[str, Any], config: dict[str, Any],
                    sweep_id: int | None = None) -> int:
        """A new run in status 'queued', waiting for a process (see `claim_next_queued`); returns its id."""
        with self._db.write() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (name, family, dataset, hparams, config, status, created, sweep_id) "
                "VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)",
                (_clean_name(name), family, dataset, json.dumps(hparams), json.dumps(config), time.time(), sweep_id))
            return int(cursor.lastrowid)

    def claim_next_queued(self, launch: Callable[[int], int]) -> int | None:
        """Start the oldest queued run: `launch(run_id)` starts its process and returns the process id.

        One write transaction holds the choice and the launch, so two windows (or a window and a run that
        just ended) never start the same run. Returns the run's id, or None when nothing is queued."""
        with self._db.write() as conn:
            row = conn.execute("SELECT id FROM runs WHERE status = 'queued' ORDER BY id LIMIT 1").fetchone()
            if row is None:
                return None
            run_id = int(row["id"])
            pid = launch(run_id)
            conn.execute("UPDATE runs SET status = 'running', pid = ?, host = ?, started = ?, error = NULL "
                         "WHERE id = ?", (pid, self.host, time.time(), run_id))
        return run_id

    def requeue(self, run_id: int) -> None:
        """Put a run that never trained a step back in the queue (resuming a cancelled run starts it afresh)."""
        with self._db.write() as conn:
            self._require(conn, run_id)
            conn.execute("UPDATE runs SET status = 'queued', pid = NULL, error = NULL, ended = NULL WHERE id = ?",
                         (run_id,))

    def set_live(self, run_id: int, address: dict[str, Any] | None) -> None:
        """Where run `run_id`'s process listens for windows (None once it stops listening)."""
        with self._db.write() as conn:
            self._require(conn, run_id)
            conn.execute("UPDATE runs SET live = ? WHERE id = ?",
                         (json.dumps(address) if address is not None else None, run_id))

    def record_exit(self, run_id: int, status: str, reason: str) -> bool:
        """A run's process ended without ending its run (a crash, a kill): set `status` and why, unless the run
        already ended by itself. Replaces the generic reason `mark_interrupted` gives. True when it changed."""
        with self._db.write() as conn:
            cursor = conn.execute(
                f"UPDATE runs SET status = ?, error = ?, live = NULL, ended = COALESCE(ended, ?) WHERE id = ? AND "
                f"(status IN {ACTIVE_STATUSES} OR (status = 'interrupted' AND error IS ?))",
                (status, reason, time.time(), run_id, VANISHED))
            return cursor.rowcount > 0

    def log_metrics(self, run_id: int, rows: Iterable[tuple[int, float, str, float, float]]) -> None:
        """Append (step, wall_time, split, nll, bpd) rows in one transaction."""
        values = [(run_id, int(step), float(wall), split, _real(nll), _real(bpd))
                  for step, wall, split, nll, bpd in rows]
        bad = {row[3] for row in values} - set(SPLITS)
        if bad:
            raise ValueError(f"Unknown metric split(s) {sorted(bad)}; use one of {SPLITS}.")
        if not values:
            return
        with self._db.write() as conn:
            self._require(conn, run_id)
            conn.executemany(
                "INSERT INTO metrics (run_id, step, wall_time, split, nll, bpd) VALUES (?, ?, ?, ?, ?, ?)", values
            )

    def forget_metrics_after(self, run_id: int, step: int) -> None:
        """Delete a run's metric rows past `step`: a run resumed from a checkpoint at `step` logs those steps again
        (a process killed after its last save logged steps that no checkpoint holds)."""
        with self._db.write() as conn:
            self._require(conn, run_id)
            conn.execute("DELETE FROM metrics WHERE run_id = ? AND step > ?", (run_id, int(step)))

    def set_status(self, run_id: int, status: str, error: str | None = None) -> None:
        """Change a run's status. Running or paused makes this process its owner; other statuses end it."""
        if status not in STATUSES:
            raise ValueError(f"Unknown run status {status!r}; use one of {STATUSES}.")
        now = time.time()
        with self._db.write() as conn:
            self._require(conn, run_id)
            if status in ACTIVE_STATUSES:
                conn.execute(
                    "UPDATE runs SET status = ?, error = ?, pid = ?, host = ?, started = COALESCE(started, ?), "
                    "ended = NULL WHERE id = ?",
                    (status, error, os.getpid(), self.host, now, run_id),
                )
            else:
                conn.execute("UPDATE runs SET status = ?, error = ?, ended = ? WHERE id = ?",
                             (status, error, now, run_id))

    def update_run(self, run_id: int, **fields: Any) -> None:
        """Set any of name, steps, best_val_nll, test_nll, checkpoint, device and hparams."""
        unknown = set(fields) - UPDATABLE
        if unknown:
            raise TypeError(f"update_run() cannot set {sorted(unknown)}; it sets {sorted(UPDATABLE)}.")
        if "name" in fields:
            fields["name"] = _clean_name(fields["name"])
        for name, convert in _CONVERTERS.items():
            if fields.get(name) is not None:
                fields[name] = convert(fields[name])
        if not fields:
            return
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._db.write() as conn:
            self._require(conn, run_id)
            conn.execute(f"UPDATE runs SET {assignments} WHERE id = ?", (*fields.values(), run_id))

    def rename(self, run_id: int, name: str) -> None:
        self.update_run(run_id, name=name)

    def delete(self, run_id: int, remove_files: bool = False) -> None:
        """Forget a run with its metrics and artifacts; with remove_files, delete its run folder too."""
        record = self.get(run_id)
        if record.active and self._owner_alive(record):
            raise UserError(f"Run {run_id} ({record.name}) is still {record.status}; stop it before deleting it.")
        with self._db.write() as conn:
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        folder = self.run_dir(run_id)
        if remove_files and folder.is_dir():
            try:
                shutil.rmtree(folder)
            except OSError as exc:
                raise UserError(
                    f"Run {run_id} was removed from the list, but its folder {folder} could not be deleted: "
                    f"{exc.strerror or exc}. Delete it by hand."
                ) from exc

    def add_artifact(self, run_id: int, kind: str, path: Path | str) -> int:
        """Record a file a run produced (a sample grid, a WAV, an exported CSV...); returns its id."""
        with self._db.write() as conn:
            self._require(conn, run_id)
            cursor = conn.execute("INSERT INTO artifacts (run_id, kind, path, created) VALUES (?, ?, ?, ?)",
                                  (run_id, kind, str(path), time.time()))
            return int(cursor.lastrowid)

    def mark_interrupted(self) -> list[int]:
        """Runs that claim to be running or paused on this host but whose process is gone become
        'interrupted' (their metrics stay); returns their ids."""
        with self._db.guard():
            rows = self._db.conn().execute(
                f"SELECT id, pid, host FROM runs WHERE status IN {ACTIVE_STATUSES}"
            ).fetchall()
        dead = [(row["id"], row["pid"]) for row in rows
                if row["host"] in (None, self.host) and (row["pid"] is None or not pid_alive(row["pid"]))]
        if dead:
            now = time.time()
            with self._db.write() as conn:
                conn.executemany(
                    "UPDATE runs SET status = 'interrupted', ended = ?, error = ?, live = NULL "
                    f"WHERE id = ? AND pid IS ? AND status IN {ACTIVE_STATUSES}",
                    [(now, VANISHED, run_id, pid) for run_id, pid in dead],
                )
        return [run_id for run_id, _ in dead]

    # Reading.
    def runs(self) -> list[RunRecord]:
        """Every run, newest first."""
        with self._db.guard():
            rows = self._db.conn().execute("SELECT * FROM runs ORDER BY id DESC").fetchall()
        return [run_from_row(row) for row in rows]

    def get(self, run_id: int) -> RunRecord:
        with self._db.guard():
            row = self._db.conn().execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise UserError(f"There is no run {run_id} in {self.path}; refresh the list of runs.")
        return run_from_row(row)

    def metrics(self, run_id: int, split: str | None = None, after_step: int | None = None) -> list[MetricRow]:
        """A run's metrics in logging order, optionally one split only and only past `after_step`."""
        query = "SELECT step, wall_time, split, nll, bpd FROM metrics WHERE run_id = ?"
        params: list[Any] = [run_id]
        if split is not None:
            query += " AND split = ?"
            params.append(split)
        if after_step is not None:
            query += " AND step > ?"
            params.append(after_step)
        with self._db.guard():
            rows = self._db.conn().execute(query + " ORDER BY rowid", params).fetchall()
        return [metric_from_row(row) for row in rows]

    def metric_arrays(self, run_id: int, split: str) -> dict[str, np.ndarray]:
        """One split's metrics as arrays: step, wall_time, nll, bpd (for plotting)."""
        rows = self.metrics(run_id, split)
        return {
            "step": np.array([r.step for r in rows], dtype=np.int64),
            "wall_time": np.array([r.wall_time for r in rows], dtype=np.float64),
            "nll": np.array([r.nll for r in rows], dtype=np.float64),
            "bpd": np.array([r.bpd for r in rows], dtype=np.float64),
        }

    def queued_runs(self) -> list[RunRecord]:
        """The runs waiting for a process, in the order they will start."""
        with self._db.guard():
            rows = self._db.conn().execute("SELECT * FROM runs WHERE status = 'queued' ORDER BY id").fetchall()
        return [run_from_row(row) for row in rows]

    def active_runs(self) -> list[RunRecord]:
        """Runs training or paused right now on this machine (runs whose process is gone are marked first)."""
        self.mark_interrupted()
        with self._db.guard():
            rows = self._db.conn().execute(
                f"SELECT * FROM runs WHERE status IN {ACTIVE_STATUSES} AND host IS ? ORDER BY id", (self.host,)
            ).fetchall()
        return [run_from_row(row) for row in rows]

    # Sweeps and settings.
    def create_sweep(self, kind: str, name: str, config: dict[str, Any]) -> int:
        """A group for the runs of one sweep (`kind` says what it compares); returns its id."""
        with self._db.write() as conn:
            cursor = conn.execute("INSERT INTO sweeps (kind, name, config, created) VALUES (?, ?, ?, ?)",
                                  (kind, _clean_name(name), json.dumps(config), time.time()))
            return int(cursor.lastrowid)

    def sweeps(self) -> list[SweepRecord]:
        """Every sweep, newest first."""
        with self._db.guard():
            rows = self._db.conn().execute("SELECT * FROM sweeps ORDER BY id DESC").fetchall()
        return [sweep_from_row(row) for row in rows]

    def get_sweep(self, sweep_id: int) -> SweepRecord:
        with self._db.guard():
            row = self._db.conn().execute("SELECT * FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        if row is None:
            raise UserError(f"There is no sweep {sweep_id} in {self.path}; list them with `arstudio sweep list`.")
        return sweep_from_row(row)

    def sweep_runs(self, sweep_id: int) -> list[RunRecord]:
        """The runs of a sweep, in the order they were queued."""
        with self._db.guard():
            rows = self._db.conn().execute("SELECT * FROM runs WHERE sweep_id = ? ORDER BY id", (sweep_id,)).fetchall()
        return [run_from_row(row) for row in rows]

    def setting(self, key: str, default: Any = None) -> Any:
        """A value every process using this folder shares (how many runs train at once...), or `default`."""
        with self._db.guard():
            row = self._db.conn().execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row["value"]) if row is not None else default

    def set_setting(self, key: str, value: Any) -> None:
        with self._db.write() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, json.dumps(value)))

    def artifacts(self, run_id: int) -> list[Artifact]:
        with self._db.guard():
            rows = self._db.conn().execute(
                "SELECT * FROM artifacts WHERE run_id = ? ORDER BY id", (run_id,)
            ).fetchall()
        return [artifact_from_row(row) for row in rows]

    def run_dir(self, run_id: int) -> Path:
        """The folder for a run's checkpoints and artifacts (not created here)."""
        return self.runs_dir / f"run-{run_id}"

    def export_csv(self, run_ids: Iterable[int], path: Path | str) -> Path:
        """Write the metrics of `run_ids` to one CSV file (one row per measurement)."""
        records = [self.get(run_id) for run_id in run_ids]
        return write_metrics_csv([(record, self.metrics(record.id)) for record in records], Path(path))

    def _require(self, conn: sqlite3.Connection, run_id: int) -> None:
        if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise UserError(f"There is no run {run_id} in {self.path}; refresh the list of runs.")

    def _owner_alive(self, record: RunRecord) -> bool:
        return record.host not in (None, self.host) or (record.pid is not None and pid_alive(record.pid))


def _clean_name(name: str) -> str:
    name = str(name).strip()
    if not name:
        raise UserError("A run needs a name; type at least one character.")
    return name


def _real(value: float | None) -> float | None:
    """SQLite stores NaN as NULL anyway; do it explicitly."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


_CONVERTERS: dict[str, Callable[[Any], Any]] = {"steps": int, "best_val_nll": _real, "test_nll": _real,
                                               "checkpoint": str, "device": str, "hparams": json.dumps}
