"""The workbench window: set up a run on the left, watch it learn on the right, compare runs below."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QStatusBar,
    QTabWidget,
    QToolBar,
)

from arstudio import __version__
from arstudio.app.model_source import LoadedModel, load_checkpoint_model, load_run_model
from arstudio.app.warm_up import WarmUp
from arstudio.data import dataset_spec
from arstudio.errors import UserError
from arstudio.training.config import TrainConfig
from arstudio.training.events import EvalEvent, NoticeEvent, StatusEvent, StepEvent
from arstudio.training.run_store import RunStore
from arstudio.training.trainer import TrainSummary
from arstudio.ui.audio.panel import AudioPanel
from arstudio.ui.common.dialogs import show_error
from arstudio.ui.common.fitting_scroll import FittingScrollArea
from arstudio.ui.images.panel import ImagePanel
from arstudio.ui.shell.icons import action_icon, decorate_buttons
from arstudio.ui.shell.identity import configure_application_identity
from arstudio.ui.shell.theme import THEMES, apply_theme
from arstudio.ui.text.panel import TextPanel
from arstudio.ui.train.nll_plot import NllPanel, Series
from arstudio.ui.train.runs_panel import RunsPanel
from arstudio.ui.train.sample_preview import SamplePreview
from arstudio.ui.train.session import Preview, TrainingSession
from arstudio.ui.train.setup_panel import SetupPanel

SHORTCUTS = (("Ctrl+Return", "Train"), ("Esc", "Stop the run"), ("Ctrl+O", "Open a checkpoint"),
             ("Ctrl+Shift+O", "Open data"), ("Ctrl+Q", "Quit"))


class MainWindow(QMainWindow):
    def __init__(self, runs_dir: str | Path | None = None, settings: QSettings | None = None) -> None:
        super().__init__()
        configure_application_identity()
        self.setWindowTitle("ARStudio")
        self.settings = settings or QSettings()
        self.session: TrainingSession | None = None
        self.live_spec = None
        self.last_error = ""
        self.loaded: LoadedModel | None = None
        self.registry = self._open_registry(runs_dir)
        self.warm_up = WarmUp()

        self.setup = SetupPanel()
        self.nll = NllPanel()
        self.preview = SamplePreview()
        self.runs = RunsPanel(self.registry)
        self.tabs = QTabWidget(objectName="mainTabs")
        train_view = QSplitter(Qt.Orientation.Vertical)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.nll)
        top.addWidget(self.preview)
        top.setSizes([700, 300])
        train_view.addWidget(top)
        train_view.addWidget(self.runs)
        train_view.setSizes([480, 220])
        self.tabs.addTab(train_view, "Train")
        self.image_panel = ImagePanel()
        self.audio_panel = AudioPanel()
        self.text_panel = TextPanel()
        self.explorers = {"Images": self.image_panel, "Audio": self.audio_panel, "Text": self.text_panel}
        for title, panel in self.explorers.items():
            self.tabs.addTab(panel, title)
            panel.errorRaised.connect(self.show_error)
        scroll = FittingScrollArea(self.setup)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.setCentralWidget(self.splitter)
        self._build_status_bar()
        self.actions_by_name: dict[str, QAction] = {}
        self._build_menus()
        self._build_toolbar()
        decorate_buttons(self)

        self.setup.trainRequested.connect(self.start_training)
        self.setup.errorRaised.connect(self.show_error)
        self.setup.pause_button.toggled.connect(self._pause_toggled)
        self.setup.stop_button.clicked.connect(self.stop_training)
        self.runs.errorRaised.connect(self.show_error)
        self.runs.selectionChanged.connect(self._overlay_runs)
        self.runs.openRequested.connect(self.explore_run)
        self.runs_timer = QTimer(self, interval=2000, timeout=self.runs.refresh)
        self._restore_settings()

    # Training.
    def start_training(self, config: TrainConfig) -> None:
        if self.session is not None and self.session.is_running():
            self.show_error("A run is already training; stop it first.")
            return
        try:
            spec = dataset_spec(config.dataset, **config.dataset_options)
        except UserError as exc:
            self.show_error(str(exc))
            return
        self.live_spec = spec
        self.nll.start_live(config.name or f"{config.family} on {config.dataset}", spec.dims, spec.levels)
        self.session = TrainingSession(config, str(self.registry.runs_dir), self)
        session = self.session
        session.steps.connect(self._on_steps)
        session.evaluated.connect(self._on_eval)
        session.status.connect(self._on_status)
        session.preview.connect(self._on_preview)
        session.started.connect(self._on_run_started)
        session.finished.connect(self._on_finished)
        session.failed.connect(self._on_failed)
        self.setup.set_running(True)
        self.progress.setRange(0, config.steps)
        self.progress.setValue(0)
        self.progress.show()
        self.status_label.setText(f"Starting {config.family} on {config.dataset}…")
        self.session.start()
        self._sync_run_actions()
        self.runs_timer.start()

    def stop_training(self) -> None:
        if self.session is not None and self.session.is_running():
            self.status_label.setText("Stopping: saving a checkpoint…")
            self.session.stop()

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
        self.nll.add_train([(e.step, e.wall_time, e.nll) for e in events])
        last = events[-1]
        self.progress.setValue(last.step)
        done = last.step / last.total_steps
        elapsed = last.wall_time
        eta = elapsed / done - elapsed if done else 0
        self.progress.setFormat(f"%p%  ETA {_duration(eta)}")
        trainer = self.session.trainer if self.session is not None else None
        device = getattr(trainer, "device", "")
        self.status_label.setText(f"step {last.step}/{last.total_steps}   NLL {last.nll:.4f} nats "
                                  f"({last.bpd:.4f} bits/dim)   {last.examples_per_second:,.0f} examples/s   "
                                  f"{device}")

    def _on_run_started(self, run_id: int) -> None:
        self.runs.refresh()

    def _on_eval(self, event: EvalEvent) -> None:
        if event.split == "validation":
            self.nll.add_validation(event.step, event.wall_time, event.nll)
        else:
            self.status_label.setText(f"test NLL {event.nll:.4f} nats ({event.bpd:.4f} bits/dim)")

    def _on_status(self, event: StatusEvent | NoticeEvent) -> None:
        if isinstance(event, NoticeEvent):
            self.status_label.setText(event.message[:1].upper() + event.message[1:])
            return
        if event.status == "paused":
            self.status_label.setText(f"Paused at step {event.step}")
        self.runs.refresh()

    def _on_preview(self, preview: Preview) -> None:
        if self.live_spec is not None:
            self.preview.show_samples(preview.samples, self.live_spec, preview.step, preview.complete)

    def _on_finished(self, summary: TrainSummary) -> None:
        self._training_ended()
        if summary.checkpoint is not None and summary.steps > 0:
            self._load_quietly(summary.run_id)
        test = f", test NLL {summary.test_nll:.4f}" if summary.test_nll is not None else ""
        self.status_label.setText(f"Run {summary.run_id} {summary.status} after {summary.steps} steps{test}")

    def _on_failed(self, message: str) -> None:
        self._training_ended()
        self.status_label.setText("The run stopped with an error.")
        self.show_error(message)

    def _training_ended(self) -> None:
        self.setup.set_running(False)
        self.setup.pause_button.setText("Pause")
        self._sync_run_actions()
        self.progress.hide()
        self.runs_timer.stop()
        self.runs.refresh()

    # Runs.
    def _overlay_runs(self, run_ids: list[int]) -> None:
        overlays = []
        for run_id in run_ids:
            try:
                run = self.registry.get(run_id)
                spec = dataset_spec(run.dataset, **run.config.get("dataset_options", {}))
            except UserError:
                continue
            series = Series(f"#{run.id} {run.name}", spec.dims, "")
            for row in self.registry.metrics(run_id):
                point = (row.step, row.wall_time, row.nll)
                if row.split == "train":
                    series.train.append(point)
                elif row.split == "validation":
                    series.validation.append(point)
            overlays.append(series)
        self.nll.set_overlays(overlays)

    # Files.
    def open_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", str(self.registry.runs_dir),
                                              "ARStudio checkpoints (*.json *.safetensors);;All files (*)")
        if not path:
            return
        try:
            loaded = load_checkpoint_model(path)
        except UserError as exc:
            self.show_error(str(exc))
            return
        self.set_loaded_model(loaded, switch=True)

    def explore_run(self, run_id: int) -> None:
        """Load a run's last checkpoint into the exploration panels and show the fitting one."""
        try:
            loaded = load_run_model(self.registry, run_id)
        except UserError as exc:
            self.show_error(str(exc))
            return
        self.set_loaded_model(loaded, switch=True)

    def set_loaded_model(self, loaded: LoadedModel, switch: bool = False) -> None:
        self.loaded = loaded
        for panel in self.explorers.values():
            panel.set_model(loaded)
        self.status_label.setText(f"Exploring {loaded.name}: {loaded.family} on {loaded.spec.kind} data")
        if switch and not self.is_training() and loaded.dataset:
            self.setup.select(loaded.family, loaded.dataset, dict(loaded.model.hparams))
        if switch:
            title = {"binary": "Images", "image": "Images", "audio": "Audio", "text": "Text"}[loaded.spec.kind]
            self.tabs.setCurrentWidget(self.explorers[title])

    def _load_quietly(self, run_id: int) -> None:
        try:
            self.set_loaded_model(load_run_model(self.registry, run_id))
        except UserError:
            pass

    def open_data(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open data", "", "Data (*.png *.jpg *.jpeg *.bmp *.npz *.npy "
                                              "*.wav *.flac *.txt *.md *ubyte *.gz);;All files (*)")
        if path:
            self.setup.add_user_data(path)

    # Messages.
    def show_error(self, message: str) -> None:
        self.last_error = message
        self.statusBar().showMessage(message, 10_000)
        show_error(self, message)

    def show_about(self) -> None:
        QMessageBox.about(self, "About ARStudio",
                          f"<b>ARStudio {__version__}</b><p>A workbench for learning, training and exploring "
                          "autoregressive models: NADE, MADE, PixelCNN, WaveNet and Transformers.</p>")

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{keys}</b></td><td>{what}</td></tr>" for keys, what in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table cellpadding=4>{rows}</table>")

    # Window.
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.is_training():
            answer = QMessageBox.question(self, "Stop training?", "A run is training. Stop it, keep its checkpoint "
                                          "and quit?")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            self.session.stop()
            self.session.wait()
        self._save_settings()
        self.registry.close()
        event.accept()

    def _open_registry(self, runs_dir: str | Path | None) -> RunStore:
        try:
            return RunStore(runs_dir)
        except UserError as exc:
            fallback = tempfile.mkdtemp(prefix="arstudio-runs-")
            message = f"{exc}\n\nRuns go to {fallback} for this session."
            QTimer.singleShot(0, lambda: self.show_error(message))
            return RunStore(fallback)

    def _build_status_bar(self) -> None:
        bar = QStatusBar(objectName="statusBar")
        self.setStatusBar(bar)
        self.status_label = QLabel("Ready: press Train to fit the default model to the default data.")
        self.progress = QProgressBar(objectName="trainProgress")
        self.progress.setMaximumWidth(260)
        self.progress.hide()
        bar.addWidget(self.status_label, 1)
        bar.addPermanentWidget(self.progress)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "open", "Open &checkpoint…", self.open_checkpoint, QKeySequence.StandardKey.Open,
                     "open-checkpoint")
        self._action(file_menu, "data", "Open &data…", self.open_data, "Ctrl+Shift+O", "open-data")
        file_menu.addSeparator()
        self._action(file_menu, "quit", "&Quit", self.close, QKeySequence.StandardKey.Quit)
        run_menu = self.menuBar().addMenu("&Run")
        self._action(run_menu, "train", "&Train", self.setup.request_training, "Ctrl+Return", "train")
        self._action(run_menu, "pause", "&Pause", self.setup.pause_button.toggle, None, "pause")
        self._action(run_menu, "stop", "&Stop", self.stop_training, "Esc", "stop")
        self._build_view_menu(self.menuBar().addMenu("&View"))
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "shortcuts", "&Keyboard shortcuts", self.show_shortcuts)
        self._action(help_menu, "about", "&About ARStudio", self.show_about)
        self._sync_run_actions()

    def _build_view_menu(self, menu) -> None:
        themes = menu.addMenu("&Theme")
        group = QActionGroup(self, exclusive=True)
        current = self.settings.value("view/theme", "system", str)
        for name in THEMES:
            action = QAction(name.capitalize(), self, checkable=True, checked=name == current)
            action.triggered.connect(lambda _checked=False, theme=name: self.set_theme(theme))
            group.addAction(action)
            themes.addAction(action)
            self.actions_by_name[f"theme-{name}"] = action

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main", self, objectName="mainToolBar", movable=False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for name in ("train", "pause", "stop", None, "open", "data"):
            if name is None:
                bar.addSeparator()
            else:
                bar.addAction(self.actions_by_name[name])
        self.addToolBar(bar)

    def _action(self, menu, name: str, text: str, slot, shortcut=None, icon: str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            action.setIcon(action_icon(icon))
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        self.actions_by_name[name] = action
        return action

    def _sync_run_actions(self) -> None:
        running = self.is_training()
        self.actions_by_name["train"].setEnabled(not running)
        self.actions_by_name["pause"].setEnabled(running)
        self.actions_by_name["stop"].setEnabled(running)

    def set_theme(self, name: str) -> None:
        """Restyle the application now and remember the choice ("system", "light" or "dark")."""
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, name)
        self.settings.setValue("view/theme", name)
        self.actions_by_name[f"theme-{name}"].setChecked(True)

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        try:
            state = json.loads(self.settings.value("setup/state", "", str) or "{}")
        except json.JSONDecodeError:
            state = {}
        if isinstance(state, dict):
            self.setup.restore(state)

    def _save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("setup/state", json.dumps(self.setup.state()))


def _duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}h{seconds % 3600 // 60:02d}"
