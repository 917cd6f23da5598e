"""Quality: a model's test bits per dimension after a fixed CPU-time budget, against xz, bzip2, gzip and PNG."""

from __future__ import annotations

import math
import time

import torch

from arstudio.data import DATASETS, load_dataset
from arstudio.data.splits import split_indices
from arstudio.models import build_model
from arstudio.training.config import TrainConfig, lr_factor
from arstudio.training.evaluate import mean_nll
from arstudio.training.trainer import LogProb
from benchmarks.compressors import bits_per_dim
from benchmarks.core import Case, Context, Measure, Outcome

RUNS = [("binary-digits", "nade"), ("digits", "made"), ("glyphs-binary", "pixelcnn"), ("glyphs", "pixelcnn"),
        ("patches", "pixelcnn"), ("patches-4bit", "made"), ("tones", "wavenet"), ("pydocs", "transformer")]
"""Every built-in data set, each with the family that suits it; every family appears."""
PARAMS = {"smoke": {"seconds": 1.0, "test_examples": 64}, "quick": {"seconds": 2.0, "test_examples": 200},
          "full": {"seconds": 120.0, "test_examples": None}}
SMOKE_RUNS = [("binary-digits", "nade")]
SCHEDULE_STEPS = 1000
"""The learning rate follows TrainConfig's warm-up and cosine schedule over the time budget."""
EVALUATIONS = 8
"""Validation checks over the budget; the test split is scored with the best weights."""
VALIDATION_EXAMPLES = 256
"""Validation examples per check (the trainer checks 512)."""
THREADS = 1
"""One thread, so the CPU-time budget counts only work: under load, idle OpenMP threads spin and use
CPU time without progress, and a budget shared by two threads would shrink with the machine's load."""


def cases(mode: str, seconds: float | None = None) -> list[Case]:
    params = dict(PARAMS[mode])
    if seconds is not None:
        params["seconds"] = seconds
    runs = SMOKE_RUNS if mode == "smoke" else RUNS
    return [Case(f"quality/{dataset}", "quality", f"{family} on {dataset}, {params['seconds']:g} CPU s of training",
                 run, {**params, "dataset": dataset, "family": family}, timeout=params["seconds"] + 600)
            for dataset, family in runs]


def run(ctx: Context) -> Outcome:
    options = ctx.options
    family, dataset = options["family"], options["dataset"]
    torch.set_num_threads(THREADS)
    train = load_dataset(dataset, "train")
    test = distinct_test_examples(dataset)[:options["test_examples"]]
    config = TrainConfig(family=family, dataset=dataset)
    torch.manual_seed(0)
    model = build_model(family, train.spec).to(ctx.device)
    validation = load_dataset(dataset, "validation").data[:VALIDATION_EXAMPLES]
    fitted = fit(ctx, model, train.data.to(ctx.device), validation, config, options["seconds"])
    ctx.mark("trained")
    batch = config.examples_per_batch(model.spec.dims)
    model_bpd = mean_nll(model, test, batch, ctx.device) / (model.spec.dims * math.log(2))
    ctx.mark("evaluated")
    coders = bits_per_dim(test.numpy(), model.spec)
    best = min(coders, key=coders.get)
    ratio = model_bpd / coders[best]
    measures = [Measure("model", round(model_bpd, 4), "bits/dim"),
                *(Measure(name, round(value, 4), "bits/dim") for name, value in coders.items()),
                Measure(f"model / best coder ({best})", round(ratio, 3), "", "< 1", bool(ratio < 1))]
    return Outcome(
        measures=measures,
        metrics={"family": family, "dataset": dataset, "budget_seconds": options["seconds"], **fitted, "batch": batch,
                 "test_examples": len(test), "dims": model.spec.dims, "levels": model.spec.levels,
                 "model_bpd": model_bpd, "coders_bpd": coders, "best_coder": best, "ratio": ratio,
                 "threads": THREADS, "hparams": model.hparams},
    )


def distinct_test_examples(dataset: str) -> torch.Tensor:
    """The test split, keeping one example per group when a data set's examples overlap.

    Photograph patches are cut several to a tile, so patches of one tile share pixels: a coder would
    store the shared pixels once while a model scores every patch alone. Keeping the first patch of
    each tile gives both the same information.
    """
    test = load_dataset(dataset, "test").data
    if not dataset.startswith("patches"):
        return test
    groups = DATASETS[dataset].build().groups
    index = split_indices(len(groups), "test", 0, groups)
    _, first = torch.unique(torch.from_numpy(groups[index]), return_inverse=True)
    keep = torch.zeros(int(first.max()) + 1, dtype=torch.long).scatter_reduce(
        0, first, torch.arange(len(first)), "amin", include_self=False)
    return test[keep]


def fit(ctx: Context, model: torch.nn.Module, data: torch.Tensor, validation: torch.Tensor, config: TrainConfig,
        seconds: float) -> dict[str, float]:
    """Train with the trainer's recipe (AdamW, warm-up and cosine decay, clipping) for `seconds` of CPU time
    spent in training steps, and keep the weights with the best validation NLL, checked EVALUATIONS times
    (their cost is not counted), as the trainer keeps its best checkpoint."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    loss_of = LogProb(model)
    batch = config.examples_per_batch(model.spec.dims)
    batches = torch.Generator().manual_seed(0)
    warmup = SCHEDULE_STEPS // 20
    best, best_state, best_step = math.inf, None, 0
    step, spent, wall = 0, 0.0, time.perf_counter()
    checks = [seconds * (i + 1) / EVALUATIONS for i in range(EVALUATIONS)]
    while checks:
        started = time.process_time()
        progress = min(SCHEDULE_STEPS - 1, int(SCHEDULE_STEPS * spent / seconds))
        for group in optimizer.param_groups:
            group["lr"] = config.learning_rate * lr_factor(progress, warmup, SCHEDULE_STEPS)
        model.on_train_step(step)
        x = data[torch.randint(0, len(data), (batch,), generator=batches).to(ctx.device)]
        loss = -loss_of(x).float().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        ctx.synchronize()
        step += 1
        spent += time.process_time() - started
        if spent >= checks[0]:
            checks = [check for check in checks if check > spent]
            nll = mean_nll(model, validation, batch, ctx.device)
            if nll < best:
                best, best_step = nll, step
                best_state = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    model.load_state_dict(best_state)
    return {"steps": step, "best_step": best_step, "wall_seconds": time.perf_counter() - wall,
            "validation_bpd": best / (model.spec.dims * math.log(2))}
