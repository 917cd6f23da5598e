"""The window with runs in their own processes: several at once, a queue, faults, closing and re-attaching.

Real child processes started by the real window; the close question is answered by clicking its buttons.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QPushButton, QSpinBox

from arstudio.training.checkpoint import load_checkpoint
from arstudio.training.config import TrainConfig
from arstudio.training.run_checkpoint import run_checkpoint
from arstudio.ui import MainWindow

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="kill -9 and detached sessions are POSIX")


def tiny(steps: int, **overrides) -> TrainConfig:
    return TrainConfig(family="made", dataset="binary-digits", hparams={"hidden": 16}, steps=steps, eval_every=50,
                       **overrides)


@pytest.fixture()
def make_window(qtbot, tmp_path: Path):
    windows: list[MainWindow] = []

    def make() -> MainWindow:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(runs_dir=tmp_path / "runs", settings=settings)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        if window.is_training():
            window.training.stop_and_wait()
        window.training.detach_all()
        window.close()
        window.deleteLater()


def answer_close_question(button: str) -> None:
    """Click `button` of the question that closing the window is about to ask."""
    def click() -> None:
        box = QApplication.activeModalWidget()
        assert box is not None and box.objectName() == "closeRunsDialog"
        box.findChild(QPushButton, button).click()
    QTimer.singleShot(300, click)


def test_two_runs_at_once_both_finish_with_the_right_curves(make_window, qtbot) -> None:
    window = make_window()
    window.findChild(QSpinBox, "parallelRunsSpin").setValue(2)
    window.start_training(tiny(150, name="first"))
    window.start_training(tiny(150, name="second", seed=1))
    assert len(window.training.sessions) == 2, window.last_error
    qtbot.waitUntil(lambda: not window.is_training(), timeout=120_000)
    runs = {run.name: run for run in window.registry.runs()}
    for run in runs.values():
        assert run.status == "finished" and run.steps == 150
        assert [row.step for row in window.registry.metrics(run.id, "train")] == list(range(1, 151))
    drawn = [step for step, _, _ in window.nll.series["live"].train]
    assert drawn == list(range(1, 151)), "the watched run's curve has every step once, the other run's none"
    assert window.last_error == ""


def test_a_run_waits_in_the_queue_until_one_ends(make_window, qtbot) -> None:
    window = make_window()
    window.findChild(QSpinBox, "parallelRunsSpin").setValue(1)
    window.start_training(tiny(60, name="first"))
    window.start_training(tiny(60, name="second"))
    assert "queued" in window.status_label.text()
    window.runs.refresh()
    assert [run.status for run in window.registry.runs()] == ["queued", "running"]
    qtbot.waitUntil(lambda: [run.status for run in window.registry.runs()] == ["finished", "finished"],
                    timeout=120_000)
    qtbot.waitUntil(lambda: not window.is_training(), timeout=30_000)


def test_kill_9_of_a_run_process_is_reported_and_the_run_resumes(make_window, qtbot) -> None:
    window = make_window()
    window.start_training(tiny(100_000, checkpoint_every=20))
    session = window.session
    qtbot.waitUntil(lambda: window.nll.point_count() > 30, timeout=60_000)
    run_id = session.run_id
    qtbot.waitUntil(lambda: (window.registry.run_dir(run_id) / "checkpoints" / "last.json").is_file(), timeout=30_000)
    os.kill(session.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: not window.is_training(), timeout=30_000)
    assert "killed" in window.last_error and "SIGKILL" in window.last_error
    record = window.registry.get(run_id)
    assert record.status == "interrupted" and "SIGKILL" in record.error
    saved = load_checkpoint(run_checkpoint(window.registry, run_id)).meta["step"]
    assert saved >= 20

    window.last_error = ""
    window.training.resume_run(run_id)
    qtbot.waitUntil(lambda: window.nll.point_count() > saved + 10, timeout=60_000)
    window.stop_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=30_000)
    assert window.registry.get(run_id).status == "stopped" and window.last_error == ""
    steps = [row.step for row in window.registry.metrics(run_id, "train")]
    assert steps == list(range(1, len(steps) + 1))


def test_closing_keeps_the_run_training_and_a_new_window_reattaches(make_window, qtbot) -> None:
    first = make_window()
    first.start_training(tiny(100_000, name="long"))
    qtbot.waitUntil(lambda: first.nll.point_count() > 20, timeout=60_000)
    run_id = first.session.run_id
    pid = first.session.pid
    answer_close_question("keepRunsButton")
    first.close()
    assert not first.isVisible()
    qtbot.wait(1000)
    assert first.registry.get(run_id).status == "running", "the run outlives its window"

    again = make_window()
    assert again.is_training() and again.training.watched == run_id
    qtbot.waitUntil(lambda: again.nll.point_count() > 0, timeout=30_000)
    seen = again.nll.point_count()
    qtbot.waitUntil(lambda: again.nll.point_count() > seen + 20, timeout=30_000)
    drawn = [step for step, _, _ in again.nll.series["live"].train]
    assert drawn == list(range(1, len(drawn) + 1)), "the stored curve, then the live one, each step once"
    again.findChild(QPushButton, "pauseButton").click()
    qtbot.waitUntil(lambda: again.registry.get(run_id).status == "paused", timeout=30_000)
    again.findChild(QPushButton, "pauseButton").click()
    qtbot.waitUntil(lambda: again.registry.get(run_id).status == "running", timeout=30_000)

    answer_close_question("stopRunsButton")
    again.close()
    record = again.registry.get(run_id)
    assert record.status == "stopped" and record.pid == pid
    load_checkpoint(run_checkpoint(again.registry, run_id))
