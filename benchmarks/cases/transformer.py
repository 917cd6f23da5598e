"""Transformer: key/value-cached generate() against recomputation, tokens per second."""

from __future__ import annotations

import torch

from arstudio.data import DataSpec
from arstudio.models import build_model
from arstudio.sampling import SamplerConfig, generate
from benchmarks.core import Case, Context, Measure, Outcome, at_least

CONTEXT = 1025
"""Byte-level text with a context of 1025 positions: the start token plus 1024 values, so the whole
generation fits in the context and the cache never has to slide."""
PARAMS = {"smoke": {"lengths": [16], "repeats": 1}, "quick": {"lengths": [256], "repeats": 2},
          "full": {"lengths": [256, 1024], "repeats": 3}}

TARGET_LENGTH, TARGET = 1024, 10.0
"""Recomputing TARGET_LENGTH tokens is timed once (it takes long); everything else takes the best of `repeats`,
and the cached path is timed both before and after recomputation, so one slow spell of a shared machine
does not decide the ratio."""


def case(mode: str) -> Case:
    return Case("generation/transformer", "generation", "Transformer: KV cache vs recomputation (default model, "
                f"text context {CONTEXT})", run, PARAMS[mode], timeout=900)


def run(ctx: Context) -> Outcome:
    model = build_model("transformer", DataSpec("text", (CONTEXT,), 256)).to(ctx.device)
    for use_cache in (True, False):
        generate(model, 1, SamplerConfig(seed=0), length=8, use_cache=use_cache)
    outcome = Outcome(metrics={"context": CONTEXT, "hparams": model.hparams})
    for length in ctx.options["lengths"]:
        def run_once(use_cache: bool, length: int = length):
            return generate(model, 1, SamplerConfig(seed=length), length=length, use_cache=use_cache)

        repeats = ctx.options["repeats"]
        cached, cached_s = ctx.best_of(repeats, lambda: run_once(True))
        ctx.mark(f"cached, {length} tokens")
        recomputed, recomputed_s = ctx.best_of(1 if length >= TARGET_LENGTH else repeats, lambda: run_once(False))
        ctx.mark(f"recomputed, {length} tokens")
        cached_s = min(cached_s, ctx.best_of(repeats, lambda: run_once(True))[1])
        speedup = recomputed_s / cached_s
        identical = torch.equal(cached.samples, recomputed.samples)
        outcome.metrics[str(length)] = {"cached_tokens_per_s": length / cached_s,
                                        "recomputed_tokens_per_s": length / recomputed_s,
                                        "speedup": speedup, "identical_samples": identical}
        outcome.measures += [
            Measure(f"cached, {length} new tokens", round(length / cached_s, 1), "tokens/s"),
            Measure(f"recomputed, {length} new tokens", round(length / recomputed_s, 1), "tokens/s"),
            at_least(speedup, TARGET, f"speedup at {length}") if length == TARGET_LENGTH
            else Measure(f"speedup at {length}", round(speedup, 2), "x"),
            Measure(f"identical samples at {length}", identical, "", "True", identical),
        ]
    if TARGET_LENGTH not in ctx.options["lengths"]:
        outcome.notes.append(f"The target (>= {TARGET:g}x) applies at {TARGET_LENGTH} tokens, measured in full mode.")
    return outcome
