"""The Transformer's cached decoding step in one C call (arstudio/native/transformer_step.c, bound in
transformer_step.py).

A cached step in PyTorch is some sixty small calls into torch (four linears, two LayerNorms, attention
and GELU per block), each costing microseconds of dispatch while the arithmetic of a 0.8M-parameter
model is about 1.6 MFLOP: the call overhead is most of the time. The kernel does the same arithmetic
in one call and reads and extends the same KVCache tensor, so PyTorch's prefill (after a window
shift) and the kernel's steps mix freely. It is used for float32 models on the CPU when the kernel
builds; otherwise `native_step` gives None and the stepper keeps PyTorch, which gives the same
logits to float rounding.
"""

from __future__ import annotations

import ctypes
from typing import Protocol

import torch
from torch import Tensor, nn

from arstudio.native.transformer_step import WEIGHTS, FloatPointer, NetStruct, kernel, rest

Transformer = nn.Module
"""arstudio.models.transformer.Transformer, which imports this module (so it is not imported here)."""


class KVCache(Protocol):
    """What the step needs of arstudio.models.transformer.KVCache."""

    tensors: Tensor
    length: int

    @property
    def capacity(self) -> int: ...


class KernelWeights:
    """The model's weights laid out [in][out] for the kernel; owns the tensors the struct points into."""

    @torch.no_grad()
    def __init__(self, model: Transformer) -> None:
        blocks = list(model.blocks)
        levels = model.spec.levels

        def stacked(pick) -> Tensor:  # noqa: ANN001 - a lambda over a Block
            return torch.stack([pick(block) for block in blocks])

        rotary = model.rotary(0, model.context, torch.device("cpu")) if model.position is None else (None, None)
        tensors: dict[str, Tensor | None] = {
            "embed": model.embed.weight,
            "position": model.position.weight if model.position is not None else None,
            "rotary_cos": rotary[0], "rotary_sin": rotary[1],
            "ln1_weight": stacked(lambda b: b.ln1.weight), "ln1_bias": stacked(lambda b: b.ln1.bias),
            "qkv_weight": stacked(lambda b: b.qkv.weight.t()), "qkv_bias": stacked(lambda b: b.qkv.bias),
            "proj_weight": stacked(lambda b: b.proj.weight.t()), "proj_bias": stacked(lambda b: b.proj.bias),
            "ln2_weight": stacked(lambda b: b.ln2.weight), "ln2_bias": stacked(lambda b: b.ln2.bias),
            "fc_weight": stacked(lambda b: b.mlp[0].weight.t()), "fc_bias": stacked(lambda b: b.mlp[0].bias),
            "out_weight": stacked(lambda b: b.mlp[2].weight.t()), "out_bias": stacked(lambda b: b.mlp[2].bias),
            "lnf_weight": model.ln_f.weight, "lnf_bias": model.ln_f.bias,
            "head_weight": model.embed.weight[:levels].t(), "head_bias": model.head_bias,
        }
        self.tensors = {name: t.detach().float().contiguous() for name, t in tensors.items() if t is not None}
        pointers = {name: ctypes.cast(self.tensors[name].data_ptr(), FloatPointer) if name in self.tensors else None
                    for name in WEIGHTS}
        hp = model.hparams
        self.width, self.levels = hp["d_model"], levels
        self.hidden = hp["mlp_ratio"] * hp["d_model"]
        self.struct = NetStruct(self.width, hp["heads"], self.hidden, levels, len(blocks), model.context,
                                float(model.ln_f.eps), **pointers)


def native_step(model: Transformer) -> NativeStep | None:
    """The C-kernel step for `model`, or None where it does not apply (GPU, not float32, no kernel)."""
    if any(p.device.type != "cpu" or p.dtype != torch.float32 for p in model.parameters()):
        return None
    step = kernel()
    return None if step is None else NativeStep(model, step)


class NativeStep:
    """Feeds one token per stream through the cache, as `model.forward_tokens(tokens[:, None], cache)[:, -1]`."""

    def __init__(self, model: Transformer, step: ctypes._CFuncPtr) -> None:
        self.step = step
        self.weights = KernelWeights(model)
        self.net = ctypes.byref(self.weights.struct)
        self._scratch = torch.empty(0)
        self.threads = min(2, torch.get_num_threads())
        """1, or 2 to share each step with the kernel's second thread."""
        self._rest = rest()

    def rest(self) -> None:
        """Let the kernel's second thread sleep before PyTorch runs a prefill on both cores."""
        if self.threads > 1 and self._rest is not None:
            self._rest()

    def __call__(self, tokens: Tensor, cache: KVCache) -> Tensor:
        """tokens [B] (values or the start token) at position cache.length -> logits [B, K]; extends the cache."""
        tokens = tokens.to(torch.int64).contiguous()
        batch, w = len(tokens), self.weights
        if not cache.tensors.is_contiguous():
            cache.tensors = cache.tensors.contiguous()
        needed = batch * (8 * w.width + w.hidden) + 2 * cache.capacity
        if self._scratch.numel() < needed:
            self._scratch = torch.empty(needed)
        out = torch.empty(batch, w.levels)
        status = self.step(self.net, batch, tokens.data_ptr(), cache.length, cache.tensors.data_ptr(),
                           cache.capacity, self._scratch.data_ptr(), out.data_ptr(), self.threads)
        if status != 0:
            raise ValueError(f"Tokens must lie in 0..{w.levels} and position {cache.length} inside the context.")
        cache.length += 1
        return out
