"""The NLL plot's smoothing and unit conversion."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF

from arstudio.ui.train.nll_plot import EmaCache, NllPanel, Series


def test_ema_is_bias_corrected_from_the_first_point_and_extends_incrementally() -> None:
    cache = EmaCache()
    flat = np.full(50, 3.0)
    np.testing.assert_allclose(cache.smooth(flat[:10], 0.9), 3.0)
    np.testing.assert_allclose(cache.smooth(flat, 0.9), 3.0)
    steps = np.concatenate([np.zeros(20), np.ones(20)])
    smoothed = EmaCache().smooth(steps, 0.5)
    assert smoothed[19] == 0 and 0.49 < smoothed[20] < 0.51 and smoothed[-1] > 0.99
    assert np.array_equal(EmaCache().smooth(steps, 0.0), steps)


def test_units_and_baseline(qtbot) -> None:
    panel = NllPanel()
    qtbot.addWidget(panel)
    panel.start_live("run", dims=64, levels=2)
    panel.add_train([(1, 0.1, 44.0), (2, 0.2, 40.0)])
    panel.add_validation(2, 0.2, 41.0)
    assert panel.point_count() == 3
    panel.units.setCurrentIndex(1)
    _, y = panel.baseline.getData()
    assert math.isclose(y[0], 1.0)
    panel.units.setCurrentIndex(0)
    _, y = panel.baseline.getData()
    assert math.isclose(y[0], 64 * math.log(2))


def mnist_panel(qtbot) -> NllPanel:
    """A shown panel following a binarized-MNIST run (784 binary pixels) that starts at the uniform 543 nats."""
    panel = NllPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 420)
    panel.show()
    panel.start_live("#1 made on binarized-mnist", dims=784, levels=2, dataset="binarized-mnist")
    return panel


def settle(qtbot, panel: NllPanel) -> None:
    panel.plot.getPlotItem().vb.updateAutoRange()
    qtbot.wait(20)


def test_published_results_are_labelled_lines_that_leave_the_curve_its_range(qtbot) -> None:
    panel = mnist_panel(qtbot)
    panel.add_train([(step, step / 10, 543.0 - step) for step in range(1, 21)])
    settle(qtbot, panel)
    values = sorted(entry.line.value() for entry in panel.reference_lines)
    assert values == pytest.approx([79.20, 81.30, 86.64, 88.04, 88.86])
    bottom = panel.plot.getPlotItem().vb.viewRange()[1][0]
    assert bottom > 400, "the lines at 79-89 nats do not stretch the view of a curve at 520-543"
    note = panel.reference_note.toPlainText()
    assert panel.reference_note.isVisible() and "5 published results below" in note and "PixelRNN 79.20" in note
    assert not any(entry.label.isVisible() for entry in panel.reference_lines)

    panel.add_train([(step, step / 10, 85.0 + 400 * math.exp(-step / 20)) for step in range(21, 400)])
    settle(qtbot, panel)
    labels = {entry.label.toPlainText() for entry in panel.reference_lines if entry.label.isVisible()}
    assert "PixelCNN 81.30 (van den Oord 2016)" in labels and "NADE 88.86 (Larochelle 2011)" in labels
    view = panel.plot.getPlotItem().vb
    tops = sorted(entry.label.pos().y() for entry in panel.reference_lines if entry.label.isVisible())
    gap = np.diff(tops) / (np.diff(view.viewRange()[1])[0] / view.height())
    assert (gap > 10).all(), "labels of results 1 nat apart are stacked, not drawn over each other (pixels)"


def test_reference_lines_follow_the_units_and_the_log_axis(qtbot) -> None:
    panel = mnist_panel(qtbot)
    panel.add_train([(step, step / 10, 543.0 - step) for step in range(1, 21)])
    panel.units.setCurrentIndex(1)
    settle(qtbot, panel)
    bits = {entry.reference.model: entry.line.value() for entry in panel.reference_lines}
    assert bits["PixelCNN"] == pytest.approx(81.30 / (784 * math.log(2)))
    assert "PixelCNN 0.1496 (van den Oord 2016)" in {e.label.toPlainText() for e in panel.reference_lines}
    panel.units.setCurrentIndex(0)
    panel.log_scale.setChecked(True)
    settle(qtbot, panel)
    logged = {entry.reference.model: entry.line.value() for entry in panel.reference_lines}
    assert logged["NADE"] == pytest.approx(math.log10(88.86))


def test_hovering_a_reference_line_names_its_paper(qtbot) -> None:
    panel = mnist_panel(qtbot)
    panel.add_train([(step, step / 10, 82.0 + 400 * math.exp(-step / 20)) for step in range(1, 400)])
    settle(qtbot, panel)
    view = panel.plot.getPlotItem().vb
    pixel = next(entry for entry in panel.reference_lines if entry.reference.model == "PixelRNN")
    x = float(np.mean(view.viewRange()[0]))
    panel._hover(view.mapViewToScene(QPointF(x, pixel.line.value())))
    assert "Pixel Recurrent Neural Networks" in panel.readout.toPlainText()
    assert "Diagonal BiLSTM" in panel.readout.toPlainText() and "PixelCNN" not in panel.readout.toPlainText()

    early = mnist_panel(qtbot)
    early.add_train([(step, step / 10, 543.0 - step) for step in range(1, 21)])
    settle(qtbot, early)
    early._hover(early.reference_note.sceneBoundingRect().center())
    text = early.readout.toPlainText()
    for title in ("Pixel Recurrent Neural Networks", "MADE: Masked Autoencoder", "Neural Autoregressive Distribution"):
        assert title in text, title
    assert text.count("Protocol:") == 1


def test_a_run_on_another_data_set_removes_the_lines(qtbot) -> None:
    panel = mnist_panel(qtbot)
    assert len(panel.reference_lines) == 5
    panel.start_live("#2 made on binary-digits", dims=64, levels=2, dataset="binary-digits")
    assert panel.reference_lines == [] and not panel.reference_note.isVisible()
    items = panel.plot.getPlotItem().vb.addedItems
    assert not any(isinstance(item, pg.InfiniteLine) for item in items)
    panel.start_live("#3 made on binarized-mnist", dims=784, levels=2, dataset="binarized-mnist")
    assert len(panel.reference_lines) == 5


def test_compared_runs_show_the_lines_of_the_one_data_set_they_share(qtbot) -> None:
    panel = NllPanel()
    qtbot.addWidget(panel)
    mnist = [Series("#1", 784, "", "binarized-mnist"), Series("#2", 784, "", "binarized-mnist")]
    panel.set_overlays(mnist)
    assert len(panel.reference_lines) == 5
    panel.set_overlays([*mnist, Series("#3", 64, "", "binary-digits")])
    assert panel.reference_lines == []
