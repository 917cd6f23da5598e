"""The Audio panel, driven like a person would: a tiny trained WaveNet, real PortAudio into ALSA's null device."""

from __future__ import annotations

import math
import os
import re
import wave
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QPushButton, QWidget

from arstudio.app.model_source import LoadedModel
from arstudio.data import DataSpec
from arstudio.data.export import waveform
from arstudio.data.files.audio import read_audio
from arstudio.data.labels import DIGIT_LABELS, LabelSet
from arstudio.data.mulaw import mu_law_encode
from arstudio.errors import UserError
from arstudio.models import build_model
from arstudio.training.config import TrainConfig
from arstudio.training.run_store import RunStore
from arstudio.training.trainer import Trainer
from arstudio.ui import MainWindow
from arstudio.ui.audio.controls import strategy_form
from arstudio.ui.audio.panel import AudioPanel
from arstudio.ui.audio.player import (
    NO_DEVICE_HINT,
    AudioPlayer,
    missing_portaudio_status,
    output_devices,
    playback_status,
    system_devices,
)
from arstudio.ui.audio.views import spectrogram
from tests.test_trainer import TINY_RUNS

LEFT = Qt.MouseButton.LeftButton
RATE = 8000


@pytest.fixture(scope="module")
def null_audio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """sounddevice with PortAudio's ALSA default device going to ALSA's null plugin (silent, no hardware).

    HOME must name the folder with the .asoundrc before PortAudio initialises; if an earlier test
    imported sounddevice, PortAudio is restarted so ALSA reads its configuration again."""
    home = tmp_path_factory.mktemp("audio-home")
    (home / ".asoundrc").write_text("pcm.!default { type null }\n")
    previous = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        import sounddevice
    except OSError as exc:
        pytest.fail(f"PortAudio is missing ({exc}); install it: apt-get install libportaudio2")
    sounddevice._terminate()
    sounddevice._initialize()
    yield sounddevice
    if previous is None:
        os.environ.pop("HOME", None)
    else:
        os.environ["HOME"] = previous
    sounddevice._terminate()
    sounddevice._initialize()


