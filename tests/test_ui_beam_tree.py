"""The Beam tree tab on tiny models: it draws beam_tree()'s nodes with their token labels, the best path is the
search's result, and the spins and prompt rerun the search."""

from __future__ import annotations

from pathlib import Path

import torch

from arstudio.app.model_source import LoadedModel
from arstudio.data import DataSpec
from arstudio.data.text_codec import encode_text, symbol_label
from arstudio.models import build_model
from arstudio.sampling import SamplerConfig, generate
from arstudio.sampling.beam_trace import beam_tree
from arstudio.ui.inside.beam_tree_part import BEST, BeamTreePart, BeamTreeView

TEXT = DataSpec("text", (32,), 256)


def shown(qtbot, family: str, spec: DataSpec) -> BeamTreePart:
    torch.manual_seed(0)
    part = BeamTreePart()
    qtbot.addWidget(part)
    part.resize(1000, 600)
    part.show()
    part.set_model(LoadedModel(build_model(family, spec).eval(), "tiny", Path("x.json")))
    part.wait()
    return part


def test_the_tree_drawn_is_the_searchs(qtbot) -> None:
    part = shown(qtbot, "transformer", TEXT)
    assert part.objectName() == "beamTreePart" and part.title == "Beam tree"
    model = part.loaded.model
    prompt = torch.tensor(encode_text("def ", TEXT))
    expected = beam_tree(model, SamplerConfig(num_beams=3), known=prompt, length=len(prompt) + 8)
    view = part.findChild(BeamTreeView, "beamTreeView")
    assert [n.token for n in part.tree.nodes] == [n.token for n in expected.nodes]
    assert len(view.nodes) == len(expected.nodes) and view.best_edges == 8
    labels = [item.text() for item in view.labels[1:]]
    assert labels == [symbol_label(n.token, TEXT)[-12:] for n in expected.nodes]
    for box, label, node in zip(view.nodes, view.labels[1:], expected.nodes, strict=True):
        assert label.font().bold() == node.kept
        assert (box.brush().color() == BEST) == node.best
    result = generate(model, 1, SamplerConfig(num_beams=3), known=prompt, length=len(prompt) + 8).samples[0]
    assert part.tree.best_tokens == result[len(prompt):].tolist()
    assert view.labels[0].text() == "def "


def test_the_spins_and_the_prompt_rerun_the_search(qtbot) -> None:
    part = shown(qtbot, "transformer", TEXT)
    part.beams_spin.setValue(2)
    part.wait()
    part.steps_spin.setValue(3)
    part.wait()
    assert part.tree.steps == [4, 5, 6] and sum(n.kept for n in part.tree.nodes) == 6
    part.prompt_edit.setText("ab")
    part.prompt_edit.editingFinished.emit()
    part.wait()
    assert part.tree.start.tolist() == [ord("a"), ord("b")] and part.tree.steps == [2, 3, 4]
    assert "2 beams over 3 steps" in part.caption.text()


def test_images_are_searched_over_every_value_and_big_ones_are_explained(qtbot) -> None:
    part = shown(qtbot, "made", DataSpec("binary", (1, 3, 3), 2))
    assert not part.steps_spin.isVisible() and part.tree.steps == list(range(9))
    big = shown(qtbot, "made", DataSpec("binary", (1, 16, 16), 2))
    assert big.loaded is None and "256 values" in big.hint.text()
