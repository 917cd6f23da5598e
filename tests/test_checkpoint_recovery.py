"""Nothing trained is lost: time-based saves, a SIGKILLed trainer, `best` without `last`, resume from the newest."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from PIL import Image

from arstudio.app.model_source import load_run_model
from arstudio.errors import UserError
from arstudio.training.checkpoint import load_checkpoint, read_header
from arstudio.training.config import TrainConfig
from arstudio.training.events import StatusEvent, StepEvent
from arstudio.training.run_checkpoint import run_checkpoint, run_slots
from arstudio.training.run_store import RunStore
from arstudio.training.trainer import Trainer


def arstudio(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "arstudio", *args], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("ARSTUDIO_HOME", str(tmp_path / "home"))
    return {**os.environ, "ARSTUDIO_HOME": str(tmp_path / "home")}


def made(**overrides) -> TrainConfig:
    settings = dict(family="made", dataset="binary-digits", hparams={"hidden": 32, "num_masks": 3}, steps=20,
                    batch_size=16, device="cpu", eval_every=5, eval_examples=64, checkpoint_every=1000, compile="off")
    return TrainConfig(**{**settings, **overrides})


def stopping_at(step: int, config: TrainConfig, registry: RunStore) -> Trainer:
    trainer: Trainer

    def stop(event) -> None:
        if isinstance(event, StepEvent) and event.step == step:
            trainer.stop()

    trainer = Trainer(config, registry, callback=stop)
    return trainer


def remove_checkpoint(folder: Path, stem: str) -> None:
    for name in (f"{stem}.json", f"{stem}.safetensors", f".{stem}.safetensors.previous"):
        (folder / name).unlink(missing_ok=True)


def test_a_sigkilled_training_process_leaves_a_checkpoint_that_eval_loads_and_resume_continues(
        tmp_path: Path, home: dict) -> None:
    runs = tmp_path / "runs"
    # No evaluation before the kill, so no `best`: a 0.5 s interval saves `last` long before a default step save.
    process = subprocess.Popen(
        [sys.executable, "-m", "arstudio", "train", "--family", "made", "--hparam", "hidden=32", "--steps", "1000000",
         "--eval-every", "1000000", "--checkpoint-seconds", "0.5", "--device", "cpu", "--compile", "off",
         "--runs-dir", str(runs)], env=home, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    last = runs / "run-1" / "checkpoints" / "last.json"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
            if last.is_file() and read_header(last)["meta"]["step"] > 0:
                break
    finally:
        process.send_signal(signal.SIGKILL)
        _, errors = process.communicate()
    assert last.is_file(), f"no time-based checkpoint before the kill; the trainer said: {errors.decode()[-2000:]}"
    assert RunStore(runs).get(1).status == "interrupted"
    saved = read_header(last)["meta"]["step"]
    assert 0 < saved < 1000000

    evaluated = arstudio("eval", "--run", "1", "--runs-dir", str(runs), env=home)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "test NLL" in evaluated.stdout

    resumed = arstudio("train", "--resume", "1", "--steps", str(saved + 5), "--runs-dir", str(runs), env=home)
    assert resumed.returncode == 0, resumed.stderr
    assert f"run 1: finished after {saved + 5} steps" in resumed.stdout
    store = RunStore(runs)
    assert store.get(1).status == "finished"
    steps = [row.step for row in store.metrics(1, "train")]
    assert steps == list(range(1, saved + 6)), "the steps past the checkpoint are logged once, by the resumed run"


def test_with_only_best_on_disk_eval_sample_and_explore_load_it(tmp_path: Path, home: dict) -> None:
    registry = RunStore(tmp_path / "runs")
    summary = Trainer(made(steps=10), registry).run()
    folder = run_slots(registry, summary.run_id).run_dir
    remove_checkpoint(folder, "last")
    best = folder / "best.json"
    assert best.is_file()
    assert run_checkpoint(registry, summary.run_id) == best

    loaded = load_run_model(registry, summary.run_id)
    assert loaded.checkpoint == best and loaded.family == "made"
    runs = str(tmp_path / "runs")
    evaluated = arstudio("eval", "--run", str(summary.run_id), "--runs-dir", runs, env=home)
    assert evaluated.returncode == 0, evaluated.stderr
    out = tmp_path / "grid.png"
    sampled = arstudio("sample", "--run", str(summary.run_id), "--runs-dir", runs, "--n", "4", "--out", str(out),
                       env=home)
    assert sampled.returncode == 0, sampled.stderr
    with Image.open(out) as picture:
        assert picture.width > 8

    remove_checkpoint(folder, "best")
    with pytest.raises(UserError, match="no checkpoint: it ended before its first save"):
        load_run_model(registry, summary.run_id)
    refused = arstudio("eval", "--run", str(summary.run_id), "--runs-dir", runs, env=home)
    assert refused.returncode == 2 and "Train it again" in refused.stderr and "Traceback" not in refused.stderr
    with pytest.raises(UserError, match="no checkpoint to resume from"):
        Trainer(made(steps=10), registry, resume_run=summary.run_id).run()


def test_last_is_saved_when_the_interval_has_passed_by_the_clock(tmp_path: Path) -> None:
    registry = RunStore(tmp_path / "runs")
    now = [0.0]
    saved_steps = []
    trainer: Trainer

    def watch(event) -> None:
        if not isinstance(event, StepEvent):
            return
        slots = run_slots(registry, trainer.run_id)
        saved_steps.append(read_header(slots.last)["meta"]["step"] if slots.last_exists() else None)
        if event.step in (3, 7):
            now[0] += 61.0  # a minute passes during steps 3 and 7

    trainer = Trainer(made(steps=10, eval_every=1000, checkpoint_seconds=60.0), registry, callback=watch,
                      clock=lambda: now[0])
    summary = trainer.run()
    # The event of step n comes before the save check of step n, so it sees the saves of earlier steps.
    assert saved_steps == [None, None, None, 3, 3, 3, 3, 7, 7, 7]
    assert summary.status == "finished" and read_header(summary.checkpoint)["meta"]["step"] == 10


def test_resume_continues_from_best_when_it_is_newer_than_last(tmp_path: Path) -> None:
    registry = RunStore(tmp_path / "runs")
    straight = Trainer(made(), registry).run()
    early = stopping_at(4, made(), registry).run()  # its `last` is at step 4
    later = stopping_at(12, made(), registry).run()  # `best` at step 10 (or 5), `last` at 12
    folder = run_slots(registry, later.run_id).run_dir
    for name in ("last.json", "last.safetensors"):
        shutil.copy(run_slots(registry, early.run_id).run_dir / name, folder / name)
    best_step = read_header(folder / "best.json")["meta"]["step"]
    assert best_step > 4
    assert run_checkpoint(registry, later.run_id) == folder / "best.json"

    events = []
    resumed = Trainer(made(), registry, callback=events.append, resume_run=later.run_id).run()
    assert [e.step for e in events if isinstance(e, StatusEvent)][0] == best_step
    assert resumed.status == "finished" and resumed.steps == 20
    assert [row.step for row in registry.metrics(later.run_id, "train")] == list(range(1, 21))
    a = load_checkpoint(registry.get(straight.run_id).checkpoint).model.state_dict()
    b = load_checkpoint(registry.get(later.run_id).checkpoint).model.state_dict()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_newest_prefers_last_on_a_tie_and_skips_what_is_missing(tmp_path: Path) -> None:
    registry = RunStore(tmp_path / "runs")
    summary = Trainer(made(steps=10), registry).run()  # best and last both at step 10 (or best at 5)
    slots = run_slots(registry, summary.run_id)
    assert slots.newest() == slots.last
    remove_checkpoint(slots.run_dir, "last")
    remove_checkpoint(slots.run_dir, "best")
    assert slots.newest() is None


def test_the_checkpoint_interval_is_validated() -> None:
    for bad in (0, -1.0, float("nan"), "60", True):
        with pytest.raises(UserError, match="checkpoint interval in seconds"):
            made(checkpoint_seconds=bad)
