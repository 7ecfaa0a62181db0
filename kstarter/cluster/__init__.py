"""``--cluster``: a run's fold fits as tasks on an existing Dask distributed cluster."""

from __future__ import annotations

from kstarter.cluster._cluster import (
    CONNECT_SECONDS,
    Cluster,
    ClusterFits,
    connect,
    version_mismatch,
)
from kstarter.cluster._task import FitJob, fit_task, versions

__all__ = [
    "CONNECT_SECONDS",
    "Cluster",
    "ClusterFits",
    "connect",
    "version_mismatch",
    "FitJob",
    "fit_task",
    "versions",
]
