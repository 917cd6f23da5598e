"""The chain-rule contract, checked by perturbing one position at a time."""

from __future__ import annotations

import pytest
import torch

from arstudio.data import DataSpec
from arstudio.models import build_model
from arstudio.models.base import ARModel
from tests.model_specs import SMALL


def dependency_matrix(model: ARModel, x: torch.Tensor) -> torch.Tensor:
    """dep[i, j]: how much the logits at order[j] move when x at order[i] changes (x is one example)."""
    dims, levels = model.spec.dims, model.spec.levels
    order = model.order
    flat = x.flatten().repeat(dims, 1)
    rows = torch.arange(dims)
    flat[rows, order] = (flat[rows, order] + 1 + torch.randint(0, levels - 1, (dims,))) % levels
    batch = torch.cat([x.flatten().unsqueeze(0), flat]).view(dims + 1, *model.spec.shape)
    with torch.no_grad():
        logits = model.logits(batch).flatten(1, -2)
    change = (logits[1:] - logits[:1]).abs().amax(-1)
    return change[:, order]


def assert_autoregressive(model: ARModel, inputs: int = 3) -> torch.Tensor:
    """Changing x at order[k:] never moves the logits at order[:k+1]; returns the last matrix."""
    for _ in range(inputs):
        x = torch.randint(0, model.spec.levels, model.spec.shape)
        dep = dependency_matrix(model, x)
        on_or_after = torch.ones_like(dep, dtype=torch.bool).tril()
        assert dep[on_or_after].max() < 1e-5, "a conditional depends on its own or a later value"
    return dep


@pytest.mark.parametrize("family", sorted(SMALL))
def test_changing_later_values_never_changes_earlier_logits(family: str) -> None:
    spec, hparams = SMALL[family]
    model = build_model(family, spec, **hparams).eval()
    assert_autoregressive(model)


@pytest.mark.parametrize("family", sorted(SMALL))
def test_perturbing_a_suffix_keeps_the_prefix_logits(family: str) -> None:
    spec, hparams = SMALL[family]
    model = build_model(family, spec, **hparams).eval()
    for k in (0, 1, spec.dims // 2, spec.dims - 1):
        x = torch.randint(0, spec.levels, (4, *spec.shape))
        y = x.flatten(1).clone()
        later = model.order[k:]
        y[:, later] = torch.randint(0, spec.levels, (4, len(later)))
        with torch.no_grad():
            a = model.logits(x).flatten(1, -2)[:, model.order[: k + 1]]
            b = model.logits(y.view_as(x)).flatten(1, -2)[:, model.order[: k + 1]]
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


@pytest.mark.parametrize("ordering", ["raster", "random"])
def test_made_every_mask_and_ordering_is_autoregressive(ordering: str) -> None:
    spec = DataSpec("image", (3, 3, 3), 4)
    model = build_model("made", spec, hidden=40, layers=3, ordering=ordering, num_masks=4,
                        order_agnostic=True, seed=3).eval()
    orders = set()
    for step in range(4):
        assert_autoregressive(model, inputs=2)
        orders.add(tuple(model.order.tolist()))
        model.on_train_step(step + 1)
    assert len(orders) > 1, "order-agnostic training should visit several orderings"


def test_random_orderings_keep_pixel_channels_together() -> None:
    spec = DataSpec("image", (3, 4, 4), 8)
    order = build_model("made", spec, ordering="random", seed=5).order.view(-1, 3)
    plane = 16
    assert torch.equal(order[:, 1] - order[:, 0], torch.full((16,), plane))
    assert torch.equal(order[:, 2] - order[:, 1], torch.full((16,), plane))


DEFAULT_SPECS = {
    "nade": DataSpec("binary", (1, 8, 8), 2),
    "made": DataSpec("binary", (1, 8, 8), 2),
    "pixelcnn": DataSpec("image", (3, 8, 8), 4),
    "wavenet": DataSpec("audio", (64,), 256),
    "transformer": DataSpec("text", (64,), 256),
}


@pytest.mark.parametrize("family", sorted(DEFAULT_SPECS))
def test_default_models_are_autoregressive_and_use_every_predecessor(family: str) -> None:
    model = build_model(family, DEFAULT_SPECS[family]).eval()
    dep = assert_autoregressive(model, inputs=1)
    if family == "made":
        # ReLU units may be inactive for one input; the masks themselves must leave every path.
        dep = model.connectivity()[model.order][:, model.order].float()
        assert not dep.tril().any()
    strictly_before = torch.ones_like(dep, dtype=torch.bool).triu(1)
    assert dep[strictly_before].min() > 0, "some conditional ignores a predecessor"


def test_wavenet_receptive_field_is_exact() -> None:
    spec = DataSpec("audio", (40,), 8)
    model = build_model("wavenet", spec, layers_per_cycle=3, cycles=2).eval()
    rf = model.receptive_field
    assert rf == 2 + 2 * (1 + 2 + 4)
    dep = dependency_matrix(model, torch.randint(0, 8, spec.shape))
    t = 35
    assert dep[t - rf, t] > 0
    assert dep[: t - rf, t].max() == 0

