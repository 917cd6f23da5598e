"""The Step by hand tab's chart: the next value's distribution, the model's and the sampler's, as bars to click."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from arstudio.ui.common.plot_style import follow_palette, major_grid_only

BARS = 24
"""For more values than this, the chart shows the most probable ones (by the sampler's or the model's p)."""
SAMPLER = "#3070c0"
MODEL = "#a0a8b8"


def shown_values(probs: np.ndarray, raw: np.ndarray, count: int = BARS) -> np.ndarray:
    """The values the chart shows: all of them for small K, else the `count` most probable (sampler's p first, the
    model's breaking ties and filling in once the sampler's survivors run out), most probable first."""
    if len(probs) <= count:
        return np.arange(len(probs))
    return np.lexsort((-raw, -probs))[:count]


class DistributionChart(pg.PlotWidget):
    """Bars over the next value's candidates: the model's p (wide, grey) behind the sampler's (blue); clicking a
    bar emits picked(value)."""

    picked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("handDistribution")
        follow_palette(self)
        major_grid_only(self)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.setLabel("left", "probability")
        self.getAxis("left").enableAutoSIPrefix(False)
        self.setTitle(f'<span style="color:{MODEL}">&#9632; the model</span> &nbsp; '
                      f'<span style="color:{SAMPLER}">&#9632; the sampler</span> &nbsp; (click a bar to pick it)')
        self.model_bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=MODEL, pen=None)
        self.sampler_bars = pg.BarGraphItem(x=[], height=[], width=0.5, brush=SAMPLER, pen=None)
        self.addItem(self.model_bars)
        self.addItem(self.sampler_bars)
        self.values = np.zeros(0, dtype=np.int64)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.setMinimumHeight(200)

    def set_distribution(self, probs: np.ndarray, raw: np.ndarray, label: Callable[[int], str]) -> None:
        self.values = shown_values(probs, raw)
        xs = np.arange(len(self.values), dtype=np.float64)
        self.model_bars.setOpts(x=xs, height=raw[self.values])
        self.sampler_bars.setOpts(x=xs, height=probs[self.values])
        step = max(1, len(self.values) // 32)
        self.getAxis("bottom").setTicks([[(i, label(int(v))) for i, v in enumerate(self.values)][::step]])
        top = float(max(probs.max(initial=0), raw.max(initial=0)))
        self.setXRange(-0.6, max(0.6, len(self.values) - 0.4), padding=0)
        self.setYRange(0, max(top * 1.08, 1e-3), padding=0)

    def bar_centre(self, value: int) -> pg.Point:
        """Where value's bar is, in scene coordinates (for a click)."""
        index = int(np.nonzero(self.values == value)[0][0])
        height = self.viewRange()[1][1]
        return self.plotItem.vb.mapViewToScene(pg.Point(index, height * 0.02))

    def _on_click(self, event: object) -> None:
        point = self.plotItem.vb.mapSceneToView(event.scenePos())  # type: ignore[attr-defined]
        index = int(round(point.x()))
        if 0 <= index < len(self.values) and abs(point.x() - index) <= 0.4 and point.y() >= 0:
            self.picked.emit(int(self.values[index]))
