"""A time split's test predictions come from a model that saw the latest rows (issue 18.1).

With ``cv.time`` the fold models saw only earlier blocks (the first, the earliest alone), so
their mean predicts a later test from old data. By default such a run refits one more model on
every train row, for the folds' mean best iteration scaled to all rows; ``train.test_from``
chooses folds, refit or last for any split.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_clean_error, edit_config

from kstarter.config import load_project
from kstarter.errors import ConfigError


def _trend_competition(where: Path) -> tuple[Path, pd.Series]:
    """A target that climbs with time (plus a feature's signal); test = the latest months."""
    rng = np.random.default_rng(7)
    n = 1200
    month = np.sort(rng.integers(0, 60, n))
    x = rng.normal(size=n)
    y = 10.0 * month + 20.0 * x + rng.normal(scale=5.0, size=n)
    frame = pd.DataFrame({"id": np.arange(n), "month": month, "x": x, "y": y})
    later = frame["month"] >= 50
    folder = where / "trend"
    folder.mkdir()
    frame[~later].to_csv(folder / "train.csv", index=False)
    frame[later].drop(columns="y").to_csv(folder / "test.csv", index=False)
    pd.DataFrame({"id": frame.loc[later, "id"], "y": 0.0}).to_csv(
        folder / "sample_submission.csv", index=False
    )
    return folder, frame.loc[later].set_index("id")["y"]


def _last_run(project: Path) -> Path:
    return sorted(p for p in (project / "runs").iterdir() if not p.name.startswith("."))[-1]


def _holdout_rmse(run: Path, answers: pd.Series) -> float:
    sub = pd.read_csv(run / "submission.csv").set_index("id")["y"].reindex(answers.index)
    return float(np.sqrt(np.mean((sub - answers) ** 2)))


def test_time_folds_refit_on_all_rows_and_predict_the_latest_level(ks, tmp_path):
    folder, answers = _trend_competition(tmp_path)
    ks("init", str(folder), "--dir", "p", "--metric", "rmse", cwd=tmp_path)
    project = tmp_path / "p"
    edit_config(project, {"cv": {"time": "month"}, "model": {"threads": 1}})

    ks("train", "--refold", cwd=project)
    refit = _last_run(project)
    metrics = json.loads((refit / "metrics.json").read_text())
    assert metrics["test_from"] == "refit"
    # the rounds: the folds' mean best iteration, scaled from their mean training rows to all
    folds = pd.read_csv(project / "folds.csv")["fold"].to_numpy()
    sizes = [int((folds < k).sum()) for k in range(folds.max() + 1)]
    expected = round(np.mean(metrics["best_iterations"]) * len(folds) / np.mean(sizes))
    assert metrics["refit_rounds"] == max(1, expected)
    said = f"test predictions: one more model on all {len(folds)} train rows, {expected} rounds"
    assert said in (refit / "train.log").read_text()

    edit_config(project, {"train": {"test_from": "folds"}})
    ks("train", cwd=project)
    averaged = _last_run(project)
    assert "test_from" not in json.loads((averaged / "metrics.json").read_text())
    # same folds, same CV: only where the test predictions come from differs
    assert json.loads((averaged / "metrics.json").read_text())["cv_mean"] == metrics["cv_mean"]
    # the fold models that saw only the early months pull the mean far below the latest level
    assert _holdout_rmse(refit, answers) < 0.6 * _holdout_rmse(averaged, answers)

    edit_config(project, {"train": {"test_from": "last"}})
    ks("train", cwd=project)
    assert json.loads((_last_run(project) / "metrics.json").read_text())["test_from"] == "last"

    edit_config(project, {"train": {"test_from": "latest"}})
    assert_clean_error(ks("train", cwd=project, check=False), "train.test_from", "refit")


@pytest.mark.slow
def test_a_tuning_trial_never_refits(tmp_path):
    """Tuning scores OOF only: a trial on time folds trains the folds and nothing more."""
    from kstarter.crossval import evaluate, prepare

    folder, _ = _trend_competition(tmp_path)
    from conftest import Runner

    Runner(tmp_path / "home")("init", str(folder), "--dir", "p", "--metric", "rmse", cwd=tmp_path)
    project = tmp_path / "p"
    edit_config(project, {"cv": {"time": "month"}, "model": {"threads": 1}})
    prep = prepare(load_project(project), refold=True)
    assert evaluate(prep, {}, 0, refit=False).cv.test_from == "folds"
    assert evaluate(prep, {}, 0).cv.test_from == "refit"


def test_test_from_is_checked_where_kstarter_yaml_is_loaded(tmp_path):
    from kstarter.config import _validate

    raw = {"competition": {"name": "c", "source": "c", "task": "regression", "targets": ["y"]}}
    assert _validate(tmp_path, {**raw, "train": {"test_from": "refit"}}).train.test_from == "refit"
    with pytest.raises(ConfigError, match="train.test_from 'mean' is unknown"):
        _validate(tmp_path, {**raw, "train": {"test_from": "mean"}})


@pytest.mark.parametrize("family", ["xgboost", "catboost", "linear"])
def test_every_family_refits_on_time_folds(ks, tmp_path, family):
    """Each family's refit sees the latest months: its test predictions sit at their level
    (about 490 and up), where the folds' mean, pulled down by the early folds, sits near 250."""
    folder, answers = _trend_competition(tmp_path)
    ks("init", str(folder), "--dir", "p", "--metric", "rmse", cwd=tmp_path)
    project = tmp_path / "p"
    edit_config(
        project,
        {"cv": {"time": "month"}, "model": {"threads": 1, "num_boost_round": 300}},
    )
    ks("train", "--refold", "--model", family, cwd=project)
    run = _last_run(project)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test_from"] == "refit"
    assert (metrics["refit_rounds"] > 0) == (family != "linear")
    test = pd.read_csv(run / "submission.csv")["y"]
    assert test.mean() > 450, test.describe()


def test_a_gap_leaves_the_times_before_each_validation_block_out_of_training(tmp_path):
    """cv.gap N: fold k trains only on rows at least N distinct times before its block."""
    from kstarter.config import CVConfig
    from kstarter.folds import Folds, TimeBlockSplit, time_rank

    month = pd.Series(np.repeat(np.arange(30), 4))
    blocks = TimeBlockSplit(4).blocks(month)
    rank = time_rank(month)
    folds = Folds(blocks, True, "h", gap=2, time_rank=rank)
    plain = Folds(blocks, True, "h")
    for (_, tr, va), (_, tr0, va0) in zip(folds.splits(), plain.splits(), strict=True):
        assert (va == va0).all()
        first = month[va].min()
        assert month[tr].max() == first - 3  # two months left out
        assert set(tr) < set(tr0) and month[tr0].max() == first - 1
    with pytest.raises(ConfigError, match="cv.gap 10 leaves fold 1 no earlier rows"):
        list(Folds(blocks, True, "h", gap=10, time_rank=rank).splits())
    # the fingerprint without a gap is the one folds.json always had: old folds stay valid
    assert "gap" not in CVConfig(time="month").fingerprint()
    assert '"gap": 2' in CVConfig(time="month", gap=2).fingerprint()


def test_gap_end_to_end_and_checked(ks, tmp_path):
    folder, _ = _trend_competition(tmp_path)
    ks("init", str(folder), "--dir", "p", "--metric", "rmse", cwd=tmp_path)
    project = tmp_path / "p"
    edit_config(project, {"cv": {"gap": 3}})
    assert_clean_error(ks("train", cwd=project, check=False), "cv.gap", "cv.time")
    edit_config(project, {"cv": {"time": "month", "gap": 3}, "model": {"threads": 1}})
    ks("train", "--refold", cwd=project)
    edit_config(project, {"cv": {"gap": 4}})
    assert_clean_error(ks("train", cwd=project, check=False), "--refold")


def test_auto_on_time_folds_refits_every_member(ks, tmp_path):
    """auto's runs are ordinary runs: on time folds each refits, and its plan counts the
    refit as one fit more per run."""
    folder, answers = _trend_competition(tmp_path)
    ks("init", str(folder), "--dir", "p", "--metric", "rmse", cwd=tmp_path)
    project = tmp_path / "p"
    edit_config(project, {"cv": {"time": "month"}, "model": {"num_boost_round": 300}})
    ks("auto", "--budget", "40", "-q", cwd=project, timeout=240)
    records = [
        json.loads((r / "metrics.json").read_text())
        for r in (project / "runs").iterdir()
        if not r.name.startswith(".")
    ]
    trained = [m for m in records if m["model"] != "blend"]
    assert len(trained) >= 2
    assert all(m.get("test_from") == "refit" for m in trained), [
        (m["model"], m.get("test_from")) for m in trained
    ]
