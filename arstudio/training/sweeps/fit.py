"""Power laws L = a * x**(-alpha) + c fitted to a handful of points, as in the scaling-law papers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from arstudio.errors import UserError

GRID = 400
REFINE_ROUNDS = 60


@dataclass(frozen=True)
class PowerLaw:
    """L(x) = a * x**(-alpha) + c; `rms` is the root-mean-square error of log L at the fitted points."""

    a: float
    alpha: float
    c: float
    rms: float = 0.0

    def __call__(self, x: np.ndarray | float) -> np.ndarray | float:
        return self.a * np.power(x, -self.alpha) + self.c

    def describe(self, variable: str = "N") -> str:
        """The law in words, e.g. 'L = 17·N^−0.092 + 1.2' (a floor below a millionth of a is left out)."""
        floor = f" + {self.c:.3g}" if self.c > 1e-6 * abs(self.a) else ""
        power = f"−{self.alpha:.3f}" if self.alpha >= 0 else f"{-self.alpha:.3f}"
        return f"L = {self.a:.3g}·{variable}^{power}{floor}"


def fit_power_law(x: Sequence[float], y: Sequence[float]) -> PowerLaw:
    """Least squares in log L over the floor c in [0, min L); a and alpha in closed form for each c.

    With two points the floor is 0 (a pure power law through both); from three points on the floor is
    searched on a grid and refined by golden-section search, which is robust where Newton's method on
    three to six noisy points is not.
    """
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = np.isfinite(xs) & np.isfinite(ys) & (xs > 0) & (ys > 0)
    xs, ys = xs[keep], ys[keep]
    if len(xs) < 2 or len(np.unique(xs)) < 2:
        raise UserError("A power law needs at least two points at different sizes with a finite, positive loss; "
                        "let more runs of the sweep finish.")
    log_x, log_y = np.log(xs), np.log(ys)
    if len(xs) == 2:
        return _with_floor(log_x, log_y, 0.0)
    top = float(ys.min())
    grid = top * np.linspace(0.0, 1.0, GRID, endpoint=False)
    errors = [_with_floor(log_x, log_y, c).rms for c in grid]
    best = int(np.argmin(errors))
    low, high = grid[max(0, best - 1)], grid[best + 1] if best + 1 < GRID else top * (1 - 1e-9)
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(REFINE_ROUNDS):
        left, right = high - ratio * (high - low), low + ratio * (high - low)
        if _with_floor(log_x, log_y, left).rms <= _with_floor(log_x, log_y, right).rms:
            high = right
        else:
            low = left
    return min((_with_floor(log_x, log_y, c) for c in (grid[best], (low + high) / 2)), key=lambda law: law.rms)


def _with_floor(log_x: np.ndarray, log_y: np.ndarray, c: float) -> PowerLaw:
    """The best a and alpha for floor c: a straight line through (log x, log(L - c))."""
    shifted = np.log(np.exp(log_y) - c)
    slope, intercept = np.polyfit(log_x, shifted, 1)
    law = PowerLaw(float(math.exp(intercept)), float(-slope), float(c))
    residual = log_y - np.log(law(np.exp(log_x)))
    return PowerLaw(law.a, law.alpha, law.c, float(np.sqrt(np.mean(residual**2))))


def frontier(x: Sequence[float], y: Sequence[float]) -> np.ndarray:
    """Indices of the points no point with less x beats (the lower envelope), in increasing x."""
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    order = np.argsort(xs, kind="stable")
    kept, lowest = [], math.inf
    for index in order:
        if np.isfinite(ys[index]) and ys[index] < lowest:
            kept.append(int(index))
            lowest = float(ys[index])
    return np.asarray(kept, dtype=np.int64)
