"""The Train tab at work: start, pause and stop a run, and follow it in the plot, the sample
preview, the runs table and the status bar's progress bar."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QProgressBar

from arstudio.data import dataset_spec
from arstudio.errors import UserError
from arstudio.training.config import TrainConfig
from arstudio.training.events import EvalEvent, NoticeEvent, StatusEvent, StepEvent
from arstudio.training.run_store import RunStore
from arstudio.training.trainer import TrainSummary
from arstudio.ui.common.signals import connect_all
from arstudio.ui.train.nll_plot import NllPanel, Series
from arstudio.ui.train.runs_panel import RunsPanel
from arstudio.ui.train.sample_preview import SamplePreview
from arstudio.ui.train.session import Preview, TrainingSession
from arstudio.ui.train.setup_panel import SetupPanel

RUNS_REFRESH_MILLISECONDS = 2000


class TrainingController(QObject):
    """Drives one run at a time from the setup panel's buttons.

    Signals: message(str) a line for the status bar, errorRaised(str) a mistake to show,
    runningChanged(bool) when a run starts or ends, runTrained(int) when a run ended with a
    checkpoint worth exploring.
    """

    message = Signal(str)
    errorRaised = Signal(str)
    runningChanged = Signal(bool)
    runTrained = Signal(int)

    def __init__(self, setup: SetupPanel, nll: NllPanel, preview: SamplePreview, runs: RunsPanel,
                 registry: RunStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setup, self.nll, self.preview, self.runs, self.registry = setup, nll, preview, runs, registry
        self.session: TrainingSession | None = None
        self.resumed_run: int | None = None
        """The run being resumed, until its earlier curve is drawn."""
        self.live_spec = None
        self.progress = QProgressBar(objectName="trainProgress")
        self.progress.setMaximumWidth(260)
        self.progress.hide()
        self.runs_timer = QTimer(self, interval=RUNS_REFRESH_MILLISECONDS, timeout=runs.refresh)
        connect_all((setup.trainRequested, self.start_training), (setup.pause_button.toggled, self._pause_toggled),
                 (setup.stop_button.clicked, self.stop), (runs.selectionChanged, self._overlay_runs),
                    (runs.resumeRequested, self.resume_run))

    def resume_run(self, run_id: int) -> None:
        """Continue a stopped or interrupted run from its newest checkpoint, with its own settings."""
        try:
            record = self.registry.get(run_id)
            config = TrainConfig.from_json(record.config)
        except UserError as exc:
            self.errorRaised.emit(str(exc))
            return
        self.start_training(config, resume_run=run_id, title=f"#{run_id} {record.name}")

    def start_training(self, config: TrainConfig, resume_run: int | None = None, title: str = "") -> None:
        """Train a new run with `config`, or continue run `resume_run` (its earlier curve is drawn first)."""
        if self.is_training():
            self.errorRaised.emit("A run is already training; stop it first.")
            return
        try:
            spec = dataset_spec(config.dataset, **config.dataset_options)
        except UserError as exc:
            self.errorRaised.emit(str(exc))
            return
        self.live_spec = spec
        self.nll.start_live(title or config.name or f"{config.family} on {config.dataset}", spec.dims, spec.levels)
        self.resumed_run = resume_run
        self.session = session = TrainingSession(config, str(self.registry.runs_dir), self, resume_run=resume_run)
        connect_all((session.steps, self._on_steps), (session.evaluated, self._on_eval),
                 (session.status, self._on_status), (session.preview, self._on_preview),
                 (session.started, self._on_run_started), (session.finished, self._on_finished),
                 (session.failed, self._on_failed))
        self.setup.set_running(True)
        self.progress.setRange(0, config.steps)
        self.progress.setValue(0)
        self.progress.show()
        verb = f"Resuming run {resume_run}:" if resume_run is not None else "Starting"
        self.message.emit(f"{verb} {config.family} on {config.dataset}…")
        session.start()
        self.runningChanged.emit(True)
        self.runs_timer.start()

    def stop(self) -> None:
        if self.is_training():
            self.message.emit("Stopping: saving a checkpoint…")
            self.session.stop()

    def stop_and_wait(self) -> None:
        """Stop the run and block until its checkpoint is saved."""
        if self.session is not None:
            self.session.stop()
            self.session.wait()

    def is_training(self) -> bool:
        return self.session is not None and self.session.is_running()

    def _pause_toggled(self, paused: bool) -> None:
        if self.session is None:
            return
        if paused:
            self.session.pause()
        else:
            self.session.resume()
        self.setup.pause_button.setText("Resume" if paused else "Pause")

    def _on_steps(self, events: list[StepEvent]) -> None:
        if self.resumed_run is not None:
            self._draw_earlier_curve(self.resumed_run, before=events[0].step)
            self.resumed_run = None
        self.nll.add_train([(e.step, e.wall_time, e.nll) for e in events])
        last = events[-1]
        self.progress.setValue(last.step)
        done = last.step / last.total_steps
        elapsed = last.wall_time
        eta = elapsed / done - elapsed if done else 0
        self.progress.setFormat(f"%p%  ETA {duration(eta)}")
        trainer = self.session.trainer if self.session is not None else None
        device = getattr(trainer, "device", "")
        self.message.emit(f"step {last.step}/{last.total_steps}   NLL {last.nll:.4f} nats ({last.bpd:.4f} bits/dim)"
                          f"   {last.examples_per_second:,.0f} examples/s   {device}")

    def _draw_earlier_curve(self, run_id: int, before: int) -> None:
        """The resumed run's points up to its checkpoint, read from the store, so its curve continues."""
        rows = [row for row in self.registry.metrics(run_id) if row.step < before]
        train = [(row.step, row.wall_time, row.nll) for row in rows if row.split == "train"]
        if train:
            self.nll.add_train(train)
        for row in rows:
            if row.split == "validation":
                self.nll.add_validation(row.step, row.wall_time, row.nll)

    def _on_run_started(self, run_id: int) -> None:
        self.runs.refresh()

    def _on_eval(self, event: EvalEvent) -> None:
        if event.split == "validation":
            self.nll.add_validation(event.step, event.wall_time, event.nll)
        else:
            self.message.emit(f"test NLL {event.nll:.4f} nats ({event.bpd:.4f} bits/dim)")

    def _on_status(self, event: StatusEvent | NoticeEvent) -> None:
        if isinstance(event, NoticeEvent):
            self.message.emit(event.message[:1].upper() + event.message[1:])
            return
        if event.status == "paused":
            self.message.emit(f"Paused at step {event.step}")
        self.runs.refresh()

    def _on_preview(self, preview: Preview) -> None:
        if self.live_spec is not None:
            self.preview.show_samples(preview.samples, self.live_spec, preview.step, preview.complete)

    def _on_finished(self, summary: TrainSummary) -> None:
        self._training_ended()
        if summary.checkpoint is not None and summary.steps > 0:
            self.runTrained.emit(summary.run_id)
        test = f", test NLL {summary.test_nll:.4f}" if summary.test_nll is not None else ""
        self.message.emit(f"Run {summary.run_id} {summary.status} after {summary.steps} steps{test}")

    def _on_failed(self, message: str) -> None:
        self._training_ended()
        self.message.emit("The run stopped with an error.")
        self.errorRaised.emit(message)

    def _training_ended(self) -> None:
        self.setup.set_running(False)
        self.setup.pause_button.setText("Pause")
        self.runningChanged.emit(False)
        self.progress.hide()
        self.runs_timer.stop()
        self.runs.refresh()

    def _overlay_runs(self, run_ids: list[int]) -> None:
        self.nll.set_overlays([series for run_id in run_ids if (series := self._run_series(run_id)) is not None])

    def _run_series(self, run_id: int) -> Series | None:
        """A finished run's curves from the registry, or None when its data set is gone."""
        try:
            run = self.registry.get(run_id)
            spec = dataset_spec(run.dataset, **run.config.get("dataset_options", {}))
        except UserError:
            return None
        series = Series(f"#{run.id} {run.name}", spec.dims, "")
        for row in self.registry.metrics(run_id):
            point = (row.step, row.wall_time, row.nll)
            if row.split == "train":
                series.train.append(point)
            elif row.split == "validation":
                series.validation.append(point)
        return series


def duration(seconds: float) -> str:
    """m:ss under an hour, then XhMM."""
    seconds = int(max(0, seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}h{seconds % 3600 // 60:02d}"
