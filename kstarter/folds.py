"""Folds made once, saved in ``folds.csv``, reused by every run and every tuning trial.

``folds.csv`` has one row per train row: ``row`` (its position in the train file), the id when
there is one, and ``fold``. With ``cv.time`` the folds are time blocks: fold k validates on
block k and trains on every earlier block; the first block (fold -1) is only ever trained on.
The config that made the folds is kept in ``.kstarter/folds.json``; a changed ``cv:`` section
without ``--refold`` is refused, because runs on different folds cannot be compared.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter import paths
from kstarter.atomic import atomic_write_bytes, atomic_write_text
from kstarter.errors import ConfigError, TrainError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from kstarter.config import Project
    from kstarter.spec import Spec

__all__ = [
    "Folds",
    "load_or_make_folds",
    "make_assignment",
    "TimeBlockSplit",
    "MultilabelStratifiedKFold",
]


@dataclass(frozen=True)
class Folds:
    assignment: np.ndarray  # fold per train row; -1 = only ever in training (time splits)
    time_ordered: bool
    hash: str
    # cv.gap: a time split's fold k leaves out of its training rows those of the ``gap``
    # distinct times just before its validation block; ``time_rank`` is each row's time among
    # the distinct times (None without a gap)
    gap: int = 0
    time_rank: np.ndarray | None = None

    @property
    def n_splits(self) -> int:
        return int(self.assignment.max()) + 1

    def splits(self) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """(fold, train row positions, validation row positions), one fold at a time."""
        import numpy as np

        for k in range(self.n_splits):
            valid = np.flatnonzero(self.assignment == k)
            if self.time_ordered and self.gap and self.time_rank is not None:
                start = self.time_rank[valid].min()
                train = np.flatnonzero((self.assignment < k) & (self.time_rank < start - self.gap))
                if len(train) == 0:
                    raise ConfigError(
                        f"cv.gap {self.gap} leaves fold {k + 1} no earlier rows to train on: "
                        "lower cv.gap (or cv.n_splits) and run `kstarter train --refold`."
                    )
            elif self.time_ordered:
                train = np.flatnonzero(self.assignment < k)
            else:
                train = np.flatnonzero(self.assignment != k)
            yield k, train, valid

    @property
    def validated(self) -> np.ndarray:
        return self.assignment >= 0


class TimeBlockSplit:
    """Contiguous time blocks; rows with the same time value always share a block."""

    def __init__(self, n_splits: int) -> None:
        self.n_splits = n_splits

    def blocks(self, times: pd.Series) -> np.ndarray:
        import numpy as np

        if times.isna().any():
            raise TrainError(
                f"cv.time column {times.name!r} has missing values; fill or drop them."
            )
        order = np.sort(times.unique())
        if len(order) < self.n_splits + 1:
            raise TrainError(
                f"cv.time column {times.name!r} has only {len(order)} distinct values; "
                f"a time split into {self.n_splits} folds needs at least {self.n_splits + 1}."
            )
        rank = time_rank(times)
        # block b holds the b-th (n_splits+1)-quantile of distinct time values
        block = (rank * (self.n_splits + 1)) // len(order)
        return block.astype(int) - 1


def time_rank(times: pd.Series) -> np.ndarray:
    """Each row's time as its position among the column's distinct values (0 the earliest)."""
    import numpy as np

    return np.searchsorted(np.sort(times.unique()), times.to_numpy())


class MultilabelStratifiedKFold:
    """K folds that keep every label's share of positives, for several binary targets at
    once: iterative stratification (Sechidis, Tsoumakas and Vlahavas, *On the Stratification
    of Multi-Label Data*, ECML PKDD 2011), a scikit-learn style splitter.

    Labels are dealt out rarest first: each row holding the label with the fewest rows still
    unassigned goes to the fold that most wants that label (largest remaining quota for it),
    ties broken by the fold that wants the most rows, then at random. Rows with no positive
    label fill the folds' remaining quotas last. Deterministic for a given ``random_state``.
    """

    def __init__(
        self, n_splits: int = 5, shuffle: bool = True, random_state: int | None = None
    ) -> None:
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def get_n_splits(
        self, X: npt.ArrayLike | None = None, y: npt.ArrayLike | None = None, groups: object = None
    ) -> int:
        return self.n_splits

    def split(
        self, X: npt.ArrayLike, y: npt.ArrayLike, groups: object = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        import numpy as np

        fold = self.assign(np.asarray(y))
        for k in range(self.n_splits):
            yield np.flatnonzero(fold != k), np.flatnonzero(fold == k)

    def assign(self, y: np.ndarray) -> np.ndarray:
        """The fold of each row of a (rows, labels) 0/1 matrix."""
        import numpy as np

        y = np.asarray(y)
        if y.ndim != 2:
            raise ValueError("MultilabelStratifiedKFold needs a (rows, labels) matrix")
        n, k = len(y), self.n_splits
        if n < k:
            raise ValueError(f"cannot split {n} rows into {k} folds")
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        positive = y[order] > 0
        # quotas: rows and positives of each label that each fold still wants
        want_rows = np.full(k, n / k)
        want = np.outer(np.full(k, 1 / k), positive.sum(axis=0))  # (folds, labels)
        fold = np.full(n, -1)
        left = positive.copy()  # positives of unassigned rows
        while left.any():
            counts = left.sum(axis=0).astype(float)
            counts[counts == 0] = np.inf
            label = int(rng.choice(np.flatnonzero(counts == counts.min())))
            for i in np.flatnonzero(left[:, label]):
                f = _best_fold(want[:, label], want_rows, rng)
                fold[i] = f
                want[f] -= positive[i]
                want_rows[f] -= 1
                left[i] = False
        for i in np.flatnonzero(fold < 0):
            best = np.flatnonzero(want_rows == want_rows.max())
            f = int(best[0] if len(best) == 1 else rng.choice(best))
            fold[i] = f
            want_rows[f] -= 1
        out = np.empty(n, dtype=int)
        out[order] = fold
        return out


def _best_fold(want_label: np.ndarray, want_rows: np.ndarray, rng: np.random.Generator) -> int:
    import numpy as np

    best = np.flatnonzero(want_label == want_label.max())
    if len(best) > 1:
        rows = want_rows[best]
        best = best[rows == rows.max()]
    return int(best[0] if len(best) == 1 else rng.choice(best))


def make_assignment(
    project: Project, train: pd.DataFrame, y: np.ndarray
) -> tuple[np.ndarray, bool]:
    import numpy as np
    from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold

    cv, spec = project.cv, project.spec
    n = len(train)
    for col in (cv.groups, cv.time):
        if col is not None and col not in train.columns:
            raise ConfigError(
                f"cv: column {col!r} is not in train; its columns include "
                f"{', '.join(map(str, list(train.columns)[:10]))}."
            )
    if cv.time is not None:
        return TimeBlockSplit(cv.n_splits).blocks(_times(train, cv.time)), True
    classify = spec.task in ("binary", "multiclass")
    strat = y if classify else None
    if cv.groups is None and _multilabel(spec, y):
        parts = MultilabelStratifiedKFold(cv.n_splits, shuffle=True, random_state=cv.seed).split(
            np.zeros(n), y
        )
    elif cv.groups is not None:
        groups = train[cv.groups].astype(str).fillna("<NA>").to_numpy()
        if len(np.unique(groups)) < cv.n_splits:
            raise TrainError(f"cv.groups {cv.groups!r} has fewer groups than cv.n_splits.")
        splitter = (
            StratifiedGroupKFold(cv.n_splits, shuffle=True, random_state=cv.seed)
            if classify
            else GroupKFold(cv.n_splits, shuffle=True, random_state=cv.seed)
        )
        parts = splitter.split(np.zeros(n), strat, groups)
    elif classify:
        smallest = np.bincount(y.astype(int)).min()
        if smallest < cv.n_splits:
            raise TrainError(
                f"The rarest class has only {smallest} rows, fewer than cv.n_splits="
                f"{cv.n_splits}: lower cv.n_splits in kstarter.yaml."
            )
        parts = StratifiedKFold(cv.n_splits, shuffle=True, random_state=cv.seed).split(
            np.zeros(n), y
        )
    else:
        parts = KFold(cv.n_splits, shuffle=True, random_state=cv.seed).split(np.zeros(n))
    assignment = np.full(n, -1, dtype=int)
    for k, (_, valid) in enumerate(parts):
        assignment[valid] = k
    return assignment, False


def _multilabel(spec: Spec, y: np.ndarray) -> bool:
    """Several binary targets (multi-label): stratify every label at once."""
    import numpy as np

    return spec.task == "multitarget" and y.ndim == 2 and bool(np.isin(y, (0, 1)).all())


def _times(train: pd.DataFrame, column: str) -> pd.Series:
    """cv.time's column as values that order: numbers or datetimes."""
    times = train[column]
    return times if _is_orderable(times) else _parse_times(times)


