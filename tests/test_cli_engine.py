"""The command line end to end, as a user runs it: real subprocesses, real files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from arstudio.training.run_store import RunStore


def arstudio(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "arstudio", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("ARSTUDIO_HOME", str(tmp_path / "home"))
    return {**os.environ, "ARSTUDIO_HOME": str(tmp_path / "home")}


def test_train_eval_sample_round_trip(tmp_path: Path, home: dict) -> None:
    runs = str(tmp_path / "runs")
    trained = arstudio("train", "--family", "made", "--dataset", "binary-digits", "--steps", "30", "--device", "cpu",
                       "--hparam", "hidden=32", "--eval-every", "10", "--runs-dir", runs, "--name", "cli run", env=home)
    assert trained.returncode == 0, trained.stderr
    assert "run 1: finished after 30 steps" in trained.stdout
    assert "checkpoint:" in trained.stdout
    listed = arstudio("runs", "--runs-dir", runs, env=home)
    assert "cli run" in listed.stdout and "finished" in listed.stdout
    evaluated = arstudio("eval", "--run", "1", "--runs-dir", runs, env=home)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "test NLL" in evaluated.stdout and "bits per dimension" in evaluated.stdout
    out = tmp_path / "grid.png"
    sampled = arstudio("sample", "--run", "1", "--runs-dir", runs, "--n", "4", "--top-p", "0.9", "--seed", "3",
                       "--out", str(out), env=home)
    assert sampled.returncode == 0, sampled.stderr
    with Image.open(out) as picture:
        assert picture.mode == "L" and picture.width > 16
    checkpoint = str(tmp_path / "runs" / "run-1" / "checkpoints" / "last.json")
    wrong = arstudio("sample", "--checkpoint", checkpoint, "--out", str(tmp_path / "x.wav"), env=home)
    assert wrong.returncode == 2 and ".png" in wrong.stderr and "Traceback" not in wrong.stderr


def test_text_and_audio_samples_are_written(tmp_path: Path, home: dict) -> None:
    runs = str(tmp_path / "runs")
    for family, dataset, extra in (("transformer", "pydocs", ["--data-option", "context=32", "--hparam", "layers=1"]),
                                   ("wavenet", "tones", ["--data-option", "clip_seconds=0.05",
                                                         "--hparam", "layers_per_cycle=4"])):
        trained = arstudio("train", "--family", family, "--dataset", dataset, "--steps", "5", "--device", "cpu",
                           "--runs-dir", runs, *extra, env=home)
        assert trained.returncode == 0, trained.stderr
    text = tmp_path / "out.txt"
    done = arstudio("sample", "--run", "1", "--runs-dir", runs, "--n", "2", "--prompt", "def ", "--length", "60",
                    "--out", str(text), env=home)
    assert done.returncode == 0, done.stderr
    assert text.read_text().count("--- sample") == 2 and "def " in text.read_text()
    wav = tmp_path / "out.wav"
    done = arstudio("sample", "--run", "2", "--runs-dir", runs, "--n", "2", "--length", "800", "--out", str(wav),
                    env=home)
    assert done.returncode == 0, done.stderr
    import wave

    with wave.open(str(wav)) as clip:
        assert clip.getframerate() == 8000 and clip.getnframes() == 2 * 800 + 2000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--family", "lstm"], "Unknown model family"),
        (["train", "--dataset", "imagenet"], "imagenet"),
        (["train", "--family", "wavenet", "--dataset", "binary-digits"], "cannot model"),
        (["train", "--hparam", "oops"], "KEY=VALUE"),
        (["eval", "--run", "99"], "99"),
    ],
)
def test_user_mistakes_exit_2_with_a_message_and_no_traceback(args: list, message: str, tmp_path: Path,
                                                               home: dict) -> None:
    done = arstudio(*args, "--runs-dir", str(tmp_path / "runs"), env=home)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_a_pickle_passed_as_a_checkpoint_is_refused_unopened(tmp_path: Path, home: dict) -> None:
    marker = tmp_path / "pwned"
    payload = tmp_path / "model.pt"
    script = (f"import pickle, pathlib\nclass P:\n    def __reduce__(self):\n"
              f"        return (pathlib.Path.touch, (pathlib.Path({str(marker)!r}),))\n"
              f"open({str(payload)!r}, 'wb').write(pickle.dumps(P()))\n")
    subprocess.run([sys.executable, "-c", script], check=True)
    done = arstudio("eval", "--checkpoint", str(payload), env=home)
    assert done.returncode == 2 and "pickle" in done.stderr
    assert not marker.exists()


def test_a_killed_training_process_leaves_the_registry_consistent(tmp_path: Path, home: dict) -> None:
    runs = tmp_path / "runs"
    process = subprocess.Popen([sys.executable, "-m", "arstudio", "train", "--steps", "1000000", "--device", "cpu",
                                "--eval-every", "20", "--runs-dir", str(runs)], env=home,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if (runs / "runs.sqlite").exists() and any(r.steps >= 40 for r in RunStore(runs).runs()):
                break
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    run = RunStore(runs).runs()[0]
    assert run.status == "interrupted"
    assert len(RunStore(runs).metrics(run.id, "validation")) >= 2


def test_two_torchrun_processes_end_with_identical_weights(tmp_path: Path, home: dict) -> None:
    worker = Path(__file__).with_name("distributed_worker.py")
    env = {**home, "PYTHONPATH": str(Path(__file__).parents[1]), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           str(worker), str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    rank0, rank1 = load_file(str(tmp_path / "rank0.safetensors")), load_file(str(tmp_path / "rank1.safetensors"))
    assert rank0.keys() == rank1.keys()
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    runs = RunStore(tmp_path / "runs").runs()
    assert len(runs) == 1 and runs[0].status == "finished" and runs[0].steps == 6
