"""Fast WaveNet generation in one C call per step (arstudio/native/wavenet_step.c, bound in wavenet_step.py).

The PyTorch queue stepper (queue_stepper.py) is already down to four operations a layer; what is
left is the fixed cost of about fifty calls into torch per sample, which at 8 kHz is most of the
real-time budget. The C kernel does the same arithmetic with one call per step. It is used for
float32 models on the CPU when the kernel builds; otherwise `stepper` gives None and the caller
falls back to the PyTorch stepper, which gives the same logits to float rounding.
"""

from __future__ import annotations

import ctypes

import torch
from torch import Tensor

from arstudio.models.steppers import Stepper
from arstudio.models.wavenet.layers import DilatedNetwork
from arstudio.native.wavenet_step import FloatPointer, IntPointer, NetStruct, kernel


class KernelWeights:
    """The model's weights laid out [in][out] for the kernel; owns the tensors the struct points into."""

    @torch.no_grad()
    def __init__(self, model: DilatedNetwork) -> None:
        blocks = list(model.blocks)
        embed = torch.cat([model.embed.weight, model.start[None]]).float()
        conv = model.input_conv

        def rows(conv: torch.nn.Conv1d, tap: int = 0) -> Tensor:
            return conv.weight[:, :, tap].t().float()

        tensors = {
            "dilations": torch.tensor(model.dilations, dtype=torch.int32),
            "input_present": embed @ rows(conv, 1) + conv.bias,
            "input_past": embed @ rows(conv, 0),
            "dilated_present": torch.stack([rows(b.dilated, 1) for b in blocks]),
            "dilated_past": torch.stack([rows(b.dilated, 0) for b in blocks]),
            "dilated_bias": torch.stack([b.dilated.bias for b in blocks]),
            "residual_weight": torch.stack([rows(b.residual) for b in blocks]),
            "residual_bias": torch.stack([b.residual.bias for b in blocks]),
            "skip_weight": torch.stack([rows(b.skip) for b in blocks]),
            "skip_bias": torch.stack([b.skip.bias for b in blocks]).sum(0),
            "hidden_weight": rows(model.head_hidden),
            "hidden_bias": model.head_hidden.bias,
            "out_weight": rows(model.head_out),
            "out_bias": model.head_out.bias,
        }
        self.tensors = {name: t.detach().float().contiguous() if t.is_floating_point() else t.contiguous()
                        for name, t in tensors.items()}
        hp = model.hparams
        self.residual, self.dilation_channels = hp["residual_channels"], hp["dilation_channels"]
        self.skip, self.levels = hp["skip_channels"], model.spec.levels
        self.queue_width = sum(model.dilations) * self.residual
        self.scratch_width = self.residual + 2 * self.dilation_channels + 2 * self.skip
        pointers = {name: ctypes.cast(t.data_ptr(), IntPointer if name == "dilations" else FloatPointer)
                    for name, t in self.tensors.items()}
        self.struct = NetStruct(self.residual, self.dilation_channels, self.skip, self.skip, self.levels,
                                len(blocks), **pointers)


def stepper(model: DilatedNetwork, seq: Tensor, labels: Tensor | None = None) -> NativeQueueStepper | None:
    """The C-kernel stepper for `model`, or None where it does not apply (GPU, not float32, no kernel)."""
    if seq.device.type != "cpu" or model.embed.weight.device.type != "cpu":
        return None
    if any(p.dtype != torch.float32 for p in model.parameters()):
        return None
    step = kernel()
    return None if step is None else NativeQueueStepper(model, seq, step, labels)


class NativeQueueStepper(Stepper):
    """Fast WaveNet (Paine et al., 2016) with one C call per step: a queue of past inputs per layer."""

    model: DilatedNetwork

    def __init__(self, model: DilatedNetwork, seq: Tensor, step: ctypes._CFuncPtr,
                 labels: Tensor | None = None) -> None:
        super().__init__(model, seq.to(torch.int64).contiguous(), labels)
        self.conditions = self._condition_terms(model, labels)
        self.step = step
        self.weights = KernelWeights(model)
        self.net = ctypes.byref(self.weights.struct)
        self.queues = torch.zeros(len(seq), self.weights.queue_width)
        self.scratch = torch.empty(self.weights.scratch_width)
        self.next_step = 0

    @staticmethod
    @torch.no_grad()
    def _condition_terms(model: DilatedNetwork, labels: Tensor | None) -> Tensor | None:
        """[B, layers * 2D]: what the labels add to each layer's dilated pre-activation (the kernel's `conditions`)."""
        if labels is None or model.label_embedding is None:
            return None
        embedding = model.label_embedding(labels)
        return torch.cat([block.condition(embedding) for block in model.blocks], dim=1).float().contiguous()

    def logits(self, t: int) -> Tensor:
        if t != self.next_step:
            raise RuntimeError(f"NativeQueueStepper steps in order: expected step {self.next_step}, got {t}.")
        seq, queues, conditions = self.seq, self.queues, self.conditions
        out = torch.empty(len(seq), self.weights.levels)
        status = self.step(self.net, len(seq), t, seq.data_ptr(), seq.stride(0), queues.data_ptr(), queues.stride(0),
                           None if conditions is None else conditions.data_ptr(),
                           0 if conditions is None else conditions.stride(0),
                           self.scratch.data_ptr(), out.data_ptr())
        if status != 0:
            raise ValueError(f"The values before step {t} must lie in 0..{self.weights.levels - 1}.")
        self.next_step = t + 1
        return out

    def reorder(self, index: Tensor) -> None:
        super().reorder(index)
        self.seq = self.seq.contiguous()
        self.queues = self.queues[index].contiguous()
        if self.conditions is not None:
            self.conditions = self.conditions[index].contiguous()
