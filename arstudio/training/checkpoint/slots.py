"""The `last` and `best` checkpoints of one run folder."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from arstudio.errors import UserError
from arstudio.models import ARModel
from arstudio.training.checkpoint.header import JSON_SUFFIX, read_header
from arstudio.training.checkpoint.saving import save_checkpoint


class CheckpointSlots:
    """The `last` and `best` checkpoints of one run folder."""

    def __init__(self, run_dir: Path | str) -> None:
        self.run_dir = Path(run_dir)
        self.best_nll = self._stored_best_nll()

    @property
    def last(self) -> Path:
        return self.run_dir / f"last{JSON_SUFFIX}"

    @property
    def best(self) -> Path:
        return self.run_dir / f"best{JSON_SUFFIX}"

    def last_exists(self) -> bool:
        """Whether a complete `last` checkpoint exists (its JSON is written last)."""
        return self.last.is_file()

    def best_exists(self) -> bool:
        return self.best.is_file()

    def newest(self) -> Path | None:
        """The checkpoint to load or resume from: whichever of `last` and `best` records the higher step (`last`
        on a tie), or None when neither is complete. A run killed between saves may have only `best`, or a `best`
        newer than its `last`. A damaged header ranks below any readable one (loading it says what is wrong)."""
        found = [(_recorded_step(path), -rank, path) for rank, path in enumerate((self.last, self.best))
                 if path.is_file()]
        return max(found)[2] if found else None

    def save_last(
        self,
        model: ARModel,
        optimizer: torch.optim.Optimizer | None = None,
        *,
        meta: Mapping[str, Any],
        extra_tensors: Mapping[str, Tensor] | None = None,
    ) -> Path:
        return save_checkpoint(self.last, model, optimizer, meta=meta, extra_tensors=extra_tensors)

    def save_best(
        self,
        model: ARModel,
        optimizer: torch.optim.Optimizer | None = None,
        *,
        val_nll: float,
        meta: Mapping[str, Any],
        extra_tensors: Mapping[str, Tensor] | None = None,
    ) -> Path | None:
        """Save only when `val_nll` beats the best so far; returns the path, or None if it did not."""
        if not math.isfinite(val_nll) or val_nll >= self.best_nll:
            return None
        path = save_checkpoint(self.best, model, optimizer, meta={**meta, "val_nll": val_nll},
                               extra_tensors=extra_tensors)
        self.best_nll = val_nll
        return path

    def _stored_best_nll(self) -> float:
        try:
            value = read_header(self.best)["meta"].get("val_nll")
        except UserError:
            return math.inf
        return float(value) if isinstance(value, (int, float)) else math.inf


def _recorded_step(path: Path) -> float:
    try:
        step = read_header(path)["meta"].get("step")
    except UserError:
        return -math.inf
    return float(step) if isinstance(step, (int, float)) else -math.inf
