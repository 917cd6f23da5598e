"""The comparison's figures as a table: a row per strategy, sorted by any column, best and worst marked."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from arstudio.app.text_metrics import METRICS, ComparisonRow, extremes
from arstudio.ui.text.marks import BEST, MARKS_TIP, WORST

SORT_ROLE = Qt.ItemDataRole.UserRole
MARK_ROLE = Qt.ItemDataRole.AccessibleDescriptionRole
HEADERS = ("strategy", *(m.label for m in METRICS))


class _Item(QTableWidgetItem):
    """Shows `text`, sorts by `key` (numbers as numbers; NaN first)."""

    def __init__(self, text: str, key: float | str) -> None:
        super().__init__(text)
        self.setData(SORT_ROLE, -math.inf if isinstance(key, float) and math.isnan(key) else key)
        self.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        if not isinstance(key, str):
            self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return self.data(SORT_ROLE) < other.data(SORT_ROLE)


class CompareTable(QTableWidget):
    """`compareTable`: the figures of every finished strategy (its settings and length in the name's tooltip);
    click a header to sort by it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(HEADERS), parent)
        self.setObjectName("compareTable")
        self.setHorizontalHeaderLabels(HEADERS)
        for column, metric in enumerate(METRICS, start=1):
            self.horizontalHeaderItem(column).setToolTip(f"{metric.description} {metric.better.capitalize()}. "
                                                         f"{MARKS_TIP}")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)

    def set_rows(self, rows: list[ComparisonRow]) -> None:
        """Show `rows` in their order, or sorted by the column clicked last; mark each metric's best and worst."""
        self.setSortingEnabled(False)
        self.setRowCount(len(rows))
        marks = [extremes(rows, metric) for metric in METRICS]
        for r, row in enumerate(rows):
            name = _Item(row.strategy, row.strategy)
            name.setToolTip(f"{row.config.describe()} · {row.tokens} tokens")
            self.setItem(r, 0, name)
            for column, (metric, (best, worst)) in enumerate(zip(METRICS, marks, strict=True), start=1):
                item = _Item(metric.text(row), metric.value(row))
                _mark(item, r in best, r in worst, metric.better)
                self.setItem(r, column, item)
        self.setSortingEnabled(True)

    def marked(self, column: int) -> tuple[list[str], list[str]]:
        """The strategies marked best and worst in `column` (for tests and screen readers alike)."""
        marks: dict[str, list[str]] = {"best": [], "worst": []}
        for r in range(self.rowCount()):
            mark = self.item(r, column).data(MARK_ROLE)
            if mark in marks:
                marks[mark].append(self.item(r, 0).text())
        return marks["best"], marks["worst"]


def _mark(item: QTableWidgetItem, best: bool, worst: bool, better: str) -> None:
    if not (best or worst):
        return
    item.setData(MARK_ROLE, "best" if best else "worst")
    foreground, background = BEST if best else WORST
    item.setForeground(QColor(foreground))
    item.setBackground(QColor(background))
    font = QFont(item.font())
    font.setBold(best)
    item.setFont(font)
    item.setToolTip(f"{'Best' if best else 'Worst'} of the compared strategies ({better}).")
