"""Logit processors against their definitions on hand-computed distributions."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
import torch
from torch.testing import assert_close

from arstudio.errors import UserError
from arstudio.sampling import SamplerConfig, apply_processors
from arstudio.sampling.processors import candidates
from arstudio.sampling.transforms import (
    apply_temperature,
    min_p_filter,
    repetition_penalty,
    top_k_filter,
    top_p_filter,
    typical_filter,
)

INF = math.inf


def logp(*rows: list[float]) -> torch.Tensor:
    """Logits equal to the log of the given probabilities, one row per argument."""
    return torch.tensor(rows, dtype=torch.float32).log()


def kept(out: torch.Tensor, row: int = 0) -> set[int]:
    """Indices of the entries of ``out[row]`` that were not removed."""
    assert not torch.isnan(out).any()
    return {int(i) for i in torch.nonzero(torch.isfinite(out[row])).flatten()}


def assert_filtered(out: torch.Tensor, logits: torch.Tensor, keep: set[int], row: int = 0) -> None:
    """Exactly ``keep`` survives in ``out[row]``, at the unchanged values of ``logits[row]``; the rest is -inf."""
    expected = torch.full_like(logits[row], -INF)
    index = torch.tensor(sorted(keep), dtype=torch.long)
    expected[index] = logits[row, index]
    assert_close(out[row], expected)


# --------------------------------------------------------------------------------------------- top-p


@pytest.mark.parametrize(
    ("top_p", "keep"),
    [
        (0.5, {0}),  # 0.5 >= 0.5: the most probable value alone is enough
        (0.3, {0}),
        (0.8, {0, 1}),  # 0.5 + 0.3 = 0.8 >= 0.8, exactly at the boundary
        (0.79, {0, 1}),
        (0.81, {0, 1, 2}),  # 0.8 < 0.81, the third value is needed
        (0.99, {0, 1, 2}),
    ],
)
def test_top_p_keeps_smallest_set_reaching_mass(top_p: float, keep: set[int]) -> None:
    logits = logp([0.5, 0.3, 0.2])
    assert_filtered(top_p_filter(logits, top_p), logits, keep)
    assert_filtered(apply_processors(logits, SamplerConfig(top_p=top_p)), logits, keep)


def test_top_p_follows_probability_not_position() -> None:
    logits = logp([0.2, 0.5, 0.3])
    assert kept(top_p_filter(logits, 0.8)) == {1, 2}
    assert kept(top_p_filter(logits, 0.5)) == {1}


@pytest.mark.parametrize(
    ("top_p", "keep"),
    [
        (0.4, {3}),  # 0.4
        (0.7, {3, 2}),  # 0.4 + 0.3 = 0.7, boundary reached from rounded log-probabilities
        (0.701, {3, 2, 1}),
        (0.9, {3, 2, 1}),  # 0.4 + 0.3 + 0.2 = 0.9, boundary again
        (0.901, {3, 2, 1, 0}),
    ],
)
def test_top_p_cumulative_boundaries_from_log_probs(top_p: float, keep: set[int]) -> None:
    logits = logp([0.1, 0.2, 0.3, 0.4])
    assert kept(top_p_filter(logits, top_p)) == keep


def test_top_p_boundary_survives_float32_rounding() -> None:
    # In float32, softmax(log [0.45, 0.35, 0.2]) gives 0.45 + 0.35 = 0.79999995, just under 0.8.
    logits = logp([0.45, 0.35, 0.2])
    assert kept(top_p_filter(logits, 0.8)) == {0, 1}
    assert kept(top_p_filter(logits, 0.801)) == {0, 1, 2}


def test_top_p_keeps_values_tied_with_the_cutoff() -> None:
    logits = logp([0.4, 0.4, 0.2])
    # 0.4 alone reaches 0.3, but the other 0.4 is tied with it and is kept as well.
    assert kept(top_p_filter(logits, 0.3)) == {0, 1}
    assert kept(top_p_filter(logits, 0.8)) == {0, 1}
    assert kept(top_p_filter(logits, 0.85)) == {0, 1, 2}
    uniform = torch.zeros(1, 4)
    assert kept(top_p_filter(uniform, 0.1)) == {0, 1, 2, 3}


def test_top_p_matches_reference_on_random_logits() -> None:
    logits = torch.randn(16, 50) * 3
    for top_p in (0.1, 0.5, 0.9, 0.97):
        probs = torch.softmax(logits, -1)
        out = top_p_filter(logits, top_p)
        for row in range(logits.shape[0]):
            order = torch.argsort(probs[row], descending=True)
            mass = torch.cumsum(probs[row, order], 0)
            n = int((mass < top_p).sum()) + 1
            assert kept(out, row) == {int(i) for i in order[:n]}


# --------------------------------------------------------------------------------------------- min-p


@pytest.mark.parametrize(
    ("min_p", "keep"),
    [
        (0.2, {0, 1}),  # threshold 0.2 * 0.6 = 0.12: 0.25 stays, 0.1 and 0.05 go
        (0.1, {0, 1, 2}),  # threshold 0.06
        (0.5, {0}),  # threshold 0.3
        (1.0, {0}),  # threshold 0.6: only the maximum
        (0.05 / 0.6, {0, 1, 2, 3}),  # threshold exactly 0.05: inclusive
    ],
)
def test_min_p_threshold_relative_to_max(min_p: float, keep: set[int]) -> None:
    logits = logp([0.6, 0.25, 0.1, 0.05])
    assert_filtered(min_p_filter(logits, min_p), logits, keep)
    assert_filtered(apply_processors(logits, SamplerConfig(min_p=min_p)), logits, keep)


def test_min_p_boundary_is_inclusive_and_keeps_tied_max() -> None:
    assert kept(min_p_filter(logp([0.5, 0.25, 0.25]), 0.5)) == {0, 1, 2}
    # These ratios come out a hair under min_p from float32 log-probabilities; the boundary still holds.
    assert kept(min_p_filter(logp([0.6, 0.3, 0.1]), 0.5)) == {0, 1}
    assert kept(min_p_filter(logp([0.4, 0.3, 0.2, 0.1]), 0.5)) == {0, 1, 2}
    assert kept(min_p_filter(logp([0.4, 0.3, 0.2, 0.1]), 0.51)) == {0, 1}
    assert kept(min_p_filter(logp([0.4, 0.4, 0.2]), 1.0)) == {0, 1}


def test_min_p_uses_probabilities_of_current_logits() -> None:
    # At T=0.5 the probabilities are p^2 renormalised, so ratios to the max are squared:
    # (0.25/0.6)^2 = 0.174 < 0.2, and only the maximum survives min_p=0.2.
    logits = logp([0.6, 0.25, 0.1, 0.05])
    assert kept(apply_processors(logits, SamplerConfig(min_p=0.2))) == {0, 1}
    assert kept(apply_processors(logits, SamplerConfig(min_p=0.2, temperature=0.5))) == {0}
    # Earlier filters renormalise the distribution, which leaves the ratios to the maximum unchanged.
    assert kept(apply_processors(logits, SamplerConfig(min_p=0.2, top_k=3))) == {0, 1}


# --------------------------------------------------------------------------------------- temperature


@pytest.mark.parametrize("temperature", [0.25, 0.5, 0.7, 1.0, 2.0, 5.0])
def test_temperature_equals_power_of_probabilities(temperature: float) -> None:
    p = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    out = apply_processors(p.log(), SamplerConfig(temperature=temperature))
    expected = p ** (1 / temperature)
    assert_close(torch.softmax(out, -1), expected / expected.sum(-1, keepdim=True))
    assert_close(apply_temperature(p.log(), temperature), p.log() / temperature)


def test_small_temperature_approaches_argmax() -> None:
    logits = torch.tensor([[0.1, 2.0, 1.9, -3.0]])
    probs = torch.softmax(apply_processors(logits, SamplerConfig(temperature=1e-3)), -1)
    assert_close(probs, torch.tensor([[0.0, 1.0, 0.0, 0.0]]))
    assert torch.isfinite(probs).all()


def test_temperature_one_is_identity() -> None:
    logits = torch.randn(3, 7)
    assert_close(apply_processors(logits, SamplerConfig()), logits, rtol=0, atol=0)


# ---------------------------------------------------------------------------------- repetition penalty


def test_repetition_penalty_divides_positive_and_multiplies_negative() -> None:
    logits = torch.tensor([[2.0, -2.0, 1.0]])
    history = torch.tensor([[0, 1]])
    assert_close(repetition_penalty(logits, history, 2.0), torch.tensor([[1.0, -4.0, 1.0]]))
    out = apply_processors(logits, SamplerConfig(repetition_penalty=2.0), history)
    assert_close(out, torch.tensor([[1.0, -4.0, 1.0]]))


def test_repetition_penalty_counts_a_token_once_and_leaves_zero() -> None:
    logits = torch.tensor([[2.0, 0.0, 1.0]])
    history = torch.tensor([[0, 0, 0, 1, 1]])
    assert_close(repetition_penalty(logits, history, 2.0), torch.tensor([[1.0, 0.0, 1.0]]))


def test_repetition_penalty_below_one_encourages() -> None:
    logits = torch.tensor([[2.0, -2.0, 1.0]])
    out = repetition_penalty(logits, torch.tensor([[0, 1]]), 0.5)
    assert_close(out, torch.tensor([[4.0, -1.0, 1.0]]))


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (0, [1.0, -4.0, 0.5]),  # whole history: 0, 1, 2 seen
        (1, [2.0, -2.0, 0.5]),  # only the last value (2)
        (2, [2.0, -4.0, 0.5]),  # the last two (1, 2)
        (10, [1.0, -4.0, 0.5]),  # longer than the history
    ],
)
def test_repetition_penalty_window(window: int, expected: list[float]) -> None:
    logits = torch.tensor([[2.0, -2.0, 1.0]])
    history = torch.tensor([[0, 1, 2]])
    assert_close(repetition_penalty(logits, history, 2.0, window), torch.tensor([expected]))
    config = SamplerConfig(repetition_penalty=2.0, repetition_window=window)
    assert_close(apply_processors(logits, config, history), torch.tensor([expected]))


def test_repetition_penalty_ignores_padding() -> None:
    logits = torch.tensor([[2.0, -2.0, 1.0], [2.0, -2.0, 1.0]])
    history = torch.tensor([[-1, 1, -1], [2, -1, -1]])
    expected = torch.tensor([[2.0, -4.0, 1.0], [2.0, -2.0, 0.5]])
    assert_close(repetition_penalty(logits, history, 2.0), expected)
    # With a window of 1 the first row sees only padding.
    assert_close(repetition_penalty(logits, history, 2.0, 1), logits)


def test_repetition_penalty_without_history_is_identity() -> None:
    logits = torch.tensor([[2.0, -2.0, 1.0]])
    assert_close(apply_processors(logits, SamplerConfig(repetition_penalty=3.0)), logits)
    assert_close(repetition_penalty(logits, torch.zeros(1, 0, dtype=torch.long), 3.0), logits)


def test_repetition_penalty_rejects_bad_history() -> None:
    logits = torch.zeros(2, 3)
    with pytest.raises(ValueError):
        repetition_penalty(logits, torch.tensor([[0, 3], [1, 1]]), 2.0)
    with pytest.raises(ValueError):
        repetition_penalty(logits, torch.tensor([[0, 1]]), 2.0)


# ------------------------------------------------------------------------------------------- typical


def test_typical_hand_computed() -> None:
    # p = [1/2, 1/4, 1/8, 1/8]; -log p = [1, 2, 3, 3] * ln 2.
    # H = (1/2 * 1 + 1/4 * 2 + 1/8 * 3 + 1/8 * 3) ln 2 = 1.75 ln 2.
    # |-log p - H| = [0.75, 0.25, 1.25, 1.25] ln 2, ascending order: 1, 0, then 2 and 3 (tied).
    # Cumulative probability in that order: 0.25, 0.75, 0.875, 1.0.
    logits = logp([0.5, 0.25, 0.125, 0.125])
    assert_filtered(typical_filter(logits, 0.5), logits, {0, 1})  # 0.75 >= 0.5
    assert_filtered(typical_filter(logits, 0.75), logits, {0, 1})  # exactly at the boundary
    assert_filtered(typical_filter(logits, 0.8), logits, {0, 1, 2, 3})  # 0.875, and 3 is tied with 2
    # 0.25 alone reaches 0.2 (only value 1), but the most probable value always survives.
    assert_filtered(typical_filter(logits, 0.2), logits, {0, 1})
    assert_filtered(apply_processors(logits, SamplerConfig(typical_p=0.5)), logits, {0, 1})


def test_typical_is_not_top_p() -> None:
    # p = [0.4, 0.3, 0.2, 0.1]; -log p = [0.916, 1.204, 1.609, 2.303].
    # H = 0.4*0.916 + 0.3*1.204 + 0.2*1.609 + 0.1*2.303 = 1.280.
    # |-log p - H| = [0.364, 0.076, 0.330, 1.023], ascending order: 1, 2, 0, 3.
    # Cumulative probability: 0.3, 0.5, 0.9, 1.0, so typical_p=0.45 keeps {1, 2}, plus the max 0;
    # top-p 0.45 would keep {0, 1} instead.
    logits = logp([0.4, 0.3, 0.2, 0.1])
    assert kept(typical_filter(logits, 0.45)) == {0, 1, 2}
    assert kept(top_p_filter(logits, 0.45)) == {0, 1}
    assert kept(typical_filter(logits, 0.91)) == {0, 1, 2, 3}


def test_typical_matches_reference_on_random_logits() -> None:
    logits = torch.randn(16, 40) * 2
    for mass in (0.2, 0.5, 0.9):
        out = typical_filter(logits, mass)
        log_probs = torch.log_softmax(logits, -1)
        entropy = -(log_probs.exp() * log_probs).sum(-1, keepdim=True)
        order = torch.argsort((-log_probs - entropy).abs(), dim=-1)
        cumulative = torch.cumsum(log_probs.exp().gather(-1, order), -1)
        for row in range(logits.shape[0]):
            n = int((cumulative[row] < mass).sum()) + 1
            expected = {int(i) for i in order[row, :n]} | {int(logits[row].argmax())}
            assert kept(out, row) == expected


# --------------------------------------------------------------------------------------------- top-k


def test_top_k() -> None:
    logits = torch.tensor([[1.0, 3.0, 2.0, 0.0]])
    assert_filtered(top_k_filter(logits, 1), logits, {1})
    assert_filtered(top_k_filter(logits, 2), logits, {1, 2})
    assert_filtered(apply_processors(logits, SamplerConfig(top_k=1)), logits, {1})
    for k in (0, 4, 10):
        assert_close(top_k_filter(logits, k), logits)
        assert_close(apply_processors(logits, SamplerConfig(top_k=k)), logits)


def test_top_k_keeps_ties_with_kth() -> None:
    logits = torch.tensor([[1.0, 2.0, 2.0, 0.0]])
    assert kept(top_k_filter(logits, 1)) == {1, 2}


# --------------------------------------------------------------------------------------------- order


def test_temperature_before_top_p() -> None:
    # At T=0.5: p^2 = [0.25, 0.09, 0.04] / 0.38 = [0.658, 0.237, 0.105]; 0.658 + 0.237 = 0.895 >= 0.85.
    # Top-p on the untempered [0.5, 0.3, 0.2] would need all three (0.8 < 0.85).
    logits = logp([0.5, 0.3, 0.2])
    assert kept(apply_processors(logits, SamplerConfig(temperature=0.5, top_p=0.85))) == {0, 1}
    assert kept(top_p_filter(logits, 0.85)) == {0, 1, 2}


def test_top_k_before_top_p() -> None:
    # top-k 2 leaves [0.4, 0.3] -> [0.571, 0.429]; 0.571 >= 0.5 alone. Top-p first would keep {0, 1}.
    logits = logp([0.4, 0.3, 0.2, 0.1])
    assert kept(apply_processors(logits, SamplerConfig(top_k=2, top_p=0.5))) == {0}
    assert kept(top_p_filter(logits, 0.5)) == {0, 1}


def test_top_p_before_min_p() -> None:
    # top-p 0.75 on [0.4, 0.3, 0.2, 0.1] keeps {0, 1, 2} (0.7 < 0.75); min-p 0.45 (threshold 0.18) keeps them.
    # The other order: min-p keeps {0, 1, 2} -> [4/9, 3/9, 2/9], and top-p 0.75 would then keep {0, 1}.
    logits = logp([0.4, 0.3, 0.2, 0.1])
    assert kept(apply_processors(logits, SamplerConfig(top_p=0.75, min_p=0.45))) == {0, 1, 2}
    assert kept(top_p_filter(min_p_filter(logits, 0.45), 0.75)) == {0, 1}


def test_repetition_penalty_before_filters() -> None:
    logits = torch.tensor([[2.0, 1.9, 0.0]])
    out = apply_processors(logits, SamplerConfig(repetition_penalty=2.0, top_k=1), torch.tensor([[0]]))
    assert_close(out, torch.tensor([[-INF, 1.9, -INF]]))


def test_full_chain_hand_computed() -> None:
    logits = torch.tensor([[4.0, 3.0, -1.0, 2.0, 1.0]])
    config = SamplerConfig(repetition_penalty=2.0, temperature=0.5, top_k=3)
    # Penalty on 0 and 2: [2, 3, -2, 2, 1]; T=0.5: [4, 6, -4, 4, 2]; top-3: 6, 4, 4.
    out = apply_processors(logits, config, torch.tensor([[2, 0]]))
    assert_close(out, torch.tensor([[4.0, 6.0, -INF, 4.0, -INF]]))


# ------------------------------------------------------------------------------------ batch and safety


def test_batch_rows_are_independent() -> None:
    logits = logp([0.5, 0.3, 0.2], [0.2, 0.3, 0.5])
    out = apply_processors(logits, SamplerConfig(top_p=0.8))
    assert kept(out, 0) == {0, 1}
    assert kept(out, 1) == {1, 2}

    logits = torch.randn(6, 12) * 2
    history = torch.randint(-1, 12, (6, 5))
    configs = [
        SamplerConfig(top_k=3, temperature=0.7),
        SamplerConfig(top_p=0.6, repetition_penalty=1.5),
        SamplerConfig(min_p=0.3, typical_p=0.8, repetition_penalty=1.3, repetition_window=2),
    ]
    for config in configs:
        together = apply_processors(logits, config, history)
        for row in range(logits.shape[0]):
            alone = apply_processors(logits[row : row + 1], config, history[row : row + 1])
            assert_close(together[row : row + 1], alone)


EXTREME = [
    SamplerConfig(top_p=1e-9),
    SamplerConfig(min_p=1.0),
    SamplerConfig(typical_p=1e-9),
    SamplerConfig(top_k=1),
    SamplerConfig(temperature=1e-4, top_k=1, top_p=1e-9, min_p=1.0, typical_p=1e-9),
    SamplerConfig(temperature=100.0, top_p=1e-9, min_p=1.0, typical_p=1e-9),
]


@pytest.mark.parametrize("config", EXTREME, ids=[c.describe() for c in EXTREME])
def test_most_probable_value_always_survives(config: SamplerConfig) -> None:
    logits = torch.randn(32, 50) * 5
    logits[0] = torch.tensor([1000.0] + [-1000.0] * 49)
    logits[1, 10:] = -INF
    out = apply_processors(logits, config)
    best = logits.argmax(-1)
    assert torch.isfinite(out.gather(-1, best[:, None])).all()
    assert_close(out.argmax(-1), best)
    assert not torch.isnan(out).any()


def test_greedy_argmax_is_preserved() -> None:
    logits = torch.randn(8, 30) * 3
    history = torch.randint(0, 30, (8, 4))
    config = SamplerConfig(greedy=True, temperature=0.3, top_k=5, top_p=0.5, min_p=0.2, repetition_penalty=1.7)
    penalised = repetition_penalty(logits, history, 1.7)
    assert_close(apply_processors(logits, config, history).argmax(-1), penalised.argmax(-1))


def test_input_is_not_modified() -> None:
    logits = torch.randn(4, 20)
    history = torch.randint(-1, 20, (4, 6))
    before, history_before = logits.clone(), history.clone()
    config = SamplerConfig(temperature=0.5, top_k=10, top_p=0.9, min_p=0.05, typical_p=0.9, repetition_penalty=1.5)
    apply_processors(logits, config, history)
    assert torch.equal(logits, before)
    assert torch.equal(history, history_before)
    out = apply_processors(logits, SamplerConfig())
    out.fill_(0.0)
    assert torch.equal(logits, before)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_low_precision_input_is_computed_in_float32(dtype: torch.dtype) -> None:
    logits = (torch.randn(4, 16) * 3).to(dtype)
    config = SamplerConfig(temperature=0.7, top_p=0.9, repetition_penalty=1.2)
    history = torch.randint(0, 16, (4, 3))
    out = apply_processors(logits, config, history)
    assert out.dtype == torch.float32
    assert_close(out, apply_processors(logits.float(), config, history))


def test_rejects_non_matrix_logits() -> None:
    with pytest.raises(ValueError):
        apply_processors(torch.zeros(5), SamplerConfig())


# ------------------------------------------------------------------------------------------ candidates


def test_candidates_use_processed_distribution() -> None:
    processed = apply_processors(logp([0.2, 0.5, 0.3]), SamplerConfig(top_p=0.8))
    values, probs = candidates(processed, 2)
    assert values.tolist() == [[1, 2]]
    assert_close(probs, torch.tensor([[0.625, 0.375]]))
    values, probs = candidates(processed, 10)
    assert values.shape == (1, 3)
    assert values[0, :2].tolist() == [1, 2]
    assert_close(probs, torch.tensor([[0.625, 0.375, 0.0]]))


# -------------------------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    "bad",
    [
        {"temperature": 0.0},
        {"temperature": -1.0},
        {"temperature": math.nan},
        {"temperature": math.inf},
        {"temperature": "hot"},
        {"top_k": -1},
        {"top_k": 2.5},
        {"top_p": 0.0},
        {"top_p": 1.01},
        {"top_p": -0.5},
        {"min_p": -0.01},
        {"min_p": 1.5},
        {"typical_p": 0.0},
        {"typical_p": 1.2},
        {"repetition_penalty": 0.0},
        {"repetition_penalty": -1.0},
        {"num_beams": 0},
        {"repetition_window": -1},
        {"seed": 1.5},
        {"seed": "42"},
        {"greedy": "yes"},
        {"length_penalty": math.nan},
        {"early_stopping": None},
    ],
    ids=lambda bad: f"{next(iter(bad))}={next(iter(bad.values()))!r}",
)
def test_config_validation(bad: dict) -> None:
    with pytest.raises(UserError, match=next(iter(bad))):
        SamplerConfig(**bad)


def test_temperature_zero_points_to_greedy() -> None:
    with pytest.raises(UserError, match="greedy"):
        SamplerConfig(temperature=0)


def test_config_defaults_and_field_order() -> None:
    names = [f.name for f in dataclasses.fields(SamplerConfig)]
    assert names[:10] == [
        "temperature", "top_k", "top_p", "min_p", "typical_p",
        "repetition_penalty", "greedy", "num_beams", "length_penalty", "seed",
    ]  # fmt: skip
    config = SamplerConfig()
    assert (config.temperature, config.top_k, config.top_p, config.min_p, config.typical_p) == (1.0, 0, 1.0, 0.0, 1.0)
    assert (config.repetition_penalty, config.greedy, config.num_beams, config.length_penalty) == (1.0, False, 1, 1.0)
    assert (config.seed, config.repetition_window, config.early_stopping) == (None, 0, True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.temperature = 2.0  # type: ignore[misc]


def test_config_json_round_trip() -> None:
    config = SamplerConfig(temperature=0.7, top_k=40, top_p=0.9, seed=3, repetition_window=8, num_beams=2)
    data = json.loads(json.dumps(config.to_json()))
    assert SamplerConfig.from_json(data) == config
    assert SamplerConfig.from_json({"temperature": 1, "top_k": 5.0}) == SamplerConfig(top_k=5)
    with pytest.raises(UserError, match="temprature"):
        SamplerConfig.from_json({"temprature": 0.5})


@pytest.mark.parametrize(
    ("config", "label"),
    [
        (SamplerConfig(), "temperature 1"),
        (SamplerConfig(temperature=0.7), "temperature 0.7"),
        (SamplerConfig(top_p=0.9), "top-p 0.9"),
        (SamplerConfig(top_k=40, temperature=0.8), "top-k 40, T=0.8"),
        (SamplerConfig(greedy=True), "greedy"),
        (SamplerConfig(num_beams=4), "beam 4"),
        (SamplerConfig(min_p=0.05, repetition_penalty=1.2), "min-p 0.05, rep 1.2"),
        (SamplerConfig(typical_p=0.95), "typical 0.95"),
    ],
)
def test_describe(config: SamplerConfig, label: str) -> None:
    assert config.describe() == label
