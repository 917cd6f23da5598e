"""The Audio exploration panel: generate a clip (optionally primed), watch it grow, play it, save it."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from arstudio.app.model_source import LoadedModel
from arstudio.data import DataSpec
from arstudio.data.export import waveform
from arstudio.errors import UserError
from arstudio.ui.audio.compare_view import AudioCompareView
from arstudio.ui.audio.comparison import AudioComparison
from arstudio.ui.audio.controls import PrimerForm, double_spin, strategy_form
from arstudio.ui.audio.files import ask_primer_path, ask_wav_path, write_wav
from arstudio.ui.audio.generation import ClipGeneration
from arstudio.ui.audio.playback_bar import PlaybackBar
from arstudio.ui.audio.player import AudioPlayer
from arstudio.ui.audio.views import ClipView
from arstudio.ui.common.label_picker import LabelPicker
from arstudio.ui.common.panel import ExplorerPanel, Worker
from arstudio.ui.common.signals import connect_all

REDRAW_SECONDS = 0.1


class AudioPanel(ExplorerPanel):
    """Primer and strategy on the left, waveform and spectrogram on the right, playback below them."""

    no_model_hint = "Open an audio run (for example WaveNet trained on the tones data set) to generate sound here."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("audioPanel", parent)
        self.clip: np.ndarray | None = None
        """What the views show and Play plays: float samples in [-1, 1]."""
        self._drawn_at = 0.0
        self.generation = ClipGeneration(self)
        self.generation.grew.connect(self._on_grew)
        self.generation.ended.connect(self._on_ended)
        self.generation.failed.connect(self._on_failed)
        self.runner = self.generation.runner

        self.hint = QLabel(self.no_model_hint, objectName="audioHint", wordWrap=True)
        self.primer = PrimerForm()
        self.primer.choose_button.clicked.connect(self.choose_primer_file)
        self.strategy = strategy_form()
        self.labels = LabelPicker()
        self.seconds = double_spin(0.01, 600.0, 1.0, 0.25)
        self.seconds.setObjectName("audioLengthSeconds")
        self.seconds.setSuffix(" s")
        self.seconds.setToolTip("Length of the whole clip, primer included.")
        self.generate_button = QPushButton("Generate", objectName="audioGenerateButton")
        self.generate_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", objectName="audioCancelButton", enabled=False)
        self.progress = QProgressBar(objectName="audioProgress", textVisible=True)
        self.progress.setFormat("")
        self.playback = PlaybackBar(AudioPlayer(self))
        bar = self.playback
        self.device_combo, self.rescan_button = bar.device_combo, bar.rescan_button
        self.play_button, self.stop_button, self.loop_check = bar.play_button, bar.stop_button, bar.loop_check
        self.playback_label = bar.playback_label
        self.save_button = QPushButton("Save WAV…", objectName="audioSaveButton")
        self.controls = QWidget()
        column = QVBoxLayout(self.controls)
        column.setContentsMargins(0, 0, 6, 0)
        column.addWidget(self._group("Start from", self.primer))
        column.addWidget(self._group("Generate", self._generate_box()))
        column.addWidget(self._group("Listen and save", self._listen_box()))
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(290)
        scroll.setMaximumWidth(360)

        self.clip_view = ClipView()
        self.waveform, self.spectrogram = self.clip_view.waveform, self.clip_view.spectrogram
        self.result_label = self.clip_view.result_label
        self.compare = AudioCompareView()
        self.strategies = AudioComparison(self.compare, self)
        self.strategies.progressed.connect(self._on_compared_row)
        self.strategies.ended.connect(self._update_enabled)
        self.strategies.failed.connect(self._on_compare_failed)
        self.comparison = self.strategies.queue
        self.results = QTabWidget(objectName="audioResultTabs")
        self.results.addTab(self.clip_view, "Clip")
        self.results.addTab(self.compare, "Strategies")
        body = QHBoxLayout()
        body.addWidget(scroll)
        body.addWidget(self.results, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addLayout(body, 1)

        connect_all(
            (self.generate_button.clicked, self.generate),
            (self.cancel_button.clicked, self.cancel),
            (self.compare.compare_button.clicked, self.compare_strategies),
            (self.compare.cancel_button.clicked, self.cancel),
            (self.compare.playRequested, self.play_compared),
            (self.play_button.clicked, self.play),
            (self.save_button.clicked, self.choose_save_path),
            (self.playback.playingChanged, lambda _: self._update_enabled()),
            (self.playback.playheadMoved, self.clip_view.set_playhead),
            (self.playback.devicesChanged, self._update_enabled),
        )
        self.playback.show_devices()
        self.set_model(None)

    # The clip and the player, as the panel has always shown them.
    @property
    def codes(self) -> np.ndarray | None:
        return self.generation.codes

    @property
    def generated_steps(self) -> int:
        return self.generation.generated_steps

    @property
    def last_seed(self) -> int | None:
        return self.generation.last_seed

    @property
    def player(self) -> AudioPlayer:
        return self.playback.player

    # Layout.
    def _group(self, title: str, content: QWidget) -> QGroupBox:
        box = QGroupBox(title)
        QVBoxLayout(box).addWidget(content)
        return box

    def _generate_box(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Length", self.seconds)
        layout.addLayout(form)
        layout.addWidget(self.labels)
        layout.addWidget(self.strategy)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 1)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        return box

    def _listen_box(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.playback)
        layout.addWidget(self.save_button)
        return box

    # Model.
    def fits(self, spec: DataSpec) -> bool:
        return spec.kind == "audio"

    def misfit_hint(self, loaded: LoadedModel) -> str:
        return (f"{loaded.name} is a {loaded.family} model of {loaded.spec.kind} data, so it cannot make sound. "
                "Train a model on audio (e.g. WaveNet on tones, or your own WAV files) and open that run here.")

    def show_model(self, hint: str) -> None:
        self.player.stop()
        self.primer.set_model(self.loaded)
        self.labels.set_model(self.loaded.model if self.loaded is not None else None)
        self._clear_clip()
        self.hint.setText(hint)
        self.hint.setVisible(self.loaded is None)
        self._update_enabled()

    def workers(self) -> tuple[Worker, ...]:
        return (self.runner, self.comparison)

    def is_generating(self) -> bool:
        return self.is_busy()

    # Generation.
    def generate(self) -> None:
        if self.loaded is None or self.is_busy():
            return
        try:
            config = self.strategy.config()
            primer, length = self._prompt()
            self.generation.start(self.loaded.model, config, primer, length, self.loaded.spec.sample_rate,
                                  self.labels.labels())
        except UserError as exc:
            self.show_error(exc)
            return
        self.player.stop()
        as_class = f" {self.labels.describe()}" if self.labels.model is not None else ""
        self.result_label.setText(f"Generating{as_class} with {config.describe()}…")
        self.progress.setRange(0, length)
        self._show_progress(self.generation.primer_length)
        self._draw()
        self._update_enabled()

    def _on_grew(self) -> None:
        self._show_progress(self.generation.generated_steps)
        if time.monotonic() - self._drawn_at >= REDRAW_SECONDS:
            self._draw()

    def _on_ended(self, summary: str) -> None:
        self._show_progress(self.generation.generated_steps)
        self._draw()
        self._update_enabled()
        self.result_label.setText(summary)

    def _on_failed(self, message: str) -> None:
        self.result_label.setText("Generation failed.")
        self._update_enabled()
        self.show_error(message)

    def _prompt(self) -> tuple[torch.Tensor | None, int]:
        """(primer levels or None, whole length in samples); UserError when the primer fills the length."""
        spec = self.loaded.spec
        primer = self.primer.levels()
        length = int(round(self.seconds.value() * spec.sample_rate))
        primed = 0 if primer is None else len(primer)
        if primed >= length:
            raise UserError(f"The primer ({primed / spec.sample_rate:.3g} s) is as long as the whole clip "
                            f"({length / spec.sample_rate:.3g} s): make the length longer or the primer shorter.")
        return primer, length

    # Strategies side by side.
    def compare_strategies(self) -> None:
        """The same primer, length and seed through every ticked preset, one clip per row."""
        if self.loaded is None or self.is_busy():
            return
        presets = self.compare.chosen()
        try:
            if not presets:
                raise UserError("Tick at least one strategy to compare.")
            seed = self.strategy.config().seed
            primer, length = self._prompt()
            self.strategies.start(self.loaded.model, self.loaded.spec, presets, seed, primer, length,
                                  self.labels.labels())
        except UserError as exc:
            self.show_error(exc)
            return
        self.player.stop()
        self.results.setCurrentWidget(self.compare)
        self.progress.setRange(0, len(presets))
        self._on_compared_row(0, len(presets))
        self._update_enabled()

    def _on_compared_row(self, done: int, total: int) -> None:
        self.progress.setValue(done)
        self.progress.setFormat(f"{done} / {total} strategies")

    def _on_compare_failed(self, message: str) -> None:
        self._update_enabled()
        self.show_error(message)

    # Playback and files.
    def use_player(self, player: AudioPlayer) -> None:
        """Play through `player` from now on (e.g. one with another device query)."""
        self.playback.use_player(player)

    def play(self) -> None:
        if not self.generation.finished or self.clip is None or not len(self.clip):
            return
        self._play(self.clip, follow=True)

    def play_compared(self, row: int) -> None:
        """Play the clip of comparison row `row` through the panel's player."""
        clip = self.compare.clips[row] if 0 <= row < len(self.compare.clips) else None
        if clip is None or not len(clip) or self.loaded is None:
            return
        self._play(clip, follow=False)

    def _play(self, clip: np.ndarray, follow: bool) -> None:
        try:
            self.playback.play(clip, self.loaded.spec.sample_rate, follow)
        except UserError as exc:
            self.show_error(exc)

    def choose_save_path(self) -> None:
        path = ask_wav_path(self)
        if path:
            self.save_wav(path)

    def save_wav(self, path: str | Path) -> Path | None:
        """Write the clip as 16-bit PCM WAV at the model's rate; errors go to errorRaised."""
        if not self.generation.finished or self.codes is None or self.loaded is None:
            self.show_error("There is no finished clip to save yet: generate one first.")
            return None
        try:
            saved = write_wav(self.codes, self.loaded.spec, path)
        except UserError as exc:
            self.show_error(exc)
            return None
        self.result_label.setText(f"{self.result_label.text()} · saved {saved.name}")
        return saved

    def choose_primer_file(self) -> None:
        path = ask_primer_path(self)
        if path:
            self.set_primer_file(path)

    def set_primer_file(self, path: str | Path) -> None:
        try:
            self.primer.set_file(path)
        except UserError as exc:
            self.show_error(exc)

    # View state.
    def _clear_clip(self) -> None:
        self.clip = None
        self.generation.clear()
        self.clip_view.clear_clip(self.loaded.spec.sample_rate if self.loaded is not None else 8000)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.result_label.setText("")

    def _draw(self) -> None:
        generation = self.generation
        if generation.codes is None or self.loaded is None:
            return
        spec = self.loaded.spec
        self.clip = waveform(generation.codes[:generation.generated_steps], spec.levels)
        duration = max(generation.target_length, len(self.clip)) / spec.sample_rate
        self.clip_view.set_clip(self.clip, spec.sample_rate, generation.primer_length, duration)
        self._drawn_at = time.monotonic()

    def _show_progress(self, steps: int) -> None:
        self.progress.setValue(steps)
        seconds = self.generation.seconds
        self.progress.setFormat(f"{seconds(steps)} / {seconds(self.generation.target_length)} s")

    def _update_enabled(self) -> None:
        audio = self.loaded is not None
        running = self.is_busy()
        has_clip = self.generation.finished and not running
        for widget in (self.primer, self.strategy, self.seconds):
            widget.setEnabled(audio and not running)
        self.generate_button.setEnabled(audio and not running)
        self.cancel_button.setEnabled(running)
        self.playback.update_enabled(has_clip)
        self.save_button.setEnabled(has_clip)
        self.compare.compare_button.setEnabled(audio and not running)
        self.compare.cancel_button.setEnabled(self.comparison.is_running())
        tip = self.player.status.message or "Play this strategy's clip through the chosen output device."
        self.compare.set_playable(self.player.status.available, tip, running or self.player.is_playing())
