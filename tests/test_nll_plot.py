"""The NLL plot's smoothing and unit conversion."""

from __future__ import annotations

import math

import numpy as np

from arstudio.ui.train.nll_plot import EmaCache, NllPanel


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
