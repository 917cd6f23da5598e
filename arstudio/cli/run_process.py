"""A run's own process: `arstudio train --queued-run ID`, started by the window or the queue.

It trains run ID of the store, streams its events to the windows that connect (`training/live`), obeys their
pause, resume, stop and thread-count controls (and SIGTERM as stop), and when it ends starts the next queued
runs, so the queue drains with no window open. A run that trained before continues from its newest
checkpoint; one with no checkpoint starts afresh, its earlier rows forgotten.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

import torch

from arstudio.cli.training_preview import preview_message
from arstudio.errors import UserError
from arstudio.training.config import TrainConfig
from arstudio.training.events import EvalEvent, TrainEvent
from arstudio.training.live import LiveServer, event_message
from arstudio.training.run_checkpoint import run_slots
from arstudio.training.run_queue import start_ready
from arstudio.training.run_store import RunStore
from arstudio.training.trainer import Trainer, TrainSummary


class RunProcess:
    def __init__(self, store: RunStore, run_id: int, threads: int | None) -> None:
        self.store, self.run_id = store, run_id
        record = store.get(run_id)
        self.config = TrainConfig.from_json(record.config)
        if threads:
            torch.set_num_threads(threads)
        continues = run_slots(store, run_id).newest() is not None
        if not continues:
            store.forget_metrics_after(run_id, 0)
        self.trainer = Trainer(self.config, store, callback=self._on_event,
                               resume_run=run_id if continues else None, queued_run=None if continues else run_id)
        self.server = LiveServer(self._on_control)

    def run(self) -> int:
        """Train to the end, a stop or an error; the exit status is 0, or 2 after an error the person can fix."""
        self.server.start()
        self.store.set_live(self.run_id, self.server.address)
        self.server.publish({"type": "hello", "run_id": self.run_id, "total_steps": self.config.steps})
        status = 0
        try:
            summary = self.trainer.run()
            self.server.publish({"type": "finished", **_summary_message(summary)})
        except UserError as exc:
            self._failed(str(exc))
            status = 2
        except Exception as exc:
            self._failed(f"{type(exc).__name__}: {exc}")
            status = 1
        finally:
            self.store.set_live(self.run_id, None)
            self.server.close()
        return status

    def _failed(self, message: str) -> None:
        """Say why in the store (unless the trainer did: an error before its loop began leaves the run claimed)
        and to the windows."""
        if self.store.get(self.run_id).status in ("queued", "running", "paused"):
            self.store.set_status(self.run_id, "failed", message)
        self.server.publish({"type": "failed", "message": message})

    def _on_event(self, event: TrainEvent) -> None:
        self.server.publish(event_message(event))
        if isinstance(event, EvalEvent) and event.split == "validation" and self.trainer.model is not None:
            self.server.publish(preview_message(self.trainer.model, event.step), keep=False)

    def _on_control(self, action: str, value: Any) -> None:
        if action == "threads":
            if isinstance(value, int) and value >= 1:
                self.trainer.set_threads(value)
            return
        getattr(self.trainer, action)()


def run_queued(runs_dir: str | None, run_id: int, threads: int | None) -> int:
    """The process's main: train the run, then start what the queue holds."""
    store = RunStore(runs_dir)
    try:
        process = RunProcess(store, run_id, threads)
    except UserError as exc:
        store.set_status(run_id, "failed", str(exc))
        raise
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: process.trainer.stop())
    try:
        return process.run()
    finally:
        try:
            start_ready(store)
        except UserError as exc:
            print(f"arstudio: could not start the next queued run: {exc}", file=sys.stderr)
        store.close()


def _summary_message(summary: TrainSummary) -> dict[str, Any]:
    return {"run_id": summary.run_id, "status": summary.status, "steps": summary.steps,
            "best_validation_nll": summary.best_validation_nll, "test_nll": summary.test_nll,
            "checkpoint": str(summary.checkpoint) if summary.checkpoint is not None else None}
