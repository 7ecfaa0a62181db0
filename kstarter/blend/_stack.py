"""``--method stack``: a regularised linear model fitted on the members' OOF predictions.

What the stacker sees and predicts follows what the metric scores (raw output, as the members
predict it; a label metric's decision is fitted afterwards on the stacked OOF, as for any run):

- probabilities of a binary target (AUC, log loss, a label metric decided by a threshold): a
  logistic regression on the members' logits;
- probabilities of several classes (multiclass log loss, a label metric decided by argmax): a
  multinomial logistic regression on the log-probabilities of every class of every member;
- numbers (regression, a class index cut into labels): a ridge regression on the members'
  predictions, on the log1p scale when the metric scores log1p (RMSLE), as the members train;
- several targets: one such stacker per target column, each on the members' predictions of
  that column.

Regularisation. Ridge: RidgeCV's efficient leave-one-out over alpha in 1e-3 .. 1e3, since a
prediction's scale is the target's (prices or fractions) and no single alpha suits both.
Logistic: fixed C = 1. Its inputs are logits or log-probabilities, on one scale whatever the
data, few (one per member and class) and fitted on thousands of rows or more, so the L2 term
(||w||^2 / 2 against a sum of n log losses) only keeps the weights finite when members are
nearly collinear or separate the classes; a grid over C fitted by inner CV would multiply the
cost, of the nested estimate too, by the grid times the inner folds for changes in the 4th
decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from kstarter.metrics import Metric

__all__ = ["Stacker", "fit_stacker", "stack_kind"]

_EPS = 1e-6  # probabilities clipped to [eps, 1 - eps] before a logit or log: |logit| <= 13.8
_C = 1.0
_ALPHAS = (1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3)
_MAX_ITER = 1000
# How a label metric's decision reads raw output, as the kind of stacker that predicts it.
_KIND_OF_DECISION = {"threshold": "binary", "argmax": "multiclass", "rounding": "value"}


def stack_kind(metric: Metric, task: str) -> str:
    """What each target column's stacker predicts: binary, multiclass or value."""
    column = metric.target_kind(task)
    if metric.needs == "label":
        return _KIND_OF_DECISION[metric.decision_for(column)]
    if metric.needs == "proba":
        return column
    return "value"


