"""The spoken-digits data set: espeak-ng's words zero to nine, 8 kHz mu-law, labelled with digit and voice.

The tests that synthesise run the real espeak-ng (skipped where it is not installed; CI installs it, so there a
missing espeak-ng fails). The error tests put an empty folder, or a stand-in script for the external program, on PATH.
"""

from __future__ import annotations

import os
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from arstudio.data import DATASETS, SPLITS, DataSpec, Examples, cache_dir, dataset_spec, load_dataset
from arstudio.data import spoken_digits as sd
from arstudio.data.labels import DIGIT_LABELS, LabelSet
from arstudio.data.mulaw import mu_law_decode
from arstudio.errors import UserError

SMALL = 40
"""Four takes: every digit four times, in the first four voices."""
RATE = sd.SAMPLE_RATE
LEAD = round(sd.LEAD_SECONDS * RATE)
ESPEAK = shutil.which("espeak-ng")
MISSING = "espeak-ng is not installed (Debian/Ubuntu: sudo apt install espeak-ng; see the README's set-up)"


def _needs_espeak() -> None:
    if ESPEAK is None:
        if os.environ.get("CI"):
            pytest.fail(f"{MISSING}; CI installs it, so this must not be skipped there")
        pytest.skip(MISSING)


needs_espeak = pytest.mark.skipif(ESPEAK is None and not os.environ.get("CI"), reason=MISSING)


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("ARSTUDIO_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Examples:
    """The clips and labels of the small variant, built once for the module in a home of its own."""
    _needs_espeak()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARSTUDIO_HOME", str(tmp_path_factory.mktemp("spoken-home")))
        examples = sd.build_spoken_digits(count=SMALL)
    return examples


def _empty_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def _fake_espeak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    """A script named espeak-ng first on PATH, standing in for the external program."""
    folder = tmp_path / "fake-bin"
    folder.mkdir()
    script = folder / "espeak-ng"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")


def test_the_spec_is_cheap_needs_no_espeak_and_names_digit_and_voice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _home: Path
) -> None:
    _empty_path(tmp_path, monkeypatch)
    spec = dataset_spec("spoken-digits")
    assert spec == DataSpec("audio", (7200,), 256, sample_rate=8000, labels=(DIGIT_LABELS, sd.VOICE_LABELS))
    assert dataset_spec("spoken-digits", clip_seconds=0.5, count=20).shape == (4000,)
    assert [s.name for s in spec.labels] == ["digit", "voice"]
    assert sd.VOICE_LABELS == LabelSet("voice", sd.VOICES) and sd.VOICE_LABELS.size == 12
    assert spec.labels[1].index("en-us+f1") == 3
    assert DATASETS["spoken-digits"].options == {"count": 3000, "clip_seconds": 0.9}
    description = DATASETS["spoken-digits"].description
    assert "espeak-ng" in description and "not recordings" in description and "8 kHz" in description
    assert not (_home / "cache").exists() or not any((_home / "cache").iterdir())


