"""The Sweeps tab: start an ordering lab or a scaling sweep, watch its runs finish, read its figure, export both."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from arstudio.atomic import atomic_target
from arstudio.errors import UserError
from arstudio.training.config import TrainConfig
from arstudio.training.run_queue import start_ready
from arstudio.training.run_store import RunStore
from arstudio.training.sweeps import (
    ORDERING_LAB,
    TITLES,
    SweepRow,
    all_ended,
    compute_curves,
    queue_sweep,
    scaling_fit,
    summarize,
    sweep_rows,
    write_sweep_csv,
)
from arstudio.training.sweeps.plan import store_enqueue
from arstudio.ui.sweeps.form import SweepForm
from arstudio.ui.sweeps.plots import SweepPlot
from arstudio.ui.sweeps.table import SweepTable

POLL_MS = 1000
Enqueue = Callable[[TrainConfig, int], int]


class SweepsPanel(QWidget):
    """objectName sweepsPanel. `enqueue(config, sweep_id)` queues one run (the window's training controller, so
    its runs table and plot follow the sweep); without it the panel queues into the store and starts the runs."""

    errorRaised = Signal(str)
    sweepStarted = Signal(int)

    def __init__(self, registry: RunStore, enqueue: Enqueue | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sweepsPanel")
        self.registry = registry
        self.enqueue = enqueue
        self.sweep_id: int | None = None
        self.rows: list[SweepRow] = []
        self.form = SweepForm()
        self.start_button = QPushButton("Start sweep", objectName="sweepStartButton")
        self.start_button.setToolTip("Queue the sweep's runs; they train in their own processes, as many at once as "
                                     "the runs folder allows.")
        self.chooser = QComboBox(objectName="sweepChooser")
        self.chooser.setToolTip("The sweeps in this runs folder, newest first.")
        self.status = QLabel(objectName="sweepStatus", wordWrap=True)
        self.table = SweepTable()
        self.plot = SweepPlot()
        self.csv_button = QPushButton("Export CSV…", objectName="sweepExportCsvButton")
        self.png_button = QPushButton("Export PNG…", objectName="sweepExportPngButton")
        self.timer = QTimer(self, interval=POLL_MS)
        self._build()
        self.start_button.clicked.connect(self.start_sweep)
        self.chooser.activated.connect(lambda _index: self.show_sweep(self.chooser.currentData()))
        self.csv_button.clicked.connect(self.export_csv_dialog)
        self.png_button.clicked.connect(self.export_png_dialog)
        self.timer.timeout.connect(self.refresh)
        self.reload_sweeps()
        if self.chooser.count():
            self.show_sweep(self.chooser.itemData(0))
        else:
            self._sync_buttons()

    def _build(self) -> None:
        left = QVBoxLayout()
        left.addWidget(self.form)
        left.addWidget(self.start_button)
        left.addWidget(QLabel("Show sweep"))
        left.addWidget(self.chooser)
        left.addStretch(1)
        side = QWidget()
        side.setLayout(left)
        side.setMaximumWidth(330)
        exports = QHBoxLayout()
        exports.addWidget(self.status, 1)
        exports.addWidget(self.csv_button)
        exports.addWidget(self.png_button)
        results = QSplitter(Qt.Orientation.Vertical)
        results.addWidget(self.table)
        results.addWidget(self.plot)
        results.setStretchFactor(0, 2)
        results.setStretchFactor(1, 5)
        self.table.setMinimumHeight(120)
        results.setSizes([180, 520])
        right = QVBoxLayout()
        right.addLayout(exports)
        right.addWidget(results, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(side)
        layout.addLayout(right, 1)

    def start_sweep(self) -> int | None:
        """Queue the form's sweep and show it; returns its id (None after a mistake, which errorRaised reports)."""
        try:
            plan = self.form.plan()
            sweep_id = queue_sweep(self.registry, plan, self.enqueue or store_enqueue(self.registry))
            if self.enqueue is None:
                start_ready(self.registry)
        except UserError as exc:
            self.errorRaised.emit(str(exc))
            return None
        self.reload_sweeps()
        self.show_sweep(sweep_id)
        self.sweepStarted.emit(sweep_id)
        return sweep_id

    def reload_sweeps(self) -> None:
        self.chooser.clear()
        for sweep in self.registry.sweeps():
            self.chooser.addItem(f"#{sweep.id} {sweep.name}", sweep.id)
        if self.sweep_id is not None:
            self.chooser.setCurrentIndex(max(0, self.chooser.findData(self.sweep_id)))

    def show_sweep(self, sweep_id: int | None) -> None:
        self.sweep_id = sweep_id
        if sweep_id is not None:
            self.chooser.setCurrentIndex(max(0, self.chooser.findData(sweep_id)))
        self.refresh()

    def refresh(self) -> None:
        """Read the shown sweep from the store; keep polling while any of its runs waits or trains."""
        if self.sweep_id is None:
            self.timer.stop()
            self._sync_buttons()
            return
        try:
            sweep = self.registry.get_sweep(self.sweep_id)
            self.rows = sweep_rows(self.registry, self.sweep_id)
        except UserError as exc:
            self.timer.stop()
            self.errorRaised.emit(str(exc))
            return
        self.table.set_rows(self.rows, sweep.kind)
        summaries = summarize(self.rows)
        if sweep.kind == ORDERING_LAB:
            self.plot.show_ordering(summaries, self.rows)
        else:
            dims = sweep.config.get("dims")
            self.plot.show_scaling(summaries, scaling_fit(self.rows), compute_curves(self.registry, self.rows, dims),
                                   "bits/dim" if dims else "nats per example")
        ended = all_ended(self.rows)
        finished = sum(row.status == "finished" for row in self.rows)
        self.status.setText(f"{TITLES.get(sweep.kind, sweep.kind)} #{sweep.id}: {finished} of {len(self.rows)} "
                            f"runs finished" + ("." if ended else "; the others wait or train."))
        if ended:
            self.timer.stop()
        elif not self.timer.isActive():
            self.timer.start()
        self._sync_buttons()

    @property
    def finished(self) -> bool:
        """Whether every run of the shown sweep has ended."""
        return all_ended(self.rows)

    def export_csv(self, path: str | Path) -> Path:
        if self.sweep_id is None:
            raise UserError("Start or choose a sweep first; then its table can be exported.")
        return write_sweep_csv(self.registry.get_sweep(self.sweep_id), self.rows, path)

    def export_png(self, path: str | Path) -> Path:
        """The figure as drawn now, written atomically."""
        target = Path(path)
        try:
            with atomic_target(target) as tmp:
                if not self.plot.grab().save(str(tmp), "PNG"):
                    raise OSError(f"Qt could not encode {target.name}")
        except OSError as exc:
            raise UserError(f"Cannot write {target}: {exc.strerror or exc}. Choose another file.") from exc
        return target

    def export_csv_dialog(self) -> None:
        self._export("Export the sweep's table", "CSV files (*.csv)", ".csv", self.export_csv)

    def export_png_dialog(self) -> None:
        self._export("Export the sweep's figure", "PNG images (*.png)", ".png", self.export_png)

    def _export(self, title: str, filter_: str, suffix: str, write: Callable[[str], Path]) -> None:
        default = f"sweep-{self.sweep_id}{suffix}"
        path, _ = QFileDialog.getSaveFileName(self, title, default, filter_)
        if not path:
            return
        try:
            written = write(path if path.endswith(suffix) else path + suffix)
        except UserError as exc:
            self.errorRaised.emit(str(exc))
            return
        self.status.setText(f"Wrote {written}.")

    def _sync_buttons(self) -> None:
        has = self.sweep_id is not None
        self.csv_button.setEnabled(has)
        self.png_button.setEnabled(has)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.timer.stop()
        super().closeEvent(event)
