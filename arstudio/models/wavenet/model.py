"""WaveNet (van den Oord et al., 2016): dilated causal convolutions with gated units.

The input is embedded and shifted right by one step (a learned start vector in front), so the
prediction at step t sees x[t - receptive_field .. t-1]. Residual blocks repeat the dilation
cycle 1, 2, 4, ..., 2^(layers_per_cycle-1); each has a gated tanh x sigmoid unit, a residual
1x1 and a skip 1x1; the skips are summed into a K-way softmax head.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.models.base import SequenceModel
from arstudio.models.layers import LabelEmbedding
from arstudio.models.steppers import Stepper
from arstudio.models.wavenet import native_stepper
from arstudio.models.wavenet.layers import ResidualBlock
from arstudio.models.wavenet.queue_stepper import QueueStepper

KINDS = ("audio", "text")
DEFAULTS: dict[str, Any] = {
    "residual_channels": 32,
    "dilation_channels": 32,
    "skip_channels": 64,
    "layers_per_cycle": 10,
    "cycles": 1,
    "conditional": False,
}
"""One cycle of dilations 1..512: a view of 1025 samples (128 ms at 8 kHz) that a laptop CPU generates in
real time (two cycles of 9 see 1024 samples with 18 layers and run about 1.3 times slower than real time)."""
HELP = {
    "residual_channels": ("Channels of the residual path.", 4, 512),
    "dilation_channels": ("Channels of each gated unit.", 4, 512),
    "skip_channels": ("Channels of the skip path and output head.", 4, 1024),
    "layers_per_cycle": ("Layers per dilation cycle 1, 2, 4, ...; the view doubles per layer.", 1, 14),
    "cycles": ("Repetitions of the dilation cycle.", 1, 8),
    "conditional": ("Learn p(audio | labels) from the data set's labels (the digit said, the voice), as WaveNet's "
                    "global conditioning does, and generate as a chosen class.", None, None),
}


class WaveNet(SequenceModel):
    family = "wavenet"

    def __init__(self, spec: DataSpec, residual_channels: int, dilation_channels: int, skip_channels: int,
                 layers_per_cycle: int, cycles: int, conditional: bool = False) -> None:
        if layers_per_cycle < 1 or cycles < 1:
            raise UserError("WaveNet needs at least one layer per cycle and one cycle.")
        super().__init__(spec, dict(residual_channels=residual_channels, dilation_channels=dilation_channels,
                                    skip_channels=skip_channels, layers_per_cycle=layers_per_cycle, cycles=cycles,
                                    conditional=bool(conditional)))
        levels = spec.levels
        self.embed = nn.Embedding(levels, residual_channels)
        self.start = nn.Parameter(torch.randn(residual_channels) * 0.1)
        self.input_conv = nn.Conv1d(residual_channels, residual_channels, kernel_size=2)
        self.dilations = [2**i for _ in range(cycles) for i in range(layers_per_cycle)]
        self.label_embedding = LabelEmbedding(spec.labels, residual_channels) if self.conditional else None
        condition_dim = residual_channels if self.conditional else 0
        self.blocks = nn.ModuleList(
            ResidualBlock(residual_channels, dilation_channels, skip_channels, d, condition_dim) for d in self.dilations
        )
        self.head_hidden = nn.Conv1d(skip_channels, skip_channels, 1)
        self.head_out = nn.Conv1d(skip_channels, levels, 1)
        self.window = self.receptive_field

    @property
    def receptive_field(self) -> int:
        """How many preceding samples the prediction of a sample can depend on."""
        return 2 + sum(self.dilations)

    def shifted_embedding(self, seq: Tensor) -> Tensor:
        """seq [B, T] -> [B, R, T] where column t embeds x[t-1] (the start vector at t=0)."""
        e = self.embed(seq[:, :-1])
        start = self.start.expand(seq.shape[0], 1, -1)
        return torch.cat([start, e], dim=1).transpose(1, 2)

    def sequence_logits(self, seq: Tensor, labels: Tensor | None = None) -> Tensor:
        """seq [B, T] (any T) -> logits [B, T, K]; step t depends on seq[:, :t] only."""
        labels = self.labels_for(labels, seq.shape[0])
        embedding = self.label_embedding(labels) if self.label_embedding is not None else None
        h = self.input_conv(F.pad(self.shifted_embedding(seq), (1, 0)))
        skip = 0
        for block in self.blocks:
            h, s = block(h, embedding)
            skip = skip + s
        out = self.head_out(torch.relu(self.head_hidden(torch.relu(skip))))
        return out.transpose(1, 2)

    def stepper(self, seq: Tensor, use_cache: bool = True, window: str = "slide",
                labels: Tensor | None = None) -> Stepper:
        if not use_cache:
            return super().stepper(seq, use_cache, labels=labels)
        labels = self.labels_for(labels, seq.shape[0])
        return native_stepper.stepper(self, seq, labels) or QueueStepper(self, seq, labels)
