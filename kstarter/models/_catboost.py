"""CatBoost, a :class:`~kstarter.models.Model`: symmetric trees with CatBoost's own handling of
categoricals (ordered target statistics) on the prepared matrices' category columns.

Parameters: ``configs/catboost.yaml`` (common, then the task's section), then the metric
table's LightGBM objective and eval metric in CatBoost's names (``loss_function``,
``eval_metric``; the same file's ``objectives:`` and ``eval_metrics:``), then the rounds, seed
and threads, then the user's keys that the file names
(:class:`~kstarter.models._tables.FamilyTable`), then ``fixed:`` (no files written, silent).
Each fold trains with early stopping on its own validation rows and keeps the best iteration.
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

    from kstarter.metrics import Metric
    from kstarter.prepare import Matrices

__all__ = ["CatBoostModel"]

MISSING = "<missing>"  # a missing categorical value is a level of its own


@dataclass(frozen=True)
class CatBoostModel(Model):
    """CatBoost on the prepared matrices: category columns as strings (``cat_features``), the
    others as float64, converted once per process."""

    name: ClassVar[str] = "catboost"
    takes_weights: ClassVar[bool] = True
    importance_name: ClassVar[str] = "prediction values change"
    metric: Metric
    params: dict[str, Any]
    threads: int
    kind: str  # what one model predicts: binary | multiclass | regression
    n_classes: int  # multiclass: the class count, fixed whatever a fold's rows hold; else 0
    deadline: float | None = None  # time.monotonic(); see ModelSetup.deadline
    fit_seconds: float | None = None  # see ModelSetup.fit_seconds

    @classmethod
    def known_params(cls) -> frozenset[str]:
        """The keyword arguments of CatBoost's estimators (its whole parameter list)."""
        import inspect

        import catboost

        names = set(FamilyTable(cls.name).own_keys())
        for estimator in (catboost.CatBoostClassifier, catboost.CatBoostRegressor):
            names |= set(inspect.signature(estimator.__init__).parameters) - {"self", "kwargs"}
        return frozenset(names)

    @classmethod
    def create(cls, setup: ModelSetup) -> Self:
        """configs/catboost.yaml (common + task) <- the metric's loss <- rounds, seed and
        threads <- the user's keys that the file names <- fixed."""
        table = FamilyTable(cls.name)
        params = table.defaults(setup.spec.task)
        params.update(table.own_overrides(setup.overrides))
        loss, eval_metric = table.translate(setup)
        threads = resolve_threads(setup.config.threads, *setup.shape, family=cls.name)
        params.update(
            {
                "loss_function": loss,
                "eval_metric": eval_metric,
                "iterations": setup.config.num_boost_round,
                "od_wait": setup.config.early_stopping_rounds,
                "random_seed": setup.seed,
                "thread_count": threads,
                **table.fixed(),
            }
        )
        kind = setup.metric.target_kind(setup.spec.task)
        if setup.metric.decision_for(setup.spec.task) == "rounding":
            kind = "regression"  # a continuous class index (QWK), as the metric table's loss
        n_classes = setup.spec.n_classes if kind == "multiclass" else 0
        return cls(
            setup.metric, params, threads, kind, n_classes, setup.deadline, setup.fit_seconds
        )

    def with_rounds(self, rounds: int) -> Self:
        return replace(self, params={**self.params, "iterations": rounds, "od_wait": rounds + 1})

    def fit_fold(self, data: FoldData) -> FoldOutput:
        if data.y.ndim == 1:
            return self._fit_one(data, data.y)
        return stack_targets([self._fit_one(data, data.y[:, j]) for j in range(data.y.shape[1])])

    def _fit_one(self, data: FoldData, y: np.ndarray) -> FoldOutput:
        import numpy as np
        from catboost import CatBoost, CatBoostError, Pool

        check_deadline(self.deadline, self.name)
        X_train, X_test, cats = _frames(data.matrices)
        label = y.astype(np.float64)
        if self.metric.target_transform == "log1p":
            if (y < 0).any():
                raise ConfigError("RMSLE needs a target >= 0, but train has negative values.")
            label = np.log1p(label)
        tr, va = data.train_idx, data.valid_idx
        weight = None if data.weight is None else data.weight[tr]  # original rows weighed
        train = Pool(X_train.iloc[tr], label[tr], cat_features=cats, weight=weight)
        valid = Pool(X_train.iloc[va], label[va], cat_features=cats)
        params = dict(self.params)
        if self.n_classes:  # (n, k) outputs even when a fold's rows miss a class
            params["class_names"] = list(range(self.n_classes))
        model = CatBoost(params)
        timer = FitTimer(self.name, self.deadline, self.fit_seconds)
        try:
            model.fit(train, eval_set=valid, callbacks=[_StopAt(timer)] if timer.active else None)
        except CatBoostError as err:
            first = str(err).strip().splitlines()[0]
            raise ConfigError(
                f"CatBoost rejected its parameters ({first}). Check the CatBoost keys of "
                "model.params in kstarter.yaml or the --params file against configs/catboost.yaml."
            ) from err
        if timer.late():
            check_deadline(self.deadline, self.name)  # it has passed: raises OutOfTime
        test = Pool(X_test, cat_features=cats)
        valid_pred, test_pred = self._predict(model, valid), self._predict(model, test)
        if self.metric.target_transform == "log1p":
            valid_pred, test_pred = from_log1p(valid_pred), from_log1p(test_pred)
        # PredictionValuesChange: how much a feature moves the predictions, summing to 100
        values = model.get_feature_importance()
        importance = dict(zip(map(str, model.feature_names_), map(float, values), strict=True))
        rounds = int(model.get_best_iteration()) + 1
        log1p = self.metric.target_transform == "log1p"
        fitted = (
            (CatBoostPredictor(_model_bytes(model), self.kind, tuple(cats), log1p),)
            if data.keep_fitted
            else ()
        )
        return FoldOutput(valid_pred, test_pred, rounds, importance, timer.stopped, fitted)

    def _predict(self, model: Any, pool: Any) -> np.ndarray:
        import numpy as np

        if self.kind == "regression":
            return np.asarray(model.predict(pool), dtype=np.float64)
        proba = np.asarray(model.predict(pool, prediction_type="Probability"), dtype=np.float64)
        return proba if self.kind == "multiclass" else proba[:, 1]