@dataclass(frozen=True)
class Stacker:
    """One fitted model per target column (one for a single target)."""

    kind: str  # binary | multiclass | value
    models: tuple[Any, ...]
    n_members: int
    n_classes: int
    log1p: bool
    multitarget: bool

    def predict(self, parts: list[np.ndarray]) -> np.ndarray:
        """The stacked prediction for the members' raw predictions ``parts`` (OOF or test);
        NaN where a member has none (rows a time split never validates)."""
        import numpy as np

        n = len(parts[0])
        if not self.multitarget:
            return self._column(self.models[0], parts)
        out = np.empty((n, len(self.models)))
        for j, model in enumerate(self.models):
            out[:, j] = self._column(model, [p[:, j] for p in parts])
        return out

    def _column(self, model: Any, parts: list[np.ndarray]) -> np.ndarray:
        import numpy as np

        X = _features(self.kind, parts, self.log1p)
        rows = np.isfinite(X).all(axis=1)
        shape = (len(X), self.n_classes) if self.kind == "multiclass" else (len(X),)
        out = np.full(shape, np.nan)
        if not rows.any():
            return out
        if isinstance(model, _Mean):
            out[rows] = model.predict(parts, rows)
        elif self.kind == "binary":
            out[rows] = model.predict_proba(X[rows])[:, list(model.classes_).index(1)]
        elif self.kind == "multiclass":
            proba = np.zeros((int(rows.sum()), self.n_classes))
            proba[:, model.classes_.astype(int)] = model.predict_proba(X[rows])
            out[rows] = proba
        else:
            pred = model.predict(X[rows])
            out[rows] = np.maximum(np.expm1(pred), 0.0) if self.log1p else pred
        return out

    def shares(self) -> list[float]:
        """Each member's share of the stacker's absolute coefficients (summed over classes and
        targets): how much the stack leans on it, shown where the other methods show weights."""
        import numpy as np

        mass = np.zeros(self.n_members)
        for model in self.models:
            if isinstance(model, _Mean):
                mass += 1.0 / self.n_members
                continue
            coef = np.abs(np.atleast_2d(model.coef_))
            mass += coef.reshape(coef.shape[0], self.n_members, -1).sum(axis=(0, 2))
        total = mass.sum()
        if not total > 0:
            return [1.0 / self.n_members] * self.n_members
        return [float(x) for x in mass / total]

    def describe(self) -> dict[str, Any]:
        """The fitted coefficients, for the run record: enough to apply the stacker by hand."""
        import numpy as np

        model_name = "logistic" if self.kind in ("binary", "multiclass") else "ridge"
        fitted = []
        for model in self.models:
            if isinstance(model, _Mean):
                fitted.append({"mean_of_members": True})
                continue
            entry: dict[str, Any] = {
                "intercept": np.round(np.atleast_1d(model.intercept_), 6).tolist(),
                "coef": np.round(np.atleast_2d(model.coef_), 6).tolist(),
            }
            if model_name == "ridge":
                entry["alpha"] = float(model.alpha_)
            fitted.append(entry)
        features = {"binary": "logit", "multiclass": "log_proba", "value": "prediction"}
        return {
            "model": model_name,
            "C": _C if model_name == "logistic" else None,
            "features": ("log1p_" if self.log1p else "") + features[self.kind],
            "targets": fitted,
        }


class _Mean:
    """A target column whose fitting rows hold one class: the mean of the members there."""

    def predict(self, parts: list[np.ndarray], rows: np.ndarray) -> np.ndarray:
        import numpy as np

        return np.mean([p[rows] for p in parts], axis=0)


def fit_stacker(
    metric: Metric,
    task: str,
    y: np.ndarray,
    parts: list[np.ndarray],
    rows: np.ndarray,
    n_classes: int,
) -> Stacker:
    """A stacker fitted on ``rows`` of the members' raw OOF predictions ``parts``."""
    kind = stack_kind(metric, task)
    log1p = kind == "value" and metric.target_transform == "log1p"
    multitarget = y.ndim == 2
    columns = range(y.shape[1]) if multitarget else [None]
    models = []
    for j in columns:
        col_parts = [p[rows] if j is None else p[rows, j] for p in parts]
        col_y = y[rows] if j is None else y[rows, j]
        models.append(_fit_column(kind, col_parts, col_y, log1p))
    return Stacker(kind, tuple(models), len(parts), n_classes, log1p, multitarget)


def _fit_column(kind: str, parts: list[np.ndarray], y: np.ndarray, log1p: bool) -> Any:
    import numpy as np
    from sklearn.linear_model import LogisticRegression, RidgeCV

    X = _features(kind, parts, log1p)
    if kind == "value":
        target = np.log1p(np.maximum(y.astype(np.float64), 0.0)) if log1p else y
        return RidgeCV(alphas=_ALPHAS).fit(X, target)
    labels = y.astype(np.int64)
    if np.unique(labels).size < 2:
        return _Mean()
    return LogisticRegression(C=_C, max_iter=_MAX_ITER).fit(X, labels)


def _features(kind: str, parts: list[np.ndarray], log1p: bool) -> np.ndarray:
    import numpy as np

    if kind == "binary":
        p = np.clip(np.column_stack(parts), _EPS, 1.0 - _EPS)
        return np.log(p) - np.log1p(-p)
    if kind == "multiclass":
        return np.log(np.clip(np.hstack(parts), _EPS, 1.0))
    X = np.column_stack(parts).astype(np.float64)
    return np.log1p(np.maximum(X, 0.0)) if log1p else X
