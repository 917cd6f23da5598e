"""What every part of the Inside view shares: the model it shows, why it cannot show one, and a job that
computes off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from arstudio.app.model_source import LoadedModel
from arstudio.ui.common.worker import BackgroundJob

DRAIN_MILLISECONDS = 30


class InsideJob(BackgroundJob):
    """One computation at a time on its own thread: finished(object) with its result, or failed(str).

    A result computed for a model that is no longer shown is dropped by the part (it compares the token
    it passed with `run`)."""

    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(DRAIN_MILLISECONDS, parent)

    def run(self, work: Callable[[], Any], what: str) -> None:
        self.run_in_background(lambda: ("finished", work()), what, f"inside-{what}")

    def cancel(self) -> None:
        """Computations are short and not interruptible; `wait` delivers their result, which the part may drop."""


class InsidePart(QWidget):
    """One tab of the Inside view. A subclass says which models it `explains` (None, or why not) and shows the
    model in `show_model`; `hint` is the line above it that says what it shows or why it shows nothing."""

    title = ""
    errorRaised = Signal(str)

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.loaded: LoadedModel | None = None
        self.job = InsideJob(self)
        self.job.failed.connect(self.errorRaised.emit)
        self.hint = QLabel(wordWrap=True, objectName=f"{object_name}Hint")
        self.body = QVBoxLayout(self)
        self.body.addWidget(self.hint)

    def set_model(self, loaded: LoadedModel | None) -> None:
        self.job.wait()
        reason = "Open a model (Explore a run or a ready model) to look inside it." if loaded is None else \
            self.unexplained(loaded)
        self.loaded = None if reason else loaded
        self.hint.setText(reason or self.describe(loaded))
        self.show_model()

    def unexplained(self, loaded: LoadedModel) -> str:
        """Why this part cannot show `loaded` ("" when it can)."""
        return ""

    def describe(self, loaded: LoadedModel) -> str:
        """The hint for a model the part shows: what to look at."""
        return ""

    def show_model(self) -> None:
        """Show `self.loaded` (None: nothing to show)."""
        raise NotImplementedError

    def is_busy(self) -> bool:
        return self.job.is_running()

    def wait(self) -> None:
        self.job.wait()
