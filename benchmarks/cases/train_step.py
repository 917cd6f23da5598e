"""One optimisation step with the trainer's recipe, shared by the training-throughput and quality cases."""

from __future__ import annotations

from collections.abc import Callable

import torch

from arstudio.models.base import ARModel


def train_step(model: ARModel, loss_of: Callable[[torch.Tensor], torch.Tensor], optimizer: torch.optim.Optimizer,
               data: torch.Tensor, batch: int, batches: torch.Generator, grad_clip: float, index: int) -> None:
    """Draw `batch` examples of `data` with `batches`, and take step `index` of the negative log-likelihood."""
    model.on_train_step(index)
    x = data[torch.randint(0, len(data), (batch,), generator=batches).to(data.device)]
    loss = -loss_of(x).float().mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
