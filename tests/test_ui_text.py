"""The Text panel driven like a person would: real widgets, real engine, a tiny trained Transformer."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import QEvent, QPoint, QRect, QSettings, Qt
from PySide6.QtGui import QColor, QHelpEvent
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QPushButton, QToolTip, QWidget

from arstudio.app.model_source import LoadedModel, load_run_model
from arstudio.app.presets import builtin_presets
from arstudio.app.text_metrics import ComparisonRow, distinct_n, repetition_rate
from arstudio.data.spec import DataSpec
from arstudio.models import build_model
from arstudio.sampling import SamplerConfig, generate
from arstudio.training.config import TrainConfig
from arstudio.training.run_store import RunStore
from arstudio.training.trainer import Trainer
from arstudio.ui.common.sampler_controls import SamplerControls
from arstudio.ui.text.compare_grid import CELL_WIDTH, CompareGrid
from arstudio.ui.text.compare_table import HEADERS, CompareTable
from arstudio.ui.text.marks import BEST, WORST
from arstudio.ui.text.panel import TextPanel
from arstudio.ui.text.view import shade

LEFT = Qt.MouseButton.LeftButton
DEFAULT_COMPARE = ["greedy", "beam 4", "temperature 0.7", "top-k 40", "top-p 0.9", "min-p 0.05", "typical 0.9"]
PROMPT = "def "


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    registry = RunStore(tmp_path_factory.mktemp("text-runs"))
    config = TrainConfig(family="transformer", dataset="pydocs", hparams={"d_model": 32, "layers": 1, "heads": 2},
                         dataset_options={"context": 32}, steps=30, batch_size=16, device="cpu", eval_every=30,
                         eval_examples=32, checkpoint_every=30)
    summary = Trainer(config, registry).run()
    loaded = load_run_model(registry, summary.run_id)
    registry.close()
    return loaded


@pytest.fixture()
def panel(qtbot, text_model: LoadedModel):
    panel = TextPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    panel.errors = []
    panel.errorRaised.connect(panel.errors.append)
    panel.set_model(text_model)
    yield panel
    panel.cancel()
    qtbot.waitUntil(lambda: not panel.runner.is_running(), timeout=30_000)


def vocabulary_model() -> LoadedModel:
    spec = DataSpec("text", (16,), 5, vocabulary=("a", "b", "c", " ", "<eos>"))
    model = build_model("transformer", spec, d_model=16, layers=1, heads=2)
    return LoadedModel(model.eval(), "abc model", Path("abc.json"))


def run(qtbot, panel: TextPanel, button: str, timeout: int = 60_000) -> None:
    qtbot.mouseClick(panel.findChild(QPushButton, button), LEFT)
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=timeout)


def test_generate_streams_tokens_shaded_by_probability(qtbot, panel: TextPanel, text_model: LoadedModel) -> None:
    panel.findChild(QPlainTextEdit, "promptEdit").setPlainText(PROMPT)
    panel.controls.select_preset("top-p 0.9")
    panel.controls.seed_spin.setValue(3)
    panel.max_tokens.setValue(40)
    seen: list[tuple[int, int]] = []
    finished: list[int] = []
    panel.runner.progress.connect(lambda p: seen.append((len(p.records), len(panel.output.tokens))))
    panel.runner.finished.connect(lambda _: finished.append(len(seen)))
    run(qtbot, panel, "generateButton")

    assert finished and finished[0] >= 1, "no progress reached the panel before the result"
    assert any(records and tokens for records, tokens in seen[:finished[0]])
    assert [t for _, t in seen] == sorted(t for _, t in seen), "tokens only ever get added while streaming"
    assert panel.errors == []
    result = panel.last_result
    view = panel.output
    values = result.samples[0, len(PROMPT):].tolist()
    assert view.generated_values() == values and len(values) == 40
    assert view.toPlainText().startswith(PROMPT)
    expected = generate(text_model.model, 1, SamplerConfig(top_p=0.9, seed=3),
                        known=torch.tensor(list(PROMPT.encode())), length=len(PROMPT) + 40)
    assert torch.equal(expected.samples, result.samples)
    for token, log_prob in zip(view.tokens, result.log_probs[0, len(PROMPT):].tolist(), strict=True):
        assert token.model_probability == pytest.approx(math.exp(log_prob))
        probs = [p for _, p in token.candidates]
        assert len(probs) == 5 and probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-5
        if token.text:
            cursor = view.textCursor()
            cursor.setPosition(token.start + 1)
            assert cursor.charFormat().background().color() == shade(token.model_probability)
    assert "40 new tokens" in panel.status.text() and "seed 3" in panel.status.text()
    least = min(view.tokens, key=lambda t: t.model_probability)
    most = max(view.tokens, key=lambda t: t.model_probability)
    assert least.model_probability < most.model_probability
    assert shade(least.model_probability).hueF() < shade(most.model_probability).hueF(), "improbable is redder"


def test_hovering_a_token_shows_its_top_candidates(qtbot, panel: TextPanel) -> None:
    panel.controls.select_preset("greedy")
    panel.max_tokens.setValue(12)
    run(qtbot, panel, "generateButton")
    view = panel.output
    index = next(i for i, t in enumerate(view.tokens) if t.text.strip())
    point = view.token_point(index)
    assert view.token_at(point) == index
    QApplication.sendEvent(view.viewport(), QHelpEvent(QEvent.Type.ToolTip, point, view.viewport().mapToGlobal(point)))
    shown = QToolTip.text()
    assert "top candidates" in shown and "%" in shown
    best, best_prob = view.tokens[index].candidates[0]
    assert f"{best_prob:.1%}" in shown
    assert view.tokens[index].value == best, "greedy picks the most probable candidate"


def test_clicking_a_token_branches_to_another_candidate(qtbot, panel: TextPanel, text_model: LoadedModel) -> None:
    panel.prompt_edit.setPlainText(PROMPT)
    panel.controls.select_preset("greedy")
    panel.max_tokens.setValue(16)
    run(qtbot, panel, "generateButton")
    view = panel.output
    before = view.generated_values()
    index = 3
    qtbot.mouseClick(view.viewport(), LEFT, pos=view.token_point(index))
    menu = view.menu
    assert menu is not None and menu.isVisible()
    action = next(a for a in menu.actions() if a.data() is not None and a.data() != before[index])
    candidate = action.data()
    action.trigger()
    qtbot.waitUntil(lambda: not panel.is_busy() and panel.last_result is not None, timeout=60_000)

    prefix = list(PROMPT.encode()) + before[:index] + [candidate]
    assert panel.prompt_values() == prefix
    assert panel.output.prompt == prefix
    after = panel.output.generated_values()
    assert prefix[len(PROMPT):] + after != before, "the branch continues differently"
    expected = generate(text_model.model, 1, SamplerConfig(greedy=True), known=torch.tensor(prefix),
                        length=len(prefix) + 16)
    assert after == expected.samples[0, len(prefix):].tolist()
    assert panel.errors == []


def test_compare_fills_one_column_per_default_preset_and_exports(qtbot, panel: TextPanel, text_model: LoadedModel,
                                                                 tmp_path: Path) -> None:
    panel.prompt_edit.setPlainText(PROMPT)
    panel.controls.seed_spin.setValue(11)
    new = 32 - len(PROMPT)
    panel.max_tokens.setValue(new)
    run(qtbot, panel, "compareButton", timeout=120_000)
    grid = panel.findChild(QWidget, "compareGrid")
    assert grid is panel.grid and panel.errors == []
    assert [c.name for c in grid.columns] == DEFAULT_COMPARE
    model = text_model.model
    for column in grid.columns:
        row = column.row
        assert row is not None and row.tokens == new and column.view.generated_values() == list(row.values)
        x = torch.tensor([list(PROMPT.encode()) + list(row.values)])
        with torch.no_grad():
            log_probs = torch.log_softmax(model.logits(x), -1).gather(-1, x[..., None])[0, len(PROMPT):, 0]
        assert row.mean_log_likelihood == pytest.approx(float(log_probs.mean()), abs=1e-4)
        assert row.distinct_1 == pytest.approx(len(set(row.values)) / new)
        assert 0 < row.distinct_2 <= 1
        metrics = column.metrics.text()
        assert f"{row.mean_log_likelihood:.3f}" in metrics and f"distinct-2 {row.distinct_2:.3f}" in metrics
    top_p = grid.columns[DEFAULT_COMPARE.index("top-p 0.9")].row
    alone = generate(model, 1, SamplerConfig(top_p=0.9, seed=11), known=torch.tensor(list(PROMPT.encode())),
                     length=32)
    assert list(top_p.values) == alone.samples[0, len(PROMPT):].tolist(), "every column uses the same seed"

    markdown = panel.export_markdown(tmp_path / "comparison.md").read_text(encoding="utf-8")
    for row in grid.rows():
        assert f"| {row.strategy} |" in markdown and f"{row.distinct_1:.3f}" in markdown
    assert "Seed 11" in markdown and "mean log p / token" in markdown
    with open(panel.export_csv(tmp_path / "comparison.csv"), newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["strategy"] for r in rows] == DEFAULT_COMPARE
    for exported, row in zip(rows, grid.rows(), strict=True):
        assert exported["text"] == row.text and int(exported["tokens"]) == new and exported["seed"] == "11"
        assert float(exported["mean_log_likelihood"]) == pytest.approx(row.mean_log_likelihood, abs=1e-5)
        assert float(exported["distinct_2"]) == pytest.approx(row.distinct_2, abs=1e-5)
        assert exported["prompt"] == PROMPT


def test_the_comparison_list_is_editable(qtbot, panel: TextPanel) -> None:
    panel.preset_list.set_checked(["greedy"])
    panel.controls.select_preset("greedy")
    panel.controls.rows["num_beams"].slider.setValue(2)
    assert panel.controls.preset_combo.currentText() == "custom"
    panel.add_current_preset()
    panel.preset_list.item(0).setText("argmax")
    assert panel.controls.preset_combo.findText("argmax") >= 0
    assert panel.controls.preset_combo.currentText() == "beam 2"
    panel.preset_list.setCurrentRow(1)
    panel.preset_list.remove_selected()
    assert panel.controls.preset_combo.findText("beam 4") < 0
    panel.max_tokens.setValue(8)
    run(qtbot, panel, "compareButton")
    assert [c.name for c in panel.grid.columns] == ["argmax", "beam 2"]
    assert all(c.row is not None and c.row.tokens == 8 for c in panel.grid.columns)
    panel.preset_list.set_checked([])
    qtbot.mouseClick(panel.compare_button, LEFT)
    assert "Tick at least one strategy" in panel.errors[-1]


def test_stop_ends_a_long_generation_and_keeps_what_was_written(qtbot, panel: TextPanel) -> None:
    panel.controls.select_preset("greedy")
    panel.max_tokens.setValue(4000)
    qtbot.mouseClick(panel.generate_button, LEFT)
    qtbot.waitUntil(lambda: len(panel.output.tokens) > 5, timeout=30_000)
    assert panel.cancel_button.isEnabled() and not panel.generate_button.isEnabled()
    qtbot.mouseClick(panel.cancel_button, LEFT)
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=30_000)
    assert 5 < len(panel.output.tokens) < 4000
    assert "(stopped)" in panel.status.text() and panel.generate_button.isEnabled()


def test_bad_preset_files_show_an_error_and_change_nothing(panel: TextPanel, tmp_path: Path) -> None:
    names = [p.name for p in panel.preset_list.presets()]
    broken = tmp_path / "broken.json"
    broken.write_text('{"presets": [{"name": "hot", "config": {"temperature": 2.0}},]}', encoding="utf-8")
    assert not panel.load_presets_file(broken)
    assert "not valid JSON" in panel.errors[-1] and "line 1" in panel.errors[-1]
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"presets": [{"name": "hot", "config": {"temprature": 2.0}}]}), encoding="utf-8")
    assert not panel.load_presets_file(unknown)
    assert "'hot'" in panel.errors[-1] and "temprature" in panel.errors[-1]
    assert [p.name for p in panel.preset_list.presets()] == names
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"presets": [{"name": "hot", "config": {"temperature": 2.0}, "compare": True}]}),
                    encoding="utf-8")
    assert panel.load_presets_file(good)
    assert [p.name for p in panel.preset_list.checked()] == ["hot"]
    assert panel.controls.preset_combo.findText("hot") >= 0


def test_a_prompt_outside_the_vocabulary_is_an_error_and_the_panel_keeps_working(qtbot, panel: TextPanel) -> None:
    panel.set_model(vocabulary_model())
    panel.prompt_edit.setPlainText("abz")
    qtbot.mouseClick(panel.generate_button, LEFT)
    assert "never seen" in panel.errors[-1] and "z" in panel.errors[-1]
    assert not panel.is_busy()
    panel.prompt_edit.setPlainText("ab c")
    panel.max_tokens.setValue(10)
    run(qtbot, panel, "generateButton")
    assert len(panel.errors) == 1
    values = panel.output.generated_values()
    assert values and all(0 <= v < 5 for v in values)
    assert 4 not in values[:-1], "generation stops at the end symbol"
    assert panel.output.toPlainText().startswith("ab c")


def test_a_model_of_another_kind_gets_a_hint_and_disabled_controls(panel: TextPanel, text_model: LoadedModel) -> None:
    made = build_model("made", DataSpec("binary", (1, 4, 4), 2), hidden=8)
    panel.set_model(LoadedModel(made, "digits model", Path("made.json")))
    assert "binary" in panel.hint.text() and "text models" in panel.hint.text()
    assert not panel.generate_button.isEnabled() and not panel.compare_button.isEnabled()
    assert not panel.findChild(QPlainTextEdit, "promptEdit").isEnabled()
    panel.set_model(text_model)
    assert panel.findChild(QPlainTextEdit, "promptEdit").isEnabled() and panel.generate_button.isEnabled()


def test_sampler_controls_pair_sliders_with_spin_boxes_and_follow_presets(panel: TextPanel) -> None:
    assert SamplerControls().config() == SamplerConfig(seed=0), "a fresh set of knobs is the default sampler"
    assert panel.controls.preset_combo.currentText() == "balanced"
    controls = panel.controls
    controls.rows["top_p"].slider.setValue(80)
    assert controls.rows["top_p"].spin.value() == pytest.approx(0.8)
    controls.rows["temperature"].spin.setValue(1.5)
    assert controls.rows["temperature"].slider.value() == 30
    controls.select_preset("min-p 0.05")
    assert controls.config() == SamplerConfig(min_p=0.05, seed=controls.seed)
    assert controls.rows["min_p"].slider.value() == 5
    controls.greedy.setChecked(True)
    assert not controls.rows["temperature"].slider.isEnabled() and controls.preset_combo.currentText() == "custom"
    controls.rows["num_beams"].spin.setValue(4)
    assert controls.rows["length_penalty"].spin.isEnabled() and not controls.greedy.isEnabled()
    controls.seed_spin.setValue(-1)
    assert controls.config().seed is None


def test_built_in_presets_include_the_default_comparison() -> None:
    presets = builtin_presets()
    assert [p.name for p in presets if p.compare] == DEFAULT_COMPARE
    by_name = {p.name: p.config for p in presets}
    assert by_name["beam 4"].num_beams == 4 and by_name["typical 0.9"].typical_p == 0.9
    assert by_name["greedy"].greedy and by_name["top-k 40"].top_k == 40


def test_distinct_n() -> None:
    assert distinct_n([1, 2, 1, 2], 1) == 0.5
    assert distinct_n([1, 2, 1, 2], 2) == pytest.approx(2 / 3)
    assert distinct_n([7], 2) == 0.0


def test_the_window_offers_the_text_panel_under_the_fixed_names(qtbot, tmp_path: Path, text_model) -> None:
    from arstudio.ui import MainWindow

    window = MainWindow(runs_dir=tmp_path / "runs",
                        settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    for name in ("promptEdit", "generateButton", "compareButton", "compareGrid"):
        assert window.findChild(QWidget, name) is not None, name
    window.set_loaded_model(text_model, switch=True)
    assert window.tabs.currentWidget() is window.text_panel
    assert window.findChild(QPushButton, "generateButton").isEnabled()
    window.registry.close()


def test_every_compared_cell_is_in_view_at_1280x800(qtbot, tmp_path: Path, text_model: LoadedModel) -> None:
    from arstudio.ui import MainWindow

    window = MainWindow(runs_dir=tmp_path / "runs",
                        settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    window.set_loaded_model(text_model, switch=True)
    panel = window.text_panel
    panel.max_tokens.setValue(12)
    run(qtbot, panel, "compareButton", timeout=120_000)
    qtbot.wait(20)
    grid = panel.findChild(QWidget, "compareGrid")
    assert [c.name for c in grid.columns] == DEFAULT_COMPARE and len(grid.rows()) == 7
    assert grid.per_row > 1, "the cells wrap into rows of several"
    assert not grid.horizontalScrollBar().isVisible() and not grid.verticalScrollBar().isVisible()
    view = grid.viewport().rect()
    for column in grid.columns:
        place = QRect(column.mapTo(grid.viewport(), QPoint(0, 0)), column.size())
        assert view.contains(place), (column.name, place, view)
        assert column.width() >= min(CELL_WIDTH, column.minimumSizeHint().width())
        assert column.metrics.width() >= column.metrics.minimumSizeHint().width(), "no figure is cut off"
        assert column.view.height() >= 3 * column.view.fontMetrics().lineSpacing()
    window.registry.close()


def _row(name: str, values: list[int], log_p: float) -> ComparisonRow:
    return ComparisonRow(name, SamplerConfig(), "".join(chr(97 + v) for v in values), tuple(values),
                         (log_p,) * len(values))


def test_the_table_has_a_row_per_strategy_sorts_by_a_clicked_column_and_marks_best_and_worst(qtbot) -> None:
    rows = [_row("loop", [0] * 8, -0.5), _row("varied", list(range(8)), -2.0), _row("mixed", [0, 1] * 4, -1.0)]
    table = CompareTable()
    qtbot.addWidget(table)
    table.show()
    table.set_rows(rows)
    assert table.rowCount() == 3
    assert [table.item(r, 0).text() for r in range(3)] == ["loop", "varied", "mixed"], "given order until sorted"
    expected = {"log p/token": (["loop"], ["varied"]), "perplexity": (["loop"], ["varied"]),
                "distinct-1": (["varied"], ["loop"]), "distinct-2": (["varied"], ["loop"]),
                "repetition": (["varied"], ["loop"])}
    for column, heading in enumerate(HEADERS[1:], start=1):
        assert table.marked(column) == expected[heading], heading
        for r in range(3):
            item, name = table.item(r, column), table.item(r, 0).text()
            assert item.font().bold() == (name in expected[heading][0])
            assert (item.background().color() == QColor(WORST[1])) == (name in expected[heading][1])
    assert "Lower is better" in table.horizontalHeaderItem(HEADERS.index("repetition")).toolTip()
    header = table.horizontalHeader()
    column = HEADERS.index("repetition")
    point = QPoint(header.sectionViewportPosition(column) + 5, header.height() // 2)
    qtbot.mouseClick(header.viewport(), LEFT, pos=point)
    first = [float(table.item(r, column).text()) for r in range(3)]
    assert first in (sorted(first), sorted(first, reverse=True)) and len(set(first)) == 3
    qtbot.mouseClick(header.viewport(), LEFT, pos=point)
    assert [float(table.item(r, column).text()) for r in range(3)] == first[::-1], "a second click reverses"

    grid = CompareGrid()
    qtbot.addWidget(grid)
    for column, row in zip(grid.set_strategies([(r.strategy, r.strategy) for r in rows]), rows, strict=True):
        grid.set_row(column, row)
    loop, varied = grid.columns[0].metrics.text(), grid.columns[1].metrics.text()
    assert f"background-color:{BEST[1]}'>log p/token -0.500" in loop and f"{WORST[1]}'>repetition 0.800" in loop
    assert f"background-color:{BEST[1]}'>repetition 0.000" in varied


def test_repetition_rate_is_the_share_of_4_grams_that_repeat_an_earlier_one() -> None:
    assert repetition_rate(list(b"abcabcab")) == pytest.approx(2 / 5), "abca bcab cabc abca bcab: the last two repeat"
    assert repetition_rate(list(b"abcdefgh")) == 0.0 and repetition_rate(list(b"abc")) == 0.0
    assert repetition_rate(list(b"yyyyyy")) == pytest.approx(2 / 3)
    assert repetition_rate(list(b"abab"), 2) == pytest.approx(1 - distinct_n(list(b"abab"), 2))
    assert _row("x", [0, 1, 2, 3, 0, 1, 2, 3], -1.0).repetition == pytest.approx(1 / 5), "only the last 0123 repeats"
