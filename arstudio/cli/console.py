"""Terminal output for the command line: a throttled progress line and plain tables."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TextIO

from arstudio.training.events import EvalEvent, NoticeEvent, StatusEvent, StepEvent, TrainEvent

REFRESH_SECONDS = 0.1


class ProgressLine:
    """One self-rewriting line: bar, step, NLL, throughput and ETA; validation results on their own lines."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 24) -> None:
        self.stream = stream
        self.width = width
        self.last_draw = 0.0
        self.started = time.monotonic()
        self.interactive = stream.isatty()

    def __call__(self, event: TrainEvent) -> None:
        if isinstance(event, StepEvent):
            now = time.monotonic()
            if now - self.last_draw >= REFRESH_SECONDS or event.step == event.total_steps:
                self.last_draw = now
                self._draw(event)
        elif isinstance(event, EvalEvent):
            self._line(f"step {event.step}: {event.split} NLL {event.nll:.4f} nats ({event.bpd:.4f} bits/dim)")
        elif isinstance(event, StatusEvent) and event.status in ("paused", "stopped", "failed"):
            self._line(f"{event.status} at step {event.step}" + (f": {event.message}" if event.message else ""))
        elif isinstance(event, NoticeEvent):
            self._line(event.message)

    def _draw(self, event: StepEvent) -> None:
        done = event.step / event.total_steps
        filled = int(done * self.width)
        elapsed = time.monotonic() - self.started
        eta = elapsed / done - elapsed if done > 0 else 0.0
        text = (f"[{'#' * filled}{'.' * (self.width - filled)}] {event.step}/{event.total_steps} "
                f"NLL {event.nll:.3f} ({event.bpd:.3f} bpd) {event.examples_per_second:,.0f} ex/s ETA {eta:4.0f}s")
        if self.interactive:
            self.stream.write("\r" + text + "\x1b[K")
            self.stream.flush()
        elif event.step == event.total_steps or event.step % 100 == 0:
            self.stream.write(text + "\n")

    def _line(self, text: str) -> None:
        self.stream.write(("\r\x1b[K" if self.interactive else "") + text + "\n")
        self.stream.flush()


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
