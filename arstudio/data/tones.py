"""Synthetic mono audio: melodies, chords, glides and noise bursts, mu-law encoded.

Notes are sums of decaying harmonics shaped by ADSR envelopes; every clip is drawn from a seeded
generator of its own, so a clip is the same on every machine. Clips are cached as .npz.
"""

from __future__ import annotations

import numpy as np

from arstudio.data.cache import cache_key, cached_arrays
from arstudio.data.examples import Examples
from arstudio.data.mulaw import mu_law_encode
from arstudio.data.options import number, whole
from arstudio.data.spec import DataSpec

VERSION = 1
GENERATION_SEED = 8000
DEFAULT_RATE = 8000
DEFAULT_SECONDS = 0.5
DEFAULT_COUNT = 400
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10), "pentatonic": (0, 2, 4, 7, 9)}
CHORDS = ((0, 4, 7), (0, 3, 7), (0, 4, 7, 11), (0, 3, 7, 10), (0, 5, 7))
STYLES = ("melody", "chords", "glides", "melody+drums")


def tones_spec(
    sample_rate: int = DEFAULT_RATE, clip_seconds: float = DEFAULT_SECONDS, count: int = DEFAULT_COUNT
) -> DataSpec:
    rate, length, _ = _checked(sample_rate, clip_seconds, count)
    return DataSpec("audio", (length,), 256, sample_rate=rate)


def build_tones(
    sample_rate: int = DEFAULT_RATE, clip_seconds: float = DEFAULT_SECONDS, count: int = DEFAULT_COUNT
) -> Examples:
    rate, length, count = _checked(sample_rate, clip_seconds, count)
    key = cache_key("tones", VERSION, rate=rate, length=length, count=count)
    arrays = cached_arrays(key, lambda: {"clips": synthesize_clips(count, length, rate)})
    return Examples(arrays["clips"])


def _checked(sample_rate: int, clip_seconds: float, count: int) -> tuple[int, int, int]:
    rate = whole("sample_rate", sample_rate, 1000, 48000)
    seconds = number("clip_seconds", clip_seconds, 0.01, 30.0)
    length = max(16, round(seconds * rate))
    return rate, length, whole("count", count, 10, 100_000)


def synthesize_clips(count: int, length: int, rate: int, seed: int = GENERATION_SEED) -> np.ndarray:
    """mu-law levels uint8 [count, length]; the styles take turns."""
    clips = np.empty((count, length), dtype=np.uint8)
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        clips[i] = mu_law_encode(synthesize(STYLES[i % len(STYLES)], length, rate, rng))
    return clips


def synthesize(style: str, length: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """One clip in [-1, 1] of the given style."""
    audio = np.zeros(length)
    if style in ("melody", "melody+drums"):
        audio += melody(length, rate, rng)
    if style == "chords":
        audio += chords(length, rate, rng)
    if style == "glides":
        audio += glides(length, rate, rng)
    if style == "melody+drums" or rng.random() < 0.15:
        audio += 0.6 * noise_bursts(length, rate, rng)
    audio += rng.normal(0.0, rng.uniform(0.0, 0.004), length)
    peak = np.abs(audio).max()
    return audio * (rng.uniform(0.3, 0.9) / peak) if peak > 0 else audio


def melody(length: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Notes of one scale in a row, with the odd rest."""
    scale = SCALES[rng.choice(list(SCALES))]
    root = int(rng.integers(48, 67))
    beat = rng.uniform(0.1, 0.3)
    audio = np.zeros(length)
    start, degree = 0, int(rng.integers(len(scale)))
    while start < length:
        duration = int(beat * rate * rng.choice([0.5, 1, 1, 1.5, 2]))
        if rng.random() > 0.1:
            degree = int(np.clip(degree + rng.integers(-2, 3), 0, 2 * len(scale) - 1))
            octave, step = divmod(degree, len(scale))
            size = min(duration, length - start)
            frequency = np.full(size, _hertz(root + 12 * octave + scale[step]))
            audio[start : start + size] += harmonic_tone(frequency, rate, rng) * adsr(size, rate, rng)
        start += max(duration, 1)
    return audio


def chords(length: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Two to four chords, each note a harmonic tone under one envelope."""
    audio = np.zeros(length)
    bounds = np.linspace(0, length, int(rng.integers(2, 5)) + 1).astype(int)
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        root = int(rng.integers(45, 62))
        envelope = adsr(stop - start, rate, rng)
        for interval in CHORDS[rng.integers(len(CHORDS))]:
            frequency = np.full(stop - start, _hertz(root + interval))
            audio[start:stop] += 0.4 * harmonic_tone(frequency, rate, rng) * envelope
    return audio


def glides(length: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """One to three exponential pitch sweeps, with some vibrato."""
    audio = np.zeros(length)
    bounds = np.linspace(0, length, int(rng.integers(1, 4)) + 1).astype(int)
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        t = np.arange(stop - start) / rate
        low, high = np.exp(rng.uniform(np.log(120), np.log(min(1500, rate / 5)), size=2))
        frequency = low * (high / low) ** (t / max(t[-1], 1e-9))
        frequency *= 1 + rng.uniform(0, 0.02) * np.sin(2 * np.pi * rng.uniform(3, 7) * t)
        audio[start:stop] += harmonic_tone(frequency, rate, rng) * adsr(stop - start, rate, rng)
    return audio


def noise_bursts(length: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Band-passed noise hits with fast decays on a regular beat, like a drum machine."""
    audio = np.zeros(length)
    beat = int(rate * rng.uniform(0.12, 0.3))
    for start in range(int(rng.integers(0, beat)), length, beat):
        if rng.random() < 0.3:
            continue
        size = min(int(rate * rng.uniform(0.03, 0.12)), length - start)
        spectrum = np.fft.rfft(rng.normal(size=size))
        bins = np.fft.rfftfreq(size, 1 / rate)
        centre, width = rng.uniform(200, rate / 2.5), rng.uniform(100, 1500)
        burst = np.fft.irfft(spectrum * np.exp(-0.5 * ((bins - centre) / width) ** 2), size)
        burst *= np.exp(-np.arange(size) / (size / rng.uniform(3, 8)))
        audio[start : start + size] += burst / (np.abs(burst).max() + 1e-9)
    return audio


def harmonic_tone(frequency: np.ndarray, rate: int, rng: np.random.Generator) -> np.ndarray:
    """A tone following `frequency` (Hz per sample) with decaying harmonics below Nyquist."""
    phase = 2 * np.pi * np.cumsum(frequency) / rate
    rolloff = rng.uniform(0.25, 0.7)
    tone = np.zeros(len(frequency))
    for k in range(1, 9):
        weight = rolloff ** (k - 1) * (k * frequency < 0.45 * rate)
        tone += weight * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    return tone


def adsr(length: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Attack, decay, sustain, release over `length` samples."""
    attack = int(rate * rng.uniform(0.003, 0.04))
    decay = int(rate * rng.uniform(0.02, 0.15))
    release = int(rate * rng.uniform(0.02, 0.2))
    sustain = rng.uniform(0.35, 0.85)
    t = np.arange(length)
    envelope = np.where(t < attack, t / max(attack, 1), 1.0)
    falling = (t >= attack) & (t < attack + decay)
    envelope = np.where(falling, 1 - (1 - sustain) * (t - attack) / max(decay, 1), envelope)
    envelope = np.where(t >= attack + decay, sustain, envelope)
    return envelope * np.clip((length - t) / max(release, 1), 0.0, 1.0)


def _hertz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)
