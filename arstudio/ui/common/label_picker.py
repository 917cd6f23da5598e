"""'Generate as': the class a conditional model generates (the digit to complete as, the voice to speak in).

One combo box per label set of the model's data; hidden, and `labels()` None, for an unconditional model.
"""

from __future__ import annotations

import torch
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

from arstudio.data.labels import describe_labels
from arstudio.models.base import ARModel


class LabelPicker(QWidget):
    """A form row per label set: `labelCombo_<name>` (e.g. labelCombo_digit, labelCombo_voice)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="labelPicker")
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.combos: dict[str, QComboBox] = {}
        self.model: ARModel | None = None
        self.setVisible(False)

    def set_model(self, model: ARModel | None) -> None:
        """Offer the classes of a conditional model's labels; hide for any other."""
        while self.form.rowCount():
            self.form.removeRow(0)
        self.combos = {}
        self.model = model if model is not None and model.conditional else None
        if self.model is None:
            self.setVisible(False)
            return
        for label_set in self.model.spec.labels:
            combo = QComboBox(self, objectName=f"labelCombo_{label_set.name}")
            combo.addItems(list(label_set.classes))
            combo.setToolTip(f"The {label_set.name} the model generates as: it learned p(x | {label_set.name}) "
                             "from the labelled training data.")
            self.combos[label_set.name] = combo
            self.form.addRow(QLabel(f"As {label_set.name}"), combo)
        self.setVisible(True)

    def select(self, name: str, value: str | int) -> None:
        """Choose a class by name or index (as a person would in the combo box)."""
        combo = self.combos[name]
        index = combo.findText(str(value)) if isinstance(value, str) else value
        combo.setCurrentIndex(index)

    def labels(self) -> torch.Tensor | None:
        """LongTensor[F]: the chosen class of each label set, or None for an unconditional model."""
        if self.model is None:
            return None
        return torch.tensor([combo.currentIndex() for combo in self.combos.values()])

    def describe(self) -> str:
        """'as digit 3, voice en+f2' for summaries, '' for an unconditional model."""
        labels = self.labels()
        if labels is None or self.model is None:
            return ""
        return "as " + describe_labels(self.model.spec.labels, labels.tolist())
