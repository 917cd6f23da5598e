"""WAV (stdlib `wave`, 8/16/24/32-bit PCM) and FLAC (`soundfile`, if installed) read as mono at one rate."""

from __future__ import annotations

import importlib
import wave
from pathlib import Path

import numpy as np

from arstudio.errors import UserError

AUDIO_SUFFIXES = frozenset({".wav", ".wave", ".flac"})


def read_audio(path: Path, sample_rate: int) -> np.ndarray:
    """The recording at `path` as float64 mono samples in [-1, 1] at `sample_rate` Hz."""
    if path.suffix.lower() == ".flac":
        samples, rate = read_flac(path)
    else:
        samples, rate = read_wav(path)
    if samples.size == 0:
        raise UserError(f"The audio file {path.name} holds no sound (0 samples); record or export it again.")
    return resample(samples, rate, sample_rate)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono samples and the sample rate of a PCM WAV file."""
    try:
        with wave.open(str(path), "rb") as reader:
            channels, width, rate = reader.getnchannels(), reader.getsampwidth(), reader.getframerate()
            raw = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError, OSError, ValueError) as exc:
        raise UserError(
            f"Could not read the WAV file {path.name} ({exc}); it may be damaged or not PCM. "
            "Export it again as 16-bit PCM WAV."
        ) from exc
    if channels < 1 or rate <= 0:
        raise UserError(f"The WAV file {path.name} has a broken header ({channels} channels, {rate} Hz).")
    frame = channels * width
    raw = raw[: len(raw) // frame * frame]
    samples = pcm_to_float(raw, width).reshape(-1, channels).mean(axis=1)
    return samples, rate


def pcm_to_float(raw: bytes, width: int) -> np.ndarray:
    """Little-endian PCM bytes of `width` bytes per sample (8-bit unsigned, else signed) to [-1, 1]."""
    if width == 1:
        return (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(raw, dtype="<i2") / 32768.0
    if width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        return np.where(value >= 1 << 23, value - (1 << 24), value) / float(1 << 23)
    if width == 4:
        return np.frombuffer(raw, dtype="<i4") / float(1 << 31)
    raise UserError(f"WAV files with {8 * width}-bit samples are not supported; export 16-bit PCM WAV.")


def read_flac(path: Path) -> tuple[np.ndarray, int]:
    """Mono samples and the sample rate of a FLAC file, through the optional soundfile package."""
    try:
        soundfile = importlib.import_module("soundfile")
    except (ImportError, OSError) as exc:
        raise UserError(
            f"Reading FLAC ({path.name}) needs the soundfile package: run `pip install soundfile`, "
            "or convert the file to WAV."
        ) from exc
    try:
        samples, rate = soundfile.read(str(path), dtype="float64", always_2d=True)
    except Exception as exc:  # soundfile raises its own error types (LibsndfileError, RuntimeError)
        raise UserError(f"Could not read the FLAC file {path.name} ({exc}); it may be damaged.") from exc
    return np.asarray(samples).mean(axis=1), int(rate)


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Band-limited resampling by cutting or padding the spectrum (no aliasing when shrinking)."""
    if rate == target:
        return np.asarray(samples, dtype=np.float64)
    n = len(samples)
    m = max(1, round(n * target / rate))
    spectrum = np.fft.rfft(samples)
    kept = np.zeros(m // 2 + 1, dtype=complex)
    bins = min(len(kept), len(spectrum))
    kept[:bins] = spectrum[:bins]
    return np.clip(np.fft.irfft(kept, m) * (m / n), -1.0, 1.0)
