"""One column at a time: how well a column alone predicts the target on the saved folds.

The model is a table: the column is cut into bins (quantiles for numbers, one bin per value
for categories, one for missing), and a validation row gets the smoothed target mean of its
bin over the fold's training rows. It is a few numpy passes per column, so every column can
be scored in the brief check. Scores are *skills* on one scale: 0 is no better than the
target's prior and 1 is perfect (binary: 2 AUC - 1; multiclass: accuracy over the majority
rate; regression: R^2 on the target's ranks, so a monotone function of the target counts).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "bins",
    "exact_bins",
    "skill",
    "splits",
    "score_skill",
    "oof_predict",
    "auc",
    "eta_squared",
    "prepare_target",
]

_PRIOR_WEIGHT = 2.0  # rows' worth of the prior mixed into every bin's mean


def prepare_target(y: np.ndarray, kind: str) -> np.ndarray:
    """Regression targets become ranks in [0, 1]: robust to outliers and to monotone maps."""
    import pandas as pd

    if kind != "regression":
        return y.astype(int)
    return pd.Series(y).rank(pct=True).to_numpy()


def bins(values: pd.Series, max_bins: int) -> np.ndarray:
    """Codes 0..B-1: quantile bins for numbers with many values, one bin per value otherwise;
    missing values share their own bin."""
    import numpy as np
    import pandas as pd

    if isinstance(values.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
    ):
        return exact_bins(values)
    x = values.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(x)
    uniq = np.unique(x[finite])
    if len(uniq) <= max_bins:
        codes = np.searchsorted(uniq, np.where(finite, x, uniq[0] if len(uniq) else 0.0))
    else:
        edges = np.unique(np.quantile(x[finite], np.linspace(0, 1, max_bins + 1)[1:-1]))
        codes = np.searchsorted(edges, np.where(finite, x, 0.0), side="right")
    return np.where(finite, codes, codes.max(initial=0) + 1).astype(np.int64)


def exact_bins(values: pd.Series) -> np.ndarray:
    import numpy as np
    import pandas as pd

    codes, _ = pd.factorize(values, use_na_sentinel=True)
    return np.where(codes < 0, codes.max(initial=-1) + 1, codes).astype(np.int64)


def splits(assignment: np.ndarray, time_ordered: bool) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Each fold's (training rows, validation rows); only earlier folds train when the folds
    are ordered in time."""
    import numpy as np

    for k in range(int(assignment.max()) + 1):
        valid = assignment == k
        train = (assignment < k) if time_ordered else (assignment != k)
        if valid.any() and train.any():
            yield np.flatnonzero(train), np.flatnonzero(valid)


def oof_predict(
    codes: np.ndarray,
    y: np.ndarray,
    kind: str,
    n_classes: int,
    assignment: np.ndarray,
    time_ordered: bool,
) -> np.ndarray:
    """Out-of-fold predictions of the bin table: P(1), class probabilities, or a value."""
    import numpy as np

    n_bins = int(codes.max()) + 1 if len(codes) else 1
    width = n_classes if kind == "multiclass" else 1
    oof = np.full((len(codes), width), np.nan)
    for tr, va in splits(assignment, time_ordered):
        if kind == "multiclass":
            target = np.zeros((len(tr), width))
            target[np.arange(len(tr)), y[tr]] = 1.0
        else:
            target = y[tr].astype(float).reshape(-1, 1)
        prior = target.mean(axis=0)
        counts = np.bincount(codes[tr], minlength=n_bins).astype(float)
        sums = np.stack(
            [np.bincount(codes[tr], weights=target[:, j], minlength=n_bins) for j in range(width)],
            axis=1,
        )
        table = (sums + _PRIOR_WEIGHT * prior) / (counts[:, None] + _PRIOR_WEIGHT)
        oof[va] = table[codes[va]]
    return oof if width > 1 else oof[:, 0]


def skill(
    codes: np.ndarray,
    y: np.ndarray,
    kind: str,
    n_classes: int,
    assignment: np.ndarray,
    time_ordered: bool,
) -> float:
    """The bin table's out-of-fold skill: 0 = the prior, 1 = perfect (NaN: cannot score)."""
    oof = oof_predict(codes, y, kind, n_classes, assignment, time_ordered)
    return score_skill(oof, y, kind)


def score_skill(oof: np.ndarray, y: np.ndarray, kind: str) -> float:
    import numpy as np

    done = ~np.isnan(oof if oof.ndim == 1 else oof[:, 0])
    if done.sum() < 10:
        return float("nan")
    yv, pv = y[done], oof[done]
    if kind == "binary":
        if len(np.unique(yv)) < 2:
            return float("nan")
        return 2.0 * auc(yv, pv) - 1.0
    if kind == "multiclass":
        base = np.bincount(yv).max() / len(yv)
        if base >= 1:
            return float("nan")
        acc = float((pv.argmax(axis=1) == yv).mean())
        return (acc - base) / (1.0 - base)
    total = float(((yv - yv.mean()) ** 2).sum())
    if total == 0:
        return float("nan")
    return 1.0 - float(((yv - pv) ** 2).sum()) / total


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC from ranks (ties averaged), without sklearn's input checks."""
    import pandas as pd

    ranks = pd.Series(p).rank().to_numpy()
    pos = y == 1
    n1, n0 = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def eta_squared(x: np.ndarray, groups: np.ndarray) -> float:
    """Share of a numeric column's variance explained by the groups (the target's classes or
    bins): 1 when the column is a function of the target."""
    import numpy as np

    ok = np.isfinite(x)
    x, g = x[ok], groups[ok]
    if len(x) < 10:
        return float("nan")
    total = float(((x - x.mean()) ** 2).sum())
    if total <= 1e-12 * max(1.0, float((x**2).sum())):
        return float("nan")  # constant column
    counts = np.bincount(g)
    sums = np.bincount(g, weights=x)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    within = float(((x - means[g]) ** 2).sum())
    return 1.0 - within / total
