"""Waveform and spectrogram views of one clip (pyqtgraph), redrawn as the clip grows, and the Clip tab of both."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from arstudio.ui.common.plot_style import follow_palette, major_grid_only

PRIMER_COLOR = "#7f7f7f"
GENERATED_COLOR = "#1f77b4"
PLAYHEAD_COLOR = "#d62728"
WINDOW_SECONDS = 0.032
FLOOR_DB = -90.0


def stft_window(rate: int) -> int:
    """A power-of-two window of about 32 ms (at least 16 samples)."""
    return max(16, 1 << round(np.log2(max(1.0, rate * WINDOW_SECONDS))))


def spectrogram(samples: np.ndarray, rate: int) -> tuple[np.ndarray, int]:
    """(dB magnitudes [frames, window // 2 + 1] of a Hann-windowed STFT, hop in samples).

    0 dB is a full-scale sine; a clip shorter than one window is zero-padded to one frame."""
    window = stft_window(rate)
    hop = window // 4
    samples = np.asarray(samples, dtype=np.float64)
    if len(samples) < window:
        samples = np.pad(samples, (0, window - len(samples)))
    frames = 1 + (len(samples) - window) // hop
    index = np.arange(window)[None, :] + hop * np.arange(frames)[:, None]
    taper = np.hanning(window)
    magnitude = np.abs(np.fft.rfft(samples[index] * taper, axis=1)) * (2.0 / taper.sum())
    return 20.0 * np.log10(np.maximum(magnitude, 10 ** (FLOOR_DB / 20))), hop


class _ClipPlot(pg.PlotWidget):
    """A plot in the theme's base colour with a time axis in seconds and a playhead line."""

    def __init__(self, object_name: str, ylabel: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        follow_palette(self)
        self.setMenuEnabled(False)
        self.setLabel("bottom", "time", units="s")
        self.setLabel("left", ylabel)
        self.setMouseEnabled(x=True, y=False)
        self.setMinimumHeight(140)
        self.playhead = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(PLAYHEAD_COLOR, width=2))
        self.playhead.setZValue(10)
        self.playhead.hide()
        self.addItem(self.playhead)
        self.duration = -1.0

    def set_playhead(self, seconds: float | None) -> None:
        self.playhead.setVisible(seconds is not None)
        if seconds is not None:
            self.playhead.setValue(seconds)

    def show_duration(self, seconds: float) -> None:
        """Fit the time axis to `seconds` (only when it changes: redrawing the axes is slow)."""
        if seconds != self.duration:
            self.duration = seconds
            self.setXRange(0.0, max(seconds, 1e-3), padding=0.0)


class WaveformView(_ClipPlot):
    """The samples in [-1, 1]: the primer in grey, the generated part in blue."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("waveformPlot", "amplitude", parent)
        self.setYRange(-1.05, 1.05, padding=0.0)
        self.showGrid(x=True, y=True, alpha=0.2)
        major_grid_only(self)
        self.setClipToView(True)
        self.setDownsampling(auto=True, mode="peak")
        self.primer_curve = self.plot(pen=pg.mkPen(PRIMER_COLOR, width=1))
        self.generated_curve = self.plot(pen=pg.mkPen(GENERATED_COLOR, width=1))
        self.boundary = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(PRIMER_COLOR, style=Qt.PenStyle.DashLine))
        self.boundary.hide()
        self.addItem(self.boundary)

    def set_clip(self, audio: np.ndarray, rate: int, primer: int, duration: float) -> None:
        """Show `audio` (its first `primer` samples known), on a time axis `duration` seconds long."""
        times = np.arange(len(audio)) / rate
        cut = min(primer, len(audio))
        self.primer_curve.setData(times[:cut], audio[:cut])
        start = max(cut - 1, 0)
        self.generated_curve.setData(times[start:], audio[start:])
        self.boundary.setVisible(0 < primer)
        self.boundary.setValue(primer / rate)
        self.show_duration(duration)

    def clear_clip(self) -> None:
        self.primer_curve.setData([], [])
        self.generated_curve.setData([], [])
        self.boundary.hide()
        self.set_playhead(None)
        self.duration = -1.0
        self.show_duration(1.0)

    def point_count(self) -> int:
        generated = self.generated_curve.xData
        primer = self.primer_curve.xData
        overlap = 1 if generated is not None and len(generated) and primer is not None and len(primer) else 0
        return sum(len(c) for c in (generated, primer) if c is not None) - overlap


class SpectrogramView(_ClipPlot):
    """Frequency over time, in dB, computed with numpy's FFT."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("spectrogramPlot", "frequency (Hz)", parent)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("inferno"))
        self.addItem(self.image)
        self.getAxis("left").enableAutoSIPrefix(False)
        self.frames = 0
        self.clear_clip()

    def set_clip(self, audio: np.ndarray, rate: int, duration: float) -> None:
        if len(audio) == 0:
            self.clear_clip(rate)
            return
        decibels, hop = spectrogram(audio, rate)
        self.frames = len(decibels)
        self.image.setImage(decibels.T, levels=(FLOOR_DB, 0.0), autoLevels=False)
        self.image.setRect(QRectF(0.0, 0.0, len(decibels) * hop / rate, rate / 2))
        self.setYRange(0.0, rate / 2, padding=0.0)
        self.show_duration(duration)

    def clear_clip(self, rate: int = 8000) -> None:
        self.image.clear()
        self.frames = 0
        self.set_playhead(None)
        self.duration = -1.0
        self.show_duration(1.0)
        self.setYRange(0.0, rate / 2, padding=0.0)


class ClipView(QWidget):
    """The Clip tab: the waveform over the spectrogram, one playhead on both, and the result line below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.waveform = WaveformView()
        self.spectrogram = SpectrogramView()
        self.result_label = QLabel("", objectName="audioResultLabel", wordWrap=True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.waveform)
        plots.addWidget(self.spectrogram)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(plots, 1)
        layout.addWidget(self.result_label)

    def set_clip(self, audio: np.ndarray, rate: int, primer: int, duration: float) -> None:
        self.waveform.set_clip(audio, rate, primer, duration)
        self.spectrogram.set_clip(audio, rate, duration)

    def clear_clip(self, rate: int) -> None:
        self.waveform.clear_clip()
        self.spectrogram.clear_clip(rate)

    def set_playhead(self, seconds: float | None) -> None:
        self.waveform.set_playhead(seconds)
        self.spectrogram.set_playhead(seconds)
