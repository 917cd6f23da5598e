"""Held-out negative log-likelihood, in nats per example and bits per dimension."""

from __future__ import annotations

import itertools
import math

import torch
from torch import Tensor

from arstudio.errors import UserError
from arstudio.models.base import ARModel

MAX_LABEL_COMBINATIONS = 256


@torch.no_grad()
def mean_nll(model: ARModel, data: Tensor, batch_size: int = 256, device: torch.device | None = None,
             labels: Tensor | None = None) -> float:
    """Mean of -eval_log_prob over `data` [N, *shape] (a MADE ensemble averages its masks).

    labels [N, F]: the examples' classes, for a conditional model (ignored by an unconditional one).
    """
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    total = 0.0
    try:
        label_chunks = labels.split(batch_size) if model.conditional and labels is not None else None
        for i, chunk in enumerate(data.split(batch_size)):
            chunk_labels = label_chunks[i].to(device) if label_chunks is not None else None
            total += -model.eval_log_prob(chunk.to(device), chunk_labels).float().sum().item()
    finally:
        model.train(was_training)
    return total / len(data)


@torch.no_grad()
def marginal_nll(model: ARModel, data: Tensor, batch_size: int = 256, device: torch.device | None = None) -> float:
    """-log p(x) of a conditional model with every class (combination) equally likely: -log mean_y p(x | y).

    That is the exact NLL of the unconditional model it defines, so it compares with unconditional figures (the
    papers'); it is at most log(number of classes) above the mean of -log p(x | true class). One pass per class.
    """
    combinations = list(itertools.product(*(range(label.size) for label in model.spec.labels)))
    if len(combinations) > MAX_LABEL_COMBINATIONS:
        raise UserError(f"This model has {len(combinations)} label combinations; summing over them is too slow "
                        f"(at most {MAX_LABEL_COMBINATIONS}).")
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    total = 0.0
    try:
        for chunk in data.split(batch_size):
            chunk = chunk.to(device)
            per_class = torch.stack([model.eval_log_prob(chunk, torch.tensor(labels, device=device))
                                     for labels in combinations])
            total += -(torch.logsumexp(per_class.float(), 0) - math.log(len(combinations))).sum().item()
    finally:
        model.train(was_training)
    return total / len(data)


def bits_per_dim(model: ARModel, nll: float) -> float:
    return nll / (model.spec.dims * math.log(2))
