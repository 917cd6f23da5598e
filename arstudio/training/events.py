"""What a training run reports: plain data, so that any front end can show it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepEvent:
    step: int
    total_steps: int
    nll: float
    """Training NLL of the batch in nats per example."""
    bpd: float
    lr: float
    examples_per_second: float
    wall_time: float
    """Seconds since the run (or its resumption) started."""


@dataclass(frozen=True)
class EvalEvent:
    step: int
    split: str
    nll: float
    bpd: float
    wall_time: float


@dataclass(frozen=True)
class StatusEvent:
    status: str
    """running, paused, stopped, finished or failed."""
    step: int
    message: str = ""


@dataclass(frozen=True)
class NoticeEvent:
    """Something the person should know about a running run (torch.compile on, or falling back to eager)."""

    step: int
    message: str


TrainEvent = StepEvent | EvalEvent | StatusEvent | NoticeEvent
