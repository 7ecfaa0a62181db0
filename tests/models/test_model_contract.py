"""The :class:`~kstarter.models.Model` contract, run against every registered family (as optuna
runs one StorageTestCase against every storage): a family added to ``kstarter.models.MODELS``
is held to all of this without a line more. Tiny synthetic data, a few rounds: seconds."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from kstarter.config import ModelConfig
from kstarter.metrics import get_metric
from kstarter.models import (
    MODELS,
    FoldData,
    FoldOutput,
    LightGBMModel,
    Model,
    ModelSetup,
    load_fold_models,
    predict_folds,
    save_fold_models,
)
from kstarter.prepare import Matrices
from kstarter.spec import Spec

N_TRAIN, N_VALID, N_TEST = 240, 60, 50
CONFIG = ModelConfig(num_boost_round=40, early_stopping_rounds=5, threads=0)

# name -> (task, metric): every task, a log1p metric, a rounding decision
CASES = {
    "binary": ("binary", "auc"),
    "multiclass": ("multiclass", "mlogloss"),
    "regression": ("regression", "rmse"),
    "rmsle": ("regression", "rmsle"),
    "qwk": ("multiclass", "qwk"),
    "mcauc": ("multitarget", "mcauc"),
    "mcrmse": ("multitarget", "mcrmse"),
}
# Parameter names only LightGBM uses (XGBoost and CatBoost spell these differently): none may
# reach another family's parameters.
LIGHTGBM_ONLY = (
    "num_leaves", "min_child_samples", "feature_fraction", "bagging_fraction", "bagging_freq",
    "lambda_l2", "force_row_wise", "feature_pre_filter", "num_threads",
)  # fmt: skip


# A forest's "few rounds": trees enough for these checks, seconds per family.
FEW = {"random_forest": {"n_estimators": 30}, "extra_trees": {"n_estimators": 30}}


def _frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x = rng.normal(size=n)
    x[::17] = np.nan  # gaps
    colour = pd.Categorical(
        rng.choice(["red", "green", "blue"], n), categories=["blue", "green", "red"]
    )
    return pd.DataFrame(
        {"x": x, "z": rng.normal(size=n), "flag": rng.random(n) < 0.3, "colour": colour}
    )


def _target(case: str, X: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    signal = np.nan_to_num(X["x"].to_numpy()) + (X["colour"] == "red").to_numpy()
    signal = signal + rng.normal(0, 0.3, len(X))
    z = X["z"].to_numpy()
    if case == "binary":
        return (signal > 0.5).astype(int)
    if case in ("multiclass", "qwk"):
        k = 3 if case == "multiclass" else 4
        return np.digitize(signal, np.quantile(signal, np.arange(1, k) / k))
    if case == "regression":
        return 3 * signal + 10
    if case == "rmsle":
        return np.exp(1 + signal)  # skewed, positive
    if case == "mcauc":
        return np.column_stack([signal > 0.5, z > 0]).astype(int)
    return np.column_stack([2 * signal, z + rng.normal(0, 0.1, len(X))])  # mcrmse


def _problem(case: str, family: type[Model] | None = None) -> tuple[ModelSetup, FoldData]:
    task, metric = CASES[case]
    rng = np.random.default_rng(0)
    X = _frame(rng, N_TRAIN + N_VALID)
    y = _target(case, X, rng)
    classes = tuple(range(int(y.max()) + 1)) if task in ("binary", "multiclass") else ()
    spec = Spec("synthetic", "synthetic", task=task, classes=classes, metric=metric)
    matrices = Matrices(X, _frame(rng, N_TEST), {c: c for c in X.columns})
    train, valid = np.arange(N_TRAIN), np.arange(N_TRAIN, N_TRAIN + N_VALID)
    few = FEW.get(family.name, {}) if family is not None else {}
    setup = ModelSetup(spec, get_metric(metric), X.shape, CONFIG, overrides=few, seed=7)
    return setup, FoldData(matrices, y, train, valid)


def _fresh(data: FoldData) -> FoldData:
    """The same fold on new matrices: nothing a previous fit cached."""
    m = data.matrices
    return replace(data, matrices=Matrices(m.X_train, m.X_test, m.names))


@pytest.fixture(params=list(MODELS))
def family(request: pytest.FixtureRequest) -> type[Model]:
    return MODELS[request.param]


@pytest.mark.parametrize("case", list(CASES))
def test_predictions_are_on_the_scale_the_metric_decision_expects(
    family: type[Model], case: str
) -> None:
    setup, data = _problem(case, family)
    out = family.create(setup).fit_fold(data)
    assert isinstance(out, FoldOutput)
    y_va = data.y[data.valid_idx]
    for pred, n in ((out.valid_pred, N_VALID), (out.test_pred, N_TEST)):
        assert np.isfinite(pred).all()
        if case in ("binary", "qwk", "regression", "rmsle"):
            assert pred.shape == (n,)
        elif case == "multiclass":
            assert pred.shape == (n, 3)
            np.testing.assert_allclose(pred.sum(axis=1), 1.0)
        else:
            assert pred.shape == (n, 2)
        if case in ("binary", "multiclass", "mcauc"):
            assert ((pred >= 0) & (pred <= 1)).all()
    valid = out.valid_pred
    if case == "rmsle":  # back on y's own scale, not log1p's
        assert (valid >= 0).all()
        assert np.median(valid) == pytest.approx(np.median(y_va), rel=0.5)
    if case == "qwk":  # a continuous class index, ordered like the classes
        assert not np.isin(valid, np.arange(4)).all()
        assert np.corrcoef(valid, y_va)[0, 1] > 0.5
    if case == "regression":
        assert np.corrcoef(valid, y_va)[0, 1] > 0.5
    assert out.best_iteration >= 0


@pytest.mark.parametrize("case", ["binary", "multiclass", "mcrmse"])
def test_importance_is_per_feature(family: type[Model], case: str) -> None:
    setup, data = _problem(case, family)
    importance = family.create(setup).fit_fold(data).importance
    assert set(importance) <= set(data.matrices.X_train.columns)
    assert all(isinstance(v, float) and v >= 0 for v in importance.values())
    if importance:  # a family that reports importance sees the signal
        assert importance["x"] > importance["z"] or case == "mcrmse"


@pytest.mark.parametrize("case", list(CASES))
def test_the_same_setup_predicts_the_same_bit_for_bit(family: type[Model], case: str) -> None:
    setup, data = _problem(case, family)
    first = family.create(setup).fit_fold(data)
    again = family.create(setup).fit_fold(data)  # whatever the first fit cached, reused
    fresh = family.create(setup).fit_fold(_fresh(data))
    for other in (again, fresh):
        np.testing.assert_array_equal(first.valid_pred, other.valid_pred)
        np.testing.assert_array_equal(first.test_pred, other.test_pred)
        assert first.importance == other.importance


@pytest.mark.parametrize("case", ["binary", "multiclass", "regression", "mcauc"])
def test_params_are_recordable_and_threads_are_a_count(family: type[Model], case: str) -> None:
    setup, _ = _problem(case, family)
    model = family.create(setup)
    assert model.name in MODELS and MODELS[model.name] is family
    assert json.loads(json.dumps(model.params)) == model.params  # metrics.json holds them
    assert isinstance(model.threads, int) and model.threads >= 1
    assert family.create(setup).params == model.params  # resolving is deterministic


def test_the_user_overrides_win_for_the_family_own_keys(family: type[Model]) -> None:
    setup, _ = _problem("binary", family)
    defaults = family.create(setup).params
    key, value = next(
        (k, v)
        for k, v in defaults.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and v > 0
        and "seed" not in k and "thread" not in k
    )  # fmt: skip
    changed = value + 1 if isinstance(value, int) else value / 2
    params = family.create(replace(setup, overrides={**setup.overrides, key: changed})).params
    assert params[key] == changed
    assert {k: v for k, v in params.items() if k != key} == {
        k: v for k, v in defaults.items() if k != key
    }


# LightGBM's configurations (lightgbm, lightgbm-xt) all build LightGBM parameters
OTHER_FAMILIES = [m for m in MODELS.values() if not issubclass(m, LightGBMModel)]


@pytest.mark.parametrize("family", OTHER_FAMILIES, ids=[m.name for m in OTHER_FAMILIES])
@pytest.mark.parametrize("case", ["binary", "multiclass", "regression", "mcauc"])
def test_a_non_lightgbm_model_builds_no_lightgbm_parameters(family: type[Model], case: str) -> None:
    setup, _ = _problem(case, family)
    own = family.create(setup).params
    assert not set(own) & set(LIGHTGBM_ONLY)
    # a tuned LightGBM parameter file given to another family leaves its parameters alone
    lightgbm = LightGBMModel.create(setup).params
    given = family.create(replace(setup, overrides={**lightgbm, **setup.overrides})).params
    assert set(given) == set(own) and not set(given) & set(LIGHTGBM_ONLY)


@pytest.mark.parametrize("case", list(CASES))
def test_the_saved_fold_model_predicts_the_test_rows_as_the_fit_did(
    family: type[Model], case: str, tmp_path
) -> None:
    setup, data = _problem(case, family)
    out = family.create(setup).fit_fold(data)
    assert len(out.fitted) == 1
    save_fold_models(tmp_path, family.name, [out.fitted])
    saved = load_fold_models(tmp_path)
    assert saved.family == family.name and len(saved.folds) == 1
    # through files in the library's own format, on a copy of the test rows: the same numbers
    np.testing.assert_array_equal(predict_folds(saved, data.matrices.X_test.copy()), out.test_pred)


@pytest.mark.parametrize("case", list(CASES))
def test_the_saved_fold_model_predicts_the_folds_rows_as_the_fit_did(
    family: type[Model], case: str, tmp_path
) -> None:
    """The OOF predictions are the fold model's own: LightGBM takes them from the scores early
    stopping watched instead of predicting the rows again, and they must be the same numbers."""
    setup, data = _problem(case, family)
    out = family.create(setup).fit_fold(data)
    save_fold_models(tmp_path, family.name, [out.fitted])
    saved = load_fold_models(tmp_path)
    X_valid = data.matrices.X_train.iloc[data.valid_idx].copy()
    np.testing.assert_array_equal(predict_folds(saved, X_valid), out.valid_pred)


@pytest.mark.parametrize("case", ["binary", "rmsle", "mcauc"])
def test_a_fit_that_keeps_no_model_predicts_the_same(family: type[Model], case: str) -> None:
    """Tuning trials and unsaved runs skip serialising the fold's model (LightGBM's model text
    costs about 94 ms a 1000-round fold): the boosted families build none, every family
    predicts the same numbers."""
    setup, data = _problem(case, family)
    kept = family.create(setup).fit_fold(data)
    bare = family.create(setup).fit_fold(replace(data, keep_fitted=False))
    np.testing.assert_array_equal(bare.valid_pred, kept.valid_pred)
    np.testing.assert_array_equal(bare.test_pred, kept.test_pred)
    if family.name in ("lightgbm", "xgboost", "catboost"):
        assert bare.fitted == ()


@pytest.mark.parametrize("case", ["binary", "rmsle"])
def test_a_round_hook_hears_every_round_and_changes_nothing(family: type[Model], case: str) -> None:
    """The live progress line hears of each boosting round (or chunk of trees) through
    rounds_reported_to; the fit predicts the same numbers as without it."""
    from kstarter.models import rounds_reported_to

    setup, data = _problem(case, family)
    bare = family.create(setup).fit_fold(data)
    heard: list[int] = []
    with rounds_reported_to(heard.append):
        observed = family.create(setup).fit_fold(data)
    np.testing.assert_array_equal(observed.valid_pred, bare.valid_pred)
    np.testing.assert_array_equal(observed.test_pred, bare.test_pred)
    assert observed.best_iteration == bare.best_iteration
    if family.has_rounds:
        # each round once, in order; LightGBM's early stopping ends the fit at the round cap
        # before later callbacks hear that last round
        assert heard == list(range(1, len(heard) + 1))
        assert len(heard) >= bare.best_iteration - 1


WEIGHED = [m for m in MODELS.values() if m.takes_weights]


@pytest.mark.parametrize("family", WEIGHED, ids=[m.name for m in WEIGHED])
@pytest.mark.parametrize("case", ["binary", "regression"])
def test_row_weights_pull_the_predictions_toward_the_heavy_rows(
    family: type[Model], case: str
) -> None:
    """original.weight reaches the fit: rows weighed 5 (here the positive or high ones) pull
    every prediction their way; weights of 1 change nothing."""
    setup, data = _problem(case, family)
    y = data.y.astype(float)
    heavy = np.where(y > np.median(y), 5.0, 1.0)
    heavy[data.valid_idx] = 1.0  # as crossval: the validated rows are never weighed
    plain = family.create(setup).fit_fold(data)
    ones = family.create(setup).fit_fold(replace(_fresh(data), weight=np.ones(len(y))))
    weighed = family.create(setup).fit_fold(replace(_fresh(data), weight=heavy))
    np.testing.assert_allclose(ones.valid_pred, plain.valid_pred, rtol=1e-9, atol=1e-12)
    margin = 0.05 * float(np.std(plain.valid_pred))
    assert weighed.valid_pred.mean() > plain.valid_pred.mean() + margin
    assert weighed.test_pred.mean() > plain.test_pred.mean() + margin


def test_a_family_without_row_weights_says_so() -> None:
    """k-NN and the forests take none (a full-depth forest's one-row leaves would ignore
    them): crossval refuses original.weight for them (see the e2e test)."""
    assert not any(MODELS[name].takes_weights for name in ("knn", "extra_trees", "random_forest"))
    assert {"lightgbm", "xgboost", "catboost", "linear"} <= {m.name for m in WEIGHED}
