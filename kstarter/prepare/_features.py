"""The user's ``features.py``: loaded from the project, called on the raw tables, its output
checked, and its errors shown with the user's own line.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from kstarter import paths
from kstarter.errors import KstarterError, TrainError
from kstarter.prepare._extra import ExtraTables

if TYPE_CHECKING:
    import pandas as pd

    from kstarter.config import Project
    from kstarter.prepare._tables import Tables

__all__ = ["user_features"]


def user_features(project: Project, tables: Tables) -> tuple[pd.DataFrame, pd.DataFrame]:
    import pandas as pd

    path = project.path(paths.FEATURES)
    if not path.exists():
        return tables.train.copy(deep=False), tables.test.copy(deep=False)
    try:
        module = _load_module(path)
        # shallow copies: copy-on-write (pandas 3) keeps the user's changes off our frames
        args: list[pd.DataFrame | ExtraTables] = [
            tables.train.copy(deep=False),
            tables.test.copy(deep=False),
        ]
        if _takes_extra(module.make_features):
            args.append(ExtraTables(project.data_dir, list(project.spec.extra_tables)))
        out = module.make_features(*args)
    except KstarterError:  # an extra table that cannot be read says so itself
        raise
    except SystemExit as exc:  # sys.exit() in the user's code: no run, and not exit 0
        raise TrainError(
            f"features.py called sys.exit({'' if exc.code is None else repr(exc.code)}), so no "
            "run was made: make_features must return (X_train, X_test); remove the exit."
        ) from None
    except Exception as exc:  # the user's code: show their frame, not ours
        raise TrainError(_user_traceback(path, exc)) from None
    if not (
        isinstance(out, tuple) and len(out) == 2 and all(isinstance(x, pd.DataFrame) for x in out)
    ):
        raise TrainError(
            "features.py: make_features must return (X_train, X_test), two DataFrames."
        )
    X_train, X_test = out
    for side, frame in (("X_train", X_train), ("X_test", X_test)):
        twice = frame.columns[frame.columns.duplicated()]
        if len(twice):
            raise TrainError(
                f"features.py returned {side} with the column {str(twice[0])!r} twice: give "
                "each feature its own name (a concat or merge may have repeated it)."
            )
    if len(X_train) != len(tables.train) or len(X_test) != len(tables.test):
        raise TrainError(
            f"features.py returned {len(X_train)} train and {len(X_test)} test rows for "
            f"{len(tables.train)} and {len(tables.test)}: keep every row, in order."
        )
    for side, got, given in (("train", X_train, tables.train), ("test", X_test, tables.test)):
        if not got.index.equals(given.index):
            raise TrainError(_order_message(side, got, given))
    only_train = [c for c in X_train.columns if c not in X_test.columns]
    only_train = [
        c for c in only_train if c not in set(project.spec.targets) | set(project.spec.drop)
    ]
    only_test = [
        c for c in X_test.columns if c not in X_train.columns and c not in set(project.spec.drop)
    ]
    if only_train or only_test:
        side, col = ("train", only_train[0]) if only_train else ("test", only_test[0])
        raise TrainError(
            f"features.py: column {col!r} is only in X_{side}; train and test features must be "
            "the same columns."
        )
    return X_train.reset_index(drop=True), X_test[
        [c for c in X_train.columns if c in X_test.columns]
    ].reset_index(drop=True)


def _order_message(side: str, got: pd.DataFrame, given: pd.DataFrame) -> str:
    """Rows in another order would put every prediction on another id: say where."""
    moved = next(
        (i for i, (a, b) in enumerate(zip(got.index, given.index, strict=True)) if a != b), 0
    )
    return (
        f"features.py returned X_{side} with its rows in another order (row {moved + 1} has "
        f"index {got.index[moved]} where make_features was given {given.index[moved]}), "
        "so predictions would sit on the wrong ids: return the rows in the order and with the "
        "index given (after a sort_values, call .sort_index(); merge keeps the order)."
    )


def _takes_extra(func: Callable[..., object]) -> bool:
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


def _load_module(path: Path) -> ModuleType:
    name = f"_kstarter_features_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # not a .py file Python can load
        raise ImportError(f"{path.name} cannot be loaded as a Python module")
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
