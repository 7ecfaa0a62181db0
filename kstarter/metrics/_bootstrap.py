"""How far a score on a few rows could move: the bootstrap standard error of a metric.

A public board of 23 rows says little (issue 18.14): one row more or less right moves accuracy
by 0.04. Resampling the scored rows with replacement and scoring each resample with the
competition's own metric gives the spread a second sample of the same size would show, shown as
``score ± SE`` wherever kstarter has the rows (a practice board, ``submit --answers``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstarter.errors import MetricError

if TYPE_CHECKING:
    from kstarter.metrics._registry import Metric

__all__ = ["BOOTSTRAP_SAMPLES", "standard_error", "bootstrap_se"]

BOOTSTRAP_SAMPLES = 200  # the SE's own relative error is about 1/sqrt(2 * 200) = 5%


def standard_error(
    metric: Metric, y_true: Any, y_pred: Any, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0
) -> float | None:
    """The bootstrap standard error of ``metric.score(y_true, y_pred)`` over the rows; None for
    fewer than 2 rows or when most resamples cannot be scored (AUC on a resample of one class).
    Seeded: the same rows give the same SE."""
    return bootstrap_se(metric.score, y_true, y_pred, samples, seed)


def bootstrap_se(
    score: Callable[[Any, Any], float],
    y_true: Any,
    y_pred: Any,
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = 0,
) -> float | None:
    """:func:`standard_error` of any ``score(y_true, y_pred)`` (a difference of two scores on
    the same resampled rows, say); ``y_pred`` may have several columns, resampled by row."""
    import numpy as np

    truth, pred = np.asarray(y_true), np.asarray(y_pred)
    n = len(truth)
    if n < 2:
        return None
    rng = np.random.default_rng(seed)
    scores = []
    with warnings.catch_warnings():  # a resample of one class warns or fails: it is skipped
        warnings.simplefilter("ignore")
        for _ in range(samples):
            rows = rng.integers(0, n, n)
            try:
                s = score(truth[rows], pred[rows])
            except (ValueError, ZeroDivisionError, FloatingPointError, MetricError):
                continue
            if np.isfinite(s):
                scores.append(s)
    if len(scores) < samples // 2:
        return None
    return float(np.std(scores, ddof=1))
