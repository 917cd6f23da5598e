"""The training loop: AdamW with warm-up and cosine decay, live events, pause/stop from any thread.

A Trainer runs one run of the registry. Events go to a plain callback; metrics go to SQLite in
batches; checkpoints (last and best) go to the run's folder, `last` every `checkpoint_every` steps and
every `checkpoint_seconds` of training. Stop, a finished run and every error leave a usable checkpoint and
an honest status behind; a killed process loses at most the training since the last save.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from arstudio.data import ArrayDataset, load_dataset
from arstudio.data.references import references_for
from arstudio.errors import UserError
from arstudio.models import build_model
from arstudio.models.base import ARModel
from arstudio.training.checkpoint import CheckpointSlots, load_checkpoint
from arstudio.training.compilation import FallbackToEager, compile_decision, worth_telling
from arstudio.training.config import TrainConfig, lr_factor
from arstudio.training.device import resolve_device
from arstudio.training.distributed import Distributed
from arstudio.training.evaluate import bits_per_dim, mean_nll
from arstudio.training.events import EvalEvent, NoticeEvent, StatusEvent, StepEvent, TrainEvent
from arstudio.training.optimizer import adamw
from arstudio.training.run_checkpoint import run_slots
from arstudio.training.run_store import RunStore

METRICS_FLUSH_SECONDS = 1.0
DIVERGED_FACTOR = 1000.0
"""A loss this many times the uniform baseline D ln K (or not finite) means the run has diverged."""
EVAL_BATCH = 100
"""Examples per forward pass when a whole test split is scored (no gradients, so larger than a training batch)."""
EventCallback = Callable[[TrainEvent], None]


@dataclass
class TrainSummary:
    run_id: int | None
    status: str
    steps: int
    best_validation_nll: float | None
    test_nll: float | None
    checkpoint: Path | None


class Trainer:
    def __init__(self, config: TrainConfig, registry: RunStore | None = None,
                 callback: EventCallback | None = None, resume_run: int | None = None,
                 clock: Callable[[], float] = time.monotonic, queued_run: int | None = None) -> None:
        """resume_run: continue that run from its newest checkpoint. queued_run: train that run of the store,
        queued earlier (by the window or a sweep) and never trained, instead of creating one."""
        self.config = config
        self.clock = clock
        """Seconds, for the time-based checkpoint (tests pass a fake clock)."""
        self._saved_at = clock()
        self.dist = Distributed.from_environment()
        self.registry = registry if self.dist.is_main else None
        self.callback = callback
        self.resume_run = resume_run
        self.run_id: int | None = resume_run if resume_run is not None else queued_run
        self.queued_run = queued_run
        self._threads: int | None = None
        self.model: ARModel | None = None
        self.compiled = False
        """Whether the training step runs through torch.compile (set when the run starts, cleared on a fallback)."""
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._metrics: list[tuple[int, float, str, float, float]] = []
        self._last_flush = 0.0

    # Control from any thread.
    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def set_threads(self, count: int) -> None:
        """Train on `count` CPU threads from the next step on (the window shares the cores between its runs)."""
        self._threads = max(1, int(count))

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def run(self) -> TrainSummary:
        """Train until the configured step count or a stop; raises UserError on divergence."""
        config = self.config
        device = self.dist.device(config.device) if self.dist.world_size > 1 else resolve_device(config.device)
        self.device = device
        train = load_dataset(config.dataset, "train", seed=config.seed, **config.dataset_options)
        validation = load_dataset(config.dataset, "validation", seed=config.seed, **config.dataset_options)
        if len(train) == 0:
            raise UserError(f"The data set {config.dataset} has no training examples; add data or choose another.")
        torch.manual_seed(config.seed)
        model = build_model(config.family, train.spec, **config.hparams).to(device)
        self.model = model
        train_labels = _labels_of(train, model, device)
        optimizer = adamw(model.parameters(), config.learning_rate, config.weight_decay)
        batches = torch.Generator().manual_seed(config.seed)
        step = 0
        slots: CheckpointSlots | None = None
        best = None
        if self.registry is not None:
            if self.queued_run is not None:
                self.registry.update_run(self.run_id, device=str(device), hparams=model.hparams)
                self.registry.set_status(self.run_id, "running")
            elif self.resume_run is None:
                self.run_id = self.registry.create_run(
                    config.name or f"{config.family} on {config.dataset}", config.family, config.dataset,
                    model.hparams, config.to_json(), str(device))
            slots = run_slots(self.registry, self.run_id)
        if self.resume_run is not None:
            step, best = self._restore(slots, model, optimizer, batches, device)
            if self.registry is not None:
                self.registry.forget_metrics_after(self.run_id, step)
                self.registry.set_status(self.run_id, "running")
        wrapped = self._log_prob(model, device, step)
        self.batch_size = config.examples_per_batch(train.spec.dims)
        data = train.data.to(device)
        status, test_nll = "running", None
        self._emit(StatusEvent("running", step))
        started = time.monotonic()
        self._saved_at = self.clock()
        try:
            while step < config.steps:
                if not self._wait_if_paused(step):
                    status = "stopped"
                    break
                if self._threads is not None:
                    torch.set_num_threads(self._threads)
                    self._threads = None
                tic = time.monotonic()
                lr = config.learning_rate * lr_factor(step, config.warmup, config.steps)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                index = self.dist.shard(torch.randint(0, len(data), (self.batch_size * self.dist.world_size,),
                                                      generator=batches))
                batch = data[index]
                model.on_train_step(step)
                loss = self._loss(wrapped, batch, None if train_labels is None else train_labels[index])
                if not math.isfinite(loss.item()) or loss.item() > DIVERGED_FACTOR * max(1.0, train.spec.uniform_nll):
                    raise UserError(
                        f"Training diverged at step {step + 1}: the loss became {loss.item():.4g} nats, far worse "
                        f"than guessing uniformly ({train.spec.uniform_nll:.4g}). Lower the learning rate (now "
                        f"{config.learning_rate:g}) or the batch size, then train again.")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                optimizer.step()
                step += 1
                nll = self.dist.mean(loss.detach()).item()
                elapsed = time.monotonic() - started
                rate = self.batch_size * self.dist.world_size / max(time.monotonic() - tic, 1e-9)
                self._emit(StepEvent(step, config.steps, nll, bits_per_dim(model, nll), lr, rate, elapsed))
                self._record(step, elapsed, "train", nll, bits_per_dim(model, nll))
                if step % config.eval_every == 0 or step == config.steps:
                    val = self._evaluate(model, validation, step, "validation", elapsed)
                    if best is None or val < best:
                        best = val
                        if slots is not None:
                            self._save(slots.save_best, model, optimizer, batches, step, best, val_nll=val)
                            self.registry.update_run(self.run_id, best_val_nll=best)
                if slots is not None and (step % config.checkpoint_every == 0
                                          or self.clock() - self._saved_at >= config.checkpoint_seconds):
                    self._save(slots.save_last, model, optimizer, batches, step, best)
            else:
                status = "finished"
                test = load_dataset(config.dataset, "test", seed=config.seed, **config.dataset_options)
                whole = bool(references_for(config.dataset))
                test_nll = self._evaluate(model, test, step, "test", time.monotonic() - started, whole=whole)
        except KeyboardInterrupt:
            self._finish(slots, model, optimizer, batches, step, best, "stopped", None, "interrupted from the keyboard")
            raise
        except Exception as exc:
            error = _as_user_error(exc, config)
            self._finish(slots, model, optimizer, batches, step, best, "failed", None, _message(error))
            if error is exc:
                raise
            raise error from exc
        self._finish(slots, model, optimizer, batches, step, best, status, test_nll, "")
        return TrainSummary(self.run_id, status, step, best, test_nll, slots.newest() if slots is not None else None)

    def _log_prob(self, model: ARModel, device: torch.device, step: int) -> Callable[[Tensor], Tensor]:
        """The model's log-likelihood as the loop calls it: wrapped for several processes, compiled where it helps."""
        wrapped = self.dist.wrap(LogProb(model))
        use_compile, why = compile_decision(self.config.compile, self.config.family, device, self.dist.world_size)
        self.compiled = use_compile
        if worth_telling(self.config.compile, use_compile, self.config.family, device):
            self._emit(NoticeEvent(step, why))
        if not use_compile:
            return wrapped
        return FallbackToEager(wrapped, lambda message: self._fall_back(message, step))

    def _fall_back(self, message: str, step: int) -> None:
        self.compiled = False
        self._emit(NoticeEvent(step, message))

    def _loss(self, log_prob: Callable[..., Tensor], batch: Tensor, labels: Tensor | None) -> Tensor:
        on_cuda = self.device.type == "cuda"
        with torch.autocast("cuda", dtype=torch.bfloat16) if on_cuda else contextlib.nullcontext():
            return -(log_prob(batch) if labels is None else log_prob(batch, labels)).float().mean()

    def _wait_if_paused(self, step: int) -> bool:
        """Block while paused; False when a stop was requested."""
        if not self._running.is_set():
            self._flush(force=True)
            self._set_status("paused", step)
            while not self._running.wait(0.05):
                pass
            if not self._stop.is_set():
                self._set_status("running", step)
        return not self._stop.is_set()

    def _evaluate(self, model: ARModel, examples: ArrayDataset, step: int, split: str, elapsed: float,
                  whole: bool = False) -> float:
        """The mean NLL of the split's first `eval_examples` examples, or of all of them (`whole`: the test split of a
        data set with published results, which the papers score on every test example)."""
        if len(examples) == 0:
            raise UserError(f"The {split} split of {self.config.dataset} is empty; use a larger data set.")
        count = len(examples) if whole else self.config.eval_examples
        labels = _labels_of(examples, model, self.device)
        batch = max(self.batch_size, EVAL_BATCH) if whole else self.batch_size
        nll = mean_nll(model, examples.data[:count], batch, self.device, None if labels is None else labels[:count])
        self._emit(EvalEvent(step, split, nll, bits_per_dim(model, nll), elapsed))
        self._record(step, elapsed, split, nll, bits_per_dim(model, nll))
        self._flush(force=True)
        return nll

    def _emit(self, event: TrainEvent) -> None:
        if self.callback is not None and self.dist.is_main:
            self.callback(event)

    def _record(self, step: int, elapsed: float, split: str, nll: float, bpd: float) -> None:
        if self.registry is None:
            return
        self._metrics.append((step, elapsed, split, nll, bpd))
        self._flush()

    def _flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.registry is None or not self._metrics or (not force and now - self._last_flush < METRICS_FLUSH_SECONDS):
            return
        self.registry.log_metrics(self.run_id, self._metrics)
        self.registry.update_run(self.run_id, steps=self._metrics[-1][0])
        self._metrics = []
        self._last_flush = now

    def _set_status(self, status: str, step: int, message: str = "") -> None:
        if self.registry is not None:
            self.registry.set_status(self.run_id, status, error=message or None)
        self._emit(StatusEvent(status, step, message))

    def _save(self, save: Callable[..., Path | None], model: ARModel, optimizer: torch.optim.Optimizer,
              batches: torch.Generator, step: int, best: float | None, **kwargs: float) -> Path | None:
        meta = {"step": step, "dataset": self.config.dataset, "dataset_options": self.config.dataset_options,
                "run_id": self.run_id, "config": self.config.to_json(), "best_validation_nll": best}
        self._flush(force=True)  # the store holds every step a checkpoint holds, so a resume continues its curve
        extra = {"rng/batches": batches.get_state(), "rng/torch": torch.get_rng_state()}
        if torch.cuda.is_available():
            extra["rng/cuda"] = torch.cuda.get_rng_state()
        path = save(model, optimizer, meta=meta, extra_tensors=extra, **kwargs)
        if path is not None:
            self._saved_at = self.clock()
        return path

    def _restore(self, slots: CheckpointSlots | None, model: ARModel, optimizer, batches: torch.Generator,
                 device: torch.device) -> tuple[int, float | None]:
        newest = slots.newest() if slots is not None else None
        if newest is None:
            raise UserError(f"Run {self.resume_run} has no checkpoint to resume from: it ended before its first "
                            "save. Start a new run with the same settings instead.")
        checkpoint = load_checkpoint(newest, family=self.config.family, device=str(device))
        model.load_state_dict(checkpoint.model.state_dict())
        if checkpoint.optimizer_state is not None:
            optimizer.load_state_dict(checkpoint.optimizer_state)
        batches.set_state(checkpoint.extra_tensors["rng/batches"])
        torch.set_rng_state(checkpoint.extra_tensors["rng/torch"])
        if "rng/cuda" in checkpoint.extra_tensors and torch.cuda.is_available():
            torch.cuda.set_rng_state(checkpoint.extra_tensors["rng/cuda"])
        return int(checkpoint.meta["step"]), checkpoint.meta.get("best_validation_nll")

    def _finish(self, slots, model, optimizer, batches, step: int, best, status: str, test_nll, message: str) -> None:
        self._flush(force=True)
        if slots is not None and step > 0 and _weights_finite(model):
            self._save(slots.save_last, model, optimizer, batches, step, best)
        if self.registry is not None:
            newest = slots.newest() if slots is not None else None
            self.registry.update_run(self.run_id, steps=step, test_nll=test_nll,
                                     checkpoint=str(newest) if newest is not None else None)
        self._set_status(status, step, message)
        self.dist.barrier()


class LogProb(torch.nn.Module):
    """The model's log-likelihood as forward(), so DistributedDataParallel can wrap it."""

    def __init__(self, model: ARModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.model.log_prob(x, labels)


def _labels_of(split: ArrayDataset, model: ARModel, device: torch.device) -> Tensor | None:
    """The split's labels [N, F] on `device` where the model is conditional (which build_model checked the spec
    allows); None for an unconditional model."""
    if not model.conditional:
        return None
    if split.labels is None:
        raise UserError(f"The {split.split} split of {split.name} carries no labels, which a conditional model needs; "
                        "choose a labelled data set or turn conditional off.")
    return split.labels.to(device)


def _weights_finite(model: ARModel) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


def _message(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"


def _as_user_error(exc: Exception, config: TrainConfig) -> Exception:
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return UserError("The GPU ran out of memory. Lower the batch size (--batch-size) or "
                         "the model size, or train on the CPU.")
    if isinstance(exc, MemoryError):
        return UserError("The computer ran out of memory. Lower the batch size or the model size, or train "
                         "fewer runs at once.")
    return exc
