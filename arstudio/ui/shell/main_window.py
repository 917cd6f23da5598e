"""The workbench window: set up a run on the left, watch it learn on the right, compare runs below."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QStatusBar,
    QTabWidget,
)

from arstudio.app.model_source import LoadedModel, load_checkpoint_model, load_ready_model, load_run_model
from arstudio.app.warm_up import WarmUp
from arstudio.errors import UserError
from arstudio.training.config import TrainConfig
from arstudio.training.run_store import RunStore
from arstudio.ui.audio.panel import AudioPanel
from arstudio.ui.common.dialogs import show_error
from arstudio.ui.common.fitting_scroll import FittingScrollArea
from arstudio.ui.common.signals import connect_all
from arstudio.ui.images.panel import ImagePanel
from arstudio.ui.inside.panel import InsidePanel
from arstudio.ui.shell.geometry import fit_frame_when_shown, place_window, save_window
from arstudio.ui.shell.help_dialogs import show_about, show_shortcuts
from arstudio.ui.shell.icons import decorate_buttons
from arstudio.ui.shell.identity import configure_application_identity
from arstudio.ui.shell.menus import build_menus, sync_run_actions
from arstudio.ui.shell.theme import apply_theme
from arstudio.ui.sweeps import install_sweeps
from arstudio.ui.text.panel import TextPanel
from arstudio.ui.train.close_prompt import CloseChoice, ask_about_running_runs
from arstudio.ui.train.controller import TrainingController
from arstudio.ui.train.nll_plot import NllPanel
from arstudio.ui.train.runs_panel import RunsPanel
from arstudio.ui.train.sample_preview import SamplePreview
from arstudio.ui.train.session import RunSession
from arstudio.ui.train.setup_panel import SetupPanel

EXPLORER_OF_KIND = {"binary": "Images", "image": "Images", "audio": "Audio", "text": "Text"}


class MainWindow(QMainWindow):
    def __init__(self, runs_dir: str | Path | None = None, settings: QSettings | None = None) -> None:
        super().__init__()
        configure_application_identity()
        self.setWindowTitle("ARStudio")
        self.settings = settings or QSettings()
        self.last_error = ""
        self.loaded: LoadedModel | None = None
        self.registry = self._open_registry(runs_dir)
        self.warm_up = WarmUp()

        self.setup = SetupPanel()
        self.nll = NllPanel()
        self.preview = SamplePreview()
        self.runs = RunsPanel(self.registry)
        self.training = TrainingController(self.setup, self.nll, self.preview, self.runs, self.registry, self)
        self.tabs = QTabWidget(objectName="mainTabs")
        self.tabs.addTab(self._train_view(), "Train")
        self.image_panel = ImagePanel()
        self.audio_panel = AudioPanel()
        self.text_panel = TextPanel()
        self.inside_panel = InsidePanel()
        self.explorers = {"Images": self.image_panel, "Audio": self.audio_panel, "Text": self.text_panel,
                          "Inside": self.inside_panel}
        for title, panel in self.explorers.items():
            self.tabs.addTab(panel, title)
            panel.errorRaised.connect(self.show_error)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(FittingScrollArea(self.setup))
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.setCentralWidget(self.splitter)
        self._build_status_bar()
        self.actions_by_name: dict[str, QAction] = build_menus(self, {
            "open": self.open_checkpoint, "data": self.open_data, "quit": self.close,
            "train": self.setup.request_training, "pause": self.setup.pause_button.toggle, "stop": self.stop_training,
            "shortcuts": lambda: show_shortcuts(self), "about": lambda: show_about(self),
        }, self.settings.value("view/theme", "system", str), self.set_theme)
        self.sweeps = install_sweeps(self)
        self._sync_run_actions(self.is_training())
        decorate_buttons(self)

        connect_all((self.setup.errorRaised, self.show_error), (self.runs.errorRaised, self.show_error),
                    (self.runs.openRequested, self.explore_run), (self.runs.openReadyRequested, self.explore_ready),
                    (self.training.errorRaised, self.show_error),
                    (self.training.message, self.status_label.setText),
                    (self.training.runningChanged, self._sync_run_actions),
                    (self.training.runTrained, self._load_quietly),
                    (self.text_panel.chainRequested, self.open_sampler_chain))
        self._restore_settings()

    def _train_view(self) -> QSplitter:
        """The live NLL plot beside the sample preview, above the runs table."""
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.nll)
        top.addWidget(self.preview)
        top.setSizes([700, 300])
        view = QSplitter(Qt.Orientation.Vertical)
        view.addWidget(top)
        view.addWidget(self.runs)
        view.setSizes([480, 220])
        return view

    # Training.
    @property
    def session(self) -> RunSession | None:
        """The watched (or last watched) run's session."""
        return self.training.session

    def start_training(self, config: TrainConfig) -> None:
        self.training.start_training(config)

    def stop_training(self) -> None:
        self.training.stop()

    def is_training(self) -> bool:
        return self.training.is_training()

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

    def explore_ready(self, name: str) -> None:
        """Load a ready model (see `arstudio zoo`) into the exploration panels and show the fitting one."""
        try:
            ready = next(model for model in self.runs.ready if model.name == name)
            loaded = load_ready_model(ready)
        except (StopIteration, UserError) as exc:
            self.show_error(str(exc) or f"There is no ready model called {name}.")
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
            self.tabs.setCurrentWidget(self.explorers[EXPLORER_OF_KIND[loaded.spec.kind]])

    def open_sampler_chain(self, prompt: str, config: object) -> None:
        """The Text panel's prompt and settings, stage by stage, in the Inside view."""
        self.tabs.setCurrentWidget(self.inside_panel)
        self.inside_panel.open_chain(prompt, config)  # type: ignore[arg-type]

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

    def show_error(self, message: str) -> None:
        self.last_error = message
        self.statusBar().showMessage(message, 10_000)
        show_error(self, message)

    # Window.
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        choice = ask_about_running_runs(self, self.training)
        if choice is CloseChoice.CANCEL:
            event.ignore()
            return
        if choice is CloseChoice.STOP:
            self.status_label.setText("Stopping the runs: saving their checkpoints…")
            self.training.stop_and_wait()
        self.training.detach_all()
        self._save_settings()
        self.registry.close()
        event.accept()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._placed is not None and self.geometry() == self._placed:  # not resized by the caller since
            fit_frame_when_shown(self)  # inside the screen, title bar included
        self._placed = None

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
        bar.addWidget(self.status_label, 1)
        bar.addPermanentWidget(self.training.progress)

    def _sync_run_actions(self, running: bool) -> None:
        sync_run_actions(self.actions_by_name, running)

    def set_theme(self, name: str) -> None:
        """Restyle the application now and remember the choice ("system", "light" or "dark")."""
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, name)
        self.settings.setValue("view/theme", name)
        self.actions_by_name[f"theme-{name}"].setChecked(True)

    def _restore_settings(self) -> None:
        self._placed = place_window(self, self.settings)
        try:
            state = json.loads(self.settings.value("setup/state", "", str) or "{}")
        except json.JSONDecodeError:
            state = {}
        if isinstance(state, dict):
            self.setup.restore(state)

    def _save_settings(self) -> None:
        save_window(self, self.settings)
        self.settings.setValue("setup/state", json.dumps(self.setup.state()))
