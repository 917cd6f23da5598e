"""Where a Transformer looks: every block's and head's attention over a text, from the model's own queries and keys."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from arstudio.errors import UserError
from arstudio.models.base import ARModel
from arstudio.models.transformer import Transformer


@dataclass(frozen=True)
class AttentionMaps:
    """weights [layers, heads, T+1, T+1] over the start token and the values (row t+1: the query that
    predicts the value after values[t]); each row sums to 1 over the keys at or before it."""

    values: Tensor
    weights: Tensor

    @property
    def layers(self) -> int:
        return self.weights.shape[0]

    @property
    def heads(self) -> int:
        return self.weights.shape[1]

    def looks_at(self, layer: int, head: int | None, query: int) -> Tensor:
        """[T+1]: the weights of one query row; head None averages the heads."""
        rows = self.weights[layer, :, query]
        return rows.mean(0) if head is None else rows[head]


def attention_maps(model: ARModel, values: Tensor) -> AttentionMaps:
    """The attention of `model` (a Transformer) reading `values` [T] (T < its context), start token first."""
    if not isinstance(model, Transformer):
        raise UserError(f"Attention belongs to the Transformer; a {model.family} model has none. Open a "
                        "Transformer (e.g. the ready transformer-pydocs) to see where it looks.")
    values = torch.as_tensor(values, dtype=torch.long).flatten().to(model.order.device)
    if len(values) >= model.context:
        raise UserError(f"The model reads at most {model.context - 1} values at once; shorten the text to that.")
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            extended = torch.cat([values, values[-1:] if len(values) else values.new_zeros(1)])
            weights = model.attention_maps(extended.unsqueeze(0))[0]
    finally:
        model.train(was_training)
    return AttentionMaps(values.cpu(), weights.cpu())
