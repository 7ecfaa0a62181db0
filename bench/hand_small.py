"""A plain hand-written LightGBM loop on a small competition, as a Kaggler writes it by hand.

    python bench/hand_small.py PROJECT_DIR --target COL --id COL --task binary|multiclass|regression
        --objective NAME --eval-metric NAME --metric NAME [--threads N] [--rounds 5000]

Reads PROJECT_DIR/data/train.csv and test.csv with pandas, casts string columns to category
(test with train's categories), trains LightGBM per fold of PROJECT_DIR/folds.csv (learning
rate 0.05, 31 leaves, feature and bagging fractions 0.8, early stopping after 100 rounds on the
fold's validation rows, the competition's objective), scores the OOF predictions with the
competition's metric and writes PROJECT_DIR/hand_submission.csv. Prints one JSON line: the OOF
score, the rounds each fold kept, the seconds of the folds' fits and predictions and of the
whole script. `bench/small_table.py` times it as a whole
process against ``kstarter init`` + ``kstarter train``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn import metrics

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import HAND_PARAMS, HAND_PATIENCE  # noqa: E402

# the competition's metric (kstarter's name) -> the scikit-learn function and what it scores
SCORERS = {
    "accuracy": (metrics.accuracy_score, "label"),
    "mcc": (metrics.matthews_corrcoef, "label"),
    "auc": (metrics.roc_auc_score, "proba"),
    "logloss": (metrics.log_loss, "proba"),
    "mlogloss": (metrics.log_loss, "proba"),
    "mae": (metrics.mean_absolute_error, "value"),
    "rmse": (metrics.root_mean_squared_error, "value"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("project", type=Path)
    ap.add_argument("--target", required=True)
    ap.add_argument("--id", required=True)
    ap.add_argument("--task", choices=("binary", "multiclass", "regression"), required=True)
    ap.add_argument("--objective", required=True)
    ap.add_argument("--eval-metric", required=True)
    ap.add_argument("--metric", choices=sorted(SCORERS), required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5000)
    args = ap.parse_args()
    start = time.perf_counter()

    train = pd.read_csv(args.project / "data" / "train.csv")
    test = pd.read_csv(args.project / "data" / "test.csv")
    folds = pd.read_csv(args.project / "folds.csv")["fold"].to_numpy()
    target = train.pop(args.target)
    ids = test.pop(args.id)
    train = train.drop(columns=args.id)
    for c in train.columns[train.dtypes == "str"]:
        train[c] = train[c].astype("category")
        test[c] = pd.Categorical(test[c], categories=train[c].cat.categories)
    classes = None
    if args.task == "regression":
        y = target.to_numpy(dtype=float)
    else:
        classes, y = np.unique(target.to_numpy(), return_inverse=True)

    params = {**HAND_PARAMS, "objective": args.objective, "metric": args.eval_metric}
    params["num_threads"] = args.threads
    if args.task == "multiclass":
        params["num_class"] = len(classes)
    width = len(classes) if args.task == "multiclass" else 1
    oof = np.zeros((len(train), width)).squeeze(1) if width == 1 else np.zeros((len(train), width))
    pred = np.zeros_like(oof[: len(test)]) if width == 1 else np.zeros((len(test), width))
    rounds = []
    n = folds.max() + 1
    fitting = time.perf_counter()
    for k in range(n):
        tr, va = folds != k, folds == k
        dtr = lgb.Dataset(train[tr], y[tr])
        dva = lgb.Dataset(train[va], y[va], reference=dtr)
        booster = lgb.train(
            params, dtr, args.rounds, valid_sets=[dva],
            callbacks=[lgb.early_stopping(HAND_PATIENCE, verbose=False)],
        )  # fmt: skip
        oof[va] = booster.predict(train[va], num_iteration=booster.best_iteration)
        pred += booster.predict(test, num_iteration=booster.best_iteration) / n
        rounds.append(booster.best_iteration)
    fit_seconds = time.perf_counter() - fitting

    scorer, needs = SCORERS[args.metric]
    if needs == "label":
        score = scorer(y, (oof > 0.5).astype(int))
        column = classes[(pred > 0.5).astype(int)]
        submission = pd.DataFrame({args.id: ids, args.target: column})
    elif args.task == "multiclass":
        score = scorer(y, oof, labels=range(width))
        submission = pd.DataFrame(pred, columns=[str(c) for c in classes])
        submission.insert(0, args.id, ids)
    else:
        score = scorer(y, oof)
        submission = pd.DataFrame({args.id: ids, args.target: pred})
    submission.to_csv(args.project / "hand_submission.csv", index=False)
    seconds = round(time.perf_counter() - start, 3)
    fit_seconds = round(fit_seconds, 3)
    print(json.dumps({"oof": float(score), "rounds": rounds, "fit_seconds": fit_seconds,
                      "seconds": seconds}))  # fmt: skip


if __name__ == "__main__":
    main()
