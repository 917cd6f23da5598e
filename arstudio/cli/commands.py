"""The command line's sub-commands; each takes parsed arguments and returns an exit status."""

from __future__ import annotations

import argparse
import math
import os

import torch

from arstudio.cli.console import ProgressLine, table
from arstudio.cli.parser import SAMPLER_FLAGS, parse_assignments
from arstudio.cli.published import best_published, comparison
from arstudio.data import DATASETS, dataset_spec, load_dataset
from arstudio.data.export import save_samples
from arstudio.data.labels import describe_labels, parse_labels
from arstudio.data.text_codec import encode_text
from arstudio.errors import UserError
from arstudio.models import FAMILIES
from arstudio.sampling import SamplerConfig, generate
from arstudio.training.checkpoint import Checkpoint, load_checkpoint
from arstudio.training.config import TrainConfig
from arstudio.training.device import resolve_device
from arstudio.training.evaluate import bits_per_dim, marginal_nll, mean_nll
from arstudio.training.run_checkpoint import run_checkpoint
from arstudio.training.run_store import RunStore
from arstudio.training.trainer import Trainer
from arstudio.zoo.catalog import ready_model


def run_families(args: argparse.Namespace) -> int:
    for info in FAMILIES.values():
        defaults = ", ".join(f"{k}={v}" for k, v in info.defaults.items())
        print(f"{info.name:12} {info.title}: {info.description}")
        print(f"{'':12} accepts {', '.join(info.kinds)}; defaults {defaults}")
    return 0


def run_datasets(args: argparse.Namespace) -> int:
    rows = []
    for name, info in DATASETS.items():
        spec = dataset_spec(name)
        labels = ", ".join(f"{label.name} ({label.size})" for label in spec.labels)
        rows.append((name, spec.kind, "x".join(map(str, spec.shape)), spec.levels, labels, info.description))
    print(table(("name", "kind", "shape", "levels", "labels", "description"), rows))
    return 0


def run_runs(args: argparse.Namespace) -> int:
    registry = RunStore(args.runs_dir)
    rows = [(r.id, r.name, r.family, r.dataset, _status(r), f"{r.steps}/{r.config.get('steps', '?')}",
             _fmt(r.best_val_nll), _fmt(r.test_nll), best_published(r.dataset), r.device) for r in registry.runs()]
    if not rows:
        print(f"No runs yet in {registry.runs_dir}. Start one with `arstudio train`.")
        return 0
    print(table(("id", "name", "family", "dataset", "status", "steps", "best val NLL", "test NLL", "paper", "device"),
                rows))
    return 0


