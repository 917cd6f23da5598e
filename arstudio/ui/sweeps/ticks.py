"""Tick labels for the sweep plots' log axes: short parameter counts and powers of ten."""

from __future__ import annotations

import math

SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def short_number(value: float) -> str:
    """A parameter count as a short tick label: 950, 11k, 2.5M."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def power_of_ten(value: float) -> str:
    """2·10¹⁰, 10⁹: a compute tick label."""
    exponent = math.floor(math.log10(value) + 1e-9)
    mantissa = value / 10**exponent
    head = "" if round(mantissa, 2) == 1 else f"{mantissa:.2g}·"
    return f"{head}10{str(exponent).translate(SUPERSCRIPTS)}"


def log_ticks(low: float, high: float) -> list[tuple[float, str]]:
    """Ticks at 1, 2 and 5 times the powers of ten between `low` and `high` (decades only when that is many),
    as (log10 value, label) for an axis in log mode."""
    if not (low > 0 and high > low):
        return []
    values = [m * 10**e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
              for m in (1, 2, 5)]
    inside = [v for v in values if low <= v <= high]
    if len(inside) > 7:
        inside = [v for v in inside if round(math.log10(v), 6).is_integer()]
    return [(math.log10(v), power_of_ten(v)) for v in inside]
