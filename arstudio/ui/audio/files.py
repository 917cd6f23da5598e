"""The Audio panel's files: the recording a clip is primed from, and the WAV a clip is saved to."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PySide6.QtWidgets import QFileDialog, QWidget

from arstudio.data import DataSpec
from arstudio.data.export import save_samples


def ask_wav_path(parent: QWidget) -> str | None:
    """A path to save a clip to, ending in .wav; None when the person cancels."""
    path, _ = QFileDialog.getSaveFileName(parent, "Save clip as WAV", "clip.wav", "WAV audio (*.wav)")
    if not path:
        return None
    return path if path.lower().endswith(".wav") else f"{path}.wav"


def ask_primer_path(parent: QWidget) -> str | None:
    """A recording to prime from; None when the person cancels."""
    path, _ = QFileDialog.getOpenFileName(parent, "Prime from a recording", "", "Audio (*.wav *.wave *.flac)")
    return path or None


def write_wav(codes: np.ndarray, spec: DataSpec, path: str | Path) -> Path:
    """Write the clip's levels as 16-bit PCM WAV at the spec's rate; UserError when it cannot."""
    return save_samples(torch.from_numpy(codes[None]), spec, path)
