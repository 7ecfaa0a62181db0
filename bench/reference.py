"""The hand-written loop a strong Kaggler would write, on a kstarter project's folds and params.

    python bench/reference.py PROJECT_DIR

Reads the CSVs with pandas, casts strings to category (test with the train's categories,
unseen values as NaN), then per fold of PROJECT_DIR/folds.csv trains LightGBM with early
stopping on the fold, predicts the fold and test, and writes OOF score and a submission.
The parameters, rounds and patience are those of the project's newest run.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import yaml
from sklearn.metrics import mean_squared_error, roc_auc_score


def load_data(project: Path):
    data = project / "data"
    train = pd.read_csv(data / "train.csv")
    test = pd.read_csv(data / "test.csv")
    y = train.pop("target").to_numpy()
    ids = test["id"].to_numpy()
    train, test = train.drop(columns="id"), test.drop(columns="id")
    for c in train.columns[train.dtypes == "str"]:
        train[c] = train[c].astype("category")
        cats = train[c].cat.categories
        test[c] = pd.Categorical(test[c].where(test[c].isin(cats)), categories=cats)
    folds = pd.read_csv(project / "folds.csv")["fold"].to_numpy()
    return train, test, y, ids, folds


def newest_run(project: Path) -> tuple[dict, dict]:
    run = sorted((project / "runs").glob("*/metrics.json"))[-1]
    config = yaml.safe_load((run.parent / "config.yaml").read_text())["model"]
    return json.loads(run.read_text())["params"], config


def cross_validate(train, test, y, folds, params, rounds, patience, on_fold=None, best=None):
    """OOF and test predictions; each fold's best iteration is appended to ``best`` if given."""
    oof = np.zeros(len(train))
    pred = np.zeros(len(test))
    n = folds.max() + 1
    for k in range(n):
        tr, va = folds != k, folds == k
        dtr = lgb.Dataset(train[tr], y[tr])
        dva = lgb.Dataset(train[va], y[va], reference=dtr)
        booster = lgb.train(
            params, dtr, rounds, valid_sets=[dva],
            callbacks=[lgb.early_stopping(patience, verbose=False)],
        )  # fmt: skip
        oof[va] = booster.predict(train[va], num_iteration=booster.best_iteration)
        pred += booster.predict(test, num_iteration=booster.best_iteration) / n
        if best is not None:
            best.append(booster.best_iteration)
        del booster, dtr, dva
        if on_fold is not None:
            on_fold(k, oof, va)
    return oof, pred


def score(params: dict, y, oof) -> float:
    binary = params.get("objective") == "binary"
    return roc_auc_score(y, oof) if binary else mean_squared_error(y, oof) ** 0.5


def main(project: Path) -> None:
    start = time.perf_counter()
    params, config = newest_run(project)
    train, test, y, ids, folds = load_data(project)
    rounds, patience = config["num_boost_round"], config["early_stopping_rounds"]
    best: list[int] = []
    oof, pred = cross_validate(train, test, y, folds, params, rounds, patience, best=best)
    submission = pd.DataFrame({"id": ids, "target": pred})
    submission.to_csv(project / "reference_submission.csv", index=False)
    seconds = round(time.perf_counter() - start, 2)
    print(json.dumps({"oof": score(params, y, oof), "seconds": seconds, "best_iterations": best}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
