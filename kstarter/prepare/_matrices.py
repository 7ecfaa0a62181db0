"""From the raw tables to model matrices: ``features.py``, then dates and text expanded, then
categoricals shared by train and test.

``features.py`` sees the raw tables (and, when its ``make_features`` takes a third argument,
the competition's extra tables). What it returns is then made model-ready: the spec's date
columns become numeric parts (:mod:`kstarter.columns`), its text columns TF-IDF + SVD features,
and the remaining string columns categoricals shared by train and test.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter.columns import date_format, date_parts, has_time_of_day, parse_dates, text_features
from kstarter.errors import TrainError
from kstarter.featurepack import add_fixed
from kstarter.prepare._features import user_features

if TYPE_CHECKING:
    import pandas as pd

    from kstarter.config import Project
    from kstarter.prepare._tables import Tables
    from kstarter.spec import Spec

__all__ = ["Matrices", "build_matrices", "matrix_inputs"]

_BAD_NAME = re.compile(r"[\[\]{}\",:]")


@dataclass(frozen=True)
class Matrices:
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    names: dict[str, str]  # model column name -> the user's column name
    # what models build from these matrices once and reuse (LightGBM's binned Dataset)
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    # the project's cache entry for these matrices, where models may keep files across runs
    store: Path | None = None


def build_matrices(project: Project, tables: Tables) -> Matrices:
    """Run features.py, drop non-features, expand dates and text, make categoricals
    consistent in train and test."""
    X_train, X_test = user_features(project, tables)
    spec = project.spec
    never = set(spec.targets) | set(spec.drop) | {spec.id, spec.sample_id}
    keep = [c for c in X_train.columns if c not in never]
    X_train, X_test = X_train[keep], X_test[keep]
    X_train, X_test = _expand_dates(spec, X_train, X_test)
    X_train, X_test = _expand_text(spec, X_train, X_test)
    if X_train.shape[1] == 0:
        raise TrainError(
            "No feature columns left after dropping id and targets: check features.py."
        )
    X_train, X_test = _consistent_types(X_train, X_test)
    keep = list(X_train.columns)
    names = {_safe(c): str(c) for c in keep}
    if len(names) != len(keep):
        raise TrainError('Two feature names differ only in [ ] { } " , : characters: rename one.')
    X_train.columns = list(names)
    X_test.columns = list(names)
    if project.features.fixed:  # the pack's fold-independent columns, on the final features
        X_train, X_test = add_fixed(project.features, X_train, X_test)
        names |= {str(c): str(c) for c in X_train.columns if c not in names}
    return Matrices(X_train, X_test, names)


def _expand_dates(
    spec: Spec, X_train: pd.DataFrame, X_test: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each date column still in the features becomes its numeric parts, in its place."""
    import pandas as pd

    for col in [c for c in spec.date_columns if c in X_train.columns]:
        both = pd.concat([X_train[col], X_test[col]], ignore_index=True)
        try:
            parsed = parse_dates(both, date_format(both))
        except ValueError as exc:
            raise TrainError(
                f"competition.date_columns: {exc}; remove {col!r} from date_columns in "
                "kstarter.yaml or convert it in features.py."
            ) from None
        parts = date_parts(parsed, str(col), hour=has_time_of_day(parsed))
        n = len(X_train)
        X_train = _replace_column(X_train, col, parts.iloc[:n].set_axis(X_train.index))
        X_test = _replace_column(X_test, col, parts.iloc[n:].set_axis(X_test.index))
    return X_train, X_test


def _expand_text(
    spec: Spec, X_train: pd.DataFrame, X_test: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each text column still in the features becomes length, word count and TF-IDF + SVD
    components. Fitted on train and test text together and without the target (unsupervised),
    so fitting once for all folds leaks no label from a validation fold."""
    for col in [c for c in spec.text_columns if c in X_train.columns]:
        a, b = text_features(X_train[col], X_test[col], spec.text_components)
        X_train = _replace_column(X_train, col, a)
        X_test = _replace_column(X_test, col, b)
    return X_train, X_test


def _replace_column(X: pd.DataFrame, col: str, parts: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    clash = [c for c in parts.columns if c in X.columns and c != col]
    if clash:
        raise TrainError(
            f"features.py made a column {clash[0]!r}, the name kstarter gives a part of "
            f"{col!r}: rename it."
        )
    at = list(X.columns).index(col)
    return pd.concat([X.iloc[:, :at], parts, X.iloc[:, at + 1 :]], axis=1)


def matrix_inputs(project: Project) -> list[object]:
    """What decides the matrices besides train, test and features.py: the date and text
    settings and the extra tables' files (for the cache key)."""
    spec = project.spec
    parts: list[object] = [spec.date_columns, spec.text_columns, spec.text_components]
    if project.features.fixed:  # the pack's transforms: absent from the key when all are off
        parts.append(project.features.fixed_part())
    for name in sorted(spec.extra_tables):
        path = project.data_dir / name
        st = path.stat() if path.exists() else None
        parts.append((name, spec.extra_tables[name], st and (st.st_size, st.st_mtime_ns)))
    return parts


def _safe(name: Hashable) -> str:
    return _BAD_NAME.sub("_", str(name))


def _consistent_types(
    X_train: pd.DataFrame, X_test: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    import pandas as pd

    X_train, X_test = X_train.copy(deep=False), X_test.copy(deep=False)
    for col in X_train.columns:
        a, b = X_train[col], X_test[col]
        if pd.api.types.is_bool_dtype(a) and pd.api.types.is_bool_dtype(b):
            continue
        if pd.api.types.is_datetime64_any_dtype(a):
            X_train[col] = _epoch_seconds(a)
            X_test[col] = _epoch_seconds(pd.to_datetime(b, errors="coerce"))
            continue
        if _numeric(a) and _numeric(b):
            continue
        values = pd.concat([a, b], ignore_index=True).dropna().astype(str).unique()
        dtype = pd.CategoricalDtype(sorted(values))
        X_train[col] = a.astype("str").astype(dtype)
        X_test[col] = b.astype("str").astype(dtype)
    return X_train, X_test


def _numeric(s: pd.Series) -> bool:
    import pandas as pd

    return (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)) and not isinstance(
        s.dtype, pd.CategoricalDtype
    )


def _epoch_seconds(s: pd.Series) -> pd.Series:
    # pandas 3 datetimes are microseconds; seconds keep the numbers readable
    return s.astype("int64").where(s.notna()) / 1_000_000
