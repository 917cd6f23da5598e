"""The Generation order tab on tiny fresh models: the frame shows the generated sample up to the slider's step
(blank after), the order map colours positions by step, play advances the step, and MADE's mask spin changes the
order it generates in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from arstudio.app.model_source import LoadedModel
from arstudio.data import DataSpec
from arstudio.inside.order import generation_order, step_map
from arstudio.models import build_model
from arstudio.ui.inside.heat_views import HeatImage, HeatText
from arstudio.ui.inside.order_part import BLANK, GenerationOrderPart, OrderImage, OrderText, OrderWave, frame_rgba

BINARY = DataSpec("binary", (1, 5, 5), 2)
TEXT = DataSpec("text", (12,), 7, vocabulary=tuple("abcdef") + ("<eos>",))


def loaded(family: str, spec: DataSpec, **hparams) -> LoadedModel:
    torch.manual_seed(0)
    return LoadedModel(build_model(family, spec, **hparams).eval(), f"tiny {family}", Path(f"{family}.json"))


def shown(qtbot, model: LoadedModel) -> GenerationOrderPart:
    part = GenerationOrderPart()
    qtbot.addWidget(part)
    part.resize(900, 450)
    part.show()
    part.set_model(model)
    part.wait()
    return part


def test_the_slider_moves_the_frame_over_a_generated_image(qtbot) -> None:
    model = loaded("pixelcnn", BINARY, channels=8, kernel=3)
    part = shown(qtbot, model)
    assert part.objectName() == "generationOrderPart" and part.title == "Generation order"
    view = part.findChild(OrderImage, "generationOrderView")
    order_map = part.findChild(HeatImage, "orderMapView")
    assert view is not None and order_map is not None and not part.mask_spin.isVisible()
    sample = part.shown.sample
    assert torch.equal(part.shown.order, torch.arange(BINARY.dims))
    assert part.slider.maximum() == BINARY.dims and part.slider.value() == BINARY.dims
    np.testing.assert_array_equal(view.rgba, frame_rgba(sample.numpy(), 2))
    np.testing.assert_array_equal(order_map.grid, step_map(part.shown.order, (1, 5, 5))[0].numpy())
    part.slider.setValue(7)
    assert part.step_label.text() == "step 7 of 25" and "row 1, column 1" in part.caption.text()
    picture = view.rgba[..., :3].reshape(-1, 3)
    assert (picture[7:] == BLANK).all(), "positions not generated yet are blank"
    expected = np.where(sample.flatten()[:7].numpy() == 1, 255, 0)
    np.testing.assert_array_equal(picture[:7, 0], expected)
    part.slider.setValue(0)
    assert (view.rgba[..., :3].reshape(-1, 3) == BLANK).all() and "press Play" in part.caption.text()


def test_play_advances_the_step_to_the_end(qtbot) -> None:
    part = shown(qtbot, loaded("nade", BINARY, hidden=16, ordering="random", ordering_seed=2))
    part.slider.setValue(0)
    part.speed_spin.setValue(250)
    part.play_button.click()
    assert part.play_button.isChecked() and part.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: 0 < part.slider.value() < BINARY.dims, timeout=3000)
    qtbot.waitUntil(lambda: part.slider.value() == BINARY.dims, timeout=3000)
    qtbot.waitUntil(lambda: not part.play_button.isChecked(), timeout=1000)
    assert part.play_button.text() == "Play" and torch.equal(part.shown.order, part.loaded.model.order)
    part.play_button.click()
    assert part.slider.value() < BINARY.dims, "playing at the end starts again"
    part.play_button.click()
    assert not part.timer.isActive()


def test_mades_mask_spin_changes_the_order(qtbot) -> None:
    model = loaded("made", BINARY, hidden=32, num_masks=3, order_agnostic=True)
    part = shown(qtbot, model)
    assert part.mask_spin.isVisible() and part.mask_spin.maximum() == 2 and part.mask_spin.value() == 0
    assert torch.equal(part.shown.order, generation_order(model.model, 0))
    order_map = part.findChild(HeatImage, "orderMapView")
    first_map = order_map.grid.copy()
    part.mask_spin.setValue(2)
    part.wait()
    assert torch.equal(part.shown.order, generation_order(model.model, 2))
    assert not torch.equal(part.shown.order, generation_order(model.model, 0))
    assert not np.array_equal(order_map.grid, first_map) and "mask 2's random ordering" in part.caption.text()
    assert model.model.mask_index == 0, "the loaded model keeps its mask"
    part.slider.setValue(3)
    view = part.findChild(OrderImage, "generationOrderView")
    filled = (view.rgba[..., :3].reshape(-1, 3) != BLANK).any(1)
    assert sorted(np.flatnonzero(filled).tolist()) == sorted(part.shown.order[:3].tolist())
    seed = part.shown.seed
    part.new_button.click()
    part.wait()
    assert part.shown.seed == seed + 1 and torch.equal(part.shown.order, generation_order(model.model, 2))


def test_text_appears_character_by_character_and_audio_draws_up_to_the_step(qtbot) -> None:
    part = shown(qtbot, loaded("transformer", TEXT, d_model=16, layers=1, heads=2))
    text = part.findChild(OrderText, "generationOrderView")
    assert text is not None and isinstance(part.findChild(HeatText, "orderMapView"), HeatText)
    part.slider.setValue(4)
    assert len(text.shown) == 4 and text.toPlainText().count("·") == 8
    part.set_model(loaded("wavenet", DataSpec("audio", (40,), 16), residual_channels=4, dilation_channels=4,
                          skip_channels=4, layers_per_cycle=2, cycles=1))
    part.wait()
    wave = part.findChild(OrderWave, "generationOrderView")
    assert wave is not None and part.findChild(OrderText, "generationOrderView") is None
    part.slider.setValue(10)
    assert wave.drawn == 10 and len(wave.curve.getData()[0]) == 10
    part.set_model(None)
    assert part.findChild(OrderWave, "generationOrderView") is None and not part.play_button.isEnabled()


def test_a_colour_pixel_shows_the_channels_generated_so_far_and_the_map_outlines_that_channel(qtbot) -> None:
    spec = DataSpec("image", (3, 4, 4), 4)
    part = shown(qtbot, loaded("pixelcnn", spec, channels=12, kernel=3))
    part.slider.setValue(3 * 5 + 1)
    view = part.findChild(OrderImage, "generationOrderView")
    sample = part.shown.sample
    assert view.rgba.shape == (4, 4, 4) and "row 1, column 1, channel R" in part.caption.text()
    assert view.rgba[1, 1, 0] == round(int(sample[0, 1, 1]) * 255 / 3) and tuple(view.rgba[1, 1, 1:3]) == (0, 0)
    assert tuple(view.rgba[1, 2, :3]) == BLANK and tuple(view.rgba[1, 0, :3]) != BLANK
    order_map = part.findChild(HeatImage, "orderMapView")
    assert order_map.grid.shape == (4, 12)
    assert list(zip(*order_map.marker.getData(), strict=True))[0] == (1.0, 1.0)
    part.slider.setValue(3 * 5 + 2)
    assert list(zip(*order_map.marker.getData(), strict=True))[0] == (5.0, 1.0), "the G channel's map is next"
