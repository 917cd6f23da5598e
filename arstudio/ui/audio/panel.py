"""The Audio exploration panel: generate a clip (optionally primed), watch it grow, play it, save it."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from arstudio.app.model_source import LoadedModel
from arstudio.data.export import save_samples, waveform
from arstudio.errors import UserError
from arstudio.sampling import GenerationResult
from arstudio.ui.audio.compare import AudioCompareView, mean_log_likelihood
from arstudio.ui.audio.controls import PrimerForm, StrategyForm, double_spin
from arstudio.ui.audio.player import AudioPlayer
from arstudio.ui.audio.views import SpectrogramView, WaveformView
from arstudio.ui.common.generation_runner import GenerationProgress, GenerationRunner
from arstudio.ui.common.preset_queue import PresetQueue

REDRAW_SECONDS = 0.1
NO_MODEL_HINT = "Open an audio run (for example WaveNet trained on the tones data set) to generate sound here."


class AudioPanel(QWidget):
    """Primer and strategy on the left, waveform and spectrogram on the right, playback below them."""

    errorRaised = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audioPanel")
        self.loaded: LoadedModel | None = None
        self.clip: np.ndarray | None = None
        """What the views show and Play plays: float samples in [-1, 1]."""
        self.codes: np.ndarray | None = None
        """The clip's levels: while generating, a buffer filled up to `generated_steps`; then the final clip."""
        self.finished = False
        """Whether `codes` is a whole clip (generated or cancelled), ready to play and save."""
        self.playing_row: int | None = None
        """The comparison row whose clip is playing; None while the Clip tab's clip plays."""
        self._drawn_at = 0.0
        self._started_at = 0.0
        self.last_seed: int | None = None
        self.primer_length = 0
        self.target_length = 0
        self.generated_steps = 0
        self.runner = GenerationRunner(self)
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.failed.connect(self._on_failed)
        self.comparison = PresetQueue(self)
        self.comparison.rowFinished.connect(self._on_compared_row)
        self.comparison.done.connect(self._on_compared)
        self.comparison.failed.connect(self._on_compare_failed)
        self.compared_primer = self.compared_length = 0
        self.player = AudioPlayer(self)

        self.hint = QLabel(NO_MODEL_HINT, objectName="audioHint", wordWrap=True)
        self.primer = PrimerForm()
        self.primer.choose_button.clicked.connect(self.choose_primer_file)
        self.strategy = StrategyForm()
        self.seconds = double_spin(0.01, 600.0, 1.0, 0.25)
        self.seconds.setObjectName("audioLengthSeconds")
        self.seconds.setSuffix(" s")
        self.seconds.setToolTip("Length of the whole clip, primer included.")
        self.generate_button = QPushButton("Generate", objectName="audioGenerateButton")
        self.generate_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", objectName="audioCancelButton", enabled=False)
        self.progress = QProgressBar(objectName="audioProgress", textVisible=True)
        self.progress.setFormat("")
        self.result_label = QLabel("", objectName="audioResultLabel", wordWrap=True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
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

        self.waveform = WaveformView()
        self.spectrogram = SpectrogramView()
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.waveform)
        plots.addWidget(self.spectrogram)
        clip_tab = QWidget()
        right_layout = QVBoxLayout(clip_tab)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(plots, 1)
        right_layout.addWidget(self.result_label)
        self.compare = AudioCompareView()
        self.results = QTabWidget(objectName="audioResultTabs")
        self.results.addTab(clip_tab, "Clip")
        self.results.addTab(self.compare, "Strategies")
        right = self.results
        body = QHBoxLayout()
        body.addWidget(scroll)
        body.addWidget(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addLayout(body, 1)

        self.generate_button.clicked.connect(self.generate)
        self.cancel_button.clicked.connect(self.cancel)
        self.compare.compare_button.clicked.connect(self.compare_strategies)
        self.compare.cancel_button.clicked.connect(self.cancel)
        self.compare.playRequested.connect(self.play_compared)
        self.play_button.clicked.connect(self.play)
        self.stop_button.clicked.connect(lambda: self.player.stop())
        self.save_button.clicked.connect(self.choose_save_path)
        self.loop_check.toggled.connect(lambda loop: self.player.set_loop(loop))
        self.rescan_button.clicked.connect(lambda: self._show_devices(rescan=True))
        self._connect_player()
        self._show_devices()
        self.set_model(None)

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
        self.device_combo = QComboBox(objectName="audioDeviceCombo")
        self.device_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.device_combo.setMinimumContentsLength(12)
        self.rescan_button = QPushButton("Rescan", objectName="audioRescanButton")
        self.rescan_button.setToolTip("Look for output devices again (after plugging one in).")
        devices = QHBoxLayout()
        devices.addWidget(QLabel("Output"))
        devices.addWidget(self.device_combo, 1)
        devices.addWidget(self.rescan_button)
        self.play_button = QPushButton("Play", objectName="playButton")
        self.stop_button = QPushButton("Stop", objectName="audioStopButton", enabled=False)
        self.loop_check = QCheckBox("Loop", objectName="audioLoopCheck")
        transport = QHBoxLayout()
        transport.addWidget(self.play_button, 1)
        transport.addWidget(self.stop_button)
        transport.addWidget(self.loop_check)
        self.playback_label = QLabel("", objectName="playbackHint", wordWrap=True)
        self.save_button = QPushButton("Save WAV…", objectName="audioSaveButton")
        layout.addLayout(devices)
        layout.addLayout(transport)
        layout.addWidget(self.playback_label)
        layout.addWidget(self.save_button)
        return box

    # Model.
    def set_model(self, loaded: LoadedModel | None) -> None:
        """Show `loaded` (or nothing); controls work only for models of audio."""
        if self.runner.is_running():
            self.runner.cancel()
            self.runner.wait()
        if self.comparison.is_running():
            self.comparison.cancel()
            self.comparison.wait()
        self.player.stop()
        self.loaded = loaded
        self.primer.set_model(loaded if self.is_audio_model() else None)
        self._clear_clip()
        if loaded is None:
            self.hint.setText(NO_MODEL_HINT)
        elif not self.is_audio_model():
            self.hint.setText(f"{loaded.name} is a {loaded.family} model of {loaded.spec.kind} data, so it cannot "
                              "make sound. Train a model on audio (e.g. WaveNet on tones, or your own WAV files) and "
                              "open that run here.")
        self.hint.setVisible(not self.is_audio_model())
        self._update_enabled()

    def is_audio_model(self) -> bool:
        return self.loaded is not None and self.loaded.spec.kind == "audio"

    def is_generating(self) -> bool:
        return self.runner.is_running() or self.comparison.is_running()

    def cancel(self) -> None:
        self.runner.cancel()
        self.comparison.cancel()

    # Generation.
    def generate(self) -> None:
        if not self.is_audio_model() or self.is_generating():
            return
        try:
            config = self.strategy.config()
            primer, length = self._prompt()
            primed = 0 if primer is None else len(primer)
            self.runner.start(self.loaded.model, 1, config, known=primer, length=length)
        except UserError as exc:
            self.errorRaised.emit(str(exc))
            return
        self.player.stop()
        self.primer_length, self.target_length, self.generated_steps = primed, length, primed
        self.codes = np.zeros(length, dtype=np.int64)
        if primer is not None:
            self.codes[:primed] = primer.numpy()
        self.finished = False
        self._started_at = time.monotonic()
        self.result_label.setText(f"Generating with {config.describe()}…")
        self.progress.setRange(0, length)
        self._show_progress(primed)
        self._draw()
        self._update_enabled()

    def _on_progress(self, progress: GenerationProgress) -> None:
        if not progress.records or self.codes is None:
            return
        positions = [record.position for record in progress.records]
        self.codes[positions] = [int(record.values[0]) for record in progress.records]
        self.generated_steps = max(self.generated_steps, positions[-1] + 1)
        self._show_progress(self.generated_steps)
        if time.monotonic() - self._drawn_at >= REDRAW_SECONDS:
            self._draw()

    def _on_finished(self, result: GenerationResult) -> None:
        self._take_result(result, self.target_length)
        samples = self.target_length - self.primer_length
        nats = float(result.log_likelihood[0])
        bits = -nats / math.log(2) / max(self.target_length, 1)
        self.result_label.setText(f"{self._seconds(self.target_length)} s ({samples} new samples) · log-likelihood "
                                  f"{nats:,.1f} nats ({bits:.2f} bits/sample) · seed {result.seed} · "
                                  f"{self._speed(samples)}")

    def _on_cancelled(self, result: GenerationResult) -> None:
        self._take_result(result, self.generated_steps)
        self.result_label.setText(f"Cancelled: kept the first {self._seconds(self.generated_steps)} s · "
                                  f"seed {result.seed}")

    def _on_failed(self, message: str) -> None:
        self.result_label.setText("Generation failed.")
        self._update_enabled()
        self.errorRaised.emit(message)

    # Strategies side by side.
    def compare_strategies(self) -> None:
        """The same primer, length and seed through every ticked preset, one clip per row."""
        if not self.is_audio_model() or self.is_generating():
            return
        spec = self.loaded.spec
        presets = self.compare.chosen()
        try:
            if not presets:
                raise UserError("Tick at least one strategy to compare.")
            seed = self.strategy.config().seed
            primer, length = self._prompt()
            self.comparison.start(self.loaded.model, 1, presets, seed, known=primer, length=length)
        except UserError as exc:
            self.errorRaised.emit(str(exc))
            return
        self.player.stop()
        self.compared_primer, self.compared_length = (0 if primer is None else len(primer)), length
        self.compare.reset(presets)
        self.compare.status.setText(f"{length / spec.sample_rate:.2f} s each · seed {seed}")
        self.results.setCurrentWidget(self.compare)
        self.progress.setRange(0, len(presets))
        self.progress.setValue(0)
        self.progress.setFormat(f"0 / {len(presets)} strategies")
        self._update_enabled()

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

    def _on_compared_row(self, row: int, result: GenerationResult) -> None:
        codes = result.samples[0, :self.compared_length].cpu().numpy()
        nats = mean_log_likelihood(result, self.compared_primer, self.compared_length)
        self.compare.show_row(row, waveform(codes, self.loaded.spec.levels), self.compared_primer, nats)
        done, total = self.compare.filled(), len(self.compare.clips)
        self.progress.setValue(done)
        self.progress.setFormat(f"{done} / {total} strategies")

    def _on_compared(self) -> None:
        done, total = self.compare.filled(), len(self.compare.clips)
        if done < total:
            self.compare.status.setText(f"{self.compare.status.text()} · cancelled after {done} of {total}")
        self._update_enabled()

    def _on_compare_failed(self, message: str) -> None:
        self.compare.status.setText("The comparison failed.")
        self._update_enabled()
        self.errorRaised.emit(message)

    def play_compared(self, row: int) -> None:
        """Play the clip of comparison row `row` through the panel's player."""
        clip = self.compare.clips[row] if 0 <= row < len(self.compare.clips) else None
        if clip is None or not len(clip) or self.loaded is None:
            return
        self._show_playhead(None)
        self.playing_row = row
        try:
            self.player.play(clip, self.loaded.spec.sample_rate, self.device_combo.currentData(),
                             self.loop_check.isChecked())
        except UserError as exc:
            self.errorRaised.emit(str(exc))

    def _take_result(self, result: GenerationResult, length: int) -> None:
        self.last_seed = result.seed
        self.codes = result.samples[0, :length].cpu().numpy()
        self.generated_steps = length
        self.finished = length > 0
        self._show_progress(length)
        self._draw()
        self._update_enabled()

    # Playback and saving.
    def use_player(self, player: AudioPlayer) -> None:
        """Play through `player` from now on (e.g. one with another device query)."""
        self.player.stop()
        self.player.playingChanged.disconnect(self._on_playing_changed)
        self.player.positionChanged.disconnect(self._on_position)
        self.player = player
        self._connect_player()
        self._show_devices()

    def play(self) -> None:
        if not self.finished or self.clip is None or not len(self.clip):
            return
        self.playing_row = None
        try:
            self.player.play(self.clip, self.loaded.spec.sample_rate, self.device_combo.currentData(),
                             self.loop_check.isChecked())
        except UserError as exc:
            self.errorRaised.emit(str(exc))

    def choose_save_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save clip as WAV", "clip.wav", "WAV audio (*.wav)")
        if path:
            self.save_wav(path if path.lower().endswith(".wav") else f"{path}.wav")

    def save_wav(self, path: str | Path) -> Path | None:
        """Write the clip as 16-bit PCM WAV at the model's rate; errors go to errorRaised."""
        if not self.finished or self.codes is None or self.loaded is None:
            self.errorRaised.emit("There is no finished clip to save yet: generate one first.")
            return None
        try:
            saved = save_samples(torch.from_numpy(self.codes[None]), self.loaded.spec, path)
        except UserError as exc:
            self.errorRaised.emit(str(exc))
            return None
        self.result_label.setText(f"{self.result_label.text()} · saved {saved.name}")
        return saved

    def choose_primer_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Prime from a recording", "", "Audio (*.wav *.wave *.flac)")
        if path:
            self.set_primer_file(path)

    def set_primer_file(self, path: str | Path) -> None:
        try:
            self.primer.set_file(path)
        except UserError as exc:
            self.errorRaised.emit(str(exc))

    def _connect_player(self) -> None:
        self.player.playingChanged.connect(self._on_playing_changed)
        self.player.positionChanged.connect(self._on_position)

    def _show_devices(self, rescan: bool = False) -> None:
        status = self.player.refresh(rescan=rescan)
        chosen = self.device_combo.currentData()
        self.device_combo.clear()
        for row, device in enumerate(status.devices):
            self.device_combo.addItem(device.label, device.index)
            self.device_combo.setItemData(row, device.label, Qt.ItemDataRole.ToolTipRole)
        index = self.device_combo.findData(chosen)
        self.device_combo.setCurrentIndex(max(index, 0))
        self.playback_label.setText(status.message)
        self.playback_label.setVisible(bool(status.message))
        tip = status.message or "Play the clip through the chosen output device."
        self.play_button.setToolTip(tip)
        self.device_combo.setToolTip(status.message or "Where the sound goes.")
        self._update_enabled()

    def _on_playing_changed(self, playing: bool) -> None:
        if not playing:
            self._show_playhead(None)
        self._update_enabled()

    def _on_position(self, seconds: float) -> None:
        """The playhead follows the Clip tab's clip only; a compared clip has no place on its plots."""
        if self.playing_row is None:
            self._show_playhead(seconds)

    def _show_playhead(self, seconds: float | None) -> None:
        self.waveform.set_playhead(seconds)
        self.spectrogram.set_playhead(seconds)

    # View state.
    def _clear_clip(self) -> None:
        self.clip, self.codes, self.finished = None, None, False
        self.primer_length = self.target_length = self.generated_steps = 0
        self.waveform.clear_clip()
        self.spectrogram.clear_clip(self.loaded.spec.sample_rate if self.is_audio_model() else 8000)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.result_label.setText("")

    def _draw(self) -> None:
        if self.codes is None or self.loaded is None:
            return
        spec = self.loaded.spec
        self.clip = waveform(self.codes[:self.generated_steps], spec.levels)
        duration = max(self.target_length, len(self.clip)) / spec.sample_rate
        self.waveform.set_clip(self.clip, spec.sample_rate, self.primer_length, duration)
        self.spectrogram.set_clip(self.clip, spec.sample_rate, duration)
        self._drawn_at = time.monotonic()

    def _show_progress(self, steps: int) -> None:
        self.progress.setValue(steps)
        self.progress.setFormat(f"{self._seconds(steps)} / {self._seconds(self.target_length)} s")

    def _speed(self, samples: int) -> str:
        """How long the new samples took, against how long they play."""
        took = time.monotonic() - self._started_at
        plays = samples / (self.loaded.spec.sample_rate if self.loaded is not None else 1)
        if plays >= took:
            return f"made in {took:.1f} s, {plays / max(took, 1e-9):.1f}x faster than real time"
        return f"made in {took:.1f} s, {took / max(plays, 1e-9):.1f}x slower than real time"

    def _seconds(self, steps: int) -> str:
        rate = self.loaded.spec.sample_rate if self.loaded is not None else 1
        return f"{steps / rate:.2f}"

    def _update_enabled(self) -> None:
        audio = self.is_audio_model()
        running = self.is_generating()
        playing = self.player.is_playing()
        has_clip = self.finished and not running
        for widget in (self.primer, self.strategy, self.seconds):
            widget.setEnabled(audio and not running)
        self.generate_button.setEnabled(audio and not running)
        self.cancel_button.setEnabled(running)
        can_play = self.player.status.available
        self.device_combo.setEnabled(can_play and not playing)
        self.rescan_button.setEnabled(not playing)
        self.play_button.setEnabled(can_play and has_clip and not playing)
        self.stop_button.setEnabled(playing)
        self.save_button.setEnabled(has_clip)
        self.compare.compare_button.setEnabled(audio and not running)
        self.compare.cancel_button.setEnabled(self.comparison.is_running())
        tip = self.player.status.message or "Play this strategy's clip through the chosen output device."
        self.compare.set_playable(can_play, tip, running or playing)
