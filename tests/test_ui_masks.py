"""The masks tab on tiny NADE and MADE models: what it lights is the model's own dependency matrix, picking an
output by spin, dot or pixel, and stepping through an order-agnostic MADE's masks."""

from __future__ import annotations

from pathlib import Path

import torch
from PySide6.QtCore import QPointF, Qt

from arstudio.app.model_source import LoadedModel
from arstudio.data import DataSpec
from arstudio.inside.connectivity import connectivity
from arstudio.inside.receptive_field import dependency_mask
from arstudio.models import build_model
from arstudio.ui.inside.heat_views import HeatImage
from arstudio.ui.inside.mask_part import MaskPart
from arstudio.ui.inside.mask_views import ConnectivityGraph

BINARY = DataSpec("binary", (1, 5, 5), 2)


def loaded(family: str, **hparams) -> LoadedModel:
    torch.manual_seed(0)
    return LoadedModel(build_model(family, BINARY, **hparams).eval(), f"tiny {family}", Path(f"{family}.json"))


def shown(qtbot, model: LoadedModel | None) -> MaskPart:
    part = MaskPart()
    qtbot.addWidget(part)
    part.resize(1000, 600)
    part.show()
    part.set_model(model)
    part.wait()
    qtbot.waitUntil(lambda: part.loaded is None or part.connectivity is not None, timeout=3000)
    return part


def test_made_reachability_is_the_models_dependency_matrix_for_every_output(qtbot) -> None:
    model = loaded("made", hidden=16)
    part = shown(qtbot, model)
    assert part.findChild(type(part.view), "maskView") is part.view and part.title == "Masks"
    dependencies = model.model.connectivity()
    for output in range(BINARY.dims):
        part.output_spin.setValue(output)
        assert torch.equal(part.reachable_inputs(), dependencies[:, output]), output
        assert not (part.reachable_inputs() & ~dependency_mask(model.model, output).flatten()).any()
    assert f"output {BINARY.dims - 1}" in part.caption.text()


def test_nade_reaches_exactly_the_predecessors_and_a_dot_or_pixel_picks_the_output(qtbot) -> None:
    model = loaded("nade", hidden=8)
    part = shown(qtbot, model)
    for output in (0, 7, 24):
        part.pick(output)
        assert torch.equal(part.reachable_inputs(), dependency_mask(model.model, output).flatten())
    assert "exactly its 24 predecessors" in part.caption.text()
    graph = part.findChild(ConnectivityGraph, "maskGraph")
    spots = [spot for spot in graph.units.points() if spot.data() == 12]
    graph.units.sigClicked.emit(graph.units, spots, None)
    assert part.output_spin.value() == 12
    image = part.findChild(HeatImage, "maskInputsView")
    assert image.isVisible()
    scene = image.plotItem.vb.mapViewToScene(QPointF(3.5, 1.5))
    qtbot.mouseClick(image.viewport(), Qt.MouseButton.LeftButton, pos=image.mapFromScene(scene))
    assert part.output_spin.value() == 1 * 5 + 3
    assert torch.equal(part.reachable_inputs(), dependency_mask(model.model, 8).flatten())


def test_stepping_through_an_order_agnostic_mades_masks(qtbot) -> None:
    model = loaded("made", hidden=16, num_masks=4, order_agnostic=True)
    part = shown(qtbot, model)
    assert part.mask_spin.isVisible() and part.mask_spin.maximum() == 3
    seen = []
    for index in range(4):
        part.mask_spin.setValue(index)
        part.wait()
        qtbot.waitUntil(lambda: part.connectivity is not None and "Mask" in part.caption.text(), timeout=3000)
        assert torch.equal(part.connectivity.order, connectivity(model.model, index).order)
        output = part.output_spin.value()
        model.model.set_mask(index)
        assert torch.equal(part.reachable_inputs(), model.model.connectivity()[:, output])
        seen.append(part.connectivity.order.clone())
    assert len({tuple(order.tolist()) for order in seen}) == 4, "each mask has its own ordering"
    part.mask_spin.setValue(0)
    part.wait()
    part.play_button.setChecked(True)
    qtbot.waitUntil(lambda: part.mask_spin.value() == 1, timeout=4000)
    part.play_button.setChecked(False)


def test_other_families_are_told_where_to_look(qtbot) -> None:
    part = shown(qtbot, loaded("pixelcnn", channels=4))
    assert part.loaded is None and "Receptive field" in part.hint.text() and not part.view.isVisible()
    part = shown(qtbot, None)
    assert "Open a model" in part.hint.text()
