"""The window holds a run against the published results on its data set: the runs table and the watched plot."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QPushButton, QTableWidget

from arstudio.training.run_store import RunStore
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


def cell(table: QTableWidget, run_id: int, column: str):
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == str(run_id))
    return table.item(row, headers.index(column))


def test_the_runs_table_shows_the_best_published_figure_beside_the_test_nll(make_window, tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    mnist = store.create_run("made on binarized-mnist", "made", "binarized-mnist", {}, {"steps": 10}, "cpu")
    store.update_run(mnist, steps=10, test_nll=95.5)
    store.set_status(mnist, "finished")
    digits = store.create_run("made on binary-digits", "made", "binary-digits", {}, {"steps": 10}, "cpu")
    store.set_status(digits, "finished")
    store.close()
    window = make_window()
    table = window.findChild(QTableWidget, "runsTable")
    assert cell(table, mnist, "test NLL").text() == "95.5000"
    assert cell(table, mnist, "paper").text() == "79.20 PixelRNN"
    tip = cell(table, mnist, "test NLL").toolTip()
    for line in ("79.20  PixelRNN", "81.30  PixelCNN", "88.86  NADE", "yours +16.30", "This run: 95.50", "Protocol"):
        assert line in tip, line
    assert cell(table, mnist, "paper").toolTip() == tip
    assert cell(table, digits, "paper").text() == "" and cell(table, digits, "test NLL").toolTip() == ""
    assert window.minimumSizeHint().width() < 1100


def test_the_watched_runs_plot_has_the_lines_of_its_data_set_only(make_window, qtbot) -> None:
    window = make_window()
    window.setup.select("made", "binarized-mnist", {"hidden": 8})
    window.setup.steps_spin.setValue(100_000)
    qtbot.mouseClick(window.findChild(QPushButton, "trainButton"), LEFT)
    qtbot.waitUntil(lambda: window.nll.point_count() > 5, timeout=120_000)
    assert sorted(entry.reference.nll for entry in window.nll.reference_lines) == [79.20, 81.30, 86.64, 88.04, 88.86]
    qtbot.mouseClick(window.findChild(QPushButton, "stopButton"), LEFT)
    qtbot.waitUntil(lambda: not window.is_training(), timeout=60_000)
    assert len(window.nll.reference_lines) == 5, "the finished run's curve keeps its lines"

    window.setup.select("made", "binary-digits", {"hidden": 8})
    window.setup.steps_spin.setValue(20)
    qtbot.mouseClick(window.findChild(QPushButton, "trainButton"), LEFT)
    qtbot.waitUntil(lambda: "binary-digits" in window.nll.series["live"].label, timeout=60_000)
    assert window.nll.reference_lines == [] and not window.nll.reference_note.isVisible()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=60_000)
