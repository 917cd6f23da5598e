"""What a benchmark case is, what it returns, and the measuring tools it uses."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import torch

T = TypeVar("T")
MODES = ("smoke", "quick", "full")
BUSY = 0.1
"""Above this share of the CPUs used by other programs during a case, its timings are flagged (and retried)."""
BUSY_MIN_SECONDS = 5.0
"""Shorter cases are not flagged: starting a worker process is a noticeable share of them."""
MEMORY_METHOD = (
    "CPU: growth of the peak resident set size (getrusage ru_maxrss) of the fresh worker process that ran "
    "the case, over its size before the case started; it counts model, data, activations and allocator "
    "caches. CUDA: torch.cuda.max_memory_allocated during the case. Marks are the peak so far at that point."
)


@dataclass
class Measure:
    """One row of the report: a figure, its unit, and the target it is held against (if any)."""

    label: str
    value: float | str | bool | None
    unit: str = ""
    target: str | None = None
    met: bool | None = None


@dataclass
class Outcome:
    """What a case returns: figures for the JSON (metrics) and the report rows (measures)."""

    measures: list[Measure] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    status: str = "ok"


@dataclass(frozen=True)
class Case:
    """A benchmark case: `run(context)` executes in a fresh worker process."""

    name: str
    group: str
    title: str
    run: Callable[[Context], Outcome] | None
    options: dict[str, Any] = field(default_factory=dict)
    timeout: float = 600.0
    skip_reason: str | None = None


class MemoryProbe:
    """Peak memory growth since the probe was made (see MEMORY_METHOD)."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.marks: dict[str, float | None] = {}
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        self.baseline = peak_rss_mib()

    def peak_mib(self) -> float | None:
        if self.device.type == "cuda":
            return torch.cuda.max_memory_allocated(self.device) / 2**20
        peak = peak_rss_mib()
        return None if peak is None or self.baseline is None else peak - self.baseline

    def mark(self, label: str) -> None:
        self.marks[label] = self.peak_mib()

    def summary(self) -> dict[str, Any]:
        return {"peak_mib": self.peak_mib(), "baseline_rss_mib": self.baseline, "marks": dict(self.marks),
                "method": "cuda max_memory_allocated" if self.device.type == "cuda" else "ru_maxrss growth"}


def peak_rss_mib() -> float | None:
    """This process's peak resident set size in MiB (ru_maxrss is KiB on Linux, bytes on macOS); None on Windows."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


@dataclass
class Context:
    """What a running case gets: its mode, options, device and memory probe."""

    mode: str
    options: dict[str, Any]
    device: torch.device
    probe: MemoryProbe

    def mark(self, label: str) -> None:
        self.probe.mark(label)

    def timed(self, fn: Callable[[], T]) -> tuple[T, float]:
        """fn() and its wall time in seconds (the device synchronised before and after)."""
        self.synchronize()
        start = time.perf_counter()
        value = fn()
        self.synchronize()
        return value, time.perf_counter() - start

    def best_of(self, repeats: int, fn: Callable[[], T]) -> tuple[T, float]:
        """The last value of fn() and the shortest of `repeats` wall times."""
        best, value = float("inf"), None
        for _ in range(max(1, repeats)):
            value, seconds = self.timed(fn)
            best = min(best, seconds)
        return value, best

    def synchronize(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        elif self.device.type == "mps":
            torch.mps.synchronize()


def busy(record: dict[str, Any]) -> bool:
    """Whether other programs used enough CPU during a case's run to make its timings pessimistic."""
    return (record.get("other_load") or 0) > BUSY and record.get("seconds", 0) >= BUSY_MIN_SECONDS


def at_least(value: float, goal: float, label: str, unit: str = "x") -> Measure:
    return Measure(label, round(value, 2), unit, f">= {goal:g}", bool(value >= goal))


def at_most(value: float, goal: float, label: str, unit: str = "") -> Measure:
    return Measure(label, round(value, 3), unit, f"<= {goal:g}", bool(value <= goal))


def as_json(outcome: Outcome) -> dict[str, Any]:
    return asdict(outcome)
