"""The face every explorer tab shows the window: a model to work on, errors to report, work to cancel."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from arstudio.app.model_source import LoadedModel
from arstudio.data import DataSpec


class Worker(Protocol):
    """Work a panel runs off the GUI thread: a generation runner, a queue of them, a completion."""

    def is_running(self) -> bool: ...

    def cancel(self) -> object: ...

    def wait(self) -> object: ...


class ExplorerPanel(QWidget):
    """An explorer tab (Images, Audio, Text). A subclass says which models `fits()` it, what its hints say
    and which `workers()` it runs, and shows a new model in `show_model()`.

    One cancel policy for all: `cancel()` stops every worker and waits for it, so nothing of the work
    arrives after the user pressed Cancel or the panel got another model."""

    errorRaised = Signal(str)
    no_model_hint = ""
    """What the hint says while no model is open."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.loaded: LoadedModel | None = None
        """The model the panel works on: the one last set if it fits this panel, else None."""

    def set_model(self, loaded: LoadedModel | None) -> None:
        """Work on `loaded` if it fits, else say why not; the work in progress is cancelled first."""
        self.cancel()
        self.loaded = loaded if loaded is not None and self.fits(loaded.spec) else None
        self.show_model(self.model_hint(loaded))

    def model_hint(self, loaded: LoadedModel | None) -> str:
        """How to get a model, why `loaded` does not fit, or what it is."""
        if loaded is None:
            return self.no_model_hint
        return self.fit_hint(loaded) if self.loaded is loaded else self.misfit_hint(loaded)

    def fits(self, spec: DataSpec) -> bool:
        """Whether the panel can work on a model of `spec`."""
        raise NotImplementedError

    def misfit_hint(self, loaded: LoadedModel) -> str:
        """Why `loaded` cannot be explored here, and what to open instead."""
        raise NotImplementedError

    def fit_hint(self, loaded: LoadedModel) -> str:
        """What the hint says about a model that fits."""
        return ""

    def show_model(self, hint: str) -> None:
        """Show `self.loaded` (None: the model did not fit or there is none) with `hint`."""
        raise NotImplementedError

    def workers(self) -> tuple[Worker, ...]:
        raise NotImplementedError

    def is_busy(self) -> bool:
        return any(worker.is_running() for worker in self.workers())

    def cancel(self) -> None:
        """Stop every worker and wait until it has delivered its last word."""
        workers = self.workers()
        for worker in workers:
            worker.cancel()
        for worker in workers:
            worker.wait()

    def show_error(self, error: Exception | str) -> None:
        """Report an error a person can fix; the window shows it."""
        self.errorRaised.emit(str(error))
