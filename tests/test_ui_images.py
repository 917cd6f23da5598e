"""The Images panel, driven like a person would: paint, erase, complete, export. Real widgets, real engine,
tiny models trained for a few steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton, QWidget

from arstudio.app.model_source import LoadedModel
from arstudio.data import dataset_spec
from arstudio.errors import UserError
from arstudio.models import build_model
from arstudio.training.config import TrainConfig
from arstudio.training.run_store import RunStore
from arstudio.training.trainer import Trainer
from arstudio.ui import MainWindow
from arstudio.ui.images.panel import ImagePanel

LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton
TINY = {
    "pixelcnn": {"channels": 8, "kernel": 3, "layers": 3},
    "made": {"hidden": 32, "ordering": "random"},
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """Runs of a raster-order PixelCNN and a random-order MADE on binary digits, a few steps each."""
    runs_dir = tmp_path_factory.mktemp("image-runs")
    registry = RunStore(runs_dir)
    ids = {}
    for family, hparams in TINY.items():
        config = TrainConfig(family=family, dataset="binary-digits", hparams=hparams, steps=6, batch_size=16,
                             device="cpu", eval_every=1000, eval_examples=32, checkpoint_every=1000)
        ids[family] = Trainer(config, registry).run().run_id
    registry.close()
    return runs_dir, ids


@pytest.fixture()
def make_window(qtbot, tmp_path: Path, runs):
    windows = []

    def make() -> MainWindow:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(runs_dir=runs[0], settings=settings)
        window.resize(1280, 800)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.image_panel.completion.forget()
        window.close()
        window.deleteLater()


def explore(window: MainWindow, runs, family: str = "pixelcnn") -> ImagePanel:
    window.explore_run(runs[1][family])
    assert window.tabs.currentWidget() is window.image_panel
    return window.image_panel


def complete(qtbot, panel: ImagePanel, count: int = 4, strategy: str = "top-p", value: float | None = None,
             seed: int = 3) -> None:
    panel.controls.count_spin.setValue(count)
    panel.controls.select(strategy, value)
    panel.controls.seed_spin.setValue(seed)
    qtbot.mouseClick(panel.findChild(QPushButton, "completeButton"), LEFT)
    qtbot.waitUntil(lambda: not panel.is_running() and not panel.completion.is_animating(), timeout=30_000)


def hover(qtbot, canvas, row: int, col: int) -> None:
    """Move the mouse over a pixel once pending layout changes have settled the canvas's size."""
    qtbot.wait(20)
    QTest.mouseMove(canvas, canvas.widget_point(row, col))


def keeps_painted(panel: ImagePanel) -> bool:
    known = np.broadcast_to(panel.canvas.known, panel.canvas.values.shape)
    samples = panel.result.samples.numpy()
    return bool(all((sample[known] == panel.canvas.values[known]).all() for sample in samples))


def test_paint_erase_and_complete_keeps_every_painted_pixel(make_window, qtbot, runs) -> None:
    window = make_window()
    panel = explore(window, runs)
    canvas = window.findChild(QWidget, "paintCanvas")
    assert canvas is panel.canvas
    assert canvas.known[:4].all() and not canvas.known[4:].any(), "a test image with its bottom half unknown"
    panel.brush.level_slider.setValue(0)
    qtbot.mouseClick(canvas, LEFT, pos=canvas.widget_point(6, 1))
    panel.brush.level_slider.setValue(1)
    panel.brush.size_spin.setValue(2)
    qtbot.mouseClick(canvas, LEFT, pos=canvas.widget_point(7, 7))
    qtbot.mouseClick(canvas, RIGHT, pos=canvas.widget_point(1, 1))
    assert canvas.known[6, 1] and canvas.values[0, 6, 1] == 0
    assert canvas.known[6:8, 6:8].all() and (canvas.values[0, 6:8, 6:8] == 1).all()
    assert not canvas.known[0:2, 0:2].any(), "the right button erases with the same 2 px brush"
    assert panel.pane.lookahead_label.text().startswith("<b>33 of the 33 painted pixels come after")

    complete(qtbot, panel, count=4)
    samples = panel.result.samples
    assert samples.shape == (4, 1, 8, 8) and keeps_painted(panel)
    assert set(samples.unique().tolist()) <= {0, 1}
    assert len({tuple(s.flatten().tolist()) for s in samples}) > 1, "top-p 0.9 draws different completions"
    cells = panel.grid.cells
    assert len(cells) == 4 and all(not cell.view.unknown.any() for cell in cells), "every unknown pixel is filled"
    shown = np.stack([cell.view.values for cell in cells])
    assert np.array_equal(shown, samples.numpy())
    log_p = window.loaded.model.log_prob(samples).detach().numpy()
    assert [float(label.split()[0]) for label in panel.grid.labels()] == pytest.approx(log_p, abs=0.06)
    assert "4 completions of 31 unknown pixels by top-p, seed 3" in panel.summary.text()


