"""Target encoding fitted inside the saved folds.

For fold ``k`` with training rows ``T`` (every other fold, or the earlier ones for time-ordered
folds, plus rows that are only ever trained on):

- its validation rows and the test rows get, per value, the smoothed mean of the target over
  ``T``: ``(sum + m * prior) / (count + m)``, ``prior`` the mean over ``T``, ``m`` the
  ``smoothing``; a value not seen in ``T`` gets the prior;
- a training row of saved fold ``g`` gets the same, fitted on ``T`` without fold ``g`` (cross
  fitting on the saved folds), so the model never learns from an encoding that saw its own row's
  target and the training rows look like the validation rows.

Fold ``k``'s targets are read by no column of that fold's model. Test predictions are the mean
over the folds' models, each with the test encoded as its validation rows were (fitted on its
``T``), so the test is treated exactly as the rows CV scores.

Multiclass: one column per class (the mean of the one-hot class); regression: the mean of the
target, on ``log1p`` when the metric trains on it; multitarget: one column per target.

All sums are ``np.bincount`` over (fold, value) codes, once per source column and fold: no loop
over rows, and the same numbers for the same inputs (bit-for-bit reruns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kstarter.featurepack._fixed import categorical_columns, codes_both, cross_codes, cross_pairs

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.featurepack._config import FeaturePack
    from kstarter.metrics import Metric
    from kstarter.spec import Spec

__all__ = ["FoldEncoder", "fold_encoder", "target_matrix"]

_BAD_NAME = re.compile(r"[\[\]{}\",:]")


@dataclass(frozen=True)
class FoldEncoder:
    """The target encodings' inputs, made once: value codes per source column (train, test),
    the targets as a matrix of columns to average, and the names of the columns made."""

    sources: tuple[str, ...]
    train_codes: np.ndarray  # (n_sources, n_train) int64, every code >= 0
    test_codes: np.ndarray  # (n_sources, n_test)
    levels: tuple[int, ...]  # codes per source are < levels[j]
    Y: np.ndarray  # (n_train, n_outputs) float: what each encoding averages
    outputs: tuple[str, ...]  # suffix per output column: "te", "te_<class>", ...
    smoothing: float
    # The classic mistake, for the leak test only (no kstarter.yaml key reaches it): every row
    # encoded with statistics over all train rows, its own target included.
    fit_on_all_rows: bool = False

    @property
    def columns(self) -> list[str]:
        return [f"{s}__{o}" for s in self.sources for o in self.outputs]

    def encode(
        self, assignment: np.ndarray, train_idx: np.ndarray, valid_idx: np.ndarray
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """One fold's encodings: a frame over all train rows (NaN on rows that are neither the
        fold's training nor its validation rows) and one over the test rows."""
        import numpy as np
        import pandas as pd

        n_out = len(self.outputs)
        # one row per output column: each column's values are contiguous while it is filled
        train = np.full((len(self.sources) * n_out, len(self.Y)), np.nan)
        test = np.empty((len(self.sources) * n_out, self.test_codes.shape[1]))
        fit_rows = np.arange(len(self.Y)) if self.fit_on_all_rows else train_idx
        # group of each fitting row: its saved fold (-1, trained on only, is a group too)
        group_values, group = np.unique(assignment[fit_rows], return_inverse=True)
        n_groups = len(group_values)
        targets = np.ascontiguousarray(self.Y[fit_rows].T)
        for j, levels in enumerate(self.levels):
            cols = slice(j * n_out, (j + 1) * n_out)
            all_codes = self.train_codes[j]
            codes = all_codes[fit_rows]
            key = group * levels + codes
            size = n_groups * levels
            counts = np.bincount(key, minlength=size).reshape(n_groups, levels)
            sums = np.stack(
                [np.bincount(key, weights=t, minlength=size) for t in targets], axis=-1
            ).reshape(n_groups, levels, n_out)
            table = self._table(counts.sum(axis=0), sums.sum(axis=0))
            test[cols] = table[self.test_codes[j]].T
            train[cols, valid_idx] = table[all_codes[valid_idx]].T
            if self.fit_on_all_rows:
                train[cols, train_idx] = table[all_codes[train_idx]].T
                continue
            # a training row of group g: the table fitted without group g
            inner = np.stack(
                [
                    self._table(counts[others].sum(axis=0), sums[others].sum(axis=0))
                    for others in (np.arange(n_groups) != g for g in range(n_groups))
                ]
            )
            train[cols, train_idx] = inner[group, codes].T
        names = self.columns
        return pd.DataFrame(train.T, columns=names), pd.DataFrame(test.T, columns=names)

    def _table(self, counts: np.ndarray, sums: np.ndarray) -> np.ndarray:
        """(levels, n_outputs): the smoothed mean per value; NaN when nothing was fitted."""
        import numpy as np

        total = counts.sum()
        if total == 0:
            return np.full(sums.shape, np.nan)
        prior = sums.sum(axis=0) / total
        m = self.smoothing
        with np.errstate(invalid="ignore", divide="ignore"):
            table = (sums + m * prior) / (counts + m)[:, None]
        table[counts == 0] = prior  # unseen values (and m == 0) get the prior
        return table


def target_matrix(spec: Spec, metric: Metric, y: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """What target encoding averages, one column each, and the suffixes of their names."""
    import numpy as np

    if spec.task == "multiclass":
        classes = [str(c) for c in spec.classes]
        onehot = (y[:, None] == np.arange(len(classes))[None, :]).astype(float)
        return onehot, [_safe(f"te_{c}") for c in classes]
    if spec.task == "multitarget":
        return np.asarray(y, dtype=float), [_safe(f"te_{t}") for t in spec.targets]
    values = np.asarray(y, dtype=float)
    if spec.task == "regression" and metric.target_transform == "log1p":
        values = np.log1p(np.clip(values, 0, None))
    return values[:, None], ["te"]


def fold_encoder(
    pack: FeaturePack,
    spec: Spec,
    metric: Metric,
    X_train: pd.DataFrame,
    X_test: pd.DataFrame,
    y: np.ndarray,
) -> FoldEncoder | None:
    """The encoder for ``pack`` on these matrices (their categoricals, the crosses when they are
    target-encoded), or None when no target encoding is on or nothing is categorical."""
    import numpy as np
    import pandas as pd

    if not pack.per_fold:
        return None
    both = pd.concat([X_train, X_test], ignore_index=True)
    sources: list[str] = []
    codes: list[np.ndarray] = []
    levels: list[int] = []
    if pack.target_encoding:
        for col in categorical_columns(both):
            c, n = codes_both(both[col])
            sources.append(col)
            codes.append(c)
            levels.append(n)
    if pack.crosses and pack.cross_encode == "target":
        for a, b in cross_pairs(both, pack):
            c, n = cross_codes(both[a], both[b])
            sources.append(f"{a}__x__{b}")
            codes.append(c)
            levels.append(n)
    if not sources:
        return None
    stacked = np.stack(codes)
    Y, outputs = target_matrix(spec, metric, y)
    n = len(X_train)
    return FoldEncoder(
        tuple(sources),
        np.ascontiguousarray(stacked[:, :n]),
        np.ascontiguousarray(stacked[:, n:]),
        tuple(levels),
        Y,
        tuple(outputs),
        pack.smoothing,
    )


def _safe(name: str) -> str:
    return _BAD_NAME.sub("_", name)
