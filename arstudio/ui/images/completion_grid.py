"""A grid of completions: each image filled in as it is generated, its log-likelihood below it."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from arstudio.ui.images.paint_canvas import draw_outline, draw_pixels, image_rect

FILLED_OUTLINE = QColor(255, 140, 0, 200)


class PixelView(QWidget):
    """An image drawn with crisp pixels; `unknown` pixels are hatched. Clicking emits clicked()."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: np.ndarray | None = None
        self.unknown: np.ndarray | None = None
        self.outline: np.ndarray | None = None
        self.levels = 2
        self.selected = False
        self.setMinimumSize(40, 40)

    def set_image(self, values: np.ndarray, unknown: np.ndarray | None, levels: int,
                  outline: np.ndarray | None = None) -> None:
        self.values, self.unknown, self.levels, self.outline = values, unknown, levels, outline
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(120, 120)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self.clicked.emit()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        if self.values is None:
            return
        painter = QPainter(self)
        height, width = self.values.shape[1:]
        rect = image_rect(self.size().shrunkBy(self.contentsMargins()) - QSize(4, 4), height, width).translated(2, 2)
        draw_pixels(painter, rect, self.values, self.levels, self.unknown)
        if self.outline is not None:
            draw_outline(painter, rect, self.outline, FILLED_OUTLINE)
        if self.selected:
            painter.setPen(QPen(self.palette().highlight().color(), 3))
            painter.drawRect(rect.adjusted(-2, -2, 1, 1))


class CompletionCell(QFrame):
    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("completionCell")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.index = index
        self.view = PixelView(self)
        self.label = QLabel(f"#{index + 1}", self, objectName="completionLikelihood")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        layout.addWidget(self.view, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.label)


class CompletionGrid(QWidget):
    """N completions in a near-square grid; click one to select it (for export)."""

    selectionChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("completionGrid")
        self.cells: list[CompletionCell] = []
        self.selected = 0
        self.levels = 2
        self.columns = 1
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(150, 150)
        self.grid = QGridLayout(self)
        self.grid.setSpacing(4)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.placeholder = QLabel("Completions appear here.", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: palette(mid);")
        self.grid.addWidget(self.placeholder, 0, 0)

    def reset(self, count: int, levels: int) -> None:
        """Make `count` empty cells."""
        for cell in self.cells:
            cell.deleteLater()
        self.placeholder.setVisible(count == 0)
        self.levels = levels
        self.cells = [CompletionCell(i, self) for i in range(count)]
        self.columns = math.ceil(math.sqrt(count)) if count else 1
        for cell in self.cells:
            self.grid.addWidget(cell, cell.index // self.columns, cell.index % self.columns)
            cell.view.clicked.connect(lambda cell=cell: self.select(cell.index))
        self._fit_cells()
        self.select(0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_cells()

    def _fit_cells(self) -> None:
        """Square images as large as the grid allows, so rows sit together without gaps."""
        if not self.cells:
            return
        rows = math.ceil(len(self.cells) / self.columns)
        label = self.cells[0].label.sizeHint().height() + 12
        side = min((self.width() - 12) // self.columns - 8, (self.height() - 12) // rows - label)
        for cell in self.cells:
            cell.view.setFixedSize(max(40, side), max(40, side))

    def show_images(self, samples: np.ndarray, unknown: np.ndarray, outline: np.ndarray | None = None) -> None:
        """samples [n, C, H, W] in the first n cells; `unknown` [H, W] or [n, H, W] pixels are hatched and
        the `outline` [H, W] region is traced."""
        for i in range(min(len(samples), len(self.cells))):
            mask = unknown if unknown.ndim == 2 else unknown[i]
            self.cells[i].view.set_image(samples[i], mask, self.levels, outline)

    def set_labels(self, texts: list[str], tooltips: list[str] | None = None) -> None:
        for i, (cell, text) in enumerate(zip(self.cells, texts, strict=False)):
            cell.label.setText(text)
            cell.label.setToolTip(tooltips[i] if tooltips else "")

    def labels(self) -> list[str]:
        return [cell.label.text() for cell in self.cells]

    def select(self, index: int) -> None:
        if not self.cells:
            return
        self.selected = max(0, min(index, len(self.cells) - 1))
        for cell in self.cells:
            cell.view.selected = cell.index == self.selected
            cell.view.update()
        self.selectionChanged.emit(self.selected)
