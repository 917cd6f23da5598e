"""A GPT-style decoder: causal self-attention, pre-LayerNorm, learned or rotary positions.

Input position 0 is a learned start token, so the logits at step t see x[:t]; the context is
the spec's length D (start token plus D-1 values). Output weights are tied to the token
embedding. `forward_tokens` accepts a KVCache for incremental generation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.models import transformer_native
from arstudio.models.base import SequenceModel
from arstudio.models.steppers import WINDOW_POLICIES, RecomputeStepper, Stepper, window_start

KINDS = ("text", "audio", "binary", "image")
DEFAULTS: dict[str, Any] = {"d_model": 128, "layers": 4, "heads": 4, "mlp_ratio": 4, "positions": "rotary",
                            "dropout": 0.0}
HELP = {
    "d_model": ("Width of the residual stream (a multiple of heads).", 16, 2048),
    "layers": ("Transformer blocks.", 1, 48),
    "heads": ("Attention heads per block.", 1, 32),
    "mlp_ratio": ("Hidden width of each MLP as a multiple of d_model.", 1, 8),
    "positions": ("Position encoding.", ("rotary", "learned"), None),
    "dropout": ("Dropout probability while training.", 0.0, 0.5),
}


@dataclass
class KVCache:
    """Preallocated keys and values of every layer: [layers, 2, B, heads, capacity, head_dim]."""

    tensors: Tensor
    length: int = 0

    @property
    def capacity(self) -> int:
        return self.tensors.shape[4]

    def reorder(self, index: Tensor) -> None:
        self.tensors = self.tensors[:, :, index]


def rotary_tables(head_dim: int, positions: Tensor) -> tuple[Tensor, Tensor]:
    inv_freq = 1.0 / (10000 ** (torch.arange(0, head_dim, 2, device=positions.device).float() / head_dim))
    angles = positions.float().unsqueeze(-1) * inv_freq
    return angles.cos(), angles.sin()


def apply_rotary(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    x1, x2 = x[..., 0::2], x[..., 1::2]
    rotated = torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
    return rotated.flatten(-2).to(x.dtype)


class Block(nn.Module):
    def __init__(self, d_model: int, heads: int, mlp_ratio: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.ln1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, mlp_ratio * d_model), nn.GELU(),
                                 nn.Linear(mlp_ratio * d_model, d_model), nn.Dropout(dropout))

    def queries_keys_values(self, h: Tensor, rotary: tuple[Tensor, Tensor] | None) -> tuple[Tensor, Tensor, Tensor]:
        """h [B, L, width] -> q, k, v [B, heads, L, head_dim], positions applied to q and k."""
        batch, length, _ = h.shape
        q, k, v = self.qkv(self.ln1(h)).view(batch, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4).unbind(0)
        if rotary is not None:
            q, k = apply_rotary(q, *rotary), apply_rotary(k, *rotary)
        return q, k, v

    def attention_weights(self, h: Tensor, rotary: tuple[Tensor, Tensor] | None) -> Tensor:
        """[B, heads, L, L]: how much each position's query attends to each key, causal, rows summing to 1 (what
        `forward` computes inside scaled_dot_product_attention, spelled out to be looked at)."""
        q, k, _ = self.queries_keys_values(h, rotary)
        scores = (q @ k.transpose(-2, -1)) / q.shape[-1] ** 0.5
        length = h.shape[1]
        future = torch.ones(length, length, dtype=torch.bool, device=h.device).triu(1)
        return torch.softmax(scores.float().masked_fill(future, float("-inf")), dim=-1)

    def forward(self, h: Tensor, rotary: tuple[Tensor, Tensor] | None, cache: Tensor | None, start: int) -> Tensor:
        batch, length, width = h.shape
        q, k, v = self.queries_keys_values(h, rotary)
        if cache is not None:
            cache[0, :, :, start:start + length] = k
            cache[1, :, :, start:start + length] = v
            k, v = cache[0, :, :, :start + length], cache[1, :, :, :start + length]
        mask = None
        if length > 1 and start > 0:
            mask = torch.ones(length, start + length, dtype=torch.bool, device=h.device).tril(start)
        attn = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, is_causal=length > 1 and start == 0,
            dropout_p=self.dropout if self.training else 0.0,
        )
        h = h + F.dropout(self.proj(attn.transpose(1, 2).reshape(batch, length, width)), self.dropout, self.training)
        return h + self.mlp(self.ln2(h))


class Transformer(SequenceModel):
    family = "transformer"
    window_policies = WINDOW_POLICIES

    def __init__(self, spec: DataSpec, d_model: int, layers: int, heads: int, mlp_ratio: int, positions: str,
                 dropout: float) -> None:
        if d_model % heads or (d_model // heads) % 2:
            raise UserError(f"d_model ({d_model}) must split into {heads} heads of an even width.")
        if positions not in ("rotary", "learned"):
            raise UserError(f"Unknown position encoding {positions!r}: use 'rotary' or 'learned'.")
        super().__init__(spec, dict(d_model=d_model, layers=layers, heads=heads, mlp_ratio=mlp_ratio,
                                    positions=positions, dropout=dropout))
        self.context = spec.dims
        self.window = spec.dims - 1
        self.start_token = spec.levels
        self.embed = nn.Embedding(spec.levels + 1, d_model)
        nn.init.normal_(self.embed.weight, std=0.02)
        self.position = nn.Embedding(self.context, d_model) if positions == "learned" else None
        if self.position is not None:
            nn.init.normal_(self.position.weight, std=0.02)
        self.blocks = nn.ModuleList(Block(d_model, heads, mlp_ratio, dropout) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d_model)
        self.head_bias = nn.Parameter(torch.zeros(spec.levels))
        self._rotary: tuple[Tensor, Tensor] | None = None

    @property
    def head_dim(self) -> int:
        return self.hparams["d_model"] // self.hparams["heads"]

    def rotary(self, start: int, length: int, device: torch.device) -> tuple[Tensor, Tensor]:
        """cos and sin of positions start .. start+length-1, from a table computed once per device."""
        if self._rotary is None or self._rotary[0].device != device:
            with torch.inference_mode(False), torch.no_grad():
                self._rotary = rotary_tables(self.head_dim, torch.arange(self.context, device=device))
        cos, sin = self._rotary
        return cos[start:start + length], sin[start:start + length]

    def new_cache(self, batch: int, capacity: int | None = None) -> KVCache:
        capacity = capacity or self.context
        weight = self.embed.weight
        shape = (len(self.blocks), 2, batch, self.hparams["heads"], capacity, self.head_dim)
        return KVCache(torch.zeros(shape, dtype=weight.dtype, device=weight.device))

    def forward_tokens(self, tokens: Tensor, cache: KVCache | None = None) -> Tensor:
        """tokens [B, L] (start token included) -> logits [B, L, K] of the value after each token.

        With a cache, tokens continue the cached ones and the cache is extended.
        """
        start = cache.length if cache is not None else 0
        h, rotary = self.embed_tokens(tokens, start)
        for i, block in enumerate(self.blocks):
            h = block(h, rotary, cache.tensors[i] if cache is not None else None, start)
        if cache is not None:
            cache.length = start + tokens.shape[1]
        return F.linear(self.ln_f(h), self.embed.weight[: self.spec.levels], self.head_bias)

    def embed_tokens(self, tokens: Tensor, start: int = 0) -> tuple[Tensor, tuple[Tensor, Tensor] | None]:
        """tokens [B, L] at positions start.. -> the residual stream's input [B, L, width] and the rotary tables
        (None with learned positions, which are added here)."""
        length = tokens.shape[1]
        if start + length > self.context:
            raise UserError(f"The Transformer's context holds {self.context} tokens; got {start + length}.")
        h = self.embed(tokens)
        if self.position is not None:
            return h + self.position(torch.arange(start, start + length, device=tokens.device)), None
        return h, self.rotary(start, length, tokens.device)

    def attention_maps(self, seq: Tensor) -> Tensor:
        """seq [B, T] (T <= context) -> [B, layers, heads, T, T]: the attention of every block and head, where
        row t is the query that predicts seq[:, t] (it sees the start token and seq[:, :t])."""
        start = torch.full_like(seq[:, :1], self.start_token)
        h, rotary = self.embed_tokens(torch.cat([start, seq[:, :-1]], dim=1))
        maps = []
        for block in self.blocks:
            maps.append(block.attention_weights(h, rotary))
            h = block(h, rotary, None, 0)
        return torch.stack(maps, dim=1)

    def sequence_logits(self, seq: Tensor, labels: Tensor | None = None) -> Tensor:
        """seq [B, T] with T <= context -> logits [B, T, K]; step t depends on seq[:, :t]."""
        self.labels_for(labels, seq.shape[0])
        start = torch.full_like(seq[:, :1], self.start_token)
        return self.forward_tokens(torch.cat([start, seq[:, :-1]], dim=1))

    def stepper(self, seq: Tensor, use_cache: bool = True, window: str = "slide",
                labels: Tensor | None = None) -> Stepper:
        self.labels_for(labels, seq.shape[0])
        if window not in WINDOW_POLICIES:
            raise UserError(f"Unknown window policy {window!r}: use one of {', '.join(WINDOW_POLICIES)}.")
        return KVCacheStepper(self, seq, window) if use_cache else RecomputeStepper(self, seq, window)


class KVCacheStepper(Stepper):
    """Feeds one token per step through a key/value cache holding the start token and seq[:, begin:t].

    Past the context the window moves by `policy` (steppers.window_start); every position then
    shifts, so the cache is rebuilt from the new window. "slide" moves it every step (as costly as
    recomputation); "shift" drops the oldest half once per half a context. Either way the logits
    equal recomputation over the same window.
    """

    model: Transformer

    def __init__(self, model: Transformer, seq: Tensor, policy: str = "slide") -> None:
        super().__init__(model, seq)
        self.policy = policy
        self.cache = model.new_cache(seq.shape[0])
        self.native = transformer_native.native_step(model)
        self.begin = 0
        """The first value in the cache (after its start token)."""

    def logits(self, t: int) -> Tensor:
        model = self.model
        begin = window_start(self.policy, t, model.window)
        if begin == self.begin and self.cache.length == t - begin:
            token = self.seq[:, t - 1:t] if t > begin else self.start_tokens(1)
            if self.native is not None:
                return self.native(token[:, 0], self.cache)
            return model.forward_tokens(token, self.cache)[:, -1]
        self.begin, self.cache.length = begin, 0
        if self.native is not None:
            self.native.rest()
        tokens = torch.cat([self.start_tokens(1), self.seq[:, begin:t]], dim=1)
        return model.forward_tokens(tokens, self.cache)[:, -1]

    def prefix_logits(self, count: int) -> Tensor:
        if self.cache.length != 0 or self.begin != 0 or count > self.model.context:
            return super().prefix_logits(count)
        tokens = torch.cat([self.start_tokens(1), self.seq[:, :count - 1]], dim=1)
        return self.model.forward_tokens(tokens, self.cache)

    def start_tokens(self, length: int) -> Tensor:
        return torch.full((self.seq.shape[0], length), self.model.start_token, dtype=self.seq.dtype,
                          device=self.seq.device)

    def reorder(self, index: Tensor) -> None:
        super().reorder(index)
        self.cache.reorder(index)
