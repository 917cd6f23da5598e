"""The run registry: bookkeeping, crash recovery, concurrency and unusable folders."""

from __future__ import annotations

import csv
import math
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from arstudio.errors import UserError
from arstudio.training.paths import default_runs_dir
from arstudio.training.run_store import DB_NAME, SCHEMA_VERSION, RunStore

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARSTUDIO_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def registry(home: Path) -> RunStore:
    return RunStore()


def new_run(registry: RunStore, name: str = "nade on digits") -> int:
    return registry.create_run(name, "nade", "digits", {"hidden": 32}, {"steps": 100, "lr": 1e-3}, "cpu")


def test_default_folder_follows_arstudio_home(home: Path, registry: RunStore) -> None:
    assert default_runs_dir() == home / "runs"
    assert registry.runs_dir == home / "runs" and (home / "runs" / DB_NAME).is_file()


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG layout is for Linux")
def test_default_folder_without_arstudio_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARSTUDIO_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_runs_dir() == tmp_path / "arstudio" / "runs"


def test_database_is_wal_with_a_schema_version(registry: RunStore) -> None:
    with sqlite3.connect(registry.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_create_log_list_rename_and_update(registry: RunStore) -> None:
    first = new_run(registry)
    second = new_run(registry, "made on bars")
    run = registry.get(first)
    assert (run.name, run.family, run.dataset, run.status) == ("nade on digits", "nade", "digits", "running")
    assert run.hparams == {"hidden": 32} and run.config == {"steps": 100, "lr": 1e-3}
    assert run.pid == os.getpid() and run.started is not None and run.ended is None
    assert [r.id for r in registry.runs()] == [second, first]

    registry.log_metrics(first, [(1, 0.1, "train", 40.0, 0.9), (2, 0.2, "train", 38.0, 0.85),
                                 (2, 0.25, "validation", 39.0, 0.87), (3, 0.3, "train", math.nan, math.nan)])
    assert [m.step for m in registry.metrics(first, "train")] == [1, 2, 3]
    assert [m.split for m in registry.metrics(first)] == ["train", "train", "validation", "train"]
    assert [m.step for m in registry.metrics(first, "train", after_step=1)] == [2, 3]
    assert math.isnan(registry.metrics(first, "train")[-1].nll)
    arrays = registry.metric_arrays(first, "train")
    np.testing.assert_array_equal(arrays["step"], [1, 2, 3])
    np.testing.assert_array_equal(arrays["nll"][:2], [40.0, 38.0])
    assert registry.metrics(second) == []

    registry.rename(first, "  my run ")
    registry.update_run(first, steps=3, best_val_nll=39.0, test_nll=39.5, checkpoint=Path("/x/last.json"))
    registry.set_status(first, "finished")
    run = registry.get(first)
    assert (run.name, run.steps, run.best_val_nll, run.test_nll) == ("my run", 3, 39.0, 39.5)
    assert run.checkpoint == "/x/last.json" and run.status == "finished" and run.ended is not None

    registry.set_status(second, "failed", error="Training diverged at step 5.")
    assert registry.get(second).error == "Training diverged at step 5."


def test_bad_arguments(registry: RunStore) -> None:
    run = new_run(registry)
    with pytest.raises(UserError, match="There is no run 99"):
        registry.get(99)
    with pytest.raises(UserError, match="There is no run 99"):
        registry.log_metrics(99, [(1, 0.0, "train", 1.0, 1.0)])
    with pytest.raises(UserError, match="needs a name"):
        registry.rename(run, "   ")
    with pytest.raises(ValueError, match="status"):
        registry.set_status(run, "exploded")
    with pytest.raises(ValueError, match="split"):
        registry.log_metrics(run, [(1, 0.0, "holdout", 1.0, 1.0)])
    with pytest.raises(TypeError, match="cannot set"):
        registry.update_run(run, status="finished")


def test_artifacts_and_run_folders(registry: RunStore) -> None:
    run = new_run(registry)
    assert registry.run_dir(run) == registry.runs_dir / f"run-{run}"
    registry.add_artifact(run, "samples", registry.run_dir(run) / "samples.png")
    registry.add_artifact(run, "audio", "/tmp/a.wav")
    assert [(a.kind, a.path) for a in registry.artifacts(run)] == [
        ("samples", str(registry.run_dir(run) / "samples.png")), ("audio", "/tmp/a.wav")]


def test_delete_removes_rows_and_optionally_the_folder(registry: RunStore) -> None:
    keep, drop, drop_files = new_run(registry), new_run(registry), new_run(registry)
    for run in (keep, drop, drop_files):
        registry.log_metrics(run, [(1, 0.1, "train", 1.0, 0.1)])
        registry.add_artifact(run, "samples", "s.png")
        registry.run_dir(run).mkdir()
    with pytest.raises(UserError, match="stop it before deleting"):
        registry.delete(drop)
    for run in (drop, drop_files):
        registry.set_status(run, "stopped")
    registry.delete(drop)
    registry.delete(drop_files, remove_files=True)

    assert [r.id for r in registry.runs()] == [keep]
    assert registry.run_dir(drop).is_dir() and not registry.run_dir(drop_files).exists()
    with sqlite3.connect(registry.path) as conn:
        assert conn.execute("SELECT DISTINCT run_id FROM metrics").fetchall() == [(keep,)]
        assert conn.execute("SELECT DISTINCT run_id FROM artifacts").fetchall() == [(keep,)]
    assert new_run(registry) > drop_files, "ids of deleted runs are never reused"


def test_export_csv(registry: RunStore, tmp_path: Path) -> None:
    a, b = new_run(registry, "run a"), new_run(registry, "run, b")
    registry.log_metrics(a, [(1, 0.5, "train", 2.0, 0.2), (1, 0.6, "validation", 2.5, 0.25)])
    registry.log_metrics(b, [(10, 1.5, "test", 3.0, 0.3)])
    path = registry.export_csv([a, b], tmp_path / "out.csv")
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["run_id"], r["run_name"], r["split"], r["step"], float(r["nll"])) for r in rows] == [
        (str(a), "run a", "train", "1", 2.0), (str(a), "run a", "validation", "1", 2.5),
        (str(b), "run, b", "test", "10", 3.0)]
    assert set(rows[0]) == {"run_id", "run_name", "family", "dataset", "split", "step", "wall_time", "nll", "bpd"}


