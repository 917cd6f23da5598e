"""mu-law companding between waveforms in [-1, 1] and integer levels 0..mu."""

from __future__ import annotations

import numpy as np

MU = 255


def mu_law_encode(audio: np.ndarray, mu: int = MU) -> np.ndarray:
    """Map samples in [-1, 1] (clipped) to integer levels 0..mu."""
    x = np.clip(np.asarray(audio, dtype=np.float64), -1.0, 1.0)
    companded = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    return np.rint((companded + 1.0) / 2.0 * mu).astype(np.int64)


def mu_law_decode(levels: np.ndarray, mu: int = MU) -> np.ndarray:
    """Map integer levels 0..mu back to samples in [-1, 1] (float32)."""
    y = 2.0 * np.asarray(levels, dtype=np.float64) / mu - 1.0
    x = np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu
    return x.astype(np.float32)
