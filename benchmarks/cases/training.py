"""Training throughput of every family with its defaults on its natural data, eager and compiled."""

from __future__ import annotations

import time

import torch

from arstudio.data import load_dataset
from arstudio.models import build_model
from arstudio.training.config import TrainConfig
from arstudio.training.trainer import LogProb
from benchmarks.cases.train_step import train_step
from benchmarks.core import Case, Context, Measure, Outcome

NATURAL = {"nade": "binary-digits", "made": "digits", "pixelcnn": "glyphs", "wavenet": "tones",
           "transformer": "pydocs"}
SMOKE_DATA = {"pixelcnn": ("digits", {}), "wavenet": ("tones", {"count": 10, "clip_seconds": 0.25}),
              "transformer": ("binary-digits", {})}
"""Smoke runs avoid the data sets that take seconds to build in a fresh data folder."""
PARAMS = {"smoke": {"seconds": 0.3, "min_steps": 1}, "quick": {"seconds": 1.5, "min_steps": 2},
          "full": {"seconds": 15.0, "min_steps": 5}}
COMPILE_TIMEOUT = 300.0


def cases(mode: str) -> list[Case]:
    out = []
    for family in NATURAL:
        dataset, options = SMOKE_DATA.get(family, (NATURAL[family], {})) if mode == "smoke" else (NATURAL[family], {})
        params = {**PARAMS[mode], "family": family, "dataset": dataset, "dataset_options": options}
        out.append(Case(f"training/{family}", "training", f"{family} on {dataset}, eager", run,
                        {**params, "compile": False}, timeout=300))
        skip = None if mode == "full" else "torch.compile takes 10 to 60 s per model here; measured in full mode"
        out.append(Case(f"training/{family}/compiled", "training", f"{family} on {dataset}, torch.compile", run,
                        {**params, "compile": True}, timeout=COMPILE_TIMEOUT, skip_reason=skip))
    return out


def run(ctx: Context) -> Outcome:
    options = ctx.options
    family = options["family"]
    train = load_dataset(options["dataset"], "train", **options["dataset_options"])
    data = train.data.to(ctx.device)
    config = TrainConfig(family=family, dataset=options["dataset"])
    torch.manual_seed(0)
    model = build_model(family, train.spec).to(ctx.device)
    loss_of = LogProb(model)
    if options["compile"]:
        loss_of = torch.compile(loss_of)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    dims = model.spec.dims
    batch = config.examples_per_batch(dims)
    batches = torch.Generator().manual_seed(0)

    def step(index: int) -> None:
        train_step(model, loss_of, optimizer, data, batch, batches, config.grad_clip, index)

    _, first = ctx.timed(lambda: step(0))
    if options["compile"]:
        step(1)
    ctx.mark("after warm-up")
    steps, start = 0, time.perf_counter()
    while steps < options["min_steps"] or time.perf_counter() - start < options["seconds"]:
        step(2 + steps)
        steps += 1
    ctx.synchronize()
    elapsed = time.perf_counter() - start
    examples = steps * batch / elapsed
    label = "compiled" if options["compile"] else "eager"
    outcome = Outcome(
        measures=[Measure(f"{label} examples/s", round(examples, 2), "examples/s"),
                  Measure(f"{label} dimensions/s", round(examples * dims), "dims/s"),
                  Measure("batch", batch, "examples")],
        metrics={"family": family, "dataset": options["dataset"], "compiled": options["compile"], "batch": batch,
                 "dims": dims, "steps": steps, "seconds": elapsed, "examples_per_s": examples,
                 "dims_per_s": examples * dims, "first_step_seconds": first, "hparams": model.hparams},
    )
    if options["compile"]:
        outcome.measures.append(Measure("first step (compilation)", round(first, 1), "s"))
    return outcome

