"""The ready models in the window: rows of the runs table from the first start, explorable, never deleted,
and their curve drawn as the target of a run on the same data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QTableWidget

from arstudio.app.ready_targets import target_for
from arstudio.ui.shell.main_window import MainWindow
from arstudio.ui.train.ready_rows import READY_HINT, READY_ROLE
from arstudio.ui.train.runs_panel import RunsPanel
from arstudio.zoo.catalog import ready_models
from arstudio.zoo.recipes import ZOO_FOLDER, load_recipes
from tests.test_ui_training import make_window  # noqa: F401 - the fixture

TONES = "wavenet-tones"


def _ready_row(table: QTableWidget, name: str) -> int:
    return next(r for r in range(table.rowCount()) if table.item(r, 0).data(READY_ROLE) == name)


def _select(window: MainWindow, name: str) -> None:
    table = window.runs.table
    table.clearSelection()
    table.selectRow(_ready_row(table, name))


def test_the_ready_models_are_in_the_runs_table_of_a_first_start(make_window) -> None:  # noqa: F811
    window = make_window()
    table = window.runs.table
    names = {table.item(r, 0).data(READY_ROLE) for r in range(table.rowCount())}
    assert names == set(load_recipes()), "every ready model has a row, before any run was trained"
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    row = _ready_row(table, "pixelcnn-mnist")
    cells = {h: table.item(row, c).text() for c, h in enumerate(headers)}
    card = next(m for m in ready_models() if m.name == "pixelcnn-mnist").card
    assert cells["status"] == "ready model" and cells["name"] == "ready: pixelcnn-mnist"
    assert cells["test NLL"] == f"{card.test.nll:.4f}" and "PixelRNN" in cells["paper"]
    assert "Test NLL" in table.item(row, 1).toolTip() and "goal" in table.item(row, 1).toolTip().lower()
    _select(window, TONES)
    assert window.runs.selected_ids() == [] and [m.name for m in window.runs.selected_ready()] == [TONES]


def test_a_ready_model_is_never_deleted_or_renamed(make_window, monkeypatch) -> None:  # noqa: F811
    window = make_window()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Yes)
    _select(window, TONES)
    errors = []
    window.runs.errorRaised.connect(errors.append)
    for action in (window.runs.delete_selected, window.runs.rename_selected, window.runs.resume_selected):
        action()
    assert errors == [READY_HINT] * 3 and not asked, "nothing was asked, nothing deleted"
    assert (ZOO_FOLDER / TONES / "model.safetensors").is_file()
    assert _ready_row(window.runs.table, TONES) >= 0


def test_explore_opens_a_ready_model_in_its_panel(make_window, qtbot) -> None:  # noqa: F811
    window = make_window()
    _select(window, "wavenet-spoken-digits")
    window.runs.buttons["Explore"].click()
    assert window.loaded is not None and window.loaded.name == "ready: wavenet-spoken-digits"
    assert window.tabs.currentWidget() is window.audio_panel
    assert window.audio_panel.labels.model is window.loaded.model, "a conditional model offers its labels"
    assert window.setup.hparams.values()["conditional"], "Train now would train a model like it: conditional"


def test_a_damaged_ready_model_is_shown_unavailable_and_the_others_still_open(qtbot, tmp_path: Path,
                                                                             monkeypatch) -> None:
    folder = tmp_path / "zoo"
    folder.mkdir()
    recipes = json.loads((ZOO_FOLDER / "recipes.json").read_text())
    recipes["recipes"] = {name: recipes["recipes"][name] for name in (TONES, "transformer-pydocs")}
    (folder / "recipes.json").write_text(json.dumps(recipes))
    for name in recipes["recipes"]:
        shutil.copytree(ZOO_FOLDER / name, folder / name)
    (folder / "transformer-pydocs" / "card.json").write_text("garbage")
    monkeypatch.setattr("arstudio.ui.train.runs_panel.ready_models", lambda: ready_models(folder))
    from arstudio.training.run_store import RunStore

    panel = RunsPanel(RunStore(tmp_path / "runs"))
    qtbot.addWidget(panel)
    broken = _ready_row(panel.table, "transformer-pydocs")
    assert panel.table.item(broken, 4).text() == "unavailable"
    assert "damaged" in panel.table.item(broken, 1).toolTip()
    opened = []
    panel.openReadyRequested.connect(opened.append)
    panel.table.selectRow(_ready_row(panel.table, TONES))
    panel.buttons["Explore"].click()
    assert opened == [TONES]


def test_training_on_a_ready_models_data_draws_its_curve_as_the_target(make_window, qtbot) -> None:  # noqa: F811
    window = make_window()
    _select(window, "nade-mnist")
    labels = [series.label for series in window.nll.series.values()]
    assert "ready: nade-mnist" in labels, "a selected ready model's curve is drawn like a run's"
    window.runs.table.clearSelection()
    assert target_for("wavenet", "tones", {}) is not None
    window.setup.select("wavenet", "tones", {"residual_channels": 8, "dilation_channels": 8, "skip_channels": 8,
                                              "layers_per_cycle": 3})
    window.setup.steps_spin.setValue(20)
    window.setup.train_button.click()
    qtbot.waitUntil(lambda: window.training.watched is not None, timeout=60_000)
    target = next(s for s in window.nll.series.values() if s.label == f"ready: {TONES}")
    card = next(m for m in ready_models() if m.name == TONES).card
    assert [point[2] for point in target.validation] == pytest.approx([nll for _, _, nll in card.curve["validation"]])
    qtbot.waitUntil(lambda: not window.is_training(), timeout=120_000)
