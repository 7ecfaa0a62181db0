"""Random forests and extra trees (scikit-learn), two :class:`~kstarter.models.Model` families
that differ only in their estimators and their ``configs/<name>.yaml``.

The matrix is encoded once per process for all train and test rows (nothing is learnt from
it, so nothing leaks): numeric and boolean columns as float32, categoricals as their category
codes (train and test share the categories), missing values left as NaN, which scikit-learn's
trees route to the better side of each split. Text columns are already TF-IDF + SVD numbers.

Which estimator follows from the task as for the linear family (:func:`linear_kind`): a
classifier for binary (P(class 1)) and multiclass ((n, k) probabilities); a regressor for
numbers (on log1p of the target for RMSLE, predictions back on the target's scale) and for the
class index of a ``rounding`` metric (QWK); one forest per column of a multitarget task.

The trees grow in chunks (``warm_start``; the forest is the same as one grown at once): between
chunks the deadline is checked (:class:`OutOfTime`) and, past ``fit_seconds``, no more chunks
are added: the forest so far predicts and the fold says ``stopped_by_time``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
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
    class_columns,
    from_log1p,
    stack_targets,
)
from kstarter.models._linear import linear_kind
from kstarter.models._tables import FamilyTable
from kstarter.models._threads import resolve_threads

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import pandas as pd
    from sklearn.ensemble._forest import BaseForest

    from kstarter.metrics import Metric
    from kstarter.prepare import Matrices

__all__ = ["RandomForestModel", "ExtraTreesModel", "forest_matrix"]

# A chunk of trees takes about this long: short enough that a deadline stops a forest soon
# after it passes, long enough that starting a chunk (a joblib dispatch) costs nothing.
CHUNK_SECONDS = 1.0
_CACHE = "forest"  # data.matrices.cache key of the encoded matrices, shared by both families


@dataclass(frozen=True)
class _Forest(Model):
    metric: Metric
    kind: str  # binary | multiclass | regression (see linear_kind)
    params: dict[str, Any]
    threads: int
    deadline: float | None = None  # time.monotonic(); see ModelSetup.deadline
    fit_seconds: float | None = None  # see ModelSetup.fit_seconds

    quick_params: ClassVar[dict[str, Any]] = {"n_estimators": 4}
    importance_name: ClassVar[str] = "impurity decrease"
    has_rounds: ClassVar[bool] = False  # its "best iteration" is the trees grown
    keeps_fitted: ClassVar[bool] = False  # fully grown trees: large; kernel build refits
    label: ClassVar[str]
    classifier: ClassVar[str]  # sklearn.ensemble class names
    regressor: ClassVar[str]

    @classmethod
    def known_params(cls) -> frozenset[str]:
        """scikit-learn's parameters of the forest's classifier and regressor."""
        import sklearn.ensemble

        names = set(FamilyTable(cls.name).own_keys())
        for estimator in (cls.classifier, cls.regressor):
            names |= set(getattr(sklearn.ensemble, estimator)().get_params())
        return frozenset(names)

    @classmethod
    def create(cls, setup: ModelSetup) -> Self:
        """configs/<name>.yaml (common + task) <- the user's keys that the file names <- the
        seed (random_state)."""
        table = FamilyTable(cls.name)
        params = table.defaults(setup.spec.task)
        params.update(table.own_overrides(setup.overrides))
        params.update({**table.fixed(), "random_state": setup.seed})
        trees = params.get("n_estimators")
        if isinstance(trees, bool) or not isinstance(trees, int) or trees < 1:
            raise ConfigError(
                f"{cls.label} parameter n_estimators must be a whole number >= 1 (found "
                f"{trees!r}): set it in model.params of kstarter.yaml or the --params file."
            )
        threads = resolve_threads(setup.config.threads, *setup.shape)
        kind = linear_kind(setup.spec.task, setup.metric)
        return cls(setup.metric, kind, params, threads, setup.deadline, setup.fit_seconds)

    def fit_fold(self, data: FoldData) -> FoldOutput:
        check_deadline(self.deadline, self.name)
        if data.y.ndim == 1:
            return self._fit_one(data, data.y)
        return stack_targets([self._fit_one(data, data.y[:, j]) for j in range(data.y.shape[1])])

    def _fit_one(self, data: FoldData, y: np.ndarray) -> FoldOutput:
        import numpy as np

        check_deadline(self.deadline, self.name)
        X, X_test = forest_matrix(data.matrices)
        y_tr = y[data.train_idx]
        log1p = self.metric.target_transform == "log1p" and self.kind == "regression"
        if log1p:
            if (y_tr < 0).any():
                raise ConfigError("RMSLE needs a target >= 0, but train has negative values.")
            y_tr = np.log1p(y_tr)
        forest, stopped = self._grow(X[data.train_idx], y_tr)
        # one thread adds the trees' predictions in their order: several add them as they
        # finish, and a float sum in another order differs in its last bits
        forest.set_params(n_jobs=1)
        known = int(np.max(data.y)) + 1 if self.kind == "multiclass" else 0
        valid_pred = _forest_predict(forest, X[data.valid_idx], self.kind, known)
        test_pred = _forest_predict(forest, X_test, self.kind, known)
        if log1p:
            valid_pred, test_pred = from_log1p(valid_pred), from_log1p(test_pred)
        fitted = ForestPredictor(forest, self.kind, known, log1p)
        columns = data.matrices.X_train.columns
        gains = forest.feature_importances_  # impurity decrease, summed over the trees' splits
        importance = {str(c): float(g) for c, g in zip(columns, gains, strict=True)}
        trees = len(forest.estimators_)
        del forest
        return FoldOutput(valid_pred, test_pred, trees, importance, stopped, (fitted,))

    def _estimator(self) -> BaseForest:
        import sklearn.ensemble

        name = self.regressor if self.kind == "regression" else self.classifier
        params = {k: v for k, v in self.params.items() if k != "n_estimators"}
        try:
            return getattr(sklearn.ensemble, name)(
                n_estimators=0, warm_start=True, n_jobs=self.threads, **params
            )
        except TypeError as err:  # a key the estimator does not take (class_weight, regressor)
            raise ConfigError(
                f"{name} rejected its parameters ({err}). Check the keys of model.params in "
                f"kstarter.yaml or the --params file against configs/{self.name}.yaml."
            ) from err

    def _grow(self, X: np.ndarray, y: np.ndarray) -> tuple[BaseForest, bool]:
        """The forest, grown chunk by chunk; whether fit_seconds stopped it early."""
        total = int(self.params["n_estimators"])
        forest = self._estimator()
        timer = FitTimer(self.name, self.deadline, self.fit_seconds)
        grown, chunk = 0, max(1, min(self.threads, total))  # the first chunk times a tree
        while grown < total:
            if timer.stop() and grown:  # raises OutOfTime past the deadline
                return forest, True
            grown = min(total, grown + chunk)
            forest.set_params(n_estimators=grown)
            try:
                forest.fit(X, y)
            except ValueError as err:  # scikit-learn's InvalidParameterError among them
                first = str(err).strip().splitlines()[0]
                raise ConfigError(
                    f"{type(forest).__name__} rejected its parameters ({first}). Check the keys "
                    f"of model.params in kstarter.yaml or the --params file against "
                    f"configs/{self.name}.yaml."
                ) from err
            per_tree = (time.monotonic() - timer.started) / grown
            chunk = max(self.threads, int(CHUNK_SECONDS / max(per_tree, 1e-6)))
            chunk = max(1, chunk - chunk % self.threads)  # whole rounds of the threads
        check_deadline(self.deadline, self.name)
        return forest, False


def _forest_predict(forest: BaseForest, X: np.ndarray, kind: str, known: int) -> np.ndarray:
    """What the metric's decision expects; ``known``: the classes train's targets span."""
    import numpy as np

    if kind == "regression":
        return np.asarray(forest.predict(X), dtype=np.float64)
    proba = np.asarray(forest.predict_proba(X), dtype=np.float64)
    return class_columns(proba, forest.classes_, kind, known)


@dataclass(frozen=True)
class ForestPredictor(Predictor):
    """A fold's forest, by joblib (large: a run does not keep it; kernel build refits it)."""

    format: ClassVar[str] = "sklearn-forest-joblib"
    forest: BaseForest
    kind: str
    known: int = 0
    log1p: bool = False

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        pred = _forest_predict(self.forest, _encode(X, X, 0), self.kind, self.known)
        return from_log1p(pred, self.log1p)

    def save(self, folder: Path, stem: str) -> dict[str, Any]:
        import joblib

        joblib.dump(self.forest, folder / f"{stem}.joblib", compress=3)
        return {
            "format": self.format, "file": f"{stem}.joblib", "kind": self.kind,
            "known": self.known, "log1p": self.log1p,
        }  # fmt: skip

    @classmethod
    def load(cls, folder: Path, entry: dict[str, Any]) -> Predictor:
        import joblib

        forest = joblib.load(folder / entry["file"])
        return cls(forest, str(entry["kind"]), int(entry["known"]), bool(entry["log1p"]))


