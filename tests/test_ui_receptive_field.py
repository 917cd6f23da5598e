"""The receptive-field tab on tiny models: it shows what receptive_field() computes, the slider walks the levels,
a click picks the position, and the blind-spot comparison shows the plain PixelCNN's unseen region."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QPoint, QPointF, Qt

from arstudio.app.model_source import LoadedModel
from arstudio.data import DataSpec
from arstudio.inside.receptive_field import dependency_mask, field_layers, receptive_field
from arstudio.models import build_model
from arstudio.ui.inside.field_views import FieldImage, FieldText, FieldWave, field_rgba, log_scale
from arstudio.ui.inside.receptive_field_part import ReceptiveFieldPart, plain_twin

BINARY = DataSpec("binary", (1, 6, 6), 2)


def loaded(family: str, spec: DataSpec, **hparams) -> LoadedModel:
    torch.manual_seed(0)
    return LoadedModel(build_model(family, spec, **hparams).eval(), f"tiny {family}", Path(f"{family}.json"))


def shown(qtbot, model: LoadedModel) -> ReceptiveFieldPart:
    part = ReceptiveFieldPart()
    qtbot.addWidget(part)
    part.resize(900, 500)
    part.show()
    part.set_model(model)
    part.wait()
    return part


def test_the_part_shows_the_engines_field_and_the_slider_walks_the_levels(qtbot) -> None:
    model = loaded("pixelcnn", BINARY, channels=8, kernel=3)
    part = shown(qtbot, model)
    view = part.findChild(FieldImage, "receptiveFieldView")
    assert view is not None and part.objectName() == "receptiveFieldPart" and part.title == "Receptive field"
    expected = receptive_field(model.model, torch.zeros(BINARY.shape, dtype=torch.long), part.position)
    assert part.position == 3 * 6 + 3 and torch.equal(part.fields, expected)
    names = field_layers(model.model)
    assert part.slider.maximum() == len(names) - 1 and part.slider.value() == len(names) - 1
    np.testing.assert_array_equal(part.shown_field(), expected[-1].numpy())
    np.testing.assert_array_equal(view.rgba, field_rgba(expected[-1, 0].numpy(), np.zeros((6, 6))))
    assert "output" in part.level_label.text()
    part.slider.setValue(0)
    np.testing.assert_array_equal(part.shown_field(), expected[0].numpy())
    assert part.level_label.text().startswith("layer 1") and "layer 1" in part.caption.text()
    assert not np.array_equal(view.rgba, field_rgba(expected[-1, 0].numpy(), np.zeros((6, 6))))
    zero = expected[0, 0].numpy() == 0
    assert zero.any() and (view.rgba[zero, 0] == view.rgba[zero, 1]).all(), "zero gradient is grey"


def test_clicking_a_pixel_picks_the_position(qtbot) -> None:
    model = loaded("pixelcnn", BINARY, channels=8, kernel=3)
    part = shown(qtbot, model)
    view = part.findChild(FieldImage, "receptiveFieldView")
    scene = view.plotItem.vb.mapViewToScene(QPointF(4.5, 2.5))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(scene))
    qtbot.waitUntil(lambda: part.position == 2 * 6 + 4, timeout=3000)
    part.wait()
    assert part.position_spin.value() == 16
    expected = receptive_field(model.model, torch.zeros(BINARY.shape, dtype=torch.long), 16)
    assert torch.equal(part.fields, expected)
    part.position_spin.setValue(30)
    part.wait()
    assert torch.equal(part.fields > 0, receptive_field(model.model, part.example, 30) > 0)


def test_blind_spot_button_shows_the_plain_pixelcnns_unseen_region(qtbot) -> None:
    model = loaded("pixelcnn", BINARY, channels=8, kernel=3)
    part = shown(qtbot, model)
    button = part.findChild(type(part.blind_button), "blindSpotButton")
    assert button.isVisible() and part.findChild(FieldImage, "blindSpotView") is None
    button.click()
    part.wait()
    plain = part.findChild(FieldImage, "blindSpotView")
    assert plain is not None and plain.isVisible() and not part.plain_model.gated
    assert len(part.plain_model.layers) == len(model.model.layers)
    expected = receptive_field(plain_twin(model.model), part.example, part.position)
    assert torch.equal(part.plain_fields, expected)
    before = dependency_mask(model.model, part.position)
    blind = before & (part.plain_fields[-1] == 0)
    assert blind[0, 2, 5] and part.fields[-1, 0, 2, 5] > 0 and not (before & (part.fields[-1] == 0)).any()
    np.testing.assert_array_equal(plain.rgba, field_rgba(expected[-1, 0].numpy(), np.zeros((6, 6))))
    assert "blind spot" in part.findChild(type(part.caption), "blindSpotCaption").text()
    button.click()
    part.wait()
    assert not plain.isVisible()


def test_audio_shows_bars_over_the_preceding_samples_and_text_colours_its_characters(qtbot) -> None:
    audio = loaded("wavenet", DataSpec("audio", (48,), 16), residual_channels=8, dilation_channels=8,
                   skip_channels=8, layers_per_cycle=3, cycles=1)
    part = shown(qtbot, audio)
    wave = part.findChild(FieldWave, "receptiveFieldView")
    assert wave is not None and not part.blind_button.isVisible()
    assert part.position == audio.model.receptive_field + 8
    part.slider.setValue(1)
    assert "dilation 1" in part.level_label.text()
    heights = dict(zip(wave.offsets.tolist(), wave.heights.tolist(), strict=True))
    assert [o for o, h in heights.items() if h > 0] == [-3, -2, -1]
    part.slider.setValue(3)
    assert "dilation 4" in part.level_label.text() and sum(h > 0 for h in wave.heights) == 2 + 1 + 2 + 4
    text_spec = DataSpec("text", (12,), 7, vocabulary=tuple("abcdef") + ("<eos>",))
    part.set_model(loaded("transformer", text_spec, d_model=16, layers=2, heads=2))
    part.wait()
    text = part.findChild(FieldText, "receptiveFieldView")
    assert text is not None and part.findChild(FieldWave, "receptiveFieldView") is None
    assert len(text.spans) == 12 and part.position == 11
    assert all("#505050" not in style for style in text.spans[:11])
    part.choose(5)
    part.wait()
    assert all("#505050" in style for style in text.spans[6:]) and "#505050" not in text.spans[0]
    scaled = log_scale(part.shown_field())
    assert (scaled[:5] > 0).all() and (scaled[5:] == 0).all()


def test_clicking_a_character_picks_it_and_no_model_clears_the_part(qtbot) -> None:
    text_spec = DataSpec("text", (12,), 7, vocabulary=tuple("abcdef") + ("<eos>",))
    part = shown(qtbot, loaded("transformer", text_spec, d_model=16, layers=2, heads=2))
    text = part.findChild(FieldText, "receptiveFieldView")
    qtbot.waitExposed(text)
    qtbot.wait(20)
    assert text.anchorAt(text.cursorRect(text.textCursor()).center()) == "0"
    cursor = text.textCursor()
    cursor.setPosition(3)
    point = text.cursorRect(cursor).center() + QPoint(3, 0)
    qtbot.mouseClick(text.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: part.position == 3, timeout=3000)
    part.wait()
    assert (part.fields[-1] > 0).sum() == 3
    part.set_model(None)
    assert part.findChild(FieldText, "receptiveFieldView") is None and not part.slider.isEnabled()
