"""The paint canvas: an image at the model's resolution, scaled up with crisp pixels, with known pixels
painted by a brush and unknown pixels hatched."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from arstudio.data import DataSpec

UNKNOWN_BACKGROUND = QColor(70, 62, 88)
UNKNOWN_HATCH = QColor(255, 105, 180)
HIDDEN_SHADE = QColor(20, 20, 30, 170)
GRID_PEN = QColor(128, 128, 128, 60)


def to_rgb(values: np.ndarray, levels: int) -> np.ndarray:
    """[C, H, W] values 0..levels-1 -> uint8 [H, W, 3]; one channel is grey, four drop alpha."""
    pixels = np.clip(np.round(values.astype(np.float64) * (255.0 / (levels - 1))), 0, 255).astype(np.uint8)
    if pixels.shape[0] == 1:
        pixels = np.repeat(pixels, 3, axis=0)
    return np.ascontiguousarray(pixels[:3].transpose(1, 2, 0))


def to_qimage(values: np.ndarray, levels: int) -> QImage:
    rgb = to_rgb(values, levels)
    height, width = rgb.shape[:2]
    return QImage(rgb.tobytes(), width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def pixel_ranks(spec: DataSpec, order: np.ndarray) -> np.ndarray:
    """[H, W]: when each pixel is generated, as its rank among pixels in the model's order."""
    channels, height, width = spec.shape
    plane = height * width
    first = np.full(plane, len(order), dtype=np.int64)
    np.minimum.at(first, order % plane, np.arange(len(order)))
    return np.argsort(np.argsort(first, kind="stable"), kind="stable").reshape(height, width)


