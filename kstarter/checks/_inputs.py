"""What every check reads: the tables, the model matrices, the encoded target and the folds,
sampled the same way for all checks when the brief check caps the rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kstarter.errors import KstarterError
from kstarter.paths import FOLDS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.config import Project
    from kstarter.folds import Folds
    from kstarter.metrics import Metric

__all__ = ["CheckOptions", "CheckInputs", "load_inputs", "BRIEF"]


@dataclass(frozen=True)
class CheckOptions:
    max_rows: int | None = None  # train and test rows each; None: all
    rounds: int = 300  # adversarial LightGBM rounds (early stopping on each fold)
    seed: int = 0  # sampling and the adversarial test-row folds


BRIEF = CheckOptions(max_rows=10_000, rounds=60)


@dataclass(frozen=True)
class CheckInputs:
    project: Project
    metric: Metric
    train: pd.DataFrame  # raw train rows (sampled), target included
    test: pd.DataFrame  # raw test rows (sampled)
    X_train: pd.DataFrame  # the model matrices, on the same rows
    X_test: pd.DataFrame
    names: dict[str, str]  # model column -> the user's column
    y: np.ndarray  # encoded target (0..k-1, floats, or (n, t))
    rows: np.ndarray  # each train row's position in the train file
    folds: Folds  # on these rows
    folds_source: str
    sampled: bool
    seed: int
    full_train: pd.DataFrame  # every raw train row (overlaps and duplicates are not sampled)
    full_test: pd.DataFrame
    full_y: np.ndarray
    hashes: tuple[np.ndarray, np.ndarray]  # a hash of each train / test row's features

    @property
    def task(self) -> str:
        return self.project.spec.task


def load_inputs(project: Project, options: CheckOptions) -> CheckInputs:
    import numpy as np

    from kstarter.competition import encode_target
    from kstarter.folds import Folds
    from kstarter.metrics import get_metric
    from kstarter.prepare import build_matrices, load_tables

    metric = get_metric(project.spec.metric)
    tables = load_tables(project)
    y = encode_target(project.spec, tables.train)
    matrices = build_matrices(project, tables)
    folds, source = _folds(project, tables.train, y)
    rng = np.random.default_rng(options.seed)
    rows = _sample(len(tables.train), options.max_rows, rng)
    test_rows = _sample(len(tables.test), options.max_rows, rng)
    sampled = len(rows) < len(tables.train) or len(test_rows) < len(tables.test)
    if sampled:
        assignment = folds.assignment[rows]
        folds = Folds(assignment, folds.time_ordered, folds.hash)
    return CheckInputs(
        project=project,
        metric=metric,
        train=tables.train.iloc[rows].reset_index(drop=True),
        test=tables.test.iloc[test_rows].reset_index(drop=True),
        X_train=matrices.X_train.iloc[rows].reset_index(drop=True),
        X_test=matrices.X_test.iloc[test_rows].reset_index(drop=True),
        names=matrices.names,
        y=y[rows],
        rows=rows,
        folds=folds,
        folds_source=source,
        sampled=sampled,
        seed=options.seed,
        full_train=tables.train,
        full_test=tables.test,
        full_y=y,
        hashes=(_row_hashes(matrices.X_train), _row_hashes(matrices.X_test)),
    )


def _row_hashes(X: pd.DataFrame) -> np.ndarray:
    import pandas as pd

    return pd.util.hash_pandas_object(X, index=False).to_numpy()


def _sample(n: int, cap: int | None, rng: np.random.Generator) -> np.ndarray:
    import numpy as np

    if cap is None or n <= cap:
        return np.arange(n)
    return np.sort(rng.choice(n, size=cap, replace=False))


def _folds(project: Project, train: pd.DataFrame, y: np.ndarray) -> tuple[Folds, str]:
    """The saved folds when they are current; else the folds `kstarter train` would make,
    made in memory: a check never writes folds.csv, so changing cv: after it needs no refold."""
    from kstarter.folds import Folds, load_or_make_folds, make_assignment

    note = "the cv: settings (folds.csv does not exist yet)"
    if project.path(FOLDS).exists():
        try:
            return load_or_make_folds(project, train, y), FOLDS
        except KstarterError:
            note = "the current cv: settings (folds.csv is out of date)"
    assignment, time_ordered = make_assignment(project, train, y)
    return Folds(assignment, time_ordered, "unsaved"), note
