"""The Inside view's steps of `arstudio screenshot`: each opens a ready model in the window, brings one part of
the Inside view to the front and sets it up as the guide shows it (docs/guide/inside.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from arstudio.app.model_source import LoadedModel, load_ready_model
from arstudio.ui.inside.part import InsidePart
from arstudio.zoo.catalog import ready_model

Wait = Callable[[Callable[[], bool], float, str], None]


@dataclass(frozen=True)
class InsideShot:
    part: str
    """The object name of the part shown."""
    ready: str
    """The ready model it shows."""
    prepare: Callable[[InsidePart, Wait], None] | None = None


def _idle(part: InsidePart, wait: Wait) -> None:
    wait(lambda: not part.is_busy(), 300, f"computing {part.title.lower()}")


def _blind_spot(part: InsidePart, wait: Wait) -> None:
    part.blind_button.click()  # type: ignore[attr-defined]
    _idle(part, wait)


def _dilations(part: InsidePart, wait: Wait) -> None:
    part.slider.setValue(3)  # type: ignore[attr-defined]


def _attention(part: InsidePart, wait: Wait) -> None:
    part.choose(1, 2, 40)  # type: ignore[attr-defined]


def _surprisal(part: InsidePart, wait: Wait) -> None:
    part.compare_combo.setCurrentText("ready: pixelcnn-mnist")  # type: ignore[attr-defined]
    _idle(part, wait)


def _chain(part: InsidePart, wait: Wait) -> None:
    from arstudio.sampling import SamplerConfig

    part.set_config(SamplerConfig(temperature=0.8, top_k=20, top_p=0.9, min_p=0.05))  # type: ignore[attr-defined]
    part.set_prompt("def read(path):\n    with open(pa")  # type: ignore[attr-defined]
    _idle(part, wait)


def _by_hand(part: InsidePart, wait: Wait) -> None:
    for _ in range(6):
        part.sample_button.click()  # type: ignore[attr-defined]
        _idle(part, wait)


def _order(part: InsidePart, wait: Wait) -> None:
    part.slider.setValue(part.slider.maximum() * 2 // 5)  # type: ignore[attr-defined]


SHOTS: dict[str, InsideShot] = {
    "inside-masks": InsideShot("maskPart", "made-mnist"),
    "inside-field": InsideShot("receptiveFieldPart", "pixelcnn-mnist", _blind_spot),
    "inside-wavenet-field": InsideShot("receptiveFieldPart", "wavenet-tones", _dilations),
    "inside-attention": InsideShot("attentionPart", "transformer-pydocs", _attention),
    "inside-surprisal": InsideShot("surprisalPart", "made-mnist", _surprisal),
    "inside-chain": InsideShot("samplerChainPart", "transformer-pydocs", _chain),
    "inside-hand": InsideShot("handPart", "transformer-pydocs", _by_hand),
    "inside-beam": InsideShot("beamTreePart", "transformer-pydocs"),
    "inside-order": InsideShot("generationOrderPart", "made-mnist", _order),
}


def show_inside(window: object, shot_name: str, wait: Wait, cache: dict[str, LoadedModel]) -> None:
    """Open the shot's ready model (loaded once per tour) and show its part as the guide does."""
    shot = SHOTS[shot_name]
    if shot.ready not in cache:
        cache[shot.ready] = load_ready_model(ready_model(shot.ready))
    if window.loaded is not cache[shot.ready]:  # type: ignore[attr-defined]
        window.set_loaded_model(cache[shot.ready], switch=True)  # type: ignore[attr-defined]
    panel = window.inside_panel  # type: ignore[attr-defined]
    window.tabs.setCurrentWidget(panel)  # type: ignore[attr-defined]
    part = panel.show_part(shot.part)
    _idle(part, wait)
    if shot.prepare is not None:
        shot.prepare(part, wait)
    _idle(part, wait)
