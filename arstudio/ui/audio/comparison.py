"""Strategies side by side: the same primer, length and seed through every ticked preset, one clip a row."""

from __future__ import annotations

import torch
from PySide6.QtCore import QObject, Signal

from arstudio.app.presets import Preset
from arstudio.data import DataSpec
from arstudio.data.export import waveform
from arstudio.models.base import ARModel
from arstudio.sampling import GenerationResult
from arstudio.ui.audio.compare_view import AudioCompareView, mean_log_likelihood
from arstudio.ui.common.preset_queue import PresetQueue


class AudioComparison(QObject):
    """Fills `view` a row at a time. Emits progressed(done, total) after each row, then ended() (also after a
    cancel) or failed(message)."""

    progressed = Signal(int, int)
    ended = Signal()
    failed = Signal(str)

    def __init__(self, view: AudioCompareView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.queue = PresetQueue(self)
        self.queue.rowFinished.connect(self._on_row)
        self.queue.done.connect(self._on_done)
        self.queue.failed.connect(self._on_failed)
        self.levels = 0
        self.primer_length = self.length = 0

    def start(self, model: ARModel, spec: DataSpec, presets: list[Preset], seed: int | None,
              primer: torch.Tensor | None, length: int, labels: torch.Tensor | None = None) -> None:
        """Clips of `length` samples that begin with `primer` (as `labels`, for a conditional model); UserError
        (nothing starts) while one runs."""
        self.queue.start(model, 1, presets, seed, known=primer, length=length, labels=labels)
        self.levels = spec.levels
        self.primer_length, self.length = (0 if primer is None else len(primer)), length
        self.view.reset(presets)
        self.view.status.setText(f"{length / spec.sample_rate:.2f} s each · seed {seed}")

    def _on_row(self, row: int, result: GenerationResult) -> None:
        codes = result.samples[0, :self.length].cpu().numpy()
        nats = mean_log_likelihood(result, self.primer_length, self.length)
        self.view.show_row(row, waveform(codes, self.levels), self.primer_length, nats)
        self.progressed.emit(self.view.filled(), len(self.view.clips))

    def _on_done(self) -> None:
        done, total = self.view.filled(), len(self.view.clips)
        if done < total:
            self.view.status.setText(f"{self.view.status.text()} · cancelled after {done} of {total}")
        self.ended.emit()

    def _on_failed(self, message: str) -> None:
        self.view.status.setText("The comparison failed.")
        self.failed.emit(message)
