"""The fold-independent transforms, on the model matrices (after ``features.py``, dates, text and
the categorical casts): none reads the target, so each is computed once on train and test
together. New columns are appended after the user's, in a fixed order:

1. ``missing``: ``missing__count`` (missing cells per row) and ``<col>__isna`` for each column
   with a missing value in train or test;
2. ``numeric_as_category``: ``<col>__cat``, a categorical copy of each numeric column with at
   most ``max_values`` distinct values (and at least two);
3. ``count_encoding``: ``<col>__count``, how often the row's value occurs in train and test, for
   every categorical (the copies of 2. included; a missing value is a value);
4. ``crosses`` with ``encode: count``: ``<a>__x__<b>__count`` for the pairs :func:`cross_pairs`
   picks (with ``encode: target`` the crosses are target-encoded per fold instead).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kstarter.errors import TrainError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.featurepack._config import FeaturePack

__all__ = ["add_fixed", "categorical_columns", "cross_pairs", "codes_both", "cross_codes"]


def add_fixed(
    pack: FeaturePack, X_train: pd.DataFrame, X_test: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The matrices with the fold-independent columns of ``pack`` appended."""
    import numpy as np
    import pandas as pd

    n = len(X_train)
    both = pd.concat([X_train, X_test], ignore_index=True)
    new: dict[str, pd.Series | np.ndarray] = {}
    if pack.missing:
        isna = both.isna()
        new["missing__count"] = isna.sum(axis=1).to_numpy(dtype=np.int32)
        for col in isna.columns[isna.any(axis=0).to_numpy()]:
            new[f"{col}__isna"] = isna[col].to_numpy(dtype=np.int8)
    if pack.numeric_as_category:
        for col in both.columns:
            s = both[col]
            if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(s):
                continue
            if not pd.api.types.is_numeric_dtype(s):
                continue
            values = np.unique(s.dropna().to_numpy())
            if 2 <= len(values) <= pack.max_values:
                new[f"{col}__cat"] = _as_category(s, values)
    both, new = _append(both, new), {}
    if pack.count_encoding:
        for col in categorical_columns(both):
            new[f"{col}__count"] = _counts(_codes(both[col]))
    if pack.crosses and pack.cross_encode == "count":
        for a, b in cross_pairs(both, pack):
            new[f"{a}__x__{b}__count"] = _counts(cross_codes(both[a], both[b])[0])
    both = _append(both, new)
    added = list(both.columns[X_train.shape[1] :])
    extra = both[added]
    train_part = extra.iloc[:n].set_axis(X_train.index)
    test_part = extra.iloc[n:].set_axis(X_test.index)
    return (
        pd.concat([X_train, train_part], axis=1),
        pd.concat([X_test, test_part], axis=1),
    )


def _append(both: pd.DataFrame, new: dict[str, pd.Series | np.ndarray]) -> pd.DataFrame:
    import pandas as pd

    clash = [c for c in new if c in both.columns]
    if clash:
        raise TrainError(
            f"features.py made a column {clash[0]!r}, the name the feature pack gives one of "
            "its columns: rename it."
        )
    if not new:
        return both
    return pd.concat([both, pd.DataFrame(new, index=both.index)], axis=1)


def _as_category(s: pd.Series, values: np.ndarray) -> pd.Series:
    """A numeric column as a categorical of its values written as text (as every categorical of
    the matrices is: a cached matrix reads back the same dtype)."""
    import numpy as np
    import pandas as pd

    found = np.searchsorted(values, s.fillna(values[0]).to_numpy())
    codes = np.where(s.isna().to_numpy(), -1, found).astype(np.int64)
    dtype = pd.CategoricalDtype([str(v) for v in values.tolist()])
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=s.index)


def categorical_columns(X: pd.DataFrame) -> list[str]:
    import pandas as pd

    return [str(c) for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]


def cross_pairs(X: pd.DataFrame, pack: FeaturePack) -> list[tuple[str, str]]:
    """The categorical pairs to cross, in column order: those whose cardinalities (categories,
    plus one for missing) multiply to at most ``max_cardinality``, the first ``max_pairs``."""
    cats = categorical_columns(X)
    card = {c: len(X[c].cat.categories) + 1 for c in cats}
    pairs = [
        (a, b)
        for i, a in enumerate(cats)
        for b in cats[i + 1 :]
        if card[a] * card[b] <= pack.max_cardinality
    ]
    return pairs[: pack.max_pairs]


def _codes(s: pd.Series) -> np.ndarray:
    """A categorical's codes with missing as one more level (0), so every code is >= 0."""
    import numpy as np

    return s.cat.codes.to_numpy(dtype=np.int64) + 1


def codes_both(s: pd.Series) -> tuple[np.ndarray, int]:
    """A categorical's codes (missing = 0) and how many levels they can take."""
    return _codes(s), len(s.cat.categories) + 1


def cross_codes(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, int]:
    """One code per value pair of two categoricals, and how many levels the codes can take."""
    ca, la = codes_both(a)
    cb, lb = codes_both(b)
    return ca * lb + cb, la * lb


def _counts(codes: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.bincount(codes)[codes].astype(np.int64)