def _is_orderable(s: pd.Series) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s)


def _parse_times(s: pd.Series) -> pd.Series:
    """Dates as the raw file holds them (ISO or one other format; see kstarter.columns)."""
    from kstarter.columns import parse_dates

    try:
        parsed = parse_dates(s)
    except (ValueError, TypeError):
        parsed = None
    if parsed is None or parsed.isna().sum() > s.isna().sum():
        raise TrainError(
            f"cv.time column {s.name!r} is neither numeric nor dates pandas can read; convert "
            "it in features.py or choose another column."
        )
    return parsed


def load_or_make_folds(
    project: Project, train: pd.DataFrame, y: np.ndarray, refold: bool = False
) -> Folds:
    """The project's folds: read folds.csv, or make and save it on the first run / --refold."""
    path = project.path(paths.FOLDS)
    meta_path = project.path(paths.FOLDS_META)
    wanted = project.cv.fingerprint()
    if path.exists() and not refold:
        meta = _read_meta(meta_path)
        if meta is not None and meta["cv"] != wanted:
            raise ConfigError(
                "The cv: section of kstarter.yaml changed since folds.csv was made "
                f"(was {meta['cv']}): runs on different folds are not comparable. Run "
                "`kstarter train --refold` to make new folds, or restore the old cv settings."
            )
        return _read(path, train, project, meta)
    assignment, time_ordered = make_assignment(project, train, y)
    _write(path, meta_path, assignment, time_ordered, train, project, wanted)
    return _read(path, train, project, {"time_ordered": time_ordered})


