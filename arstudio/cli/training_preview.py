"""Samples drawn at each validation pass of a run, for the window's preview: quick, and cut short when slow."""

from __future__ import annotations

import time
from typing import Any

from arstudio.models.base import ARModel
from arstudio.sampling import SamplerConfig, generate

PREVIEW_SAMPLES = {"binary": 16, "image": 9, "audio": 1, "text": 1}
PREVIEW_LENGTH = {"audio": 2000, "text": 200}
PREVIEW_SECONDS = 1.5
"""Training pauses for the preview; a slow model shows what it drew in this time."""


def preview_message(model: ARModel, step: int) -> dict[str, Any]:
    """A `preview` message: the samples as a flat list of values with their shape, and whether all were drawn."""
    kind = model.spec.kind
    length = min(PREVIEW_LENGTH[kind], 4 * model.spec.dims) if kind in PREVIEW_LENGTH else None
    deadline = time.monotonic() + PREVIEW_SECONDS
    result = generate(model, PREVIEW_SAMPLES[kind], SamplerConfig(seed=step), length=length,
                      callback=lambda _: time.monotonic() > deadline)
    samples = result.samples.cpu()
    return {"type": "preview", "step": step, "complete": not result.stopped_early, "shape": list(samples.shape),
            "values": samples.flatten().tolist()}
