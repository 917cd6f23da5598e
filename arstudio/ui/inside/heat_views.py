"""Values laid over what a model reads: a heat map over an image's pixels, a waveform's samples or a text's tokens.

The Inside view's parts show every per-position quantity (surprisal, reachability, attention, generation
order) through these, so one colour scale means the same thing everywhere."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QTextBrowser, QWidget

from arstudio.ui.common.plot_style import follow_palette, ink, major_grid_only

COLOR_MAP = "inferno"


def as_grid(values: np.ndarray) -> np.ndarray:
    """[H, W] for a heat map: an image's channels (C, H, W) side by side, a flat vector as one row."""
    values = np.asarray(values, dtype=np.float32)
    if values.ndim == 3:
        return np.concatenate(list(values), axis=1) if values.shape[0] > 1 else values[0]
    if values.ndim == 1:
        return values[None, :]
    return values


class HeatImage(pg.PlotWidget):
    """A heat map of a (C, H, W) or (H, W) array, row 0 at the top; emits clicked(row, col) of a cell (col runs
    across the channels laid side by side) and can outline one cell."""

    clicked = Signal(int, int)

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        follow_palette(self)
        major_grid_only(self)
        self.setAspectLocked(True)
        self.invertY(True)
        self.hideAxis("left")
        self.hideAxis("bottom")
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get(COLOR_MAP))
        self.image.setAutoDownsample(True)
        self.addItem(self.image)
        self.marker = pg.PlotDataItem(pen=pg.mkPen("#30c0ff", width=2))
        self.addItem(self.marker)
        self.grid: np.ndarray = np.zeros((1, 1), dtype=np.float32)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.setMinimumSize(120, 120)

    def set_values(self, values: np.ndarray, levels: tuple[float, float] | None = None) -> None:
        self.grid = as_grid(values)
        low, high = levels if levels is not None else (float(self.grid.min()), float(self.grid.max()))
        self.image.setImage(self.grid, levels=(low, high if high > low else low + 1e-6), autoLevels=False)
        self.setRange(xRange=(0, self.grid.shape[1]), yRange=(0, self.grid.shape[0]), padding=0.02)

    def outline(self, row: int | None, col: int | None = None) -> None:
        """Draw a box around one cell (None: none)."""
        if row is None or col is None:
            self.marker.setData([], [])
            return
        xs = [col, col + 1, col + 1, col, col]
        ys = [row, row, row + 1, row + 1, row]
        self.marker.setData(xs, ys)

    def cell_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        point = self.plotItem.vb.mapSceneToView(scene_pos)
        row, col = int(np.floor(point.y())), int(np.floor(point.x()))
        if 0 <= row < self.grid.shape[0] and 0 <= col < self.grid.shape[1]:
            return row, col
        return None

    def _on_click(self, event: object) -> None:
        cell = self.cell_at(event.scenePos())  # type: ignore[attr-defined]
        if cell is not None:
            self.clicked.emit(*cell)


class HeatWave(pg.PlotWidget):
    """A waveform with a value per sample drawn under it as coloured bars (e.g. surprisal or reach)."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        follow_palette(self)
        major_grid_only(self)
        self.setMenuEnabled(False)
        self.setLabel("bottom", "sample")
        self.bars = pg.BarGraphItem(x=[], height=[], width=1.0, brush="#e0702080", pen=None)
        self.curve = pg.PlotDataItem(pen=pg.mkPen(ink(), width=1))
        self.addItem(self.bars)
        self.addItem(self.curve)
        self.setMinimumHeight(140)

    def set_values(self, wave: np.ndarray, heat: np.ndarray, heat_name: str) -> None:
        """wave in [-1, 1]; heat >= 0, scaled to the plot's height."""
        heat = np.asarray(heat, dtype=np.float32)
        scale = float(heat.max()) or 1.0
        x = np.arange(len(heat))
        self.bars.setOpts(x=x + 0.5, height=heat / scale * 2.0, y0=-1.0, width=1.0)
        self.curve.setData(np.arange(len(wave)) + 0.5, np.asarray(wave, dtype=np.float32))
        self.setLabel("left", f"waveform; bars: {heat_name} (max {scale:.3g})")
        self.setYRange(-1.05, 1.05, padding=0)


class HeatText(QTextBrowser):
    """Tokens on coloured backgrounds; hovering token i emits hovered(i) (-1 when off the text)."""

    hovered = Signal(int)

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)
        self.setOpenLinks(False)
        self.tokens: list[str] = []
        self._last = -1

    def set_values(self, tokens: list[str], heat: np.ndarray | None, marked: int | None = None,
                   titles: list[str] | None = None) -> None:
        """Show `tokens` coloured by `heat` (0..1 each; None or NaN: plain); `marked` is underlined and boxed."""
        self.tokens = list(tokens)
        cmap = pg.colormap.get(COLOR_MAP)
        spans = []
        for i, token in enumerate(tokens):
            style = "white-space:pre;"
            if heat is not None and not np.isnan(heat[i]):
                level = float(np.clip(heat[i], 0.0, 1.0))
                color = cmap.map(0.15 + 0.85 * level, mode="qcolor")
                text_color = "#000000" if 0.15 + 0.85 * level > 0.55 else "#ffffff"
                style += f"background-color:{color.name()};color:{text_color};"
            if marked == i:
                style += "border:2px solid #30c0ff;text-decoration:underline;"
            title = f' title="{html.escape(titles[i])}"' if titles else ""
            shown = html.escape(token).replace("\n", "↵<br>")
            spans.append(f'<span style="{style}"{title}>{shown}</span>')
        self.setHtml('<div style="font-family:monospace;font-size:13px;line-height:150%;">' + "".join(spans)
                     + "</div>")

    def token_at(self, pos: QPointF) -> int:
        """The token under a viewport point, or -1."""
        cursor = self.cursorForPosition(pos.toPoint())
        if abs(self.cursorRect(cursor).center().y() - pos.y()) > self.cursorRect(cursor).height():
            return -1
        return self.token_of_character(cursor.position())

    def token_of_character(self, offset: int) -> int:
        """The token holding the document's character `offset` (a line break token takes two: ↵ and the break)."""
        end = 0
        for i, token in enumerate(self.tokens):
            end += len(token.replace("\n", "↵\n"))
            if offset < end:
                return i
        return len(self.tokens) - 1 if self.tokens and offset == end else -1

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        super().mouseMoveEvent(event)
        index = self.token_at(event.position())
        if index != self._last:
            self._last = index
            self.hovered.emit(index)

    def leaveEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        super().leaveEvent(event)  # type: ignore[arg-type]
        if self._last != -1:
            self._last = -1
            self.hovered.emit(-1)


def unit_scale(values: np.ndarray) -> np.ndarray:
    """values / their maximum (all zero stays zero)."""
    values = np.asarray(values, dtype=np.float32)
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else values