def test_the_fill_is_shown_in_generation_order(make_window, qtbot, runs) -> None:
    for family in ("pixelcnn", "made"):
        panel = explore(make_window(), runs, family)
        panel.apply_quick_mask("right half")
        pending_frames: list[np.ndarray] = []
        panel.completion.frame.connect(lambda samples, pending, frames=pending_frames:
                                       frames.append(pending[0].copy()))
        complete(qtbot, panel, count=2)
        unknown = ~panel.canvas.known
        ranks = panel.canvas.ranks
        assert np.array_equal(pending_frames[0], unknown) and not pending_frames[-1].any()
        counts = [int(p.sum()) for p in pending_frames]
        assert counts == sorted(counts, reverse=True) and len(set(counts)) >= 4, counts
        for pending in pending_frames:
            filled = unknown & ~pending
            if filled.any() and pending.any():
                assert ranks[filled].max() < ranks[pending].min(), f"{family} filled out of order"


@pytest.mark.parametrize(("strategy", "value"), [("greedy", None), ("temperature", None), ("top-k", 1),
                                                 ("min-p", 0.05), ("typical", 0.9), ("beam", 4)])
def test_every_strategy_fills_and_keeps_the_painting(make_window, qtbot, runs, strategy, value) -> None:
    panel = explore(make_window(), runs)
    panel.apply_quick_mask("centre")
    complete(qtbot, panel, count=3, strategy=strategy, value=value)
    samples = {tuple(s.flatten().tolist()) for s in panel.result.samples}
    assert panel.result.samples.shape == (3, 1, 8, 8) and keeps_painted(panel)
    assert all(label.endswith(" nats") for label in panel.grid.labels())
    if strategy in ("greedy", "top-k"):
        assert len(samples) == 1, "the most probable value every time"
    if strategy == "beam":
        assert len(samples) == 3, "the three best beams"
        log_p = panel.result.log_likelihood
        assert torch.all(log_p[:-1] >= log_p[1:] - 1e-4)


