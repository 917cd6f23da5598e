"""A training run on a worker thread, reported to the GUI at a steady, eye-friendly rate.

The worker thread never touches Qt (see `BackgroundJob`): it puts plain events on a queue, and a
timer on the GUI thread drains the queue ten times a second and re-emits them as Qt signals. Step
events arrive in batches, so a fast model cannot flood the GUI.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import torch
from PySide6.QtCore import QObject, Signal
from torch import Tensor

from arstudio.sampling import SamplerConfig, generate
from arstudio.training.config import TrainConfig
from arstudio.training.events import EvalEvent, StepEvent, TrainEvent
from arstudio.training.run_store import RunStore
from arstudio.training.trainer import Trainer, TrainSummary
from arstudio.ui.common.worker import BackgroundJob

DRAIN_MILLISECONDS = 100
"""The plot, status bar and preview follow a run ten times a second: at 30, redrawing the plot took about
40 % of the GUI thread while a small model trained (measured with MADE on binary digits), at 10 about 10 %."""
PREVIEW_SAMPLES = {"binary": 16, "image": 9, "audio": 1, "text": 1}
PREVIEW_LENGTH = {"audio": 2000, "text": 200}
PREVIEW_SECONDS = 1.5
"""Training pauses for the preview; a slow model shows what it drew in this time."""


@dataclass(frozen=True)
class Preview:
    step: int
    samples: Tensor
    complete: bool


class TrainingWorker:
    """Runs the Trainer (on the session's thread) and reports through `events` (a thread-safe queue)."""

    def __init__(self, config: TrainConfig, runs_dir: str, resume_run: int | None = None) -> None:
        self.config = config
        self.runs_dir = runs_dir
        self.resume_run = resume_run
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.trainer: Trainer | None = None
        self._lock = threading.Lock()
        self._early_controls: list[str] = []

    def run(self) -> TrainSummary:
        registry = RunStore(self.runs_dir)
        try:
            with self._lock:
                self.trainer = Trainer(self.config, registry, callback=self._on_event, resume_run=self.resume_run)
                for action in self._early_controls:
                    getattr(self.trainer, action)()
            return self.trainer.run()
        finally:
            registry.close()

    def control(self, action: str) -> None:
        """pause, resume or stop, from any thread (also before the trainer exists)."""
        with self._lock:
            if self.trainer is None:
                self._early_controls.append(action)
                return
        getattr(self.trainer, action)()

    def _on_event(self, event: TrainEvent) -> None:
        kind = "step" if isinstance(event, StepEvent) else "eval" if isinstance(event, EvalEvent) else "status"
        self.events.put((kind, event))
        if isinstance(event, EvalEvent) and event.split == "validation":
            self._make_preview(event.step)

    def _make_preview(self, step: int) -> None:
        model = self.trainer.model if self.trainer is not None else None
        if model is None:
            return
        kind = model.spec.kind
        length = min(PREVIEW_LENGTH[kind], 4 * model.spec.dims) if kind in PREVIEW_LENGTH else None
        deadline = time.monotonic() + PREVIEW_SECONDS
        result = generate(model, PREVIEW_SAMPLES[kind], SamplerConfig(seed=step), length=length,
                          callback=lambda _: time.monotonic() > deadline)
        self.events.put(("preview", Preview(step, result.samples.cpu(), complete=not result.stopped_early)))


def leave_a_core_to_the_window() -> int:
    """Train on one core fewer than the machine has (at least one); returns torch's thread count before.

    torch's worker threads spin while they wait, and with every core theirs the GUI thread waited for the
    scheduler: the GUI benchmark's worst timer gap was 52 to 57 ms with 2 threads on 2 cores, 36 to 41 ms
    with 1 (99th percentile 43-52 and 31-35 ms), for about a tenth more training time.
    """
    before, cores = torch.get_num_threads(), os.cpu_count() or 1
    if cores > 1 and before >= cores:
        torch.set_num_threads(cores - 1)
    return before


class TrainingSession(BackgroundJob):
    """The GUI side of one run: start, control, and signals emitted on the GUI thread."""

    steps = Signal(list)
    evaluated = Signal(object)
    status = Signal(object)
    preview = Signal(object)
    started = Signal(int)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, config: TrainConfig, runs_dir: str, parent: QObject | None = None,
                 resume_run: int | None = None) -> None:
        """resume_run: continue that run of the store from its newest checkpoint instead of starting one."""
        super().__init__(DRAIN_MILLISECONDS, parent)
        self.worker = TrainingWorker(config, runs_dir, resume_run)
        self.announced = False
        self.threads_before = torch.get_num_threads()

    @property
    def trainer(self) -> Trainer | None:
        return self.worker.trainer

    def start(self) -> None:
        self.threads_before = leave_a_core_to_the_window()
        self.run_in_background(lambda: ("finished", self.worker.run()), "Training", "arstudio-training")

    def pause(self) -> None:
        self.worker.control("pause")

    def resume(self) -> None:
        self.worker.control("resume")

    def stop(self) -> None:
        self.worker.control("stop")

    def deliver(self) -> None:
        steps: list[StepEvent] = []
        while True:
            try:
                kind, payload = self.worker.events.get_nowait()
            except queue.Empty:
                break
            if kind == "step":
                steps.append(payload)
                if not self.announced and self.trainer is not None:
                    self.announced = True
                    self.started.emit(self.trainer.run_id)
                continue
            if steps:
                self.steps.emit(steps)
                steps = []
            getattr(self, {"eval": "evaluated"}.get(kind, kind)).emit(payload)
        if steps:
            self.steps.emit(steps)

    def ended(self, kind: str) -> None:
        torch.set_num_threads(self.threads_before)
