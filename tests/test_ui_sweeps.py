"""The Sweeps tab, driven like a person would: a real window, real run processes, offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage

from arstudio.training.sweeps import SCALING
from arstudio.ui import MainWindow
from arstudio.ui.sweeps.form import SAME_COMPUTE

SWEEP_TIMEOUT_MS = 120_000
SESSION_END_MS = 30_000
"""How long the window may take to notice that a finished run's process has gone."""


@pytest.fixture()
def window(qtbot, tmp_path: Path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(runs_dir=tmp_path / "runs", settings=settings)
    window.resize(1280, 800)
    window.show()
    yield window
    window.sweeps.timer.stop()
    training = window.training
    qtbot.waitUntil(lambda: not any(s.is_running() for s in training.sessions.values()), timeout=SESSION_END_MS)
    window.close()
    window.deleteLater()


def test_the_sweeps_tab_and_its_menu_entry(window: MainWindow) -> None:
    panel = window.sweeps
    assert panel.objectName() == "sweepsPanel"
    assert window.tabs.tabText(window.tabs.indexOf(panel)) == "Sweeps"
    for name in ("sweepKindCombo", "sweepStartButton", "sweepTable", "sweepPlot", "sweepExportCsvButton",
                 "sweepExportPngButton"):
        assert panel.findChild(object, name) is not None, name
    window.actions_by_name["sweeps"].trigger()
    assert window.tabs.currentWidget() is panel
    assert not panel.csv_button.isEnabled()


def test_a_three_run_ordering_lab_from_the_panel(window: MainWindow, qtbot, tmp_path: Path) -> None:
    panel = window.sweeps
    window.tabs.setCurrentWidget(panel)
    form = panel.form.ordering
    for name, box in form.boxes.items():
        box.setChecked(name in ("raster", "column", "snake"))
    form.seeds.setValue(1)
    form.steps.setValue(30)
    form.hidden.setValue(16)
    sweep_id = panel.start_sweep()
    assert sweep_id is not None, window.last_error
    assert panel.table.rowCount() == 3
    qtbot.waitUntil(lambda: panel.finished, timeout=SWEEP_TIMEOUT_MS)
    panel.refresh()
    assert [panel.table.cell_text(row, "Status") for row in range(3)] == ["finished"] * 3
    assert [panel.table.cell_text(row, "Label") for row in range(3)] == ["raster, seed 0", "column, seed 0",
                                                                          "snake, seed 0"]
    assert all(float(panel.table.cell_text(row, "Test NLL")) > 0 for row in range(3))
    assert panel.plot.bars is not None and len(panel.plot.bars.opts["x"]) == 3
    assert panel.plot.error_bars is not None
    csv_path = panel.export_csv(tmp_path / "lab.csv")
    assert len(csv_path.read_text().splitlines()) == 4
    png = QImage(str(panel.export_png(tmp_path / "lab.png")))
    assert not png.isNull() and png.width() >= 300 and png.height() >= 200
    assert panel.chooser.currentData() == sweep_id and "3 of 3 runs finished" in panel.status.text()


def test_mistakes_in_the_form_are_shown_not_raised(window: MainWindow) -> None:
    panel = window.sweeps
    panel.form.set_kind(SCALING)
    panel.form.scaling.sizes.setText("16,big")
    assert panel.start_sweep() is None
    assert "whole numbers" in window.last_error
    panel.form.scaling.sizes.setText("16,32")
    panel.form.scaling.budget_kind.setCurrentText(SAME_COMPUTE)
    panel.form.scaling.budget.setText("1e6")
    assert panel.start_sweep() is None and "raise the budget" in window.last_error
    assert window.registry.sweeps() == []


def test_the_scaling_form_plans_a_compute_budget(window: MainWindow) -> None:
    form = window.sweeps.form
    form.set_kind(SCALING)
    assert form.pages.currentWidget() is form.scaling
    form.scaling.budget_kind.setCurrentText(SAME_COMPUTE)
    form.scaling.budget.setText("3e11")
    plan = form.plan()
    steps = [run.config.steps for run in plan.runs]
    assert plan.kind == SCALING and len(steps) == 4 and steps == sorted(steps, reverse=True)
    form.scaling.family.setCurrentIndex(form.scaling.family.findData("pixelcnn"))
    assert form.scaling.dataset.currentText() == "binary-digits" and form.scaling.sizes.text() == "8,16,32"