def test_export_the_selected_completion_and_the_grid_as_png(make_window, qtbot, runs, tmp_path: Path) -> None:
    panel = explore(make_window(), runs)
    with pytest.raises(UserError, match="Complete the image first"):
        panel.export_grid(tmp_path / "early.png")
    assert not panel.findChild(QPushButton, "exportGridButton").isEnabled()
    complete(qtbot, panel, count=4, strategy="temperature")
    assert panel.findChild(QPushButton, "exportGridButton").isEnabled()
    qtbot.mouseClick(panel.grid.cells[2].view, LEFT)
    assert panel.grid.selected == 2 and panel.grid.cells[2].view.selected

    one = Image.open(panel.export_selected(tmp_path / "one.png")).convert("L")
    pixels = np.asarray(one)
    cell = one.width // 10
    centres = pixels[cell + cell // 2::cell, cell + cell // 2::cell][:8, :8]
    assert np.array_equal(centres // 255, panel.result.samples[2, 0].numpy())
    grid = Image.open(panel.export_grid(tmp_path / "grid.png"))
    assert grid.width > one.width // 2 and grid.height > 0
    with pytest.raises(UserError, match=".png"):
        panel.export_grid(tmp_path / "grid.jpg")

    qtbot.mouseClick(panel.findChild(QPushButton, "editCompletionButton"), LEFT)
    assert panel.canvas.known.all() and np.array_equal(panel.canvas.values, panel.result.samples[2].numpy())


def test_compare_strategies_side_by_side(make_window, qtbot, runs) -> None:
    window = make_window()
    panel = explore(window, runs)
    view = panel.results.compare
    names = [preset.name for preset in view.chosen()]
    assert names[:2] == ["greedy", "beam 4"] and "top-p 0.9" in names and len(names) == 7
    panel.controls.seed_spin.setValue(11)
    qtbot.mouseClick(panel.findChild(QPushButton, "imageCompareButton"), LEFT)
    assert panel.results.currentWidget() is view
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=60_000)
    assert window.findChild(QWidget, "imageCompareGrid") is not None
    assert len(view.views) == 7 and all(len(row) == 4 for row in view.views)
    metrics = [label.text() for label in view.metrics]
    assert all("nats" in text and "differ" in text for text in metrics), metrics
    assert metrics[0].endswith("differ 0%"), "greedy completes the same way every time"
    assert not metrics[1].endswith("differ 0%"), "beam search returns its four best, different hypotheses"
    known = np.broadcast_to(panel.canvas.known, panel.canvas.values.shape)
    for row in view.views:
        for cell in row:
            assert (cell.values[known] == panel.canvas.values[known]).all()

    for i in range(view.list.count()):
        view.list.item(i).setCheckState(Qt.CheckState.Unchecked)
    qtbot.mouseClick(panel.findChild(QPushButton, "imageCompareButton"), LEFT)
    assert "Tick at least one strategy" in window.last_error


def test_the_panel_says_which_pixels_the_model_sees(make_window, qtbot, runs) -> None:
    window = make_window()
    panel = explore(window, runs)
    assert "raster order" in panel.pane.order_label.text()
    assert panel.pane.lookahead_label.text().startswith("All 32 painted pixels come before every unknown")
    panel.load_test_image(1)
    panel.apply_quick_mask("right half")
    assert panel.pane.lookahead_label.text().startswith("<b>28 of the 32 painted pixels come after")
    canvas = panel.canvas
    hover(qtbot, canvas, 2, 3)
    qtbot.waitUntil(lambda: "pixel 20 of 64" in panel.pane.hover_label.text())
    assert "sees the 19 pixels before it" in panel.pane.hover_label.text()

    panel = explore(window, runs, "made")
    assert (window.setup.family, window.setup.dataset) == ("made", "binary-digits"), "the setup follows the run"
    assert "not row by row" in panel.pane.order_label.text()
    order = window.loaded.model.order.numpy()
    first, last = int(order[0]), int(order[-1])
    hover(qtbot, canvas, last // 8, last % 8)
    hover(qtbot, canvas, first // 8, first % 8)
    qtbot.waitUntil(lambda: "is pixel 1 of 64" in panel.pane.hover_label.text())


def test_quick_masks_files_and_mistakes(make_window, qtbot, runs, tmp_path: Path) -> None:
    window = make_window()
    panel = explore(window, runs)
    qtbot.mouseClick(panel.findChild(QPushButton, "quickMaskNone"), LEFT)
    qtbot.mouseClick(panel.findChild(QPushButton, "quickMaskCentre"), LEFT)
    assert not panel.canvas.known[2:6, 2:6].any() and panel.canvas.known.sum() == 48
    qtbot.mouseClick(panel.findChild(QPushButton, "quickMaskNone"), LEFT)
    qtbot.mouseClick(panel.findChild(QPushButton, "quickMaskRandom"), LEFT)
    assert 10 < panel.canvas.known.sum() < 54

    picture = np.zeros((30, 40), dtype=np.uint8)
    picture[:, 20:] = 255
    Image.fromarray(picture).save(tmp_path / "half.png")
    panel.load_image_file(tmp_path / "half.png")
    assert panel.canvas.known.all()
    assert (panel.canvas.values[0, :, :4] == 0).all() and (panel.canvas.values[0, :, 4:] == 1).all()

    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    panel.load_image_file(tmp_path / "broken.png")
    assert "Could not read the image broken.png" in window.last_error
    qtbot.mouseClick(panel.findChild(QPushButton, "completeButton"), LEFT)
    assert "nothing to complete" in window.last_error
    assert window.findChild(QWidget, "errorDialog") is not None
    panel.apply_quick_mask("bottom half")
    complete(qtbot, panel, count=2)
    assert keeps_painted(panel) and (panel.result.samples[:, 0, :4, :4] == 0).all()


def test_cancel_a_long_completion_and_refuse_models_without_pictures(make_window, qtbot) -> None:
    window = make_window()
    spec = dataset_spec("glyphs-binary")
    model = build_model("pixelcnn", spec, channels=16, kernel=5, layers=5).eval()
    window.set_loaded_model(LoadedModel(model=model, name="untrained glyphs", checkpoint=Path("untrained.json")),
                            switch=True)
    panel = window.image_panel
    assert panel.stack.currentIndex() == 1 and not panel.canvas.known.any()
    assert not panel.sources.test_button.isEnabled(), "no data set, so no test images"
    panel.controls.count_spin.setValue(16)
    qtbot.mouseClick(panel.findChild(QPushButton, "completeButton"), LEFT)
    assert panel.is_running() and panel.controls.cancel_button.isEnabled()
    qtbot.mouseClick(panel.findChild(QPushButton, "cancelCompletionButton"), LEFT)
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=30_000)
    assert panel.summary.text().startswith("Cancelled") and panel.result is None
    assert panel.controls.complete_button.isEnabled()
    assert panel.grid.cells[0].view.unknown.any(), "the pixels not reached stay hatched"

    text = build_model("transformer", dataset_spec("pydocs", context=32), d_model=32, layers=1, heads=2)
    panel.set_model(LoadedModel(model=text, name="text", checkpoint=Path("text.json")))
    assert panel.stack.currentIndex() == 0 and "text data" in panel.message.text()
    panel.set_model(None)
    assert panel.stack.currentIndex() == 0


def test_a_conditional_pixelcnn_completes_the_digit_as_the_class_chosen(make_window, qtbot, runs,
                                                                       tmp_path: Path) -> None:
    """'Generate as' offers the data set's digits for a conditional model only, and the engine gets the one chosen:
    the completions' log p is the model's log p(x | 3)."""
    registry = RunStore(tmp_path / "conditional-runs")
    config = TrainConfig(family="pixelcnn", dataset="binary-digits", hparams={**TINY["pixelcnn"], "conditional": True},
                         steps=4, batch_size=16, device="cpu", eval_every=1000, eval_examples=32, checkpoint_every=1000)
    run_id = Trainer(config, registry).run().run_id
    registry.close()
    window = make_window()
    panel = explore(window, runs)
    assert panel.controls.labels.isHidden()
    window.close()
    window = MainWindow(runs_dir=tmp_path / "conditional-runs",
                        settings=QSettings(str(tmp_path / "other.ini"), QSettings.Format.IniFormat))
    window.show()
    try:
        window.explore_run(run_id)
        panel = window.image_panel
        combo = panel.findChild(QWidget, "labelCombo_digit")
        assert panel.controls.labels.isVisible() and combo.count() == 10
        panel.controls.labels.select("digit", "3")
        complete(qtbot, panel, count=3, strategy="temperature")
        assert keeps_painted(panel) and "as digit 3" in panel.summary.text()
        model = panel.loaded.model
        with torch.no_grad():
            expected = model.log_prob(panel.result.samples, torch.tensor([3]))
            other = model.log_prob(panel.result.samples, torch.tensor([8]))
        torch.testing.assert_close(panel.result.log_likelihood, expected, atol=1e-3, rtol=0)
        assert not torch.allclose(expected, other, atol=1e-3)
    finally:
        window.image_panel.completion.forget()
        window.close()
        window.deleteLater()
