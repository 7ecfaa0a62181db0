"""``ModelSetup.fit_seconds``, the soft time limit per fit: a boosting family that reaches it
stops adding rounds, keeps the model so far at its best round on the validation rows, and says
so (``FoldOutput.stopped_by_time``); a limit that is not reached changes no prediction; a family
with one closed-form fit (linear) ignores it. Through ``train_prepared`` the run records the
limit and how many folds it stopped, and a run without one records neither."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from kstarter.config import ModelConfig
from kstarter.metrics import get_metric
from kstarter.models import MODELS, FoldData, LinearModel, ModelSetup
from kstarter.prepare import Matrices
from kstarter.spec import Spec

BOOSTED = [name for name, family in MODELS.items() if family.has_rounds]  # boosting
CASES = {"binary": ("binary", "auc"), "multiclass": ("multiclass", "mlogloss"),
         "regression": ("regression", "rmse")}  # fmt: skip


def _problem(case: str, n: int = 600) -> tuple[ModelSetup, FoldData]:
    """Data that keeps improving for many rounds at a tiny learning rate: early stopping never
    ends the fit before the round cap, so only a time limit can."""
    task, metric = CASES[case]
    rng = np.random.default_rng(3)

    def frame(m: int) -> pd.DataFrame:
        colour = pd.Categorical(rng.choice(["a", "b", "c"], m), categories=["a", "b", "c"])
        return pd.DataFrame({"x": rng.normal(size=m), "z": rng.normal(size=m), "colour": colour})

    X = frame(n)
    signal = X["x"].to_numpy() + (X["colour"] == "a").to_numpy() + 0.3 * rng.normal(size=n)
    if case == "binary":
        y = (signal > 0.5).astype(int)
    elif case == "multiclass":
        y = np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3]))
    else:
        y = 3 * signal
    classes = tuple(range(int(y.max()) + 1)) if task != "regression" else ()
    spec = Spec("synthetic", "synthetic", task=task, classes=classes, metric=metric)
    config = ModelConfig(num_boost_round=100_000, early_stopping_rounds=100_000, threads=1)
    overrides = {"learning_rate": 0.001}
    setup = ModelSetup(spec, get_metric(metric), X.shape, config, overrides, seed=5)
    matrices = Matrices(X, frame(100), {c: c for c in X.columns})
    cut = n * 4 // 5
    return setup, FoldData(matrices, y, np.arange(cut), np.arange(cut, n))


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("family", BOOSTED)
def test_a_fit_stops_at_its_time_limit_and_keeps_its_model(family: str, case: str) -> None:
    setup, data = _problem(case)
    model = MODELS[family].create(replace(setup, fit_seconds=0.5))
    cpu = time.process_time()
    out = model.fit_fold(data)
    worked = time.process_time() - cpu
    assert out.stopped_by_time
    # 100,000 rounds would take minutes of CPU: the fit ended at its limit (plus predictions)
    assert worked < 0.5 + 10, worked
    assert 1 <= out.best_iteration < 100_000
    n_valid, n_test = len(data.valid_idx), len(data.matrices.X_test)
    assert out.valid_pred.shape[0] == n_valid and out.test_pred.shape[0] == n_test
    assert np.isfinite(out.valid_pred).all() and np.isfinite(out.test_pred).all()
    if case == "multiclass":
        np.testing.assert_allclose(out.test_pred.sum(axis=1), 1.0, rtol=1e-6)
    # the kept model learned something: better than a constant on the validation rows
    y_va = data.y[data.valid_idx]
    if case == "regression":
        assert np.mean((out.valid_pred - y_va) ** 2) < np.var(y_va)


@pytest.mark.parametrize("family", BOOSTED)
def test_a_limit_stops_after_the_first_round_it_passes(family: str) -> None:
    setup, data = _problem("binary")
    out = MODELS[family].create(replace(setup, fit_seconds=1e-9)).fit_fold(data)
    assert out.stopped_by_time and out.best_iteration == 1


@pytest.mark.parametrize("family", list(MODELS))
def test_a_limit_not_reached_changes_nothing(family: str) -> None:
    setup, data = _problem("binary", n=300)
    setup = replace(setup, config=replace(setup.config, num_boost_round=40))
    plain = MODELS[family].create(setup).fit_fold(data)
    limited = MODELS[family].create(replace(setup, fit_seconds=1e6)).fit_fold(data)
    assert not plain.stopped_by_time and not limited.stopped_by_time
    np.testing.assert_array_equal(plain.valid_pred, limited.valid_pred)
    np.testing.assert_array_equal(plain.test_pred, limited.test_pred)
    assert plain.best_iteration == limited.best_iteration


def test_linear_has_no_rounds_to_stop() -> None:
    setup, data = _problem("binary", n=300)
    out = LinearModel.create(replace(setup, fit_seconds=1e-9)).fit_fold(data)
    assert not out.stopped_by_time


@pytest.mark.slow
def test_the_run_records_its_limit_and_the_folds_it_stopped(tmp_path) -> None:
    from kstarter.config import load_project
    from kstarter.crossval import prepare
    from kstarter.project import init_project
    from kstarter.train import TrainOptions, train_prepared

    root = init_project("practice/heart-disease", tmp_path / "p").path
    prep = prepare(load_project(root))
    endless = replace(prep.project.model, num_boost_round=100_000, early_stopping_rounds=100_000)
    prep = replace(prep, project=replace(prep.project, model=endless))
    slow = {"learning_rate": 0.0001}
    limited = train_prepared(prep, slow, TrainOptions(fit_seconds=0.05))
    plain = train_prepared(prep, {}, TrainOptions())
    n_folds = prep.folds.n_splits
    assert limited.metrics.fit_seconds == 0.05 and limited.metrics.stopped_by_time == n_folds
    on_disk = json.loads((limited.path / "metrics.json").read_text())
    assert on_disk["fit_seconds"] == 0.05 and on_disk["stopped_by_time"] == n_folds
    plain_disk = json.loads((plain.path / "metrics.json").read_text())
    assert "fit_seconds" not in plain_disk and "stopped_by_time" not in plain_disk
    assert (limited.path / "train.log").read_text().count("best iteration") == n_folds
