"""Label decisions: how raw model output becomes encoded labels for a label metric.

:func:`fit_decision` fits the rule on out-of-fold predictions (a threshold, argmax, or ordinal cut
points) to do best on the metric; the fitted :class:`Decision` is saved with the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from kstarter.errors import ConfigError, MetricError
from kstarter.metrics._bootstrap import bootstrap_se
from kstarter.metrics._registry import DECISIONS, Metric

__all__ = ["Decision", "fit_decision"]

_MAX_THRESHOLDS = 200  # candidate thresholds tried when fitting a binary decision
_CUT_GRID = 20  # candidate values per cut point and pass when fitting ordinal cut points
_CUT_PASSES = 4


@dataclass(frozen=True)
class Decision:
    """How raw model output becomes encoded labels: fitted on OOF, saved with the run.

    kind ``threshold``: label 1 where P(class 1) >= threshold; ``argmax``: the most probable
    class of (n, k) probabilities; ``rounding``: the class index of a continuous prediction is the
    number of cut points at or below it; ``none``: raw output is the submission, unchanged.
    """

    kind: str = "none"
    threshold: float | None = None
    cuts: tuple[float, ...] = ()

    def apply(self, raw: Any) -> np.ndarray:
        values = np.asarray(raw)
        if self.kind == "threshold":
            return (values >= self.threshold).astype(np.int64)
        if self.kind == "argmax":
            if values.ndim == 1:
                return (values >= 0.5).astype(np.int64)
            return values.argmax(axis=1).astype(np.int64)
        if self.kind == "rounding":
            return np.searchsorted(np.asarray(self.cuts), values, side="right").astype(np.int64)
        return values

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "threshold": self.threshold, "cuts": list(self.cuts)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Decision:
        kind = d.get("kind", "none")
        threshold = d.get("threshold")
        cuts = tuple(float(c) for c in d.get("cuts") or ())
        bad = (
            kind not in DECISIONS
            or (kind == "threshold" and not isinstance(threshold, int | float))
            or (kind == "rounding" and (not cuts or list(cuts) != sorted(cuts)))
        )
        if bad:
            raise ConfigError(
                f"saved decision {dict(d)!r} is invalid: kind must be one of "
                f"{', '.join(DECISIONS)}, a threshold needs a number, rounding needs increasing "
                "cuts; train again to refit it"
            )
        return cls(kind=kind, threshold=None if threshold is None else float(threshold), cuts=cuts)


def fit_decision(
    metric: Metric, y_true: Any, raw: Any, n_classes: int, guarded: bool = True
) -> Decision:
    """Fit on out-of-fold predictions how ``raw`` becomes labels, to do best on ``metric``.

    ``raw`` is P(class 1) of shape (n,) for a threshold, (n, k) probabilities for argmax, and a
    continuous (n,) prediction on the 0..k-1 scale for rounding. Deterministic. A threshold
    other than 0.5 is kept only when the rows it labels differently favour it beyond chance
    (``guarded``; see :func:`_beyond_chance`).
    """
    if metric.needs != "label":
        return Decision("none")
    if n_classes < 2:
        raise MetricError(f"metric '{metric.name}' needs at least two classes, got {n_classes}")
    kind = metric.decision_for("binary" if n_classes == 2 else "multiclass")
    y = np.asarray(y_true)
    values = np.asarray(raw, dtype=np.float64)
    if kind == "threshold":
        threshold = _fit_threshold(metric, y, values)
        if guarded and not _beyond_chance(metric, y, values, threshold):
            threshold = 0.5
        return Decision("threshold", threshold=threshold)
    if kind == "rounding":
        return Decision("rounding", cuts=_fit_cuts(metric, y, values, n_classes))
    return Decision(kind)


def _fit_threshold(metric: Metric, y: np.ndarray, proba: np.ndarray) -> float:
    quantiles = np.quantile(proba, np.linspace(0.0, 1.0, _MAX_THRESHOLDS))
    candidates = np.unique(np.append(quantiles, 0.5))
    scores = np.array([metric.score(y, (proba >= t).astype(np.int64)) for t in candidates])
    best = np.nanmax(scores) if metric.greater_is_better else np.nanmin(scores)
    tied = np.flatnonzero(np.isclose(scores, best, rtol=0.0, atol=1e-12))
    # Among equally good thresholds keep the one nearest 0.5, the untuned default.
    return float(candidates[tied[np.argmin(np.abs(candidates[tied] - 0.5))]])


# how many standard errors a fitted threshold's gain over 0.5 must reach to be kept
_GUARD_Z = 2.0
_GUARD_SAMPLES = 100  # bootstrap resamples of the paired gain


def _beyond_chance(metric: Metric, y: np.ndarray, proba: np.ndarray, threshold: float) -> bool:
    """Whether ``threshold`` beats 0.5 by more than chance on these rows: its gain in the
    metric is at least ``_GUARD_Z`` bootstrap standard errors of the gain (both labelings
    scored on the same resampled rows). The best OOF threshold of a few hundred rows moves a
    handful of labels and on new rows loses as often as it wins (bench/threshold.py)."""
    if threshold == 0.5:
        return True
    labels = np.column_stack([proba >= threshold, proba >= 0.5]).astype(np.int64)

    sign = 1.0 if metric.greater_is_better else -1.0

    def gain(truth: np.ndarray, both: np.ndarray) -> float:
        return sign * (metric.score(truth, both[:, 0]) - metric.score(truth, both[:, 1]))

    observed = gain(y, labels)
    if observed <= 0:
        return False
    se = bootstrap_se(gain, y, labels, _GUARD_SAMPLES)
    return se is not None and observed >= _GUARD_Z * se


def _fit_cuts(metric: Metric, y: np.ndarray, pred: np.ndarray, n_classes: int) -> tuple[float, ...]:
    """Coordinate search over cut points, starting from plain rounding (0.5, 1.5, ...)."""
    cuts = np.arange(n_classes - 1, dtype=np.float64) + 0.5
    best = _cut_score(metric, y, pred, cuts)
    for _ in range(_CUT_PASSES):
        improved = False
        for j in range(cuts.size):
            lo = cuts[j - 1] if j > 0 else min(pred.min(), cuts[j])
            hi = cuts[j + 1] if j < cuts.size - 1 else max(pred.max(), cuts[j])
            for value in np.linspace(lo, hi, _CUT_GRID + 2)[1:-1]:
                trial = cuts.copy()
                trial[j] = value
                score = _cut_score(metric, y, pred, trial)
                if metric.better(score, best):
                    best, cuts, improved = score, trial, True
        if not improved:
            break
    return tuple(float(c) for c in cuts)


def _cut_score(metric: Metric, y: np.ndarray, pred: np.ndarray, cuts: np.ndarray) -> float:
    return metric.score(y, np.searchsorted(cuts, pred, side="right"))
