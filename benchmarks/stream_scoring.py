"""A text model's bits per byte on one stream of text, the way a compressor codes it.

A text data set's examples are consecutive windows of its text, and a coder given the test split sees them
as one stream: a window's first bytes are coded with the end of the previous window in view. Scoring each
window from scratch would deny the model that context. Here the model slides over the stream by half a
window: every byte is scored once, with at least half a window of the text before it in view (the
stream's first window from nothing), and nothing after it.
"""

from __future__ import annotations

import math

import torch

from arstudio.models.base import ARModel


def stream_bits_per_byte(model: ARModel, stream: torch.Tensor, batch: int = 64) -> float:
    """Mean bits per value of `stream` [N] (N >= the model's window) under `model`, a sequence model of window D."""
    window = model.spec.dims
    if stream.dim() != 1 or len(stream) < window:
        raise ValueError(f"need one stream of at least {window} values, got shape {tuple(stream.shape)}")
    starts, first_scored = stream_windows(len(stream), window)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total = 0.0
    try:
        with torch.inference_mode():
            for index in range(0, len(starts), batch):
                chunk = torch.stack([stream[start:start + window] for start in starts[index:index + batch]]).to(device)
                logp = torch.log_softmax(model.sequence_logits(chunk).float(), dim=-1)
                logp = logp.gather(-1, chunk.unsqueeze(-1)).squeeze(-1)
                for row, skip in enumerate(first_scored[index:index + batch]):
                    total -= logp[row, skip:].sum().item()
    finally:
        model.train(was_training)
    return total / (len(stream) * math.log(2))


def stream_windows(length: int, window: int) -> tuple[list[int], list[int]]:
    """Window starts over a stream of `length`, and the first position each window scores, so that every
    position is scored exactly once with at least window // 2 values of context (except in the first window)."""
    stride = max(1, window // 2)
    starts, first_scored, scored_to = [0], [0], window
    while scored_to < length:
        start = min(scored_to + stride, length) - window
        starts.append(start)
        first_scored.append(scored_to - start)
        scored_to = start + window
    return starts, first_scored