@pytest.fixture(scope="module")
def audio_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A WaveNet trained for a few steps on 50 ms tone clips: (runs folder, run id)."""
    runs = tmp_path_factory.mktemp("audio-runs")
    dataset, hparams, options = TINY_RUNS["wavenet"]
    config = TrainConfig(family="wavenet", dataset=dataset, hparams=hparams, dataset_options=options, steps=6,
                         batch_size=8, device="cpu", eval_every=6, eval_examples=16, checkpoint_every=6)
    registry = RunStore(runs)
    try:
        summary = Trainer(config, registry).run()
    finally:
        registry.close()
    return runs, summary.run_id


@pytest.fixture()
def window(qtbot, tmp_path: Path, null_audio: ModuleType, audio_run: tuple[Path, int]) -> Iterator[MainWindow]:
    runs, run_id = audio_run
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(runs_dir=runs, settings=settings)
    window.show()
    window.explore_run(run_id)
    yield window
    panel = window.audio_panel
    panel.player.stop()
    if panel.is_generating():
        panel.cancel()
        panel.runner.wait()
        panel.comparison.wait()
    window.close()
    window.deleteLater()


def audio_panel(window: MainWindow) -> AudioPanel:
    panel = window.findChild(QWidget, "audioPanel")
    assert isinstance(panel, AudioPanel)
    return panel


def generate(panel: AudioPanel, qtbot, seconds: float, primer: str = "none", primer_seconds: float = 0.0,
             strategy: str = "top_p", seed: int = 1) -> None:
    panel.primer.select(primer)
    panel.primer.seconds.setValue(primer_seconds)
    panel.seconds.setValue(seconds)
    panel.strategy.select(strategy)
    panel.strategy.seed.setValue(seed)
    qtbot.mouseClick(panel.findChild(QPushButton, "audioGenerateButton"), LEFT)
    qtbot.waitUntil(lambda: not panel.is_generating(), timeout=120_000)


def test_generate_grows_live_then_plays_through_portaudio_and_saves_a_wav(window, qtbot, tmp_path: Path) -> None:
    panel = audio_panel(window)
    assert window.tabs.currentWidget() is panel and panel.hint.isHidden()
    primer_steps, total = 160, 6000
    clip = panel.primer.examples()[1, :primer_steps]
    panel.primer.select("dataset")
    panel.primer.clip.setValue(2)
    panel.primer.seconds.setValue(primer_steps / RATE)
    panel.seconds.setValue(total / RATE)
    panel.strategy.select("top_p")
    panel.strategy.seed.setValue(11)
    shown: list[int] = []
    panel.runner.progress.connect(lambda _: shown.append(panel.waveform.point_count()))
    generate_button = panel.findChild(QPushButton, "audioGenerateButton")
    qtbot.mouseClick(generate_button, LEFT)
    assert panel.is_generating() and not generate_button.isEnabled() and panel.cancel_button.isEnabled()
    assert panel.waveform.point_count() == primer_steps, "the primer shows at once"
    qtbot.waitUntil(lambda: not panel.is_generating(), timeout=120_000)

    assert window.last_error == ""
    assert any(primer_steps < count < total for count in shown), f"the waveform did not grow live: {shown}"
    assert shown == sorted(shown)
    assert len(panel.codes) == total and np.array_equal(panel.codes[:primer_steps], clip.numpy())
    assert panel.waveform.point_count() == total
    assert panel.spectrogram.frames == pytest.approx(total / 64, abs=4)
    assert panel.progress.value() == panel.progress.maximum() == total
    assert "seed 11" in panel.result_label.text() and "log-likelihood" in panel.result_label.text()
    assert re.search(r"made in \d+\.\d s, \d+\.\dx (faster|slower) than real time", panel.result_label.text())
    assert generate_button.isEnabled() and not panel.cancel_button.isEnabled()

    play = panel.findChild(QPushButton, "playButton")
    assert play.isEnabled() and panel.device_combo.count() >= 1
    with qtbot.waitSignal(panel.player.finished, timeout=20_000):
        qtbot.mouseClick(play, LEFT)
    assert panel.player.frames_played == total and not panel.player.is_playing()
    assert play.isEnabled() and not panel.stop_button.isEnabled()

    panel.loop_check.setChecked(True)
    qtbot.mouseClick(play, LEFT)
    assert panel.player.is_playing() and panel.stop_button.isEnabled() and not play.isEnabled()
    qtbot.waitUntil(lambda: panel.player.loops >= 2, timeout=20_000)
    qtbot.mouseClick(panel.stop_button, LEFT)
    assert not panel.player.is_playing() and panel.player.frames_played >= 2 * total and play.isEnabled()

    saved = panel.save_wav(tmp_path / "clip.wav")
    with wave.open(str(saved), "rb") as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (1, 2, RATE)
        pcm = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    expected = (waveform(panel.codes, 256) * 32767).astype("<i2")
    assert len(pcm) == total and np.array_equal(pcm, expected)


def test_the_same_seed_gives_the_same_clip_and_random_seeds_can_be_typed_back(window, qtbot) -> None:
    panel = audio_panel(window)
    generate(panel, qtbot, 0.05, strategy="top_k", seed=5)
    first = panel.codes.copy()
    generate(panel, qtbot, 0.05, strategy="top_k", seed=5)
    assert np.array_equal(first, panel.codes) and len(first) == 400 and panel.last_seed == 5
    generate(panel, qtbot, 0.05, strategy="top_k", seed=-1)
    drawn, clip = panel.last_seed, panel.codes.copy()
    assert panel.strategy.seed.text() == "random" and f"seed {drawn}" in panel.result_label.text()
    generate(panel, qtbot, 0.05, strategy="top_k", seed=drawn)
    assert panel.strategy.seed.value() == drawn and np.array_equal(clip, panel.codes)
    assert window.last_error == ""


def test_compare_strategies_gives_a_playable_clip_per_preset(window, qtbot) -> None:
    panel = audio_panel(window)
    panel.seconds.setValue(0.05)
    panel.strategy.seed.setValue(3)
    defaults = ["greedy", "beam 4", "temperature 0.7", "top-k 40", "top-p 0.9", "min-p 0.05", "typical 0.9"]
    assert [p.name for p in panel.compare.chosen()] == defaults
    grid = panel.findChild(QWidget, "audioCompareGrid")
    qtbot.mouseClick(panel.findChild(QPushButton, "audioCompareButton"), LEFT)
    assert panel.is_generating() and panel.cancel_button.isEnabled() and not panel.generate_button.isEnabled()
    assert panel.results.currentWidget() is panel.compare and grid.isVisible()
    qtbot.waitUntil(lambda: not panel.is_generating(), timeout=60_000)

    assert window.last_error == "" and panel.compare.filled() == len(defaults)
    assert [label.text().split("</b>")[0].removeprefix("<b>") for label in panel.compare.names] == defaults
    assert all(len(clip) == 400 and np.isfinite(clip).all() for clip in panel.compare.clips)
    assert all(math.isfinite(nats) and nats <= 0 for nats in panel.compare.nats)
    assert all("nats/sample" in m.text() and "bits/sample" in m.text() for m in panel.compare.metrics)
    clips = panel.compare.clips
    assert any(not np.array_equal(clips[0], clip) for clip in clips[1:]), "every strategy made the same clip"
    assert "seed 3" in panel.compare.status.text() and panel.progress.value() == len(defaults)

    plays = grid.findChildren(QPushButton, "audioComparePlayButton")
    assert len(plays) == len(defaults) and all(button.isEnabled() for button in plays)
    heads: list[bool] = []
    panel.player.positionChanged.connect(lambda _: heads.append(panel.waveform.playhead.isVisible()))
    with qtbot.waitSignal(panel.player.finished, timeout=20_000):
        qtbot.mouseClick(plays[2], LEFT)
    assert panel.player.frames_played == 400 and window.last_error == ""
    assert heads and not any(heads), "a compared clip moves no playhead over the Clip tab's plots"

    panel.use_player(AudioPlayer(panel, query=lambda: []))
    assert not any(button.isEnabled() for button in plays) and plays[0].toolTip() == NO_DEVICE_HINT


def test_cancel_stops_a_strategy_comparison(window, qtbot) -> None:
    panel = audio_panel(window)
    panel.seconds.setValue(30.0)
    qtbot.mouseClick(panel.findChild(QPushButton, "audioCompareButton"), LEFT)
    qtbot.wait(200)
    qtbot.mouseClick(panel.findChild(QPushButton, "audioCompareCancelButton"), LEFT)
    qtbot.waitUntil(lambda: not panel.is_generating(), timeout=30_000)
    assert panel.compare.filled() == 0 and "cancelled after 0 of 7" in panel.compare.status.text()
    assert panel.compare.compare_button.isEnabled() and panel.generate_button.isEnabled()
    assert window.last_error == ""


def test_cancel_keeps_the_part_generated_so_far(window, qtbot, tmp_path: Path) -> None:
    panel = audio_panel(window)
    panel.seconds.setValue(60.0)
    qtbot.mouseClick(panel.findChild(QPushButton, "audioGenerateButton"), LEFT)
    qtbot.waitUntil(lambda: panel.generated_steps > 1000, timeout=60_000)
    qtbot.mouseClick(panel.findChild(QPushButton, "audioCancelButton"), LEFT)
    qtbot.waitUntil(lambda: not panel.is_generating(), timeout=30_000)
    kept = len(panel.codes)
    assert 1000 < kept < 60 * RATE and panel.waveform.point_count() == kept
    assert panel.result_label.text().startswith("Cancelled")
    assert panel.generate_button.isEnabled() and panel.save_button.isEnabled()
    with wave.open(str(panel.save_wav(tmp_path / "partial.wav")), "rb") as reader:
        assert reader.getnframes() == kept


def test_prime_from_a_wav_file_and_bad_input_shows_errors(window, qtbot, tmp_path: Path) -> None:
    panel = audio_panel(window)
    recording = tmp_path / "a440.wav"
    tone = 0.5 * np.sin(2 * math.pi * 440 * np.arange(3200) / 16000)
    with wave.open(str(recording), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes((tone * 32767).astype("<i2").tobytes())
    panel.set_primer_file(recording)
    assert panel.primer.key == "file" and panel.primer.file_label.text() == "a440.wav"
    generate(panel, qtbot, 0.1, primer="file", primer_seconds=0.05, strategy="greedy")
    expected = mu_law_encode(read_audio(recording, RATE))[:400]
    assert window.last_error == "" and np.array_equal(panel.codes[:400], expected) and len(panel.codes) == 800

    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really a wave file")
    panel.set_primer_file(broken)
    assert "Could not read the WAV file broken.wav" in window.last_error
    assert panel.primer.path == recording

    window.last_error = ""
    generate(panel, qtbot, 0.05, primer="file", primer_seconds=0.1)
    assert "as long as the whole clip" in window.last_error and len(panel.codes) == 800

    window.last_error = ""
    generate(panel, qtbot, 0.1, primer="file", primer_seconds=0.02, strategy="min_p")
    assert window.last_error == "" and len(panel.codes) == 800


def test_a_model_of_other_data_shows_a_hint_and_disables_the_controls(window) -> None:
    panel = audio_panel(window)
    nade = build_model("nade", DataSpec("binary", (1, 4, 4), 2), hidden=8)
    panel.set_model(LoadedModel(nade, "tiny nade", Path("nade.json")))
    assert not panel.hint.isHidden() and "cannot make sound" in panel.hint.text()
    for name in ("audioGenerateButton", "playButton", "audioSaveButton"):
        assert not panel.findChild(QPushButton, name).isEnabled(), name
    assert not panel.primer.isEnabled() and not panel.strategy.isEnabled()
    panel.set_model(None)
    assert not panel.hint.isHidden() and "Open an audio run" in panel.hint.text()


def test_without_an_output_device_play_is_off_with_a_message(window, qtbot, null_audio: ModuleType) -> None:
    assert output_devices([]) == []
    assert not playback_status([]).available and "connect" in playback_status([]).message.lower()
    microphone = {"name": "mic", "index": 0, "hostapi": 0, "max_input_channels": 2, "max_output_channels": 0,
                  "default_samplerate": 48000.0}
    assert not playback_status([microphone]).available
    assert "default" in [d.name for d in output_devices(system_devices(null_audio))]
    missing = missing_portaudio_status(OSError("PortAudio library not found"))
    assert not missing.available and "libportaudio2" in missing.message

    panel = audio_panel(window)
    generate(panel, qtbot, 0.05)
    panel.use_player(AudioPlayer(panel, query=lambda: []))
    play = panel.findChild(QPushButton, "playButton")
    assert not play.isEnabled() and play.toolTip() == NO_DEVICE_HINT
    assert not panel.playback_label.isHidden() and panel.playback_label.text() == NO_DEVICE_HINT
    assert panel.device_combo.count() == 0
    assert panel.save_button.isEnabled() and panel.generate_button.isEnabled()
    with pytest.raises(UserError, match="no audio output device"):
        panel.player.play(np.zeros(8, np.float32), RATE)
    generate(panel, qtbot, 0.05)
    assert window.last_error == "" and not play.isEnabled()

    panel.use_player(AudioPlayer(panel))
    assert play.isEnabled() and panel.playback_label.isHidden()
    qtbot.mouseClick(panel.rescan_button, LEFT)
    assert play.isEnabled() and panel.device_combo.currentText().startswith("default")


def test_every_strategy_makes_its_sampler_config(qtbot) -> None:
    form = strategy_form()
    qtbot.addWidget(form)
    form.seed.setValue(3)
    described = {}
    for key in ("sample", "greedy", "top_k", "top_p", "min_p", "typical", "beam"):
        form.select(key)
        config = form.config()
        assert config.seed == 3
        described[key] = config.describe()
    assert described == {"sample": "temperature 1", "greedy": "greedy", "top_k": "top-k 40", "top_p": "top-p 0.9",
                         "min_p": "min-p 0.05", "typical": "typical 0.9", "beam": "beam 4"}
    form.select("top_k")
    assert form.top_k.isVisibleTo(form) and not form.top_p.isVisibleTo(form) and not form.beams.isVisibleTo(form)


def test_spectrogram_puts_a_full_scale_tone_at_its_frequency_and_0_db() -> None:
    tone = np.sin(2 * math.pi * 1000 * np.arange(RATE) / RATE)
    decibels, hop = spectrogram(tone, RATE)
    window = (decibels.shape[1] - 1) * 2
    assert hop == window // 4 and decibels.shape[0] == 1 + (RATE - window) // hop
    peak = decibels.mean(0)
    assert np.argmax(peak) * RATE / window == pytest.approx(1000, abs=RATE / window)
    assert peak.max() == pytest.approx(0.0, abs=0.5)
    assert spectrogram(np.zeros(10), RATE)[0].shape[0] == 1


def test_a_conditional_wavenet_speaks_as_the_digit_and_voice_chosen(window, qtbot) -> None:
    spec = DataSpec("audio", (400,), 256, sample_rate=RATE, labels=(DIGIT_LABELS, LabelSet("voice", ("low", "high"))))
    model = build_model("wavenet", spec, residual_channels=8, dilation_channels=8, skip_channels=8,
                        layers_per_cycle=3, conditional=True)
    panel = audio_panel(window)
    panel.set_model(LoadedModel(model=model, name="conditional", checkpoint=Path("conditional.json")))
    assert panel.labels.isVisible()
    panel.labels.select("digit", "7")
    panel.labels.select("voice", "high")
    generate(panel, qtbot, seconds=0.02)
    codes = torch.from_numpy(panel.codes)[None]
    with torch.no_grad():
        logits = model.sequence_logits(codes, torch.tensor([7, 1]))
    nats = torch.log_softmax(logits, -1).gather(-1, codes[..., None]).sum().item()
    assert f"log-likelihood {nats:,.1f} nats" in panel.result_label.text()
    assert panel.result_label.text() != ""
