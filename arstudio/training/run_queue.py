"""The queue of runs: each run trains in its own process, as many at once as the runs folder allows.

A queued run is a row of the run store in status 'queued'. `start_ready` starts the oldest ones while fewer
than `parallel_runs` train; the window calls it on a timer and every run process calls it as it ends, so the
queue drains with the window closed too. A run's process is `python -m arstudio train --queued-run ID`, started
in its own session: it outlives the window that started it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

from arstudio.errors import UserError
from arstudio.training.run_store import RunStore

PARALLEL_SETTING = "parallel_runs"
MAX_PARALLEL = 8
PROCESS_LOG = "process.log"
"""A run process's standard output and errors, in its run folder: the place to look when one crashed."""
Launcher = Callable[[RunStore, int, int], subprocess.Popen]


def default_parallel(cores: int | None = None) -> int:
    """Runs at once by default: one core stays with the window and each run gets at least two (one on 2 cores)."""
    cores = cores or os.cpu_count() or 1
    return max(1, min(4, (cores - 1) // 2))


def parallel_runs(store: RunStore) -> int:
    value = store.setting(PARALLEL_SETTING, None)
    return value if isinstance(value, int) and 1 <= value <= MAX_PARALLEL else default_parallel()


def set_parallel_runs(store: RunStore, count: int) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PARALLEL:
        raise UserError(f"Runs at once must be a whole number from 1 to {MAX_PARALLEL}, got {count!r}.")
    store.set_setting(PARALLEL_SETTING, count)


def threads_per_run(running: int, cores: int | None = None) -> int:
    """CPU threads for each of `running` runs: the cores but one (the window's), shared out, at least one each."""
    cores = cores or os.cpu_count() or 1
    return max(1, (cores - 1) // max(1, running)) if cores > 1 else 1


def run_command(runs_dir: Path, run_id: int, threads: int) -> list[str]:
    """The command line of a run process (the packaged app is its own interpreter)."""
    program = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "arstudio"]
    return [*program, "train", "--queued-run", str(run_id), "--runs-dir", str(runs_dir), "--threads", str(threads)]


def launch_run(store: RunStore, run_id: int, threads: int) -> subprocess.Popen:
    """Start run `run_id`'s process, detached from this one; its output goes to `<run folder>/process.log`."""
    folder = store.run_dir(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    detached: dict = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS}
                      if sys.platform == "win32" else {"start_new_session": True})
    with open(folder / PROCESS_LOG, "ab") as log:
        try:
            return subprocess.Popen(run_command(store.runs_dir, run_id, threads), stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, close_fds=True, **detached)
        except OSError as exc:
            raise UserError(f"Could not start a process for run {run_id}: {exc.strerror or exc}. "
                            "Check that ARStudio's Python can still be run, then resume the run.") from exc


def start_ready(store: RunStore, launch: Launcher = launch_run) -> list[tuple[int, subprocess.Popen]]:
    """Start queued runs, oldest first, while fewer than `parallel_runs` train; returns them with their process."""
    started: list[tuple[int, subprocess.Popen]] = []
    limit = parallel_runs(store)
    while (running := len(store.active_runs())) < limit:
        launched: list[subprocess.Popen] = []
        run_id = store.claim_next_queued(partial(_launch_into, launched, launch, store, threads_per_run(running + 1)))
        if run_id is None:
            break
        started.append((run_id, launched[0]))
    return started


def _launch_into(launched: list[subprocess.Popen], launch: Launcher, store: RunStore, threads: int,
                 run_id: int) -> int:
    launched.append(launch(store, run_id, threads))
    return launched[-1].pid
