"""``--target`` and ``--id`` that name the wrong column are refused before anything is written:
a near miss gets "did you mean", a test column given as the target (an input, which would
write one thing under the sample's header and still "match") names the column the sample
predicts, and so does a train-only column that is not what the sample predicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import Runner, assert_clean_error, make_zip
from kaggle_shaped import comp, float_target, listing, titanic

from kstarter.config import load_project


def test_a_near_miss_gets_did_you_mean(ks: Runner, tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "titanic.zip", titanic())
    proc = ks("init", str(archive), "--target", "survivd", cwd=tmp_path, check=False)
    assert_clean_error(proc, "--target 'survivd'", "did you mean 'Survived'?")
    proc = ks("init", str(archive), "--id", "PassengrId", cwd=tmp_path, check=False)
    assert_clean_error(proc, "--id 'PassengrId'", "did you mean 'PassengerId'?")
    assert listing(tmp_path) == ["titanic.zip"]


def test_a_test_column_is_not_a_target(ks: Runner, tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "titanic.zip", titanic())
    proc = ks("init", str(archive), "--target", "Age", cwd=tmp_path, check=False)
    assert_clean_error(proc, "'Age' is a column of test", "--target Survived")
    assert listing(tmp_path) == ["titanic.zip"]


def _two_train_only() -> dict[str, str]:
    """Train-only `y` (what the sample predicts) and `y_raw` (another answer-like column)."""

    def targets(latent: np.ndarray, rng: np.random.Generator) -> dict[str, list]:
        return float_target(latent, rng) | {"y_raw": np.round(latent, 4).tolist()}

    def sample(ids: list[int]) -> dict[str, list]:
        return {"id": ids, "y": [0.0] * len(ids)}

    return comp(targets, sample)


def test_a_target_the_sample_does_not_predict_is_refused(ks: Runner, tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "comp.zip", _two_train_only())
    proc = ks("init", str(archive), "--target", "y_raw", cwd=tmp_path, check=False)
    assert_clean_error(proc, "'y_raw' is not what the sample", "--target y")
    assert listing(tmp_path) == ["comp.zip"]
    # the right one, named or guessed, still works
    ks("init", str(archive), "--target", "y", "--dir", "named", cwd=tmp_path)
    assert load_project(tmp_path / "named").spec.targets == ("y",)
