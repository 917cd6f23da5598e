"""Strategies at a glance: one cell per strategy with its text and figures, wrapping into as many columns as fit."""

from __future__ import annotations

import html
import math

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFontMetrics, QTextOption
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from arstudio.app.text_metrics import METRICS, ComparisonRow, extremes
from arstudio.ui.text.marks import BEST, MARKS_TIP, WORST, chip
from arstudio.ui.text.view import TokenTextView

CELL_WIDTH = 180
"""The narrowest a cell is laid out: the grid puts as many cells side by side as fit at this width."""
TEXT_LINES = 3
"""Lines of text a cell shows at least."""
METRIC_LINES = 3
SPACING = 6


class CompareColumn(QFrame):
    """A strategy's cell: its name (and settings when they differ), its continuation (shaded, clickable) and its
    figures, the best and worst among the compared strategies marked."""

    def __init__(self, name: str, settings: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareColumn")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.name = name
        self.row: ComparisonRow | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 3, 4, 3)
        layout.setSpacing(2)
        self.title = QLabel(f"<b>{html.escape(name)}</b>", self, toolTip=settings)
        self.settings = QLabel(settings, self)
        self.settings.setStyleSheet("color: palette(mid);")
        self.settings.setWordWrap(True)
        self.settings.setVisible(settings != name)
        self.view = TokenTextView(self)
        self.view.setMinimumHeight(TEXT_LINES * self.view.fontMetrics().lineSpacing() + 2 * self.view.frameWidth() + 8)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.view.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.metrics = QLabel("waiting…", self, objectName="compareMetrics", toolTip=MARKS_TIP)
        self.metrics.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.metrics.font()
        font.setPointSizeF(font.pointSizeF() - 1)
        self.metrics.setFont(font)
        self.metrics.setMinimumHeight(METRIC_LINES * QFontMetrics(font).lineSpacing())
        layout.addWidget(self.title)
        layout.addWidget(self.settings)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.metrics)

    def set_running(self) -> None:
        self.metrics.setText("generating…")

    def set_row(self, row: ComparisonRow, best: frozenset[str] = frozenset(), worst: frozenset[str] = frozenset()
                ) -> None:
        """Show `row`'s figures; those whose keys are in `best` or `worst` are marked so."""
        self.row = row
        m = {metric.key: _mark(f"{metric.short} {metric.text(row)}", metric.key in best, metric.key in worst)
             for metric in METRICS}
        pad = "<td style='padding-left:6px'>"
        self.metrics.setText("<table cellspacing='0' cellpadding='0'>"
                             f"<tr><td colspan='2'>{m['mean_log_likelihood']} · {m['perplexity']}</td></tr>"
                             f"<tr><td>{m['distinct_1']}</td>{pad}{m['distinct_2']}</td></tr>"
                             f"<tr><td>{m['repetition']}</td>{pad}{row.tokens} tokens</td></tr></table>")

    def set_failed(self, message: str) -> None:
        self.metrics.setText(f"failed: {html.escape(message)}")


class CompareGrid(QScrollArea):
    """`compareGrid`: a cell per strategy, wrapped into rows so that all are in view without scrolling sideways.
    Emits branchRequested(list[int]) from any cell."""

    branchRequested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareGrid")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.columns: list[CompareColumn] = []
        self.per_row = 1
        self._inner = QWidget(self)
        self._layout = QGridLayout(self._inner)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(SPACING)
        self._placeholder = QLabel("Tick strategies and press Compare to see them side by side, "
                                   "with the same prompt and seed.", self._inner)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._layout.addWidget(self._placeholder, 0, 0)
        self.setWidget(self._inner)

    def set_strategies(self, strategies: list[tuple[str, str]]) -> list[CompareColumn]:
        """One empty cell per (name, settings)."""
        self.clear()
        self._placeholder.hide()
        for name, settings in strategies:
            column = CompareColumn(name, settings, self._inner)
            column.view.branchRequested.connect(self.branchRequested)
            self.columns.append(column)
        self._reflow(force=True)
        return self.columns

    def set_row(self, column: CompareColumn, row: ComparisonRow) -> None:
        """`column`'s strategy finished with `row`: show it and mark the best and worst figures of all cells anew."""
        column.row = row
        finished = [c for c in self.columns if c.row is not None]
        marks = [extremes([c.row for c in finished], metric) for metric in METRICS]
        for i, cell in enumerate(finished):
            cell.set_row(cell.row, frozenset(m.key for m, (best, _) in zip(METRICS, marks, strict=True) if i in best),
                         frozenset(m.key for m, (_, worst) in zip(METRICS, marks, strict=True) if i in worst))

    def clear(self) -> None:
        for column in self.columns:
            self._layout.removeWidget(column)
            column.deleteLater()
        self.columns = []
        self._placeholder.show()

    def rows(self) -> list[ComparisonRow]:
        """The finished cells' results, in the order the strategies were given."""
        return [c.row for c in self.columns if c.row is not None]

    def fitting_height(self, lines: int = TEXT_LINES) -> int:
        """The height that shows every cell, with `lines` lines of its text, without scrolling at the current width."""
        if not self.columns:
            return 0
        rows = math.ceil(len(self.columns) / self._per_row_at(self.viewport().width()))
        extra = (lines - TEXT_LINES) * self.columns[0].view.fontMetrics().lineSpacing()
        cell = max(c.minimumSizeHint().height() for c in self.columns) + max(extra, 0)
        return rows * cell + (rows - 1) * SPACING + 2 * self.frameWidth()

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Resize:
            self._reflow()
        return super().viewportEvent(event)

    def _per_row_at(self, width: int) -> int:
        """As many cells as fit at CELL_WIDTH, then evened out over the rows (7 in 3 columns: 3, 3, 1; in 4: 4, 3)."""
        count = max(len(self.columns), 1)
        fit = max(1, min(count, (width + SPACING) // (CELL_WIDTH + SPACING)))
        return math.ceil(count / math.ceil(count / fit))

    def _reflow(self, force: bool = False) -> None:
        # The scroll bar's width is counted as room, so that it showing or hiding never changes the columns.
        width = self.viewport().width() + (self.verticalScrollBar().width() if self.verticalScrollBar().isVisible()
                                           else 0)
        per_row = self._per_row_at(width)
        if per_row == self.per_row and not force:
            return
        self.per_row = per_row
        for column in self.columns:
            self._layout.removeWidget(column)
        rows = math.ceil(len(self.columns) / per_row)
        for i in range(max(self._layout.columnCount(), per_row)):
            self._layout.setColumnStretch(i, 1 if i < per_row else 0)
        for i in range(max(self._layout.rowCount(), rows)):
            self._layout.setRowStretch(i, 1 if i < rows else 0)
        for i, column in enumerate(self.columns):
            self._layout.addWidget(column, i // per_row, i % per_row)


def _mark(text: str, best: bool, worst: bool) -> str:
    if not (best or worst):
        return html.escape(text)
    return chip(text, BEST if best else WORST)