def _read_meta(meta_path: Path) -> dict[str, Any] | None:
    """.kstarter/folds.json (the cv settings the folds were made with), None when absent."""
    if not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except ValueError as exc:  # cut short, edited, not UTF-8
        raise _damaged(paths.FOLDS_META, exc) from None
    if not isinstance(meta, dict) or not isinstance(meta.get("cv"), str):
        raise _damaged(paths.FOLDS_META, "not the cv settings kstarter writes")
    return meta


def _damaged(name: str, what: object) -> ConfigError:
    shown = str(what).splitlines()[0] if str(what) else type(what).__name__
    return ConfigError(
        f"{name} is damaged ({shown}): run `kstarter train --refold` to make the folds again "
        "(runs made on the old folds stay listed, marked as on other folds)."
    )


def _write(
    path: Path,
    meta_path: Path,
    assignment: np.ndarray,
    time_ordered: bool,
    train: pd.DataFrame,
    project: Project,
    wanted: str,
) -> None:
    import pandas as pd

    frame = pd.DataFrame({"row": range(len(train))})
    if project.spec.id is not None and project.spec.id in train.columns:
        frame[project.spec.id] = train[project.spec.id].to_numpy()
    frame["fold"] = assignment
    atomic_write_bytes(path, frame.to_csv(index=False, lineterminator="\n").encode())
    meta = {"cv": wanted, "time_ordered": time_ordered, "rows": len(train)}
    atomic_write_text(meta_path, json.dumps(meta, indent=2))


def _read(path: Path, train: pd.DataFrame, project: Project, meta: dict[str, Any] | None) -> Folds:
    import numpy as np
    import pandas as pd

    data = path.read_bytes()
    try:
        frame = pd.read_csv(path)
        if "fold" in frame.columns:
            frame["fold"] = frame["fold"].astype(int)
    except (ValueError, TypeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _damaged(paths.FOLDS, exc) from None
    if "fold" not in frame.columns:
        raise _damaged(paths.FOLDS, "no fold column")
    if len(frame) != len(train) and meta is not None and meta.get("rows") == len(train):
        raise _damaged(paths.FOLDS, f"{len(frame)} rows where it was made with {len(train)}")
    if len(frame) != len(train):
        raise ConfigError(
            f"folds.csv has {len(frame)} rows but train has {len(train)}: the data changed. "
            "Run `kstarter train --refold`."
        )
    assignment = frame["fold"].to_numpy(dtype=int)
    time_ordered = bool(meta and meta.get("time_ordered"))
    if not time_ordered and (assignment < 0).any():
        raise ConfigError("folds.csv has rows without a fold: run `kstarter train --refold`.")
    if len(np.unique(assignment[assignment >= 0])) < 2:
        raise ConfigError("folds.csv has fewer than two folds: run `kstarter train --refold`.")
    gap = project.cv.gap if time_ordered else 0
    rank = time_rank(_times(train, str(project.cv.time))) if gap and project.cv.time else None
    return Folds(assignment, time_ordered, hashlib.sha256(data).hexdigest()[:16], gap, rank)
