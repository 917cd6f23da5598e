"""Long work on a plain Python thread, delivered to the GUI thread by a timer.

The worker thread never touches Qt: it records what it has to report in plain, thread-safe Python
objects, and a QTimer on the GUI thread drains them at a steady rate and emits Qt signals there.
This throttles a fast loop into a few redraws and sidesteps PySide6's cross-thread signal emission.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

from arstudio.errors import UserError

Outcome = tuple[str, Any]
"""The name of the signal that ends the work ("finished", "failed", "cancelled", ...) and its payload."""


class BackgroundJob(QObject):
    """One piece of work at a time on its own thread; subclasses declare the outcome signals.

    A subclass reports progress from `deliver()` (called on the GUI thread at every drain) and gives
    `run_in_background` a callable that returns an `Outcome`. A `UserError` becomes ("failed", its
    message), any other exception ("failed", "<what> failed: <type>: <message>"). The outcome signal
    is emitted once the thread has ended, after the last progress, so `is_running()` is False there.
    """

    def __init__(self, interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._outcome: Outcome | None = None
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.drain)

    def run_in_background(self, work: Callable[[], Outcome], what: str, thread_name: str) -> None:
        """Start `work` on a new daemon thread and the drain timer; `what` names it in failure messages."""
        self._outcome = None
        self._thread = threading.Thread(target=self._run, args=(work, what), name=thread_name, daemon=True)
        self._thread.start()
        self.timer.start()

    def is_running(self) -> bool:
        return self._thread is not None and (self._thread.is_alive() or self.timer.isActive())

    def wait(self, milliseconds: int = 30_000) -> bool:
        """Block until the thread ends (or the time is up), then deliver what it reported."""
        if self._thread is not None:
            self._thread.join(milliseconds / 1000)
        self.drain()
        return not self.is_running()

    def drain(self) -> None:
        """Deliver the progress so far and, once the thread has ended, its outcome."""
        ended = self._thread is not None and not self._thread.is_alive()
        self.deliver()
        if not ended or self._outcome is None:
            return
        self.timer.stop()
        (kind, payload), self._outcome = self._outcome, None
        self.ended(kind)
        getattr(self, kind).emit(payload)

    def deliver(self) -> None:
        """Emit the progress the thread recorded since the last drain (GUI thread)."""

    def ended(self, kind: str) -> None:
        """Called on the GUI thread just before the outcome signal `kind` is emitted."""

    def _run(self, work: Callable[[], Outcome], what: str) -> None:
        try:
            outcome = work()
        except UserError as exc:
            outcome = ("failed", str(exc))
        except Exception as exc:  # noqa: BLE001 - any failure must reach the window, not kill the thread
            outcome = ("failed", f"{what} failed: {type(exc).__name__}: {exc}")
        self._outcome = outcome
