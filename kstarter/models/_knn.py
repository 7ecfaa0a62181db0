"""k nearest neighbours (scikit-learn), a :class:`~kstarter.models.Model`: the (weighted) mean
of the k nearest training rows' targets, on the linear family's encoding.

Each fold fits the linear family's encoder (:func:`~kstarter.models._linear.scaled_one_hot`:
imputed, scaled and clipped numbers, one-hot categoricals) on its training rows, finds the k
nearest of them for each validation and test row once, and averages every target over them:
the one-hot class for classes (binary: P(class 1); multiclass: (n, k) probabilities), the
value for numbers (log1p of it for RMSLE, then back on the target's scale) and the class index
for a ``rounding`` metric (QWK), as :func:`linear_kind` says; each column of a multitarget task
from the same neighbours. ``weights: distance`` weighs a neighbour by 1/distance (a row at
distance 0 takes all the weight), as scikit-learn's KNeighbors estimators do.

There are no rounds: the deadline is checked before the fit and between chunks of predicted
rows; ``fit_seconds`` does not apply.
"""

from __future__ import annotations

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
    from_log1p,
)
from kstarter.models._linear import linear_kind, scaled_one_hot
from kstarter.models._tables import FamilyTable
from kstarter.models._threads import resolve_threads

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import pandas as pd
    from sklearn.neighbors import NearestNeighbors

    from kstarter.metrics import Metric

__all__ = ["KNNModel"]

CHUNK_ROWS = 4096  # rows predicted between two deadline checks
DENSE_CELLS = 50_000_000  # a sparse encoding up to this many cells (400 MB) is made dense
WEIGHTS = ("uniform", "distance")
# the keys that shape the encoding (scaled_one_hot), not the neighbour search
ENCODING_KEYS = ("min_frequency", "max_categories", "clip")


@dataclass(frozen=True)
class KNNModel(Model):
    name: ClassVar[str] = "knn"
    importance_name: ClassVar[str] = "importance"  # none: every feature counts in the distance
    has_rounds: ClassVar[bool] = False
    keeps_fitted: ClassVar[bool] = False  # it holds the training rows; kernel build refits
    metric: Metric
    kind: str  # binary | multiclass | regression (see linear_kind)
    params: dict[str, Any]
    threads: int
    deadline: float | None = None  # time.monotonic(); see ModelSetup.deadline

    @classmethod
    def known_params(cls) -> frozenset[str]:
        """scikit-learn's parameters of the nearest-neighbours estimators."""
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

        names = set(FamilyTable(cls.name).own_keys())
        for estimator in (KNeighborsClassifier, KNeighborsRegressor):
            names |= set(estimator().get_params())
        return frozenset(names)

    @classmethod
    def create(cls, setup: ModelSetup) -> Self:
        """configs/knn.yaml (common + task) <- the user's keys that the file names."""
        table = FamilyTable(cls.name)
        params = table.defaults(setup.spec.task)
        params.update(table.own_overrides(setup.overrides))
        params.update(table.fixed())
        k = params.get("n_neighbors")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ConfigError(
                f"k-NN parameter n_neighbors must be a whole number >= 1 (found {k!r}): set it "
                "in model.params of kstarter.yaml or the --params file."
            )
        if params.get("weights") not in WEIGHTS:
            raise ConfigError(
                f"k-NN parameter weights must be uniform or distance (found "
                f"{params.get('weights')!r}): set it in model.params of kstarter.yaml or the "
                "--params file."
            )
        threads = resolve_threads(setup.config.threads, *setup.shape)
        kind = linear_kind(setup.spec.task, setup.metric)
        return cls(setup.metric, kind, params, threads, setup.deadline)

    def fit_fold(self, data: FoldData) -> FoldOutput:
        """One encoder and one neighbour search per fold, for every target column."""

        check_deadline(self.deadline, self.name)
        X = data.matrices.X_train
        X_tr = X.iloc[data.train_idx]
        Y, log1p = self._targets(data)
        encoder, _ = scaled_one_hot(X_tr, self.params)
        Z_tr = _dense(encoder.fit_transform(X_tr))
        search = self._search(len(data.train_idx))
        try:
            search.fit(Z_tr)
        except ValueError as err:  # scikit-learn's InvalidParameterError among them
            first = str(err).strip().splitlines()[0]
            raise ConfigError(
                f"NearestNeighbors rejected its parameters ({first}). Check the k-NN keys of "
                "model.params in kstarter.yaml or the --params file against configs/knn.yaml."
            ) from err
        weights = str(self.params["weights"])
        fitted = KNNPredictor(encoder, search, Y, weights, self.kind, log1p, data.y.ndim)
        valid_pred = fitted.predict(X.iloc[data.valid_idx], self.deadline)
        test_pred = fitted.predict(data.matrices.X_test, self.deadline)
        return FoldOutput(valid_pred, test_pred, 0, {}, fitted=(fitted,))

    def _targets(self, data: FoldData) -> tuple[np.ndarray, bool]:
        """What the neighbours average, (train rows, columns); whether it is log1p's."""
        import numpy as np

        y = data.y[data.train_idx]
        if self.kind == "multiclass":
            k = int(np.max(data.y)) + 1
            return (y.astype(int)[:, None] == np.arange(k)).astype(np.float64), False
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if self.kind == "binary":
            return (Y == 1).astype(np.float64), False
        if self.metric.target_transform == "log1p":
            if (Y < 0).any():
                raise ConfigError("RMSLE needs a target >= 0, but train has negative values.")
            return np.log1p(Y), True
        return Y, False

    def _search(self, n_train: int) -> NearestNeighbors:
        from sklearn.neighbors import NearestNeighbors

        return NearestNeighbors(
            n_neighbors=min(int(self.params["n_neighbors"]), n_train),
            p=self.params["p"],
            algorithm=self.params.get("algorithm", "auto"),
            leaf_size=self.params.get("leaf_size", 30),
            n_jobs=self.threads,
        )


