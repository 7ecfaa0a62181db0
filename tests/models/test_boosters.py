"""XGBoost and CatBoost beyond the contract suite: every metric's objective translates into
each family's names and trains, early stopping stops on a fold, categoricals are used natively,
CatBoost writes no files, and a LightGBM parameter file does not reach them. Tiny synthetic
data: seconds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kstarter.cli import cli
from kstarter.config import ModelConfig
from kstarter.errors import ConfigError
from kstarter.metrics import list_metrics
from kstarter.models import MODELS, FoldData, LightGBMModel, ModelSetup
from kstarter.models._catboost import CatBoostModel
from kstarter.models._xgboost import XGBoostModel
from kstarter.prepare import Matrices
from kstarter.spec import Spec

BOOSTERS = [XGBoostModel, CatBoostModel]
FEW = ModelConfig(num_boost_round=5, early_stopping_rounds=5, threads=1)
MANY = ModelConfig(num_boost_round=400, early_stopping_rounds=10, threads=1)
N = 300


def _matrices(rng: np.random.Generator, n: int = N) -> Matrices:
    def frame(m: int) -> pd.DataFrame:
        levels = list("abcdefgh")
        code = pd.Categorical(rng.choice(levels, m), categories=levels)
        code[::11] = np.nan  # a missing level
        return pd.DataFrame({"x": rng.normal(size=m), "z": rng.normal(size=m), "code": code})

    X = frame(n)
    return Matrices(X, frame(50), {c: c for c in X.columns})


def _setup(
    task: str, metric: str, config: ModelConfig, overrides: dict[str, object] | None = None
) -> ModelSetup:
    from kstarter.metrics import get_metric

    classes = {"binary": (0, 1), "multiclass": (0, 1, 2)}.get(task, ())
    spec = Spec("synthetic", "synthetic", task=task, classes=classes, metric=metric)
    return ModelSetup(spec, get_metric(metric), (N, 3), config, dict(overrides or {}), seed=3)


def _fold(matrices: Matrices, y: np.ndarray) -> FoldData:
    n = len(matrices.X_train)
    return FoldData(matrices, y, np.arange(n - 60), np.arange(n - 60, n))


def _target(task: str, needs: str, X: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    signal = X["x"].to_numpy() + X["code"].isin(["a", "c", "e", "g"]).to_numpy()
    if task == "binary":
        return (signal > 0.5).astype(int)
    if task == "multiclass":
        return np.digitize(signal, [0.0, 1.0])
    if task == "regression":
        return np.exp(signal)  # positive, for RMSLE and MAPE
    if needs == "proba":
        return np.column_stack([signal > 0.5, X["z"] > 0]).astype(int)
    return np.column_stack([signal, X["z"].to_numpy()])


PAIRS = [(m.name, task) for m in list_metrics() for task in m.tasks]


@pytest.mark.parametrize("family", BOOSTERS, ids=[f.name for f in BOOSTERS])
@pytest.mark.parametrize(("metric", "task"), PAIRS, ids=[f"{m}-{t}" for m, t in PAIRS])
def test_every_metric_trains_with_an_objective_of_the_family(
    family: type[XGBoostModel] | type[CatBoostModel], metric: str, task: str
) -> None:
    """Every entry of configs/metrics.yaml on every task: its LightGBM pair is translated in
    the family's config file, and the library accepts the names."""
    rng = np.random.default_rng(0)
    matrices = _matrices(rng)
    setup = _setup(task, metric, FEW)
    y = _target(task, setup.metric.needs, matrices.X_train, rng)
    out = family.create(setup).fit_fold(_fold(matrices, y))
    assert np.isfinite(out.valid_pred).all() and np.isfinite(out.test_pred).all()
    assert len(out.valid_pred) == 60 and len(out.test_pred) == 50


@pytest.mark.parametrize("family", BOOSTERS, ids=[f.name for f in BOOSTERS])
def test_early_stopping_stops_on_the_fold_validation_rows(
    family: type[XGBoostModel] | type[CatBoostModel],
) -> None:
    rng = np.random.default_rng(1)
    matrices = _matrices(rng)
    noise = rng.normal(size=N)  # nothing to learn: the validation score stops improving early
    out = family.create(_setup("regression", "rmse", MANY)).fit_fold(_fold(matrices, noise))
    assert 1 <= out.best_iteration < 100
    signal = 3 * matrices.X_train["x"].to_numpy()  # much to learn: it trains on
    out = family.create(_setup("regression", "rmse", MANY)).fit_fold(_fold(matrices, signal))
    assert out.best_iteration > 100


