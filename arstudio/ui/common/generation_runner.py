"""generate() on a worker thread, with throttled progress, cancel, and results on the GUI thread.

Like training, the worker thread never touches Qt (see `BackgroundJob`): it records progress in
plain Python objects and a GUI-thread timer picks them up about 30 times a second.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal
from torch import Tensor

from arstudio.errors import UserError
from arstudio.models.base import ARModel
from arstudio.sampling import GenerationStep, SamplerConfig, generate
from arstudio.ui.common.worker import BackgroundJob, Outcome

DRAIN_MILLISECONDS = 33


@dataclass(frozen=True)
class StepRecord:
    """One step of generation as the panels show it: where, what, and the best candidates."""

    step: int
    position: int
    values: Tensor
    top_values: Tensor | None
    top_probs: Tensor | None
    """The most probable candidates, for runners made with `candidates=True`; else None."""


@dataclass
class GenerationProgress:
    step: int
    total: int
    samples: Tensor | None
    """The samples so far (a copy), or None when no snapshot was taken since the last report."""
    records: list[StepRecord] = field(default_factory=list)
    """Every step since the last report, in order."""


class GenerationRunner(BackgroundJob):
    """Runs one generation at a time. Emits progress(GenerationProgress), finished(GenerationResult),
    failed(str) and cancelled(GenerationResult) on the GUI thread."""

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal(object)

    def __init__(self, parent: QObject | None = None, candidates: bool = False) -> None:
        """candidates: record each step's most probable values (what the text panel shows); the other
        panels need only the values, and skipping the candidates keeps the per-step cost low."""
        super().__init__(DRAIN_MILLISECONDS, parent)
        self.candidates = candidates
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._records: list[StepRecord] = []
        self._snapshot: tuple[int, int, Tensor | None] | None = None
        self._last_snapshot = 0.0

    def start(self, model: ARModel, n: int, config: SamplerConfig, **kwargs: Any) -> None:
        """Start generate(model, n, config, **kwargs); UserError if a generation is already running."""
        if self.is_running():
            raise UserError("A generation is already running; cancel it or wait for it to finish.")
        self._cancel.clear()
        self._records, self._snapshot = [], None
        self.run_in_background(lambda: self._generate(model, n, config, kwargs), "Generation", "arstudio-generation")

    def cancel(self) -> None:
        self._cancel.set()

    def _generate(self, model: ARModel, n: int, config: SamplerConfig, kwargs: dict[str, Any]) -> Outcome:
        result = generate(model, n, config, callback=self._on_step, **kwargs)
        return ("cancelled" if result.stopped_early else "finished", result)

    def _on_step(self, step: GenerationStep) -> bool:
        top = (step.top_values.cpu(), step.top_probs.cpu()) if self.candidates else (None, None)
        record = StepRecord(step.step, step.position, step.values.cpu(), *top)
        now = time.monotonic()
        samples = None
        if now - self._last_snapshot >= DRAIN_MILLISECONDS / 1000 or step.step == step.total - 1:
            samples = step.samples.cpu()
            self._last_snapshot = now
        with self._lock:
            self._records.append(record)
            previous = self._snapshot[2] if self._snapshot is not None else None
            self._snapshot = (step.step, step.total, samples if samples is not None else previous)
        return self._cancel.is_set()

    def deliver(self) -> None:
        with self._lock:
            records, self._records = self._records, []
            snapshot, self._snapshot = self._snapshot, None
        if snapshot is not None or records:
            step, total, samples = snapshot if snapshot is not None else (records[-1].step, 0, None)
            self.progress.emit(GenerationProgress(step, total, samples, records))
