"""The Transformer against a plain PyTorch GPT of the same size (benchmarks/cases/plain_gpt.py, nanoGPT's style):
training throughput on pydocs, and decoding past the context, where ours shifts its window (cached) and the
plain GPT recomputes the window every step. Also ours with the shift against ours recomputing, at 4 contexts.

Both models: 4 layers, 4 heads, 128 wide, context 256, learned positions, GELU, the same batch of pydocs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch

from arstudio.data import load_dataset
from arstudio.models import build_model
from arstudio.sampling import SamplerConfig, generate
from arstudio.training.config import TrainConfig
from arstudio.training.optimizer import adamw
from arstudio.training.trainer import LogProb
from benchmarks.cases.plain_gpt import PlainGPT
from benchmarks.core import Case, Context, Measure, Outcome, at_least

PARAMS = {"smoke": {"seconds": 0.3, "new": 32, "contexts": 0.25, "repeats": 1},
          "quick": {"seconds": 3.0, "new": 512, "contexts": 4, "repeats": 1},
          "full": {"seconds": 15.0, "new": 512, "contexts": 4, "repeats": 3}}
TRAINING_GOAL, DECODING_GOAL, SHIFT_GOAL = 1.0, 3000.0, 10.0


def case(mode: str) -> Case:
    return Case("baseline/transformer-vs-plain-gpt", "baseline", "Transformer vs a plain GPT in nanoGPT's style "
                "(4x4x128, context 256): training, and decoding past the context", run, PARAMS[mode], timeout=900)


def run(ctx: Context) -> Outcome:
    data = load_dataset("pydocs", "train").data.to(ctx.device)
    torch.manual_seed(0)
    ours = build_model("transformer", load_dataset("pydocs", "test").spec, positions="learned").to(ctx.device)
    context = ours.context
    plain = PlainGPT(vocab=257, block=context).to(ctx.device)
    batch = TrainConfig(family="transformer", dataset="pydocs").examples_per_batch(ours.spec.dims)
    seconds = ctx.options["seconds"]
    rates = _training_rates(ctx, {"ours": _training_step(ours, LogProb(ours), data, batch),
                                  "plain": _training_step(plain, None, data, batch)}, batch * data.shape[1], seconds)
    ours_rate, plain_rate = rates["ours"], rates["plain"]
    ctx.mark("training")
    new = ctx.options["new"]
    ours.eval()
    plain.eval()
    generate(ours, 1, SamplerConfig(seed=0), length=context + context // 2)  # warm-up past a first shift
    _, ours_s = ctx.best_of(ctx.options["repeats"], lambda: generate(ours, 1, SamplerConfig(seed=1), length=new))
    start = torch.full((1, 1), 256, dtype=torch.long, device=ctx.device)
    generator = torch.Generator(device=ctx.device).manual_seed(1)
    plain.generate(start, 8, generator)
    _, plain_s = ctx.best_of(ctx.options["repeats"], lambda: plain.generate(start, new, generator))
    ctx.mark("decoding")
    long = int(ctx.options["contexts"] * context)
    shifted = generate(ours, 1, SamplerConfig(seed=2), length=long)
    _, shifted_s = ctx.timed(lambda: generate(ours, 1, SamplerConfig(seed=2), length=long))
    recomputed, recomputed_s = ctx.timed(lambda: generate(ours, 1, SamplerConfig(seed=2), length=long,
                                                          use_cache=False))
    ctx.mark("shift vs recomputation")
    del shifted, recomputed
    per_token = {"ours": new / ours_s, "plain": new / plain_s}
    return Outcome(
        measures=[Measure("training, ours", round(ours_rate), "tokens/s"),
                  Measure("training, plain GPT", round(plain_rate), "tokens/s"),
                  at_least(ours_rate / plain_rate, TRAINING_GOAL, "training, ours / plain GPT"),
                  at_least(per_token["ours"], DECODING_GOAL, f"decoding {new} new tokens, ours (cached, shift)",
                           "tokens/s"),
                  Measure(f"decoding {new} new tokens, plain GPT (recomputes)", round(per_token["plain"], 1),
                          "tokens/s"),
                  Measure("decoding, ours / plain GPT", round(per_token["ours"] / per_token["plain"], 2), "x"),
                  at_least(recomputed_s / shifted_s, SHIFT_GOAL,
                           f"{long} new tokens ({ctx.options['contexts']:g} contexts): shift / recomputation")],
        metrics={"batch": batch, "context": context, "training_tokens_per_s": {"ours": ours_rate, "plain": plain_rate},
                 "decoding_tokens_per_s": per_token, "shift_seconds": shifted_s, "recomputed_seconds": recomputed_s,
                 "long_tokens": long, "threads": torch.get_num_threads()},
        notes=[f"{torch.get_num_threads()} threads; the same batches of {batch} pydocs streams for both models; "
               "the plain GPT reads the start token then the stream, as ours does; training rates are medians of "
               "interleaved steps."],
    )


def _training_rates(ctx: Context, steps: dict[str, Callable[[], None]], tokens_per_step: int,
                    seconds: float) -> dict[str, float]:
    """Tokens per second of each training step, from the median of rounds that run every step once in turn for
    about `seconds` each (after two warm-up rounds), so the shared machine's slow spells fall on both alike."""
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(2):
        for step in steps.values():
            step()
    begin = time.perf_counter()
    while min(len(t) for t in times.values()) < 3 or time.perf_counter() - begin < seconds * len(steps):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            ctx.synchronize()
            times[name].append(time.perf_counter() - start)
    return {name: tokens_per_step / statistics.median(t) for name, t in times.items()}


def _training_step(model: torch.nn.Module, loss_of: LogProb | None, data: torch.Tensor,
                   batch: int) -> Callable[[], None]:
    """One step of eager training with AdamW on a random batch of `data`: ours with the trainer's optimizer, the
    plain GPT with AdamW's default (per-tensor) loop, as nanoGPT uses on a CPU."""
    optimizer = adamw(model.parameters(), 1e-3) if loss_of is not None else torch.optim.AdamW(model.parameters(), 1e-3)
    batches = torch.Generator().manual_seed(0)
    model.train()

    def step() -> None:
        x = data[torch.randint(0, len(data), (batch,), generator=batches).to(data.device)]
        if loss_of is not None:
            loss = -loss_of(x).float().mean()
        else:
            inputs = torch.cat([torch.full_like(x[:, :1], 256), x[:, :-1]], 1)
            loss = model.loss(inputs, x)  # type: ignore[operator]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    return step
