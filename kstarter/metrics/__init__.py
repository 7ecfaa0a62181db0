"""Kaggle's metrics: the table in ``configs/metrics.yaml``, scoring, and label decisions.

``_registry`` holds :class:`Metric`, the table, lookup and validation; ``_functions`` the Kaggle
metrics scikit-learn lacks (the table names them ``kstarter.metrics:NAME``); ``_decisions`` how
raw output becomes labels for a label metric.
"""

from __future__ import annotations

from kstarter.metrics._bootstrap import BOOTSTRAP_SAMPLES, bootstrap_se, standard_error
from kstarter.metrics._decisions import Decision, fit_decision
from kstarter.metrics._functions import log_loss, mape, mcauc, mcrmse, qwk, smape
from kstarter.metrics._registry import (
    Metric,
    default_metric,
    get_metric,
    list_metrics,
    proxy_metric,
    validate_table,
)

__all__ = [
    "Metric",
    "Decision",
    "get_metric",
    "list_metrics",
    "default_metric",
    "proxy_metric",
    "fit_decision",
    "validate_table",
    "standard_error",
    "bootstrap_se",
    "BOOTSTRAP_SAMPLES",
    "log_loss",
    "mape",
    "smape",
    "qwk",
    "mcauc",
    "mcrmse",
]
