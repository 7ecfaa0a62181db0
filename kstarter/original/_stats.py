"""``original_stats``: the original's mean target per value, as features.

For every categorical column of the model matrices and every numeric column with at most
``max_values`` distinct values, each row gets the smoothed mean target, over the **original
rows only**, of the rows sharing its value: ``(sum + m * prior) / (count + m)``, ``prior`` the
original's mean target, ``m`` the smoothing; a value the original never has gets the prior.
Competition rows (train and test) are only looked up, never counted, so no competition target
reaches a feature and the transform is computed once, outside the folds, with the matrices.

The original rows themselves (when they are also training rows) are encoded cross-fitted over
:data:`STATS_FOLDS` groups of the original (row number modulo the groups): no original row's
feature holds its own target, so the model cannot learn an encoding that saw the answer.

Multiclass: one column per class; regression: on ``log1p`` when the metric trains on it
(as target encoding); multitarget: one column per target. Names: ``<col>__orig_<suffix>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kstarter.errors import TrainError
from kstarter.original._config import INDICATOR

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["STATS_FOLDS", "add_original_stats", "stat_columns"]

STATS_FOLDS = 5


def stat_columns(
    X_train: pd.DataFrame, X_test: pd.DataFrame, X_orig: pd.DataFrame, max_values: int
) -> list[str]:
    """The columns statistics are made for: categoricals, and numerics with few values (not
    ``is_original``, constant on each side)."""
    import pandas as pd

    out = []
    for col in X_train.columns:
        if str(col) == INDICATOR:
            continue
        s = X_train[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            out.append(str(col))
        elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            values = pd.concat([s, X_test[col], X_orig[col]], ignore_index=True).dropna()
            if 2 <= values.nunique() <= max_values:
                out.append(str(col))
    return out


def add_original_stats(
    X_train: pd.DataFrame,
    X_test: pd.DataFrame,
    X_orig: pd.DataFrame,
    Y: np.ndarray,
    outputs: list[str],
    settings: tuple[float, int],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three matrices with the statistics columns appended. ``Y`` (original rows x
    outputs) is what is averaged (``featurepack.target_matrix`` of the original's targets),
    ``outputs`` the suffixes; ``settings`` is (smoothing, max_values)."""
    import numpy as np
    import pandas as pd

    smoothing, max_values = settings
    n, t = len(X_train), len(X_test)
    group = np.arange(len(X_orig)) % STATS_FOLDS
    new: dict[str, np.ndarray] = {}
    for col in stat_columns(X_train, X_test, X_orig, max_values):
        both = pd.concat([X_train[col], X_test[col], X_orig[col]], ignore_index=True)
        if isinstance(both.dtype, pd.CategoricalDtype):
            both = both.astype(X_train[col].dtype)
        codes, uniques = pd.factorize(both, use_na_sentinel=False)
        levels = len(uniques)
        orig_codes = codes[n + t :]
        table = _table(orig_codes, Y, levels, smoothing)
        inner = [
            _table(orig_codes[group != g], Y[group != g], levels, smoothing)
            for g in range(STATS_FOLDS)
        ]
        orig_values = np.stack(inner)[group, orig_codes]
        values = np.concatenate([table[codes[: n + t]], orig_values])
        for j, suffix in enumerate(outputs):
            new[f"{col}__orig_{suffix}"] = values[:, j]
    clash = [c for c in new if c in X_train.columns]
    if clash:
        raise TrainError(
            f"features.py made a column {clash[0]!r}, the name original_stats gives one of "
            "its columns: rename it."
        )
    frame = pd.DataFrame(new)
    parts = (X_train, X_test, X_orig)
    bounds = (0, n, n + t, n + t + len(X_orig))
    out = [
        pd.concat([x, frame.iloc[a:b].set_axis(x.index)], axis=1)
        for x, a, b in zip(parts, bounds, bounds[1:], strict=False)
    ]
    return out[0], out[1], out[2]


def _table(codes: np.ndarray, Y: np.ndarray, levels: int, m: float) -> np.ndarray:
    """(levels, outputs): the smoothed mean of ``Y`` per code; the prior where none."""
    import numpy as np

    counts = np.bincount(codes, minlength=levels).astype(float)
    sums = np.stack([np.bincount(codes, weights=y, minlength=levels) for y in Y.T], axis=-1)
    prior = Y.mean(axis=0) if len(Y) else np.zeros(Y.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        table = (sums + m * prior) / (counts + m)[:, None]
    table[counts == 0] = prior
    return table
