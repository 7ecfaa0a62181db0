"""Folds: stratified, grouped and time-ordered splits, saved once and guarded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kstarter.config import CVConfig, Project, load_project
from kstarter.errors import ConfigError, TrainError
from kstarter.folds import load_or_make_folds, make_assignment
from kstarter.project import init_project


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("folds")
    return init_project("practice/heart-disease", root / "heart").path


def _with_cv(project_dir: Path, **cv: Any) -> Project:
    project = load_project(project_dir)
    return type(project)(**{**project.__dict__, "cv": CVConfig(**{**project.cv.__dict__, **cv})})


def _frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user": rng.integers(0, 60, n),
            "day": pd.date_range("2024-01-01", periods=n, freq="h").astype(str),
            "x": rng.normal(size=n),
        }
    )


def test_stratified_folds_keep_class_shares(project_dir: Path) -> None:
    project = load_project(project_dir)
    y = np.array([0] * 450 + [1] * 150)
    assignment, time_ordered = make_assignment(project, _frame(), y)
    assert not time_ordered and sorted(set(assignment)) == [0, 1, 2, 3, 4]
    for k in range(5):
        share = y[assignment == k].mean()
        assert share == pytest.approx(0.25, abs=0.01)


def test_grouped_folds_never_split_a_group(project_dir: Path) -> None:
    project = _with_cv(project_dir, groups="user")
    frame = _frame()
    y = (frame["x"] > 0).astype(int).to_numpy()
    assignment, _ = make_assignment(project, frame, y)
    per_group = pd.Series(assignment).groupby(frame["user"]).nunique()
    assert (per_group == 1).all()
    assert sorted(set(assignment)) == [0, 1, 2, 3, 4]


def test_time_folds_train_only_on_the_past(project_dir: Path) -> None:
    project = _with_cv(project_dir, time="day")
    frame = _frame().sample(frac=1, random_state=1).reset_index(drop=True)  # rows out of order
    y = (frame["x"] > 0).astype(int).to_numpy()
    folds = load_or_make_folds(project, frame, y, refold=True)
    assert folds.time_ordered
    times = pd.to_datetime(frame["day"])
    seen = 0
    for _, train, valid in folds.splits():
        assert times.iloc[train].max() < times.iloc[valid].min()
        seen += len(valid)
    assert seen == (folds.assignment >= 0).sum() and (folds.assignment == -1).any()


def test_unknown_group_column_is_named(project_dir: Path) -> None:
    project = _with_cv(project_dir, groups="nope")
    with pytest.raises(ConfigError, match="'nope'"):
        make_assignment(project, _frame(), np.zeros(600, dtype=int))


def test_too_few_rows_of_a_class(project_dir: Path) -> None:
    project = load_project(project_dir)
    y = np.array([0] * 597 + [1] * 3)
    with pytest.raises(TrainError, match="rarest class has only 3"):
        make_assignment(project, _frame(), y)


def test_saved_folds_are_reused_and_guarded(project_dir: Path) -> None:
    project = _with_cv(project_dir, seed=1)
    frame = _frame()
    y = (frame["x"] > 0).astype(int).to_numpy()
    first = load_or_make_folds(project, frame, y, refold=True)
    again = load_or_make_folds(project, frame, y)
    assert first.hash == again.hash and (first.assignment == again.assignment).all()
    with pytest.raises(ConfigError, match="--refold"):
        load_or_make_folds(_with_cv(project_dir, seed=2), frame, y)
    with pytest.raises(ConfigError, match="rows"):
        load_or_make_folds(project, frame.iloc[:500], y[:500])


def test_same_seed_same_folds_in_another_project(project_dir: Path, tmp_path: Path) -> None:
    frame = _frame()
    y = (frame["x"] > 0).astype(int).to_numpy()
    project = _with_cv(project_dir, seed=3)
    elsewhere = type(project)(**{**project.__dict__, "root": tmp_path})
    first = load_or_make_folds(project, frame, y, refold=True)
    second = load_or_make_folds(elsewhere, frame, y)
    assert (tmp_path / "folds.csv").read_bytes() == (project_dir / "folds.csv").read_bytes()
    assert first.hash == second.hash
    other_seed = make_assignment(_with_cv(project_dir, seed=4), frame, y)[0]
    assert (other_seed != first.assignment).any()


def test_folds_are_made_once_and_then_only_read(project_dir: Path) -> None:
    project = _with_cv(project_dir, seed=5)
    frame = _frame()
    y = (frame["x"] > 0).astype(int).to_numpy()
    first = load_or_make_folds(project, frame, y, refold=True)
    path = project_dir / "folds.csv"
    written = (path.read_bytes(), path.stat().st_mtime_ns)
    # another target (features.py changed it, say) does not move a row to another fold
    again = load_or_make_folds(project, frame, 1 - y)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == written
    assert (again.assignment == first.assignment).all() and again.hash == first.hash
    assert list(pd.read_csv(path)["row"]) == list(range(len(frame)))