@pytest.mark.parametrize(
    ("options", "message"),
    [({"count": 5}, "count must be between 10"), ({"clip_seconds": 0.1}, "clip_seconds must be between"),
     ({"count": 10**7}, "count must be between"), ({"voices": 3}, "no option 'voices'")],
)
def test_bad_options_say_what_is_valid(options: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        dataset_spec("spoken-digits", **options)


def test_no_rendering_repeats_and_every_digit_and_voice_takes_turns() -> None:
    every = sd.takes(sd.MAX_COUNT)
    assert len(every) * len(sd.WORDS) == sd.MAX_COUNT
    assert len({(t.voice, t.speed, t.pitch) for t in every}) == len(every)
    assert all(t.speed in sd.SPEEDS and t.pitch in sd.PITCHES for t in every)
    first = sd.takes(120)
    assert [t.voice for t in first] == list(range(12))
    assert sd.takes(120) == first and sd.takes(3000)[:12] == first
    speeds = {t.speed for t in sd.takes(3000)}
    assert len(speeds) > 10, "speeds vary from take to take"


def test_word_spans_cut_at_the_pauses_and_not_inside_a_word() -> None:
    rate = 22050
    t = np.arange(int(0.3 * rate)) / rate
    word = np.sin(2 * np.pi * 150 * t) * np.hanning(len(t)) * 0.5
    gap, closure = np.zeros(rate), np.zeros(int(0.15 * rate))
    two_words = np.concatenate([gap[:2000], word, gap, word, closure, word, gap[:3000]])
    spans = sd.word_spans(two_words, rate)
    assert len(spans) == 2
    (a, b), (c, d) = spans
    assert abs(a - 2000) < 0.01 * rate and b - a < 0.35 * rate
    assert d - c > 0.7 * rate, "a stop closure of 0.15 s does not cut a word in two"


@needs_espeak
def test_a_small_build_has_speech_like_clips_near_the_clip_start(small) -> None:
    clips, labels = small.values, small.labels
    assert clips.shape == (SMALL, 7200) and clips.dtype == np.uint8 and labels.shape == (SMALL, 2)
    audio = mu_law_decode(clips)
    silent = clips == 128
    starts = np.array([np.flatnonzero(~row)[0] for row in silent])
    assert np.all(np.abs(starts - LEAD) <= 2), "espeak-ng's leading silence is trimmed; the word starts 10 ms in"
    assert silent[:, :LEAD].all() and silent[:, -round(0.05 * RATE):].all(), "silence pads; the clip holds the word"
    word = audio[:, LEAD : LEAD + round(0.25 * RATE)]
    assert np.sqrt((word**2).mean(axis=1)).min() > 0.03, "energy in the word's part"
    assert np.abs(audio).max(axis=1).min() > 0.8
    spectra = np.abs(np.fft.rfft(audio, axis=1)) ** 2
    freqs = np.fft.rfftfreq(audio.shape[1], 1 / RATE)
    low = spectra[:, freqs < 2000].sum(axis=1) / spectra.sum(axis=1)
    top = spectra[:, freqs > 3600].sum(axis=1) / spectra.sum(axis=1)
    assert low.min() > 0.5 and np.median(low) > 0.8, "speech energy lies mostly below 2 kHz"
    assert top.max() < 0.15, "little energy near Nyquist: resampled without aliasing"
    flatness = [_flatness(clip) for clip in audio]
    assert max(flatness) < 0.2, f"voiced speech is far from white noise (0.55): {max(flatness):.3f}"


def _flatness(clip: np.ndarray, frame: int = 256) -> float:
    """The mean spectral flatness (geometric over arithmetic mean power) of the clip's loud frames."""
    frames = clip[: len(clip) // frame * frame].reshape(-1, frame) * np.hanning(frame)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-12
    energy = power.sum(axis=1)
    loud = power[energy > 0.1 * energy.max()]
    return float(np.mean(np.exp(np.log(loud).mean(axis=1)) / loud.mean(axis=1)))


@needs_espeak
def test_labels_are_in_range_and_follow_the_takes(small) -> None:
    digits, voices = small.labels[:, 0], small.labels[:, 1]
    assert digits.min() >= 0 and digits.max() < 10 and voices.min() >= 0 and voices.max() < len(sd.VOICES)
    assert np.array_equal(np.bincount(digits, minlength=10), np.full(10, SMALL // 10))
    assert np.array_equal(voices, np.repeat(np.arange(SMALL // 10), 10))


@needs_espeak
def test_the_splits_carry_digit_and_voice_labels() -> None:
    _needs_espeak()
    sizes = 0
    for split in SPLITS:
        ds = load_dataset("spoken-digits", split, count=SMALL)
        assert ds.labels is not None and tuple(ds.labels.shape) == (len(ds), 2)
        assert ds.spec.labels == (DIGIT_LABELS, sd.VOICE_LABELS)
        sizes += len(ds)
    assert sizes == SMALL


@needs_espeak
def test_the_same_options_give_the_same_clips_cached_and_rebuilt(
    small, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = sd.build_spoken_digits(count=SMALL)
    assert np.array_equal(first.values, small.values) and np.array_equal(first.labels, small.labels)
    _empty_path(tmp_path, monkeypatch)
    cached = sd.build_spoken_digits(count=SMALL)
    assert np.array_equal(cached.values, small.values), "a cached build needs no espeak-ng"
    monkeypatch.setenv("PATH", os.path.dirname(ESPEAK))
    for path in cache_dir().iterdir():
        path.unlink()
    rebuilt = sd.build_spoken_digits(count=SMALL)
    assert np.array_equal(rebuilt.values, small.values)


@needs_espeak
def test_every_voice_sounds_different_and_a_word_alone_matches_its_take(small) -> None:
    takes = [sd.Take(voice, 175, 50) for voice in range(len(sd.VOICES))]
    sevens = [sd.render_word(take, 7, 7200, ESPEAK) for take in takes]
    assert len({clip.tobytes() for clip in sevens}) == len(sd.VOICES), "espeak-ng applied every variant"
    take = sd.takes(SMALL)[1]
    alone = sd.render_word(take, 4, 7200, ESPEAK)
    in_take = small.values[14]
    ends = [np.flatnonzero(clip != 128)[-1] for clip in (alone, in_take)]
    assert abs(ends[0] - ends[1]) < 0.05 * RATE, "said alone, the word lasts as long as in its take"


def test_a_missing_espeak_says_which_package_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _home: Path
) -> None:
    _empty_path(tmp_path, monkeypatch)
    with pytest.raises(UserError, match=r"espeak-ng.*not installed.*sudo apt install espeak-ng"):
        load_dataset("spoken-digits", "train", count=20)
    assert not any(cache_dir().iterdir()), "nothing is cached"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('echo "Error: voice data is damaged" >&2\nexit 1', r"exit status 1.*Error: voice data is damaged"),
        ("exit 0", "wrote no audio"),
        ('echo "not a wav"\necho "warning: odd" >&2', r"not a WAV file.*warning: odd"),
        (r"printf 'RIFF\044\0\0\0WAVEfmt '", "not a WAV file"),
        ('cat "$SILENT_WAV"', "spoke only silence"),
    ],
)
def test_a_failing_espeak_gives_a_user_error_quoting_it_and_caches_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, message: str
) -> None:
    silent = tmp_path / "silent.wav"
    with wave.open(str(silent), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(22050)
        writer.writeframes(bytes(4410))
    monkeypatch.setenv("SILENT_WAV", str(silent))
    _fake_espeak(tmp_path, monkeypatch, body)
    with pytest.raises(UserError, match=message):
        load_dataset("spoken-digits", "train", count=20)
    assert not any(cache_dir().iterdir()), "nothing half-written in the cache"
