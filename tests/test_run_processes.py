"""Runs in their own processes, without a window: the queue, the live stream, controls and faults.

Real child processes (`arstudio train --queued-run`), a real socket, the real SQLite store.
"""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from arstudio.errors import UserError
from arstudio.training.checkpoint import load_checkpoint
from arstudio.training.config import TrainConfig
from arstudio.training.live import LiveClient, LiveServer
from arstudio.training.run_checkpoint import run_checkpoint
from arstudio.training.run_exit import exit_verdict
from arstudio.training.run_queue import (
    default_parallel,
    parallel_runs,
    set_parallel_runs,
    start_ready,
    threads_per_run,
)
from arstudio.training.run_store import RunStore
from arstudio.training.run_store.schema import _SCHEMA_V1

TINY = {"family": "made", "dataset": "binary-digits", "hparams": {"hidden": 16}, "eval_every": 50}


def queue_run(store: RunStore, **overrides) -> int:
    config = TrainConfig(**{**TINY, **overrides})
    return store.enqueue_run(config.name or "tiny", config.family, config.dataset, config.hparams, config.to_json())


def wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def messages_until(client: LiveClient, last: str, seconds: float = 120) -> list[dict]:
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = client.messages.get(timeout=max(0.1, deadline - time.monotonic()))
        seen.append(message)
        if message["type"] == last:
            return seen
    raise AssertionError(f"no {last} message; got {[m['type'] for m in seen][-10:]}")


def connect(store: RunStore, run_id: int, process: subprocess.Popen) -> LiveClient:
    wait_for(lambda: store.get(run_id).live is not None or process.poll() is not None, 60, "the run to listen")
    assert process.poll() is None, (store.run_dir(run_id) / "process.log").read_text()
    return LiveClient(store.get(run_id).live)


