"""The Images exploration panel (being built)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from arstudio.ui.model_source import LoadedModel


class ImagePanel(QWidget):
    errorRaised = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imagePanel")
        self.loaded: LoadedModel | None = None
        QVBoxLayout(self).addWidget(QLabel("Open a run to explore it here."))

    def set_model(self, loaded: LoadedModel | None) -> None:
        self.loaded = loaded
