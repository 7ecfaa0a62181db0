"""Model adapters: one fold in, predictions out. One fold's model is alive at a time.

Contract of an adapter (``fit_fold``): train on the fold's training rows with early stopping
on the fold's own validation rows, and return raw predictions for the validation rows and the
test rows on the scale the metric's decision expects: P(class 1) for binary, an (n, k)
probability matrix for multiclass, a value for regression (back-transformed), a continuous
class index for a ``rounding`` decision, and (n, t) for multitarget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from kstarter.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.metrics import Metric
    from kstarter.spec import Spec

__all__ = ["FoldOutput", "ModelSettings", "Adapter", "get_adapter", "lightgbm_params"]


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


class Adapter(Protocol):
    name: str

    def fit_fold(
        self,
        X_tr: pd.DataFrame,
        y_tr: np.ndarray,
        X_va: pd.DataFrame,
        y_va: np.ndarray,
        X_test: pd.DataFrame,
        settings: ModelSettings,
        callbacks: list | None = None,
    ) -> FoldOutput: ...


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
    metric: Metric
    name: str = "lightgbm"

    def fit_fold(self, X_tr, y_tr, X_va, y_va, X_test, settings, callbacks=None) -> FoldOutput:
        import numpy as np

        if y_tr.ndim == 2:  # multitarget: one model per target, on the same rows
            outs = [
                self._fit_one(X_tr, y_tr[:, j], X_va, y_va[:, j], X_test, settings, callbacks)
                for j in range(y_tr.shape[1])
            ]
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
        return self._fit_one(X_tr, y_tr, X_va, y_va, X_test, settings, callbacks)

    def _fit_one(self, X_tr, y_tr, X_va, y_va, X_test, settings, callbacks) -> FoldOutput:
        import lightgbm as lgb
        import numpy as np

        log1p = self.metric.target_transform == "log1p"
        if log1p and (np.asarray(y_tr) < 0).any():
            raise ConfigError("RMSLE needs a target >= 0, but train has negative values.")
        fy = np.log1p if log1p else (lambda a: a)
        dtrain = lgb.Dataset(X_tr, label=fy(y_tr), free_raw_data=True)
        dvalid = lgb.Dataset(X_va, label=fy(y_va), reference=dtrain, free_raw_data=True)
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
        valid_pred = booster.predict(X_va, num_iteration=best)
        test_pred = booster.predict(X_test, num_iteration=best)
        if log1p:
            valid_pred = np.clip(np.expm1(valid_pred), 0, None)
            test_pred = np.clip(np.expm1(test_pred), 0, None)
        gains = booster.feature_importance(importance_type="gain", iteration=best)
        importance = dict(zip(booster.feature_name(), map(float, gains), strict=True))
        del booster, dtrain, dvalid
        return FoldOutput(valid_pred, test_pred, int(best), importance)


def get_adapter(name: str, metric: Metric) -> Adapter:
    if name == "lightgbm":
        return LightGBMAdapter(metric)
    raise ConfigError(f"Unknown model {name!r}: the models are lightgbm.")