def test_a_queued_run_trains_in_its_own_process_and_streams_every_step(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    run_id = queue_run(store, steps=120)
    assert store.get(run_id).status == "queued" and store.queued_runs()[0].id == run_id
    [(started, process)] = start_ready(store)
    assert started == run_id and process.pid != os.getpid()
    assert store.get(run_id).status == "running" and store.get(run_id).pid == process.pid
    messages = messages_until(connect(store, run_id, process), "closed")
    assert process.wait(60) == 0
    kinds = [m["type"] for m in messages]
    assert kinds[0] == "hello" and kinds[-2:] == ["finished", "closed"]
    steps = [m["step"] for m in messages if m["type"] == "step"]
    assert steps == list(range(1, 121)), "a late client first gets the history, so it misses no step"
    assert {"eval", "preview", "status"} <= set(kinds)
    preview = next(m for m in messages if m["type"] == "preview")
    assert len(preview["values"]) == math.prod(preview["shape"]) and preview["shape"][0] == 16
    record = store.get(run_id)
    assert record.status == "finished" and record.steps == 120 and record.live is None and record.test_nll
    assert [row.step for row in store.metrics(run_id, "train")] == steps
    load_checkpoint(run_checkpoint(store, run_id))


def test_pause_resume_and_stop_across_processes(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    run_id = queue_run(store, steps=100_000)
    [(_, process)] = start_ready(store)
    client = connect(store, run_id, process)
    wait_for(lambda: store.get(run_id).steps > 0, 60, "the first steps in the store")
    assert client.send_control("pause")
    wait_for(lambda: store.get(run_id).status == "paused", 30, "the run to pause")
    paused_at = store.get(run_id).steps
    time.sleep(1.0)
    assert store.get(run_id).steps == paused_at, "a paused run trains no step"
    assert client.send_control("resume") and client.send_control("threads", 1)
    wait_for(lambda: store.get(run_id).steps > paused_at, 30, "the run to go on")
    assert client.send_control("stop")
    assert process.wait(60) == 0
    record = store.get(run_id)
    assert record.status == "stopped" and record.steps > paused_at
    assert load_checkpoint(run_checkpoint(store, run_id)).meta["step"] == record.steps


def test_sigterm_stops_a_run_with_its_checkpoint(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    run_id = queue_run(store, steps=100_000)
    [(_, process)] = start_ready(store)
    connect(store, run_id, process).close()
    wait_for(lambda: store.get(run_id).steps > 0, 60, "the first steps")
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0
    assert store.get(run_id).status == "stopped"
    load_checkpoint(run_checkpoint(store, run_id))


def test_kill_9_leaves_the_store_consistent_and_the_run_resumable(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    run_id = queue_run(store, steps=100_000, checkpoint_every=25)
    [(_, process)] = start_ready(store)
    connect(store, run_id, process).close()
    wait_for(lambda: store.get(run_id).checkpoint is not None or (store.run_dir(run_id) / "checkpoints" /
                                                                  "last.json").is_file(), 60, "a checkpoint")
    process.send_signal(signal.SIGKILL)
    assert process.wait(30) == -signal.SIGKILL
    status, reason = exit_verdict(process.returncode, store.run_dir(run_id) / "process.log")
    assert store.record_exit(run_id, status, reason)
    record = store.get(run_id)
    assert record.status == "interrupted" and "SIGKILL" in record.error and record.live is None
    steps = [m.step for m in store.metrics(run_id, "train")]
    assert steps == list(range(1, len(steps) + 1))
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    saved = load_checkpoint(run_checkpoint(store, run_id)).meta["step"]
    assert saved >= 25

    store.set_setting("parallel_runs", 1)
    store.requeue(run_id)
    [(_, again)] = start_ready(store)
    client = connect(store, run_id, again)
    first = next(m for m in messages_until(client, "step") if m["type"] == "step")
    assert first["step"] == saved + 1, "the resumed run continues from its newest checkpoint"
    client.send_control("stop")
    assert again.wait(60) == 0
    steps = [m.step for m in store.metrics(run_id, "train")]
    assert steps == list(range(1, len(steps) + 1)), "each step once, the killed run's extra rows forgotten"


def test_the_queue_runs_at_most_parallel_runs_and_drains_without_a_window(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    set_parallel_runs(store, 1)
    first, second = queue_run(store, steps=40, name="first"), queue_run(store, steps=40, name="second")
    started = start_ready(store)
    assert [run_id for run_id, _ in started] == [first]
    assert start_ready(store) == [], "the slot is taken"
    assert store.get(second).status == "queued"
    started[0][1].wait(120)
    wait_for(lambda: store.get(second).status == "finished", 120, "the first run's process to start the second")
    assert store.get(first).status == "finished"


def test_queue_settings_and_core_sharing(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    assert parallel_runs(store) == default_parallel()
    assert default_parallel(2) == 1 and default_parallel(8) == 3 and default_parallel(64) == 4
    set_parallel_runs(store, 3)
    assert parallel_runs(RunStore(tmp_path / "runs")) == 3, "shared by every process using the folder"
    with pytest.raises(UserError, match="from 1 to"):
        set_parallel_runs(store, 0)
    assert threads_per_run(1, cores=8) == 7 and threads_per_run(3, cores=8) == 2 and threads_per_run(9, cores=8) == 1
    assert threads_per_run(1, cores=1) == 1


def test_a_run_process_that_cannot_start_its_run_fails_with_a_reason(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    run_id = queue_run(store, steps=10, dataset_options={"no_such_option": 1})
    [(_, process)] = start_ready(store)
    assert process.wait(120) == 2
    record = store.get(run_id)
    assert record.status == "failed" and "no_such_option" in record.error


def test_exit_verdicts_say_what_happened(tmp_path: Path) -> None:
    log = tmp_path / "process.log"
    log.write_text("Traceback (most recent call last):\nRuntimeError: a kernel exploded\n")
    assert exit_verdict(-signal.SIGKILL, log)[0] == "interrupted"
    status, reason = exit_verdict(-signal.SIGSEGV, log)
    assert status == "failed" and "SIGSEGV" in reason and "a kernel exploded" in reason
    status, reason = exit_verdict(1, log)
    assert status == "failed" and "status 1" in reason
    assert exit_verdict(None, tmp_path / "missing.log")[0] == "interrupted"


def test_the_live_server_refuses_a_wrong_token_and_drops_nobody_else(tmp_path: Path) -> None:
    controls = []
    server = LiveServer(lambda action, value: controls.append((action, value)))
    server.start()
    try:
        with pytest.raises(ConnectionError):
            LiveClient({"host": "127.0.0.1"})
        intruder = LiveClient({**server.address, "token": "wrong"})
        assert intruder.messages.get(timeout=10)["type"] == "closed"
        friend = LiveClient(server.address)
        server.publish({"type": "step", "step": 1})
        assert friend.messages.get(timeout=10) == {"type": "step", "step": 1}
        friend.send_control("pause")
        wait_for(lambda: controls == [("pause", None)], 10, "the control")
        with pytest.raises(ValueError):
            friend.send_control("explode")
    finally:
        server.close()
    assert friend.messages.get(timeout=10)["type"] == "closed"


def test_a_version_1_store_is_migrated_with_its_runs_and_metrics(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    runs_dir.mkdir()
    with sqlite3.connect(runs_dir / "runs.sqlite") as conn:
        for statement in _SCHEMA_V1:
            conn.execute(statement)
        conn.execute("INSERT INTO runs (name, family, dataset, status, created, steps) "
                     "VALUES ('old', 'made', 'binary-digits', 'finished', 1.0, 7)")
        conn.execute("INSERT INTO metrics (run_id, step, wall_time, split, nll, bpd) VALUES (1, 7, 0.5, 'train', 3, 1)")
        conn.execute("PRAGMA user_version = 1")
    store = RunStore(runs_dir)
    [old] = store.runs()
    assert (old.name, old.status, old.steps, old.sweep_id, old.live) == ("old", "finished", 7, None, None)
    assert [row.step for row in store.metrics(old.id)] == [7], "the rebuilt runs table cascaded nothing"
    assert queue_run(store, steps=5) == 2
    sweep = store.create_sweep("ordering", "orderings of made", {"orderings": ["raster"]})
    store.enqueue_run("in a sweep", "made", "binary-digits", {}, {}, sweep_id=sweep)
    assert [run.name for run in store.sweep_runs(sweep)] == ["in a sweep"]
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


if sys.platform == "win32":
    pytest.skip("signals and detached sessions are tested on POSIX", allow_module_level=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc tells a zombie on Linux")
def test_an_ended_child_not_yet_collected_is_not_alive() -> None:
    from arstudio.training.run_store import pid_alive

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    wait_for(lambda: not pid_alive(child.pid), 30, "the child to end")
    assert child.poll() == 0
