"""The paint canvas with the words around it: which model, and which pixels it can see."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from arstudio.app.image_visibility import lookahead_text, order_text
from arstudio.app.model_source import LoadedModel
from arstudio.ui.images.paint_canvas import PaintCanvas


class CanvasPane(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = PaintCanvas(self)
        self.title = QLabel(self, objectName="imageModelTitle", wordWrap=True)
        self.hover_label = QLabel(" ", self, objectName="hoverLabel", wordWrap=True)
        self.hover_label.setMinimumHeight(2 * self.hover_label.fontMetrics().lineSpacing() + 4)
        self.order_label = QLabel(self, objectName="visibilityLabel", wordWrap=True)
        self.lookahead_label = QLabel(self, objectName="lookaheadLabel", wordWrap=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget, stretch in ((self.title, 0), (self.canvas, 1), (self.hover_label, 0), (self.order_label, 0),
                                (self.lookahead_label, 0)):
            layout.addWidget(widget, stretch)
        self.canvas.changed.connect(self._canvas_changed)
        self.canvas.hovered.connect(self._hovered)

    def set_model(self, loaded: LoadedModel, order: np.ndarray) -> None:
        spec = loaded.spec
        channels, height, width = spec.shape
        self.title.setText(f"<b>{loaded.name}</b> — {loaded.family}, {height}×{width}, {channels} "
                           f"channel{'s' if channels > 1 else ''}, {spec.levels} levels")
        self.order_label.setText(order_text(loaded.family, spec, order))
        self.hover_label.setText(" ")
        self.canvas.set_spec(spec, order)

    def _canvas_changed(self) -> None:
        if self.canvas.ranks is not None:
            self.lookahead_label.setText(lookahead_text(self.canvas.ranks, self.canvas.known))

    def _hovered(self, row: int, col: int) -> None:
        ranks = self.canvas.ranks
        if ranks is None:
            return
        rank = int(ranks[row, col])
        state = "painted" if self.canvas.known[row, col] else "unknown"
        self.hover_label.setText(f"Row {row}, column {col} ({state}) is pixel {rank + 1} of {ranks.size} in the "
                                 f"model's order: it sees the {rank} pixels before it.")
