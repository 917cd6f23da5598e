"""generate(): every family, every strategy, partial inputs, caches and beams."""

from __future__ import annotations

import itertools
import warnings

import pytest
import torch

from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.models import build_model
from arstudio.sampling import GenerationStep, SamplerConfig, generate
from tests.model_specs import SMALL, TINY, family_of

FAMILIES = sorted(SMALL)


def small_model(family: str):
    spec, hparams = SMALL[family]
    return build_model(family, spec, **hparams)


@pytest.mark.parametrize("family", FAMILIES)
def test_known_positions_are_kept_exactly(family: str) -> None:
    model = small_model(family)
    spec = model.spec
    known = torch.randint(0, spec.levels, (4, *spec.shape))
    mask = torch.rand(4, *spec.shape) < 0.5
    result = generate(model, 4, SamplerConfig(seed=3), known=known, known_mask=mask)
    assert result.samples.shape == (4, *spec.shape)
    assert torch.equal(result.samples[mask], known[mask])
    assert not torch.equal(result.samples[~mask], known[~mask])


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("config", [SamplerConfig(seed=1), SamplerConfig(seed=2, top_k=2, temperature=0.7)])
def test_recorded_log_probs_sum_to_the_models_log_prob(family: str, config: SamplerConfig) -> None:
    model = small_model(family).eval()
    result = generate(model, 5, config)
    with torch.no_grad():
        expected = model.log_prob(result.samples)
    torch.testing.assert_close(result.log_likelihood, expected, atol=1e-4, rtol=1e-5)
    logits = model.logits(result.samples).detach()
    per_position = torch.log_softmax(logits, -1).gather(-1, result.samples.unsqueeze(-1)).squeeze(-1)
    torch.testing.assert_close(result.log_probs, per_position, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("family", FAMILIES)
def test_greedy_follows_the_argmax_at_every_step(family: str) -> None:
    model = small_model(family).eval()
    result = generate(model, 2, SamplerConfig(greedy=True))
    with torch.no_grad():
        argmax = model.logits(result.samples).argmax(-1)
    assert torch.equal(result.samples, argmax)
    same = generate(model, 1, SamplerConfig(top_k=1, seed=9)).samples
    assert torch.equal(same[0], result.samples[0])


@pytest.mark.parametrize("family", FAMILIES)
def test_a_seed_reproduces_whatever_ran_before(family: str) -> None:
    model = small_model(family)
    first = generate(model, 3, SamplerConfig(seed=42, top_p=0.9)).samples
    torch.rand(1000)
    generate(model, 2, SamplerConfig(seed=7))
    again = generate(model, 3, SamplerConfig(seed=42, top_p=0.9)).samples
    other = generate(model, 3, SamplerConfig(seed=43, top_p=0.9)).samples
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


@pytest.mark.parametrize("key", sorted(TINY))
def test_a_beam_as_wide_as_every_sequence_finds_the_most_probable_one(key: str) -> None:
    spec, hparams = TINY[key]
    model = build_model(family_of(key), spec, **hparams).eval()
    every = torch.tensor(list(itertools.product(range(spec.levels), repeat=spec.dims))).view(-1, *spec.shape)
    with torch.no_grad():
        scores = model.log_prob(every)
    result = generate(model, 3, SamplerConfig(num_beams=spec.levels**spec.dims))
    ranked = scores.argsort(descending=True)[:3]
    assert torch.equal(result.samples, every[ranked])
    torch.testing.assert_close(result.log_likelihood, scores[ranked], atol=1e-4, rtol=1e-5)


def test_narrow_beam_keeps_known_values_and_beats_greedy_on_average() -> None:
    model = small_model("pixelcnn").eval()
    spec = model.spec
    known = torch.randint(0, spec.levels, spec.shape)
    mask = torch.zeros(spec.shape, dtype=torch.bool)
    mask[:, :2] = True
    beam = generate(model, 1, SamplerConfig(num_beams=4), known=known, known_mask=mask)
    greedy = generate(model, 1, SamplerConfig(greedy=True), known=known, known_mask=mask)
    assert torch.equal(beam.samples[0][mask], known[mask])
    assert beam.log_likelihood.item() >= greedy.log_likelihood.item() - 1e-4


@pytest.mark.parametrize("family", ["transformer", "wavenet", "nade"])
def test_cached_and_recomputed_generation_agree_beyond_the_context(family: str) -> None:
    model = small_model(family)
    length = 3 * model.spec.dims if model.spec.is_sequence else None
    prompt = torch.randint(0, model.spec.levels, (5,)) if model.spec.is_sequence else None
    for config in (SamplerConfig(seed=5), SamplerConfig(seed=6, top_p=0.8, repetition_penalty=1.3),
                   SamplerConfig(num_beams=3)):
        cached = generate(model, 3, config, known=prompt, length=length, use_cache=True)
        recomputed = generate(model, 3, config, known=prompt, length=length, use_cache=False)
        assert torch.equal(cached.samples, recomputed.samples)
        torch.testing.assert_close(cached.log_probs, recomputed.log_probs, atol=1e-4, rtol=0)


def test_beyond_the_context_the_transformer_sees_only_its_window() -> None:
    model = small_model("transformer").eval()
    context = model.spec.dims
    result = generate(model, 2, SamplerConfig(seed=0), length=2 * context + 3, window="slide")
    seq = result.samples
    t = 2 * context
    window = seq[:, t - context + 1: t + 1]
    with torch.no_grad():
        expected = torch.log_softmax(model.sequence_logits(window)[:, -1], -1)
    torch.testing.assert_close(result.log_probs[:, t], expected.gather(-1, seq[:, t:t + 1]).squeeze(1))


def test_wavenet_primer_longer_than_the_spec_is_kept() -> None:
    model = small_model("wavenet")
    primer = torch.randint(0, model.spec.levels, (40,))
    result = generate(model, 2, SamplerConfig(seed=1), known=primer, length=60)
    assert result.samples.shape == (2, 60)
    assert torch.equal(result.samples[:, :40], primer.expand(2, 40))


def test_callback_sees_every_step_in_order_and_can_stop() -> None:
    model = small_model("pixelcnn")
    seen: list[GenerationStep] = []

    def watch(step: GenerationStep) -> bool:
        seen.append(step)
        assert step.probs.shape == (2, model.spec.levels)
        assert torch.all(step.top_probs[:, :-1] >= step.top_probs[:, 1:])
        assert step.samples.shape == (2, *model.spec.shape)
        return step.step == 9

    result = generate(model, 2, SamplerConfig(seed=0), callback=watch)
    assert result.stopped_early
    assert [s.step for s in seen] == list(range(10))
    assert [s.position for s in seen] == model.order[:10].tolist()
    assert torch.equal(seen[-1].samples, result.samples)


def test_generation_stops_at_the_end_symbol_when_asked() -> None:
    model = small_model("transformer")
    eos = model.spec.eos_index
    with torch.no_grad():
        model.head_bias[eos] = 4.0
    result = generate(model, 4, SamplerConfig(seed=2), length=30, stop_at_eos=True)
    for row, log_probs in zip(result.samples, result.log_probs, strict=True):
        ends = (row == eos).nonzero()
        assert len(ends), "the boosted end symbol should appear"
        first = int(ends[0])
        assert torch.all(row[first:] == eos)
        assert torch.all(log_probs[first + 1:] == 0)
        assert log_probs[first] < 0
    beams = generate(model, 2, SamplerConfig(num_beams=3, length_penalty=1.0), length=30, stop_at_eos=True)
    assert torch.all(beams.samples[:, -1] == eos)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, "positive whole number"),
        ({"n": 2, "length": 10}, "only to audio and text"),
        ({"n": 2, "known": torch.full((1, 4, 4), 9)}, "must lie in"),
        ({"n": 2, "known": torch.zeros(5, 5, dtype=torch.long)}, "shape"),
        ({"n": 2, "known_mask": torch.ones(1, 4, 4, dtype=torch.bool)}, "without the known values"),
    ],
)
def test_bad_generation_requests_are_user_errors(kwargs: dict, message: str) -> None:
    model = small_model("nade")
    with pytest.raises(UserError, match=message):
        generate(model, **kwargs)


def test_hundreds_of_steps_from_a_trained_model_run_without_warnings() -> None:
    spec = DataSpec("text", (32,), 256)
    model = build_model("transformer", spec, d_model=32, layers=2, heads=2)
    text = torch.tensor(list(b"the quick brown fox jumps over the lazy dog. " * 40))
    windows = text.unfold(0, 32, 7)
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(60):
        loss = -model.log_prob(windows[torch.randint(0, len(windows), (32,))]).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    prompt = torch.tensor(list(b"the quick "))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = generate(model, 2, SamplerConfig(seed=0, top_p=0.9), known=prompt, length=300)
    assert result.samples.shape == (2, 300)
    assert model.training, "generate restores the training mode it found"
