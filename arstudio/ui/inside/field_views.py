"""How a receptive field is drawn: a heat map over an image's values, bars over a waveform's preceding samples,
a text's characters coloured by magnitude. Magnitudes are shown on a log scale (DECADES below the level's
largest); a value with exactly zero gradient is never coloured: grey (an image shows the example's own grey
there, faintly), so "no path at all" stands apart from "a weak one"."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QTextBrowser, QWidget

from arstudio.ui.common.plot_style import follow_palette, ink, major_grid_only

COLOR_MAP = "inferno"
DECADES = 6.0
"""The log scale covers this many powers of ten below each level's largest magnitude."""
LOW = 0.18
"""The colour map's start for the weakest non-zero magnitude (darker shades are left out, so none looks grey)."""
MARK = "#30c0ff"


def log_scale(field: np.ndarray) -> np.ndarray:
    """field >= 0 -> 0 where zero, else LOW..1 by log10 magnitude within DECADES of the maximum."""
    field = np.asarray(field, dtype=np.float64)
    out = np.zeros(field.shape, dtype=np.float32)
    nonzero = field > 0
    if not nonzero.any():
        return out
    top = np.log10(field[nonzero].max())
    scaled = np.clip((np.log10(field[nonzero]) - top + DECADES) / DECADES, 0.0, 1.0)
    out[nonzero] = LOW + (1.0 - LOW) * scaled
    return out


def field_rgba(field: np.ndarray, example: np.ndarray) -> np.ndarray:
    """[H, W] field and example (0..1) -> [H, W, 4] uint8: colour-mapped magnitudes, the example's grey (dimmed to
    35..115) where the gradient is zero."""
    scaled = log_scale(field)
    colours = pg.colormap.get(COLOR_MAP).map(scaled.ravel(), mode="byte").reshape(*scaled.shape, 4)
    grey = (35 + 80 * np.clip(np.asarray(example, dtype=np.float32), 0, 1)).astype(np.uint8)
    zero = scaled == 0
    colours[zero, :3] = grey[zero, None]
    colours[..., 3] = 255
    return colours


class FieldImage(pg.PlotWidget):
    """An image's field (C, H, W), channels side by side, row 0 on top, the position outlined; clicked(c, r, w)."""

    clicked = Signal(int, int, int)

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        follow_palette(self)
        self.setAspectLocked(True)
        self.invertY(True)
        self.hideAxis("left")
        self.hideAxis("bottom")
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.addItem(self.image)
        self.marker = pg.PlotDataItem(pen=pg.mkPen(MARK, width=2))
        self.addItem(self.marker)
        self.shape = (1, 1, 1)
        self.rgba = np.zeros((1, 1, 4), dtype=np.uint8)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.setMinimumSize(160, 160)

    def set_field(self, field: np.ndarray, example: np.ndarray, position: tuple[int, int, int]) -> None:
        """field and example [C, H, W] (example in 0..1), position (c, r, w)."""
        self.shape = tuple(field.shape)
        self.rgba = np.concatenate(list(field_rgba(field, example)), axis=1)
        self.image.setImage(self.rgba, autoLevels=False, levels=(0, 255))
        channel, row, col = position
        x = channel * self.shape[2] + col
        self.marker.setData([x, x + 1, x + 1, x, x], [row, row, row + 1, row + 1, row])
        self.setRange(xRange=(0, self.rgba.shape[1]), yRange=(0, self.rgba.shape[0]), padding=0.02)

    def cell_of(self, x: float, y: float) -> tuple[int, int, int] | None:
        """The (c, r, w) under view coordinates (x, y), or None outside the image."""
        channels, height, width = self.shape
        row, col = int(np.floor(y)), int(np.floor(x))
        if 0 <= row < height and 0 <= col < channels * width:
            return col // width, row, col % width
        return None

    def _on_click(self, event: object) -> None:
        point = self.plotItem.vb.mapSceneToView(event.scenePos())  # type: ignore[attr-defined]
        cell = self.cell_of(point.x(), point.y())
        if cell is not None:
            self.clicked.emit(*cell)


