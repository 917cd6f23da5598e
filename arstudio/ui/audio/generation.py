"""The clip the Audio panel generates: its levels as they arrive, then the whole clip and a line about it."""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from PySide6.QtCore import QObject, Signal

from arstudio.models.base import ARModel
from arstudio.sampling import GenerationResult, SamplerConfig
from arstudio.ui.common.generation_runner import GenerationProgress
from arstudio.ui.common.runner_wiring import wired_runner


class ClipGeneration(QObject):
    """One clip at a time, optionally after a primer. Emits grew() as samples arrive, ended(summary) once
    the clip is whole (finished, or cancelled with the part made so far) and failed(message)."""

    grew = Signal()
    ended = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = wired_runner(self, progress=self._on_progress, finished=self._on_finished,
                                   cancelled=self._on_cancelled, failed=self.failed.emit)
        self.sample_rate = 1
        self.last_seed: int | None = None
        self._started_at = 0.0
        self.clear()

    def clear(self) -> None:
        self.codes: np.ndarray | None = None
        """The clip's levels: while generating, a buffer filled up to `generated_steps`; then the final clip."""
        self.finished = False
        """Whether `codes` is a whole clip (generated or cancelled), ready to play and save."""
        self.primer_length = self.target_length = self.generated_steps = 0

    def start(self, model: ARModel, config: SamplerConfig, primer: torch.Tensor | None, length: int,
              sample_rate: int, labels: torch.Tensor | None = None) -> None:
        """Generate a clip of `length` samples that begins with `primer` (as `labels`, for a conditional model);
        UserError if one is running."""
        self.runner.start(model, 1, config, known=primer, length=length, labels=labels)
        primed = 0 if primer is None else len(primer)
        self.sample_rate = sample_rate
        self.primer_length, self.target_length, self.generated_steps = primed, length, primed
        self.codes = np.zeros(length, dtype=np.int64)
        if primer is not None:
            self.codes[:primed] = primer.numpy()
        self.finished = False
        self._started_at = time.monotonic()

    def seconds(self, steps: int) -> str:
        return f"{steps / self.sample_rate:.2f}"

    def _on_progress(self, progress: GenerationProgress) -> None:
        if not progress.records or self.codes is None:
            return
        positions = [record.position for record in progress.records]
        self.codes[positions] = [int(record.values[0]) for record in progress.records]
        self.generated_steps = max(self.generated_steps, positions[-1] + 1)
        self.grew.emit()

    def _on_finished(self, result: GenerationResult) -> None:
        self._take(result, self.target_length)
        samples = self.target_length - self.primer_length
        nats = float(result.log_likelihood[0])
        bits = -nats / math.log(2) / max(self.target_length, 1)
        self.ended.emit(f"{self.seconds(self.target_length)} s ({samples} new samples) · log-likelihood "
                        f"{nats:,.1f} nats ({bits:.2f} bits/sample) · seed {result.seed} · {self._speed(samples)}")

    def _on_cancelled(self, result: GenerationResult) -> None:
        self._take(result, self.generated_steps)
        self.ended.emit(f"Cancelled: kept the first {self.seconds(self.generated_steps)} s · seed {result.seed}")

    def _take(self, result: GenerationResult, length: int) -> None:
        self.last_seed = result.seed
        self.codes = result.samples[0, :length].cpu().numpy()
        self.generated_steps = length
        self.finished = length > 0

    def _speed(self, samples: int) -> str:
        """How long the new samples took, against how long they play."""
        took = time.monotonic() - self._started_at
        plays = samples / self.sample_rate
        if plays >= took:
            return f"made in {took:.1f} s, {plays / max(took, 1e-9):.1f}x faster than real time"
        return f"made in {took:.1f} s, {took / max(plays, 1e-9):.1f}x slower than real time"
