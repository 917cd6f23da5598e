"""The sampler's knobs: one object per SamplerConfig field, owning its validation, default, label and help.

Each :class:`Knob` says what a valid value is (and the message when it is not), its default, the
label and help every front end shows, the slider range of the GUI, the command-line flag, and for
the processors its no-op value and the logit transform it applies. ``SamplerConfig`` validates and
describes itself from :data:`KNOBS`, the CLI makes its ``sample`` flags from it and the GUI its
sliders, so a range or a help text is written once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import Tensor

from arstudio.errors import UserError
from arstudio.sampling import transforms


@dataclass(frozen=True)
class Range:
    """Where a GUI editor goes: minimum, maximum, resolution, and the text shown at the minimum."""

    minimum: float
    maximum: float
    step: float
    off: str = ""


@dataclass(frozen=True)
class Knob:
    """A SamplerConfig field. ``valid`` completes "<name> must be ..." for a value of the wrong type;
    ``within`` checks the range, failing with "<name> must be <bound>, got <value>." (or ``out_of_range``)."""

    name: str
    kind: type
    default: Any
    label: str
    help: str
    rule: str = ""
    note: str = ""
    noun: str = ""
    within: Callable[[Any], bool] | None = None
    out_of_range: str = ""
    optional: bool = False
    slider: Range | None = None
    flag: str = ""
    short: str = ""
    neutral: Any = None
    process: Callable[[Tensor, Any], Tensor] | None = None

    @property
    def valid(self) -> str:
        noun = self.noun or {bool: "True or False", int: "an integer"}.get(self.kind, "a number")
        return " ".join(part for part in (noun, self.rule, f"({self.note})" if self.note else "") if part)

    @property
    def bound(self) -> str:
        return self.valid if self.kind is int else f"{self.rule} ({self.note})"

    def format(self, value: Any) -> str:
        return f"{value:g}" if self.kind is float else str(value)

    def describe(self, value: Any) -> str:
        """``value`` as a short label, e.g. ``"top-p 0.9"``."""
        return f"{self.short} {self.format(value)}"

    def is_neutral(self, value: Any) -> bool:
        """Whether ``value`` turns this processor off."""
        return value == self.neutral

    def validate(self, value: Any) -> Any:
        """``value`` coerced to the knob's type (integral floats to int, ints to float), or a UserError."""
        if value is None and self.optional:
            return None
        value = self._coerce(value)
        if self.within is None or self.within(value):
            return value
        shown = self.format(value)
        if self.out_of_range:
            raise UserError(self.out_of_range.format(value=shown))
        raise UserError(f"{self.name} must be {self.bound}, got {shown}.")

    def _coerce(self, value: Any) -> Any:
        if self.kind is int and isinstance(value, float) and value.is_integer():
            value = int(value)
        if self.kind is bool:
            fits = isinstance(value, bool)
        elif self.kind is int:
            fits = isinstance(value, int) and not isinstance(value, bool)
        else:
            fits = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not fits:
            raise UserError(f"{self.name} must be {self.valid}, got {value!r}.")
        return self.kind(value)


TEMPERATURE = Knob(
    "temperature", float, 1.0, "Temperature", "Divides the logits: < 1 sharpens, > 1 flattens.",
    rule="> 0", note="for argmax decoding use greedy=True instead of temperature 0", within=lambda v: v > 0,
    out_of_range="temperature must be > 0 (got {value}); use greedy=True for argmax decoding instead of temperature 0.",
    slider=Range(0.05, 3.0, 0.05), flag="--temperature", short="temperature", neutral=1.0,
    process=transforms.apply_temperature)
TOP_K = Knob(
    "top_k", int, 0, "Top-k", "Keep only the k most probable values (0 = off).",
    rule=">= 0", note="0 turns top-k off", within=lambda v: v >= 0,
    slider=Range(0, 256, 1, "off"), flag="--top-k", short="top-k", neutral=0, process=transforms.top_k_filter)
TOP_P = Knob(
    "top_p", float, 1.0, "Top-p", "Keep the smallest set with this much probability (1 = off).",
    rule="in (0, 1]", note="1 turns top-p off", within=lambda v: 0 < v <= 1,
    slider=Range(0.01, 1.0, 0.01), flag="--top-p", short="top-p", neutral=1.0, process=transforms.top_p_filter)
MIN_P = Knob(
    "min_p", float, 0.0, "Min-p", "Keep values with p >= min-p x p(most probable) (0 = off).",
    rule="in [0, 1]", note="0 turns min-p off", within=lambda v: 0 <= v <= 1,
    slider=Range(0.0, 1.0, 0.01, "off"), flag="--min-p", short="min-p", neutral=0.0, process=transforms.min_p_filter)
TYPICAL_P = Knob(
    "typical_p", float, 1.0, "Typical-p", "Locally typical sampling mass (1 = off).",
    rule="in (0, 1]", note="1 turns typical sampling off", within=lambda v: 0 < v <= 1,
    slider=Range(0.01, 1.0, 0.01), flag="--typical-p", short="typical", neutral=1.0,
    process=transforms.typical_filter)
REPETITION_PENALTY = Knob(
    "repetition_penalty", float, 1.0, "Repetition penalty", "> 1 discourages values already in the text (1 = off).",
    rule="> 0", note="1 turns it off, > 1 discourages repeats", within=lambda v: v > 0,
    slider=Range(0.5, 3.0, 0.05), flag="--repetition-penalty", short="rep", neutral=1.0)
GREEDY = Knob("greedy", bool, False, "Greedy", "Always take the most probable value.", flag="--greedy")
NUM_BEAMS = Knob(
    "num_beams", int, 1, "Beams", "Beam search width (1 = sample or greedy).",
    rule=">= 1", note="1 = no beam search", within=lambda v: v >= 1,
    slider=Range(1, 16, 1), flag="--beams", short="beam")
LENGTH_PENALTY = Knob(
    "length_penalty", float, 1.0, "Length penalty",
    "Beam ranking: log p / length ** penalty (matters with an end symbol).",
    noun="a finite number", note="1 = rank beams by average log-probability",
    slider=Range(-1.0, 3.0, 0.1), short="len-pen")
SEED = Knob(
    "seed", int, None, "Seed", "The same seed gives the same samples (default: a fresh random seed).",
    rule="or None", note="None = a fresh random seed", optional=True, flag="--seed")
REPETITION_WINDOW = Knob(
    "repetition_window", int, 0, "Repetition window",
    "How many recent values the penalty looks at (0 = the whole text).",
    rule=">= 0", note="0 = the whole history", within=lambda v: v >= 0, slider=Range(0, 1024, 1, "all"), short="last")
EARLY_STOPPING = Knob("early_stopping", bool, True, "Early stopping", "Beams stop at the end symbol.")

KNOBS = (TEMPERATURE, TOP_K, TOP_P, MIN_P, TYPICAL_P, REPETITION_PENALTY, GREEDY, NUM_BEAMS, LENGTH_PENALTY, SEED,
         REPETITION_WINDOW, EARLY_STOPPING)
"""Every SamplerConfig field, in field order (which is also the order they are validated in)."""
KNOB = {knob.name: knob for knob in KNOBS}
FILTERS = (TOP_K, TOP_P, MIN_P, TYPICAL_P)
"""The truncation filters, in the order they apply."""
PROCESSORS = (REPETITION_PENALTY, TEMPERATURE, *FILTERS)
"""The logit processors in their fixed order: repetition penalty, temperature, then the filters."""
WARPERS = PROCESSORS[1:]
"""The processors that need only their own value: each applies ``process(logits, value)``."""
