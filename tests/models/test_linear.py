"""`kstarter train --model linear`: a scikit-learn baseline on the same folds and run record."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import Runner, assert_clean_error

from kstarter.config import load_project
from kstarter.metrics import get_metric
from kstarter.models import FoldData, Model, ModelSetup, get_model
from kstarter.prepare import Matrices
from kstarter.project import init_project
from kstarter.spec import Spec
from kstarter.train import TrainOptions, train

# a sane CV for a linear baseline on each practice competition (LightGBM's is close to these)
SANE = {
    "adult-income": ("auc", lambda s: s > 0.88),
    "abalone-rings": ("rmsle", lambda s: s < 0.2),
    "penguins-species": ("mlogloss", lambda s: s < 0.15),
    "digit-recognizer": ("accuracy", lambda s: s > 0.93),
    "heart-disease": ("accuracy", lambda s: s > 0.75),
    "breast-cancer": ("mcc", lambda s: s > 0.85),
    "diabetes-progression": ("mae", lambda s: s < 50),
}


@pytest.mark.parametrize("name", list(SANE))
def test_linear_trains_every_practice_competition(ks: Runner, tmp_path: Path, name: str) -> None:
    project = init_project(f"practice/{name}", tmp_path / name).path
    if name == "adult-income":  # the command, once; the library for the others
        proc = ks("train", "--model", "linear", cwd=project)
        assert proc.stdout.startswith("Run ") and "-linear: CV auc" in proc.stdout
    else:
        train(project, TrainOptions(model="linear"))
    (run,) = [d for d in (project / "runs").iterdir()]
    assert run.name.endswith("-linear")
    m = json.loads((run / "metrics.json").read_text())
    metric, sane = SANE[name]
    assert m["model"] == "linear" and m["metric"] == metric
    assert sane(m["cv_mean"]) and sane(m["oof_score"]), (m["cv_mean"], m["oof_score"])
    assert len(m["fold_scores"]) == 5 and m["folds_hash"]
    importance = pd.read_csv(run / "importance.csv")
    spec = load_project(project).spec
    features = [c for c in pd.read_csv(project / "data" / "test.csv").columns if c != spec.id]
    assert sorted(importance["feature"]) == sorted(features)  # one row per input column
    assert (importance["importance_mean"] >= 0).all()
    oof = pd.read_csv(run / "oof.csv")
    assert not oof.filter(like="pred").isna().any().any()


# ---------------------------------------------------------------- the adapter, fold by fold


def _matrices() -> tuple[Matrices, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 240
    x = rng.normal(size=n)
    x[::17] = np.nan  # gaps: median-imputed, with a missing indicator
    colour = pd.Categorical(rng.choice(["red", "green", "blue"], n), categories=["blue", "green",
                            "red", "violet"])  # fmt: skip
    colour[::23] = np.nan
    X = pd.DataFrame({"x": x, "flag": rng.random(n) < 0.3, "colour": colour,
                      "big": rng.normal(1e6, 1e5, n)})  # fmt: skip
    y = (np.nan_to_num(x) + (X["colour"] == "red") + rng.normal(0, 0.5, n) > 0.5).astype(int)
    test = X.iloc[:40].copy()
    test["colour"] = pd.Categorical(["violet"] * 40, categories=X["colour"].cat.categories)
    return Matrices(X, test.reset_index(drop=True), {c: c for c in X.columns}), np.asarray(y)


def _model(task: str, metric: str, classes: tuple[int, ...] = (0, 1)) -> Model:
    spec = Spec("synthetic", "synthetic", task=task, classes=classes, metric=metric)
    return get_model("linear").create(ModelSetup(spec, get_metric(metric), (240, 4)))


def test_binary_probabilities_and_importance_per_input_column() -> None:
    matrices, y = _matrices()
    tr, va = np.arange(0, 200), np.arange(200, 240)
    out = _model("binary", "auc").fit_fold(FoldData(matrices, y, tr, va))
    assert out.valid_pred.shape == (40,) and out.test_pred.shape == (40,)
    assert ((out.valid_pred >= 0) & (out.valid_pred <= 1)).all()
    assert np.isfinite(out.test_pred).all()  # an unseen category is ignored, not an error
    assert set(out.importance) == {"x", "flag", "colour", "big"}
    assert out.importance["x"] > out.importance["big"]  # x drives the target, big is noise


def test_the_pipeline_is_fitted_on_the_fold_training_rows_only() -> None:
    """Changing the validation rows of train changes nothing the model learned."""
    matrices, y = _matrices()
    tr, va = np.arange(0, 200), np.arange(200, 240)
    adapter = _model("binary", "auc")
    first = adapter.fit_fold(FoldData(matrices, y, tr, va))
    X = matrices.X_train.copy()
    X.loc[va, "x"] = 1e9  # would move a scaler or a median fitted on all rows
    X.loc[va, "big"] = -1e9
    X.loc[va, "colour"] = "blue"
    other = Matrices(X, matrices.X_test, matrices.names)
    second = adapter.fit_fold(FoldData(other, y, tr, va))
    np.testing.assert_array_equal(first.test_pred, second.test_pred)
    assert first.importance == second.importance


def test_multiclass_gives_every_class_a_column_even_when_a_fold_lacks_one() -> None:
    matrices, _ = _matrices()
    y = np.arange(240) % 3
    tr = np.flatnonzero(y != 2)[:150]  # class 2 never in this fold's training rows
    va = np.arange(200, 240)
    out = _model("multiclass", "mlogloss", (0, 1, 2)).fit_fold(FoldData(matrices, y, tr, va))
    assert out.valid_pred.shape == (40, 3) and out.test_pred.shape == (40, 3)
    np.testing.assert_allclose(out.valid_pred.sum(axis=1), 1.0)
    assert (out.valid_pred[:, 2] == 0).all()


def test_regression_respects_the_log1p_target_of_rmsle() -> None:
    matrices, _ = _matrices()
    rng = np.random.default_rng(1)
    y = np.exp(rng.normal(2, 1, 240))  # skewed, positive
    tr, va = np.arange(0, 200), np.arange(200, 240)
    out = _model("regression", "rmsle", ()).fit_fold(FoldData(matrices, y, tr, va))
    assert out.valid_pred.shape == (40,) and (out.valid_pred >= 0).all()
    assert np.median(out.valid_pred) == pytest.approx(np.exp(2), rel=0.5)  # back on y's scale


def test_parameters_come_from_configs_and_a_params_file(ks: Runner, tmp_path: Path) -> None:
    project = init_project("practice/diabetes-progression", tmp_path / "d").path
    strong = tmp_path / "strong.yaml"
    strong.write_text("alpha: 1000.0\nnum_leaves: 7\n")  # LightGBM keys are ignored
    default = train(project, TrainOptions(model="linear")).metrics
    shrunk = train(project, TrainOptions(model="linear", params=str(strong))).metrics
    assert shrunk.oof_score > default.oof_score  # a much stronger ridge fits worse
    bad = tmp_path / "bad.yaml"
    bad.write_text("alpha: -1\n")
    proc = ks("train", "--model", "linear", "--params", str(bad), cwd=project, check=False)
    assert_clean_error(proc, "alpha", "> 0")


def test_unknown_model_names_the_models(ks: Runner, tmp_path: Path) -> None:
    project = init_project("practice/diabetes-progression", tmp_path / "d").path
    proc = ks("train", "--model", "tabpfn", cwd=project, check=False)
    assert_clean_error(proc, "tabpfn", "lightgbm, linear")
    assert not Path(project / "runs").exists() or not any((project / "runs").iterdir())