@pytest.mark.parametrize("family", BOOSTERS, ids=[f.name for f in BOOSTERS])
def test_a_categorical_column_is_used_by_its_levels(
    family: type[XGBoostModel] | type[CatBoostModel],
) -> None:
    """The target is set by the level (missing included), in no order of the level codes: a
    family that saw only the codes as numbers would need many splits to find it."""
    rng = np.random.default_rng(2)
    matrices = _matrices(rng, 600)
    code = matrices.X_train["code"]
    y = (code.isin(["b", "c", "f", "h"]) | code.isna()).to_numpy().astype(int)
    setup = _setup("binary", "auc", ModelConfig(num_boost_round=30, threads=1))
    out = family.create(setup).fit_fold(_fold(matrices, y))
    y_va = y[-60:]
    assert out.valid_pred[y_va == 1].min() > out.valid_pred[y_va == 0].max()  # separated
    assert max(out.importance, key=out.importance.__getitem__) == "code"
    if family is XGBoostModel:  # XGBoost's categorical splits, not codes as numbers
        dmatrix = matrices.cache["xgboost", "train"]
        assert dmatrix.feature_types == ["float", "float", "c"]


def test_catboost_writes_no_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(3)
    matrices = _matrices(rng)
    y = _target("binary", "label", matrices.X_train, rng)
    CatBoostModel.create(_setup("binary", "accuracy", FEW)).fit_fold(_fold(matrices, y))
    assert list(tmp_path.iterdir()) == []  # no catboost_info/


@pytest.mark.parametrize("family", BOOSTERS, ids=[f.name for f in BOOSTERS])
def test_lightgbm_and_linear_keys_do_not_reach_the_family(
    family: type[XGBoostModel] | type[CatBoostModel],
) -> None:
    rng = np.random.default_rng(4)
    matrices = _matrices(rng)
    y = _target("binary", "proba", matrices.X_train, rng)
    setup = _setup("binary", "auc", FEW)
    lightgbm = LightGBMModel.create(setup).params  # objective: binary, verbosity: -1, ...
    given = {**lightgbm, "alpha": 1000.0, "C": 0.01, "max_depth": 3, "min_child_samples": 50}
    model = family.create(_setup("binary", "auc", FEW, given))
    own = family.create(setup).params
    assert set(model.params) == set(own)
    changed = {k for k in own if model.params[k] != own[k]}
    assert changed <= {"max_depth", "max_bin", "learning_rate"}  # same names, same meaning
    assert model.params["seed" if family is XGBoostModel else "random_seed"] == 3
    out = model.fit_fold(_fold(matrices, y))
    assert np.isfinite(out.valid_pred).all()


@pytest.mark.parametrize(
    ("family", "bad"),
    [(XGBoostModel, {"max_depth": -3}), (CatBoostModel, {"depth": 40})],
    ids=["xgboost", "catboost"],
)
def test_a_bad_value_of_the_family_own_key_is_a_config_error(
    family: type[XGBoostModel] | type[CatBoostModel], bad: dict[str, object]
) -> None:
    rng = np.random.default_rng(5)
    matrices = _matrices(rng)
    y = _target("binary", "proba", matrices.X_train, rng)
    with pytest.raises(ConfigError, match=f"configs/{family.name}.yaml"):
        family.create(_setup("binary", "auc", FEW, bad)).fit_fold(_fold(matrices, y))


def test_train_help_names_every_model_family() -> None:
    result = CliRunner().invoke(cli, ["train", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for name in MODELS:
        assert name in text


@pytest.mark.parametrize("boosting, predicts", [("gbdt", 1), ("rf", 2)])
def test_lightgbm_predicts_the_fold_rows_only_when_it_must(boosting, predicts, monkeypatch):
    """The fold's validation predictions come from the scores early stopping watched (one
    predict call a fold: the test rows); a random forest averages its trees, so it predicts the
    fold's rows again (two calls). Either way they are the fold model's predictions."""
    import lightgbm as lgb

    calls: list[int] = []
    real = lgb.Booster.predict

    def counted(self, data, *args, **kwargs):
        calls.append(len(data))
        return real(self, data, *args, **kwargs)

    monkeypatch.setattr(lgb.Booster, "predict", counted)
    rng = np.random.default_rng(4)
    matrices = _matrices(rng)
    data = _fold(matrices, _target("binary", "proba", matrices.X_train, rng))
    setup = _setup("binary", "auc", MANY, {"boosting": boosting})
    out = LightGBMModel.create(setup).fit_fold(data)
    assert len(calls) == predicts, calls
    monkeypatch.setattr(lgb.Booster, "predict", real)
    (fitted,) = out.fitted
    X_valid = data.matrices.X_train.iloc[data.valid_idx]
    np.testing.assert_array_equal(fitted.predict(X_valid), out.valid_pred)
