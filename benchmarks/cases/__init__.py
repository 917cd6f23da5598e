"""The cases of a run, by mode."""

from __future__ import annotations

from benchmarks.cases import baseline, gui, inside, mnist, pixelcnn, quality, training, transformer, wavenet
from benchmarks.core import Case


def plan(mode: str, quality_seconds: float | None = None) -> list[Case]:
    return [transformer.case(mode), wavenet.case(mode), pixelcnn.case(mode), *training.cases(mode), *mnist.cases(mode),
            *quality.cases(mode, quality_seconds), gui.case(mode), inside.case(mode),
            baseline.case(mode)]
