"""WaveNet's network parts: the gated residual block, and what the cached steppers read of the model.

The model (model.py) stacks the blocks; the queue steppers (queue_stepper.py, native_stepper.py)
rearrange their weights for one step at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import torch.nn.functional as F
from torch import Tensor, nn

from arstudio.data import DataSpec
from arstudio.models.layers import gate


class ResidualBlock(nn.Module):
    """A gated residual block. With `condition_dim`, a projection of the label embedding h joins the gate's
    pre-activation at every step, tanh(W_f * x + V_f h) sigmoid(W_g * x + V_g h) (WaveNet's global conditioning)."""

    def __init__(self, residual: int, dilation_ch: int, skip: int, dilation: int, condition_dim: int = 0) -> None:
        super().__init__()
        self.dilation = dilation
        self.dilated = nn.Conv1d(residual, 2 * dilation_ch, kernel_size=2, dilation=dilation)
        self.residual = nn.Conv1d(dilation_ch, residual, 1)
        self.skip = nn.Conv1d(dilation_ch, skip, 1)
        self.condition = nn.Linear(condition_dim, 2 * dilation_ch, bias=False) if condition_dim else None

    def forward(self, h: Tensor, embedding: Tensor | None = None) -> tuple[Tensor, Tensor]:
        pre = self.dilated(F.pad(h, (self.dilation, 0)))
        if embedding is not None:
            assert self.condition is not None
            pre = pre + self.condition(embedding)[:, :, None]
        gated = gate(pre)
        return h + self.residual(gated), self.skip(gated)


class DilatedNetwork(Protocol):
    """What the cached steppers read of a WaveNet: its embedding, blocks and head."""

    spec: DataSpec
    hparams: dict[str, Any]
    embed: nn.Embedding
    start: Tensor
    """The learned input vector in front of the first value."""
    input_conv: nn.Conv1d
    blocks: Sequence[ResidualBlock]
    dilations: list[int]
    head_hidden: nn.Conv1d
    head_out: nn.Conv1d
    label_embedding: nn.Module | None
    """labels [B, F] -> h [B, E] for a conditional model; None for an unconditional one."""

    def parameters(self, recurse: bool = True) -> Iterator[nn.Parameter]: ...
