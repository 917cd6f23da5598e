"""Which checkpoint of a run to load: the one rule that eval, sample, Explore and resume share."""

from __future__ import annotations

from pathlib import Path

from arstudio.errors import UserError
from arstudio.training.checkpoint import CheckpointSlots
from arstudio.training.config import CHECKPOINT_SECONDS
from arstudio.training.run_store import RunStore


def run_slots(registry: RunStore, run_id: int) -> CheckpointSlots:
    """The `last` and `best` checkpoints of a run, in `<runs>/run-<id>/checkpoints/`."""
    return CheckpointSlots(registry.run_dir(run_id) / "checkpoints")


def run_checkpoint(registry: RunStore, run_id: int) -> Path:
    """The checkpoint to load for run `run_id`: the newer of `last` and `best` (`CheckpointSlots.newest`).

    Raises UserError for an unknown run, or one with no checkpoint, saying what to do.
    """
    record = registry.get(run_id)
    path = run_slots(registry, run_id).newest()
    if path is not None:
        return path
    seconds = float(record.config.get("checkpoint_seconds") or CHECKPOINT_SECONDS)
    if record.active:
        raise UserError(f"Run {run_id} ({record.name}) has no checkpoint yet; it saves its first after "
                        f"{seconds:g} s of training. Try again then.")
    raise UserError(f"Run {run_id} ({record.name}) has no checkpoint: it ended before its first save. Train it "
                    f"again; a run saves every {seconds:g} s of training and when it stops.")
