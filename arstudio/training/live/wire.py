"""The messages a run process and a window exchange, one JSON object per line (never pickle).

From the run: `hello` (who it is), `step`, `eval`, `status`, `notice` (the trainer's events, field for field),
`preview` (samples drawn at a validation pass), `finished` (the summary) or `failed` (the message), the last
word before the process ends. From a window: `auth` (the run's token, first), then `control` messages.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any

from arstudio.training.events import EvalEvent, NoticeEvent, StatusEvent, StepEvent, TrainEvent

CONTROLS = ("pause", "resume", "stop", "threads")
MAX_LINE = 16 * 1024 * 1024
"""Bytes: a preview of a long clip is the largest message; anything longer is not ours."""
_EVENT_TYPES: dict[str, type] = {"step": StepEvent, "eval": EvalEvent, "status": StatusEvent, "notice": NoticeEvent}
_TYPE_OF = {cls: name for name, cls in _EVENT_TYPES.items()}


def event_message(event: TrainEvent) -> dict[str, Any]:
    return {"type": _TYPE_OF[type(event)], **asdict(event)}


def event_from_message(message: dict[str, Any]) -> TrainEvent | None:
    """The trainer's event a message carries, or None when it carries another kind of message."""
    cls = _EVENT_TYPES.get(message.get("type", ""))
    if cls is None:
        return None
    return cls(**{f.name: message[f.name] for f in fields(cls) if f.name in message})


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), allow_nan=True).encode() + b"\n"


class LineReader:
    """Splits a byte stream into messages; a line that is not a JSON object is dropped."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        if len(self._buffer) > MAX_LINE:
            raise ConnectionError("a message longer than any ARStudio sends")
        messages = []
        for line in lines:
            try:
                message = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if isinstance(message, dict):
                messages.append(message)
        return messages
