"""The run store: training runs, their metrics and artifacts in one SQLite file per runs folder."""

from arstudio.training.run_store.processes import pid_alive
from arstudio.training.run_store.records import SPLITS, STATUSES, Artifact, MetricRow, RunRecord
from arstudio.training.run_store.schema import DB_NAME, SCHEMA_VERSION
from arstudio.training.run_store.store import RunStore

__all__ = ["DB_NAME", "SCHEMA_VERSION", "SPLITS", "STATUSES", "Artifact", "MetricRow", "RunRecord", "RunStore",
           "pid_alive"]
