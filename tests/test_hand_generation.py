"""HandGeneration on tiny fresh models: picks are kept, the recorded log-probabilities sum to log_prob and to the
model's own log-likelihood, the sampler reproduces generate(), undo takes back exactly one choice."""

from __future__ import annotations

import pytest
import torch

from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.models import build_model
from arstudio.sampling import SamplerConfig, apply_processors, generate
from arstudio.sampling.hand import HandGeneration

BINARY = DataSpec("binary", (1, 4, 4), 2)
COLOUR = DataSpec("image", (3, 3, 3), 4)
AUDIO = DataSpec("audio", (10,), 16)
TEXT = DataSpec("text", (10,), 5, vocabulary=list("abcd "))
MODELS = [("nade", BINARY), ("made", BINARY), ("pixelcnn", COLOUR), ("wavenet", AUDIO), ("transformer", TEXT)]


def fresh(family: str, spec: DataSpec, **hparams):
    torch.manual_seed(0)
    return build_model(family, spec, **hparams).eval()


@pytest.mark.parametrize("family,spec", MODELS, ids=[family for family, _ in MODELS])
def test_picks_are_kept_and_log_probs_sum_to_the_models_log_likelihood(family: str, spec: DataSpec) -> None:
    model = fresh(family, spec)
    hand = HandGeneration(model, SamplerConfig(top_k=2, seed=1))
    picks = []
    while not hand.done:
        value = (hand.step * 7 + 3) % spec.levels
        step = hand.pick(value) if hand.step % 2 == 0 else hand.pick_by_sampler()
        picks.append(step.value)
        assert step.by == ("you" if step.step % 2 == 0 else "sampler")
    assert hand.sequence.tolist() == picks
    assert hand.values.flatten()[model.order if not spec.is_sequence else torch.arange(spec.dims)].tolist() == picks
    assert len(hand.log_probs) == spec.dims
    assert hand.log_prob == pytest.approx(float(hand.log_probs.sum()), abs=1e-5)
    with torch.no_grad():
        expected = float(model.log_prob(hand.values.unsqueeze(0))[0])
    assert hand.log_prob == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("family,spec", MODELS, ids=[family for family, _ in MODELS])
def test_the_sampler_alone_gives_generates_sample_for_the_seed(family: str, spec: DataSpec) -> None:
    model = fresh(family, spec)
    config = SamplerConfig(temperature=0.7, top_p=0.9, seed=11)
    hand = HandGeneration(model, config)
    hand.finish()
    result = generate(model, 1, config)
    assert torch.equal(hand.values, result.samples[0])
    assert torch.allclose(hand.log_probs, result.log_probs[0].flatten()[hand.layout.order], atol=1e-5)


def test_distribution_is_the_processed_one_and_raw_the_models() -> None:
    model = fresh("transformer", TEXT)
    config = SamplerConfig(temperature=0.5, top_k=2, repetition_penalty=1.3, seed=0)
    hand = HandGeneration(model, config, known=torch.tensor([1, 2, 1]), length=8)
    assert hand.step == 3 and hand.position == 3 and [s.by for s in hand.history] == ["known"] * 3
    with torch.no_grad():
        logits = model.sequence_logits(torch.tensor([[1, 2, 1, 0]]))[0, 3]
    assert torch.allclose(hand.raw_distribution(), torch.softmax(logits, -1), atol=1e-5)
    processed = apply_processors(logits.unsqueeze(0), config, torch.tensor([[1, 2, 1]]))[0]
    assert torch.allclose(hand.distribution(), torch.softmax(processed, -1), atol=1e-5)
    assert int((hand.distribution() > 0).sum()) == 2 and float(hand.distribution().sum()) == pytest.approx(1.0)


def test_undo_takes_back_one_choice_and_the_sampler_redraws_the_same_value() -> None:
    model = fresh("made", BINARY)
    hand = HandGeneration(model, SamplerConfig(seed=3))
    first = hand.pick_by_sampler()
    second = hand.pick(1 - first.value)
    before = hand.raw_distribution()
    third = hand.pick_by_sampler()
    assert hand.undo() == third and hand.step == 2
    assert torch.allclose(hand.raw_distribution(), before)
    assert hand.pick_by_sampler().value == third.value
    hand.undo()
    assert hand.undo() == second and hand.step == 1 and hand.sequence.tolist() == [first.value]
    assert hand.log_prob == pytest.approx(first.log_prob)
    hand.undo()
    assert hand.undo() is None and hand.step == 0 and hand.log_prob == 0.0


def test_known_pixels_are_taken_as_they_come_and_undo_keeps_them() -> None:
    model = fresh("pixelcnn", COLOUR)
    known = torch.zeros(COLOUR.shape, dtype=torch.long)
    mask = torch.zeros(COLOUR.shape, dtype=torch.bool)
    known[:, 1, :], mask[:, 1, :] = 3, True
    hand = HandGeneration(model, SamplerConfig(seed=2), known=known, known_mask=mask)
    while not hand.done:
        hand.pick(0)
    assert (hand.values[:, 1, :] == 3).all() and (hand.values[:, 0, :] == 0).all() and (hand.values[:, 2, :] == 0).all()
    assert sum(s.by == "known" for s in hand.history) == 9 and sum(s.by == "you" for s in hand.history) == 18
    with torch.no_grad():
        assert hand.log_prob == pytest.approx(float(model.log_prob(hand.values.unsqueeze(0))[0]), abs=1e-3)
    for _ in range(10):
        hand.undo()
    assert hand.step == 8 and (hand.values[:, 1, :] == 3).all()
    hand.restart()
    assert hand.step == 0 and hand.history == []


def test_cached_and_recomputed_hand_generation_agree() -> None:
    model = fresh("wavenet", AUDIO)
    cached, plain = HandGeneration(model, seed=4), HandGeneration(model, seed=4, use_cache=False)
    while not cached.done:
        assert torch.allclose(cached.raw_distribution(), plain.raw_distribution(), atol=1e-4)
        value = cached.pick_by_sampler().value
        plain.pick(value)
        if cached.step == 5:
            cached.undo(), plain.undo()
            cached.pick(value), plain.pick(value)
    assert torch.equal(cached.values, plain.values)


def test_a_filtered_value_may_be_picked_and_says_so_and_bad_picks_are_refused() -> None:
    model = fresh("nade", BINARY)
    hand = HandGeneration(model, SamplerConfig(top_k=1, seed=0))
    best = int(hand.distribution().argmax())
    assert hand.distribution()[1 - best] == 0
    raw = float(torch.log(hand.raw_distribution()[1 - best]))
    step = hand.pick(1 - best)
    assert step.filtered and step.value == 1 - best and step.log_prob == pytest.approx(raw, abs=1e-5)
    for bad in (-1, 2, 1.0, True):
        with pytest.raises(UserError, match="0..1"):
            hand.pick(bad)
    hand.finish()
    with pytest.raises(UserError, match="complete"):
        hand.distribution()


def test_picking_the_end_symbol_ends_the_text() -> None:
    spec = DataSpec("text", (8,), 4, vocabulary=["a", "b", " ", "<eos>"])
    model = fresh("transformer", spec)
    hand = HandGeneration(model, SamplerConfig(seed=0), stop_at_eos=True)
    hand.pick(0)
    hand.pick(spec.eos_index)
    assert hand.done and hand.values.tolist() == [0] + [spec.eos_index] * 7 and len(hand.log_probs) == 8
    assert hand.log_probs[2:].abs().sum() == 0
    hand.undo()
    assert not hand.done and hand.step == 1
