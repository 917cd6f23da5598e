"""The live negative log-likelihood plot: train and validation curves, units, smoothing, overlays, and the
published results on the data set as labelled reference lines."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from arstudio.ui.common.plot_style import PALETTE_EVENTS, follow_palette, ink, major_grid_only
from arstudio.ui.train.reference_lines import LIVE, ReferenceLine, ReferenceLinesMixin, hover_text, with_alpha

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]


@dataclass
class Series:
    """One run's points, in nats per example, with the steps and wall times they were taken at."""

    label: str
    dims: int
    color: str
    """A colour name, or LIVE for the running run (drawn in the theme's text colour)."""
    dataset: str = ""
    """The data set's name, for its published results (none when empty)."""
    train: list[tuple[int, float, float]] = field(default_factory=list)
    validation: list[tuple[int, float, float]] = field(default_factory=list)
    smoothing: EmaCache = field(default_factory=lambda: EmaCache())


@dataclass
class EmaCache:
    """Exponential moving average with the start-up bias corrected (as in Adam), extended incrementally."""

    weight: float = -1.0
    average: float = 0.0
    values: list[float] = field(default_factory=list)

    def smooth(self, raw: np.ndarray, weight: float) -> np.ndarray:
        if weight <= 0:
            return raw
        if weight != self.weight or len(self.values) > len(raw):
            self.weight, self.average, self.values = weight, 0.0, []
        for i in range(len(self.values), len(raw)):
            self.average = weight * self.average + (1 - weight) * raw[i]
            self.values.append(self.average / (1 - weight ** (i + 1)))
        return np.asarray(self.values)


