"""Named decoding strategies: each sets at most one knob besides the temperature, with a sensible default.

The panels' strategy forms offer these; :meth:`Strategy.config` turns a choice into a SamplerConfig. Names
are hyphenated ("top-k"); :func:`find_strategy` also accepts "top_k", and "sample" for "temperature".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arstudio.errors import UserError
from arstudio.sampling import knobs
from arstudio.sampling.config import SamplerConfig
from arstudio.sampling.knobs import Knob, Range


@dataclass(frozen=True)
class Strategy:
    """A strategy: ``knob`` (if any) is the SamplerConfig field its value sets, within ``editor``."""

    name: str
    title: str
    knob: Knob | None = None
    label: str = ""
    """The value's short label in a form, e.g. "k"."""
    editor: Range | None = None
    default: float = 0.0
    sampled: bool = True
    """Whether values are drawn (so temperature and the seed matter)."""
    fixed: tuple[tuple[str, Any], ...] = ()
    """Settings the strategy always makes, e.g. greedy=True."""
    aliases: tuple[str, ...] = ()

    def config(self, value: float | None = None, temperature: float = 1.0, seed: int | None = None) -> SamplerConfig:
        """The SamplerConfig with the knob at ``value`` (its default when None); ``temperature`` if sampled."""
        settings: dict[str, Any] = {"seed": seed, **dict(self.fixed)}
        if self.sampled:
            settings["temperature"] = temperature
        if self.knob is not None:
            settings[self.knob.name] = self.knob.kind(self.default if value is None else value)
        return SamplerConfig(**settings)


STRATEGIES = (
    Strategy("temperature", "Sample (temperature)", aliases=("sample",)),
    Strategy("greedy", "Greedy (most likely)", sampled=False, fixed=(("greedy", True),)),
    Strategy("top-k", "Top-k", knobs.TOP_K, "k", Range(1, 65536, 1), 40),
    Strategy("top-p", "Top-p (nucleus)", knobs.TOP_P, "p", Range(0.01, 1.0, 0.05), 0.9),
    Strategy("min-p", "Min-p", knobs.MIN_P, "Min-p", Range(0.0, 1.0, 0.01), 0.05),
    Strategy("typical", "Typical", knobs.TYPICAL_P, "Typical p", Range(0.01, 1.0, 0.05), 0.9),
    Strategy("beam", "Beam search", knobs.NUM_BEAMS, "Beams", Range(2, 64, 1), 4, sampled=False),
)
TEMPERATURE_EDITOR = Range(0.05, 5.0, 0.05)
"""The temperature's range in a strategy form (every sampled strategy uses it)."""


def find_strategy(name: str) -> Strategy:
    """The strategy called ``name``; underscores stand for hyphens ("top_k" is "top-k")."""
    wanted = name.replace("_", "-")
    for strategy in STRATEGIES:
        if wanted == strategy.name or wanted in strategy.aliases:
            return strategy
    raise UserError(f"Unknown strategy {name!r}; choose one of {', '.join(s.name for s in STRATEGIES)}.")
