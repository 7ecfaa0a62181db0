"""Model adapters: one fold in, predictions out. One fold's model is alive at a time.

Contract of an adapter (``fit_fold``): train on the fold's training rows with early stopping
on the fold's own validation rows, and return raw predictions for the validation rows and the
test rows on the scale the metric's decision expects: P(class 1) for binary, an (n, k)
probability matrix for multiclass, a value for regression (back-transformed), a continuous
class index for a ``rounding`` decision, and (n, t) for multitarget.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from kstarter.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np

    from kstarter.metrics import Metric
    from kstarter.prepare import Matrices
    from kstarter.spec import Spec

__all__ = [
    "FoldOutput",
    "FoldData",
    "ModelSettings",
    "Adapter",
    "get_adapter",
    "lightgbm_params",
    "DATASET_PARAMS",
    "physical_cores",
    "resolve_threads",
    "stack_targets",
]

# LightGBM's OpenMP threads spin while they wait. On a shared machine, with anything else
# running, spinning threads made a small fit 50x slower here; passive ones stayed within 1.5x.
# Read by libgomp when lightgbm loads it, so it is set before any lightgbm import.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Below this many cells (rows x features) one thread is as fast as several: with passive
# threads, waking them at every split costs as much as the histogram work they share. Measured
# on 2 cores with 100 features: one thread 7.9 s vs two 10.8 s at 20k rows, 17.8 vs 18.8 s at
# 50k, 42 vs 37-43 s at 200k (bench/RESULTS.md, "Threads").
SMALL_CELLS = 10_000_000

# Parameters that shape LightGBM's binned Dataset: a Dataset is reused across folds (and
# tuning trials) only while these are the same.
DATASET_PARAMS = frozenset(
    {
        "max_bin", "max_bin_by_feature", "min_data_in_bin", "bin_construct_sample_cnt",
        "data_random_seed", "seed", "random_seed", "random_state", "feature_pre_filter",
        "is_enable_sparse", "enable_bundle", "use_missing", "zero_as_missing",
        "categorical_feature", "forcedbins_filename", "linear_tree", "max_cat_threshold",
        "verbosity", "verbose",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ModelSettings:
    params: dict[str, Any]  # fully resolved model parameters
    num_boost_round: int
    early_stopping_rounds: int


@dataclass
class FoldOutput:
    valid_pred: np.ndarray
    test_pred: np.ndarray
    best_iteration: int
    importance: dict[str, float]  # gain per feature (summed over targets)


@dataclass(frozen=True)
class FoldData:
    """One fold: the full matrices (with their per-process cache), targets and row indices."""

    matrices: Matrices
    y: np.ndarray
    train_idx: np.ndarray
    valid_idx: np.ndarray


class Adapter(Protocol):
    name: str

    def fit_fold(
        self, data: FoldData, settings: ModelSettings, callbacks: list | None = None
    ) -> FoldOutput: ...


def stack_targets(outs: list[FoldOutput]) -> FoldOutput:
    """One fold of a multitarget task: each target's model output as a column, importance
    summed over the targets, the mean best iteration."""
    import numpy as np

    importance: dict[str, float] = {}
    for o in outs:
        for k, v in o.importance.items():
            importance[k] = importance.get(k, 0.0) + v
    return FoldOutput(
        np.column_stack([o.valid_pred for o in outs]),
        np.column_stack([o.test_pred for o in outs]),
        int(round(float(np.mean([o.best_iteration for o in outs])))),
        importance,
    )


def physical_cores() -> int:
    from joblib import cpu_count

    return max(1, int(cpu_count(only_physical_cores=True)))


def resolve_threads(requested: int, rows: int, features: int, workers: int = 1) -> int:
    """LightGBM threads, chosen on purpose: the user's number, else one for small tables,
    else the physical cores split between the processes that train at once."""
    if requested > 0:
        return requested
    if rows * max(1, features) < SMALL_CELLS:
        return 1
    return max(1, physical_cores() // max(1, workers))


def lightgbm_params(
    spec: Spec, metric: Metric, overrides: dict[str, Any], seed: int, threads: int
) -> dict[str, Any]:
    """configs/lightgbm.yaml (common + task) <- the metric's objective <- the user's params."""
    from kstarter.resources import load_config_yaml

    table = load_config_yaml("lightgbm.yaml")
    params: dict[str, Any] = {**table.get("common", {}), **(table.get(spec.task) or {})}
    params.update(metric.lightgbm_params(spec.task))
    if spec.task == "multiclass" and params.get("objective") in ("multiclass", "multiclassova"):
        params["num_class"] = spec.n_classes
    params.update({"seed": seed, "num_threads": threads})
    params.update(overrides)
    return params


@dataclass(frozen=True)
class LightGBMAdapter:
    """LightGBM on one binned Dataset of all train rows, made once per process and per set of
    dataset parameters; each fold trains on ``subset``s of it. Binning once instead of per
    fold is most of what makes kstarter faster than a hand-written loop."""

    metric: Metric
    name: str = "lightgbm"

    def fit_fold(self, data: FoldData, settings: ModelSettings, callbacks=None) -> FoldOutput:

        if data.y.ndim == 1:
            return self._fit_one(data, data.y, 0, settings, callbacks)
        return stack_targets(
            [
                self._fit_one(data, data.y[:, j], j, settings, callbacks)
                for j in range(data.y.shape[1])
            ]
        )

    def _full_dataset(self, data: FoldData, y: np.ndarray, j: int, params: dict):
        import numpy as np

        shape = {k: v for k, v in params.items() if k in DATASET_PARAMS}
        key = ("lightgbm", j, self.metric.target_transform, tuple(sorted(shape.items())))
        cache = data.matrices.cache
        if key not in cache:
            for old in [k for k in cache if k[:2] == ("lightgbm", j)]:
                del cache[old]  # one binned copy per target is enough
            label = y
            if self.metric.target_transform == "log1p":
                if (y < 0).any():
                    raise ConfigError("RMSLE needs a target >= 0, but train has negative values.")
                label = np.log1p(y)
            cache[key] = _binned(data.matrices, label, shape, key)
        return cache[key]

    def _fit_one(self, data, y, j, settings, callbacks) -> FoldOutput:
        import lightgbm as lgb
        import numpy as np

        full = self._full_dataset(data, y, j, settings.params)
        dtrain = full.subset(data.train_idx)
        dvalid = full.subset(data.valid_idx)
        booster = lgb.train(
            settings.params,
            dtrain,
            num_boost_round=settings.num_boost_round,
            valid_sets=[dvalid],
            valid_names=["valid"],
            callbacks=[
                lgb.early_stopping(settings.early_stopping_rounds, verbose=False),
                lgb.log_evaluation(0),
                *(callbacks or []),
            ],
        )
        best = booster.best_iteration or booster.current_iteration()
        X_valid = data.matrices.X_train.iloc[data.valid_idx]
        valid_pred = booster.predict(X_valid, num_iteration=best)
        test_pred = booster.predict(data.matrices.X_test, num_iteration=best)
        if self.metric.target_transform == "log1p":
            valid_pred = np.clip(np.expm1(valid_pred), 0, None)
            test_pred = np.clip(np.expm1(test_pred), 0, None)
        gains = booster.feature_importance(importance_type="gain", iteration=best)
        importance = dict(zip(booster.feature_name(), map(float, gains), strict=True))
        del booster, dtrain, dvalid
        return FoldOutput(valid_pred, test_pred, int(best), importance)


def _binned(matrices: Matrices, label: np.ndarray, shape: dict, key: tuple) -> Any:
    """The binned Dataset of all train rows: read from the project's cache entry when a
    previous run saved it with the same dataset parameters, else built and saved there."""
    import hashlib
    import json

    import lightgbm as lgb

    if matrices.store is None:
        full = lgb.Dataset(matrices.X_train, label=label, params=shape, free_raw_data=True)
        return full.construct()
    stem = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
    path, meta = matrices.store / f"lgb-{stem}.bin", matrices.store / f"lgb-{stem}.json"
    if path.exists() and meta.exists():
        full = lgb.Dataset(str(path), params=shape, free_raw_data=True).construct()
        full.pandas_categorical = json.loads(meta.read_text())  # as building from pandas sets it
        return full
    full = lgb.Dataset(matrices.X_train, label=label, params=shape, free_raw_data=True)
    full.construct()
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        full.save_binary(str(tmp))
        meta.write_text(json.dumps(full.pandas_categorical))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return full


def get_adapter(name: str, metric: Metric) -> Adapter:
    if name == "lightgbm":
        return LightGBMAdapter(metric)
    if name == "linear":
        from kstarter.models._linear import LinearAdapter

        return LinearAdapter(metric)
    raise ConfigError(f"Unknown model {name!r}: the models are lightgbm, linear.")