class NllPanel(ReferenceLinesMixin, QWidget):
    """Controls above a pyqtgraph plot (objectName nllPlot)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.series: dict[str, Series] = {}
        self.baseline_nats: float | None = None
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("nllPlot")
        follow_palette(self.plot)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        major_grid_only(self.plot)
        self.plot.addLegend(offset=(-10, 10))
        self.plot.setClipToView(True)
        self.plot.setDownsampling(auto=True, mode="peak")
        self.plot.getPlotItem().setMenuEnabled(False)
        self.readout = pg.TextItem(color=ink(), anchor=(0, 1))
        self.plot.addItem(self.readout, ignoreBounds=True)
        self.items: dict[str, list[pg.PlotDataItem]] = {}
        self.baseline: pg.PlotDataItem | None = None
        self.reference_lines: list[ReferenceLine] = []
        """The published results on the followed data set (`reference_source`), one line and label each."""
        self.reference_note = pg.TextItem(anchor=(0, 1))
        """Names the published results beyond the view's range, at its bottom (or top) edge."""
        self._references_for: tuple[str, int] | None = None

        self.units = QComboBox(objectName="nllUnits")
        self.units.addItems(["nats / example", "bits / dim"])
        self.x_axis = QComboBox(objectName="nllXAxis")
        self.x_axis.addItems(["step", "wall time (s)"])
        self.log_scale = QCheckBox("log y", objectName="nllLogScale")
        self.smoothing = QSlider(Qt.Orientation.Horizontal, objectName="nllSmoothing")
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(60)
        self.smoothing.setToolTip("Exponential moving average of the training curve (bias-corrected at the start)")
        controls = QHBoxLayout()
        for widget in (QLabel("Units"), self.units, QLabel("x"), self.x_axis, self.log_scale, QLabel("Smoothing"),
                       self.smoothing):
            controls.addWidget(widget)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.plot)
        for signal in (self.units.currentIndexChanged, self.x_axis.currentIndexChanged, self.smoothing.valueChanged):
            signal.connect(self.redraw)
        self.log_scale.toggled.connect(self._set_log)
        self.plot.scene().sigMouseMoved.connect(self._hover)
        view = self.plot.getPlotItem().vb
        view.sigRangeChanged.connect(self._place_reference_labels)
        view.sigResized.connect(self._place_reference_labels)
        self._label_axes()

    # Data in.
    def start_live(self, label: str, dims: int, levels: int, dataset: str = "") -> None:
        """Follow a new live run (on `dataset`, whose published results are drawn). The plot's items are kept and
        emptied, not rebuilt: rebuilding them held the GUI thread up for about 50 ms at the press of Train."""
        reuse = LIVE in self.items and self.baseline is not None
        self.series[LIVE] = Series(label, dims, LIVE, dataset)
        self.baseline_nats = dims * math.log(levels)
        if not reuse:
            self.redraw()
            return
        self._update(LIVE)
        legend = self.plot.getPlotItem().legend
        _, smooth, validation = self.items[LIVE]
        level = self._convert(self.baseline_nats, dims)
        self.baseline.setData([0.0, 1.0], [level, level])
        for item, text in ((smooth, f"{label} train"), (validation, f"{label} validation"),
                           (self.baseline, f"uniform baseline ({level:.3g})")):
            if (name := legend.getLabel(item)) is not None:
                name.setText(text)
        self._draw_references()

    def add_train(self, points: list[tuple[int, float, float]]) -> None:
        self.series[LIVE].train.extend(points)
        self._update(LIVE)
        if self.baseline is not None and self.baseline_nats is not None:
            # The level is computed, not read back: getData() is the clipped display data, (None, None) when
            # the two points are out of view (after comparing a longer run, say).
            x, _ = self._x_and_nats(self.series[LIVE].train[-1:])
            level = self._convert(self.baseline_nats, self.series[LIVE].dims)
            self.baseline.setData([0.0, float(x[-1])], [level, level])

    def add_validation(self, step: int, wall: float, nll: float) -> None:
        self.series[LIVE].validation.append((step, wall, nll))
        self._update(LIVE)

    def set_overlays(self, overlays: list[Series]) -> None:
        """Replace the compared runs (each gets its own colour) and keep the live one."""
        live = self.series.get(LIVE)
        self.series = {f"run{i}": s for i, s in enumerate(overlays)}
        for i, series in enumerate(overlays):
            series.color = PALETTE[i % len(PALETTE)]
        if live is not None:
            self.series[LIVE] = live
        self.redraw()

    def point_count(self) -> int:
        return sum(len(s.train) + len(s.validation) for s in self.series.values())

    # Drawing.
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in PALETTE_EVENTS:
            self.readout.setColor(ink())
            self.redraw()

    def redraw(self) -> None:
        self.plot.clear()
        self.plot.addItem(self.readout, ignoreBounds=True)
        self.items = {}
        self.baseline = None
        self.reference_lines, self._references_for = [], None
        for key in self.series:
            self._update(key)
        self._draw_baseline()
        self._draw_references()
        self._label_axes()

    def _draw_baseline(self) -> None:
        """A dashed line at D ln K, the NLL of a model that knows nothing, across the x range of the data."""
        live = self.series.get(LIVE)
        if self.baseline_nats is None or live is None:
            return
        x, _ = self._x_and_nats(live.train)
        end = float(x[-1]) if len(x) else 1.0
        level = self._convert(self.baseline_nats, live.dims)
        self.baseline = self.plot.plot([0.0, end], [level, level], name=f"uniform baseline ({level:.3g})",
                                       pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine, width=1))

    def _update(self, key: str) -> None:
        series = self.series[key]
        if key not in self.items:
            color = ink().name() if series.color == LIVE else series.color
            pen = pg.mkPen(color, width=2)
            faint = pg.mkPen(with_alpha(color, 70), width=1)
            self.items[key] = [
                self.plot.plot([], [], pen=faint),
                self.plot.plot([], [], pen=pen, name=f"{series.label} train"),
                self.plot.plot([], [], pen=pg.mkPen(color, width=1, style=Qt.PenStyle.DotLine),
                               symbol="o", symbolSize=6, symbolBrush=color, name=f"{series.label} validation"),
            ]
        raw, smooth, validation = self.items[key]
        x, nats = self._x_and_nats(series.train)
        raw.setData(x, self._convert(nats, series.dims))
        smoothed = series.smoothing.smooth(nats, self.smoothing.value() / 100)
        smooth.setData(x, self._convert(smoothed, series.dims))
        vx, vnats = self._x_and_nats(series.validation)
        validation.setData(vx, self._convert(vnats, series.dims))

    def _x_and_nats(self, points: list[tuple[int, float, float]]) -> tuple[np.ndarray, np.ndarray]:
        if not points:
            return np.zeros(0), np.zeros(0)
        array = np.asarray(points, dtype=np.float64)
        return (array[:, 0] if self.x_axis.currentIndex() == 0 else array[:, 1]), array[:, 2]

    def _convert(self, nats, dims: int):
        return nats / (dims * math.log(2)) if self.units.currentIndex() == 1 else nats

    def _set_log(self, on: bool) -> None:
        self.plot.setLogMode(y=on)
        self.redraw()

    def _label_axes(self) -> None:
        self.plot.setLabel("left", "NLL (" + self.units.currentText() + ")")
        self.plot.setLabel("bottom", self.x_axis.currentText())

    def _hover(self, position: QPointF) -> None:
        view = self.plot.getPlotItem().vb
        if not self.plot.sceneBoundingRect().contains(position):
            return
        point = view.mapSceneToView(position)
        hovered = self._hovered_reference(position)
        # A long readout (a paper) is drawn above the rest on the background, so nothing crosses its text.
        self.readout.fill = pg.mkBrush(with_alpha(self.plot.backgroundBrush().color().name(), 235) if hovered
                                       else None)
        self.readout.setZValue(10 if hovered else 0)
        if hovered:
            self.readout.setText(hover_text(hovered))
            note = self.reference_note.sceneBoundingRect()
            if note.contains(position):  # above the note, from the left edge: it is long
                point = view.mapSceneToView(note.topLeft() if self.reference_note.anchor.y() else note.bottomLeft())
                self.readout.setAnchor((0, 1) if self.reference_note.anchor.y() else (0, 0))
            else:
                right_half = position.x() > self.plot.sceneBoundingRect().center().x()
                self.readout.setAnchor((1, 1) if right_half else (0, 1))
            self.readout.setPos(point.x(), point.y())
            return
        self.readout.setAnchor((0, 1))
        best = None
        for series in self.series.values():
            for split, points in (("train", series.train), ("validation", series.validation)):
                x, nats = self._x_and_nats(points)
                y = self._convert(nats, series.dims)
                if len(x):
                    i = int(np.abs(x - point.x()).argmin())
                    distance = abs(x[i] - point.x())
                    if best is None or distance < best[0]:
                        best = (distance, series.label, split, x[i], y[i])
        if best is None:
            self.readout.setText("")
            return
        _, label, split, x, y = best
        self.readout.setText(f"{label} {split}: {y:.4f} at {self.x_axis.currentText().split()[0]} {x:g}")
        self.readout.setPos(point.x(), point.y())