class FieldWave(pg.PlotWidget):
    """The field over the samples before a position: bars of log magnitude at offsets -span..0, the waveform over
    them; clicked(offset) picks another sample."""

    clicked = Signal(int)

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        follow_palette(self)
        major_grid_only(self)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.setLabel("bottom", "offset from the chosen sample")
        self.setLabel("left", "waveform; bars: gradient magnitude (log)")
        self.bars = pg.BarGraphItem(x=[], height=[], width=1.0, brush="#e07020a0", pen=None)
        self.zeros = pg.ScatterPlotItem(size=4, brush="#80808080", pen=None)
        self.curve = pg.PlotDataItem(pen=pg.mkPen(ink(), width=1))
        self.marker = pg.InfiniteLine(0, angle=90, pen=pg.mkPen(MARK, width=2))
        for item in (self.bars, self.zeros, self.curve, self.marker):
            self.addItem(item)
        self.offsets = np.zeros(0, dtype=np.int64)
        self.heights = np.zeros(0, dtype=np.float32)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.setMinimumHeight(160)

    def set_field(self, field: np.ndarray, wave: np.ndarray, position: int, span: int) -> None:
        """field [T] >= 0, wave [T] in [-1, 1]; shows samples position-span .. position."""
        first = max(0, position - span)
        self.offsets = np.arange(first, position + 1) - position
        self.heights = log_scale(np.asarray(field)[first:position + 1]) * 2.0
        self.bars.setOpts(x=self.offsets, height=self.heights, y0=-1.0, width=0.9)
        zero = self.heights == 0
        self.zeros.setData(self.offsets[zero], np.full(int(zero.sum()), -1.0))
        self.curve.setData(self.offsets, np.asarray(wave, dtype=np.float32)[first:position + 1])
        self.setXRange(-span - 0.5, 0.5, padding=0.02)
        self.setYRange(-1.05, 1.05, padding=0)

    def _on_click(self, event: object) -> None:
        point = self.plotItem.vb.mapSceneToView(event.scenePos())  # type: ignore[attr-defined]
        offset = int(round(point.x()))
        if len(self.offsets) and self.offsets[0] <= offset <= 0:
            self.clicked.emit(offset)


class FieldText(QTextBrowser):
    """A text's tokens on backgrounds coloured by log magnitude (grey: zero), the position's token boxed;
    clicking a token emits clicked(index)."""

    clicked = Signal(int)

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setOpenLinks(False)
        self.anchorClicked.connect(self._on_anchor)
        self.spans: list[str] = []

    def set_field(self, tokens: list[str], field: np.ndarray, position: int) -> None:
        cmap = pg.colormap.get(COLOR_MAP)
        scaled = log_scale(field)
        self.spans = []
        for i in range(len(tokens)):
            style = "white-space:pre;text-decoration:none;"
            if i == position:
                style += f"border:2px solid {MARK};background-color:{MARK};color:#000000;"
            elif scaled[i] == 0:
                style += "background-color:#505050;color:#c8c8c8;"
            else:
                colour = cmap.map(float(scaled[i]), mode="qcolor")
                style += f"background-color:{colour.name()};color:{'#000000' if scaled[i] > 0.6 else '#ffffff'};"
            self.spans.append(style)
        body = "".join(f'<a href="{i}" style="{style}">{html.escape(token)}</a>'
                       for i, (token, style) in enumerate(zip(tokens, self.spans, strict=True)))
        self.setHtml(f'<div style="font-family:monospace;font-size:13px;line-height:160%;">{body}</div>')

    def _on_anchor(self, url: QUrl) -> None:
        if url.toString().isdigit():
            self.clicked.emit(int(url.toString()))
