"""The figures of a model card, measured the one way that publishing, `zoo build` and the tests share."""

from __future__ import annotations

import torch

from arstudio.data import load_dataset
from arstudio.data.references import references_for
from arstudio.models.base import ARModel
from arstudio.training.evaluate import bits_per_dim, marginal_nll, mean_nll
from arstudio.zoo.cards import Measure

CHECK_EXAMPLES = 100
"""The test examples a card's quick check covers: enough to catch a wrong model, few enough for every test run."""
MARGINAL_EXAMPLES = 1000
"""A conditional model's -log p(x) takes one pass per class, so it covers the first 1000 test images."""


def held_out_split(dataset: str, options: dict, seed: int):
    """The test split of a recipe's data set."""
    return load_dataset(dataset, "test", seed=seed, **options)


def measure(model: ARModel, dataset: str, options: dict, seed: int, examples: int | None = None,
            device: torch.device | None = None) -> Measure:
    """-log p(x) (given the labels, for a conditional model) over the first `examples` test examples (all: None)."""
    split = held_out_split(dataset, options, seed)
    count = len(split) if examples is None else min(examples, len(split))
    labels = split.labels[:count] if model.conditional and split.labels is not None else None
    nll = mean_nll(model, split.data[:count], batch_size=100, device=device, labels=labels)
    given = "/".join(model.spec.label_names) if model.conditional else None
    return Measure(nll, count, bits_per_dim(model, nll), "test", given)


def measure_marginal(model: ARModel, dataset: str, options: dict, seed: int,
                     device: torch.device | None = None) -> Measure | None:
    """A conditional model's -log p(x) on the first MARGINAL_EXAMPLES test examples, where papers report that
    figure for the data set; None for an unconditional model or a data set without published results."""
    if not model.conditional or not references_for(dataset):
        return None
    split = held_out_split(dataset, options, seed)
    count = min(MARGINAL_EXAMPLES, len(split))
    nll = marginal_nll(model, split.data[:count], batch_size=100, device=device)
    return Measure(nll, count, bits_per_dim(model, nll), "test", None)
