"""The linear model family, a :class:`~kstarter.models.Model`: a scikit-learn Pipeline per fold.

Logistic regression for classes (binary: P(class 1); multiclass: multinomial (n, k)
probabilities) and ridge regression for numbers, on one-hot categoricals and scaled numeric
columns: median imputation plus a missing indicator per column with gaps, standard scaling,
outliers clipped. The whole pipeline is fitted on the fold's training rows only, so nothing
about the validation rows leaks into the encoding or the scaling.

Which estimator follows from the task and the metric (:func:`linear_kind`): logistic for a
binary task, multinomial logistic for a multiclass one, ridge for regression; a ``rounding``
metric such as QWK regresses on the class index (ridge), and a multitarget task fits one
logistic regression per column when its metric scores probabilities, else one ridge. Parameters
come from ``configs/linear.yaml``; the user's keys of the same names override them, other keys
(LightGBM's) are ignored. Predictions are back on the target's scale, ``log1p`` targets
included (RMSLE).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

from kstarter.errors import ConfigError
from kstarter.models._base import (
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

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import Pipeline

    from kstarter.metrics import Metric

__all__ = ["LinearModel", "linear_kind", "linear_params", "scaled_one_hot", "LINEAR_KEYS"]

LINEAR_KEYS = ("C", "alpha", "max_iter", "tol", "min_frequency", "max_categories", "clip")


def linear_params(overrides: dict[str, Any]) -> dict[str, Any]:
    """configs/linear.yaml <- the keys of ``overrides`` that name a linear parameter."""
    from kstarter.resources import load_config_yaml

    params = dict(load_config_yaml("linear.yaml") or {})
    params.update({k: v for k, v in overrides.items() if k in LINEAR_KEYS})
    for key in ("C", "alpha"):
        value = params.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(
                f"Linear model parameter {key} must be a number > 0 (found {value!r})."
            )
    return params


def linear_kind(task: str, metric: Metric) -> str:
    """binary (logistic), multiclass (multinomial) or regression (ridge) for ``task``."""
    if task == "regression" or metric.decision_for(task) == "rounding":
        return "regression"  # a rounding decision cuts a continuous class index
    if task == "multitarget":
        return "binary" if metric.needs == "proba" else "regression"  # per target column
    return task


@dataclass(frozen=True)
class LinearModel(Model):
    name: ClassVar[str] = "linear"
    importance_name: ClassVar[str] = "sum of |coefficient|"
    takes_weights: ClassVar[bool] = True
    has_rounds: ClassVar[bool] = False
    metric: Metric
    kind: str  # binary | multiclass | regression (see linear_kind)
    params: dict[str, Any]
    seed: int
    threads: int = 1  # scikit-learn's lbfgs and ridge solvers run on one thread
    deadline: float | None = None  # time.monotonic(), checked before each fit (ModelSetup)

    @classmethod
    def known_params(cls) -> frozenset[str]:
        return frozenset(LINEAR_KEYS)  # what configs/linear.yaml exposes of its pipeline

    @classmethod
    def create(cls, setup: ModelSetup) -> Self:
        kind = linear_kind(setup.spec.task, setup.metric)
        params = linear_params(setup.overrides)
        return cls(setup.metric, kind, params, setup.seed, deadline=setup.deadline)

    def fit_fold(self, data: FoldData) -> FoldOutput:
        """One pipeline per target column."""
        X = data.matrices.X_train
        X_tr, X_va = X.iloc[data.train_idx], X.iloc[data.valid_idx]
        if data.y.ndim == 1:
            return self._fit_one(X_tr, X_va, data, data.y)
        return stack_targets(
            [self._fit_one(X_tr, X_va, data, data.y[:, j]) for j in range(data.y.shape[1])]
        )

    def _fit_one(
        self, X_tr: pd.DataFrame, X_va: pd.DataFrame, data: FoldData, y: np.ndarray
    ) -> FoldOutput:
        import numpy as np
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.pipeline import Pipeline

        check_deadline(self.deadline, self.name)  # one fit, not stopped inside
        kind = self.kind
        y_tr = y[data.train_idx]
        log1p = self.metric.target_transform == "log1p" and kind == "regression"
        if log1p:
            if (y_tr < 0).any():
                raise ConfigError("RMSLE needs a target >= 0, but train has negative values.")
            y_tr = np.log1p(y_tr)
        pre, groups = scaled_one_hot(X_tr, self.params)
        model = _estimator(kind, self.params, self.seed)
        pipe = Pipeline([("prepare", pre), ("model", model)])
        with warnings.catch_warnings():
            # lbfgs stopping at max_iter is still a usable baseline; the fold score shows it
            warnings.simplefilter("ignore", ConvergenceWarning)
            weight = None if data.weight is None else data.weight[data.train_idx]
            pipe.fit(X_tr, y_tr, model__sample_weight=weight)  # original rows weighed
        valid_pred = _predict(pipe, X_va, kind, data)
        test_pred = _predict(pipe, data.matrices.X_test, kind, data)
        if log1p:
            valid_pred, test_pred = from_log1p(valid_pred), from_log1p(test_pred)
        importance = _importance(pipe, groups)
        k = int(np.max(data.y)) + 1 if kind == "multiclass" else 0
        fitted = LinearPredictor(pipe, kind, k, log1p)
        return FoldOutput(valid_pred, test_pred, 0, importance, fitted=(fitted,))


def _numeric_columns(X: pd.DataFrame) -> tuple[list[str], list[str]]:
    import pandas as pd

    numeric, categorical = [], []
    for col in X.columns:
        dtype = X[col].dtype
        if isinstance(dtype, pd.CategoricalDtype) or not (
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        ):
            categorical.append(col)
        else:
            numeric.append(col)
    return numeric, categorical


def scaled_one_hot(
    X: pd.DataFrame, params: dict[str, Any]
) -> tuple[ColumnTransformer, dict[str, list[str]]]:
    """A ColumnTransformer (unfitted) for the columns of ``X``, and which input column each of
    its transformers reads: numeric columns median-imputed with missing indicators, scaled and
    clipped at ``params["clip"]``; each categorical one-hot (``min_frequency``,
    ``max_categories``). The linear and k-NN families share it."""
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numeric, categorical = _numeric_columns(X)
    parts: list[tuple[str, Any, list[str]]] = []
    groups: dict[str, list[str]] = {}
    if numeric:
        steps = [
            ("float", FunctionTransformer(_as_float)),
            ("impute", SimpleImputer(strategy="median", add_indicator=True,
                                     keep_empty_features=True)),
            ("scale", StandardScaler()),
        ]  # fmt: skip
        if params.get("clip") is not None:
            c = float(params["clip"])
            steps.append(("clip", FunctionTransformer(np.clip, kw_args={"a_min": -c, "a_max": c})))
        parts.append(("num", Pipeline(steps), numeric))
        groups["num"] = numeric
    for i, col in enumerate(categorical):
        enc = OneHotEncoder(
            handle_unknown="ignore",
            min_frequency=params.get("min_frequency"),
            max_categories=params.get("max_categories"),
        )
        name = f"cat{i}"
        parts.append((name, Pipeline([("text", FunctionTransformer(_as_text)), ("onehot", enc)]),
                      [col]))  # fmt: skip
        groups[name] = [col]
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.3), groups


def _as_float(X: Any) -> np.ndarray:
    import numpy as np

    return np.asarray(X, dtype=float)


def _as_text(X: Any) -> np.ndarray:
    """Categories as strings, missing as its own level: OneHotEncoder wants one type."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(X)
    out = frame.astype(object).where(frame.notna(), "<missing>")
    return out.astype(str).to_numpy(dtype=object) if len(out) else np.empty((0, frame.shape[1]))