CHILD = textwrap.dedent("""
    import sys, time
    from arstudio.training.run_store import RunStore
    registry = RunStore(sys.argv[1])
    run = registry.create_run("child", "made", "bars", {}, {}, "cpu")
    step = 0
    while True:
        step += 1
        registry.log_metrics(run, [(step, step * 0.01, "train", 10.0 / step, 1.0 / step)])
        registry.update_run(run, steps=step)
        if step == 20:
            print(run, flush=True)
""")


def test_killed_trainer_leaves_an_interrupted_run_with_its_metrics(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(runs_dir)], cwd=REPO, stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        run = int(child.stdout.readline())
        live = RunStore(runs_dir)
        assert live.get(run).status == "running", "a live run is not mistaken for an interrupted one"
        live.close()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()

    reopened = RunStore(runs_dir)
    record = reopened.get(run)
    steps = [m.step for m in reopened.metrics(run, "train")]
    assert record.status == "interrupted" and record.ended is not None
    assert len(steps) >= 20 and steps == list(range(1, len(steps) + 1))
    assert record.steps in (len(steps), len(steps) - 1)
    with sqlite3.connect(reopened.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_writer_and_readers_in_threads(registry: RunStore) -> None:
    run = new_run(registry)
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            for step in range(200):
                registry.log_metrics(run, [(step, step * 0.1, "train", 1.0, 0.1)] * 10)
                registry.update_run(run, steps=step)
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    def read() -> None:
        try:
            while not done.is_set():
                assert registry.runs()[0].id == run
                rows = registry.metrics(run, "train")
                assert len(rows) % 10 == 0, "a batch is logged all at once"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(registry.metrics(run)) == 2000 and registry.get(run).steps == 199


def test_runs_folder_under_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(UserError, match="Cannot write to the runs folder .*--runs-dir or ARSTUDIO_HOME"):
        RunStore(blocker / "runs")
    assert blocker.read_text() == "x"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_runs_folder(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    RunStore(folder).close()
    folder.chmod(0o555)
    try:
        with pytest.raises(UserError, match="Cannot write to the runs folder"):
            RunStore(folder)
        assert (folder / DB_NAME).is_file()
    finally:
        folder.chmod(0o755)


def test_damaged_database_is_reported_and_kept(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    junk = b"this is not an SQLite database" * 100
    (folder / DB_NAME).write_bytes(junk)
    with pytest.raises(UserError, match="is damaged.*left it untouched"):
        RunStore(folder)
    assert (folder / DB_NAME).read_bytes() == junk


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    RunStore(folder).close()
    with sqlite3.connect(folder / DB_NAME) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(UserError, match="newer ARStudio"):
        RunStore(folder)


WRITER = textwrap.dedent("""
    import sys
    from arstudio.training.run_store import RunStore
    store = RunStore(sys.argv[1])
    shared, writer = int(sys.argv[2]), int(sys.argv[3])
    own = store.create_run(f"writer {writer}", "made", "bars", {}, {}, "cpu")
    for step in range(150):
        store.log_metrics(shared, [(step, float(writer), "train", 1.0, 0.1)] * 4)
        store.log_metrics(own, [(step, float(writer), "validation", 2.0, 0.2)])
        store.update_run(own, steps=step)
    print(own, flush=True)
""")


def test_concurrent_writer_processes_lose_no_metric_row(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    store = RunStore(runs_dir)
    shared = new_run(store)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(runs_dir), str(shared), str(i)], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for i in range(4)]
    own = []
    for child in writers:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        own.append(int(out))

    rows = store.metrics(shared, "train")
    assert len(rows) == 4 * 150 * 4
    assert sorted({row.wall_time for row in rows}) == [0.0, 1.0, 2.0, 3.0]
    for run in own:
        assert [m.step for m in store.metrics(run, "validation")] == list(range(150))
        assert store.get(run).steps == 149
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
