"""The Sampler chain tab on tiny fresh models: its charts show processor_chain of the model's own next-value logits,
the Up / Down buttons (and a drag) reorder the stages and change what the last chart shows, and the Text panel
asks for the chain with its prompt and settings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import QModelIndex

from arstudio.app.model_source import LoadedModel
from arstudio.data import DataSpec
from arstudio.data.text_codec import encode_text, symbol_label
from arstudio.models import build_model
from arstudio.sampling import SamplerConfig, apply_processors
from arstudio.sampling.chain import next_value_logits, processor_chain
from arstudio.sampling.config import DEFAULT_ORDER
from arstudio.ui.inside.sampler_chain_part import SamplerChainPart
from arstudio.ui.inside.sampler_chain_view import CANDIDATES, SamplerChainView, StageChart
from arstudio.ui.text.panel import TextPanel

TEXT = DataSpec("text", (16,), 7, vocabulary=(*"abcdef", "<eos>"))
BYTES = DataSpec("text", (24,), 256)
IMAGE = DataSpec("image", (1, 4, 4), 8)


def loaded(family: str, spec: DataSpec, **hparams) -> LoadedModel:
    torch.manual_seed(0)
    return LoadedModel(build_model(family, spec, **hparams).eval(), f"tiny {family}", Path(f"{family}.json"))


def transformer(spec: DataSpec = TEXT) -> LoadedModel:
    return loaded("transformer", spec, d_model=16, layers=2, heads=2)


def shown(qtbot, model: LoadedModel, prompt: str = "abca") -> SamplerChainPart:
    part = SamplerChainPart()
    qtbot.addWidget(part)
    part.resize(1280, 800)
    part.show()
    part.set_prompt(prompt)
    part.set_model(model)
    part.wait()
    return part


def expected_final(model: LoadedModel, context: list[int], config: SamplerConfig) -> torch.Tensor:
    logits = next_value_logits(model.model, torch.tensor(context))
    return apply_processors(logits.view(1, -1), config, torch.tensor([context]))[0]


def test_the_part_shows_every_stage_of_the_models_own_chain(qtbot) -> None:
    model = transformer(BYTES)
    part = shown(qtbot, model, "hello wo")
    config = SamplerConfig(temperature=0.7, top_k=50, top_p=0.9, repetition_penalty=1.3)
    part.set_config(config)
    assert part.objectName() == "samplerChainPart" and part.title == "Sampler chain"
    assert part.config() == config
    view = part.findChild(SamplerChainView, "samplerChainView")
    assert view is not None and part.findChild(type(part.prompt_edit), "chainPromptEdit").isVisible()
    assert not part.position_spin.isVisible()
    context = encode_text("hello wo", BYTES)
    assert part.history.tolist() == context
    assert torch.equal(part.stages[-1].logits, expected_final(model, context, config))
    charts = [c for c in view.findChildren(StageChart) if c.isVisible()]
    assert len(charts) == 7 and [s.name for s in view.stages] == ["model", *DEFAULT_ORDER]
    model_probs = torch.softmax(next_value_logits(model.model, torch.tensor(context)), -1)
    top = torch.topk(model_probs, CANDIDATES).indices.numpy()
    np.testing.assert_array_equal(view.candidates, top)
    assert view.labels == [symbol_label(int(v), BYTES) for v in top]
    for chart, stage in zip(view.charts, view.stages, strict=True):
        np.testing.assert_allclose(chart.probs, stage.probs.numpy()[top])
        assert f"{stage.survivors} left" in chart.stats.text() and f"{stage.entropy:.3f}" in chart.stats.text()
        assert np.allclose(chart.bars.opts["width"], chart.probs)
    assert "top-k 50" in view.charts[3].title.text() and "(skipped)" in view.charts[5].title.text()
    ticks = view.charts[0].plot.getAxis("left")._tickLevels[0]
    assert [label for _, label in ticks] == view.labels
    assert view.charts[-1].stats.text().startswith(f"H = {part.stages[-1].entropy:.3f} nats")


def test_editing_a_knob_or_the_prompt_redraws(qtbot) -> None:
    model = transformer()
    part = shown(qtbot, model)
    part.controls.rows["top_k"].set_value(2)
    assert part.stages[-1].survivors == 2 and part.config().top_k == 2
    part.set_prompt("fed")
    part.wait()
    assert part.history.tolist() == encode_text("fed", TEXT)
    assert torch.equal(part.stages[-1].logits, expected_final(model, part.history.tolist(), part.config()))
    assert "3 tokens" in part.caption.text()


def min_p_that_temperature_decides(logits: torch.Tensor, temperature: float) -> float:
    """A min-p (on the spin box's 0.01 grid) that keeps the second value at temperature 1 and not at `temperature`."""
    ratios = torch.softmax(logits, -1).sort(descending=True).values
    ratio = float(ratios[1] / ratios[0])
    min_p = math.floor(ratio * 100) / 100
    assert ratio ** (1 / temperature) < min_p - 1e-3 < ratio, "this tiny model's top two are too close"
    return min_p


def test_up_and_down_reorder_the_stages_and_change_the_final_distribution(qtbot) -> None:
    model = transformer()
    part = shown(qtbot, model)
    view = part.chain_view
    min_p = min_p_that_temperature_decides(part.logits, 0.25)
    part.set_config(SamplerConfig(temperature=0.25, min_p=min_p))
    default_final = view.final_probs().copy()
    assert part.stages[-1].survivors == 1
    orders = []
    view.orderChanged.connect(orders.append)
    view.order_list.setCurrentRow(DEFAULT_ORDER.index("min_p"))
    up = part.findChild(type(view.up_button), "stageUpButton")
    for _ in range(3):
        up.click()
    moved = ("repetition_penalty", "min_p", "temperature", "top_k", "top_p", "typical_p")
    assert orders[-1] == moved and len(orders) == 3
    assert view.order() == moved and part.config().order == moved
    assert view.order_list.currentItem().data(256) == "min_p", "the moved stage stays selected"
    assert [s.name for s in part.stages[1:]] == list(moved)
    assert part.stages[-1].survivors >= 2, "min-p before the temperature keeps the runner-up"
    assert not np.array_equal(view.final_probs(), default_final)
    assert torch.equal(part.stages[-1].logits, expected_final(model, part.history.tolist(), part.config()))
    down = part.findChild(type(view.down_button), "stageDownButton")
    for _ in range(3):
        down.click()
    assert part.config().order == DEFAULT_ORDER
    np.testing.assert_array_equal(view.final_probs(), default_final)
    view.order_list.setCurrentRow(0)
    up.click()
    assert len(orders) == 6, "nothing moves above the first stage"


def test_dragging_a_stage_reorders_too(qtbot) -> None:
    part = shown(qtbot, transformer())
    orders = []
    part.chain_view.orderChanged.connect(orders.append)
    assert part.chain_view.order_list.model().moveRow(QModelIndex(), 5, QModelIndex(), 0)
    assert orders == [("typical_p", *DEFAULT_ORDER[:5])] and part.config().order == orders[0]
    assert part.chain_view.order_list.item(0).text().startswith("1. typical")


def test_an_image_model_takes_the_first_values_of_an_example(qtbot) -> None:
    model = loaded("made", IMAGE, hidden=32, layers=1)
    part = shown(qtbot, model)
    assert part.position_spin.isVisible() and not part.prompt_edit.isVisible()
    assert part.position_spin.maximum() == IMAGE.dims - 1
    part.position_spin.setValue(5)
    part.wait()
    order = model.model.order
    assert part.history.tolist() == [0] * 5 and f"Value 6 of {IMAGE.dims}" in part.caption.text()
    row, column = divmod(int(order[5]), 4)
    assert f"row {row}, column {column}" in part.caption.text()
    assert part.chain_view.labels == [str(int(v)) for v in part.chain_view.candidates]
    x = torch.zeros(1, *IMAGE.shape, dtype=torch.long)
    full = model.model.logits(x).flatten(1, -2)[0, order[5]].detach()
    assert torch.allclose(part.logits, full, atol=1e-5)


def test_set_config_keeps_what_the_chain_does_not_show(qtbot) -> None:
    part = shown(qtbot, transformer())
    config = SamplerConfig(greedy=True, top_p=0.5, seed=7, order=tuple(reversed(DEFAULT_ORDER)))
    part.set_config(config)
    assert part.config() == config
    assert part.chain_view.order() == config.order
    assert part.controls.rows["top_p"].spin.isEnabled(), "greedy does not lock the knobs here"
    assert "Greedy decoding" in part.caption.text()
    assert processor_chain(part.logits, config, part.history)[-1].survivors == part.stages[-1].survivors


def test_no_model_shows_the_reason_and_nothing_else(qtbot) -> None:
    part = SamplerChainPart()
    qtbot.addWidget(part)
    part.set_model(None)
    assert "Open a model" in part.hint.text() and not part.splitter.isEnabled() and part.stages == []


@pytest.mark.parametrize("prompt", ["abc", ""])
def test_the_text_panel_asks_for_the_chain_with_its_prompt_and_settings(qtbot, prompt: str) -> None:
    panel = TextPanel()
    qtbot.addWidget(panel)
    panel.set_model(transformer())
    panel.prompt_edit.setPlainText(prompt)
    panel.controls.select_preset("top-p 0.9")
    button = panel.findChild(type(panel.generate_button), "samplerChainButton")
    assert button is not None and button.text() == "Sampler chain…"
    with qtbot.waitSignal(panel.chainRequested, timeout=1000) as signal:
        button.click()
    assert signal.args[0] == prompt and signal.args[1] == panel.controls.config()
    assert isinstance(signal.args[1], SamplerConfig)
