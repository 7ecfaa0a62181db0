"""Each family's run reports in its own terms: a linear run has no "best iteration" and its
importance is a sum of |coefficient|, CatBoost's is its prediction values change, LightGBM's
the total gain; importance.csv names the measure's mean and spread neutrally; a fold that
ends at the round cap says so."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from kstarter.config import load_project
from kstarter.crossval import prepare
from kstarter.project import init_project
from kstarter.train import TrainOptions, train_prepared


@pytest.fixture(scope="module")
def prep(tmp_path_factory):
    root = init_project("practice/heart-disease", tmp_path_factory.mktemp("p") / "p").path
    return prepare(load_project(root))


@pytest.mark.parametrize(
    ("model", "measure", "rounds"),
    [("linear", "sum of |coefficient|", False), ("catboost", "prediction values change", True),
     ("lightgbm", "total gain", True)],
)  # fmt: skip
def test_a_run_reports_in_its_familys_terms(prep, model, measure, rounds) -> None:
    lines: list[str] = []
    run = train_prepared(prep, {}, TrainOptions(model=model, progress=lines.append))
    log = (run.path / "train.log").read_text()
    assert ("best iteration" in log) is rounds
    assert any(ln.startswith("fold 1/") for ln in lines)
    assert all(("best iteration" in ln) is rounds for ln in lines if ln.startswith("fold "))
    report = (run.path / "report.html").read_text()
    assert f"{measure} (mean over folds)" in report
    assert ("best iteration" in report) is rounds
    importance = pd.read_csv(run.path / "importance.csv")
    assert list(importance.columns) == ["feature", "importance_mean", "importance_std"]
    assert ("total gain" in report) is (model == "lightgbm")


def test_a_fold_at_the_round_cap_says_so(prep) -> None:
    capped = replace(prep.project.model, num_boost_round=3)
    prep3 = replace(prep, project=replace(prep.project, model=capped))
    lines: list[str] = []
    slow = {"learning_rate": 0.01, "metric": "binary_logloss"}  # improves every round
    run = train_prepared(prep3, slow, TrainOptions(progress=lines.append))
    assert all(it == 3 for it in run.metrics.best_iterations), run.metrics.best_iterations
    fold_lines = [ln for ln in lines if ln.startswith("fold ")]
    assert fold_lines and all("of 3: the round cap" in ln for ln in fold_lines)
    assert (run.path / "train.log").read_text().count("the round cap") == len(fold_lines)
