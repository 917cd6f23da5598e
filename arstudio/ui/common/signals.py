"""Wiring Qt signals from a table instead of a column of connect() calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import SignalInstance


def connect_all(*wiring: tuple[SignalInstance, Callable[..., Any]]) -> None:
    """Connect each (signal, slot) pair, in order."""
    for signal, slot in wiring:
        signal.connect(slot)
