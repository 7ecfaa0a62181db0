"""A deadline (``ModelSetup.deadline``, a ``time.monotonic()`` value) for every registered
family: one already past raises :class:`~kstarter.models.OutOfTime` before any work, one that
passes during boosting stops it within a round, and one far away changes no prediction.
Through :mod:`kstarter.crossval`, the cross-validation stops with it. Small synthetic data."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from kstarter.config import ModelConfig
from kstarter.crossval import cross_validate
from kstarter.errors import ConfigError
from kstarter.folds import Folds
from kstarter.metrics import get_metric
from kstarter.models import (
    MODELS,
    ExtraTreesModel,
    FoldData,
    KNNModel,
    LinearModel,
    Model,
    ModelSetup,
    OutOfTime,
    RandomForestModel,
)
from kstarter.prepare import Matrices
from kstarter.spec import Spec

FAMILIES = list(MODELS)
FORESTS = [RandomForestModel.name, ExtraTreesModel.name]  # trees grown in chunks
BOOSTED = [  # boosting rounds
    name
    for name, family in MODELS.items()
    if family not in (LinearModel, KNNModel) and name not in FORESTS
]
# A forest's few rounds: enough trees for these checks, seconds per family.
FEW = {name: {"n_estimators": 30} for name in FORESTS}
CASES = {"binary": ("binary", "auc"), "multiclass": ("multiclass", "mlogloss"),
         "mcrmse": ("multitarget", "mcrmse")}  # fmt: skip


def _problem(
    case: str, n: int = 400, config: ModelConfig | None = None
) -> tuple[ModelSetup, FoldData]:
    task, metric = CASES.get(case, ("regression", "rmse"))
    rng = np.random.default_rng(1)

    def frame(m: int) -> pd.DataFrame:
        colour = pd.Categorical(rng.choice(["a", "b", "c"], m), categories=["a", "b", "c"])
        return pd.DataFrame({"x": rng.normal(size=m), "z": rng.normal(size=m), "colour": colour})

    X = frame(n)
    signal = X["x"].to_numpy() + (X["colour"] == "a").to_numpy() + rng.normal(0, 0.5, n)
    y: np.ndarray
    if case == "binary":
        y = (signal > 0.5).astype(int)
    elif case == "multiclass":
        y = np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3]))
    elif case == "mcrmse":
        y = np.column_stack([signal, X["z"].to_numpy()])
    else:
        y = 3 * signal
    classes = tuple(range(int(y.max()) + 1)) if task in ("binary", "multiclass") else ()
    spec = Spec("synthetic", "synthetic", task=task, classes=classes, metric=metric)
    config = config or ModelConfig(num_boost_round=60, early_stopping_rounds=10, threads=1)
    setup = ModelSetup(spec, get_metric(metric), X.shape, config, seed=5)
    matrices = Matrices(X, frame(80), {c: c for c in X.columns})
    cut = n * 4 // 5
    return setup, FoldData(matrices, y, np.arange(cut), np.arange(cut, n))


def test_out_of_time_is_no_user_error() -> None:
    assert issubclass(OutOfTime, Exception) and not issubclass(OutOfTime, ConfigError)
    assert ModelSetup.__dataclass_fields__["deadline"].default is None


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("case", ["binary", "mcrmse"])
def test_a_past_deadline_raises_before_any_work(name: str, case: str) -> None:
    setup, data = _problem(case)
    setup = replace(setup, overrides=FEW.get(name, {}))
    model = MODELS[name].create(replace(setup, deadline=time.monotonic() - 1))
    cpu = time.process_time()
    with pytest.raises(OutOfTime, match=f"{name} stopped"):
        model.fit_fold(data)
    assert time.process_time() - cpu < 0.5  # CPU time: a busy machine stretches the wall's
    assert not data.matrices.cache  # nothing was built: no binned Dataset, DMatrix or frames


@pytest.mark.parametrize("name", BOOSTED)
def test_a_deadline_that_passes_stops_the_boosting_within_a_round(name: str) -> None:
    # no early stopping and 10^6 rounds: minutes of boosting without the deadline
    endless = ModelConfig(num_boost_round=1_000_000, early_stopping_rounds=1_000_000, threads=1)
    setup, data = _problem("regression", n=3000, config=endless)
    model = MODELS[name].create(replace(setup, deadline=time.monotonic() + 1.0))
    start, cpu = time.monotonic(), time.process_time()
    with pytest.raises(OutOfTime):
        model.fit_fold(data)
    took, worked = time.monotonic() - start, time.process_time() - cpu
    # a round on 2,400 rows is milliseconds: stopped soon after the deadline, measured in the
    # process's CPU time, which a busy machine does not stretch as it stretches the wall's
    assert took > 0.9 and worked < 6.0, (took, worked)


@pytest.mark.parametrize("name", FORESTS)
def test_a_deadline_that_passes_stops_the_forest_within_a_chunk_of_trees(name: str) -> None:
    setup, data = _problem("regression", n=3000)
    endless = replace(setup, overrides={"n_estimators": 1_000_000})  # hours of trees
    model = MODELS[name].create(replace(endless, deadline=time.monotonic() + 1.0))
    start, cpu = time.monotonic(), time.process_time()
    with pytest.raises(OutOfTime):
        model.fit_fold(data)
    took, worked = time.monotonic() - start, time.process_time() - cpu
    # a chunk of trees takes about a second of wall, and less CPU on a busy machine
    assert took > 0.9 and worked < 6.0, (took, worked)


def test_a_deadline_that_passes_stops_knn_between_chunks_of_predicted_rows() -> None:
    setup, data = _problem("regression", n=3000)
    test = pd.concat([data.matrices.X_test] * 10_000, ignore_index=True)
    many = Matrices(data.matrices.X_train, test, data.matrices.names)
    model = KNNModel.create(replace(setup, deadline=time.monotonic() + 1.0))
    start, cpu = time.monotonic(), time.process_time()
    with pytest.raises(OutOfTime):  # 800,000 test rows: ~10 s of neighbour search
        model.fit_fold(replace(data, matrices=many))
    took, worked = time.monotonic() - start, time.process_time() - cpu
    assert took > 0.9 and worked < 6.0, (took, worked)  # CPU time: see the boosting test


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("case", ["binary", "multiclass", "regression", "mcrmse"])
def test_a_far_deadline_changes_nothing(name: str, case: str) -> None:
    setup, data = _problem(case)
    setup = replace(setup, overrides=FEW.get(name, {}))
    family: type[Model] = MODELS[name]
    free = family.create(setup)
    timed = family.create(replace(setup, deadline=time.monotonic() + 3600))
    assert timed.params == free.params  # a deadline is not a parameter: runs record the same
    a = free.fit_fold(data)
    b = timed.fit_fold(replace(data, matrices=Matrices(
        data.matrices.X_train, data.matrices.X_test, data.matrices.names)))  # fmt: skip
    np.testing.assert_array_equal(a.valid_pred, b.valid_pred)
    np.testing.assert_array_equal(a.test_pred, b.test_pred)
    assert (a.best_iteration, a.importance) == (b.best_iteration, b.importance)


@pytest.mark.parametrize("name", ["lightgbm", "linear"])
def test_cross_validation_stops_at_the_fold_the_deadline_passes_in(name: str) -> None:
    setup, data = _problem("binary", n=500)
    folds = Folds(np.arange(500) % 5, False, "")
    seen: list[int] = []
    models = [MODELS[name].create(replace(setup, seed=s)) for s in (5, 6)]  # --seeds 2

    def on_fold(k: int, out: object, va: np.ndarray) -> None:
        seen.append(k)
        if k == 1:  # the deadline passes while the third fold is about to train
            object.__setattr__(models[0], "deadline", time.monotonic() - 1)

    with pytest.raises(OutOfTime):
        cross_validate(data.matrices, data.y, folds, models, on_fold)
    assert seen == [0, 1]  # no fold after the deadline reached the caller
