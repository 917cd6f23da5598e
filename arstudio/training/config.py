"""TrainConfig: everything that defines a training run, validated with messages a person can act on."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from arstudio.errors import UserError
from arstudio.training.compilation import check_choice

POSITIONS_PER_BATCH = 8192
"""The default batch holds about this many positions (2 to 64 examples), so long clips stay affordable on a CPU."""
DENSE_POSITIONS_PER_BATCH = {"made": 65536}
"""A MADE step is a few matrix products, as fast for 64 examples of a 28x28 image as for 10 (10 against 8.6 ms
here), and learns faster per second (binarized MNIST: 129 against 148 nats after 3000 steps). NADE keeps 8k: its
[B, D, H] activations make a step of 64 ten times slower than one of 10 (201 against 19 ms)."""
CHECKPOINT_SECONDS = 60.0
"""Default seconds of training between saves of `last` (besides every `checkpoint_every` steps), so a killed
run loses at most about this much, whatever its step time."""
LEARNING_RATES = {"nade": 3e-3, "made": 3e-3, "pixelcnn": 3e-3, "wavenet": 3e-3, "transformer": 1e-3}


@dataclass
class TrainConfig:
    family: str = "made"
    dataset: str = "binary-digits"
    hparams: dict[str, Any] = field(default_factory=dict)
    dataset_options: dict[str, Any] = field(default_factory=dict)
    steps: int = 2000
    batch_size: int | None = None
    """None picks about 8k positions per batch (64k for MADE), 2 to 64 examples."""
    lr: float | None = None
    """None takes the family's default learning rate."""
    weight_decay: float = 0.0
    warmup_steps: int | None = None
    """None warms up over 5% of the steps (at most 200)."""
    grad_clip: float = 1.0
    device: str = "auto"
    seed: int = 0
    eval_every: int = 200
    eval_examples: int = 512
    checkpoint_every: int = 500
    checkpoint_seconds: float = CHECKPOINT_SECONDS
    """`last` is also saved when this many seconds have passed since the last save (checked between steps)."""
    name: str | None = None
    compile: str = "auto"
    """auto, on or off: whether the log-likelihood goes through torch.compile (see training/compilation.py)."""

    def __post_init__(self) -> None:
        check_choice(self.compile)
        _positive_int("steps", self.steps)
        if self.batch_size is not None:
            _positive_int("batch size", self.batch_size)
        _positive_int("evaluation interval", self.eval_every)
        _positive_int("number of evaluation examples", self.eval_examples)
        _positive_int("checkpoint interval", self.checkpoint_every)
        if isinstance(self.checkpoint_seconds, bool) or not isinstance(self.checkpoint_seconds, (int, float)) \
                or not (math.isfinite(self.checkpoint_seconds) and self.checkpoint_seconds > 0):
            raise UserError(f"The checkpoint interval in seconds must be a positive number, got "
                            f"{self.checkpoint_seconds!r}.")
        if self.lr is not None and not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise UserError(f"The learning rate must be a positive number, got {self.lr!r}.")
        if not (math.isfinite(self.grad_clip) and self.grad_clip >= 0):
            raise UserError(f"Gradient clipping must be 0 (off) or a positive norm, got {self.grad_clip!r}.")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise UserError(f"Weight decay must be 0 or positive, got {self.weight_decay!r}.")
        if self.warmup_steps is not None and (not isinstance(self.warmup_steps, int) or self.warmup_steps < 0):
            raise UserError(f"Warm-up steps must be a whole number >= 0, got {self.warmup_steps!r}.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise UserError(f"The seed must be a whole number >= 0, got {self.seed!r}.")

    @property
    def learning_rate(self) -> float:
        return float(self.lr) if self.lr is not None else LEARNING_RATES.get(self.family, 1e-3)

    def examples_per_batch(self, dims: int) -> int:
        if self.batch_size is not None:
            return self.batch_size
        positions = DENSE_POSITIONS_PER_BATCH.get(self.family, POSITIONS_PER_BATCH)
        return max(2, min(64, positions // dims))

    @property
    def warmup(self) -> int:
        return self.warmup_steps if self.warmup_steps is not None else min(200, self.steps // 20)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _positive_int(what: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"The {what} must be a whole number of at least 1, got {value!r}.")


def lr_factor(step: int, warmup: int, total: int) -> float:
    """Linear warm-up to 1, then cosine decay to 0.1 at the last step."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
