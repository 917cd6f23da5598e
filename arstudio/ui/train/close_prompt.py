"""Closing the window while runs train: keep them training in the background, or stop them."""

from __future__ import annotations

from enum import Enum

from PySide6.QtWidgets import QMessageBox, QWidget

from arstudio.ui.train.controller import TrainingController


class CloseChoice(Enum):
    KEEP = "keep"
    STOP = "stop"
    CANCEL = "cancel"


def ask_about_running_runs(parent: QWidget, training: TrainingController) -> CloseChoice:
    """Ask what becomes of the runs training now (KEEP when none is); a modal question with three answers."""
    active = {record.id for record in training.registry.active_runs()}
    running = [session.run_id for session in training.sessions.values()
               if session.is_running() and session.run_id in active]  # a run that just ended is not asked about
    if not running:
        return CloseChoice.KEEP
    queued = len(training.registry.queued_runs())
    names = ", ".join(f"#{run_id}" for run_id in running)
    box = QMessageBox(QMessageBox.Icon.Question, "Runs are training",
                      f"{len(running)} run(s) are training ({names})"
                      + (f" and {queued} wait in the queue" if queued else "") + ".", parent=parent)
    box.setObjectName("closeRunsDialog")
    box.setInformativeText("Keep them training in the background (open ARStudio again to watch them, or see "
                           "`arstudio runs`), or stop them now? Stopped runs keep their checkpoint and can be "
                           "resumed" + ("; queued runs are cancelled." if queued else "."))
    keep = box.addButton("Keep training", QMessageBox.ButtonRole.AcceptRole)
    keep.setObjectName("keepRunsButton")
    stop = box.addButton("Stop them", QMessageBox.ButtonRole.DestructiveRole)
    stop.setObjectName("stopRunsButton")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(keep)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    return CloseChoice.KEEP if clicked is keep else CloseChoice.STOP if clicked is stop else CloseChoice.CANCEL
