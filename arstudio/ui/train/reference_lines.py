"""The published results on the followed data set, drawn on the NLL plot as labelled reference lines (a part of
NllPanel, kept apart: the lines, their labels, the note naming those beyond the view, and what hovering says)."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt

from arstudio.data.references import Reference, references_for
from arstudio.ui.common.plot_style import ink

LIVE = "live"
"""The key of the live run's series in NllPanel.series."""


class ReferenceLinesMixin:
    """NllPanel's reference lines. It provides `plot`, `units`, `log_scale`, `series`, `items`, `_convert` and
    keeps `reference_lines`, `reference_note` and `_references_for`."""

    def reference_source(self) -> tuple[str, int] | None:
        """The data set whose published results are drawn, with its dimension count: the live run's, else the one
        data set that all compared runs share; None when there is none."""
        live = self.series.get(LIVE)
        if live is not None:
            return (live.dataset, live.dims) if live.dataset else None
        shown = {(s.dataset, s.dims) for s in self.series.values()}
        return shown.pop() if len(shown) == 1 and next(iter(shown))[0] else None

    def _draw_references(self) -> None:
        """A dash-dotted line at each published test NLL of the followed data set, labelled at the right edge.
        The lines do not take part in the autoscale: the view follows the curves and the uniform baseline, and
        the results beyond it are named at its edge instead."""
        source = self.reference_source()
        if source == self._references_for and (self.reference_lines or not source):
            self._place_reference_labels()
            return
        for entry in self.reference_lines:
            self.plot.removeItem(entry.line)
            self.plot.removeItem(entry.label)
        self.reference_lines, self._references_for = [], source
        if self.reference_note.scene() is None:
            self.plot.addItem(self.reference_note, ignoreBounds=True)
        text_color = with_alpha(ink().name(), 215)
        pen = pg.mkPen(with_alpha(ink().name(), 150), width=1, style=Qt.PenStyle.DashDotLine)
        self.reference_note.setColor(text_color)
        for reference in references_for(source[0]) if source else []:
            line = pg.InfiniteLine(angle=0, movable=False, pen=pen)
            label = pg.TextItem(color=text_color, anchor=(1, 1))
            line.setZValue(-1)  # under the curves
            # ignoreBounds: an InfiniteLine's bounds are (0, 0) in y, which would stretch the view to zero.
            self.plot.addItem(line, ignoreBounds=True)
            self.plot.addItem(label, ignoreBounds=True)
            self.reference_lines.append(ReferenceLine(reference, line, label))
        self._place_reference_labels()

    def reference_value(self, reference: Reference) -> float:
        """A published result in the plot's units (nats per example or bits per dimension)."""
        dims = self._references_for[1] if self._references_for else 1
        return float(self._convert(reference.nll, dims))

    def reference_text(self, reference: Reference) -> str:
        """"PixelCNN 81.30 (van den Oord 2016)", or in bits per dimension "PixelCNN 0.1496 (...)"."""
        value = self.reference_value(reference)
        number = f"{value:.4f}" if self.units.currentIndex() == 1 else f"{value:.2f}"
        return f"{reference.model} {number} ({reference.paper.short})"

    def _place_reference_labels(self, *_: object) -> None:
        """Move the lines to their values and their labels to the right edge, just above them or, where the
        curve's tail is, above the tail: stacked, so that close results (79.2 and 81.3 nats are 2 px apart
        while the curve starts at 543) stay readable. The results outside the view are named at its edge."""
        view = self.plot.getPlotItem().vb
        (x0, x1), (y0, y1) = view.viewRange()
        log = self.log_scale.isChecked()
        y_per_pixel = (y1 - y0) / view.height() if view.height() > 0 else 0.0
        x_per_pixel = (x1 - x0) / view.width() if view.width() > 0 else 0.0
        below, above, visible = [], [], []
        for entry in self.reference_lines:
            value = self.reference_value(entry.reference)
            y = math.log10(value) if log and value > 0 else value
            entry.line.setPos(y)
            entry.label.setText(self.reference_text(entry.reference))
            (below if y < y0 else above if y > y1 else visible).append((y, entry))
        self._place_note(below, above, x0, y0, y1)
        for _, entry in below + above:
            entry.label.setVisible(False)
        if not visible:
            return
        width = max(entry.label.boundingRect().width() for _, entry in visible) * x_per_pixel
        tail = self._curve_top(x1 - width)
        floor = y0 if tail is None else tail + 2 * y_per_pixel
        if below:
            floor = max(floor, y0 + self.reference_note.boundingRect().height() * y_per_pixel)
        for y, entry in sorted(visible, key=lambda pair: pair[0]):
            entry.label.setVisible(True)
            entry.label.setPos(x1, max(y, floor))
            floor = max(y, floor) + entry.label.boundingRect().height() * y_per_pixel * 0.8

    def _place_note(self, below: list, above: list, x0: float, y0: float, y1: float) -> None:
        """"▼ 5 published results below: PixelRNN 79.20 … NADE 88.86" at the bottom-left (the curve is high
        there), or "▲ ..." at the top-left when they are all above."""
        words = []
        for arrow, where, hidden in (("▼", "below", below), ("▲", "above", above)):
            references = sorted((entry.reference for _, entry in hidden), key=lambda r: r.nll)
            if len(references) == 1:
                words.append(f"{arrow} published result {where}: {self.reference_text(references[0])}")
            elif references:
                first, last = (self.reference_text(r).split(" (")[0] for r in (references[0], references[-1]))
                words.append(f"{arrow} {len(references)} published results {where}: {first} … {last}")
        self.reference_note.setText("\n".join(words))
        self.reference_note.setVisible(bool(words))
        self.reference_note.setAnchor((0, 0) if above and not below else (0, 1))
        self.reference_note.setPos(x0, y1 if above and not below else y0)

    def _curve_top(self, x_from: float) -> float | None:
        """The highest point of any drawn curve right of `x_from`, in view coordinates (the display data, so
        log y and downsampling are already applied), or None when nothing is drawn there."""
        top = None
        for raw, _, validation in self.items.values():
            for item in (raw, validation):
                x, y = item.getData()
                if x is None or not len(x):
                    continue
                start = int(np.searchsorted(x, x_from))
                if start < len(x):
                    highest = float(np.nanmax(y[start:]))
                    top = highest if top is None else max(top, highest)
        return top

    def _hovered_reference(self, position: QPointF) -> list[Reference]:
        """The published results under the mouse: its label, else the nearest line within a few pixels, else
        those the note names when it is hovered."""
        if self.reference_note.isVisible() and self.reference_note.sceneBoundingRect().contains(position):
            return [entry.reference for entry in self.reference_lines if not entry.label.isVisible()]
        shown = [entry for entry in self.reference_lines if entry.label.isVisible()]
        for entry in shown:
            if entry.label.sceneBoundingRect().contains(position):
                return [entry.reference]
        view = self.plot.getPlotItem().vb
        distances = [(abs(view.mapViewToScene(QPointF(0.0, e.line.value())).y() - position.y()), e) for e in shown]
        near = min(distances, key=lambda pair: pair[0], default=None)
        return [near[1].reference] if near is not None and near[0] <= 4 else []


@dataclass
class ReferenceLine:
    reference: Reference
    line: pg.InfiniteLine
    label: pg.TextItem


def hover_text(references: list[Reference]) -> str:
    """What hovering a reference line (or the note) says: each figure with the model's configuration and the
    paper, then the protocol they were measured under."""
    lines = []
    for reference in references:
        lines += [f"{reference.model} {reference.nll:.2f} nats: {reference.detail}", f"    {reference.paper.citation}"]
    protocols = dict.fromkeys(reference.protocol for reference in references)
    return "\n".join(lines + [textwrap.fill(f"Protocol: {protocol}.", 90) for protocol in protocols])


def with_alpha(color: str, alpha: int):
    qcolor = pg.mkColor(color)
    qcolor.setAlpha(alpha)
    return qcolor

