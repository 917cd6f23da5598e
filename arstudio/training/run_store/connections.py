"""Opening the run store's SQLite file: one connection per thread, write transactions that queue up,
and SQLite failures a person can fix turned into UserErrors."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from arstudio.errors import UserError

BUSY_TIMEOUT_MS = 5000


class Connections:
    """This thread's connection to the database at `path` inside `runs_dir`, opened on first use."""

    def __init__(self, runs_dir: Path, path: Path) -> None:
        self.runs_dir = runs_dir
        self.path = path
        self._local = threading.local()

    def prepare_folder(self) -> None:
        """Create `runs_dir` and check that files can be written there."""
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
            probe = self.runs_dir / f".write-test-{os.getpid()}-{threading.get_ident()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise self._unwritable(exc) from exc

    def close(self) -> None:
        """Close this thread's connection; other threads' connections close when those threads end."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def conn(self) -> sqlite3.Connection:
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
    def guard(self) -> Iterator[None]:
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

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken immediately so that concurrent writers queue up."""
        with self.guard():
            conn = self.conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _unwritable(self, exc: BaseException) -> UserError:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return UserError(
            f"Cannot write to the runs folder {self.runs_dir}: {reason}; choose another folder with --runs-dir "
            "or ARSTUDIO_HOME."
        )

    def _damaged(self, exc: BaseException) -> UserError:
        return UserError(
            f"The run registry {self.path} is damaged ({exc}). ARStudio left it untouched: move it aside to "
            "start a new list of runs, or choose another folder with --runs-dir or ARSTUDIO_HOME."
        )
