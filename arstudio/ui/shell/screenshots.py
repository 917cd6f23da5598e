"""`arstudio screenshot`: drive the real window offscreen through the five-minute tour and save PNGs.

Each panel is shown as a person would see it after the tour's step: a run trained through the Train
button, a half-erased digit completed by PixelCNN, a generated tone clip, and text strategies side by
side. Runs and settings go to a temporary folder unless a runs folder is given, so a person's own
runs and window settings are never touched. The docs' screenshots are made with this command.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arstudio.errors import UserError

INSIDE_SHOTS = ("inside-masks", "inside-field", "inside-wavenet-field", "inside-attention", "inside-surprisal",
                "inside-chain", "inside-hand", "inside-beam", "inside-order")
"""The Inside view's steps (arstudio.ui.shell.inside_tour): each shows one part on a ready model."""
PANELS = ("window", "train", "images", "audio", "text", *INSIDE_SHOTS)
THEMES = ("light", "dark")
DEFAULT_SIZE = (1280, 800)


@dataclass(frozen=True)
class TourRun:
    """What one tour step trains: a family on a data set, sized for the profile."""

    family: str
    dataset: str
    steps: int
    hparams: dict[str, Any] = field(default_factory=dict)
    dataset_options: dict[str, Any] = field(default_factory=dict)
    batch_size: int | None = None


PROFILES: dict[str, dict[str, TourRun]] = {
    "docs": {
        "train": TourRun("made", "binary-digits", 1500),
        "images": TourRun("pixelcnn", "binary-digits", 600, batch_size=64),
        "audio": TourRun("wavenet", "tones", 150, {"residual_channels": 24, "dilation_channels": 24,
                                                    "skip_channels": 48, "layers_per_cycle": 9, "cycles": 1}),
        "text": TourRun("transformer", "pydocs", 400, {"d_model": 96, "layers": 2, "heads": 4},
                        {"context": 96}, batch_size=48),
    },
    "quick": {
        "train": TourRun("made", "binary-digits", 60, {"hidden": 32}),
        "images": TourRun("pixelcnn", "binary-digits", 10, {"channels": 8, "layers": 2}, batch_size=16),
        "audio": TourRun("wavenet", "tones", 3, {"residual_channels": 8, "dilation_channels": 8, "skip_channels": 8,
                                                  "layers_per_cycle": 4, "cycles": 1}, {"clip_seconds": 0.1}, 2),
        "text": TourRun("transformer", "pydocs", 10, {"d_model": 32, "layers": 1, "heads": 2}, {"context": 32}, 16),
    },
}
"""`docs` trains long enough for pictures worth showing (a few minutes on a laptop CPU); `quick` only
proves every panel renders (tests and the packaged-app check)."""
READY_TOUR = {"images": "pixelcnn-mnist-digits", "audio": "wavenet-spoken-digits", "text": "transformer-pydocs"}
"""The `ready` profile explores these shipped models instead of training (the train step still trains `docs`')."""
PROFILES["ready"] = PROFILES["docs"]


def parse_panels(text: str) -> list[str]:
    panels = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in panels if name not in PANELS]
    if unknown or not panels:
        raise UserError(f"Unknown panel {', '.join(unknown) or '(none)'}: choose from {', '.join(PANELS)}, "
                        "separated by commas.")
    return panels


def parse_size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit() and int(width) >= 640 and int(height) >= 480):
        raise UserError(f"Write the window size as WIDTHxHEIGHT, at least 640x480, got {text!r}.")
    return int(width), int(height)


def take_screenshots(out_dir: str | Path, panels: list[str], profile: str = "docs", theme: str = "light",
                     size: tuple[int, int] = DEFAULT_SIZE, runs_dir: str | Path | None = None,
                     log: Callable[[str], None] = print) -> list[Path]:
    """Open the window offscreen, walk the tour for each panel asked for, save `<out_dir>/<panel>.png`."""
    if profile not in PROFILES:
        raise UserError(f"Unknown profile {profile!r}: choose one of {', '.join(PROFILES)}.")
    if theme not in THEMES:
        raise UserError(f"Unknown theme {theme!r}: choose one of {', '.join(THEMES)}.")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Cannot create the folder {out}: {exc.strerror}. Choose a folder you can write to.") from exc
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        import PySide6.QtWidgets  # noqa: F401
    except ImportError as exc:
        raise UserError(f"Qt could not be loaded ({exc}). Install the Qt runtime libraries (see the README's "
                        "Troubleshooting).") from exc
    with tempfile.TemporaryDirectory(prefix="arstudio-screens-") as scratch:
        tour = _Tour(Path(runs_dir) if runs_dir else Path(scratch) / "runs", Path(scratch) / "settings.ini",
                     PROFILES[profile], theme, size, log, READY_TOUR if profile == "ready" else {})
        try:
            return [tour.shoot(panel, out / f"{panel}.png") for panel in panels]
        finally:
            tour.close()


