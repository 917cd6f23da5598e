"""The window's side of one run process: its live events as Qt signals, its controls, and its end.

The run trains in its own process (`arstudio train --queued-run ID`, see `training/run_queue.py`); the window
only reads and draws. A `LiveClient` reads the process's socket on a plain thread; a timer on the GUI thread
drains it ten times a second and emits signals there, step events in batches. When the stream ends without
a last word (a kill, a crash, running out of memory), the process's exit status becomes the run's status and
reason in the store, and `failed` says what happened.
"""

from __future__ import annotations

import queue
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PySide6.QtCore import QObject, QTimer, Signal
from torch import Tensor

from arstudio.errors import UserError
from arstudio.training.events import StepEvent
from arstudio.training.live import LiveClient, event_from_message
from arstudio.training.run_exit import exit_verdict
from arstudio.training.run_queue import PROCESS_LOG
from arstudio.training.run_store import RunStore, pid_alive
from arstudio.training.trainer import TrainSummary

DRAIN_MILLISECONDS = 100
"""The plot, status bar and preview follow a run ten times a second: at 30, redrawing the plot took about
40 % of the GUI thread while a small model trained (measured with MADE on binary digits), at 10 about 10 %."""
CONNECT_SECONDS = 60.0
"""A run process that has not opened its socket by then (while alive) is still importing on a busy machine."""


@dataclass(frozen=True)
class Preview:
    step: int
    samples: Tensor
    complete: bool


class RunSession(QObject):
    """One run process, watched: started by this window (`process`) or re-attached to (`process` None)."""

    steps = Signal(list)
    evaluated = Signal(object)
    status = Signal(object)
    preview = Signal(object)
    started = Signal(int)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, store: RunStore, run_id: int, process: subprocess.Popen | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store, self.run_id, self.process = store, run_id, process
        self.client: LiveClient | None = None
        self.device = ""
        self.total_steps = 0
        self._last_word: dict[str, Any] | None = None
        self._stream_closed = False
        self._ended = False
        self._announced = False
        self._pending: list[tuple[str, Any]] = []
        """Controls asked for before the process listened; sent once it does."""
        self._since = time.monotonic()
        self.timer = QTimer(self, interval=DRAIN_MILLISECONDS, timeout=self.drain)
        self.timer.start()

    def is_running(self) -> bool:
        return not self._ended

    @property
    def pid(self) -> int | None:
        if self.process is not None:
            return self.process.pid
        try:
            return self.store.get(self.run_id).pid
        except UserError:
            return None

    # Controls.
    def pause(self) -> None:
        self.control("pause")

    def resume(self) -> None:
        self.control("resume")

    def stop(self) -> None:
        self.control("stop")

    def set_threads(self, count: int) -> None:
        self.control("threads", count)

    def control(self, action: str, value: Any = None) -> None:
        if self.client is not None and self.client.send_control(action, value):
            return
        if not self._stream_closed:
            self._pending.append((action, value))

    def detach(self) -> None:
        """Stop watching; the run trains on in its process."""
        self.timer.stop()
        if self.client is not None:
            self.client.close()
        self._ended = True

    def wait(self, milliseconds: int = 60_000) -> bool:
        """Block until the process has ended (or the time is up) and its last events are delivered."""
        deadline = time.monotonic() + milliseconds / 1000
        while not self._ended and time.monotonic() < deadline:
            self.drain()
            time.sleep(0.02)
        return self._ended

    # Reading.
    def drain(self) -> None:
        if self._ended:
            return
        if self.client is None and not self._stream_closed:
            self._connect()
        steps: list[StepEvent] = []
        while self.client is not None:
            try:
                message = self.client.messages.get_nowait()
            except queue.Empty:
                break
            kind = message.get("type")
            if kind == "step":
                steps.append(event_from_message(message))
                continue
            if steps:
                self._emit_steps(steps)
                steps = []
            self._handle(kind, message)
        if steps:
            self._emit_steps(steps)
        if (self._stream_closed or self.client is None) and not self._process_alive():
            self._end()

    def _connect(self) -> None:
        try:
            record = self.store.get(self.run_id)
        except UserError:
            return
        self.total_steps = int(record.config.get("steps", 0))
        if record.live is None:
            if record.status not in ("queued", "running", "paused") or (
                    time.monotonic() - self._since > CONNECT_SECONDS and not self._process_alive()):
                self._stream_closed = True
            return
        try:
            self.client = LiveClient(record.live)
        except ConnectionError:
            return
        for action, value in self._pending:
            self.client.send_control(action, value)
        self._pending = []

    def _handle(self, kind: str | None, message: dict[str, Any]) -> None:
        if kind == "hello":
            self.total_steps = int(message.get("total_steps", self.total_steps))
        elif kind == "eval":
            self.evaluated.emit(event_from_message(message))
        elif kind in ("status", "notice"):
            self.status.emit(event_from_message(message))
        elif kind == "preview":
            samples = torch.tensor(message["values"], dtype=torch.long).reshape(message["shape"])
            self.preview.emit(Preview(int(message["step"]), samples, bool(message["complete"])))
        elif kind in ("finished", "failed"):
            self._last_word = message
        elif kind == "closed":  # without a last word while the process lives, this window fell behind: reconnect
            self._stream_closed = self._last_word is not None
            self.client = None

    def _emit_steps(self, steps: list[StepEvent]) -> None:
        if not self._announced:
            self._announced = True
            self.started.emit(self.run_id)
        self.steps.emit(steps)

    def _process_alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        pid = self.pid
        return pid is not None and pid_alive(pid)

    def _end(self) -> None:
        self._ended = True
        self.timer.stop()
        word = self._last_word
        if word is not None and word["type"] == "finished":
            self.finished.emit(_summary(word))
            return
        if word is not None:
            self.failed.emit(word["message"])
            return
        self._explain_exit()

    def _explain_exit(self) -> None:
        """The stream ended without a last word: say what the exit status means, and record it."""
        returncode = self.process.returncode if self.process is not None else None
        status, reason = exit_verdict(returncode, self.store.run_dir(self.run_id) / PROCESS_LOG)
        try:
            changed = self.store.record_exit(self.run_id, status, reason)
            record = self.store.get(self.run_id)
        except UserError as exc:
            self.failed.emit(str(exc))
            return
        if not changed and record.status in ("finished", "stopped"):
            checkpoint = Path(record.checkpoint) if record.checkpoint else None
            self.finished.emit(TrainSummary(record.id, record.status, record.steps, record.best_val_nll,
                                            record.test_nll, checkpoint))
            return
        self.failed.emit(f"Run {self.run_id} ({record.name}) {record.status} at step {record.steps}: "
                         f"{record.error or reason}.")


def _summary(message: dict[str, Any]) -> TrainSummary:
    checkpoint = Path(message["checkpoint"]) if message.get("checkpoint") else None
    return TrainSummary(message["run_id"], message["status"], int(message["steps"]),
                        message.get("best_validation_nll"), message.get("test_nll"), checkpoint)
