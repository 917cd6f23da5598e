"""A sweep's figure: test NLL per ordering as bars with their spread, or loss against size and compute, log-log."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from arstudio.training.sweeps import ComputeCurves, GroupSummary, PowerLaw, SweepRow, loss_of
from arstudio.ui.common.plot_style import follow_palette, ink, major_grid_only
from arstudio.ui.sweeps.ticks import log_ticks, short_number

BAR_WIDTH = 0.6
FIT_POINTS = 100


def run_colour(index: int, count: int) -> QColor:
    """One colour per size, the same in both scaling plots."""
    return pg.intColor(index, hues=max(count, 2), values=1, maxValue=200, sat=200)


class SweepPlot(QWidget):
    """objectName sweepPlot: a message, or one plot (the ordering lab's bars) or two side by side (scaling).

    `bars` and `error_bars` hold the ordering lab's items, `fit` the scaling sweep's power law in N."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sweepPlot")
        self.setMinimumHeight(260)
        self.bars: pg.BarGraphItem | None = None
        self.error_bars: pg.ErrorBarItem | None = None
        self.fit: PowerLaw | None = None
        self.left, self.right = pg.PlotWidget(), pg.PlotWidget()
        for plot in (self.left, self.right):
            follow_palette(plot)
            plot.getPlotItem().setMenuEnabled(False)
        self.message = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        plots = QWidget()
        row = QHBoxLayout(plots)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.left, 1)
        row.addWidget(self.right, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.message)
        self.pages.addWidget(plots)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        self.show_message("Start a sweep, or choose one on the left: its figure appears here as its runs finish.")

    @property
    def plots(self) -> list[pg.PlotItem]:
        """The plots on show now."""
        if self.pages.currentIndex() == 0:
            return []
        return [w.getPlotItem() for w in (self.left, self.right) if not w.isHidden()]

    def show_message(self, text: str) -> None:
        self.bars = self.error_bars = self.fit = None
        self.message.setText(text)
        self.pages.setCurrentIndex(0)

    def show_ordering(self, summaries: list[GroupSummary], rows: list[SweepRow]) -> None:
        """Mean test NLL per ordering as bars, ± one standard deviation over seeds, every seed as a dot."""
        done = [s for s in summaries if s.mean_nll is not None]
        if not done:
            self.show_message("No run of this sweep has finished yet; the bars appear as they do.")
            return
        x = np.arange(len(done), dtype=np.float64)
        means = np.array([s.mean_nll for s in done])
        spreads = np.array([s.spread_nll for s in done])
        finished = [r.test_nll for r in rows if r.test_nll is not None]
        low = min([float((means - spreads).min()), *finished])
        high = max([float((means + spreads).max()), *finished])
        margin = max(high - low, 1e-3 * abs(high), 1e-6)
        base = max(0.0, low - 0.6 * margin)
        plot = self._prepare(self.left, f"Test NLL per ordering, mean ± std over seeds (axis from {base:.4g})",
                             "test NLL (nats per example)", log=False)
        self.right.hide()
        accent = QApplication.palette().color(QPalette.ColorRole.Highlight)
        self.bars = pg.BarGraphItem(x=x, height=means - base, y0=base, width=BAR_WIDTH,
                                    brush=pg.mkBrush(accent.red(), accent.green(), accent.blue(), 150),
                                    pen=pg.mkPen(accent, width=1))
        self.error_bars = pg.ErrorBarItem(x=x, y=means, top=spreads, bottom=spreads, beam=BAR_WIDTH / 3,
                                          pen=pg.mkPen(ink(), width=2))
        plot.addItem(self.bars)
        plot.addItem(self.error_bars)
        position = {s.group: i for i, s in enumerate(done)}
        seeds = [(position[r.group], r.test_nll) for r in rows if r.test_nll is not None and r.group in position]
        plot.plot([p for p, _ in seeds], [v for _, v in seeds], pen=None, symbol="o", symbolSize=6,
                  symbolBrush=pg.mkBrush(ink()), symbolPen=None)
        plot.getAxis("bottom").setTicks([[(i, s.group) for i, s in enumerate(done)]])
        plot.setXRange(-0.6, len(done) - 0.4, padding=0)
        plot.setYRange(base, high + 0.25 * margin, padding=0)
        self.pages.setCurrentIndex(1)

    def show_scaling(self, summaries: list[GroupSummary], fit: PowerLaw | None, curves: ComputeCurves,
                     units: str) -> None:
        """Left: test loss against parameters with the fitted power law. Right: each size's validation loss
        against the compute it had used, and their lower envelope (the compute frontier)."""
        points = [(s.params, loss_of(s), s.group) for s in summaries if s.params and loss_of(s) is not None]
        if not points and not any(len(c) for _, c, _ in curves.curves):
            self.show_message("No run of this sweep has trained far enough yet; the points appear as they do.")
            return
        groups = [s.group for s in summaries]
        exponent = "" if fit is None else f": α = {fit.alpha:.3f}" + (" (smaller wins here)" if fit.alpha < 0 else "")
        left = self._prepare(self.left, f"Test loss vs parameters{exponent}", f"test loss ({units})", log=True)
        left.setLabel("bottom", "parameters N")
        for params, loss, group in points:
            left.plot([params], [loss], pen=None, symbol="o", symbolSize=10, name=group,
                      symbolBrush=pg.mkBrush(run_colour(groups.index(group), len(groups))), symbolPen=pg.mkPen(ink()))
        if points:
            sizes = [p for p, _, _ in points]
            left.getAxis("bottom").setTicks([[(math.log10(n), short_number(n)) for n in sizes]])
            left.setXRange(math.log10(min(sizes) / 1.3), math.log10(max(sizes) * 1.3), padding=0)
            if fit is not None:
                grid = np.geomspace(min(sizes) / 1.3, max(sizes) * 1.3, FIT_POINTS)
                left.plot(grid, fit(grid), pen=pg.mkPen(ink(), width=2, style=Qt.PenStyle.DashLine),
                          name=fit.describe("N"))
        self.fit = fit
        right = self._prepare(self.right, "Validation loss vs compute", f"validation loss ({units})", log=True)
        right.setLabel("bottom", "compute C = 6·N·tokens (FLOPs)")
        self.right.show()
        spans = []
        for label, compute, loss in curves.curves:
            if len(compute):
                spans.append(compute)
                colour = run_colour(groups.index(label) if label in groups else 0, len(groups))
                right.plot(compute, loss, pen=pg.mkPen(colour, width=2))
        if spans:
            low, high = min(float(c.min()) for c in spans), max(float(c.max()) for c in spans)
            right.getAxis("bottom").setTicks([log_ticks(low, high)])
        if len(curves.frontier_compute) >= 2:
            name = "frontier" + (f": C^−{curves.fit.alpha:.3f}" if curves.fit is not None else "")
            right.plot(curves.frontier_compute, curves.frontier_loss, name=name,
                       pen=pg.mkPen(ink(), width=2, style=Qt.PenStyle.DotLine))
        self.pages.setCurrentIndex(1)

    def _prepare(self, widget: pg.PlotWidget, title: str, left: str, log: bool) -> pg.PlotItem:
        """Empty `widget`'s plot and style it afresh: title, axes, grid, log mode and a legend."""
        plot = widget.getPlotItem()
        plot.clear()
        if plot.legend is not None:
            plot.legend.scene().removeItem(plot.legend)
            plot.legend = None
        plot.setTitle(title, color=ink().name(), size="10pt")
        plot.setLabel("left", left)
        plot.setLabel("bottom", "")
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setLogMode(x=log, y=log)
        major_grid_only(widget)
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setTicks(None)
            axis.enableAutoSIPrefix(False)
            axis.setPen(pg.mkPen(ink()))
            axis.setTextPen(pg.mkPen(ink()))
        plot.addLegend(offset=(10, -10), labelTextColor=ink(),
                       brush=pg.mkBrush(QApplication.palette().color(QPalette.ColorRole.Base)))
        plot.enableAutoRange()
        return plot
