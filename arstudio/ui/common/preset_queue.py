"""One request through several sampling presets, one after another, with one seed: the engine of every
strategy comparison (images and audio; text keeps its own job list for streaming and branching)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from arstudio.app.presets import Preset
from arstudio.models.base import ARModel
from arstudio.sampling import GenerationResult, SamplerConfig
from arstudio.ui.common.runner_wiring import wired_runner


class PresetQueue(QObject):
    """rowFinished(index, result) after each preset, then done(); cancel() stops after the preset in
    progress (done() follows); failed(message) ends the queue."""

    rowFinished = Signal(int, object)
    done = Signal()
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = wired_runner(self, finished=self._row_done, cancelled=lambda _: self._stop(), failed=self._failed)
        self.queue: list[tuple[int, SamplerConfig]] = []
        self.request: tuple[ARModel, int, dict[str, Any]] | None = None

    def start(self, model: ARModel, count: int, presets: list[Preset], seed: int, **request: Any) -> None:
        """generate(model, count, preset config with `seed`, **request) for each preset in turn."""
        self.request = (model, count, request)
        self.queue = [(i, SamplerConfig.from_json({**p.config.to_json(), "seed": seed})) for i, p in enumerate(presets)]
        self._next()

    def is_running(self) -> bool:
        return bool(self.queue) or self.runner.is_running()

    def cancel(self) -> None:
        self.queue = []
        self.runner.cancel()

    def wait(self) -> None:
        self.runner.wait()

    def _next(self) -> None:
        if not self.queue or self.request is None:
            self.done.emit()
            return
        model, count, request = self.request
        self.runner.start(model, count, self.queue[0][1], **request)

    def _row_done(self, result: GenerationResult) -> None:
        if not self.queue:
            self.done.emit()
            return
        index, _ = self.queue.pop(0)
        self.rowFinished.emit(index, result)
        self._next()

    def _stop(self) -> None:
        self.queue = []
        self.done.emit()

    def _failed(self, message: str) -> None:
        self.queue = []
        self.failed.emit(message)
