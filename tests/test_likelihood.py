"""Exact likelihoods: normalisation over every input of a tiny spec, and log_prob vs logits."""

from __future__ import annotations

import itertools

import pytest
import torch

from arstudio.models import build_model
from tests.model_specs import SMALL, TINY, family_of


@pytest.mark.parametrize("key", sorted(TINY))
def test_probabilities_of_all_inputs_sum_to_one(key: str) -> None:
    spec, hparams = TINY[key]
    assert spec.dims <= 8 and spec.levels == 2
    model = build_model(family_of(key), spec, **hparams).eval()
    every = torch.tensor(list(itertools.product(range(spec.levels), repeat=spec.dims))).view(-1, *spec.shape)
    with torch.no_grad():
        total = model.log_prob(every).double().exp().sum()
    assert total.item() == pytest.approx(1.0, abs=1e-4)


def test_made_ensemble_is_normalised_too() -> None:
    spec, hparams = TINY["made"]
    model = build_model("made", spec, **hparams, num_masks=3, order_agnostic=True).eval()
    every = torch.tensor(list(itertools.product(range(2), repeat=spec.dims))).view(-1, *spec.shape)
    with torch.no_grad():
        single = model.log_prob(every)
        ensemble = model.eval_log_prob(every)
    assert ensemble.double().exp().sum().item() == pytest.approx(1.0, abs=1e-4)
    assert not torch.allclose(single, ensemble)
    assert model.mask_index == 0


@pytest.mark.parametrize("family", sorted(SMALL))
def test_log_prob_is_the_sum_of_gathered_log_softmax(family: str) -> None:
    spec, hparams = SMALL[family]
    model = build_model(family, spec, **hparams).eval()
    x = torch.randint(0, spec.levels, (5, *spec.shape))
    with torch.no_grad():
        logits = model.logits(x)
        expected = torch.log_softmax(logits, -1).gather(-1, x.unsqueeze(-1)).sum(tuple(range(1, logits.dim())))
        torch.testing.assert_close(model.log_prob(x), expected)
    assert logits.shape == (5, *spec.shape, spec.levels)
