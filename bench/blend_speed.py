"""How fast `kstarter blend` searches: candidate evaluations of the hill climb, and whole fits.

    python bench/blend_speed.py --rows 500000 --members 20 --steps 25

On synthetic OOF predictions (seeded: members are noisy views of one latent score, some much
noisier than others; 5 random folds), for a binary AUC case and an RMSE regression case:

- ``evaluations``: members x steps candidate evaluations exactly as the hill climb makes them
  (running sum + one member, scaled, scored by kstarter's search scorer: the binned AUC for
  AUC, the metric itself for RMSE), and the same with sklearn's exact roc_auc_score (timed on
  ``--exact`` evaluations and scaled up, since all of them would take minutes);
- ``hillclimb``: kstarter's fit on every row (the final check against each single member
  included), the picks it made, and the nested fits (one per fold, on the other folds' rows);
- ``stack``: the logistic or ridge stacker on every row, and nested.

Wall seconds from time.perf_counter in this one process; the data is built before timing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine  # noqa: E402


def make(rows: int, members: int, task: str, seed: int = 0) -> tuple:
    """(y, members' OOF predictions, folds): binary P(class 1) or regression values."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=rows)
    noise = np.linspace(0.4, 2.0, members)  # member j's noise; the first is the best
    if task == "binary":
        y = (latent + 0.8 * rng.normal(size=rows) > 0.6).astype(np.int64)  # ~30% positives
        parts = [
            1.0 / (1.0 + np.exp(-(1.5 * (latent + s * rng.normal(size=rows)) - 1.0))) for s in noise
        ]
    else:
        y = 10.0 + 3.0 * latent + rng.normal(size=rows)
        parts = [10.0 + 3.0 * (latent + s * rng.normal(size=rows)) for s in noise]
    folds = rng.permutation(np.arange(rows) % 5)
    return y, parts, folds


def _seconds(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return round(time.perf_counter() - start, 4), out


def evaluations(metric, y, parts, steps: int, exact: int) -> dict:
    from kstarter.blend._scoring import fast_search_score

    score, _ = fast_search_score(metric, y, 2, probe=parts[0])
    total = parts[0].copy()
    trial = np.empty_like(total)

    def climb() -> int:
        n = 0
        for step in range(1, steps + 1):
            for p in parts:
                np.add(total, p, out=trial)
                np.multiply(trial, 1.0 / (step + 1), out=trial)
                score(trial)
                n += 1
        return n

    seconds, n = _seconds(climb)
    out = {"evaluations": n, "seconds": seconds, "ms_per_eval": round(1000 * seconds / n, 3)}
    if metric.rank_based:
        exact_s, _ = _seconds(
            lambda: [metric.score(y, parts[j % len(parts)]) for j in range(exact)]
        )
        out["exact_ms_per_eval"] = round(1000 * exact_s / exact, 3)
        out["exact_seconds_for_all"] = round(exact_s / exact * n, 1)
        fast = score(parts[0])
        out["binned_minus_exact"] = float(fast - metric.score(y, parts[0]))
    return out


def fits(metric, task: str, y, parts, folds) -> dict:
    from kstarter.blend._fit import Problem, fit, nested_oof

    problem = Problem(metric, task, 2 if task == "binary" else 0, y, parts)
    rows = np.ones(len(y), dtype=bool)
    out = {}
    for method in ("hillclimb", "stack"):
        seconds, fitted = _seconds(lambda m=method: fit(m, problem, rows))
        nested_s, nested = _seconds(lambda m=method: nested_oof(m, problem, folds))
        plain_score = metric.score(y, fitted.apply(parts))
        out[method] = {
            "fit_seconds": seconds,
            "nested_seconds": nested_s,
            "plain_oof": float(plain_score),
            "nested_oof": float(metric.score(y, nested)),
            "best_member_oof": float(metric.score(y, parts[0])),
        }
        if method == "hillclimb":
            weights = np.asarray(fitted.weights)
            out[method]["members_picked"] = int((weights > 0).sum())
            out[method]["picks"] = int(round(1 / weights[weights > 0].min()))
            out[method]["weights"] = [round(float(w), 3) for w in weights]
    return out


def run(rows: int, members: int, steps: int, exact: int = 10) -> dict:
    from kstarter.metrics import get_metric

    result: dict = {"rows": rows, "members": members, "steps": steps, "machine": machine()}
    for task, name in (("binary", "auc"), ("regression", "rmse")):
        metric = get_metric(name)
        y, parts, folds = make(rows, members, task)
        result[task] = {
            "metric": metric.name,
            "candidates": evaluations(metric, y, parts, steps, exact),
            **fits(metric, task, y, parts, folds),
        }
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=500_000)
    ap.add_argument("--members", type=int, default=20)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--exact", type=int, default=10, help="exact AUC evaluations timed")
    args = ap.parse_args()
    print(json.dumps(run(args.rows, args.members, args.steps, args.exact), indent=2))


if __name__ == "__main__":
    main()
