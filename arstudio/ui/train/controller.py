"""The Train tab at work: queue runs, start them in their own processes, watch them, pause and stop them.

Every run trains in a process of its own (`training/run_queue.py`); this window starts queued runs while there
is room, attaches a `RunSession` to every run training on this machine (also those started before it opened,
by another window or by a run that ended), and follows one of them, the *watched* run, in the plot, the
sample preview and the progress bar. The runs table shows them all.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QProgressBar

from arstudio.app.ready_targets import curve_points, target_for
from arstudio.data import dataset_spec
from arstudio.errors import UserError
from arstudio.training.config import TrainConfig
from arstudio.training.events import EvalEvent, NoticeEvent, StatusEvent, StepEvent
from arstudio.training.run_queue import start_ready, threads_per_run
from arstudio.training.run_store import RunStore
from arstudio.training.trainer import TrainSummary
from arstudio.ui.common.signals import connect_all
from arstudio.ui.train.nll_plot import NllPanel, Series
from arstudio.ui.train.runs_panel import RunsPanel, duration
from arstudio.ui.train.sample_preview import SamplePreview
from arstudio.ui.train.session import Preview, RunSession
from arstudio.ui.train.setup_panel import SetupPanel
from arstudio.zoo.catalog import ReadyModel

QUEUE_MILLISECONDS = 1000
"""How often the window looks for queued runs to start and runs to attach to."""
RUNS_REFRESH_MILLISECONDS = 2000


class TrainingController(QObject):
    """Signals: message(str) a line for the status bar, errorRaised(str) a mistake or a run's fault to show,
    runningChanged(bool) when the watched run starts or ends, runTrained(int) when a run ended with a
    checkpoint worth exploring."""

    message = Signal(str)
    errorRaised = Signal(str)
    runningChanged = Signal(bool)
    runTrained = Signal(int)

    def __init__(self, setup: SetupPanel, nll: NllPanel, preview: SamplePreview, runs: RunsPanel,
                 registry: RunStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setup, self.nll, self.preview, self.runs, self.registry = setup, nll, preview, runs, registry
        self.sessions: dict[int, RunSession] = {}
        self.watched: int | None = None
        """The run the plot follows."""
        self.last_session: RunSession | None = None
        self._to_watch: int | None = None
        """A run queued from this window's Train button: watched once it starts."""
        self._drawn = (0, 0)
        """The last train and validation step drawn for the watched run (its stored curve comes first)."""
        self._earlier_pending = False
        self.live_spec = None
        self.progress = QProgressBar(objectName="trainProgress")
        self.progress.setMaximumWidth(260)
        self.progress.hide()
        self.queue_timer = QTimer(self, interval=QUEUE_MILLISECONDS, timeout=self.pump)
        self.runs_timer = QTimer(self, interval=RUNS_REFRESH_MILLISECONDS, timeout=runs.refresh)
        connect_all((setup.trainRequested, self.start_training), (setup.pause_button.toggled, self._pause_toggled),
                    (setup.stop_button.clicked, self.stop), (runs.selectionChanged, self._overlay_runs),
                    (runs.resumeRequested, self.resume_run), (runs.watchRequested, self.watch),
                    (runs.stopRequested, self.stop_runs), (runs.parallelChanged, lambda _: self.pump()))
        self.queue_timer.start()
        self.runs_timer.start()
        self.pump()

    @property
    def session(self) -> RunSession | None:
        """The watched run's session, else the last one watched."""
        return self.sessions.get(self.watched) if self.watched in self.sessions else self.last_session

    # Starting runs.
    def start_training(self, config: TrainConfig, resume_run: int | None = None, title: str = "") -> None:
        """Queue a new run with `config` (or run `resume_run` again) and watch it once it starts."""
        try:
            dataset_spec(config.dataset, **config.dataset_options)
            if resume_run is not None:
                self.registry.requeue(resume_run)
                run_id = resume_run
            else:
                run_id = self.enqueue(config, start=False)
        except UserError as exc:
            self.errorRaised.emit(str(exc))
            return
        self._to_watch = run_id
        self.pump()
        if run_id not in self.sessions:
            ahead = len(self.registry.queued_runs()) - 1
            self.message.emit(f"Run {run_id} is queued: it starts when one of the {len(self.sessions)} training "
                              f"ends" + (f" (after {ahead} more queued)" if ahead > 0 else "") + ".")
        else:
            verb = f"Resuming run {run_id}:" if resume_run is not None else f"Starting run {run_id}:"
            self.message.emit(f"{verb} {title or config.family + ' on ' + config.dataset}…")

    def enqueue(self, config: TrainConfig, sweep_id: int | None = None, start: bool = True) -> int:
        """Queue a run (of a sweep, say) without watching it; it starts when there is room. Returns its id."""
        name = config.name or f"{config.family} on {config.dataset}"
        run_id = self.registry.enqueue_run(name, config.family, config.dataset, config.hparams, config.to_json(),
                                           sweep_id=sweep_id)
        if start:
            self.pump()
        self.runs.refresh()
        return run_id

    def resume_run(self, run_id: int) -> None:
        """Continue a stopped, interrupted or failed run from its newest checkpoint, with its own settings."""
        try:
            record = self.registry.get(run_id)
            config = TrainConfig.from_json(record.config)
        except UserError as exc:
            self.errorRaised.emit(str(exc))
            return
        self.start_training(config, resume_run=run_id, title=f"#{run_id} {record.name}")

    def pump(self) -> None:
        """Start queued runs while there is room, and attach to every run training on this machine."""
        try:
            for run_id, process in start_ready(self.registry):
                self._attach(run_id, process)
            for record in self.registry.active_runs():
                if record.id not in self.sessions and record.live is not None:
                    self._attach(record.id, None)
        except UserError as exc:
            self.queue_timer.stop()
            self.errorRaised.emit(f"{exc}\n\nThe queue is paused; restart ARStudio to start queued runs.")

    def _attach(self, run_id: int, process) -> None:
        session = RunSession(self.registry, run_id, process, self)
        self.sessions[run_id] = session
        connect_all((session.steps, partial(self._on_steps, run_id)),
                    (session.evaluated, partial(self._on_eval, run_id)),
                    (session.status, partial(self._on_status, run_id)),
                    (session.preview, partial(self._on_preview, run_id)),
                    (session.finished, partial(self._on_finished, run_id)),
                    (session.failed, partial(self._on_failed, run_id)))
        if self._to_watch == run_id or self.watched not in self.sessions:
            self.watch(run_id)
        self._share_cores()
        self.runs.refresh()

    def _share_cores(self) -> None:
        threads = threads_per_run(len(self.sessions))
        for session in self.sessions.values():
            session.set_threads(threads)

    # Watching.
    def watch(self, run_id: int) -> None:
        """Follow run `run_id` (training now) in the plot, the preview and the progress bar."""
        session = self.sessions.get(run_id)
        if session is None:
            self.errorRaised.emit(f"Run {run_id} is not training now; select a running run to watch it.")
            return
        try:
            record = self.registry.get(run_id)
            self.live_spec = dataset_spec(record.dataset, **record.config.get("dataset_options", {}))
        except UserError as exc:
            self.errorRaised.emit(str(exc))
            return
        self.watched, self.last_session, self._to_watch = run_id, session, None
        self.nll.start_live(f"#{run_id} {record.name}", self.live_spec.dims, self.live_spec.levels, record.dataset)
        self._overlay_runs(self.runs.selected_ids())
        self._drawn, self._earlier_pending = (0, 0), True
        self.progress.setRange(0, max(1, int(record.config.get("steps", 1))))
        self.progress.setValue(record.steps)
        self.progress.show()
        self.setup.set_running(True)
        self.setup.pause_button.blockSignals(True)
        self.setup.pause_button.setChecked(record.status == "paused")
        self.setup.pause_button.setText("Resume" if record.status == "paused" else "Pause")
        self.setup.pause_button.blockSignals(False)
        self.runningChanged.emit(True)

    def _draw_earlier_curve(self, run_id: int, before: int) -> None:
        """The watched run's stored points below its first live step, so a resumed or re-attached curve continues."""
        rows = [row for row in self.registry.metrics(run_id) if row.step < before]
        train = [(row.step, row.wall_time, row.nll) for row in rows if row.split == "train"]
        if train:
            self.nll.add_train(train)
        validation = [row for row in rows if row.split == "validation"]
        for row in validation:
            self.nll.add_validation(row.step, row.wall_time, row.nll)
        self._drawn = (train[-1][0] if train else 0, validation[-1].step if validation else 0)

    def _on_steps(self, run_id: int, events: list[StepEvent]) -> None:
        if run_id != self.watched:
            return
        if self._earlier_pending:
            self._earlier_pending = False
            self._draw_earlier_curve(run_id, before=events[0].step)
        fresh = [e for e in events if e.step > self._drawn[0]]
        if not fresh:
            return
        self._drawn = (fresh[-1].step, self._drawn[1])
        self.nll.add_train([(e.step, e.wall_time, e.nll) for e in fresh])
        last = fresh[-1]
        self.progress.setValue(last.step)
        done = last.step / last.total_steps
        eta = last.wall_time / done - last.wall_time if done else 0
        self.progress.setFormat(f"%p%  ETA {duration(eta)}")
        session = self.sessions.get(run_id)
        if session is not None and not session.device:
            session.device = self.registry.get(run_id).device
        device = session.device if session is not None else ""
        self.message.emit(f"run {run_id}  step {last.step}/{last.total_steps}   NLL {last.nll:.4f} nats "
                          f"({last.bpd:.4f} bits/dim)   {last.examples_per_second:,.0f} examples/s   {device}")

    def _on_eval(self, run_id: int, event: EvalEvent) -> None:
        if run_id != self.watched:
            return
        if event.split == "validation":
            if event.step > self._drawn[1]:
                self._drawn = (self._drawn[0], event.step)
                self.nll.add_validation(event.step, event.wall_time, event.nll)
        else:
            self.message.emit(f"run {run_id}: test NLL {event.nll:.4f} nats ({event.bpd:.4f} bits/dim)")

    def _on_status(self, run_id: int, event: StatusEvent | NoticeEvent) -> None:
        if isinstance(event, NoticeEvent):
            self.message.emit(f"run {run_id}: {event.message}")
            return
        if event.status == "paused":
            self.message.emit(f"Run {run_id} paused at step {event.step}")
        self.runs.refresh()

    def _on_preview(self, run_id: int, preview: Preview) -> None:
        if run_id == self.watched and self.live_spec is not None:
            self.preview.show_samples(preview.samples, self.live_spec, preview.step, preview.complete)

    # Controls.
    def stop(self) -> None:
        """Stop the watched run (its checkpoint is kept)."""
        session = self.sessions.get(self.watched) if self.watched is not None else None
        if session is not None:
            self.message.emit(f"Stopping run {self.watched}: saving a checkpoint…")
            session.stop()

    def stop_runs(self, run_ids: list[int]) -> None:
        """Stop these runs: a training one saves its checkpoint, a queued one is cancelled."""
        for run_id in run_ids:
            if run_id in self.sessions:
                self.sessions[run_id].stop()
            elif self.registry.get(run_id).status == "queued":
                self.registry.set_status(run_id, "stopped", "cancelled before it started")
        self.runs.refresh()

    def stop_all(self, cancel_queue: bool = True) -> None:
        if cancel_queue:
            self.stop_runs([record.id for record in self.registry.queued_runs()])
        for session in self.sessions.values():
            session.stop()

    def stop_and_wait(self, milliseconds: int = 60_000) -> None:
        """Cancel the queue, stop every run and block until their checkpoints are saved."""
        self.queue_timer.stop()
        self.stop_all()
        for session in list(self.sessions.values()):
            session.wait(milliseconds)

    def detach_all(self) -> None:
        """Stop watching; the runs train on in their processes (a new window re-attaches)."""
        self.queue_timer.stop()
        for session in self.sessions.values():
            session.detach()
        self.sessions.clear()

    def is_training(self) -> bool:
        """Whether any run trains (or waits to) from this window's point of view."""
        return any(session.is_running() for session in self.sessions.values())

    def _pause_toggled(self, paused: bool) -> None:
        session = self.sessions.get(self.watched) if self.watched is not None else None
        if session is None:
            return
        if paused:
            session.pause()
        else:
            session.resume()
        self.setup.pause_button.setText("Resume" if paused else "Pause")

    # Endings.
    def _on_finished(self, run_id: int, summary: TrainSummary) -> None:
        self._ended(run_id)
        if summary.checkpoint is not None and summary.steps > 0:
            self.runTrained.emit(summary.run_id)
        test = f", test NLL {summary.test_nll:.4f}" if summary.test_nll is not None else ""
        self.message.emit(f"Run {summary.run_id} {summary.status} after {summary.steps} steps{test}")

    def _on_failed(self, run_id: int, message: str) -> None:
        self._ended(run_id)
        self.message.emit(f"Run {run_id} stopped with an error.")
        self.errorRaised.emit(message)

    def _ended(self, run_id: int) -> None:
        self.sessions.pop(run_id, None)
        self._share_cores()
        if run_id == self.watched:
            self.watched = None
            self.setup.set_running(False)
            self.setup.pause_button.setText("Pause")
            self.progress.hide()
            self.runningChanged.emit(False)
        self.pump()
        self.runs.refresh()

    def _overlay_runs(self, run_ids: list[int]) -> None:
        """The selected runs and ready models, and the ready model the watched run is held against (its target)."""
        overlays = [series for run_id in run_ids if (series := self._run_series(run_id)) is not None]
        ready = list(self.runs.selected_ready())
        if (target := self._target()) is not None and target.name not in {model.name for model in ready}:
            ready.append(target)
        self.nll.set_overlays(overlays + [series for model in ready if (series := ready_series(model)) is not None])

    def _target(self) -> ReadyModel | None:
        if self.watched is None:
            return None
        try:
            record = self.registry.get(self.watched)
        except UserError:
            return None
        return target_for(record.family, record.dataset, record.hparams, self.runs.ready)

    def _run_series(self, run_id: int) -> Series | None:
        """A run's curves from the store, or None when its data set is gone."""
        try:
            run = self.registry.get(run_id)
            spec = dataset_spec(run.dataset, **run.config.get("dataset_options", {}))
        except UserError:
            return None
        series = Series(f"#{run.id} {run.name}", spec.dims, "", run.dataset)
        for row in self.registry.metrics(run_id):
            point = (row.step, row.wall_time, row.nll)
            if row.split == "train":
                series.train.append(point)
            elif row.split == "validation":
                series.validation.append(point)
        return series



def ready_series(model: ReadyModel) -> Series | None:
    """A ready model's training curve from its card, labelled as the target it is."""
    try:
        spec = dataset_spec(model.recipe.config.dataset, **model.recipe.config.dataset_options)
    except UserError:
        return None
    return Series(f"ready: {model.name}", spec.dims, "", model.recipe.config.dataset,
                  curve_points(model, "train"), curve_points(model, "validation"))
