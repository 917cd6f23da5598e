"""How surprised a model is by each value of an example: -log p(x_i | x_<i), from one teacher-forced pass."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from arstudio.errors import UserError
from arstudio.models.base import ARModel


@dataclass(frozen=True)
class Surprisal:
    """nats [*shape]: -log p of each value given its predecessors in the model's order."""

    nats: Tensor
    order: Tensor

    @property
    def total_nats(self) -> float:
        return float(self.nats.sum())

    @property
    def bits_per_dim(self) -> float:
        return self.total_nats / (self.nats.numel() * math.log(2))

    def in_order(self) -> Tensor:
        """[D]: the surprisal of each step, in the order the model visits them."""
        return self.nats.flatten()[self.order]


def surprisal(model: ARModel, example: Tensor, labels: Tensor | None = None) -> Surprisal:
    """The surprisal of every value of one `example` [*shape]. A sequence model (WaveNet, Transformer) scores a
    sequence of any length its one pass takes: a Transformer's is cut to its context, and the result covers that."""
    example = torch.as_tensor(example, dtype=torch.long).to(model.order.device)
    if tuple(example.shape) != model.spec.shape and model.window is None:
        raise UserError(f"This {model.family} model scores examples of shape {model.spec.shape}, "
                        f"got {tuple(example.shape)}.")
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            if model.window is not None and example.dim() == 1:
                seq = (example[: model.spec.dims] if model.window_policies else example).unsqueeze(0)
                logits = model.sequence_logits(seq, labels)
                values = seq
                order = torch.arange(seq.shape[1])
            else:
                logits = model.logits(example.unsqueeze(0), labels).flatten(1, -2)
                values = example.flatten().unsqueeze(0)
                order = model.order.cpu()
            log_p = torch.log_softmax(logits.float(), -1).gather(-1, values.unsqueeze(-1)).squeeze(-1)[0]
    finally:
        model.train(was_training)
    shape = tuple(example.shape) if model.window is None else (len(values[0]),)
    return Surprisal((-log_p).view(shape).cpu(), order)
