"""Checking the options a data set accepts, with messages that say what a valid value is."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from arstudio.errors import UserError


def resolve_options(owner: str, defaults: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The defaults overridden by `given`; an option the owner does not know is refused."""
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        known = ", ".join(defaults) if defaults else "none"
        raise UserError(f"{owner} has no option {', '.join(map(repr, unknown))}; its options are: {known}.")
    return {**defaults, **given}


def whole(name: str, value: Any, low: int, high: int) -> int:
    """`value` as an int in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise UserError(f"The option {name} must be a whole number, got {value!r}.")
    if not low <= value <= high:
        raise UserError(f"The option {name} must be between {low} and {high}, got {value}.")
    return int(value)


def number(name: str, value: Any, low: float, high: float) -> float:
    """`value` as a finite float in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UserError(f"The option {name} must be a number, got {value!r}.")
    if not low <= value <= high:
        raise UserError(f"The option {name} must be between {low} and {high}, got {value}.")
    return float(value)


def choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """`value` if it is one of `choices`."""
    if value not in choices:
        raise UserError(f"The option {name} must be one of {', '.join(choices)}, got {value!r}.")
    return str(value)


def flag(name: str, value: Any) -> bool:
    """`value` as a bool; only True and False are accepted."""
    if not isinstance(value, bool):
        raise UserError(f"The option {name} must be true or false, got {value!r}.")
    return value
