"""The surprisal tab on tiny models: the heat map is -log p per value from the model itself, the totals are the
example's NLL, another MADE mask scores the same example beside it, and a drawn sample can be scored too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from arstudio.app.model_source import LoadedModel
from arstudio.data import dataset_spec, load_dataset
from arstudio.inside.surprisal import surprisal
from arstudio.models import build_model
from arstudio.ui.inside.heat_views import HeatImage, HeatText
from arstudio.ui.inside.surprisal_part import NOTHING, SAMPLE, SurprisalPart

DATA = "binary-digits"


def shown(qtbot, loaded: LoadedModel) -> SurprisalPart:
    part = SurprisalPart()
    qtbot.addWidget(part)
    part.resize(1000, 500)
    part.show()
    part.set_model(loaded)
    part.wait()
    qtbot.waitUntil(lambda: part.result is not None, timeout=5000)
    return part


def made(**hparams) -> LoadedModel:
    torch.manual_seed(0)
    model = build_model("made", dataset_spec(DATA), hidden=24, **hparams).eval()
    return LoadedModel(model, "tiny made", Path("made.json"), DATA)


def test_the_heat_map_is_the_models_surprisal_of_the_test_example(qtbot) -> None:
    loaded = made()
    part = shown(qtbot, loaded)
    example = load_dataset(DATA, "test").data[0].long()
    expected = surprisal(loaded.model, example)
    heat = part.findChild(HeatImage, "surprisalHeat")
    np.testing.assert_allclose(heat.grid, expected.nats[0].numpy(), rtol=1e-6)
    expected_nll = -float(loaded.model.log_prob(example.unsqueeze(0)).detach())
    assert f"{expected_nll:.2f} nats in all" in part.first.totals.text()
    assert f"{expected.bits_per_dim:.3f} bits/dim" in part.first.totals.text()
    part.example_spin.setValue(3)
    part.wait()
    qtbot.waitUntil(lambda: "test example 3" in part.caption.text(), timeout=5000)
    third = load_dataset(DATA, "test").data[3].long()
    np.testing.assert_allclose(heat.grid, surprisal(loaded.model, third).nats[0].numpy(), rtol=1e-6)
    assert not part.second.isVisible()


def test_another_mask_scores_the_same_example_and_the_model_keeps_its_own(qtbot) -> None:
    loaded = made(num_masks=3, order_agnostic=True)
    part = shown(qtbot, loaded)
    items = [part.compare_combo.itemText(i) for i in range(part.compare_combo.count())]
    assert items[0] == NOTHING and "this MADE with mask 1" in items and "this MADE with mask 0" not in items
    part.compare_combo.setCurrentText("this MADE with mask 2")
    part.wait()
    qtbot.waitUntil(lambda: part.result["other"] is not None, timeout=5000)
    assert loaded.model.mask_index == 0
    example = load_dataset(DATA, "test").data[0].long()
    loaded.model.set_mask(2)
    expected = surprisal(loaded.model, example)
    loaded.model.set_mask(0)
    np.testing.assert_allclose(part.findChild(HeatImage, "surprisalCompareHeat").grid, expected.nats[0].numpy(),
                               rtol=1e-5)
    assert part.second.isVisible() and "nats" in part.caption.text()


def test_a_drawn_sample_is_scored_and_another_seed_draws_another(qtbot) -> None:
    torch.manual_seed(0)
    model = build_model("transformer", dataset_spec("pydocs"), d_model=16, layers=1, heads=2).eval()
    part = shown(qtbot, LoadedModel(model, "tiny transformer", Path("t.json")))
    assert part.source_combo.currentText() == SAMPLE, "without a data set the tab scores a sample"
    first = part.result["example"].clone()
    text = part.findChild(HeatText, "surprisalHeat")
    assert len(text.tokens) == len(first) == model.spec.dims
    np.testing.assert_allclose(part.result["found"].nats.numpy(), surprisal(model, first).nats.numpy(), rtol=1e-6)
    part.sample_button.click()
    part.wait()
    qtbot.waitUntil(lambda: "seed 1" in part.caption.text(), timeout=5000)
    assert not torch.equal(part.result["example"], first)


def test_a_missing_test_split_is_an_error_message(qtbot) -> None:
    part = shown(qtbot, made())
    errors: list[str] = []
    part.errorRaised.connect(errors.append)
    part.example_spin.setValue(9999)
    part.wait()
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert "pick one from 0 to" in errors[0]
