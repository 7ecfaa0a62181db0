"""XGBoost, a :class:`~kstarter.models.Model`: histogram trees with XGBoost's own categorical
splits on the prepared matrices' category columns.

Parameters: ``configs/xgboost.yaml`` (common, then the task's section), then the metric
table's LightGBM objective and eval metric in XGBoost's names (the same file's
``objectives:`` and ``eval_metrics:``), then the seed and threads, then the user's keys that
the file names (:class:`~kstarter.models._tables.FamilyTable`). Each fold trains with early
stopping on its own validation rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Self

from kstarter.errors import ConfigError
from kstarter.models._base import (
    FitTimer,
    FoldData,
    FoldOutput,
    Model,
    ModelSetup,
    Predictor,
    check_deadline,
    from_log1p,
    stack_targets,
)
from kstarter.models._tables import FamilyTable
from kstarter.models._threads import resolve_threads

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import pandas as pd
    import xgboost as xgb

    from kstarter.metrics import Metric

__all__ = ["XGBoostModel"]

# XGBoost's native names where the scikit-learn API names differ
# (https://xgboost.readthedocs.io/en/stable/parameter.html)
_NATIVE = frozenset(
    {
        "eta", "lambda", "alpha", "min_split_loss", "seed", "nthread", "num_class",
        "disable_default_eval_metric", "max_cached_hist_node", "refresh_leaf", "process_type",
        "updater", "tweedie_variance_power", "huber_slope", "quantile_alpha",
        "aft_loss_distribution", "lambdarank_pair_method", "num_boost_round",
    }
)  # fmt: skip


@dataclass(frozen=True)
class XGBoostModel(Model):
    """XGBoost on one DMatrix of all train rows, made once per process; each fold trains on
    ``slice``s of it with the fold's labels."""

    name: ClassVar[str] = "xgboost"
    takes_weights: ClassVar[bool] = True
    metric: Metric
    params: dict[str, Any]
    threads: int
    num_boost_round: int
    early_stopping_rounds: int
    deadline: float | None = None  # time.monotonic(); see ModelSetup.deadline
    fit_seconds: float | None = None  # see ModelSetup.fit_seconds

    @classmethod
    def known_params(cls) -> frozenset[str]:
        """The scikit-learn API's names, the native names of its learning parameters, and
        what configs/xgboost.yaml names."""
        import xgboost as xgb

        return frozenset(xgb.XGBModel().get_params()) | _NATIVE | FamilyTable(cls.name).own_keys()

    @classmethod
    def create(cls, setup: ModelSetup) -> Self:
        """configs/xgboost.yaml (common + task) <- the metric's objective <- seed and threads
        <- the user's keys that the file names."""
        table = FamilyTable(cls.name)
        params = table.defaults(setup.spec.task)
        params.update(table.own_overrides(setup.overrides))
        objective, eval_metric = table.translate(setup)
        params.update({"objective": objective, "eval_metric": eval_metric})
        if objective.startswith("multi:"):
            params["num_class"] = setup.spec.n_classes
        threads = resolve_threads(setup.config.threads, *setup.shape, family=cls.name)
        params.update({"seed": setup.seed, "nthread": threads, **table.fixed()})
        return cls(
            setup.metric,
            params,
            threads,
            setup.config.num_boost_round,
            setup.config.early_stopping_rounds,
            setup.deadline,
            setup.fit_seconds,
        )

    def with_rounds(self, rounds: int) -> Self:
        return replace(self, num_boost_round=rounds, early_stopping_rounds=rounds + 1)

    def fit_fold(self, data: FoldData) -> FoldOutput:
        if data.y.ndim == 1:
            return self._fit_one(data, data.y)
        return stack_targets([self._fit_one(data, data.y[:, j]) for j in range(data.y.shape[1])])

    def _matrices(self, data: FoldData) -> tuple[xgb.DMatrix, xgb.DMatrix]:
        """The DMatrix of all train rows (no label: each fold sets its own) and the test
        rows' one, made once per process."""
        import xgboost as xgb

        cache = data.matrices.cache
        for part, X in (("train", data.matrices.X_train), ("test", data.matrices.X_test)):
            if ("xgboost", part) not in cache:
                cache["xgboost", part] = xgb.DMatrix(
                    X, enable_categorical=True, nthread=self.threads
                )
        return cache["xgboost", "train"], cache["xgboost", "test"]

    def _fit_one(self, data: FoldData, y: np.ndarray) -> FoldOutput:
        import numpy as np
        import xgboost as xgb

        check_deadline(self.deadline, self.name)
        label = y
        if self.metric.target_transform == "log1p":
            if (y < 0).any():
                raise ConfigError("RMSLE needs a target >= 0, but train has negative values.")
            label = np.log1p(y)
        full, test = self._matrices(data)
        dtrain, dvalid = full.slice(data.train_idx), full.slice(data.valid_idx)
        dtrain.set_label(label[data.train_idx])
        dvalid.set_label(label[data.valid_idx])
        if data.weight is not None:  # the original rows weighed; validation rows never are
            dtrain.set_weight(data.weight[data.train_idx])
        timer = FitTimer(self.name, self.deadline, self.fit_seconds)
        try:
            booster = xgb.train(
                self.params,
                dtrain,
                num_boost_round=self.num_boost_round,
                evals=[(dvalid, "valid")],
                verbose_eval=False,
                # early stopping first: it records the best round before a time limit stops
                callbacks=[
                    xgb.callback.EarlyStopping(rounds=self.early_stopping_rounds),
                    *([_stop_at(timer)] if timer.active else []),
                ],
            )
        except xgb.core.XGBoostError as err:
            first = str(err).strip().splitlines()[0]
            raise ConfigError(
                f"XGBoost rejected its parameters ({first}). Check the XGBoost keys of "
                "model.params in kstarter.yaml or the --params file against configs/xgboost.yaml."
            ) from err
        rounds = int(booster.best_iteration) + 1
        used = (0, rounds)
        valid_pred = _float64(booster.predict(dvalid, iteration_range=used))
        test_pred = _float64(booster.predict(test, iteration_range=used))
        if self.metric.target_transform == "log1p":
            valid_pred, test_pred = from_log1p(valid_pred), from_log1p(test_pred)
        # total gain, as LightGBM's "gain": the sum over the splits on a feature
        gains = booster[:rounds].get_score(importance_type="total_gain")  # name -> float here
        columns = data.matrices.X_train.columns
        importance = {str(c): float(gains.get(str(c), 0.0)) for c in columns}  # type: ignore[arg-type]
        log1p = self.metric.target_transform == "log1p"
        fitted = (
            (XGBoostPredictor(bytes(booster.save_raw("ubj")), rounds, log1p, self.threads),)
            if data.keep_fitted
            else ()
        )
        del booster, dtrain, dvalid
        return FoldOutput(valid_pred, test_pred, rounds, importance, timer.stopped, fitted)


