"""generate(): one position at a time in the model's order, for every family and strategy."""

from __future__ import annotations

import secrets
from functools import partial

import torch
from torch import Tensor

from arstudio.errors import UserError
from arstudio.models.base import ARModel
from arstudio.models.steppers import Stepper
from arstudio.sampling.beam import beam_search
from arstudio.sampling.config import SamplerConfig
from arstudio.sampling.processors import apply_processors, draw, is_identity
from arstudio.sampling.request import (
    GenerationResult,
    GenerationStep,
    Layout,
    StepCallback,
    StepperFactory,
    known_tensors,
    resolve_length,
    resolve_window,
)


def generate(
    model: ARModel,
    n: int,
    config: SamplerConfig | None = None,
    known: Tensor | None = None,
    known_mask: Tensor | None = None,
    length: int | None = None,
    use_cache: bool = True,
    callback: StepCallback | None = None,
    stop_at_eos: bool = False,
    window: str = "shift",
    labels: Tensor | None = None,
) -> GenerationResult:
    """Draw `n` samples from `model`, keeping the `known` positions exactly.

    known / known_mask: [*shape] or [n, *shape]; for sequences they may cover only the first
    steps. length: for audio and text, the number of steps (may exceed the model's context).
    stop_at_eos: for text with an end symbol, a sample ends there and the rest is filled with
    it (with log-probability 0). The callback sees every step and returns True to stop.
    window: past a Transformer's context, "shift" (drop the oldest half of the window once it is
    full, then continue cached; each step sees at least half a context) or "slide" (the last
    context's values at every step, exact but as slow as recomputation). Other families ignore it;
    the result's `window_policy` says which applied.
    labels: for a conditional model, the classes to generate as: [n, F] (one column per label set of the
    spec) or [F] for every sample alike; see `ARModel.labels_for`.
    """
    config = config or SamplerConfig()
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise UserError(f"The number of samples must be a positive whole number, got {n!r}.")
    device = model.order.device
    layout = Layout(model, resolve_length(model, length))
    policy = resolve_window(model, window)
    new_stepper = partial(model.stepper, use_cache=use_cache, window=window)
    values, mask = known_tensors(layout, n, known, known_mask, device)
    labels = model.labels_for(labels, n)
    seed = config.seed if config.seed is not None else secrets.randbits(62)
    generator = torch.Generator(device=device).manual_seed(seed)
    eos = model.spec.eos_index if stop_at_eos else None
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            if config.num_beams > 1:
                seq, log_probs, stopped = beam_search(model, layout, n, config, values, mask, new_stepper, eos,
                                                      callback, labels)
            else:
                seq, log_probs, stopped = sample(layout, config, values, mask, new_stepper, generator, eos, callback,
                                                 labels)
    finally:
        model.train(was_training)
    return GenerationResult(layout.from_sequence(seq), layout.from_sequence(log_probs), seed, stopped, policy)


def sample(layout: Layout, config: SamplerConfig, values: Tensor, mask: Tensor, new_stepper: StepperFactory,
           generator: torch.Generator, eos: int | None, callback: StepCallback | None,
           labels: Tensor | None = None) -> tuple[Tensor, Tensor, bool]:
    """Ancestral (or greedy) sampling; returns (seq, log_probs, stopped_early) in chain-rule order."""
    n, total = values.shape
    stepper = new_stepper(values.clone(), labels=labels)
    log_probs = torch.zeros(n, total, device=values.device)
    ended = torch.zeros(n, 1, dtype=torch.bool, device=values.device)
    start = known_prefix(mask)
    if start:
        prefix = torch.log_softmax(stepper.prefix_logits(start).float(), -1)
        log_probs[:, :start] = prefix.gather(-1, values[:, :start, None]).squeeze(-1)
        ended = _ended(stepper, start, eos)
    known_steps = mask.any(0).tolist()
    unprocessed = is_identity(config)
    columns = Columns(log_probs, start)
    for t in range(start, total):
        logits = stepper.logits(t).float()
        processed = logits if unprocessed else apply_processors(logits, config, stepper.seq[:, :t])
        if config.greedy:
            chosen = processed.argmax(-1)
        else:
            chosen = draw(torch.softmax(processed, -1), generator)
        if known_steps[t]:
            chosen = torch.where(mask[:, t], values[:, t], chosen)
        step_log_probs = torch.log_softmax(logits, -1).gather(-1, chosen.unsqueeze(1))
        if eos is not None:
            chosen = torch.where(ended[:, 0], eos, chosen)
            step_log_probs = torch.where(ended, 0.0, step_log_probs)
            ended = ended | (chosen == eos).unsqueeze(1)
        stepper.commit(t, chosen)
        columns.append(step_log_probs)
        if callback is not None and report(callback, layout, stepper, t, total, chosen, processed):
            columns.flush()
            return stepper.seq, log_probs, True
        if eos is not None and bool(ended.all()):
            stepper.seq[:, t + 1:] = eos
            break
    columns.flush()
    return stepper.seq, log_probs, False


class Columns:
    """Writes [n, 1] columns into consecutive columns of `target` from `start`, a block at a time."""

    BLOCK = 1024

    def __init__(self, target: Tensor, start: int) -> None:
        self.target, self.next, self.pending = target, start, []

    def append(self, column: Tensor) -> None:
        self.pending.append(column)
        if len(self.pending) == self.BLOCK:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.target[:, self.next:self.next + len(self.pending)] = torch.cat(self.pending, dim=1)
            self.next += len(self.pending)
            self.pending = []


def known_prefix(mask: Tensor) -> int:
    """How many leading steps are known in every row (computed in one pass where the stepper can)."""
    unknown = (~mask).any(0).nonzero()
    return int(unknown[0]) if len(unknown) else mask.shape[1]


def _ended(stepper: Stepper, upto: int, eos: int | None) -> Tensor:
    """[n, 1]: whether each row already holds the end symbol in its first `upto` steps."""
    seen = stepper.seq[:, :upto]
    if eos is None:
        return torch.zeros(seen.shape[0], 1, dtype=torch.bool, device=seen.device)
    return (seen == eos).any(1, keepdim=True)


def report(callback: StepCallback, layout: Layout, stepper: Stepper, t: int, total: int, chosen: Tensor,
           processed: Tensor) -> bool:
    seq = stepper.seq
    step = GenerationStep(step=t, total=total, position=layout.positions[t], values=chosen, logits=processed,
                          _samples=lambda: layout.from_sequence(seq.clone()))
    return bool(callback(step))
