"""How NADE's and MADE's masks are drawn: a layered graph of units (inputs at the bottom, outputs on top) whose
edges are the masks' ones, and the mask matrices themselves.

Within a layer the units are sorted so the chain rule's structure shows: inputs and outputs by their step in the
order, hidden units by how many inputs can reach them (MADE's connectivity numbers). The matrices use the same
sorting, so a MADE mask looks triangular."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from arstudio.inside.connectivity import Connectivity
from arstudio.ui.common.plot_style import follow_palette, ink
from arstudio.ui.inside.heat_views import HeatImage

MAX_EDGES = 6000
"""The most edges drawn at once (evenly thinned beyond it); the caption says how many there are."""
ALL_EDGES = 1500
"""Models with at most this many connections also show the unreachable edges, faintly."""
REACHED = "#e07020"
PICKED = "#30c0ff"


def unit_sorting(connectivity: Connectivity) -> list[np.ndarray]:
    """Per layer, the units in drawing order (left to right)."""
    rank = torch.empty_like(connectivity.order)
    rank[connectivity.order] = torch.arange(len(connectivity.order))
    seen = connectivity.inputs_seen()
    sortings = []
    for layer, size in enumerate(connectivity.sizes):
        key = rank if layer in (0, len(connectivity.sizes) - 1) and size == len(rank) else seen[layer]
        sortings.append(np.argsort(key.numpy(), kind="stable"))
    return sortings


def thinned(count: int, limit: int) -> np.ndarray:
    """Indices of at most `limit` of `count` items, evenly spread."""
    if count <= limit:
        return np.arange(count)
    return np.linspace(0, count - 1, limit).astype(np.int64)


class ConnectivityGraph(pg.PlotWidget):
    """Layers as rows of dots, edges between them; the units reaching the picked output in colour.
    outputClicked(j) when an output dot is clicked."""

    outputClicked = Signal(int)

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        follow_palette(self)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideAxis("bottom")
        self.faint = pg.PlotDataItem(pen=pg.mkPen((128, 128, 128, 40), width=1), connect="pairs")
        self.edges = pg.PlotDataItem(pen=pg.mkPen(REACHED + "60", width=1), connect="pairs")
        self.units = pg.ScatterPlotItem(pen=None)
        for item in (self.faint, self.edges, self.units):
            self.addItem(item)
        self.units.sigClicked.connect(self._on_click)
        self.positions: list[np.ndarray] = []
        self.drawn_edges = 0
        self.reached_edges = 0
        self._output_points = 0
        self.setMinimumHeight(220)

    def set_connectivity(self, connectivity: Connectivity, reach: list[torch.Tensor], output: int) -> None:
        sizes = connectivity.sizes
        self.positions = []
        for sorting in unit_sorting(connectivity):
            x = np.empty(len(sorting))
            x[sorting] = (np.arange(len(sorting)) + 0.5) / len(sorting)
            self.positions.append(x)
        self._draw_edges(connectivity, reach)
        xs, ys, brushes, dot_sizes, data = [], [], [], [], []
        for layer, (x, reached) in enumerate(zip(self.positions, reach, strict=True)):
            reached = reached.numpy()
            xs.append(x)
            ys.append(np.full(len(x), float(layer)))
            colour = np.where(reached, REACHED, "#8a8a8a")
            if layer == len(sizes) - 1:
                colour = np.where(np.arange(len(x)) == output, PICKED, "#8a8a8a")
            brushes.extend(pg.mkBrush(c) for c in colour)
            size = 9.0 if len(x) <= 64 else 5.0 if len(x) <= 400 else 3.0
            dot_sizes.append(np.where(colour != "#8a8a8a", size * 1.4, size))
            data.append(np.arange(len(x)) if layer == len(sizes) - 1 else np.full(len(x), -1))
        self.units.setData(np.concatenate(xs), np.concatenate(ys), brush=brushes, size=np.concatenate(dot_sizes),
                           data=np.concatenate(data))
        axis = self.getAxis("left")
        axis.setTicks([[(i, f"{name} ({size})") for i, (name, size) in
                        enumerate(zip(connectivity.names, sizes, strict=True))]])
        axis.setTextPen(ink())
        self.setRange(xRange=(0, 1), yRange=(-0.3, len(sizes) - 0.7), padding=0.02)

    def _draw_edges(self, connectivity: Connectivity, reach: list[torch.Tensor]) -> None:
        reached_x: list[np.ndarray] = []
        reached_y: list[np.ndarray] = []
        total = sum(int(mask.sum()) for mask in connectivity.masks)
        faint_x: list[np.ndarray] = []
        faint_y: list[np.ndarray] = []
        self.reached_edges = 0
        for layer, mask in enumerate(connectivity.masks):
            lower, upper = self.positions[layer], self.positions[layer + 1]
            on = mask.bool()
            live = on & reach[layer + 1].unsqueeze(1) & reach[layer].unsqueeze(0)
            rows, cols = live.nonzero(as_tuple=True)
            self.reached_edges += len(rows)
            reached_x.append(np.stack([lower[cols.numpy()], upper[rows.numpy()]], 1).ravel())
            reached_y.append(np.tile([layer, layer + 1], len(rows)).astype(float))
            if total <= ALL_EDGES:
                rows, cols = (on & ~live).nonzero(as_tuple=True)
                faint_x.append(np.stack([lower[cols.numpy()], upper[rows.numpy()]], 1).ravel())
                faint_y.append(np.tile([layer, layer + 1], len(rows)).astype(float))
        x, y = np.concatenate(reached_x), np.concatenate(reached_y)
        keep = thinned(len(x) // 2, MAX_EDGES)
        pairs = np.stack([keep * 2, keep * 2 + 1], 1).ravel()
        self.edges.setData(x[pairs], y[pairs])
        self.drawn_edges = len(keep)
        if faint_x:
            self.faint.setData(np.concatenate(faint_x), np.concatenate(faint_y))
        else:
            self.faint.setData([], [])

    def _on_click(self, _item: object, points: list[pg.SpotItem], *_: object) -> None:
        for point in points:
            if point.data() is not None and int(point.data()) >= 0:
                self.outputClicked.emit(int(point.data()))
                return


class MaskMatrices(QWidget):
    """Every mask as a 0/1 image (rows: the units it feeds, columns: the units feeding them), sorted as the graph."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.images: list[HeatImage] = []
        self.titles: list[QLabel] = []

    def set_connectivity(self, connectivity: Connectivity, reach: list[torch.Tensor]) -> None:
        sortings = unit_sorting(connectivity)
        while len(self.images) < len(connectivity.masks):
            column = len(self.images)
            title = QLabel(wordWrap=True)
            image = HeatImage(f"maskMatrix{column}")
            image.setMinimumSize(90, 90)
            self.grid.addWidget(title, 0, column)
            self.grid.addWidget(image, 1, column)
            self.titles.append(title)
            self.images.append(image)
        for index, (image, title) in enumerate(zip(self.images, self.titles, strict=False)):
            visible = index < len(connectivity.masks)
            image.setVisible(visible)
            title.setVisible(visible)
            if not visible:
                continue
            mask = connectivity.masks[index].numpy()
            rows, cols = sortings[index + 1], sortings[index]
            lit = reach[index + 1].numpy()[rows, None] & reach[index].numpy()[None, cols]
            image.set_values(mask[np.ix_(rows, cols)] * np.where(lit, 1.0, 0.45), levels=(0.0, 1.0))
            title.setText(f"{connectivity.names[index]} → {connectivity.names[index + 1]}: "
                          f"{mask.shape[0]}×{mask.shape[1]}, {int(mask.sum())} ones")
