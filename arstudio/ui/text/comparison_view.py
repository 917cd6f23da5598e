"""The comparison below the Text panel's output: Cells | Table, the exports, and the room the cells need."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from arstudio.app.text_metrics import ComparisonRow
from arstudio.ui.text.compare_grid import CompareColumn, CompareGrid
from arstudio.ui.text.compare_table import CompareTable

KEEP_ABOVE = 150
"""What the view above keeps, at least, when the cells take room from it."""
ROOMY_LINES = 5
"""Lines of text the cells get when there is room for them."""


class ComparisonView(QWidget):
    """`grid` (the cells) or `table` (the figures, sortable), switched by the Cells and Table buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        header.addWidget(QLabel("<b>Side by side</b>"), 1)
        self.views = QButtonGroup(self)
        for index, (text, tip) in enumerate((("Cells", "Each strategy's text with its figures"),
                                             ("Table", "The figures as a table: click a column to sort by it"))):
            button = QPushButton(text, self, objectName=f"compare{text}Button", toolTip=tip, checkable=True)
            button.setChecked(index == 0)
            self.views.addButton(button, index)
            header.addWidget(button)
        header.addSpacing(8)
        self.markdown_button = QPushButton("Markdown…", self, objectName="exportMarkdownButton",
                                           toolTip="Export the comparison as a Markdown table")
        self.csv_button = QPushButton("CSV…", self, objectName="exportCsvButton",
                                      toolTip="Export the comparison as CSV")
        header.addWidget(self.markdown_button)
        header.addWidget(self.csv_button)
        self.grid = CompareGrid(self)
        self.table = CompareTable(self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.table)
        self.views.idClicked.connect(self.stack.setCurrentIndex)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)

    def show_table(self, table: bool) -> None:
        self.views.button(int(table)).setChecked(True)
        self.stack.setCurrentIndex(int(table))

    def set_row(self, column: CompareColumn, row: ComparisonRow) -> None:
        """A strategy finished: its cell and the table show it, with the marks of all finished ones."""
        self.grid.set_row(column, row)
        self.table.set_rows(self.grid.rows())

    def clear_rows(self) -> None:
        self.table.set_rows([])

    def make_room(self, splitter: QSplitter) -> None:
        """Grow in `splitter`, taking from the pane above down to KEEP_ABOVE, until every cell fits unscrolled with
        ROOMY_LINES lines of text (or as near as that leaves)."""
        index = splitter.indexOf(self)
        if index < 1:
            return
        missing = self.grid.fitting_height(ROOMY_LINES) - self.grid.height()
        sizes = splitter.sizes()
        move = min(missing, sizes[index - 1] - KEEP_ABOVE)
        if move > 0:
            sizes[index - 1] -= move
            sizes[index] += move
            splitter.setSizes(sizes)
