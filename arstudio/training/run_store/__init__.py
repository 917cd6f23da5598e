"""The run store: training runs, their metrics and artifacts in one SQLite file per runs folder."""

from arstudio.training.run_store.processes import pid_alive
from arstudio.training.run_store.records import (
    ACTIVE_STATUSES,
    RESUMABLE_STATUSES,
    SPLITS,
    STATUSES,
    Artifact,
    MetricRow,
    RunRecord,
    SweepRecord,
)
from arstudio.training.run_store.schema import DB_NAME, SCHEMA_VERSION
from arstudio.training.run_store.store import VANISHED, RunStore

__all__ = ["ACTIVE_STATUSES", "DB_NAME", "RESUMABLE_STATUSES", "SCHEMA_VERSION", "SPLITS", "STATUSES", "VANISHED",
           "Artifact", "MetricRow", "RunRecord", "RunStore", "SweepRecord", "pid_alive"]
