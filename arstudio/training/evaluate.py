"""Held-out negative log-likelihood, in nats per example and bits per dimension."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from arstudio.models.base import ARModel


@torch.no_grad()
def mean_nll(model: ARModel, data: Tensor, batch_size: int = 256, device: torch.device | None = None) -> float:
    """Mean of -eval_log_prob over `data` [N, *shape] (a MADE ensemble averages its masks)."""
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    total = 0.0
    try:
        for chunk in data.split(batch_size):
            total += -model.eval_log_prob(chunk.to(device)).float().sum().item()
    finally:
        model.train(was_training)
    return total / len(data)


def bits_per_dim(model: ARModel, nll: float) -> float:
    return nll / (model.spec.dims * math.log(2))