@dataclass(frozen=True)
class RandomForestModel(_Forest):
    name: ClassVar[str] = "random_forest"
    label: ClassVar[str] = "Random forest"
    classifier: ClassVar[str] = "RandomForestClassifier"
    regressor: ClassVar[str] = "RandomForestRegressor"


@dataclass(frozen=True)
class ExtraTreesModel(_Forest):
    name: ClassVar[str] = "extra_trees"
    label: ClassVar[str] = "Extra trees"
    classifier: ClassVar[str] = "ExtraTreesClassifier"
    regressor: ClassVar[str] = "ExtraTreesRegressor"


def forest_matrix(matrices: Matrices) -> tuple[np.ndarray, np.ndarray]:
    """The train and test matrices as float32 arrays, categoricals as their codes and missing
    values as NaN; made once per process and kept in ``matrices.cache``."""
    cache = matrices.cache
    if (_CACHE, "train") not in cache:
        cache[_CACHE, "train"] = _encode(matrices.X_train, matrices.X_test, 0)
        cache[_CACHE, "test"] = _encode(matrices.X_train, matrices.X_test, 1)
    return cache[_CACHE, "train"], cache[_CACHE, "test"]


def _encode(X_train: pd.DataFrame, X_test: pd.DataFrame, part: int) -> np.ndarray:
    import numpy as np
    import pandas as pd

    X = (X_train, X_test)[part]
    out = np.empty((len(X), X.shape[1]), dtype=np.float32)
    for j, col in enumerate(X.columns):
        values = X[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy()
        elif pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(
            values.dtype
        ):
            out[:, j] = values.to_numpy(dtype=np.float32, na_value=np.nan)
            continue
        else:  # strings left as such: codes of the levels of train and test together
            both = pd.concat([X_train[col], X_test[col]], ignore_index=True).astype("category")
            codes = pd.Categorical(values, categories=both.cat.categories).codes
        out[:, j] = np.where(codes < 0, np.nan, codes).astype(np.float32)
    return out
