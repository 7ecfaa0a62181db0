"""`kstarter check`: planted problems are found, with their numbers; clean data gets nothing.

Each planted problem is a practice competition (or a small generated one) with one thing
changed: a leaked column, a shifted test column, test rows copied from train, a train file
sorted by the target, users whose rows share a target, dates where test follows train, a rare
class. The practice competitions themselves are the clean data.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_clean_error

from kstarter.checks import BRIEF, run_check
from kstarter.sources import answer_key, list_practice

PRACTICE = [p.name for p in list_practice()]


@pytest.fixture(scope="module")
def abalone(tmp_path_factory) -> Path:
    """One practice project to copy and plant problems into."""
    from kstarter.project import init_project

    root = tmp_path_factory.mktemp("abalone")
    return init_project("practice/abalone-rings", root / "abalone-rings").path


def _planted(abalone: Path, tmp_path: Path, plant) -> Path:
    project = Path(shutil.copytree(abalone, tmp_path / "planted"))
    train = pd.read_csv(project / "data" / "train.csv")
    test = pd.read_csv(project / "data" / "test.csv")
    train, test = plant(train, test, np.random.default_rng(1))
    train.to_csv(project / "data" / "train.csv", index=False)
    test.to_csv(project / "data" / "test.csv", index=False)
    return project


def _check(ks, project: Path) -> dict:
    proc = ks("check", "--json", cwd=project)
    assert proc.stderr == ""
    return json.loads(proc.stdout)


def _only(report: dict, check: str) -> dict:
    found = [f for f in report["findings"] if f["check"] == check]
    assert len(found) == 1, report["findings"]
    others = [f["check"] for f in report["findings"] if f["check"] != check]
    assert others == [], others  # the planted problem, and nothing else
    return found[0]


# ---------------------------------------------------------------- clean data


@pytest.mark.slow  # the drift check trains LightGBM on every practice competition
@pytest.mark.parametrize("name", PRACTICE)
def test_practice_competitions_are_clean(tmp_path, name):
    from kstarter.project import init_project, summary_lines

    result = init_project(f"practice/{name}", tmp_path / name)
    # init ends with the brief check: one line, nothing alarming
    lines = [ln for ln in summary_lines(result) if ln.startswith("  check")]
    assert len(lines) == 1 and "nothing alarming" in lines[0], lines
    assert result.check.findings == () and result.check_error is None
    # below BRIEF.max_rows the brief check already saw every row; else run the full one
    report = run_check(tmp_path / name) if result.check.sampled else result.check
    assert report.findings == () and report.skipped == ()
    assert report.adversarial_auc < 0.6 and not report.sampled
    assert report.folds.startswith("the cv: settings")
    assert not (tmp_path / name / "folds.csv").exists()  # a check writes nothing


def test_init_prints_the_brief_check(ks, tmp_path):
    proc = ks("init", "practice/adult-income", cwd=tmp_path)
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[-3].startswith("  check      nothing alarming: train and test look alike")
    report = run_check(tmp_path / "adult-income", BRIEF)  # what init ran: a sample
    assert report.sampled and report.train_rows == BRIEF.max_rows
    assert report.findings == ()


# ---------------------------------------------------------------- planted problems


def test_finds_a_leaked_column(ks, abalone, tmp_path):
    key = answer_key("abalone-rings").set_index("id")["rings"]

    def plant(train, test, rng):
        train["lab_rings"] = train["rings"] + rng.normal(0, 0.5, len(train))
        test["lab_rings"] = test["id"].map(key) + rng.normal(0, 0.5, len(test))
        return train, test

    project = _planted(abalone, tmp_path, plant)
    f = _only(_check(ks, project), "leak_feature")
    assert f["severity"] == "warning" and f["columns"] == ["lab_rings"]
    assert f["numbers"]["skill"] > 0.9 and "R^2" in f["title"]
    assert "competition.drop" in f["action"]
    text = ks("check", cwd=project).stdout.splitlines()
    assert text[2] == f"[warning] {f['title']}"
    assert text[3] == f"  What it means: {f['meaning']}"
    assert text[4] == f"  What to do: {f['action']}"


def test_finds_a_function_of_the_target(ks, abalone, tmp_path):
    def plant(train, test, rng):
        train["age_band"] = (train["rings"] >= 10).astype(int)  # a bucketing of the target
        test["age_band"] = rng.integers(0, 2, len(test))
        return train, test

    report = _check(ks, _planted(abalone, tmp_path, plant))
    leaks = [f for f in report["findings"] if f["check"] == "leak_feature"]
    assert [f["columns"] for f in leaks] == [["age_band"]], report["findings"]
    assert "almost a function of the target" in leaks[0]["title"]


def test_finds_a_shifted_test_set(ks, abalone, tmp_path):
    def plant(train, test, rng):
        test["length"] = test["length"] + train["length"].std()
        return train, test

    f = _only(_check(ks, _planted(abalone, tmp_path, plant)), "drift")
    assert f["severity"] == "warning" and f["numbers"]["auc"] > 0.9
    assert f["columns"][0] == "length"
    assert "median" in f["title"] and "AUC" in f["title"]


def test_finds_test_rows_copied_from_train(ks, abalone, tmp_path):
    """Repeated records: 60 train rows recorded twice in train (with their target), 150 train
    rows copied into test. The twins in train are the evidence that a copy's target is known."""

    def plant(train, test, rng):
        features = [c for c in test.columns if c != "id"]
        picked = rng.choice(len(train), 150, replace=False)
        test.loc[:149, features] = train.loc[picked, features].to_numpy()
        again = train.loc[picked[:60]].assign(id=train["id"].max() + 1 + np.arange(60))
        return pd.concat([train, again], ignore_index=True), test

    f = _only(_check(ks, _planted(abalone, tmp_path, plant)), "duplicates")
    assert f["numbers"]["test_copies"] == 150
    assert f["numbers"]["twin_skill"] == 1.0 and f["numbers"]["twin_groups"] == 60
    assert f["title"].startswith("150 test rows (14.4%)")


