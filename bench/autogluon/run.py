"""AutoGluon on one competition folder: run by bench/quality.py with AutoGluon's own venv.

    VENV/bin/python bench/autogluon/run.py TASK.json

TASK.json (written by bench/quality.py) names the data folder, the columns, the metric and
where to write. This script reads CSV files only and imports nothing of kstarter (AutoGluon pins
pandas < 3, kstarter needs pandas 3): it fits ``TabularPredictor`` on train.csv minus the id with
the given presets and time limit, predicts test.csv, and writes the submission laid out exactly
like the sample (same columns, same row order), plus a JSON report of what AutoGluon did.
bench/quality.py scores that submission with kstarter's own practice leaderboard code.

TASK.json keys: data, train, test, sample, id (or null: test rows are the sample's rows in
order), sample_id, target, kind (label | proba | class_proba | value), problem_type,
eval_metric, log_target (train on log1p(y), predict expm1: AutoGluon has no RMSLE), preset,
time_limit, model_dir, submission, report.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path


def main(task_path: str) -> None:
    import numpy as np
    import pandas as pd
    from autogluon.tabular import TabularPredictor

    task = json.loads(Path(task_path).read_text())
    data = Path(task["data"])
    train = pd.read_csv(data / task["train"])
    test = pd.read_csv(data / task["test"])
    sample = pd.read_csv(data / task["sample"])
    target, id_col = task["target"], task["id"]
    if id_col is not None:
        train, test = train.drop(columns=[id_col]), test.set_index(id_col)
    if task["log_target"]:
        train[target] = np.log1p(train[target])
    model_dir = Path(task["model_dir"])
    shutil.rmtree(model_dir, ignore_errors=True)
    predictor = TabularPredictor(
        label=target,
        problem_type=task["problem_type"],
        eval_metric=task["eval_metric"],
        path=str(model_dir),
        verbosity=1,
    )
    start = time.perf_counter()
    predictor.fit(train, presets=task["preset"], time_limit=task["time_limit"])
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    sub = _submission(predictor, task, test, sample)
    predict_s = time.perf_counter() - start
    sub.to_csv(task["submission"], index=False)
    board = predictor.leaderboard(silent=True)
    report = {
        "autogluon": _version(),
        "preset": task["preset"],
        "time_limit": task["time_limit"],
        "fit_s": round(fit_s, 1),
        "predict_s": round(predict_s, 1),
        "best_model": predictor.model_best,
        "models": len(board),
        "validation_score": float(board["score_val"].iloc[0]),
    }
    Path(task["report"]).write_text(json.dumps(report, indent=2))
    shutil.rmtree(model_dir, ignore_errors=True)  # best_quality's bagged models are large


def _submission(predictor, task: dict, test, sample):
    """The sample with its prediction columns filled, row for row (test order by id)."""
    import numpy as np

    features = test.reset_index(drop=True) if task["id"] is None else test
    kind, cols = task["kind"], list(sample.columns[1:])
    if kind in ("proba", "class_proba"):
        proba = predictor.predict_proba(features)
        proba.columns = [str(c) for c in proba.columns]
        if kind == "proba":
            positive = "1" if "1" in proba.columns else str(predictor.positive_class)
            proba = proba[[positive]].set_axis(cols, axis=1)
        pred = proba[cols]
    else:
        values = predictor.predict(features)
        if task["log_target"]:
            values = np.clip(np.expm1(values), 0, None)
        pred = values.to_frame(cols[0])
    sub = sample.copy()
    if task["id"] is None:  # no id: the sample numbers the test rows in order
        sub[cols] = pred.to_numpy()
    else:
        sub[cols] = pred.loc[sample[task["sample_id"]].to_numpy()].to_numpy()
    return sub


def _version() -> str:
    from importlib.metadata import version

    return version("autogluon.tabular")


if __name__ == "__main__":
    main(sys.argv[1])
