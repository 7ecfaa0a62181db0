"""From the raw tables to model matrices: target encoding, ``features.py``, dates and text,
categoricals.

``features.py`` sees the raw tables (and, when its ``make_features`` takes a third argument,
the competition's extra tables). What it returns is then made model-ready: the spec's date
columns become numeric parts (:mod:`kstarter.dates`), its text columns TF-IDF + SVD features
(:mod:`kstarter.text`), and the remaining string columns categoricals shared by train and test.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter.data import read_table, table_name
from kstarter.errors import KstarterError, TrainError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.config import Project
    from kstarter.spec import Spec

__all__ = [
    "Tables",
    "Matrices",
    "load_tables",
    "load_inputs",
    "read_sample",
    "slim_tables",
    "encode_target",
    "build_matrices",
    "decode_labels",
    "ExtraTables",
    "matrix_inputs",
]

_BAD_NAME = re.compile(r"[\[\]{}\",:]")


@dataclass(frozen=True)
class Tables:
    train: pd.DataFrame
    test: pd.DataFrame
    sample: pd.DataFrame


@dataclass(frozen=True)
class Matrices:
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    names: dict[str, str]  # model column name -> the user's column name
    # what model adapters build from these matrices once and reuse (LightGBM's binned Dataset)
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    # the project's cache entry for these matrices, where adapters may keep files across runs
    store: Path | None = None


def load_tables(project: Project) -> Tables:
    spec, data = project.spec, project.data_dir
    return Tables(
        read_table(data / spec.files.train, shown=f"data/{spec.files.train}"),
        read_table(data / spec.files.test, shown=f"data/{spec.files.test}"),
        read_sample(project),
    )


def read_sample(project: Project) -> pd.DataFrame:
    name = project.spec.files.sample_submission
    return read_table(project.data_dir / name, shown=f"data/{name}")


def slim_tables(project: Project, tables: Tables) -> Tables:
    """Only what a run needs after the matrices exist: ids, targets and cv columns."""
    spec, cv = project.spec, project.cv
    wanted = [spec.id, *spec.targets, cv.groups, cv.time]
    keep_train = [c for c in dict.fromkeys(wanted) if c is not None and c in tables.train]
    keep_test = [spec.id] if spec.id is not None and spec.id in tables.test else []
    # without an id, a row number keeps the test length (a frame with no columns would
    # come back from parquet with no rows)
    test = tables.test[keep_test] if keep_test else tables.test.iloc[:, :0].assign(row=_rows)
    return Tables(tables.train[keep_train].copy(), test.copy(), tables.sample)


def _rows(frame: pd.DataFrame) -> range:
    return range(len(frame))


def load_inputs(project: Project) -> tuple[Tables, Matrices]:
    """The slim tables and the model matrices: from the project's cache when the raw files
    and features.py are unchanged, else parsed, prepared and cached."""
    from kstarter import cache

    key = cache.cache_key(project)
    cached = cache.load_cached(project, key)
    if cached is not None:
        return cached
    tables = load_tables(project)
    encode_target(project.spec, tables.train)  # a bad target fails before features.py runs
    matrices = build_matrices(project, tables)
    tables = slim_tables(project, tables)
    folder = cache.store(project, key, tables, matrices)
    return tables, replace(matrices, store=folder)


def encode_target(spec: Spec, train: pd.DataFrame) -> np.ndarray:
    """Targets as the model sees them: class index 0..k-1, or floats; 2-D for multitarget."""
    import numpy as np

    missing = [t for t in spec.targets if t not in train.columns]
    if missing:
        raise TrainError(
            f"Target column {missing[0]!r} is not in data/{spec.files.train}: fix "
            "competition.targets in kstarter.yaml."
        )
    if spec.task == "multitarget":
        y = train[list(spec.targets)].to_numpy(dtype=float)
        if np.isnan(y).any():
            raise TrainError("A target column has missing values; fill or drop those rows.")
        return y
    col = train[spec.targets[0]]
    if col.isna().any():
        raise TrainError(
            f"Target {spec.targets[0]!r} has {int(col.isna().sum())} missing values: drop those "
            "rows in features.py or fix the data."
        )
    if spec.task == "regression":
        return col.to_numpy(dtype=float)
    index = {_key(c): i for i, c in enumerate(spec.classes)}
    codes = col.map(lambda v: index.get(_key(v), -1)).to_numpy(dtype=int)
    if (codes < 0).any():
        bad = col[codes < 0].iloc[0]
        raise TrainError(
            f"Target value {bad!r} is not among competition.classes {list(spec.classes)}: fix "
            "the classes in kstarter.yaml."
        )
    if len(np.unique(codes)) < 2:
        raise TrainError(
            f"Target {spec.targets[0]!r} has one class only ({spec.classes[codes[0]]!r}): there "
            "is nothing to learn; check the train file and competition.targets."
        )
    return codes


def _key(v: Any) -> str:
    """Compare labels across YAML and pandas types: 1 == 1.0 == '1', True == 'True'."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


def decode_labels(spec: Spec, codes: np.ndarray) -> list[Any]:
    """Class indices back to the train's own encoding (0/1, True/False, strings)."""
    cast = {"int": int, "bool": _as_bool, "str": str, "float": float}[spec.label_dtype]
    classes = [cast(c) for c in spec.classes]
    return [classes[int(i)] for i in codes]


def _as_bool(v: Any) -> bool:
    return v if isinstance(v, bool) else str(v) == "True"


def build_matrices(project: Project, tables: Tables) -> Matrices:
    """Run features.py, drop non-features, expand dates and text, make categoricals
    consistent in train and test."""
    X_train, X_test = _user_features(project, tables)
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
    return Matrices(X_train, X_test, names)


