"""How the Images panel fills unknown pixels: the shared strategy form, how many completions, and the
complete and cancel buttons with the progress bar."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget

from arstudio.sampling import SamplerConfig
from arstudio.ui.common.label_picker import LabelPicker
from arstudio.ui.common.strategy_form import StrategyForm

SEED_HELP = "The same seed gives the same completions"


class CompletionControls(QGroupBox):
    """The knobs of a completion, the complete and cancel buttons and the progress bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Complete", parent)
        self.form = StrategyForm("image", SEED_HELP, parent=self)
        self.seed_spin = self.form.seed
        self.count_spin = QSpinBox(self, objectName="completionCountSpin", minimum=1, maximum=16, value=4)
        self.complete_button = QPushButton("Complete", self, objectName="completeButton")
        self.complete_button.setToolTip("Fill the unknown pixels (Ctrl+Enter)")
        self.cancel_button = QPushButton("Cancel", self, objectName="cancelCompletionButton", enabled=False)
        self.progress = QProgressBar(self, objectName="completionProgress", textVisible=True)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        buttons = QHBoxLayout()
        buttons.addWidget(self.complete_button, 1)
        buttons.addWidget(self.cancel_button)
        self.labels = LabelPicker(self)
        self.form.form.addRow(self.labels)
        self.form.form.addRow("Completions", self.count_spin)
        self.form.form.addRow(buttons)
        self.form.form.addRow(self.progress)
        QVBoxLayout(self).addWidget(self.form)

    def select(self, name: str, value: float | None = None) -> None:
        self.form.select(name, value)

    def set_levels(self, levels: int) -> None:
        self.form.set_levels(levels)

    def config(self) -> SamplerConfig:
        return self.form.config()

    def set_running(self, running: bool) -> None:
        self.complete_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
