"""Training: checkpoints, the run store and where runs live."""

from arstudio.training.checkpoint import (
    FORMAT_VERSION,
    Checkpoint,
    CheckpointSlots,
    checkpoint_paths,
    load_checkpoint,
    read_header,
    save_checkpoint,
)
from arstudio.training.paths import default_runs_dir
from arstudio.training.run_store import SPLITS, STATUSES, Artifact, MetricRow, RunRecord, RunStore, pid_alive

__all__ = [
    "FORMAT_VERSION",
    "SPLITS",
    "STATUSES",
    "Artifact",
    "Checkpoint",
    "CheckpointSlots",
    "MetricRow",
    "RunRecord",
    "RunStore",
    "checkpoint_paths",
    "default_runs_dir",
    "load_checkpoint",
    "pid_alive",
    "read_header",
    "save_checkpoint",
]
