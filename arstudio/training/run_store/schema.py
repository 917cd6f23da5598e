"""The SQLite file's name, its tables, and the migrations that bring an older file up to date."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from arstudio.errors import UserError

DB_NAME = "runs.sqlite"
SCHEMA_VERSION = 2

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


_RUNS_V2 = """CREATE TABLE runs_v2 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        family TEXT NOT NULL,
        dataset TEXT NOT NULL,
        hparams TEXT NOT NULL DEFAULT '{}',
        config TEXT NOT NULL DEFAULT '{}',
        device TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN
            ('queued', 'running', 'paused', 'stopped', 'finished', 'failed', 'interrupted')),
        pid INTEGER,
        host TEXT,
        created REAL NOT NULL,
        started REAL,
        ended REAL,
        steps INTEGER NOT NULL DEFAULT 0,
        best_val_nll REAL,
        test_nll REAL,
        checkpoint TEXT,
        error TEXT,
        sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL,
        live TEXT
    )"""
_RUN_V1_COLUMNS = ("id, name, family, dataset, hparams, config, device, status, pid, host, created, started, ended, "
                   "steps, best_val_nll, test_nll, checkpoint, error")


def _queue_sweeps_and_live_runs(conn: sqlite3.Connection) -> None:
    """v2: a run can be queued, belong to a sweep and say where its process streams live events; settings.

    SQLite cannot widen a CHECK constraint, so the runs table is rebuilt (foreign keys are off meanwhile, see
    `migrate`, so dropping the old table cascades nothing)."""
    conn.execute("""CREATE TABLE sweeps (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        config TEXT NOT NULL DEFAULT '{}',
        created REAL NOT NULL
    )""")
    conn.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute(_RUNS_V2)
    conn.execute(f"INSERT INTO runs_v2 ({_RUN_V1_COLUMNS}) SELECT {_RUN_V1_COLUMNS} FROM runs")
    conn.execute("DROP TABLE runs")
    conn.execute("ALTER TABLE runs_v2 RENAME TO runs")
    conn.execute("CREATE INDEX runs_by_status ON runs (status)")


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _create_v1, 2: _queue_sweeps_and_live_runs}
"""MIGRATIONS[v] takes a database from schema version v - 1 to v inside one transaction."""


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the database at `path` to SCHEMA_VERSION; refuse one written by a newer ARStudio."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise UserError(
            f"The run registry {path} was written by a newer ARStudio (schema {version}; this build "
            f"knows {SCHEMA_VERSION}). Upgrade ARStudio, or choose another folder with --runs-dir."
        )
    conn.execute("PRAGMA foreign_keys = OFF")  # only outside a transaction; a rebuilt table must not cascade
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for target in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[target](conn)
                conn.execute(f"PRAGMA user_version = {target}")
            if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise UserError(f"The run registry {path} has rows that point at missing runs; it was left as it "
                                "was. Move it aside to start a new list of runs.")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
