"""One image completion: generate() off the GUI thread, the fill shown in generation order, and its scores."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from PySide6.QtCore import QObject, QTimer, Signal

from arstudio.models.base import ARModel
from arstudio.sampling import GenerationResult, SamplerConfig
from arstudio.ui.common.generation_runner import GenerationProgress
from arstudio.ui.common.runner_wiring import wired_runner

FILL_SECONDS = 0.8
"""The shortest time a fill is shown to take: faster ones are paced so each step can be seen."""
FRAME_MILLISECONDS = 33


@dataclass
class Job:
    shape: tuple[int, ...]
    order: np.ndarray
    known: np.ndarray
    """[H, W] the painted pixels."""
    live: np.ndarray
    """[n, D] the samples as far as generated; during beam search only row 0 (the leading beam) advances."""
    config: SamplerConfig
    started: float
    generated: int = 0
    shown: int = -1
    dirty: bool = False
    done: bool = False

    def pending(self, steps: int) -> np.ndarray:
        """[n, H, W]: unknown pixels not generated in the first `steps` steps of the order."""
        revealed = np.zeros(len(self.order), dtype=bool)
        revealed[self.order[:steps]] = True
        pending = np.repeat((~self.known & ~revealed.reshape(self.shape).all(0))[None], len(self.live), 0)
        if self.config.num_beams > 1 and not self.done:
            pending[1:] = ~self.known
        return pending


class ImageCompletion(QObject):
    """Emits frame(samples [n, C, H, W], pending [n, H, W]) as the fill advances in generation order (paced
    to take at least FILL_SECONDS), then finished(result, seconds), cancelled() or failed(message)."""

    frame = Signal(object, object)
    finished = Signal(object, float)
    cancelled = Signal()
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = wired_runner(self, progress=self._on_progress, finished=self._on_finished,
                                   cancelled=self._on_cancelled, failed=self._on_failed)
        self.pacer = QTimer(self, interval=FRAME_MILLISECONDS, timeout=self._advance)
        self.job: Job | None = None

    def start(self, model: ARModel, values: np.ndarray, known: np.ndarray, config: SamplerConfig, count: int,
              labels: torch.Tensor | None = None) -> None:
        """Complete values [C, H, W] keeping the `known` [H, W] pixels (as `labels`, for a conditional model);
        UserError if one is running."""
        mask = np.broadcast_to(known, values.shape)
        self.runner.start(model, count, config, known=torch.from_numpy(values.copy()),
                          known_mask=torch.from_numpy(mask.copy()), labels=labels)
        flat = np.where(mask, values, 0).reshape(1, -1)
        self.job = Job(values.shape, model.order.detach().cpu().numpy(), known.copy(), np.repeat(flat, count, 0),
                       config, time.monotonic())
        self.pacer.start()

    def cancel(self) -> None:
        self.runner.cancel()

    def wait(self) -> None:
        """Block until the generation has ended and its outcome has been emitted."""
        self.runner.wait()

    def forget(self) -> None:
        """Stop showing the current job (the model changed); a running generation is cancelled."""
        self.runner.cancel()
        self.pacer.stop()
        self.job = None

    def is_running(self) -> bool:
        return self.runner.is_running()

    def is_animating(self) -> bool:
        return self.pacer.isActive()

    def _advance(self) -> None:
        job = self.job
        if job is None:
            self.pacer.stop()
            return
        paced = int(len(job.order) * (time.monotonic() - job.started) / FILL_SECONDS)
        steps = min(job.generated, paced) if job.shown >= 0 else 0
        if steps != job.shown or job.dirty:
            job.shown, job.dirty = steps, False
            self.frame.emit(job.live.reshape(-1, *job.shape), job.pending(steps))
        if job.done and steps >= job.generated:
            self.pacer.stop()

    def _on_progress(self, progress: GenerationProgress) -> None:
        job = self.job
        if job is None:
            return
        if job.config.num_beams > 1:
            if progress.samples is not None:
                job.live[0] = progress.samples[0].flatten().numpy()
                job.generated = progress.step + 1
            return
        for record in progress.records:
            job.live[:, record.position] = record.values.numpy()
        job.generated = progress.step + 1

    def _on_finished(self, result: GenerationResult) -> None:
        job = self.job
        if job is None:
            return
        job.live = result.samples.flatten(1).cpu().numpy()
        job.generated, job.dirty, job.done = len(job.order), True, True
        self.finished.emit(result, time.monotonic() - job.started)
        self._advance()

    def _on_cancelled(self, result: GenerationResult) -> None:
        if self.job is not None:
            self.job.done = True
            self.cancelled.emit()
            self._advance()

    def _on_failed(self, message: str) -> None:
        if self.job is not None:
            self.job.done = True
            self.failed.emit(message)


def likelihood_labels(result: GenerationResult, known: np.ndarray) -> tuple[list[str], list[str]]:
    """A short label and a tooltip per completion: log p(image), bits per dimension, the filled part's share."""
    log_probs = result.log_probs.cpu().numpy()
    dims = log_probs[0].size
    totals = result.log_likelihood.cpu().numpy()
    filled = log_probs.sum(1)[:, ~known].sum(1)
    labels = [f"{total:.1f} nats" for total in totals]
    tips = [f"log p(image) = {total:.2f} nats ({-total / dims / np.log(2):.3f} bits/dim); the filled pixels "
            f"contribute {part:.2f} nats" for total, part in zip(totals, filled, strict=True)]
    return labels, tips