def _expand_dates(spec: Spec, X_train: pd.DataFrame, X_test: pd.DataFrame):
    """Each date column still in the features becomes its numeric parts, in its place."""
    import pandas as pd

    from kstarter.dates import date_format, date_parts, has_time_of_day, parse_dates

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


def _expand_text(spec: Spec, X_train: pd.DataFrame, X_test: pd.DataFrame):
    """Each text column still in the features becomes length, word count and TF-IDF + SVD
    components. Fitted on train and test text together and without the target (unsupervised),
    so fitting once for all folds leaks no label from a validation fold."""
    from kstarter.text import text_features

    for col in [c for c in spec.text_columns if c in X_train.columns]:
        a, b = text_features(X_train[col], X_test[col], spec.text_components)
        X_train = _replace_column(X_train, col, a)
        X_test = _replace_column(X_test, col, b)
    return X_train, X_test


def _replace_column(X: pd.DataFrame, col: Any, parts: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    clash = [c for c in parts.columns if c in X.columns and c != col]
    if clash:
        raise TrainError(
            f"features.py made a column {clash[0]!r}, the name kstarter gives a part of "
            f"{col!r}: rename it."
        )
    at = list(X.columns).index(col)
    return pd.concat([X.iloc[:, :at], parts, X.iloc[:, at + 1 :]], axis=1)


class ExtraTables(Mapping):
    """The competition's extra tables for features.py: name (file without ``.csv``) ->
    DataFrame, each read from data/ the first time it is used."""

    def __init__(self, data_dir: Path, files: list[str]) -> None:
        self._files = {table_name(f): f for f in files}
        self._data_dir = data_dir
        self._read: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._files:
            known = ", ".join(self._files) or "none (competition.extra_tables is empty)"
            raise KeyError(f"no extra table {name!r}; the extra tables are: {known}")
        if name not in self._read:
            rel = self._files[name]
            if not (self._data_dir / rel).is_file():
                raise TrainError(
                    f"data/{rel}, listed in competition.extra_tables, does not exist: fix the "
                    "name in kstarter.yaml or restore the file."
                )
            self._read[name] = read_table(self._data_dir / rel, shown=f"data/{rel}")
        return self._read[name].copy(deep=False)

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def __repr__(self) -> str:
        return f"ExtraTables({list(self._files)})"


def matrix_inputs(project: Project) -> list[object]:
    """What decides the matrices besides train, test and features.py: the date and text
    settings and the extra tables' files (for the cache key)."""
    spec = project.spec
    parts: list[object] = [spec.date_columns, spec.text_columns, spec.text_components]
    for name in sorted(spec.extra_tables):
        path = project.data_dir / name
        st = path.stat() if path.exists() else None
        parts.append((name, spec.extra_tables[name], st and (st.st_size, st.st_mtime_ns)))
    return parts


def _safe(name: Any) -> str:
    return _BAD_NAME.sub("_", str(name))


def _user_features(project: Project, tables: Tables) -> tuple[pd.DataFrame, pd.DataFrame]:
    import pandas as pd

    path = project.path("features.py")
    if not path.exists():
        return tables.train.copy(deep=False), tables.test.copy(deep=False)
    try:
        module = _load_module(path)
        # shallow copies: copy-on-write (pandas 3) keeps the user's changes off our frames
        args = [tables.train.copy(deep=False), tables.test.copy(deep=False)]
        if _takes_extra(module.make_features):
            args.append(ExtraTables(project.data_dir, list(project.spec.extra_tables)))
        out = module.make_features(*args)
    except KstarterError:  # an extra table that cannot be read says so itself
        raise
    except Exception as exc:  # the user's code: show their frame, not ours
        raise TrainError(_user_traceback(path, exc)) from None
    if not (
        isinstance(out, tuple) and len(out) == 2 and all(isinstance(x, pd.DataFrame) for x in out)
    ):
        raise TrainError(
            "features.py: make_features must return (X_train, X_test), two DataFrames."
        )
    X_train, X_test = out
    if len(X_train) != len(tables.train) or len(X_test) != len(tables.test):
        raise TrainError(
            f"features.py returned {len(X_train)} train and {len(X_test)} test rows for "
            f"{len(tables.train)} and {len(tables.test)}: keep every row, in order."
        )
    only_train = [c for c in X_train.columns if c not in X_test.columns]
    only_train = [
        c for c in only_train if c not in set(project.spec.targets) | set(project.spec.drop)
    ]
    only_test = [c for c in X_test.columns if c not in X_train.columns]
    if only_train or only_test:
        side, col = ("train", only_train[0]) if only_train else ("test", only_test[0])
        raise TrainError(
            f"features.py: column {col!r} is only in X_{side}; train and test features must be "
            "the same columns."
        )
    return X_train.reset_index(drop=True), X_test[
        [c for c in X_train.columns if c in X_test.columns]
    ].reset_index(drop=True)


def _takes_extra(func: Any) -> bool:
    """make_features(train, test, extra): a third parameter gets the extra tables; the older
    make_features(train, test) still works."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return False
    try:
        sig.bind(None, None, None)
    except TypeError:
        return False
    return True


def _load_module(path: Path):
    name = f"_kstarter_features_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    if not hasattr(module, "make_features"):
        raise AttributeError("features.py defines no make_features(train, test)")
    return module


def _user_traceback(path: Path, exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
    where = ""
    if frames:
        f = frames[-1]
        where = f" (features.py, line {f.lineno}, in {f.name}: {(f.line or '').strip()})"
    return f"features.py raised {type(exc).__name__}: {exc}{where}. Fix features.py and run again."


def _consistent_types(X_train: pd.DataFrame, X_test: pd.DataFrame):
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