@dataclass(frozen=True)
class KNNPredictor(Predictor):
    """A fold's encoder, neighbour search and the training rows' targets, by joblib (it holds
    the training rows: a run does not keep it; kernel build refits it)."""

    format: ClassVar[str] = "sklearn-knn-joblib"
    encoder: Any
    search: NearestNeighbors
    Y: np.ndarray  # what the neighbours average, (train rows, columns)
    weights: str
    kind: str
    log1p: bool = False
    ndim: int = 1  # of the targets: 2 for several

    def predict(self, X: pd.DataFrame, deadline: float | None = None) -> np.ndarray:
        pred = self._average(_dense(self.encoder.transform(X)), deadline)
        if self.log1p:
            pred = from_log1p(pred)
        return _shape(pred, self.kind, self.ndim)

    def _average(self, Z: Any, deadline: float | None) -> np.ndarray:
        """The weighted mean of ``Y`` over each row's neighbours, chunk by chunk."""
        import numpy as np

        Y = self.Y
        out = np.empty((Z.shape[0], Y.shape[1]))
        for start in range(0, Z.shape[0], CHUNK_ROWS):
            check_deadline(deadline, KNNModel.name)
            stop = min(start + CHUNK_ROWS, Z.shape[0])
            dist, ind = self.search.kneighbors(Z[start:stop])
            if self.weights == "distance":
                with np.errstate(divide="ignore"):
                    w = 1.0 / dist
                exact = np.isinf(w)
                hit = exact.any(axis=1)
                w[hit] = exact[hit]  # a row at distance 0 takes all the weight
            else:
                w = np.ones_like(dist)
            out[start:stop] = np.einsum("rk,rkc->rc", w, Y[ind]) / w.sum(axis=1)[:, None]
        if self.kind != "regression":  # shares of the weight: in [0, 1] up to rounding
            np.clip(out, 0.0, 1.0, out=out)
        return out

    def save(self, folder: Path, stem: str) -> dict[str, Any]:
        import joblib

        joblib.dump((self.encoder, self.search, self.Y), folder / f"{stem}.joblib", compress=3)
        return {
            "format": self.format, "file": f"{stem}.joblib", "weights": self.weights,
            "kind": self.kind, "log1p": self.log1p, "ndim": self.ndim,
        }  # fmt: skip

    @classmethod
    def load(cls, folder: Path, entry: dict[str, Any]) -> Predictor:
        import joblib

        encoder, search, Y = joblib.load(folder / entry["file"])
        return cls(
            encoder, search, Y, str(entry["weights"]), str(entry["kind"]),
            bool(entry["log1p"]), int(entry["ndim"]),
        )  # fmt: skip


def _dense(Z: Any) -> Any:
    """The encoding as a dense array unless it is too large: neighbours among dense rows are
    found by BLAS or a tree, among sparse ones (mostly one-hot columns) row by row."""
    if hasattr(Z, "toarray") and Z.shape[0] * Z.shape[1] <= DENSE_CELLS:
        return Z.toarray()
    return Z


def _shape(pred: np.ndarray, kind: str, ndim: int) -> np.ndarray:
    """(n,) for one target, (n, k) for classes, (n, t) for several targets."""
    if kind == "multiclass" or ndim == 2:
        return pred
    return pred[:, 0]
