"""Every run in the registry: sortable, renameable, deletable, exportable, comparable."""

from __future__ import annotations

import textwrap
import time

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from arstudio.data.references import COMPARABILITY, Reference, references_for
from arstudio.errors import UserError
from arstudio.training.run_queue import MAX_PARALLEL, parallel_runs, set_parallel_runs
from arstudio.training.run_store import ACTIVE_STATUSES, RESUMABLE_STATUSES, RunRecord, RunStore
from arstudio.ui.train.ready_rows import READY_HINT, READY_ROLE, mark_ready, ready_cells
from arstudio.zoo.catalog import ReadyModel, ready_models

RESUMABLE = RESUMABLE_STATUSES
"""A finished run has reached its steps; a running or paused one is still going."""
NAME_COLUMN = 1
TYPICAL_NAME = "made on binary-digits"
"""The name column is never narrower than this name (a run's default name is "<family> on <data set>")."""
NAME_WIDEST = 360
"""px: the name column grows to fit its longest name up to this; a longer one is elided (its tooltip shows it)."""
COLUMNS = ("id", "name", "family", "data set", "status", "steps", "progress", "ETA", "best val NLL", "test NLL",
           "paper", "duration", "device")
STATUS_COLUMN = 4
TEST_COLUMN = COLUMNS.index("test NLL")
PAPER_COLUMN = COLUMNS.index("paper")


class SortableItem(QTableWidgetItem):
    """Sorts by its number when it has one, so 10 comes after 9."""

    def __init__(self, text: str, key: float | str) -> None:
        super().__init__(text)
        self.key = key

    def __lt__(self, other: QTableWidgetItem) -> bool:
        other_key = getattr(other, "key", other.text())
        if isinstance(self.key, float) and isinstance(other_key, float):
            return self.key < other_key
        return str(self.key) < str(other_key)


