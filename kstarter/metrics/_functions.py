"""The Kaggle metrics scikit-learn lacks, or computes differently from Kaggle.

The table names them as ``function: kstarter.metrics:NAME``. Each takes ``(y_true, y_pred)`` in
the conventions of :mod:`kstarter.metrics._registry` and returns one float.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kstarter.errors import MetricError

__all__ = ["log_loss", "mape", "smape", "qwk", "mcauc", "mcrmse"]

_PROBA_EPS = 1e-15


def log_loss(y_true: Any, y_pred: Any) -> float:
    """Log loss as Kaggle computes it: probabilities clipped to [1e-15, 1 - 1e-15], rows rescaled.

    Binary ``y_pred`` is P(class 1) of shape (n,); multiclass is (n, k) and scored against labels
    ``range(k)``, so a fold that lacks a class still scores.
    """
    from sklearn import metrics as skm

    proba = np.asarray(y_pred, dtype=np.float64)
    if proba.ndim == 1:
        proba = np.column_stack([1.0 - proba, proba])
    proba = np.clip(proba, _PROBA_EPS, 1.0 - _PROBA_EPS)
    proba = proba / proba.sum(axis=1, keepdims=True)
    return float(skm.log_loss(y_true, proba, labels=np.arange(proba.shape[1])))


def mape(y_true: Any, y_pred: Any) -> float:
    """Mean absolute percentage error in percent; a zero target divides by machine epsilon."""
    y, p = _floats(y_true), _floats(y_pred)
    denominator = np.maximum(np.abs(y), np.finfo(np.float64).eps)
    return float(100.0 * np.mean(np.abs(y - p) / denominator))


def smape(y_true: Any, y_pred: Any) -> float:
    """Symmetric MAPE in percent (0..200) as Kaggle defines it; 0/0 counts as 0."""
    y, p = _floats(y_true), _floats(y_pred)
    denominator = (np.abs(y) + np.abs(p)) / 2.0
    ratio = np.divide(
        np.abs(y - p), denominator, out=np.zeros_like(denominator), where=denominator != 0
    )
    return float(100.0 * np.mean(ratio))


def qwk(y_true: Any, y_pred: Any) -> float:
    """Quadratic weighted kappa as Kaggle computes it, over ratings min..max of both arrays.

    Labels must be integers (encoded classes). 0.0 when only one rating occurs at all.
    """
    truth, pred = _ints(y_true), _ints(y_pred)
    low = min(truth.min(), pred.min())
    k = int(max(truth.max(), pred.max()) - low + 1)
    if k < 2:
        return 0.0  # kappa is 0/0 when y_true and y_pred hold one and the same rating
    observed = np.bincount((truth - low) * k + (pred - low), minlength=k * k).reshape(k, k)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    weights = np.subtract.outer(np.arange(k), np.arange(k)) ** 2
    return float(1.0 - (weights * observed).sum() / (weights * expected).sum())


def mcauc(y_true: Any, y_pred: Any) -> float:
    """Mean over columns of ROC AUC; columns holding a single class are skipped."""
    from sklearn import metrics as skm

    truth, proba = _columns(y_true, y_pred)
    scores = [
        skm.roc_auc_score(truth[:, j], proba[:, j])
        for j in range(truth.shape[1])
        if np.unique(truth[:, j]).size == 2
    ]
    if not scores:
        raise MetricError("mcauc: every target column holds one class; ROC AUC needs both")
    return float(np.mean(scores))


def mcrmse(y_true: Any, y_pred: Any) -> float:
    """Mean over columns of the RMSE of each column."""
    truth, pred = _columns(y_true, y_pred)
    return float(np.mean(np.sqrt(np.mean((truth - pred) ** 2, axis=0))))


def _floats(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).ravel()


def _ints(values: Any) -> np.ndarray:
    array = np.asarray(values).ravel()
    ints = array.astype(np.int64)
    if array.size == 0 or not np.array_equal(ints, array):
        raise MetricError(
            "this metric scores encoded integer labels; round or decide the predictions first"
        )
    return ints


def _columns(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    truth = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64)
    truth = truth.reshape(len(truth), -1)
    pred = pred.reshape(len(pred), -1)
    if truth.shape != pred.shape:
        raise MetricError(
            f"y_true has shape {truth.shape} but y_pred has {pred.shape}; "
            "multi-target metrics need one prediction column per target"
        )
    return truth, pred
