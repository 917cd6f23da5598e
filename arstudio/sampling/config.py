"""The settings of a sampling strategy, validated once (by the knobs of arstudio.sampling.knobs) and shared by
every model family."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from arstudio.errors import UserError
from arstudio.sampling import knobs

STAGES: tuple[str, ...] = tuple(knob.name for knob in knobs.PROCESSORS)
"""The processor stages whose order a SamplerConfig sets: repetition penalty, temperature, then the filters."""
DEFAULT_ORDER = STAGES
"""Today's fixed order, the default."""
STAGE_LABELS = {knob.name: knob.short for knob in knobs.PROCESSORS}
"""A stage's short name in labels, e.g. ``"top-p"``."""


@dataclass(frozen=True)
class SamplerConfig:
    """How to choose each value from a model's conditional logits.

    ``temperature``, ``top_k``, ``top_p``, ``min_p``, ``typical_p`` and ``repetition_penalty`` shape
    the distribution (see :mod:`arstudio.sampling.processors`); ``greedy`` takes its argmax instead of
    sampling; ``num_beams > 1`` selects beam search, whose hypotheses are ranked by log-probability
    divided by ``length ** length_penalty``. ``repetition_window`` limits the repetition penalty to
    the last N generated/known values (0 = the whole history); ``early_stopping`` ends beam search
    once ``num_beams`` finished hypotheses exist (for models with an end token). ``seed`` makes
    sampling reproducible. Each field's default, valid range and help are its knob in
    :mod:`arstudio.sampling.knobs`. ``order`` lists the processor stages (:data:`STAGES`) in the order they
    apply, as a permutation of them; by default today's fixed order.
    """

    temperature: float = knobs.TEMPERATURE.default
    top_k: int = knobs.TOP_K.default
    top_p: float = knobs.TOP_P.default
    min_p: float = knobs.MIN_P.default
    typical_p: float = knobs.TYPICAL_P.default
    repetition_penalty: float = knobs.REPETITION_PENALTY.default
    greedy: bool = knobs.GREEDY.default
    num_beams: int = knobs.NUM_BEAMS.default
    length_penalty: float = knobs.LENGTH_PENALTY.default
    seed: int | None = knobs.SEED.default
    repetition_window: int = knobs.REPETITION_WINDOW.default
    early_stopping: bool = knobs.EARLY_STOPPING.default
    order: tuple[str, ...] = DEFAULT_ORDER

    def __post_init__(self) -> None:
        for knob in knobs.KNOBS:
            object.__setattr__(self, knob.name, knob.validate(getattr(self, knob.name)))
        object.__setattr__(self, "order", validate_order(self.order))

    def to_json(self) -> dict[str, Any]:
        """All fields as a JSON-serialisable dict (``order`` as a list)."""
        data = dataclasses.asdict(self)
        data["order"] = list(self.order)
        return data

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
            parts.append(knobs.NUM_BEAMS.describe(self.num_beams))
            if self.length_penalty != 1.0:
                parts.append(knobs.LENGTH_PENALTY.describe(self.length_penalty))
        elif self.greedy:
            parts.append("greedy")
        else:
            parts = [knob.describe(getattr(self, knob.name)) for knob in knobs.FILTERS
                     if not knob.is_neutral(getattr(self, knob.name))]
            if not parts:
                parts.append(knobs.TEMPERATURE.describe(self.temperature))
            elif not knobs.TEMPERATURE.is_neutral(self.temperature):
                parts.append(f"T={self.temperature:g}")
        if not knobs.REPETITION_PENALTY.is_neutral(self.repetition_penalty):
            window = f" (last {self.repetition_window})" if self.repetition_window else ""
            parts.append(knobs.REPETITION_PENALTY.describe(self.repetition_penalty) + window)
        if self.order != DEFAULT_ORDER:
            parts.append("order " + " > ".join(STAGE_LABELS[name] for name in self.order))
        return ", ".join(parts)


def validate_order(order: Any) -> tuple[str, ...]:
    """``order`` as a tuple of stage names, or a UserError unless it lists every stage of :data:`STAGES` once."""
    valid = ", ".join(STAGES)
    if isinstance(order, str) or not isinstance(order, (list, tuple)) or not all(isinstance(n, str) for n in order):
        raise UserError(f"order must be a list of the stage names {valid}, got {order!r}.")
    order = tuple(order)
    if sorted(order) != sorted(STAGES):
        unknown = sorted(set(order) - set(STAGES))
        missing = [name for name in STAGES if name not in order]
        problems = [f"unknown {', '.join(unknown)}" if unknown else "",
                    f"missing {', '.join(missing)}" if missing else "",
                    "a stage listed twice" if not unknown and not missing else ""]
        raise UserError(f"order must list each of the stages {valid} exactly once "
                        f"({'; '.join(p for p in problems if p)}), got {', '.join(order) or 'nothing'}.")
    return order
