"""Held-out negative log-likelihood, in nats per example and bits per dimension."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from arstudio.models.base import ARModel


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


def bits_per_dim(model: ARModel, nll: float) -> float:
    return nll / (model.spec.dims * math.log(2))
