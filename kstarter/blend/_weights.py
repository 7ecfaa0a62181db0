"""Weights on the members, fitted on the OOF rows given: a coordinate search on the simplex
(``weights``) and Caruana's greedy selection with replacement (``hillclimb``).

Both start from the best single member and only take a step that improves the search score,
and both end by comparing the result with the single members on the metric itself (decision
refitted), so a blend is never worse than its best member on the rows it was fitted on (the
hill climb compares only the members that could beat it, given how far its search score may be
from the metric). That last comparison (``final_check``) is left out of the fits of the nested
estimate: for a label metric each candidate costs a decision fit (a threshold is ~200
evaluations of the metric), and it only matters where the search's proxy and the metric
disagree on a near tie.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kstarter.blend._scoring import exact_score, fast_search_score, key, search_score

if TYPE_CHECKING:
    import numpy as np

    from kstarter.metrics import Metric

__all__ = ["combine", "fit_hillclimb", "fit_weights", "HILLCLIMB_STEPS"]

_STEPS = (0.5, 0.25, 0.1, 0.05, 0.02, 0.01)  # weight moved per try in the coordinate search
_MAX_PASSES = 30
# Members picked at most by the hill climb (with replacement): weights are multiples of 1/100
# at the finest. Caruana et al. (2004) stop at a few hundred models from libraries of ~2000; a
# kstarter library is tens of runs, and the climb stops as soon as no addition improves.
HILLCLIMB_STEPS = 100
# Picks tried after the last improvement before the climb stops. Caruana's climb runs its whole
# length and keeps the best ensemble on the way; a pick that makes things worse (the second
# pick weighs a member at one half) is often followed by better ones (the first member picked
# again dilutes it). Nested CV on seven saved auto projects (bench/quality.py at 60 s): better
# on five (heart-disease +0.013 accuracy, lending-club +0.0015 AUC), worse on diabetes by
# 0.007 MAE.
HILLCLIMB_PATIENCE = 10


def combine(parts: list[np.ndarray], weights: list[float]) -> np.ndarray:
    import numpy as np

    return np.sum([w * p for w, p in zip(weights, parts, strict=True)], axis=0)


def fit_weights(
    metric: Metric,
    y: np.ndarray,
    parts: list[np.ndarray],
    rows: np.ndarray,
    n_classes: int,
    final_check: bool = True,
) -> list[float]:
    """Coordinate search on the simplex, from the best member; the result's score on ``rows``
    is at least the best member's (one-hot weights are among the final candidates)."""
    import numpy as np

    y, parts = y[rows], [p[rows] for p in parts]
    k = len(parts)
    score = search_score(metric, y, n_classes)
    one_hot = [np.eye(k)[j] for j in range(k)]
    w = max(one_hot, key=lambda v: key(metric, score(combine(parts, list(v)))))
    best = score(combine(parts, list(w)))
    for _ in range(_MAX_PASSES):
        improved = False
        for step in _STEPS:
            for j in range(k):
                for trial in _moves(w, j, step):
                    s = score(combine(parts, list(trial)))
                    if metric.better(s, best):
                        w, best, improved = trial, s, True
        if not improved:
            break
    if not final_check:
        return [float(x) for x in w]
    return _final(metric, y, parts, n_classes, [w, np.full(k, 1.0 / k), *one_hot])


def _moves(w: np.ndarray, j: int, step: float) -> list[np.ndarray]:
    """Move ``step`` of the total weight towards member j, or away from it."""
    import numpy as np

    e = np.eye(len(w))[j]
    out = []
    if w[j] < 1:
        out.append((1 - step) * w + step * e)
    if w[j] >= step and w[j] < 1:
        rest = w - step * e
        out.append(rest / rest.sum())
    return out


def _final(
    metric: Metric,
    y: np.ndarray,
    parts: list[np.ndarray],
    n_classes: int,
    candidates: list[np.ndarray],
) -> list[float]:
    """The candidate best on the metric itself (the first of equals)."""
    best = max(
        candidates,
        key=lambda v: key(metric, exact_score(metric, y, combine(parts, list(v)), n_classes)),
    )
    return [float(x) for x in best]


def fit_hillclimb(
    metric: Metric,
    y: np.ndarray,
    parts: list[np.ndarray],
    rows: np.ndarray,
    n_classes: int,
    final_check: bool = True,
    max_steps: int = HILLCLIMB_STEPS,
    patience: int = HILLCLIMB_PATIENCE,
) -> list[float]:
    """Caruana's ensemble selection: start from the best member, then add (again and again, with
    replacement) the member whose addition scores best, even when that is worse than before:
    picks that dilute a member the first pick weighted at one half often improve later. The
    weights are each member's share of the picks of the best ensemble along the way; the climb
    stops ``patience`` picks after its last improvement, or after ``max_steps`` picks.

    The running sum of the picked members' predictions is kept, so trying a member costs one
    vector add and one evaluation (a binned AUC for a rank-based metric: see _scoring).
    """
    import numpy as np

    y, parts = y[rows], [np.ascontiguousarray(p[rows]) for p in parts]
    k = len(parts)
    score, error = fast_search_score(metric, y, n_classes, probe=parts[0])
    alone = [score(p) for p in parts]
    first = max(range(k), key=lambda j: key(metric, alone[j]))
    counts = np.zeros(k, dtype=np.int64)
    counts[first] = 1
    total, best = parts[first].astype(np.float64, copy=True), alone[first]
    kept, since = counts.copy(), 0  # the best ensemble so far; picks since it
    trial = np.empty_like(total)
    for picked in range(1, max_steps):
        step_best, step_j = float("nan"), -1
        for j, p in enumerate(parts):
            np.add(total, p, out=trial)
            trial *= 1.0 / (picked + 1)
            s = score(trial)
            if metric.better(s, step_best):
                step_best, step_j = s, j
        if step_j < 0:  # every score NaN
            break
        total += parts[step_j]
        counts[step_j] += 1
        if metric.better(step_best, best):
            best, kept, since = step_best, counts.copy(), 0
        else:
            since += 1
            if since >= patience:
                break
    weights = kept / kept.sum()
    # Only a member whose search score is within twice the search's error of the climb's
    # could beat it on the metric: none when the search scores with the metric itself, the
    # near ties when it uses the fast AUC, every member when it uses a proxy.
    rivals = [j for j in range(k) if key(metric, alone[j]) >= key(metric, best) - 2 * error]
    if not final_check or error == 0 or not rivals:
        return [float(x) for x in weights]
    return _final(metric, y, parts, n_classes, [weights, *np.eye(k)[rivals]])
