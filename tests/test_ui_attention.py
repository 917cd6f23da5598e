"""The attention tab on a tiny Transformer: every layer and head's map is the model's own causal attention, the
text view colours where the chosen head looks from the hovered token, and mistakes in the text are reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QPoint

from arstudio.app.model_source import LoadedModel
from arstudio.data import DataSpec
from arstudio.data.text_codec import encode_text
from arstudio.inside.attention import attention_maps
from arstudio.models import build_model
from arstudio.ui.inside.attention_part import START, AttentionPart
from arstudio.ui.inside.heat_views import HeatImage, HeatText

TEXT = DataSpec("text", (24,), 256)


def shown(qtbot, family: str = "transformer") -> AttentionPart:
    torch.manual_seed(0)
    hparams = dict(d_model=16, layers=2, heads=2) if family == "transformer" else dict(channels=4)
    spec = TEXT if family == "transformer" else DataSpec("binary", (1, 4, 4), 2)
    part = AttentionPart()
    qtbot.addWidget(part)
    part.resize(1000, 600)
    part.show()
    part.set_model(LoadedModel(build_model(family, spec, **hparams).eval(), "tiny", Path("t.json")))
    part.wait()
    return part


def test_every_map_is_the_models_causal_attention_and_rows_sum_to_one(qtbot) -> None:
    part = shown(qtbot)
    part.text_edit.setPlainText("abcab cab")
    part.show_button.click()
    part.wait()
    qtbot.waitUntil(lambda: part.maps is not None and len(part.tokens) == 10, timeout=3000)
    expected = attention_maps(part.loaded.model, torch.tensor(encode_text("abcab cab", TEXT)))
    assert torch.equal(part.maps.weights, expected.weights)
    assert part.tokens[0] == START and part.tokens[1:] == list("abcab cab")
    weights = part.maps.weights
    assert torch.allclose(weights.sum(-1), torch.ones(weights.shape[:-1]), atol=1e-5)
    assert (torch.triu(weights, diagonal=1) == 0).all(), "no token looks ahead"
    cells = part.findChildren(HeatImage)
    assert len(cells) == 4 and part.findChild(type(part.view), "attentionView") is part.view
    cell = part.findChild(HeatImage, "attentionMap1_0")
    np.testing.assert_allclose(cell.grid, np.sqrt(weights[1, 0].numpy()), atol=1e-6)


def test_hovering_a_token_shows_where_the_chosen_head_looks(qtbot) -> None:
    part = shown(qtbot)
    part.text_edit.setPlainText("abcabc")
    part.show_button.click()
    part.wait()
    qtbot.waitUntil(lambda: part.maps is not None and len(part.tokens) == 7, timeout=3000)
    part.choose(0, 1)
    view = part.findChild(HeatText, "attentionTextView")
    view.hovered.emit(3)
    np.testing.assert_array_equal(part.looking(), part.maps.weights[0, 1, 3].numpy())
    assert part.looking()[4:].sum() == 0 and "token 3 'c'" in part.caption.text()
    part.head_combo.setCurrentIndex(0)
    np.testing.assert_allclose(part.looking(), part.maps.weights[0, :, 3].mean(0).numpy())
    assert "mean of the heads" in part.caption.text()
    cursor = view.textCursor()
    cursor.setPosition(len(START) + 1)
    rect = view.cursorRect(cursor)
    qtbot.mouseMove(view.viewport(), QPoint(rect.x() + 3, rect.center().y()))
    qtbot.waitUntil(lambda: part.query == 2, timeout=2000)
    np.testing.assert_allclose(part.looking(), part.maps.weights[0, :, 2].mean(0).numpy())


def test_a_text_too_long_or_with_unknown_symbols_is_an_error_and_the_maps_stay(qtbot) -> None:
    part = shown(qtbot)
    part.wait()
    qtbot.waitUntil(lambda: part.maps is not None, timeout=3000)
    before = part.maps
    errors: list[str] = []
    part.errorRaised.connect(errors.append)
    part.text_edit.setPlainText("x" * 40)
    part.show_button.click()
    part.wait()
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=3000)
    assert "at most 23" in errors[0] and part.maps is before


def test_other_families_have_no_attention(qtbot) -> None:
    part = shown(qtbot, "pixelcnn")
    assert part.loaded is None and "belongs to the Transformer" in part.hint.text() and not part.view.isVisible()