def run_train(args: argparse.Namespace) -> int:
    if args.threads is not None and args.threads < 1:
        raise UserError(f"--threads must be at least 1, got {args.threads}.")
    if args.queued_run is not None:
        from arstudio.cli.run_process import run_queued

        return run_queued(args.runs_dir, args.queued_run, args.threads)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    main_process = int(os.environ.get("RANK", "0")) == 0
    registry = RunStore(args.runs_dir) if main_process else None
    saving = {} if args.checkpoint_seconds is None else {"checkpoint_seconds": args.checkpoint_seconds}
    if args.resume is not None:
        if registry is None:
            raise UserError("Resume a run in a single process, or pass --resume on every rank with rank 0 first.")
        stored = TrainConfig.from_json(registry.get(args.resume).config)
        config = TrainConfig.from_json(
            {**stored.to_json(), "steps": args.steps or stored.steps, "compile": args.compile, **saving})
    else:
        config = TrainConfig(
            family=args.family, dataset=args.dataset, steps=args.steps or 2000, batch_size=args.batch_size, lr=args.lr,
            device=args.device, seed=args.seed, name=args.name, eval_every=args.eval_every, compile=args.compile,
            **saving,
            hparams=parse_assignments(args.hparam, "hyper-parameter"),
            dataset_options=parse_assignments(args.data_option, "data option"),
        )
    trainer = Trainer(config, registry, callback=ProgressLine() if main_process else None, resume_run=args.resume)
    summary = trainer.run()
    if main_process:
        print(f"run {summary.run_id}: {summary.status} after {summary.steps} steps; "
              f"best validation NLL {_fmt(summary.best_validation_nll)}, test NLL {_fmt(summary.test_nll)}")
        print(f"checkpoint: {summary.checkpoint}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    checkpoint = _load(args)
    device = resolve_device("auto")
    split = _dataset_of(checkpoint, args.split)
    data = split.data
    model = checkpoint.model.to(device)
    nll = mean_nll(model, data, device=device, labels=split.labels)
    given = f" given the {'/'.join(model.spec.label_names)}" if model.conditional else ""
    print(f"{args.split} NLL{given}: {nll:.4f} nats per example, {bits_per_dim(model, nll):.4f} bits per dimension "
          f"({len(data)} examples of {checkpoint.meta.get('dataset')})")
    who = "this model"
    if model.conditional:
        classes = math.prod(label.size for label in model.spec.labels)
        who = "this model, given the class (not comparable)"
        if args.marginal:
            nll, who = marginal_nll(model, data, device=device), "this model, -log p(x)"
            print(f"{args.split} NLL, every class equally likely: {nll:.4f} nats per example, "
                  f"{bits_per_dim(model, nll):.4f} bits per dimension (-log p(x), compared below)")
        else:
            print(f"A conditional model scores -log p(x | class), up to ln {classes} = {math.log(classes):.2f} nats "
                  "below -log p(x); --marginal computes -log p(x), which is what unconditional figures measure.")
    if compared := comparison(checkpoint.meta.get("dataset") or "", args.split, nll, checkpoint.model.spec.dims, who):
        print()
        print(compared)
    return 0


def run_sample(args: argparse.Namespace) -> int:
    checkpoint = _load(args)
    model = checkpoint.model.to(resolve_device("auto"))
    config = SamplerConfig(**{knob.name: getattr(args, knob.name) for knob in SAMPLER_FLAGS})
    known = encode_prompt(args.prompt, checkpoint) if args.prompt else None
    labels = torch.tensor(parse_labels(model.spec.labels, args.label)) if args.label is not None else None
    result = generate(model, args.n, config, known=known, length=args.length, window=args.window, labels=labels)
    path = save_samples(result.samples, model.spec, args.out)
    nll = -result.log_likelihood.mean().item()
    as_class = f" as {describe_labels(model.spec.labels, labels.tolist())}" if labels is not None else ""
    print(f"wrote {args.n} samples{as_class} to {path} (mean NLL {nll:.2f} nats, {bits_per_dim(model, nll):.3f} "
          f"bits/dim; seed {result.seed})")
    return 0


def encode_prompt(prompt: str, checkpoint: Checkpoint) -> torch.Tensor:
    return torch.tensor(encode_text(prompt, checkpoint.spec))


def _load(args: argparse.Namespace) -> Checkpoint:
    if args.run is not None:
        return load_checkpoint(run_checkpoint(RunStore(args.runs_dir), args.run))
    if args.ready is not None:
        return ready_model(args.ready).load()
    return load_checkpoint(args.checkpoint)


def _dataset_of(checkpoint: Checkpoint, split: str):
    name = checkpoint.meta.get("dataset")
    if not name:
        raise UserError("This checkpoint does not say which data set it was trained on.")
    seed = (checkpoint.meta.get("config") or {}).get("seed", 0)
    return load_dataset(name, split, seed=seed, **(checkpoint.meta.get("dataset_options") or {}))


def _status(record) -> str:
    """The status, with the reason a failed or interrupted run gives (shortened)."""
    if record.status in ("failed", "interrupted") and record.error:
        reason = record.error.split(";")[0]
        return f"{record.status}: {reason[:60]}{'…' if len(reason) > 60 else ''}"
    return record.status


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"
