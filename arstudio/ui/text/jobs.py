"""Text generations run one after another on one GenerationRunner, each streaming into its own view."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from PySide6.QtCore import QObject, Signal

from arstudio.errors import UserError
from arstudio.models.base import ARModel
from arstudio.sampling import GenerationResult, SamplerConfig
from arstudio.ui.common.generation_runner import GenerationProgress
from arstudio.ui.common.runner_wiring import wired_runner
from arstudio.ui.text.compare_grid import CompareColumn
from arstudio.ui.text.view import TokenTextView


@dataclass
class Job:
    """One continuation of `prompt`: where its tokens go and how it is sampled."""

    view: TokenTextView
    prompt: list[int]
    config: SamplerConfig
    new_tokens: int
    column: CompareColumn | None = None
    name: str = ""


@dataclass
class Outcome:
    """A finished (or stopped) job: the generated values after the prompt and their model log-probabilities."""

    job: Job
    result: GenerationResult
    values: list[int]
    log_probs: list[float]
    stopped: bool


class TextJobs(QObject):
    """Emits stepped(Job) as tokens stream in, done(Outcome), failed(Job, str), and idle() when the queue is empty."""

    stepped = Signal(object)
    done = Signal(object)
    failed = Signal(object, str)
    idle = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = wired_runner(self, progress=self._on_progress,
                                   finished=lambda result: self._complete(result, stopped=False),
                                   cancelled=lambda result: self._complete(result, stopped=True),
                                   failed=self._on_failed, candidates=True)
        self.current: Job | None = None
        self.queue: list[Job] = []
        self._model: ARModel | None = None

    def is_running(self) -> bool:
        return self.current is not None or bool(self.queue) or self.runner.is_running()

    def run(self, model: ARModel, jobs: list[Job]) -> None:
        """Queue `jobs` on `model` and start the first; UserError while another generation runs."""
        if self.is_running():
            raise UserError("A generation is running; stop it or wait for it to finish.")
        self._model, self.queue = model, list(jobs)
        self._next()

    def cancel(self) -> None:
        """Stop the running job (its partial text is kept); the queued ones are dropped, their columns say so."""
        dropped, self.queue = self.queue, []
        self.runner.cancel()
        for job in dropped:
            if job.column is not None:
                job.column.set_failed("not run (stopped)")

    def wait(self) -> None:
        """Block until the running job has ended (after cancel(), the last one) and its outcome is out."""
        self.runner.wait()

    def _next(self) -> None:
        while self.queue:
            job = self.queue.pop(0)
            known = torch.tensor(job.prompt, dtype=torch.long) if job.prompt else None
            try:
                self.runner.start(self._model, 1, job.config, known=known, length=len(job.prompt) + job.new_tokens,
                                  stop_at_eos=self._model.spec.eos_index is not None)
            except UserError as exc:
                self.failed.emit(job, str(exc))
                continue
            self.current = job
            job.view.start(self._model.spec, job.prompt)
            self.stepped.emit(job)
            return
        self.idle.emit()

    def _on_progress(self, progress: GenerationProgress) -> None:
        job = self.current
        if job is None:
            return
        for record in progress.records:
            if record.step >= len(job.prompt):
                candidates = list(zip(record.top_values[0].tolist(), record.top_probs[0].tolist(), strict=True))
                job.view.append_token(int(record.values[0]), candidates)
        self.stepped.emit(job)

    def _complete(self, result: GenerationResult, stopped: bool) -> None:
        job, self.current = self.current, None
        if job is not None:
            start = len(job.prompt)
            values = result.samples[0, start:].tolist()
            log_probs = result.log_probs[0, start:].tolist()
            count = len(job.view.tokens) if stopped else len(values)
            eos = self._model.spec.eos_index
            if eos is not None and eos in values[:count]:
                count = values.index(eos) + 1
            values, log_probs = values[:count], log_probs[:count]
            job.view.finish(values, [math.exp(v) for v in log_probs])
            self.done.emit(Outcome(job, result, values, log_probs, stopped))
        self._next()

    def _on_failed(self, message: str) -> None:
        job, self.current = self.current, None
        if job is not None:
            self.failed.emit(job, message)
        self._next()
