"""The right side of the Images panel: the completions grid with its buttons, and the strategy comparison."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from arstudio.ui.images.compare_view import CompareView
from arstudio.ui.images.completion_grid import CompletionGrid


class ResultsPane(QTabWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageResultTabs")
        self.grid = CompletionGrid()
        self.summary = QLabel(objectName="completionSummary", wordWrap=True)
        self.save_one = QPushButton("Save selected…", objectName="exportCompletionButton", enabled=False)
        self.save_grid = QPushButton("Save grid…", objectName="exportGridButton", enabled=False)
        self.edit_one = QPushButton("Paint on selected", objectName="editCompletionButton", enabled=False)
        self.edit_one.setToolTip("Copy the selected completion onto the canvas to keep painting from it")
        self.compare = CompareView()
        completions = QWidget()
        layout = QVBoxLayout(completions)
        layout.addWidget(QLabel("Each completion with its log-likelihood log p(image); click one to select it.",
                                wordWrap=True))
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.summary)
        buttons = QGridLayout()
        buttons.addWidget(self.edit_one, 0, 0, 1, 2)
        buttons.addWidget(self.save_one, 1, 0)
        buttons.addWidget(self.save_grid, 1, 1)
        layout.addLayout(buttons)
        self.addTab(completions, "Completions")
        self.addTab(self.compare, "Strategies")

    def set_done(self, done: bool) -> None:
        for button in (self.save_one, self.save_grid, self.edit_one):
            button.setEnabled(done)
