"""A GenerationRunner owned by an object, connected to that object's slots in one call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from arstudio.ui.common.generation_runner import GenerationRunner
from arstudio.ui.common.signals import connect_all

Slot = Callable[[Any], object]


def wired_runner(parent: QObject, *, finished: Slot, cancelled: Slot, failed: Slot, progress: Slot | None = None,
                 candidates: bool = False) -> GenerationRunner:
    """A runner whose progress (when given), finished, cancelled and failed signals reach the given slots."""
    runner = GenerationRunner(parent, candidates=candidates)
    wiring = ((runner.progress, progress), (runner.finished, finished), (runner.cancelled, cancelled),
              (runner.failed, failed))
    connect_all(*((signal, slot) for signal, slot in wiring if slot is not None))
    return runner
