"""How a sweep's numbers read in a table cell, the same in the terminal and in the window ("" for none)."""

from __future__ import annotations


def number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def scientific(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}"
