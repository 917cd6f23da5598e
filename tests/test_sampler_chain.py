"""The sampler chain engine: its last stage is apply_processors, its entropies and survivors are those of each
stage's distribution, the stage order matters where it must, and SamplerConfig carries that order."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from arstudio.errors import UserError
from arstudio.models import build_model
from arstudio.sampling import SamplerConfig, apply_processors
from arstudio.sampling.chain import MODEL, next_value_logits, processor_chain, top_candidates
from arstudio.sampling.config import DEFAULT_ORDER, STAGES
from arstudio.sampling.transforms import min_p_filter, repetition_penalty, top_k_filter, top_p_filter, typical_filter
from tests.model_specs import SMALL

CONFIGS = [
    SamplerConfig(),
    SamplerConfig(temperature=0.7, top_k=5),
    SamplerConfig(top_p=0.8, min_p=0.05, repetition_penalty=1.3),
    SamplerConfig(temperature=1.6, typical_p=0.9, top_k=20, repetition_penalty=0.8, repetition_window=3),
    SamplerConfig(temperature=0.5, top_p=0.95, min_p=0.2, typical_p=0.7, repetition_penalty=2.0,
                  order=("typical_p", "min_p", "temperature", "top_p", "repetition_penalty", "top_k")),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.describe())
def test_the_last_stage_is_apply_processors(config: SamplerConfig) -> None:
    generator = torch.Generator().manual_seed(1)
    for _ in range(5):
        logits = torch.randn(1, 40, generator=generator) * 3
        history = torch.randint(0, 40, (1, 9), generator=generator)
        stages = processor_chain(logits, config, history)
        assert [s.name for s in stages] == [MODEL, *config.order]
        expected = apply_processors(logits, config, history)[0]
        assert torch.equal(stages[-1].logits, expected)
        assert torch.equal(processor_chain(logits[0], config, history[0])[-1].logits, expected)
        assert torch.equal(stages[0].logits, logits[0])


def test_each_stage_is_its_processor_on_the_stage_before() -> None:
    config = SamplerConfig(temperature=0.8, top_k=12, top_p=0.9, min_p=0.1, typical_p=0.95, repetition_penalty=1.5)
    logits = torch.randn(1, 30, generator=torch.Generator().manual_seed(2)) * 2
    history = torch.tensor([[0, 3, 3, 7]])
    stages = processor_chain(logits, config, history)
    steps = [lambda x: repetition_penalty(x, history, 1.5), lambda x: x / 0.8, lambda x: top_k_filter(x, 12),
             lambda x: top_p_filter(x, 0.9), lambda x: min_p_filter(x, 0.1), lambda x: typical_filter(x, 0.95)]
    out = logits
    for stage, step in zip(stages[1:], steps, strict=True):
        out = step(out)
        assert torch.equal(stage.logits, out[0]), stage.name
    assert [s.survivors for s in stages][:3] == [30, 30, 30] and stages[3].survivors == 12
    assert all(a.survivors >= b.survivors for a, b in zip(stages, stages[1:], strict=False))


def test_entropy_survivors_and_skipped_stages() -> None:
    logits = torch.log(torch.tensor([0.5, 0.25, 0.125, 0.125]))
    stages = processor_chain(logits, SamplerConfig(top_k=2))
    model, _, _, top_k, *rest = stages
    assert model.entropy == pytest.approx(-(0.5 * math.log(0.5) + 0.25 * math.log(0.25) + 0.25 * math.log(0.125)))
    assert model.survivors == 4 and not model.skipped
    assert top_k.survivors == 2 and not top_k.skipped and top_k.label == "top-k 2"
    assert torch.allclose(top_k.probs, torch.tensor([2 / 3, 1 / 3, 0, 0]))
    assert top_k.entropy == pytest.approx(-(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)))
    assert torch.isinf(top_k.logits[2:]).all() and torch.isneginf(top_k.logits[2:]).all()
    assert all(s.skipped for s in stages[1:3] + rest), "neutral knobs are skipped"
    assert stages[1].label == "rep off" and stages[2].label == "temperature off"
    penalised = processor_chain(logits, SamplerConfig(repetition_penalty=2.0), history=None)
    assert penalised[1].skipped, "no history: the penalty changes nothing"
    assert not processor_chain(logits, SamplerConfig(repetition_penalty=2.0), torch.tensor([1]))[1].skipped


def test_top_candidates_are_the_models_most_probable() -> None:
    logits = torch.tensor([0.1, 3.0, -1.0, 2.0, 0.5])
    stages = processor_chain(logits, SamplerConfig(temperature=0.3, top_k=1))
    assert top_candidates(stages, 3).tolist() == [1, 3, 4]
    assert top_candidates(stages, 99).tolist() == [1, 3, 4, 0, 2]
    with pytest.raises(ValueError):
        top_candidates(stages, 0)


def test_min_p_before_or_after_temperature_changes_the_result() -> None:
    # p = [0.5, 0.3, 0.2]: min-p 0.5 keeps p >= 0.25 (two values); after T=0.5 (p ~ [0.66, 0.24, 0.10]) only one.
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.2]]))
    after = SamplerConfig(temperature=0.5, min_p=0.5)
    before = dataclasses.replace(after, order=("repetition_penalty", "min_p", "temperature", "top_k", "top_p",
                                               "typical_p"))
    assert after.order == DEFAULT_ORDER
    kept_after = torch.isfinite(apply_processors(logits, after)[0])
    kept_before = torch.isfinite(apply_processors(logits, before)[0])
    assert kept_after.tolist() == [True, False, False]
    assert kept_before.tolist() == [True, True, False]
    assert processor_chain(logits, before)[-1].survivors == 2 and processor_chain(logits, after)[-1].survivors == 1


def test_the_default_order_is_todays() -> None:
    config = SamplerConfig(temperature=0.9, top_k=7, top_p=0.85, min_p=0.02, typical_p=0.9, repetition_penalty=1.2)
    logits = torch.randn(3, 50, generator=torch.Generator().manual_seed(3))
    history = torch.randint(-1, 50, (3, 6), generator=torch.Generator().manual_seed(4))
    out = repetition_penalty(logits, history, 1.2)
    for step in (lambda x: x / 0.9, lambda x: top_k_filter(x, 7), lambda x: top_p_filter(x, 0.85),
                 lambda x: min_p_filter(x, 0.02), lambda x: typical_filter(x, 0.9)):
        out = step(out)
    assert torch.equal(apply_processors(logits, config, history), out)
    assert STAGES == ("repetition_penalty", "temperature", "top_k", "top_p", "min_p", "typical_p")


def test_order_is_validated() -> None:
    for bad in [("temperature",), (*STAGES, "temperature"), ("top_q", *STAGES[1:]), "temperature", 3,
                (*STAGES[:-1], "top_k")]:
        with pytest.raises(UserError, match="repetition_penalty, temperature, top_k, top_p, min_p, typical_p"):
            SamplerConfig(order=bad)
    assert SamplerConfig(order=list(reversed(STAGES))).order == tuple(reversed(STAGES))


def test_order_round_trips_through_json_and_old_json_loads() -> None:
    config = SamplerConfig(top_p=0.9, order=tuple(reversed(STAGES)))
    data = config.to_json()
    assert data["order"] == list(reversed(STAGES))
    assert SamplerConfig.from_json(data) == config
    old = {k: v for k, v in SamplerConfig(top_k=4).to_json().items() if k != "order"}
    assert SamplerConfig.from_json(old).order == DEFAULT_ORDER
    with pytest.raises(UserError, match="order must"):
        SamplerConfig.from_json({**data, "order": ["temperature"]})


def test_describe_mentions_only_a_changed_order() -> None:
    assert "order" not in SamplerConfig(top_p=0.9).describe()
    changed = SamplerConfig(top_p=0.9, order=("temperature", *STAGES[:1], *STAGES[2:])).describe()
    assert changed.startswith("top-p 0.9") and "order temperature > rep > top-k" in changed


@pytest.mark.parametrize("family", ["transformer", "wavenet", "made", "pixelcnn"])
def test_next_value_logits_are_the_models_conditional(family: str) -> None:
    torch.manual_seed(0)
    spec, hparams = SMALL[family]
    model = build_model(family, spec, **hparams).eval()
    x = torch.randint(0, spec.levels, (1, *spec.shape))
    seq = model.to_sequence(x)
    with torch.no_grad():
        full = model.sequence_logits(seq)[0]
    for n in (0, 3, spec.dims - 1):
        assert torch.allclose(next_value_logits(model, seq[0, :n]), full[n], atol=1e-5), n
    if model.window is None:
        with pytest.raises(UserError, match="next value"):
            next_value_logits(model, seq[0])
    else:
        longer = torch.cat([seq[0], seq[0]])
        expected = model.sequence_logits(longer[-model.window - 1:].unsqueeze(0))[0, -1]
        assert torch.allclose(next_value_logits(model, longer[:-1]), expected.detach(), atol=1e-5)