@dataclass(frozen=True)
class XGBoostPredictor(Predictor):
    """A fold's booster as XGBoost's UBJSON, predicting with its first ``rounds`` rounds."""

    format: ClassVar[str] = "xgboost-ubj"
    model: bytes
    rounds: int
    log1p: bool = False
    threads: int = 1

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        import xgboost as xgb

        booster = xgb.Booster(model_file=bytearray(self.model))
        data = xgb.DMatrix(X, enable_categorical=True, nthread=self.threads)
        pred = _float64(booster.predict(data, iteration_range=(0, self.rounds)))
        return from_log1p(pred, self.log1p)

    def save(self, folder: Path, stem: str) -> dict[str, Any]:
        (folder / f"{stem}.ubj").write_bytes(self.model)
        return {
            "format": self.format, "file": f"{stem}.ubj", "rounds": self.rounds,
            "log1p": self.log1p, "threads": self.threads,
        }  # fmt: skip

    @classmethod
    def load(cls, folder: Path, entry: dict[str, Any]) -> Predictor:
        model = (folder / entry["file"]).read_bytes()
        return cls(model, int(entry["rounds"]), bool(entry["log1p"]), int(entry["threads"]))


def _stop_at(timer: FitTimer) -> xgb.callback.TrainingCallback:
    """An XGBoost callback: :class:`~kstarter.models.OutOfTime` after the first boosting round
    that ends past the deadline; training stops (keeping the best round so far, which early
    stopping records) once the fit has trained ``fit_seconds``."""
    import xgboost as xgb

    class StopAt(xgb.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            return timer.stop()

    return StopAt()


def _float64(pred: np.ndarray) -> np.ndarray:
    """XGBoost predicts float32: as float64, class probabilities summing to 1 again."""
    import numpy as np

    out = np.asarray(pred, dtype=np.float64)
    if out.ndim == 2:  # multi:softprob
        out = out / out.sum(axis=1, keepdims=True)
    return out
