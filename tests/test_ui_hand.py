"""The Step by hand tab on tiny models: a click on a bar or a list pick takes that value, the sampler button draws
generate()'s value for the seed, undo takes back one choice, and the caption's log p is the engine's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

from arstudio.app.model_source import LoadedModel
from arstudio.data import DataSpec
from arstudio.data.text_codec import encode_text
from arstudio.models import build_model
from arstudio.sampling import SamplerConfig, generate
from arstudio.sampling.hand import HandGeneration
from arstudio.ui.inside.hand_chart import DistributionChart, shown_values
from arstudio.ui.inside.hand_part import HandPart
from arstudio.ui.inside.order_part import OrderImage, OrderWave

BINARY = DataSpec("binary", (1, 4, 4), 2)
TEXT = DataSpec("text", (16,), 256)


def loaded(family: str, spec: DataSpec) -> LoadedModel:
    torch.manual_seed(0)
    return LoadedModel(build_model(family, spec).eval(), f"tiny {family}", Path(f"{family}.json"))


def shown(qtbot, model: LoadedModel) -> HandPart:
    part = HandPart()
    qtbot.addWidget(part)
    part.resize(1100, 650)
    part.show()
    part.controls.seed_spin.setValue(7)
    part.set_model(model)
    part.wait()
    return part


def click(part: HandPart, name: str) -> None:
    part.findChild(type(part.sample_button), name).click()
    part.wait()


def test_clicking_a_bar_picks_that_value(qtbot) -> None:
    model = loaded("pixelcnn", BINARY)
    part = shown(qtbot, model)
    assert part.objectName() == "handPart" and part.title == "Step by hand"
    chart = part.findChild(DistributionChart, "handDistribution")
    assert isinstance(part.findChild(OrderImage, "handSampleView"), OrderImage)
    hand = HandGeneration(model.model, part.config())
    np.testing.assert_allclose(part.state.probs, hand.distribution().numpy(), atol=1e-6)
    for value in (1, 0, 1):
        qtbot.mouseClick(chart.viewport(), Qt.MouseButton.LeftButton,
                         pos=chart.mapFromScene(chart.bar_centre(value)))
        part.wait()
        hand.pick(value)
    assert part.hand.sequence.tolist() == [1, 0, 1] == hand.sequence.tolist()
    assert part.state.step == 3 and f"{hand.log_prob:.3f}" in part.caption.text()
    assert "You picked 1" in part.caption.text()
    view = part.findChild(OrderImage, "handSampleView")
    assert tuple(view.rgba[0, 0, :3]) == (255, 255, 255) and tuple(view.rgba[0, 1, :3]) == (0, 0, 0)


def test_the_sampler_button_draws_generates_values_and_undo_takes_one_back(qtbot) -> None:
    model = loaded("made", BINARY)
    part = shown(qtbot, model)
    expected = generate(model.model, 1, SamplerConfig(seed=7)).samples[0].flatten()[model.model.order]
    for _ in range(4):
        click(part, "handSampleButton")
    assert part.hand.sequence.tolist() == expected[:4].tolist()
    assert [step.by for step in part.hand.history] == ["sampler"] * 4
    click(part, "handUndoButton")
    assert part.state.step == 3 and part.hand.sequence.tolist() == expected[:3].tolist()
    click(part, "handSampleButton")
    assert part.hand.sequence.tolist() == expected[:4].tolist()
    click(part, "handFinishButton")
    assert part.state.position is None and torch.equal(part.hand.values, expected.new_zeros(16).scatter(
        0, model.model.order, expected).view(BINARY.shape))
    assert not part.sample_button.isEnabled() and part.undo_button.isEnabled()
    assert part.caption.text().startswith("Done")
    with torch.no_grad():
        total = float(model.model.log_prob(part.hand.values.unsqueeze(0))[0])
    assert part.state.log_prob == pytest.approx(total, abs=1e-4)
    click(part, "handRestartButton")
    assert part.state.step == 0 and not part.undo_button.isEnabled()


def test_a_text_prompt_comes_first_and_the_list_picks_a_token(qtbot) -> None:
    model = loaded("transformer", TEXT)
    part = shown(qtbot, model)
    prompt = encode_text("def ", TEXT)
    assert part.state.step == len(prompt) and part.hand.sequence.tolist() == prompt
    choices = part.findChild(type(part.choice_list), "handChoiceList")
    assert choices.count() == 256
    listed = [choices.item(i).data(Qt.ItemDataRole.UserRole) for i in range(choices.count())]
    assert listed[0] == int(np.argmax(part.state.probs)) and sorted(listed) == list(range(256))
    row = listed.index(ord("x"))
    choices.setCurrentRow(row)
    click(part, "handPickButton")
    assert part.hand.sequence.tolist() == prompt + [ord("x")]
    assert "def x" in part.sample_view.toPlainText()
    part.prompt_edit.setText("ab")
    part.prompt_edit.editingFinished.emit()
    part.wait()
    assert part.hand.sequence.tolist() == [ord("a"), ord("b")]
    assert len(part.chart.values) == 24 and part.chart.values.tolist() == shown_values(part.state.probs,
                                                                                      part.state.raw).tolist()


def test_knobs_reshape_the_next_distribution_and_a_filtered_pick_is_named(qtbot) -> None:
    model = loaded("wavenet", DataSpec("audio", (30,), 16))
    part = shown(qtbot, model)
    assert isinstance(part.findChild(OrderWave, "handSampleView"), OrderWave)
    part.controls.rows["top_k"].set_value(2)
    part.wait()
    assert int((part.state.probs > 0).sum()) == 2 and int((part.state.raw > 0).sum()) == 16
    removed = int(np.nonzero(part.state.probs == 0)[0][0])
    part.pick(removed)
    part.wait()
    assert part.hand.history[-1].filtered and "filters had removed" in part.caption.text()
    assert part.hand.config.top_k == 2 and part.hand.config.seed == 7
