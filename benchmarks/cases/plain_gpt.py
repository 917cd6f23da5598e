"""The baseline the Transformer is measured against: a plain PyTorch GPT written the way nanoGPT writes one
(learned positions, pre-LayerNorm blocks, GELU MLP, scaled_dot_product_attention with is_causal), which
generates by recomputing the cropped window at every step, as nanoGPT's `generate` does. Only benchmarks use it."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class _SelfAttention(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, h: Tensor) -> Tensor:
        batch, length, width = h.shape
        q, k, v = self.qkv(h).view(batch, length, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        mixed = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.out(mixed.transpose(1, 2).reshape(batch, length, width))


class _Block(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attention = _SelfAttention(width, heads)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, h: Tensor) -> Tensor:
        h = h + self.attention(self.ln1(h))
        return h + self.mlp(self.ln2(h))


class PlainGPT(nn.Module):
    """tokens [B, L] (L <= block) -> logits [B, L, vocab]."""

    def __init__(self, vocab: int, block: int, width: int = 128, layers: int = 4, heads: int = 4) -> None:
        super().__init__()
        self.block = block
        self.tokens = nn.Embedding(vocab, width)
        self.positions = nn.Embedding(block, width)
        self.blocks = nn.ModuleList(_Block(width, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab, bias=False)

    def forward(self, tokens: Tensor) -> Tensor:
        h = self.tokens(tokens) + self.positions(torch.arange(tokens.shape[1], device=tokens.device))
        for block in self.blocks:
            h = block(h)
        return self.head(self.ln(h))

    def loss(self, inputs: Tensor, targets: Tensor) -> Tensor:
        logits = self(inputs)
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten())

    @torch.inference_mode()
    def generate(self, tokens: Tensor, new: int, generator: torch.Generator) -> Tensor:
        """Append `new` sampled tokens, recomputing the last `block` tokens at every step."""
        for _ in range(new):
            logits = self(tokens[:, -self.block:])[:, -1]
            chosen = torch.multinomial(torch.softmax(logits, -1), 1, generator=generator)
            tokens = torch.cat([tokens, chosen], 1)
        return tokens
