"""Quality: a model's test bits per dimension after a fixed CPU-time budget, against xz, bzip2, gzip and PNG."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from arstudio.data import DATASETS, load_dataset
from arstudio.data.splits import split_indices
from arstudio.models import build_model
from arstudio.training.config import TrainConfig, lr_factor
from arstudio.training.evaluate import mean_nll
from arstudio.training.trainer import LogProb
from benchmarks.cases.train_step import train_step
from benchmarks.compressors import bits_per_dim
from benchmarks.core import Case, Context, Measure, Outcome
from benchmarks.stream_scoring import stream_bits_per_byte


@dataclass(frozen=True)
class Budget:
    """The budget configuration of one data set: the family and settings that suit a short CPU budget.

    hparams override the family's defaults, batch and lr the trainer's (None keeps them), options are
    the data set's (the same options for training, validation and the test values every coder gets).
    """

    dataset: str
    family: str
    hparams: dict[str, Any] = field(default_factory=dict)
    batch: int | None = None
    lr: float | None = None
    options: dict[str, Any] = field(default_factory=dict)
    why: str = ""


RUNS = [
    Budget("binary-digits", "nade"),
    Budget("binary-digits", "made", {"hidden": 64, "num_masks": 8, "order_agnostic": True, "ensemble": 8},
           why="64 hidden units and order-agnostic training over 8 masks, scored by the 8-mask ensemble: with its "
               "defaults (256 units, one mask) MADE overfits the 1437 digits within seconds (0.716 bits/dim, 1.19 "
               "of gzip, in 180 s); this gets 0.389 (0.65 of gzip) in 60 s"),
    Budget("digits", "pixelcnn", {"layers": 3}, batch=64, lr=1e-2,
           why="PixelCNN with 3 layers instead of MADE, whose 600k weights overfit the 1437 training digits "
               "within a few hundred steps (test bits/dim 2.3 to 9.3 from run to run)"),
    Budget("glyphs-binary", "pixelcnn"),
    Budget("glyphs", "pixelcnn"),
    Budget("patches", "pixelcnn", {"layers": 3, "head": "logistic"}, batch=16, lr=1e-2,
           why="3 layers instead of 8 (a 7x4 view suits photographs; 3x the steps per CPU-second), a discretised "
               "logistic mixture head (neighbouring levels alike), a higher learning rate"),
    Budget("patches-4bit", "pixelcnn", {"layers": 3}, batch=16, lr=1e-2,
           why="PixelCNN with 3 layers instead of MADE: 82% of the values equal their left neighbour, which "
               "a convolution learns in a few hundred steps"),
    Budget("tones", "wavenet"),
    Budget("pydocs", "transformer", {"d_model": 128, "layers": 2, "heads": 4}, batch=2, lr=1.5e-3,
           why="2 blocks instead of 4 (twice the steps per CPU-second) and 2 windows a batch: in 300 CPU-s, "
               "2.079 bits/dim with 16 windows at 3e-3, 2.050 with 8, 2.034 with 4, 2.022 with 2 at 1.5e-3"),
]
"""Every built-in data set, with the family and settings that suit a short CPU budget, and every family on
data it suits (MADE on binary digits: on the 17-level digits it overfits the 1437 training images within a
few hundred steps, and a convolution learns the patches faster). A data set's second run is named
quality/<data set>/<family>."""
PARAMS = {"smoke": {"seconds": 1.0, "test_examples": 64}, "quick": {"seconds": 2.0, "test_examples": 200},
          "full": {"seconds": 300.0, "test_examples": None}}
SMOKE_RUNS = [Budget("binary-digits", "nade")]
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
    seen: set[str] = set()
    names = []
    for b in runs:
        names.append(f"quality/{b.dataset}" + (f"/{b.family}" if b.dataset in seen else ""))
        seen.add(b.dataset)
    return [Case(name, "quality",
                 f"{b.family} on {b.dataset}, {params['seconds']:g} CPU s of training", run,
                 {**params, "dataset": b.dataset, "family": b.family, "hparams": b.hparams, "batch": b.batch,
                  "lr": b.lr, "data_options": b.options}, timeout=params["seconds"] + 600)
            for name, b in zip(names, runs, strict=True)]


def run(ctx: Context) -> Outcome:
    options = ctx.options
    family, dataset, data_options = options["family"], options["dataset"], options.get("data_options") or {}
    torch.set_num_threads(THREADS)
    train = load_dataset(dataset, "train", **data_options)
    test = distinct_test_examples(dataset, **data_options)[:options["test_examples"]]
    config = TrainConfig(family=family, dataset=dataset, hparams=options.get("hparams") or {},
                         batch_size=options.get("batch"), lr=options.get("lr"), dataset_options=data_options)
    torch.manual_seed(0)
    model = build_model(family, train.spec, **config.hparams).to(ctx.device)
    validation = load_dataset(dataset, "validation", **data_options).data[:VALIDATION_EXAMPLES]
    fitted = fit(ctx, model, train.data.to(ctx.device), validation, config, options["seconds"])
    ctx.mark("trained")
    batch = config.examples_per_batch(model.spec.dims)
    windows_bpd = mean_nll(model, test, batch, ctx.device) / (model.spec.dims * math.log(2))
    streamed = model.spec.kind == "text"
    model_bpd = stream_bits_per_byte(model, test.reshape(-1), batch) if streamed else windows_bpd
    ctx.mark("evaluated")
    coders = bits_per_dim(test.numpy(), model.spec)
    best = min(coders, key=coders.get)
    ratio = model_bpd / coders[best]
    measures = [Measure("model", round(model_bpd, 4), "bits/dim"),
                *(Measure(name, round(value, 4), "bits/dim") for name, value in coders.items()),
                Measure(f"model / best coder ({best})", round(ratio, 3), "", "< 1", bool(ratio < 1))]
    notes = [f"The model codes the test text as one stream, as the coders do: every byte once, with at least "
             f"{model.spec.dims // 2} bytes of the text before it in view ({windows_bpd:.3f} bits/dim with every "
             f"{model.spec.dims}-byte window scored from scratch)."] if streamed else []
    return Outcome(
        measures=measures, notes=notes,
        metrics={"family": family, "dataset": dataset, "budget_seconds": options["seconds"], **fitted, "batch": batch,
                 "test_examples": len(test), "dims": model.spec.dims, "levels": model.spec.levels,
                 "model_bpd": model_bpd, "model_bpd_windows": windows_bpd, "streamed": streamed,
                 "coders_bpd": coders, "best_coder": best, "ratio": ratio,
                 "threads": THREADS, "hparams": model.hparams, "learning_rate": config.learning_rate,
                 "data_options": data_options},
    )


def distinct_test_examples(dataset: str, **options: Any) -> torch.Tensor:
    """The test split, keeping one example per group when a data set's examples overlap.

    Photograph patches are cut several to a tile, so patches of one tile share pixels: a coder would
    store the shared pixels once while a model scores every patch alone. Keeping the first patch of
    each tile gives both the same information.
    """
    test = load_dataset(dataset, "test", **options).data
    if not dataset.startswith("patches"):
        return test
    groups = DATASETS[dataset].build(**options).groups
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
        train_step(model, loss_of, optimizer, data, batch, batches, config.grad_clip, step)
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
