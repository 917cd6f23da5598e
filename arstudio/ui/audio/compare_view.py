"""Strategies side by side on one audio prompt: the same primer, length and seed through each ticked preset,
a playable clip per strategy with a small waveform and its mean log-likelihood per generated sample."""

from __future__ import annotations

import html
import math

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from arstudio.app.presets import Preset, builtin_presets
from arstudio.sampling import GenerationResult
from arstudio.ui.audio.views import GENERATED_COLOR, PRIMER_COLOR
from arstudio.ui.common.sampler_controls import PresetList


def mean_log_likelihood(result: GenerationResult, start: int, stop: int) -> float:
    """The mean log-probability in nats of the first clip's samples start..stop (the generated part)."""
    part = result.log_probs[0, start:stop]
    return float(part.double().mean()) if part.numel() else math.nan


class MiniWaveform(QWidget):
    """A small peak envelope of a clip in [-1, 1]: the primer in grey, the generated part in blue."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audioCompareWaveform")
        self.setFixedHeight(44)
        self.setMinimumWidth(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.clip: np.ndarray | None = None
        self.primer_length = 0

    def set_clip(self, clip: np.ndarray | None, primer_length: int = 0) -> None:
        self.clip, self.primer_length = clip, primer_length
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        painter.setPen(QPen(QColor("#d0d0d0")))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        middle, half = self.height() / 2, self.height() / 2 - 2
        painter.drawLine(QPointF(1, middle), QPointF(self.width() - 1, middle))
        if self.clip is None or not len(self.clip):
            painter.end()
            return
        columns = self.width() - 2
        edges = np.linspace(0, len(self.clip), columns + 1).astype(int)
        for x in range(columns):
            a, b = edges[x], max(edges[x + 1], edges[x] + 1)
            if a >= len(self.clip):
                break
            part = self.clip[a:b]
            painter.setPen(QPen(QColor(PRIMER_COLOR if a < self.primer_length else GENERATED_COLOR)))
            painter.drawLine(QPointF(x + 1, middle - half * float(part.max())),
                             QPointF(x + 1, middle - half * float(part.min())))
        painter.end()


class AudioCompareView(QWidget):
    """The preset list (tick the strategies to compare), the compare button, and a row per strategy:
    name, small waveform, mean log-likelihood per generated sample, and a Play button."""

    playRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = PresetList(self)
        self.list.setObjectName("audioComparePresets")
        self.list.set_presets(builtin_presets())
        self.list.setMaximumHeight(110)
        self.compare_button = QPushButton("Compare strategies", self, objectName="audioCompareButton")
        self.compare_button.setToolTip("Generate with every ticked strategy: same primer, length and seed")
        self.cancel_button = QPushButton("Cancel", self, objectName="audioCompareCancelButton", enabled=False)
        self.status = QLabel("", self, objectName="audioCompareStatus", wordWrap=True)
        buttons = QVBoxLayout()
        buttons.addWidget(self.compare_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.status)
        buttons.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.list, 1)
        top.addLayout(buttons)
        self.rows_widget = QWidget(objectName="audioCompareGrid")
        self.rows = QGridLayout(self.rows_widget)
        self.rows.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.rows.setHorizontalSpacing(12)
        self.rows.setColumnStretch(1, 1)
        scroll = QScrollArea(self)
        scroll.setWidget(self.rows_widget)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        self.names: list[QLabel] = []
        self.waveforms: list[MiniWaveform] = []
        self.metrics: list[QLabel] = []
        self.play_buttons: list[QPushButton] = []
        self.clips: list[np.ndarray | None] = []
        self.nats: list[float] = []

    def chosen(self) -> list[Preset]:
        return self.list.checked()

    def reset(self, presets: list[Preset]) -> None:
        """An empty row per preset, filled by show_row as each clip finishes."""
        while self.rows.count():
            self.rows.takeAt(0).widget().deleteLater()
        self.names, self.waveforms, self.metrics, self.play_buttons = [], [], [], []
        self.clips, self.nats = [None] * len(presets), [math.nan] * len(presets)
        for row, preset in enumerate(presets):
            settings = preset.config.describe()
            extra = f"<br><small>{html.escape(settings)}</small>" if settings != preset.name else ""
            name = QLabel(f"<b>{html.escape(preset.name)}</b>{extra}", self.rows_widget)
            name.setMinimumWidth(100)
            wave = MiniWaveform(self.rows_widget)
            metrics = QLabel("waiting…", self.rows_widget, objectName="audioCompareMetrics")
            metrics.setMinimumWidth(120)
            play = QPushButton("Play", self.rows_widget, objectName="audioComparePlayButton", enabled=False)
            play.clicked.connect(lambda _=False, r=row: self.playRequested.emit(r))
            for column, widget in enumerate((name, wave, metrics, play)):
                self.rows.addWidget(widget, row, column, Qt.AlignmentFlag.AlignVCenter)
            self.names.append(name)
            self.waveforms.append(wave)
            self.metrics.append(metrics)
            self.play_buttons.append(play)

    def show_row(self, row: int, clip: np.ndarray, primer_length: int, nats: float) -> None:
        self.clips[row], self.nats[row] = clip, nats
        self.waveforms[row].set_clip(clip, primer_length)
        bits = nats / math.log(2)
        self.metrics[row].setText(f"{nats:.3f} nats/sample<br>{bits:.3f} bits/sample")
        self.metrics[row].setToolTip(f"Mean log p per generated sample: {nats:.4f} nats = {bits:.4f} bits "
                                     "(closer to 0: the model finds the clip more likely).")

    def filled(self) -> int:
        return sum(clip is not None for clip in self.clips)

    def set_playable(self, available: bool, tooltip: str, busy: bool) -> None:
        for row, button in enumerate(self.play_buttons):
            button.setEnabled(available and not busy and self.clips[row] is not None)
            button.setToolTip(tooltip)
