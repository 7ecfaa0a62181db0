"""Kaggle's metrics: the table in ``configs/metrics.yaml``, scoring, and label decisions."""

from __future__ import annotations

from kstarter.metrics._registry import (
    Decision,
    Metric,
    default_metric,
    fit_decision,
    get_metric,
    list_metrics,
    log_loss,
    mape,
    mcauc,
    mcrmse,
    qwk,
    smape,
    validate_table,
)

__all__ = [
    "Metric",
    "Decision",
    "get_metric",
    "list_metrics",
    "default_metric",
    "fit_decision",
    "validate_table",
    "log_loss",
    "mape",
    "smape",
    "qwk",
    "mcauc",
    "mcrmse",
]
