"""Throughput at 28x28 on binarized MNIST: an epoch of NADE and of MADE with their defaults, and a default
PixelCNN step, with the trainer's recipe (its batch of about 8k positions, AdamW, clipping)."""

from __future__ import annotations

import math
import time

import torch

from arstudio.data import load_dataset
from arstudio.models import build_model
from arstudio.training.config import TrainConfig
from arstudio.training.trainer import LogProb
from benchmarks.cases.train_step import train_step
from benchmarks.core import Case, Context, Measure, Outcome

DATASET = "binarized-mnist"
EPOCH_SHARE = {"smoke": 0.002, "quick": 0.05, "full": 1.0}
"""The share of an epoch that is run: a whole one in full mode; the rest extrapolate from a part of it."""
PIXELCNN_SECONDS = {"smoke": 0.3, "quick": 3.0, "full": 30.0}


def cases(mode: str) -> list[Case]:
    return [
        Case("mnist/nade-epoch", "mnist", f"NADE, one epoch of {DATASET}", run_epoch,
             {"family": "nade", "share": EPOCH_SHARE[mode]}, timeout=1200),
        Case("mnist/made-epoch", "mnist", f"MADE, one epoch of {DATASET}", run_epoch,
             {"family": "made", "share": EPOCH_SHARE[mode]}, timeout=1200),
        Case("mnist/pixelcnn-step", "mnist", f"PixelCNN, a default step on {DATASET}", run_steps,
             {"family": "pixelcnn", "seconds": PIXELCNN_SECONDS[mode]}, timeout=600),
    ]


def _setup(ctx: Context, family: str):
    train = load_dataset(DATASET, "train")
    data = train.data.to(ctx.device)
    config = TrainConfig(family=family, dataset=DATASET)
    torch.manual_seed(0)
    model = build_model(family, train.spec).to(ctx.device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    batch = config.examples_per_batch(train.spec.dims)
    batches = torch.Generator().manual_seed(0)
    loss_of = LogProb(model)

    def step(index: int) -> None:
        train_step(model, loss_of, optimizer, data, batch, batches, config.grad_clip, index)

    step(0)
    ctx.mark("after the first step")
    return model, data, batch, step


def run_epoch(ctx: Context) -> Outcome:
    family, share = ctx.options["family"], ctx.options["share"]
    model, data, batch, step = _setup(ctx, family)
    steps_per_epoch = math.ceil(len(data) / batch)
    steps = max(2, round(share * steps_per_epoch))
    start = time.perf_counter()
    for index in range(steps):
        step(1 + index)
    ctx.synchronize()
    elapsed = time.perf_counter() - start
    examples_per_s = steps * batch / elapsed
    epoch_seconds = len(data) / examples_per_s
    whole = steps >= steps_per_epoch
    return Outcome(
        measures=[Measure("examples/s", round(examples_per_s, 1), "examples/s"),
                  Measure("one epoch" if whole else "one epoch (extrapolated)", round(epoch_seconds, 1), "s"),
                  Measure("batch", batch, "examples"), Measure("steps per epoch", steps_per_epoch, "steps")],
        metrics={"family": family, "dataset": DATASET, "examples": len(data), "batch": batch, "steps": steps,
                 "steps_per_epoch": steps_per_epoch, "seconds": elapsed, "examples_per_s": examples_per_s,
                 "epoch_seconds": epoch_seconds, "whole_epoch": whole, "hparams": model.hparams},
    )


def run_steps(ctx: Context) -> Outcome:
    family, seconds = ctx.options["family"], ctx.options["seconds"]
    model, data, batch, step = _setup(ctx, family)
    steps, start = 0, time.perf_counter()
    while steps < 2 or time.perf_counter() - start < seconds:
        step(1 + steps)
        steps += 1
    ctx.synchronize()
    elapsed = time.perf_counter() - start
    per_step = elapsed / steps
    default_run = TrainConfig(family=family, dataset=DATASET).steps
    return Outcome(
        measures=[Measure("step", round(per_step * 1000, 1), "ms"),
                  Measure("examples/s", round(batch / per_step, 1), "examples/s"),
                  Measure("batch", batch, "examples"),
                  Measure(f"default run ({default_run} steps)", round(default_run * per_step / 60, 1), "min")],
        metrics={"family": family, "dataset": DATASET, "batch": batch, "steps": steps, "seconds": elapsed,
                 "step_seconds": per_step, "examples_per_s": batch / per_step, "default_steps": default_run,
                 "default_run_seconds": default_run * per_step, "layers": getattr(model, "num_layers", None),
                 "hparams": model.hparams},
    )
