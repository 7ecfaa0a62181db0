"""Candidate defaults for configs/lightgbm.yaml, compared on every practice competition.

    python bench/defaults.py [--only heart-disease]

Each candidate is a whole parameter set (learning rate, leaves, row and column sampling,
regularisation) trained the way `kstarter train` trains: the project's folds, early stopping
on each fold (model.num_boost_round / model.early_stopping_rounds of configs/defaults.yaml).
Reported per competition: the CV mean, the private-board score and the seconds; then each
candidate's mean rank by CV over the competitions. The defaults are chosen by CV rank (the
private board is the check, never the choice) and by time, since a baseline should be fast.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import OUT, kstarter, machine  # noqa: E402
from quality import cv_and_private  # noqa: E402

# the previous defaults; the other kstarter candidates say how they differ from them
PREVIOUS = {
    "learning_rate": 0.05, "num_leaves": 31, "min_child_samples": 20, "feature_fraction": 0.8,
    "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l1": 0.0, "lambda_l2": 1.0,
}  # fmt: skip
CANDIDATES = {
    # LightGBM's own values, with kstarter's early stopping
    "library": {
        **PREVIOUS, "learning_rate": 0.1, "feature_fraction": 1.0, "bagging_fraction": 1.0,
        "bagging_freq": 0, "lambda_l2": 0.0,
    },
    "lr0.05-31": PREVIOUS,
    "lr0.05-15": {**PREVIOUS, "num_leaves": 15, "min_child_samples": 10, "feature_fraction": 0.7},
    "lr0.05-63": {
        **PREVIOUS, "num_leaves": 63, "min_child_samples": 30, "feature_fraction": 0.7,
        "lambda_l2": 2.0,
    },
    "lr0.05-31-reg": {**PREVIOUS, "feature_fraction": 0.5, "lambda_l1": 0.1, "lambda_l2": 5.0},
    "lr0.02-31": {**PREVIOUS, "learning_rate": 0.02, "feature_fraction": 0.7},
}  # fmt: skip


def one(name: str, out: Path) -> dict:
    from kstarter.config import load_project
    from kstarter.train import evaluate, prepare

    project = out / name
    shutil.rmtree(project, ignore_errors=True)
    kstarter("init", f"practice/{name}", "--dir", str(project), cwd=out)
    prep = prepare(load_project(project))
    row = {"competition": name, "metric": prep.metric.name, "direction": prep.metric.direction}
    for cand, params in CANDIDATES.items():
        start = time.perf_counter()
        ev = evaluate(prep, params, prep.project.train.seed)
        seconds = time.perf_counter() - start
        cv, private = cv_and_private(prep, ev.cv.oof, ev.cv.test)
        row[cand] = {"cv": cv, "private": private, "seconds": round(seconds, 2)}
    return row


def ranks(rows: list[dict], key: str) -> dict[str, float]:
    """Each candidate's mean rank (1 = best) by ``key`` over the competitions; ties share."""
    total = dict.fromkeys(CANDIDATES, 0.0)
    for row in rows:
        sign = -1 if row["direction"] == "maximize" else 1
        values = {c: sign * row[c][key] for c in CANDIDATES}
        for c, v in values.items():
            better = sum(w < v for w in values.values())
            equal = sum(w == v for w in values.values())
            total[c] += better + (equal + 1) / 2
    return {c: round(t / len(rows), 2) for c, t in total.items()}


def main() -> None:
    from kstarter.practice import list_practice

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--out", type=Path, default=OUT / "defaults")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    names = args.only or [p.name for p in list_practice()]
    rows = [one(n, args.out) for n in names]
    result = {
        "machine": machine(),
        "candidates": CANDIDATES,
        "rows": rows,
        "mean_rank_cv": ranks(rows, "cv"),
        "mean_rank_private": ranks(rows, "private"),
        "seconds": {c: round(sum(r[c]["seconds"] for r in rows), 1) for c in CANDIDATES},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