@dataclass(frozen=True)
class CatBoostPredictor(Predictor):
    """A fold's model in CatBoost's own ``.cbm`` format, with the category columns it takes."""

    format: ClassVar[str] = "catboost-cbm"
    model: bytes
    kind: str
    cats: tuple[str, ...]
    log1p: bool = False

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        import numpy as np
        from catboost import CatBoost, Pool

        model = CatBoost().load_model(blob=self.model)
        pool = Pool(_convert(X, list(self.cats)), cat_features=list(self.cats))
        if self.kind == "regression":
            pred = np.asarray(model.predict(pool), dtype=np.float64)
            return from_log1p(pred, self.log1p)
        proba = np.asarray(model.predict(pool, prediction_type="Probability"), dtype=np.float64)
        return proba if self.kind == "multiclass" else proba[:, 1]

    def save(self, folder: Path, stem: str) -> dict[str, Any]:
        (folder / f"{stem}.cbm").write_bytes(self.model)
        return {
            "format": self.format, "file": f"{stem}.cbm", "kind": self.kind,
            "cats": list(self.cats), "log1p": self.log1p,
        }  # fmt: skip

    @classmethod
    def load(cls, folder: Path, entry: dict[str, Any]) -> Predictor:
        model = (folder / entry["file"]).read_bytes()
        return cls(model, str(entry["kind"]), tuple(entry["cats"]), bool(entry["log1p"]))


def _model_bytes(model: Any) -> bytes:
    """The model as a ``.cbm`` file's bytes (CatBoost writes its format only to a file)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.cbm"
        model.save_model(str(path))
        return path.read_bytes()


class _StopAt:
    """A CatBoost callback: stops training after the first iteration that ends past the
    deadline (the model then raises :class:`~kstarter.models.OutOfTime`; CatBoost calls it
    from its C++ loop, so it says stop rather than raising there), or once the fit has
    trained ``fit_seconds`` (``use_best_model`` then keeps the best iteration so far)."""

    def __init__(self, timer: FitTimer) -> None:
        self.timer = timer

    def after_iteration(self, info: Any) -> bool:
        """True to go on."""
        return not self.timer.stop(raise_late=False)


def _frames(matrices: Matrices) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The train and test matrices as CatBoost takes them, converted once per process:
    category columns as strings with missing as a level, every other column as float64."""
    cache = matrices.cache
    if ("catboost", "frames") not in cache:
        import pandas as pd

        cats = [
            str(c)
            for c in matrices.X_train.columns
            if isinstance(matrices.X_train[c].dtype, pd.CategoricalDtype)
        ]
        cache["catboost", "frames"] = (
            _convert(matrices.X_train, cats),
            _convert(matrices.X_test, cats),
            cats,
        )
    found: tuple[pd.DataFrame, pd.DataFrame, list[str]] = cache["catboost", "frames"]
    return found


def _convert(X: pd.DataFrame, cats: list[str]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    columns: dict[str, Any] = {}
    for c in X.columns:
        col = X[c]
        if str(c) in cats:
            values = col.astype(object).to_numpy()
            missing = col.isna().to_numpy()
            columns[str(c)] = np.where(missing, MISSING, values.astype(str))
        else:
            columns[str(c)] = col.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.DataFrame(columns, index=X.index)
