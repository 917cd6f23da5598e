"""The live table of a sweep's runs: one row each, filled in as they train and finish."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from arstudio.training.sweeps import SCALING, SweepRow
from arstudio.training.sweeps.cells import count, number, scientific

COLUMNS = ("Run", "Label", "Status", "Steps", "Params", "Compute (FLOPs)", "Test NLL", "Bits/dim")
COMPUTE_COLUMN = COLUMNS.index("Compute (FLOPs)")


class SweepTable(QTableWidget):
    """objectName sweepTable; one row per run in the order they were queued, numbers right-aligned."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("sweepTable")
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)

    def set_rows(self, rows: list[SweepRow], kind: str) -> None:
        self.setColumnHidden(COMPUTE_COLUMN, kind != SCALING)
        self.setRowCount(len(rows))
        for index, row in enumerate(rows):
            cells = (row.run_id, row.label, row.status, f"{row.steps}/{row.total_steps}", count(row.params),
                     scientific(row.compute), number(row.test_nll), number(row.test_bpd))
            for column, value in enumerate(cells):
                item = QTableWidgetItem(str(value))
                if column != 1 and column != 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(index, column, item)

    def cell_text(self, row: int, column: str) -> str:
        item = self.item(row, COLUMNS.index(column))
        return item.text() if item is not None else ""