class RunsPanel(QWidget):
    selectionChanged = Signal(list)
    openRequested = Signal(int)
    openReadyRequested = Signal(str)
    resumeRequested = Signal(int)
    watchRequested = Signal(int)
    stopRequested = Signal(list)
    parallelChanged = Signal(int)
    errorRaised = Signal(str)

    def __init__(self, registry: RunStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.ready = _installed_ready_models()
        """The ready models shipped with ARStudio: rows of their own above the runs, never in the store."""
        self.table = QTableWidget(0, len(COLUMNS), objectName="runsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeaderItem(PAPER_COLUMN).setToolTip(
            "The best published test NLL on the run's data set (nats per example); hover a cell for every paper")
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.viewport().installEventFilter(self)
        self.name_width = 0
        self.table.setToolTip("Select several runs to compare their curves")
        buttons = QHBoxLayout()
        self.buttons = {}
        for label, slot, tip in (("Rename…", self.rename_selected, "Rename the selected run"),
                                 ("Delete…", self.delete_selected, "Delete the selected runs and their files"),
                                 ("Export CSV…", self.export_selected, "Save the metrics of the selected runs"),
                                 ("Explore", self._open_selected, "Open the run's model in the exploration panels"),
                                 ("Resume", self.resume_selected, "Continue the selected stopped or interrupted run "
                                  "from its newest checkpoint"),
                                 ("Watch", self.watch_selected, "Follow the selected running run in the plot"),
                                 ("Stop", self.stop_selected, "Stop the selected runs (their checkpoints are kept); "
                                  "a queued run is cancelled")):
            button = QPushButton(label, objectName=f"runs{label.strip('.…').replace(' ', '')}Button")
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            self.buttons[label] = button
        buttons.addStretch(1)
        self.parallel_spin = QSpinBox(objectName="parallelRunsSpin", minimum=1, maximum=MAX_PARALLEL)
        self.parallel_spin.setValue(parallel_runs(registry))
        self.parallel_spin.setToolTip("How many runs train at once; the others wait in the queue. Each run has its "
                                      "own process and the cores are shared between them, one kept for the window.")
        self.parallel_spin.valueChanged.connect(self._parallel_changed)
        buttons.addWidget(QLabel("At once"))
        buttons.addWidget(self.parallel_spin)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        self.table.itemSelectionChanged.connect(lambda: self.selectionChanged.emit(self.selected_ids()))
        self.table.doubleClicked.connect(lambda _: self._open_selected())
        self.refresh()

    def refresh(self) -> None:
        selected = set(self.selected_ids())
        try:
            runs = self.registry.runs()
        except UserError as exc:
            self.errorRaised.emit(str(exc))
            return
        self.table.setSortingEnabled(False)
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.ready) + len(runs))
        self._fill_ready_rows()
        for row, run in enumerate(runs, start=len(self.ready)):
            for column, (text, key) in enumerate(_cells(run)):
                self.table.setItem(row, column, SortableItem(text, key))
            self.table.item(row, NAME_COLUMN).setToolTip(run.name)
            if run.error:
                self.table.item(row, STATUS_COLUMN).setToolTip(run.error)
            if published := references_for(run.dataset):
                tip = published_tooltip(published, run.test_nll)
                self.table.item(row, TEST_COLUMN).setToolTip(tip)
                self.table.item(row, PAPER_COLUMN).setToolTip(tip)
            if run.id in selected:
                self.table.selectRow(row)
        self.table.blockSignals(False)
        self.table.setSortingEnabled(True)
        self.fit_columns()

    def _fill_ready_rows(self) -> None:
        for row, model in enumerate(self.ready):
            cells = ready_cells(model)
            cells[PAPER_COLUMN] = _paper(model.recipe.config.dataset)
            for column, (text, key) in enumerate(cells):
                item = SortableItem(text, key)
                mark_ready(item, model)
                self.table.setItem(row, column, item)

    def fit_columns(self) -> None:
        """Every column as wide as its contents, the name column at least as wide as a typical name, and the
        name column takes the width to spare (a narrow table scrolls sideways instead of cutting the name)."""
        # Fitted once per refresh: in ResizeToContents mode every cell written re-measured the whole
        # table, 300 ms for 30 runs, which froze the live plot while a run trained.
        self.table.resizeColumnsToContents()
        typical = self.table.fontMetrics().horizontalAdvance(TYPICAL_NAME) + 2 * self.table.fontMetrics().height()
        self.name_width = max(typical, min(self.table.columnWidth(NAME_COLUMN), NAME_WIDEST))
        self._stretch_name()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._stretch_name()
        return super().eventFilter(watched, event)

    def _stretch_name(self) -> None:
        others = sum(self.table.columnWidth(column) for column in range(len(COLUMNS)) if column != NAME_COLUMN)
        self.table.setColumnWidth(NAME_COLUMN, max(self.name_width, self.table.viewport().width() - others))

    def selected_ids(self) -> list[int]:
        """The selected runs of the store (ready models are not runs: see `selected_ready`)."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [int(item.text()) for row in rows if (item := self.table.item(row, 0)) and not item.data(READY_ROLE)]

    def selected_ready(self) -> list[ReadyModel]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        names = {item.data(READY_ROLE) for row in rows if (item := self.table.item(row, 0))}
        return [model for model in self.ready if model.name in names]

    def row_of(self, run_id: int) -> int:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item and not item.data(READY_ROLE) and int(item.text()) == run_id:
                return row
        return -1

    def selection_for(self, hint: str, exactly_one: bool = False) -> list[int]:
        """The selected run ids, or none (after emitting `hint` as an error) when they do not fit the action."""
        ids = self.selected_ids()
        if not ids or (exactly_one and len(ids) != 1):
            self.errorRaised.emit(READY_HINT if not ids and self.selected_ready() else hint)
            return []
        return ids

    def rename_selected(self) -> None:
        ids = self.selection_for("Select one run to rename.", exactly_one=True)
        if not ids:
            return
        current = self.registry.get(ids[0]).name
        name, ok = QInputDialog.getText(self, "Rename run", "Name:", text=current)
        if ok and name.strip():
            self.registry.rename(ids[0], name.strip())
            self.refresh()

    def delete_selected(self) -> None:
        ids = self.selection_for("Select the runs to delete.")
        if not ids:
            return
        answer = QMessageBox.question(self, "Delete runs", f"Delete {len(ids)} run(s) with their checkpoints? "
                                      "This cannot be undone.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        for run_id in ids:
            try:
                self.registry.delete(run_id, remove_files=True)
            except UserError as exc:
                self.errorRaised.emit(str(exc))
        self.refresh()

    def export_selected(self) -> None:
        ids = self.selection_for("Select the runs whose metrics to export.")
        if not ids:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export metrics", "metrics.csv", "CSV (*.csv)")
        if path:
            try:
                self.registry.export_csv(ids, path)
            except UserError as exc:
                self.errorRaised.emit(str(exc))

    def resume_selected(self) -> None:
        ids = self.selection_for("Select one stopped, interrupted or failed run to resume.", exactly_one=True)
        if not ids:
            return
        status = self.registry.get(ids[0]).status
        if status not in RESUMABLE:
            self.errorRaised.emit(f"Run {ids[0]} is {status}; only a stopped, interrupted or failed run can be "
                                  "resumed. Start a new run with Train instead.")
            return
        self.resumeRequested.emit(ids[0])

    def watch_selected(self) -> None:
        ids = self.selection_for("Select one running run to watch.", exactly_one=True)
        if ids:
            self.watchRequested.emit(ids[0])

    def stop_selected(self) -> None:
        ids = self.selection_for("Select the running or queued runs to stop.")
        records = [record for record in self.registry.runs() if record.id in ids]
        stoppable = [record.id for record in records if record.active or record.status == "queued"]
        if ids and not stoppable:
            self.errorRaised.emit("None of the selected runs is training or queued; there is nothing to stop.")
        elif stoppable:
            self.stopRequested.emit(stoppable)

    def _parallel_changed(self, count: int) -> None:
        try:
            set_parallel_runs(self.registry, count)
        except UserError as exc:
            self.errorRaised.emit(str(exc))
            return
        self.parallelChanged.emit(count)

    def _open_selected(self) -> None:
        ids, ready = self.selected_ids(), self.selected_ready()
        if len(ids) == 1 and not ready:
            self.openRequested.emit(ids[0])
        elif len(ready) == 1 and not ids:
            self.openReadyRequested.emit(ready[0].name)


def _cells(run: RunRecord) -> list[tuple[str, float | str]]:
    end = run.ended or (time.time() if run.active else run.started or run.created)
    elapsed = max(0.0, end - (run.started or run.created)) if run.status != "queued" else 0.0
    total = int(run.config.get("steps", 0) or 0)
    done = min(1.0, run.steps / total) if total else 0.0
    eta = elapsed / done - elapsed if run.status in ACTIVE_STATUSES and done > 0 else None
    return [
        (str(run.id), float(run.id)), (run.name, run.name.lower()), (run.family, run.family),
        (run.dataset, run.dataset), (run.status, run.status), (str(run.steps), float(run.steps)),
        (f"{100 * done:.0f} %", done), (duration(eta) if eta is not None else "", eta if eta is not None else 1e18),
        _number(run.best_val_nll), _number(run.test_nll), _paper(run.dataset),
        (time.strftime("%H:%M:%S", time.gmtime(elapsed)), elapsed), (run.device, run.device),
    ]


def duration(seconds: float) -> str:
    """m:ss under an hour, then XhMM."""
    seconds = int(max(0, seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}h{seconds % 3600 // 60:02d}"


def _paper(dataset: str) -> tuple[str, float]:
    """The best published test NLL on `dataset`: "79.20 PixelRNN"."""
    published = references_for(dataset)
    return (f"{published[0].nll:.2f} {published[0].model}", published[0].nll) if published else ("", float("inf"))


def published_tooltip(published: list[Reference], test_nll: float | None) -> str:
    """Every published result on the run's data set, with how far the run's test NLL is from each."""
    lines = [f"Published test NLL on {published[0].dataset} (nats per example):"]
    for reference in published:
        gap = f"   yours {test_nll - reference.nll:+.2f}" if test_nll is not None else ""
        lines.append(f"{reference.nll:.2f}  {reference.model} ({reference.detail}), {reference.paper.short}{gap}")
    lines.append(f"This run: {test_nll:.2f}" if test_nll is not None else "This run has no test NLL yet.")
    note = f"Protocol: {published[0].protocol}. {COMPARABILITY.get(published[0].dataset, '')}"
    return "\n".join([*lines, *textwrap.wrap(note, 100)])


def _number(value: float | None) -> tuple[str, float]:
    return ("", float("inf")) if value is None else (f"{value:.4f}", float(value))




def _installed_ready_models() -> list[ReadyModel]:
    """Every ready model (an unavailable one shows why); none when the recipes file itself cannot be read."""
    try:
        return ready_models()
    except UserError:
        return []
