"""The knobs of a sampling strategy, validated once and shared by every model family."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from arstudio.errors import UserError


@dataclass(frozen=True)
class SamplerConfig:
    """How to choose each value from a model's conditional logits.

    ``temperature``, ``top_k``, ``top_p``, ``min_p``, ``typical_p`` and ``repetition_penalty`` shape
    the distribution (see :mod:`arstudio.sampling.processors`); ``greedy`` takes its argmax instead of
    sampling; ``num_beams > 1`` selects beam search, whose hypotheses are ranked by log-probability
    divided by ``length ** length_penalty``. ``repetition_window`` limits the repetition penalty to
    the last N generated/known values (0 = the whole history); ``early_stopping`` ends beam search
    once ``num_beams`` finished hypotheses exist (for models with an end token). ``seed`` makes
    sampling reproducible.
    """

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    min_p: float = 0.0
    typical_p: float = 1.0
    repetition_penalty: float = 1.0
    greedy: bool = False
    num_beams: int = 1
    length_penalty: float = 1.0
    seed: int | None = None
    repetition_window: int = 0
    early_stopping: bool = True

    def __post_init__(self) -> None:
        self._coerce_float("temperature", "a number > 0 (for argmax decoding use greedy=True instead of temperature 0)")
        if not self.temperature > 0:
            raise UserError(
                f"temperature must be > 0 (got {self.temperature:g}); "
                "use greedy=True for argmax decoding instead of temperature 0."
            )
        self._coerce_int("top_k", "an integer >= 0 (0 turns top-k off)")
        if self.top_k < 0:
            raise UserError(f"top_k must be an integer >= 0 (0 turns top-k off), got {self.top_k}.")
        self._coerce_float("top_p", "a number in (0, 1] (1 turns top-p off)")
        if not 0 < self.top_p <= 1:
            raise UserError(f"top_p must be in (0, 1] (1 turns top-p off), got {self.top_p:g}.")
        self._coerce_float("min_p", "a number in [0, 1] (0 turns min-p off)")
        if not 0 <= self.min_p <= 1:
            raise UserError(f"min_p must be in [0, 1] (0 turns min-p off), got {self.min_p:g}.")
        self._coerce_float("typical_p", "a number in (0, 1] (1 turns typical sampling off)")
        if not 0 < self.typical_p <= 1:
            raise UserError(f"typical_p must be in (0, 1] (1 turns typical sampling off), got {self.typical_p:g}.")
        self._coerce_float("repetition_penalty", "a number > 0 (1 turns it off, > 1 discourages repeats)")
        if not self.repetition_penalty > 0:
            raise UserError(
                f"repetition_penalty must be > 0 (1 turns it off, > 1 discourages repeats), "
                f"got {self.repetition_penalty:g}."
            )
        self._coerce_bool("greedy")
        self._coerce_int("num_beams", "an integer >= 1 (1 = no beam search)")
        if self.num_beams < 1:
            raise UserError(f"num_beams must be an integer >= 1 (1 = no beam search), got {self.num_beams}.")
        self._coerce_float("length_penalty", "a finite number (1 = rank beams by average log-probability)")
        if self.seed is not None:
            self._coerce_int("seed", "an integer or None (None = a fresh random seed)")
        self._coerce_int("repetition_window", "an integer >= 0 (0 = the whole history)")
        if self.repetition_window < 0:
            raise UserError(
                f"repetition_window must be an integer >= 0 (0 = the whole history), got {self.repetition_window}."
            )
        self._coerce_bool("early_stopping")

    def _coerce_float(self, name: str, valid: str) -> None:
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise UserError(f"{name} must be {valid}, got {value!r}.")
        object.__setattr__(self, name, float(value))

    def _coerce_int(self, name: str, valid: str) -> None:
        value = getattr(self, name)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise UserError(f"{name} must be {valid}, got {value!r}.")
        object.__setattr__(self, name, value)

    def _coerce_bool(self, name: str) -> None:
        if not isinstance(getattr(self, name), bool):
            raise UserError(f"{name} must be True or False, got {getattr(self, name)!r}.")

    def to_json(self) -> dict[str, Any]:
        """All fields as a JSON-serialisable dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SamplerConfig:
        """Inverse of :meth:`to_json`; missing fields take their defaults, unknown ones are an error."""
        if not isinstance(data, Mapping):
            raise UserError(f"A sampler configuration must be a JSON object, got {type(data).__name__}.")
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise UserError(f"Unknown sampler setting(s) {', '.join(unknown)}; valid settings are {', '.join(names)}.")
        return cls(**data)

    def describe(self) -> str:
        """A short human label, e.g. ``"top-p 0.9"``, ``"greedy"``, ``"beam 4"``, ``"top-k 40, T=0.8"``."""
        parts: list[str] = []
        if self.num_beams > 1:
            parts.append(f"beam {self.num_beams}")
            if self.length_penalty != 1.0:
                parts.append(f"len-pen {self.length_penalty:g}")
        elif self.greedy:
            parts.append("greedy")
        else:
            if self.top_k:
                parts.append(f"top-k {self.top_k}")
            if self.top_p < 1.0:
                parts.append(f"top-p {self.top_p:g}")
            if self.min_p > 0.0:
                parts.append(f"min-p {self.min_p:g}")
            if self.typical_p < 1.0:
                parts.append(f"typical {self.typical_p:g}")
            if not parts:
                parts.append(f"temperature {self.temperature:g}")
            elif self.temperature != 1.0:
                parts.append(f"T={self.temperature:g}")
        if self.repetition_penalty != 1.0:
            window = f" (last {self.repetition_window})" if self.repetition_window else ""
            parts.append(f"rep {self.repetition_penalty:g}{window}")
        return ", ".join(parts)
