"""Strategies side by side: one column per strategy with its text and metrics, scrolling sideways."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from arstudio.app.text_metrics import ComparisonRow
from arstudio.ui.text.view import TokenTextView

COLUMN_WIDTH = 210


class CompareColumn(QFrame):
    """A strategy's name and settings, its continuation (shaded, clickable) and its metrics."""

    def __init__(self, name: str, settings: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareColumn")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(COLUMN_WIDTH)
        self.name = name
        self.row: ComparisonRow | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(3)
        self.title = QLabel(f"<b>{html.escape(name)}</b>", self)
        self.settings = QLabel(settings, self)
        self.settings.setStyleSheet("color: palette(mid);")
        self.settings.setWordWrap(True)
        self.settings.setVisible(settings != name)
        self.view = TokenTextView(self)
        self.metrics = QLabel("waiting…", self, objectName="compareMetrics")
        self.metrics.setWordWrap(True)
        self.metrics.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)
        layout.addWidget(self.settings)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.metrics)

    def set_running(self) -> None:
        self.metrics.setText("generating…")

    def set_row(self, row: ComparisonRow) -> None:
        self.row = row
        self.metrics.setText(row.summary())

    def set_failed(self, message: str) -> None:
        self.metrics.setText(f"failed: {message}")


class CompareGrid(QScrollArea):
    """`compareGrid`: columns are strategies. Emits branchRequested(list[int]) from any column."""

    branchRequested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareGrid")
        self.setWidgetResizable(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.columns: list[CompareColumn] = []
        self._inner = QWidget(self)
        self._layout = QHBoxLayout(self._inner)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._placeholder = QLabel("Tick strategies and press Compare to see them side by side, "
                                   "with the same prompt and seed.", self._inner)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._layout.addWidget(self._placeholder)
        self.setWidget(self._inner)

    def set_strategies(self, strategies: list[tuple[str, str]]) -> list[CompareColumn]:
        """One empty column per (name, settings)."""
        self.clear()
        self._placeholder.hide()
        for name, settings in strategies:
            column = CompareColumn(name, settings, self._inner)
            column.view.branchRequested.connect(self.branchRequested)
            self._layout.addWidget(column, 1)
            self.columns.append(column)
        return self.columns

    def clear(self) -> None:
        for column in self.columns:
            self._layout.removeWidget(column)
            column.deleteLater()
        self.columns = []
        self._placeholder.show()

    def rows(self) -> list[ComparisonRow]:
        """The finished columns' results, left to right."""
        return [c.row for c in self.columns if c.row is not None]