class _Tour:
    def __init__(self, runs_dir: Path, settings_file: Path, runs: dict[str, TourRun], theme: str,
                 size: tuple[int, int], log: Callable[[str], None], ready: dict[str, str] | None = None) -> None:
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        from arstudio.ui.shell.identity import configure_application_identity
        from arstudio.ui.shell.main_window import MainWindow
        from arstudio.ui.shell.theme import apply_theme

        self.app = QApplication.instance() or QApplication(["arstudio"])
        configure_application_identity()
        apply_theme(self.app, theme)
        self.runs, self.log, self.ready = runs, log, ready or {}
        self.inside_models: dict[str, Any] = {}
        self.window = MainWindow(runs_dir=runs_dir, settings=QSettings(str(settings_file),
                                                                       QSettings.Format.IniFormat))
        self.window.resize(*size)
        self.window.show()
        self._settle()

    def shoot(self, panel: str, path: Path) -> Path:
        self.log(f"{panel}: preparing…")
        if panel in INSIDE_SHOTS:
            from arstudio.ui.shell.inside_tour import show_inside

            show_inside(self.window, panel, self._wait, self.inside_models)
            self._check_no_error()
        else:
            getattr(self, f"_show_{panel}")()
        self._settle()
        if not self.window.grab().save(str(path)):
            raise UserError(f"Could not write {path}. Check the folder is writable.")
        self.log(f"{panel}: wrote {path}")
        return path

    def close(self) -> None:
        window = self.window
        if window.is_training():
            window.training.stop_and_wait()
        busy = ((window.image_panel, window.image_panel.is_running()),
                (window.audio_panel, window.audio_panel.is_generating()),
                (window.text_panel, window.text_panel.is_busy()))
        for panel, running in busy:
            if running:
                panel.cancel()
        window.close()
        window.deleteLater()
        self._settle()

    # Tour steps.
    def _show_window(self) -> None:
        self.window.tabs.setCurrentIndex(0)

    def _show_train(self) -> None:
        run = self.runs["train"]
        setup = self.window.setup
        setup.select(run.family, run.dataset, run.hparams or None)
        setup.steps_spin.setValue(run.steps)
        self.window.tabs.setCurrentIndex(0)
        setup.train_button.click()
        self._wait(lambda: not self.window.is_training(), 600, "training the MADE run")
        self._check_no_error()
        self.window.runs.refresh()

    def _show_images(self) -> None:
        panel = self.window.image_panel
        self._explore("images")
        panel.load_test_image(0 if self.ready else 3)
        panel.apply_quick_mask("bottom half")
        if self.ready:
            panel.controls.labels.select("digit", 7)  # MNIST's first test image is a 7
        panel.controls.count_spin.setValue(8)
        panel.complete()
        self._wait(lambda: not panel.is_running() and not panel.completion.is_animating(), 300, "completing")
        self._check_no_error()

    def _show_audio(self) -> None:
        panel = self.window.audio_panel
        self._explore("audio")
        if self.ready:
            panel.labels.select("digit", 7)
            panel.primer.select("none")
            panel.seconds.setValue(0.9)
        else:
            panel.primer.select("dataset")
            panel.primer.seconds.setValue(0.15)
            panel.seconds.setValue(0.5)
        panel.strategy.select("temperature" if self.ready else "top_p")
        panel.strategy.seed.setValue(1)
        panel.generate()
        self._wait(lambda: not panel.is_generating(), 300, "generating audio")
        self._check_no_error()

    def _show_text(self) -> None:
        panel = self.window.text_panel
        self._explore("text")
        panel.prompt_edit.setPlainText("def ")
        panel.max_tokens.setValue(80)
        panel.generate()
        self._wait(lambda: not panel.is_busy(), 300, "generating text")
        panel.compare()
        self._wait(lambda: not panel.is_busy(), 300, "comparing strategies")
        self._check_no_error()

    # Helpers.
    def _explore(self, step: str) -> None:
        """Open the step's ready model (the `ready` profile) or train the step's run, in the exploration panels."""
        if step not in self.ready:
            self.window.explore_run(self._train(step))
            return
        from arstudio.app.model_source import load_checkpoint_model
        from arstudio.zoo.catalog import ready_model

        name = self.ready[step]
        self.window.set_loaded_model(load_checkpoint_model(ready_model(name).checkpoint_path, f"ready: {name}"),
                                     switch=True)

    def _train(self, step: str) -> int:
        """Train the step's model with the engine (not the GUI) and return its run id."""
        from arstudio.training.config import TrainConfig
        from arstudio.training.trainer import Trainer

        run = self.runs[step]
        config = TrainConfig(family=run.family, dataset=run.dataset, hparams=dict(run.hparams),
                             dataset_options=dict(run.dataset_options), steps=run.steps, batch_size=run.batch_size,
                             eval_every=max(1, run.steps // 4), checkpoint_every=run.steps,
                             name=f"tour: {run.family} on {run.dataset}")
        self.log(f"{step}: training {run.family} on {run.dataset} for {run.steps} steps…")
        summary = Trainer(config, self.window.registry).run()
        self.window.runs.refresh()
        return summary.run_id

    def _wait(self, done: Callable[[], bool], seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not done():
            if time.monotonic() > deadline:
                raise UserError(f"Gave up {what} after {seconds:.0f} s; try the quick profile (--quick).")
            self.app.processEvents()
            time.sleep(0.01)

    def _settle(self) -> None:
        """Let layouts, timers and animations run for a moment so the grab shows the final state."""
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.01)

    def _check_no_error(self) -> None:
        if self.window.last_error:
            raise UserError(f"The window reported an error during the tour: {self.window.last_error}")
