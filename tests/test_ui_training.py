"""The workbench window, driven like a person would: real widgets, real engine, offscreen."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QComboBox, QPushButton, QTableWidget, QWidget

from arstudio.ui import MainWindow

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture()
def make_window(qtbot, tmp_path: Path):
    windows = []

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
        window.close()
        window.deleteLater()


def tiny_setup(window: MainWindow, steps: int = 300, lr: float = 0.0) -> None:
    window.setup.select("made", "binary-digits", {"hidden": 32})
    window.setup.steps_spin.setValue(steps)
    window.setup.lr_spin.setValue(lr)


def table_rows(window: MainWindow) -> list[dict[str, str]]:
    """The runs' rows (the ready models' rows, see test_ui_zoo.py, left out)."""
    table = window.findChild(QTableWidget, "runsTable")
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    rows = [{h: table.item(r, c).text() for c, h in enumerate(headers)} for r in range(table.rowCount())]
    return [row for row in rows if row["status"] != "ready model"]


def test_window_opens_ready_to_train_with_the_fixed_object_names(make_window) -> None:
    window = make_window()
    family = window.findChild(QComboBox, "familyCombo")
    dataset = window.findChild(QComboBox, "datasetCombo")
    assert family.currentData() == "made" and dataset.currentData() == "binary-digits"
    assert window.findChild(QPushButton, "trainButton").isEnabled()
    assert not window.findChild(QPushButton, "stopButton").isEnabled()
    for name in ("nllPlot", "runsTable", "statusBar"):
        assert window.findChild(QWidget, name) is not None, name
    family.setCurrentIndex(family.findData("wavenet"))
    offered = {dataset.itemData(i) for i in range(dataset.count())}
    assert "tones" in offered and "binary-digits" not in offered


def test_conditional_is_offered_only_for_labelled_data_and_the_form_names_the_labels(make_window) -> None:
    from PySide6.QtWidgets import QCheckBox

    window = make_window()
    window.setup.select("pixelcnn", "binarized-mnist")
    box = window.findChild(QCheckBox, "hparam_conditional")
    assert box.isEnabled() and "digit labels (10)" in window.setup.data_label.text()
    box.setChecked(True)
    assert window.setup.config().hparams["conditional"] is True
    window.setup.select("pixelcnn", "patches")
    box = window.findChild(QCheckBox, "hparam_conditional")
    assert not box.isEnabled() and not box.isChecked() and "carries no labels" in box.toolTip()
    assert window.setup.config().hparams["conditional"] is False


def test_train_watch_stop_and_find_the_run_again(make_window, qtbot) -> None:
    window = make_window()
    tiny_setup(window, steps=100_000)
    qtbot.mouseClick(window.findChild(QPushButton, "trainButton"), LEFT)
    qtbot.waitUntil(lambda: window.nll.point_count() > 30 and bool(window.nll.series["live"].validation),
                    timeout=60_000)
    assert window.findChild(QPushButton, "trainButton").isEnabled(), "another run may be queued meanwhile"
    qtbot.mouseClick(window.findChild(QPushButton, "stopButton"), LEFT)
    qtbot.waitUntil(lambda: not window.is_training(), timeout=30_000)
    qtbot.waitUntil(lambda: bool(table_rows(window)) and table_rows(window)[0]["status"] == "stopped", timeout=10_000)
    row = table_rows(window)[0]
    assert row["family"] == "made" and float(row["best val NLL"]) < 44.4
    assert int(row["steps"]) > 30
    window.close()
    again = make_window()
    assert table_rows(again)[0]["id"] == row["id"]


def test_a_diverging_run_shows_an_error_and_the_next_run_trains(make_window, qtbot) -> None:
    window = make_window()
    tiny_setup(window, steps=300, lr=1e12)
    window.setup.hparams.editors["hidden"].setValue(16)
    qtbot.mouseClick(window.findChild(QPushButton, "trainButton"), LEFT)
    qtbot.waitUntil(lambda: not window.is_training() and bool(window.last_error), timeout=60_000)
    assert "diverged" in window.last_error
    assert window.findChild(QWidget, "errorDialog") is not None
    tiny_setup(window, steps=60)
    qtbot.mouseClick(window.findChild(QPushButton, "trainButton"), LEFT)
    qtbot.waitUntil(lambda: not window.is_training() and any(r["status"] == "finished" for r in table_rows(window)),
                    timeout=60_000)
    statuses = sorted(r["status"] for r in table_rows(window))
    assert statuses == ["failed", "finished"]


def test_gui_thread_stays_responsive_while_training(make_window, qtbot) -> None:
    window = make_window()
    tiny_setup(window, steps=150)
    assert window.warm_up.wait(120), "the start-up imports finish in the background"
    from arstudio.data.builtin_digits import load_digits_arrays

    assert load_digits_arrays.cache_info().currsize == 1, "the digits are read at start-up"
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer(interval=10, timeout=tick)
    threads = torch.get_num_threads()
    window.setup.train_button.click()
    timer.start()
    process = window.session.process
    assert process is not None and process.pid != os.getpid(), "the run trains in a process of its own"
    cores = os.cpu_count() or 1
    assert process.args[-2:] == ["--threads", str(max(1, cores - 1))], "with a core left to the window"
    qtbot.waitUntil(lambda: not window.is_training(), timeout=240_000)
    timer.stop()
    assert torch.get_num_threads() == threads, "the window's own threads are untouched"
    assert window.registry.runs()[0].status == "finished"
    ordered = sorted(gaps[1:])
    worst, p99 = ordered[-1], ordered[int(0.99 * (len(ordered) - 1))]
    print(f"\nGUI timer gaps while training: worst {worst * 1000:.1f} ms, 99th percentile {p99 * 1000:.1f} ms "
          f"over {len(gaps)} ticks")
    assert len(gaps) > 10


def test_screenshot_after_a_short_run_is_not_blank(make_window, qtbot, tmp_path: Path) -> None:
    window = make_window()
    tiny_setup(window, steps=80)
    window.setup.train_button.click()
    qtbot.waitUntil(lambda: not window.is_training() and bool(table_rows(window)), timeout=60_000)
    path = tmp_path / "window.png"
    assert window.grab().save(str(path))
    image = window.grab().toImage()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert path.stat().st_size > 10_000 and len(colours) > 20



def test_resume_a_stopped_run_from_the_runs_table_and_its_curve_continues(make_window, qtbot) -> None:
    window = make_window()
    tiny_setup(window, steps=400)
    window.setup.lr_spin.setValue(1e-3)
    qtbot.mouseClick(window.findChild(QPushButton, "trainButton"), LEFT)
    qtbot.waitUntil(lambda: window.nll.point_count() > 40, timeout=60_000)
    qtbot.mouseClick(window.findChild(QPushButton, "stopButton"), LEFT)
    qtbot.waitUntil(lambda: not window.is_training(), timeout=30_000)
    run = window.registry.runs()[0]
    assert run.status == "stopped" and 0 < run.steps < 400

    table = window.findChild(QTableWidget, "runsTable")
    window.runs.refresh()
    table.selectRow(window.runs.row_of(run.id))
    qtbot.mouseClick(window.findChild(QPushButton, "runsResumeButton"), LEFT)
    assert window.is_training(), window.last_error
    qtbot.waitUntil(lambda: not window.is_training(), timeout=120_000)

    resumed = window.registry.get(run.id)
    assert resumed.status == "finished" and resumed.steps == 400 and len(window.registry.runs()) == 1
    steps = [row.step for row in window.registry.metrics(run.id, "train")]
    assert steps == list(range(1, 401)), "the store holds each step once"
    drawn = [step for step, _, _ in window.nll.series["live"].train]
    assert drawn == steps, "the curve before the checkpoint is drawn first, then the new steps"

    table.selectRow(window.runs.row_of(run.id))
    qtbot.mouseClick(window.findChild(QPushButton, "runsResumeButton"), LEFT)
    assert not window.is_training() and "finished" in window.last_error
