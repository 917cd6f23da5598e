"""Generation order engine: the order is the model's own (MADE's mask ordering, NADE's ordering, raster for the
others), a permutation, and the animated frames replay a real generated sample in that order."""

from __future__ import annotations

import pytest
import torch

from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.inside.order import (
    SEQUENCE_STEPS,
    generate_in_order,
    generation_order,
    order_name,
    step_map,
    steps_shown,
)
from arstudio.models import build_model
from arstudio.sampling import SamplerConfig, generate

BINARY = DataSpec("binary", (1, 5, 5), 2)
TEXT = DataSpec("text", (10,), 7, vocabulary=tuple("abcdef") + ("<eos>",))


def tiny(family: str, spec: DataSpec, **hparams) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(family, spec, **hparams).eval()


def is_permutation(order: torch.Tensor, dims: int) -> bool:
    return order.dtype == torch.long and torch.equal(order.sort().values, torch.arange(dims))


def test_made_order_is_each_masks_own_ordering_and_the_current_one_by_default() -> None:
    model = tiny("made", BINARY, hidden=32, num_masks=4, order_agnostic=True)
    orders = [generation_order(model, index) for index in range(4)]
    for index, order in enumerate(orders):
        assert is_permutation(order, BINARY.dims)
        assert torch.equal(order, model.masks_for(index)[0])
    assert torch.equal(orders[0], torch.arange(BINARY.dims)), "the first mask keeps the raster ordering"
    assert len({tuple(order.tolist()) for order in orders}) == 4, "order-agnostic masks have their own orderings"
    model.set_mask(2)
    assert torch.equal(generation_order(model), orders[2]) and torch.equal(generation_order(model), model.order)
    assert order_name(model, 1) == "mask 1's random ordering" and order_name(model, 0) == "mask 0's raster order"
    with pytest.raises(UserError, match="from 0 to 3"):
        generation_order(model, 4)


def test_nade_order_is_its_ordering_and_the_others_are_raster() -> None:
    nade = tiny("nade", BINARY, hidden=16, ordering="random", ordering_seed=3)
    order = generation_order(nade)
    assert is_permutation(order, BINARY.dims) and torch.equal(order, nade.order)
    assert not torch.equal(order, torch.arange(BINARY.dims)) and "random" in order_name(nade)
    for family, spec, hparams in [("pixelcnn", BINARY, {"channels": 8}),
                                  ("transformer", TEXT, {"d_model": 16, "layers": 1, "heads": 2})]:
        assert torch.equal(generation_order(tiny(family, spec, **hparams)), torch.arange(spec.dims))
    with pytest.raises(UserError, match="single ordering"):
        generation_order(nade, 1)


def test_step_map_inverts_the_order() -> None:
    order = torch.tensor([3, 0, 2, 1])
    steps = step_map(order, (2, 2))
    assert steps.tolist() == [[1, 3], [2, 0]]
    assert torch.equal(steps.flatten()[order], torch.arange(4))


def test_frames_replay_the_generated_sample_in_the_masks_order() -> None:
    model = tiny("made", BINARY, hidden=32, num_masks=3, order_agnostic=True)
    shown = generate_in_order(model, mask_index=1, seed=5)
    order = generation_order(model, 1)
    assert torch.equal(shown.order, order), "generation filled the positions in mask 1's ordering"
    assert model.mask_index == 0 and torch.equal(model.order, generation_order(model, 0)), "the model keeps its mask"
    model.set_mask(1)
    again = generate(model, 1, SamplerConfig(seed=5)).samples[0]
    assert torch.equal(shown.sample, again), "the same sample as generate() with that mask"
    assert torch.allclose(shown.log_probs.sum(), model.log_prob(shown.sample.unsqueeze(0))[0], atol=1e-4)
    flat = shown.sample.flatten()
    for step in (0, 1, 7, BINARY.dims):
        frame = shown.frame(step).flatten()
        assert torch.equal(frame[order[:step]], flat[order[:step]])
        assert (frame[order[step:]] == -1).all()
        assert int(shown.filled(step).sum()) == step
    with pytest.raises(UserError, match="between 0 and 25"):
        shown.frame(26)


def test_nade_and_pixelcnn_generate_in_their_order() -> None:
    nade = tiny("nade", BINARY, hidden=16, ordering="random", ordering_seed=1)
    shown = generate_in_order(nade, seed=2)
    assert torch.equal(shown.order, nade.order)
    assert torch.equal(shown.sample, generate(nade, 1, SamplerConfig(seed=2)).samples[0])
    pixel = generate_in_order(tiny("pixelcnn", BINARY, channels=8), seed=2)
    assert torch.equal(pixel.order, torch.arange(BINARY.dims))
    middle = pixel.frame(12).flatten()
    assert torch.equal(middle[:12], pixel.sample.flatten()[:12]) and (middle[12:] == -1).all()


def test_sequences_animate_their_first_steps_left_to_right() -> None:
    model = tiny("transformer", TEXT, d_model=16, layers=1, heads=2)
    shown = generate_in_order(model, seed=4)
    assert steps_shown(model) == 10 and torch.equal(shown.order, torch.arange(10)) and shown.sample.shape == (10,)
    assert shown.frame(3).tolist()[:3] == shown.sample.tolist()[:3] and shown.frame(3).tolist()[3:] == [-1] * 7
    long_audio = tiny("wavenet", DataSpec("audio", (SEQUENCE_STEPS["audio"] * 2,), 16), residual_channels=4,
                      dilation_channels=4, skip_channels=4, layers_per_cycle=2, cycles=1)
    assert steps_shown(long_audio) == SEQUENCE_STEPS["audio"]