def test_finds_a_row_order_that_predicts_the_target(ks, abalone, tmp_path):
    def plant(train, test, rng):
        train = train.sort_values("rings", kind="stable").reset_index(drop=True)
        train["id"] = np.arange(len(train))
        return train, test

    f = _only(_check(ks, _planted(abalone, tmp_path, plant)), "row_order")
    assert f["severity"] == "warning" and f["columns"] == ["id"]
    assert f["numbers"]["skill"] > 0.9 and f["numbers"]["null_mean"] < 0.05
    assert "cv.time" in f["action"]


def _write_comp(folder: Path, train: pd.DataFrame, test: pd.DataFrame, target: str, fill) -> Path:
    folder.mkdir()
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    pd.DataFrame({"id": test["id"], target: fill}).to_csv(
        folder / "sample_submission.csv", index=False
    )
    return folder


def test_finds_a_group_column_and_suggests_cv_groups(ks, tmp_path):
    rng = np.random.default_rng(3)
    users = rng.choice(np.arange(10_000, 100_000), 260, replace=False)
    rows = [
        (u, rng.normal(), rng.normal(), int(rng.random() < p))
        for u, p in zip(users, rng.choice([0.1, 0.9], 260), strict=True)
        for _ in range(6)
    ]  # each user's rows share a click rate: the user id memorises the target
    df = pd.DataFrame(rows, columns=["user_id", "x1", "x2", "clicked"]).sample(
        frac=1, random_state=0
    )
    new = df["user_id"].isin(users[200:])  # test: users train never saw
    train, test = df[~new].reset_index(drop=True), df[new].reset_index(drop=True)
    train.insert(0, "id", np.arange(len(train)))
    test.insert(0, "id", np.arange(len(train), len(train) + len(test)))
    src = _write_comp(tmp_path / "clicks", train, test.drop(columns="clicked"), "clicked", 0.5)
    proc = ks("init", str(src), "--dir", "project", "--metric", "auc", cwd=tmp_path)
    assert "check: [warning] Column 'user_id' looks like a group" in proc.stdout
    f = _only(_check(ks, tmp_path / "project"), "groups")
    assert f["columns"] == ["user_id"] and "cv.groups: user_id" in f["action"]
    assert f["numbers"]["test_unseen_share"] == 1.0
    assert f["numbers"]["skill_random_folds"] > 0.5 > abs(f["numbers"]["skill_group_folds"])
    # following the advice (group folds, user_id no feature), nothing is left to report
    config = tmp_path / "project" / "kstarter.yaml"
    text = config.read_text().replace("groups: null", "groups: user_id", 1)
    config.write_text(text.replace("drop: []", 'drop: ["user_id"]', 1))
    assert _check(ks, tmp_path / "project")["findings"] == []


def test_finds_test_after_train_in_time(ks, tmp_path):
    rng = np.random.default_rng(4)
    n = 900
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 456, n)), "D")
    x = rng.normal(size=n)
    df = pd.DataFrame({"id": np.arange(n), "date": days.strftime("%Y-%m-%d"), "x": x.round(4),
                       "sales": (10 + 2 * x + rng.normal(size=n)).round(3)})  # fmt: skip
    train, test = df.iloc[:700], df.iloc[700:].drop(columns="sales")
    src = _write_comp(tmp_path / "sales", train, test, "sales", 0.0)
    ks("init", str(src), "--dir", "project", cwd=tmp_path)
    f = _only(_check(ks, tmp_path / "project"), "time")
    assert f["columns"] == ["date"] and "cv.time: date" in f["action"]
    assert "2021-03" in f["title"] and f["numbers"]["test_later_share"] >= 0.9


def test_finds_class_imbalance_and_explains_the_metric(ks, tmp_path):
    ks("init", "practice/adult-income", cwd=tmp_path)
    project = tmp_path / "adult-income"
    path = project / "data" / "train.csv"
    train = pd.read_csv(path)
    rng = np.random.default_rng(0)
    keep = np.r_[
        rng.choice(train.index[train["income_over_50k"] == 0], 5000, replace=False),
        rng.choice(train.index[train["income_over_50k"] == 1], 100, replace=False),
    ]
    train.loc[np.sort(keep)].to_csv(path, index=False)  # 100 positives in 5100 rows, anywhere
    f = _only(_check(ks, project), "imbalance")
    assert f["severity"] == "info" and f["numbers"]["rare_share"] < 0.02
    assert "AUC" in f["meaning"] and "not moved by the class" in f["meaning"]
    cfg = project / "kstarter.yaml"
    cfg.write_text(cfg.read_text().replace("metric: auc", "metric: accuracy"))
    f = _only(_check(ks, project), "imbalance")
    assert "always predicting the largest class already scores 0.98" in f["meaning"]


def test_check_outside_a_project_is_a_clean_error(ks, tmp_path):
    assert_clean_error(ks("check", cwd=tmp_path, check=False), "kstarter.yaml")
