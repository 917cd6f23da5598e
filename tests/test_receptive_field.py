"""Receptive fields by autograd: a position's field is exactly (within) its predecessors in the order, at every
level; PixelCNN and WaveNet fields grow layer by layer; the plain PixelCNN has a blind spot, the gated one none.
Also the plain (gated=False) PixelCNN's chain rule and normalisation, and the inside benchmark in smoke mode."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
import torch

from arstudio.data import DataSpec
from arstudio.data.labels import LabelSet
from arstudio.errors import UserError
from arstudio.inside.receptive_field import dependency_mask, field_layers, receptive_field
from arstudio.models import build_model
from arstudio.models.steppers import RecomputeStepper
from tests.test_autoregressive import assert_autoregressive

BINARY = DataSpec("binary", (1, 6, 6), 2)
IMAGE = DataSpec("image", (3, 4, 4), 4)
AUDIO = DataSpec("audio", (32,), 16)
TEXT = DataSpec("text", (16,), 7, vocabulary=tuple("abcdef") + ("<eos>",))
WAVENET = {"residual_channels": 8, "dilation_channels": 8, "skip_channels": 8, "layers_per_cycle": 3, "cycles": 2}
CASES = {
    "pixelcnn-binary": ("pixelcnn", BINARY, {"channels": 8, "kernel": 3}),
    "pixelcnn-rgb": ("pixelcnn", IMAGE, {"channels": 12, "kernel": 3, "layers": 4}),
    "pixelcnn-plain": ("pixelcnn", BINARY, {"channels": 8, "kernel": 3, "gated": False}),
    "pixelcnn-plain-rgb": ("pixelcnn", IMAGE, {"channels": 12, "kernel": 3, "gated": False}),
    "pixelcnn-logistic": ("pixelcnn", DataSpec("image", (1, 4, 4), 16), {"channels": 8, "kernel": 3,
                                                                         "head": "logistic", "mixtures": 2}),
    "wavenet": ("wavenet", AUDIO, WAVENET),
    "transformer": ("transformer", TEXT, {"d_model": 16, "layers": 2, "heads": 2}),
    "transformer-image": ("transformer", DataSpec("image", (3, 2, 2), 4), {"d_model": 16, "layers": 2, "heads": 2}),
    "nade": ("nade", BINARY, {"hidden": 16}),
    "nade-random": ("nade", BINARY, {"hidden": 16, "ordering": "random", "ordering_seed": 3}),
    "made": ("made", IMAGE, {"hidden": 256}),
    "made-random": ("made", BINARY, {"hidden": 256, "ordering": "random", "seed": 2}),
}


def model_of(key: str, seed: int = 0):
    family, spec, hparams = CASES[key]
    torch.manual_seed(seed)
    return build_model(family, spec, **hparams).eval()


def example(spec: DataSpec, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, spec.levels, spec.shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("key", sorted(CASES))
def test_every_level_sees_only_predecessors_and_the_output_sees_some(key: str) -> None:
    model = model_of(key)
    dims = model.spec.dims
    for position in sorted({1, dims // 2, dims - 1, int(model.order[dims // 3])}):
        field = receptive_field(model, example(model.spec), position)
        assert field.shape == (len(field_layers(model)), *model.spec.shape)
        assert (field >= 0).all()
        before = dependency_mask(model, position)
        assert int(before.sum()) == int((model.order == position).nonzero()[0, 0])
        for level, name in zip(field, field_layers(model), strict=True):
            assert not (level[~before] != 0).any(), f"{name} sees a value at or after position {position}"
        assert (field[-1] > 0).any() or not before.any(), "the output sees no predecessor"


def test_fields_are_deterministic_and_depend_on_the_model() -> None:
    model, x = model_of("pixelcnn-binary"), example(BINARY)
    assert torch.equal(receptive_field(model, x, 20), receptive_field(model, x, 20))
    assert not torch.equal(receptive_field(model, x, 20), receptive_field(model_of("pixelcnn-binary", 5), x, 20))


@pytest.mark.parametrize("key", ["pixelcnn-binary", "pixelcnn-rgb", "pixelcnn-plain", "wavenet"])
def test_fields_grow_layer_by_layer(key: str) -> None:
    model = model_of(key)
    for position in (model.spec.dims // 2, model.spec.dims - 1):
        seen = receptive_field(model, example(model.spec), position) > 0
        for lower, upper in itertools.pairwise(seen):
            assert not (lower & ~upper).any()
        assert seen[-2].sum() > seen[0].sum()


@pytest.mark.parametrize("key", ["pixelcnn-binary", "pixelcnn-rgb"])
def test_gated_pixelcnn_last_layer_sees_every_predecessor(key: str) -> None:
    model = model_of(key)
    for position in (model.spec.dims - 1, model.spec.dims // 2 + 1, 7):
        field = receptive_field(model, example(model.spec), position)
        assert torch.equal(field[-2] > 0, dependency_mask(model, position))
        assert torch.equal(field[-1] > 0, dependency_mask(model, position))


def test_plain_pixelcnn_has_a_blind_spot_and_the_gated_one_does_not() -> None:
    plain, gated, x = model_of("pixelcnn-plain"), model_of("pixelcnn-binary"), example(BINARY)
    assert plain.num_layers == gated.num_layers and not plain.gated
    row, col = 3, 2
    position = row * 6 + col
    plain_field, gated_field = receptive_field(plain, x, position), receptive_field(gated, x, position)
    for blind in ((row - 1, col + 2), (row - 1, col + 3), (row - 2, col + 3)):
        assert plain_field[-1, 0, blind[0], blind[1]] == 0, blind
        assert gated_field[-1, 0, blind[0], blind[1]] > 0, blind
    assert plain_field[-1, 0, row - 1, col + 1] > 0 and plain_field[-1, 0, row, 0] > 0
    missing = dependency_mask(plain, position) & (plain_field[-1] == 0)
    assert missing.any()


def test_wavenet_field_after_each_block_is_exactly_its_reach() -> None:
    model = model_of("wavenet")
    dilations = model.dilations
    position = 30
    field = receptive_field(model, example(AUDIO), position) > 0
    names = field_layers(model)
    assert names[0] == "input conv" and names[1] == "layer 1 (dilation 1)" and names[3] == "layer 3 (dilation 4)"
    for level in range(len(dilations) + 1):
        reach = 2 + sum(dilations[:level])
        expected = torch.zeros(32, dtype=torch.bool)
        expected[max(0, position - reach):position] = True
        assert torch.equal(field[level], expected), names[level]
    assert torch.equal(field[-1], field[-2])


def test_wavenet_reads_sequences_of_other_lengths_and_the_transformer_refuses_longer_ones() -> None:
    wavenet, transformer = model_of("wavenet"), model_of("transformer")
    field = receptive_field(wavenet, torch.randint(0, 16, (50,)), 45)
    assert field.shape == (len(field_layers(wavenet)), 50)
    assert torch.equal(field[-1] > 0, torch.arange(50).lt(45) & torch.arange(50).ge(45 - wavenet.receptive_field))
    assert torch.equal(dependency_mask(wavenet, 45, 50), torch.arange(50) < 45)
    short = receptive_field(transformer, torch.randint(0, 7, (10,)), 6)
    assert short.shape == (4, 10) and torch.equal(short[-1] > 0, torch.arange(10) < 6)
    with pytest.raises(UserError, match="shorten"):
        receptive_field(transformer, torch.randint(0, 7, (17,)), 3)
    with pytest.raises(UserError, match="position"):
        receptive_field(wavenet, example(AUDIO), 32)
    with pytest.raises(UserError, match="shape"):
        receptive_field(model_of("nade"), torch.zeros(5, dtype=torch.long), 2)


def test_transformer_every_block_sees_every_earlier_value() -> None:
    model = model_of("transformer")
    for position in (1, 7, 15):
        field = receptive_field(model, example(TEXT), position) > 0
        assert field[0].sum() == 1 and field[0, position - 1]
        for level in field[1:]:
            assert torch.equal(level, torch.arange(16) < position)


def test_nade_field_is_every_predecessor_and_made_follows_its_masks() -> None:
    nade = model_of("nade-random")
    for position in range(0, 36, 5):
        assert torch.equal(receptive_field(nade, example(BINARY), position)[0] > 0, dependency_mask(nade, position))
    for key in ("made", "made-random"):
        made = model_of(key)
        paths = made.connectivity()
        for position in (3, 17, made.spec.dims - 1, int(made.order[-1])):
            # A ReLU unit that is off for an example passes no gradient, so one example may see fewer inputs
            # than the masks connect; over a few examples every connected input shows.
            seen = torch.stack([receptive_field(made, example(made.spec, seed), position)[0].flatten() > 0
                                for seed in range(4)])
            assert not (seen & ~paths[:, position]).any()
            assert torch.equal(seen.any(0), paths[:, position])


def test_conditional_models_take_labels() -> None:
    labelled = replace(BINARY, labels=(LabelSet("digit", ("0", "1", "2")),))
    for family, hparams in (("pixelcnn", {"channels": 8, "kernel": 3, "gated": False}),
                            ("pixelcnn", {"channels": 8, "kernel": 3}),
                            ("wavenet", WAVENET)):
        spec = labelled if family == "pixelcnn" else replace(AUDIO, labels=labelled.labels)
        model = build_model(family, spec, **hparams, conditional=True).eval()
        x = example(spec)
        field = receptive_field(model, x, spec.dims - 1, labels=torch.tensor([2]))
        assert not (field[:, ~dependency_mask(model, spec.dims - 1)] != 0).any() and (field[-1] > 0).any()
        with pytest.raises(UserError):
            receptive_field(model, x, 3)


def test_inference_mode_and_training_flag_are_handled() -> None:
    model = model_of("transformer").train()
    x = example(TEXT)
    with torch.inference_mode():
        field = receptive_field(model, torch.randint(0, 7, (16,)), 9)
        again = receptive_field(model, x, 9)
    assert model.training and (field[-1] > 0).sum() == 9 and torch.equal(again, receptive_field(model, x, 9))


def test_plain_pixelcnn_keeps_the_chain_rule_normalises_and_recomputes() -> None:
    for spec in (BINARY, IMAGE):
        assert_autoregressive(build_model("pixelcnn", spec, channels=12, kernel=3, gated=False).eval())
    tiny = DataSpec("image", (3, 1, 2), 2)
    model = build_model("pixelcnn", tiny, channels=6, kernel=3, gated=False).eval()
    every = torch.tensor(list(itertools.product(range(2), repeat=tiny.dims))).view(-1, *tiny.shape)
    with torch.no_grad():
        assert model.log_prob(every).double().exp().sum().item() == pytest.approx(1.0, abs=1e-4)
    stepper = model.stepper(torch.zeros(1, tiny.dims, dtype=torch.long), use_cache=True)
    assert type(stepper) is RecomputeStepper
    assert "gated" in model.hparams and build_model("pixelcnn", tiny, channels=6, kernel=3).hparams["gated"] is True


def test_gated_default_is_unchanged_by_the_option() -> None:
    torch.manual_seed(4)
    default = build_model("pixelcnn", IMAGE, channels=12, kernel=3)
    torch.manual_seed(4)
    explicit = build_model("pixelcnn", IMAGE, channels=12, kernel=3, gated=True)
    state = default.state_dict()
    assert state.keys() == explicit.state_dict().keys()
    assert all(torch.equal(state[k], explicit.state_dict()[k]) for k in state)
    x = example(IMAGE)
    with torch.no_grad():
        assert torch.equal(default(x[None]), explicit(x[None]))


def test_inside_benchmark_measures_the_field_and_attention_against_the_goal() -> None:
    from benchmarks.cases.inside import PARAMS, run
    from benchmarks.core import Context, MemoryProbe

    device = torch.device("cpu")
    outcome = run(Context("smoke", PARAMS["smoke"], device, MemoryProbe(device)))
    assert outcome.status == "ok"
    for name in ("pixelcnn_2_levels", "pixelcnn_256_levels"):
        figures = outcome.metrics[name]
        assert figures["levels"] == figures["layers"] + 1 and figures["nonzero_at_output"] == 14 * 28 + 14
        assert figures["ratio_to_goal"] == pytest.approx(figures["seconds"])
    assert outcome.metrics["attention"]["shape"] == [4, 4, 257, 257]
    assert all(m.met is not None for m in outcome.measures if m.target)
