"""The run registry: every training run, its metrics and artifacts, in one SQLite file.

`<runs_dir>/runs.sqlite` in WAL mode, so a trainer thread (or process) writes while GUI threads
read. Each thread gets its own connection. Each run also owns a folder `<runs_dir>/run-<id>`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import shutil
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from arstudio.atomic import atomic_write
from arstudio.errors import UserError
from arstudio.training.paths import default_runs_dir

DB_NAME = "runs.sqlite"
SCHEMA_VERSION = 1
STATUSES = ("running", "paused", "stopped", "finished", "failed", "interrupted")
ACTIVE_STATUSES = ("running", "paused")
SPLITS = ("train", "validation", "test")
BUSY_TIMEOUT_MS = 5000
UPDATABLE = {"name", "steps", "best_val_nll", "test_nll", "checkpoint"}
CSV_COLUMNS = ("run_id", "run_name", "family", "dataset", "split", "step", "wall_time", "nll", "bpd")

_SCHEMA_V1 = (
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        family TEXT NOT NULL,
        dataset TEXT NOT NULL,
        hparams TEXT NOT NULL DEFAULT '{}',
        config TEXT NOT NULL DEFAULT '{}',
        device TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL
            CHECK (status IN ('running', 'paused', 'stopped', 'finished', 'failed', 'interrupted')),
        pid INTEGER,
        host TEXT,
        created REAL NOT NULL,
        started REAL,
        ended REAL,
        steps INTEGER NOT NULL DEFAULT 0,
        best_val_nll REAL,
        test_nll REAL,
        checkpoint TEXT,
        error TEXT
    )""",
    """CREATE TABLE metrics (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        wall_time REAL NOT NULL,
        split TEXT NOT NULL CHECK (split IN ('train', 'validation', 'test')),
        nll REAL,
        bpd REAL
    )""",
    "CREATE INDEX metrics_by_run ON metrics (run_id, split, step)",
    """CREATE TABLE artifacts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        path TEXT NOT NULL,
        created REAL NOT NULL
    )""",
    "CREATE INDEX artifacts_by_run ON artifacts (run_id)",
)



def _create_v1(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA_V1:
        conn.execute(statement)


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _create_v1}
"""MIGRATIONS[v] takes a database from schema version v - 1 to v inside one transaction."""


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

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


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