def _estimator(kind: str, params: dict[str, Any], seed: int) -> LogisticRegression | Ridge:
    from sklearn.linear_model import LogisticRegression, Ridge

    if kind == "regression":
        return Ridge(alpha=float(params["alpha"]), random_state=seed)
    return LogisticRegression(
        C=float(params["C"]), max_iter=int(params["max_iter"]), tol=float(params["tol"]),
        random_state=seed,
    )  # fmt: skip


def _predict(
    pipe: Pipeline, X: pd.DataFrame, kind: str, data: FoldData | None, n_classes: int = 0
) -> np.ndarray:
    import numpy as np

    if kind == "regression":
        return np.asarray(pipe.predict(X), dtype=float)
    known = int(np.max(data.y)) + 1 if data is not None else n_classes
    return class_columns(pipe.predict_proba(X), pipe.named_steps["model"].classes_, kind, known)


@dataclass(frozen=True)
class LinearPredictor(Predictor):
    """A fold's scikit-learn pipeline (scaling, one-hot, the linear model), saved by joblib:
    load it with the scikit-learn version that saved it (the kernel's wheels carry it)."""

    format: ClassVar[str] = "sklearn-joblib"
    pipe: Pipeline
    kind: str
    n_classes: int = 0  # multiclass: the classes the fold's targets span
    log1p: bool = False

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        pred = _predict(self.pipe, X, self.kind, None, self.n_classes)
        return from_log1p(pred, self.log1p)

    def save(self, folder: Path, stem: str) -> dict[str, Any]:
        import joblib

        joblib.dump(self.pipe, folder / f"{stem}.joblib")
        return {
            "format": self.format, "file": f"{stem}.joblib", "kind": self.kind,
            "n_classes": self.n_classes, "log1p": self.log1p,
        }  # fmt: skip

    @classmethod
    def load(cls, folder: Path, entry: dict[str, Any]) -> Predictor:
        import joblib

        pipe = joblib.load(folder / entry["file"])
        return cls(pipe, str(entry["kind"]), int(entry["n_classes"]), bool(entry["log1p"]))


def _importance(pipe: Pipeline, groups: dict[str, list[str]]) -> dict[str, float]:
    """Absolute coefficients summed per input column (over classes, indicators, levels)."""
    import numpy as np

    pre = pipe.named_steps["prepare"]
    coef = np.abs(np.atleast_2d(pipe.named_steps["model"].coef_)).sum(axis=0)
    out: dict[str, float] = {}
    for name, columns in groups.items():
        part = coef[pre.output_indices_[name]]
        if name != "num":
            out[columns[0]] = float(part.sum())
            continue
        n = len(columns)
        for j, col in enumerate(columns):
            out[col] = float(part[j])
        imputer = pre.named_transformers_["num"].named_steps["impute"]
        flagged = imputer.indicator_.features_ if imputer.indicator_ is not None else []
        for j, col_index in enumerate(flagged):
            out[columns[col_index]] += float(part[n + j])
    return out
