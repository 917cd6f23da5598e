"""A GenerationRunner owned by an object, connected to that object's slots in one call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from arstudio.ui.common.generation_runner import GenerationRunner

Slot = Callable[[Any], object]


def wired_runner(parent: QObject, *, finished: Slot, cancelled: Slot, failed: Slot, progress: Slot | None = None,
                 candidates: bool = False) -> GenerationRunner:
    """A runner whose progress (when given), finished, cancelled and failed signals reach the given slots."""
    runner = GenerationRunner(parent, candidates=candidates)
    if progress is not None:
        runner.progress.connect(progress)
    runner.finished.connect(finished)
    runner.cancelled.connect(cancelled)
    runner.failed.connect(failed)
    return runner
