"""The feature recipe: what turns ``features.py``'s output into model matrices, fitted once.

:func:`fit_recipe` learns it from the train and test features (unsupervised: no target): which
columns are features, each date column's format, each text column's TF-IDF + SVD, each
categorical column's categories. :meth:`Recipe.apply` then turns any rows into matrix rows the
same way: the train rows, the test rows, and a hidden test set on Kaggle (the notebook of
``kstarter kernel build`` applies the run's saved recipe). A category the recipe never saw
becomes a missing value, as a model trained on these categories expects.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kstarter.columns import (
    TextFit,
    date_format,
    date_parts,
    fit_text,
    has_time_of_day,
    parse_dates,
)
from kstarter.errors import TrainError

if TYPE_CHECKING:
    import pandas as pd

    from kstarter.spec import Spec

__all__ = ["Recipe", "fit_recipe", "RECIPE_VERSION"]

# the recipe's shape; part of the cache key, so matrices made another way are rebuilt
RECIPE_VERSION = 2
_BAD_NAME = re.compile(r"[\[\]{}\",:]")


@dataclass(frozen=True)
class DateRule:
    fmt: str
    hour: bool


@dataclass(frozen=True)
class Recipe:
    keep: tuple[Hashable, ...]  # features.py's columns that are features, in order
    dates: dict[Hashable, DateRule]
    texts: dict[Hashable, TextFit]
    # after dates and text: each column's kind, "bool" | "datetime" | "numeric", or its
    # categories (a categorical column)
    kinds: dict[Hashable, str | tuple[str, ...]]
    names: dict[str, str]  # model column name -> the user's column name

    def apply(self, X: pd.DataFrame) -> pd.DataFrame:
        """``features.py``'s output (train, test or new rows) as model matrix rows."""
        missing = [c for c in self.keep if c not in X.columns]
        if missing:
            raise TrainError(
                f"features.py made no column {missing[0]!r} for these rows, which the models "
                "were trained with: make_features must return the same columns for any rows."
            )
        X = X[list(self.keep)]
        for col, rule in self.dates.items():
            parts = date_parts(parse_dates(X[col], rule.fmt), str(col), hour=rule.hour)
            X = _replace_column(X, col, parts)
        for col, text in self.texts.items():
            X = _replace_column(X, col, text.transform(X[col]))
        X = _cast(X, self.kinds)
        X.columns = list(self.names)
        return X


def fit_recipe(
    spec: Spec, X_train: pd.DataFrame, X_test: pd.DataFrame
) -> tuple[Recipe, pd.DataFrame, pd.DataFrame]:
    """The recipe of these train and test features (no target is read), and both sides
    turned into model matrices by it."""
    import pandas as pd

    never = set(spec.targets) | set(spec.drop) | {spec.id, spec.sample_id}
    keep = tuple(c for c in X_train.columns if c not in never)
    X_train, X_test = X_train[list(keep)], X_test[list(keep)]
    dates: dict[Hashable, DateRule] = {}
    for col in [c for c in spec.date_columns if c in keep]:
        both = pd.concat([X_train[col], X_test[col]], ignore_index=True)
        try:
            fmt = date_format(both)
            parsed = parse_dates(both, fmt)
        except ValueError as exc:
            raise TrainError(
                f"competition.date_columns: {exc}; remove {col!r} from date_columns in "
                "kstarter.yaml or convert it in features.py."
            ) from None
        dates[col] = DateRule(fmt or "mixed", has_time_of_day(parsed))
        parts = date_parts(parsed, str(col), hour=dates[col].hour)
        n = len(X_train)
        X_train = _replace_column(X_train, col, parts.iloc[:n].set_axis(X_train.index))
        X_test = _replace_column(X_test, col, parts.iloc[n:].set_axis(X_test.index))
    texts: dict[Hashable, TextFit] = {}
    for col in [c for c in spec.text_columns if c in keep]:
        texts[col] = fit_text(X_train[col], X_test[col], spec.text_components)
        X_train = _replace_column(X_train, col, texts[col].transform(X_train[col]))
        X_test = _replace_column(X_test, col, texts[col].transform(X_test[col]))
    if X_train.shape[1] == 0:
        raise TrainError(
            "No feature columns left after dropping id and targets: check features.py."
        )
    kinds: dict[Hashable, str | tuple[str, ...]] = {
        c: _kind(X_train[c], X_test[c]) for c in X_train.columns
    }
    names = {_safe(c): str(c) for c in X_train.columns}
    if len(names) != X_train.shape[1]:
        raise TrainError('Two feature names differ only in [ ] { } " , : characters: rename one.')
    X_train, X_test = _cast(X_train, kinds), _cast(X_test, kinds)
    X_train.columns = list(names)
    X_test.columns = list(names)
    return Recipe(keep, dates, texts, kinds, names), X_train, X_test


def _kind(a: pd.Series, b: pd.Series) -> str | tuple[str, ...]:
    import pandas as pd

    if pd.api.types.is_bool_dtype(a) and pd.api.types.is_bool_dtype(b):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(a):
        return "datetime"
    if _numeric(a) and _numeric(b):
        return "numeric"
    values = pd.concat([a, b], ignore_index=True).dropna().astype(str).unique()
    return tuple(sorted(values))


def _cast(X: pd.DataFrame, kinds: dict[Hashable, str | tuple[str, ...]]) -> pd.DataFrame:
    import pandas as pd

    X = X.copy(deep=False)
    for col, kind in kinds.items():
        s = X[col]
        if kind == "datetime":
            X[col] = _epoch_seconds(pd.to_datetime(s, errors="coerce"))
        elif kind == "numeric":
            if not _numeric(s):  # new rows whose column reads as text: what parses as numbers
                X[col] = pd.to_numeric(s.astype(str).where(s.notna()), errors="coerce")
        elif kind != "bool":  # a value never seen in train or test: missing
            text = s.astype("str")
            known = text.where(s.notna() & text.isin(kind))
            X[col] = known.astype(pd.CategoricalDtype(list(kind)))
    return X


def _replace_column(X: pd.DataFrame, col: Hashable, parts: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    clash = [c for c in parts.columns if c in X.columns and c != col]
    if clash:
        raise TrainError(
            f"features.py made a column {clash[0]!r}, the name kstarter gives a part of "
            f"{col!r}: rename it."
        )
    at = list(X.columns).index(col)  # type: ignore[arg-type]  # any label
    return pd.concat([X.iloc[:, :at], parts, X.iloc[:, at + 1 :]], axis=1)


def _safe(name: Hashable) -> str:
    return _BAD_NAME.sub("_", str(name))


def _numeric(s: pd.Series) -> bool:
    import pandas as pd

    return (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)) and not isinstance(
        s.dtype, pd.CategoricalDtype
    )


def _epoch_seconds(s: pd.Series) -> pd.Series:
    # pandas 3 datetimes are microseconds; seconds keep the numbers readable
    return s.astype("int64").where(s.notna()) / 1_000_000
