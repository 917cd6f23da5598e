"""A glance at what the model draws while it trains: an image grid, a waveform, or text."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PIL.ImageQt import ImageQt
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QStackedWidget, QVBoxLayout, QWidget

from arstudio.data import DataSpec
from arstudio.data.export import image_grid, waveform
from arstudio.data.text_codec import decode_text
from arstudio.ui.common.plot_style import follow_palette


class SamplePreview(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Samples appear here at every validation.", objectName="previewTitle")
        self.image = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.wave = pg.PlotWidget()
        follow_palette(self.wave)
        self.wave.setClipToView(True)
        self.wave.setDownsampling(auto=True, mode="peak")
        self.wave.setMouseEnabled(x=True, y=False)
        self.text = QPlainTextEdit(readOnly=True)
        self.stack = QStackedWidget()
        for widget in (self.image, self.wave, self.text):
            self.stack.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.stack, 1)

    def show_samples(self, samples, spec: DataSpec, step: int, complete: bool) -> None:
        array = samples.numpy()
        note = "" if complete else " (partial: the model is slow to sample)"
        self.title.setText(f"Samples at step {step}{note}")
        if spec.kind in ("binary", "image"):
            picture = image_grid(array, spec, scale=max(1, 280 // (spec.shape[-1] * 4 + 5)))
            self.image.setPixmap(QPixmap.fromImage(ImageQt(picture.convert("RGB"))))
            self.stack.setCurrentWidget(self.image)
        elif spec.kind == "audio":
            clip = waveform(array[0], spec.levels)
            self.wave.clear()
            self.wave.plot(np.arange(len(clip)) / spec.sample_rate, clip, pen=pg.mkPen("#1f77b4"))
            self.stack.setCurrentWidget(self.wave)
        else:
            self.text.setPlainText(decode_text(array[0], spec))
            self.stack.setCurrentWidget(self.text)