class RunRegistry:
    """Runs, metrics and artifacts under `runs_dir` (default: `default_runs_dir()`).

    Safe to use from several threads and processes at once; each thread uses its own connection.
    """

    def __init__(self, runs_dir: Path | str | None = None) -> None:
        self.runs_dir = Path(runs_dir).expanduser() if runs_dir is not None else default_runs_dir()
        self.path = self.runs_dir / DB_NAME
        self.host = socket.gethostname()
        self._local = threading.local()
        self._prepare_folder()
        with self._guard():
            self._migrate(self._conn())
        self.mark_interrupted()

    def close(self) -> None:
        """Close this thread's connection; other threads' connections close when those threads end."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def __enter__(self) -> RunRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Writing.
    def create_run(self, name: str, family: str, dataset: str, hparams: dict[str, Any], config: dict[str, Any],
                   device: str) -> int:
        """A new run in status 'running', owned by this process; returns its id."""
        now = time.time()
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (name, family, dataset, hparams, config, device, status, pid, host, created, "
                "started) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
                (_clean_name(name), family, dataset, json.dumps(hparams), json.dumps(config), str(device),
                 os.getpid(), self.host, now, now),
            )
            run_id = int(cursor.lastrowid)
        return run_id

    def log_metrics(self, run_id: int, rows: Iterable[tuple[int, float, str, float, float]]) -> None:
        """Append (step, wall_time, split, nll, bpd) rows in one transaction."""
        values = [(run_id, int(step), float(wall), split, _real(nll), _real(bpd))
                  for step, wall, split, nll, bpd in rows]
        bad = {row[3] for row in values} - set(SPLITS)
        if bad:
            raise ValueError(f"Unknown metric split(s) {sorted(bad)}; use one of {SPLITS}.")
        if not values:
            return
        with self._write() as conn:
            self._require(conn, run_id)
            conn.executemany(
                "INSERT INTO metrics (run_id, step, wall_time, split, nll, bpd) VALUES (?, ?, ?, ?, ?, ?)", values
            )

    def set_status(self, run_id: int, status: str, error: str | None = None) -> None:
        """Change a run's status. Running or paused makes this process its owner; other statuses end it."""
        if status not in STATUSES:
            raise ValueError(f"Unknown run status {status!r}; use one of {STATUSES}.")
        now = time.time()
        with self._write() as conn:
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
        """Set any of name, steps, best_val_nll, test_nll and checkpoint."""
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
        with self._write() as conn:
            self._require(conn, run_id)
            conn.execute(f"UPDATE runs SET {assignments} WHERE id = ?", (*fields.values(), run_id))

    def rename(self, run_id: int, name: str) -> None:
        self.update_run(run_id, name=name)

    def delete(self, run_id: int, remove_files: bool = False) -> None:
        """Forget a run with its metrics and artifacts; with remove_files, delete its run folder too."""
        record = self.get(run_id)
        if record.active and self._owner_alive(record):
            raise UserError(f"Run {run_id} ({record.name}) is still {record.status}; stop it before deleting it.")
        with self._write() as conn:
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
        with self._write() as conn:
            self._require(conn, run_id)
            cursor = conn.execute("INSERT INTO artifacts (run_id, kind, path, created) VALUES (?, ?, ?, ?)",
                                  (run_id, kind, str(path), time.time()))
            return int(cursor.lastrowid)

    def mark_interrupted(self) -> list[int]:
        """Runs that claim to be running or paused on this host but whose process is gone become
        'interrupted' (their metrics stay); returns their ids."""
        with self._guard():
            rows = self._conn().execute(
                f"SELECT id, pid, host FROM runs WHERE status IN {ACTIVE_STATUSES}"
            ).fetchall()
        dead = [(row["id"], row["pid"]) for row in rows
                if row["host"] in (None, self.host) and (row["pid"] is None or not pid_alive(row["pid"]))]
        if dead:
            now = time.time()
            with self._write() as conn:
                conn.executemany(
                    "UPDATE runs SET status = 'interrupted', ended = ? "
                    f"WHERE id = ? AND pid IS ? AND status IN {ACTIVE_STATUSES}",
                    [(now, run_id, pid) for run_id, pid in dead],
                )
        return [run_id for run_id, _ in dead]

    # Reading.
    def runs(self) -> list[RunRecord]:
        """Every run, newest first."""
        with self._guard():
            rows = self._conn().execute("SELECT * FROM runs ORDER BY id DESC").fetchall()
        return [_record(row) for row in rows]

    def get(self, run_id: int) -> RunRecord:
        with self._guard():
            row = self._conn().execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise UserError(f"There is no run {run_id} in {self.path}; refresh the list of runs.")
        return _record(row)

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
        with self._guard():
            rows = self._conn().execute(query + " ORDER BY rowid", params).fetchall()
        return [MetricRow(row["step"], row["wall_time"], row["split"], _float(row["nll"]), _float(row["bpd"]))
                for row in rows]

    def metric_arrays(self, run_id: int, split: str) -> dict[str, np.ndarray]:
        """One split's metrics as arrays: step, wall_time, nll, bpd (for plotting)."""
        rows = self.metrics(run_id, split)
        return {
            "step": np.array([r.step for r in rows], dtype=np.int64),
            "wall_time": np.array([r.wall_time for r in rows], dtype=np.float64),
            "nll": np.array([r.nll for r in rows], dtype=np.float64),
            "bpd": np.array([r.bpd for r in rows], dtype=np.float64),
        }

    def artifacts(self, run_id: int) -> list[Artifact]:
        with self._guard():
            rows = self._conn().execute("SELECT * FROM artifacts WHERE run_id = ? ORDER BY id", (run_id,)).fetchall()
        return [Artifact(row["id"], row["run_id"], row["kind"], row["path"], row["created"]) for row in rows]

    def run_dir(self, run_id: int) -> Path:
        """The folder for a run's checkpoints and artifacts (not created here)."""
        return self.runs_dir / f"run-{run_id}"

    def export_csv(self, run_ids: Iterable[int], path: Path | str) -> Path:
        """Write the metrics of `run_ids` to one CSV file (one row per measurement)."""
        path = Path(path)
        records = [self.get(run_id) for run_id in run_ids]
        lines: list[list[Any]] = [list(CSV_COLUMNS)]
        for record in records:
            lines += [[record.id, record.name, record.family, record.dataset, m.split, m.step, m.wall_time,
                       m.nll, m.bpd] for m in self.metrics(record.id)]

        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(lines)
        try:
            atomic_write(path, lambda handle: handle.write(text.getvalue().encode("utf-8")))
        except OSError as exc:
            raise UserError(f"Cannot write {path}: {exc.strerror or exc}. Choose another file.") from exc
        return path

    # Connections and transactions.
    def _prepare_folder(self) -> None:
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
            probe = self.runs_dir / f".write-test-{os.getpid()}-{threading.get_ident()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise self._unwritable(exc) from exc

    def _unwritable(self, exc: BaseException) -> UserError:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return UserError(
            f"Cannot write to the runs folder {self.runs_dir}: {reason}; choose another folder with --runs-dir "
            "or ARSTUDIO_HOME."
        )

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            conn.row_factory = sqlite3.Row
            try:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
            except sqlite3.Error:
                conn.close()
                raise
            self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite failures a person can fix into UserErrors."""
        try:
            yield
        except sqlite3.IntegrityError:
            raise
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if "locked" in text or "busy" in text:
                raise UserError(
                    f"The run registry {self.path} is busy (another ARStudio is writing to it); try again."
                ) from exc
            if "readonly" in text or "unable to open" in text or "disk i/o" in text or "full" in text:
                raise self._unwritable(exc) from exc
            raise self._damaged(exc) from exc
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from exc

    def _damaged(self, exc: BaseException) -> UserError:
        return UserError(
            f"The run registry {self.path} is damaged ({exc}). ARStudio left it untouched: move it aside to "
            "start a new list of runs, or choose another folder with --runs-dir or ARSTUDIO_HOME."
        )

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken immediately so that concurrent writers queue up."""
        with self._guard():
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise UserError(
                f"The run registry {self.path} was written by a newer ARStudio (schema {version}; this build "
                f"knows {SCHEMA_VERSION}). Upgrade ARStudio, or choose another folder with --runs-dir."
            )
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for target in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[target](conn)
                conn.execute(f"PRAGMA user_version = {target}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _require(self, conn: sqlite3.Connection, run_id: int) -> None:
        if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise UserError(f"There is no run {run_id} in {self.path}; refresh the list of runs.")

    def _owner_alive(self, record: RunRecord) -> bool:
        return record.host not in (None, self.host) or (record.pid is not None and pid_alive(record.pid))


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _windows_pid_alive(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


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
                                               "checkpoint": str}


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _record(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        id=row["id"], name=row["name"], family=row["family"], dataset=row["dataset"],
        hparams=json.loads(row["hparams"]), config=json.loads(row["config"]), device=row["device"],
        status=row["status"], pid=row["pid"], host=row["host"], created=row["created"], started=row["started"],
        ended=row["ended"], steps=row["steps"], best_val_nll=row["best_val_nll"], test_nll=row["test_nll"],
        checkpoint=row["checkpoint"], error=row["error"],
    )