def image_rect(widget_size: QSize, height: int, width: int) -> QRect:
    """The largest whole-number scaling of a height x width image, centred in the widget."""
    scale = max(1, min(widget_size.width() // width, widget_size.height() // height))
    w, h = width * scale, height * scale
    return QRect((widget_size.width() - w) // 2, (widget_size.height() - h) // 2, w, h)


def draw_pixels(painter: QPainter, rect: QRect, values: np.ndarray, levels: int, unknown: np.ndarray | None) -> None:
    """Draw values [C, H, W] into rect with crisp pixels; pixels where `unknown` [H, W] is set are hatched."""
    height, width = values.shape[1:]
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    painter.drawImage(rect, to_qimage(values, levels))
    if unknown is None or not unknown.any():
        return
    cell_w, cell_h = rect.width() / width, rect.height() / height
    hatch = QBrush(UNKNOWN_HATCH, Qt.BrushStyle.BDiagPattern if cell_w >= 6 else Qt.BrushStyle.Dense5Pattern)
    painter.setPen(Qt.PenStyle.NoPen)
    for row, col in zip(*np.nonzero(unknown), strict=True):
        cell = QRectF(rect.left() + col * cell_w, rect.top() + row * cell_h, cell_w, cell_h)
        painter.fillRect(cell, UNKNOWN_BACKGROUND)
        painter.fillRect(cell, hatch)


def draw_outline(painter: QPainter, rect: QRect, region: np.ndarray, color: QColor) -> None:
    """Trace the border of `region` [H, W] (e.g. the pixels a completion filled) with thin lines."""
    height, width = region.shape
    cell_w, cell_h = rect.width() / width, rect.height() / height
    padded = np.pad(region, 1)
    painter.setPen(QPen(color, 2))
    for row, col in zip(*np.nonzero(region), strict=True):
        x0, y0 = rect.left() + col * cell_w, rect.top() + row * cell_h
        x1, y1 = x0 + cell_w, y0 + cell_h
        if not padded[row, col + 1] and row > 0:
            painter.drawLine(QPointF(x0, y0), QPointF(x1, y0))
        if not padded[row + 2, col + 1] and row < height - 1:
            painter.drawLine(QPointF(x0, y1), QPointF(x1, y1))
        if not padded[row + 1, col] and col > 0:
            painter.drawLine(QPointF(x0, y0), QPointF(x0, y1))
        if not padded[row + 1, col + 2] and col < width - 1:
            painter.drawLine(QPointF(x1, y0), QPointF(x1, y1))


class PaintCanvas(QWidget):
    """Known pixels are painted with the brush (left button); the eraser (or right button) makes pixels
    unknown; Ctrl+click picks a pixel's value. Hovering a pixel shades the pixels the model cannot see
    when it generates that pixel."""

    changed = Signal()
    hovered = Signal(int, int)
    picked = Signal(object)
    """Ctrl+click: the values [C] of a pixel, for the brush (an eyedropper)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paintCanvas")
        self.setMouseTracking(True)
        self.setMinimumSize(200, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.spec: DataSpec | None = None
        self.values = np.zeros((1, 8, 8), dtype=np.int64)
        self.known = np.zeros((8, 8), dtype=bool)
        self.ranks: np.ndarray | None = None
        self.brush_value = np.zeros(1, dtype=np.int64)
        self.brush_size = 1
        self.erasing = False
        self.show_context = True
        self._hover: tuple[int, int] | None = None
        self._stroke_erases = False

    # State.
    def set_spec(self, spec: DataSpec, order: np.ndarray) -> None:
        """Start a blank (all unknown) image for a model of this spec and chain-rule order."""
        channels, height, width = spec.shape
        self.spec = spec
        self.values = np.zeros((channels, height, width), dtype=np.int64)
        self.known = np.zeros((height, width), dtype=bool)
        self.ranks = pixel_ranks(spec, order)
        self.brush_value = np.full(channels, spec.levels - 1, dtype=np.int64)
        self.updateGeometry()
        self._changed()

    def set_image(self, values: np.ndarray, known: np.ndarray | None = None) -> None:
        """Show values [C, H, W]; every pixel is known unless a mask [H, W] says otherwise."""
        values = np.asarray(values, dtype=np.int64)
        if values.shape != self.values.shape:
            raise ValueError(f"expected an image of shape {self.values.shape}, got {values.shape}")
        self.values = values.copy()
        self.known = np.ones(self.known.shape, dtype=bool) if known is None else np.asarray(known, dtype=bool).copy()
        self._changed()

    def set_known(self, known: np.ndarray) -> None:
        self.known = np.asarray(known, dtype=bool).copy()
        self._changed()

    def known_mask(self) -> np.ndarray:
        """[C, H, W] bool: the known mask repeated over the channels, as generate() takes it."""
        return np.broadcast_to(self.known, self.values.shape).copy()

    def set_brush(self, value: np.ndarray | int | None = None, size: int | None = None,
                  erasing: bool | None = None) -> None:
        if value is not None:
            levels = self.spec.levels if self.spec is not None else 2
            value = np.broadcast_to(np.asarray(value, dtype=np.int64), (self.values.shape[0],))
            self.brush_value = np.clip(value, 0, levels - 1).copy()
        if size is not None:
            self.brush_size = max(1, int(size))
        if erasing is not None:
            self.erasing = bool(erasing)

    # Painting.
    def paint_at(self, row: int, col: int, erase: bool | None = None) -> None:
        """Apply the brush (or the eraser) centred on a pixel."""
        erase = self.erasing if erase is None else erase
        height, width = self.known.shape
        half = self.brush_size // 2
        top, left = max(0, row - half), max(0, col - half)
        bottom, right = min(height, row - half + self.brush_size), min(width, col - half + self.brush_size)
        if top >= bottom or left >= right:
            return
        if erase:
            self.known[top:bottom, left:right] = False
        else:
            self.values[:, top:bottom, left:right] = self.brush_value[:, None, None]
            self.known[top:bottom, left:right] = True
        self._changed()

    def pixel_at(self, point: QPoint) -> tuple[int, int] | None:
        height, width = self.known.shape
        rect = image_rect(self.size(), height, width)
        if not rect.contains(point):
            return None
        return (point.y() - rect.top()) * height // rect.height(), (point.x() - rect.left()) * width // rect.width()

    def widget_point(self, row: int, col: int) -> QPoint:
        """The centre of a pixel in widget coordinates (tests click there)."""
        height, width = self.known.shape
        rect = image_rect(self.size(), height, width)
        return QPoint(rect.left() + (2 * col + 1) * rect.width() // (2 * width),
                      rect.top() + (2 * row + 1) * rect.height() // (2 * height))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            pixel = self.pixel_at(event.position().toPoint())
            if pixel is not None:
                self.picked.emit(self.values[:, pixel[0], pixel[1]].copy())
            return
        self._stroke_erases = self.erasing or event.button() == Qt.MouseButton.RightButton
        self._stroke(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        pixel = self.pixel_at(event.position().toPoint())
        if pixel != self._hover:
            self._hover = pixel
            if pixel is not None:
                self.hovered.emit(*pixel)
            self.update()
        painting = event.buttons() & (Qt.MouseButton.LeftButton | Qt.MouseButton.RightButton)
        if painting and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._stroke(event)

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._hover = None
        self.update()
        super().leaveEvent(event)

    def _stroke(self, event: QMouseEvent) -> None:
        pixel = self.pixel_at(event.position().toPoint())
        if pixel is not None:
            self.paint_at(*pixel, erase=self._stroke_erases)

    def _changed(self) -> None:
        self.update()
        self.changed.emit()

    # Drawing.
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(360, 360)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        height, width = self.known.shape
        rect = image_rect(self.size(), height, width)
        levels = self.spec.levels if self.spec is not None else 2
        draw_pixels(painter, rect, self.values, levels, ~self.known)
        cell = rect.width() // width
        if cell >= 10:
            painter.setPen(QPen(GRID_PEN, 1))
            for i in range(1, width):
                painter.drawLine(rect.left() + i * cell, rect.top(), rect.left() + i * cell, rect.bottom())
            for i in range(1, height):
                painter.drawLine(rect.left(), rect.top() + i * cell, rect.right(), rect.top() + i * cell)
        if self._hover is not None and self.show_context and self.ranks is not None:
            self._draw_context(painter, rect, *self._hover)
        painter.setPen(QPen(self.palette().mid().color(), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect.adjusted(0, 0, -1, -1))

    def _draw_context(self, painter: QPainter, rect: QRect, row: int, col: int) -> None:
        """Shade the pixels generated at or after the hovered one: the model cannot see them there."""
        height, width = self.known.shape
        cell_w, cell_h = rect.width() / width, rect.height() / height
        hidden = self.ranks >= self.ranks[row, col]
        painter.setPen(Qt.PenStyle.NoPen)
        for r, c in zip(*np.nonzero(hidden), strict=True):
            painter.fillRect(QRectF(rect.left() + c * cell_w, rect.top() + r * cell_h, cell_w, cell_h), HIDDEN_SHADE)
        painter.setPen(QPen(QColor(255, 215, 0), 2))
        painter.drawRect(QRectF(rect.left() + col * cell_w, rect.top() + row * cell_h, cell_w, cell_h))
