"""Practice competitions: real datasets shipped inside installed packages, laid out like Kaggle.

``build(name, dest)`` writes ``train.csv``, ``test.csv``, a sample submission and
``description.md`` into ``dest``, exactly as a Kaggle download looks. The true answers for the
test rows are held back, like Kaggle's solution file: ``answer_key(name)`` returns them with a
``Usage`` column (``Public``/``Private``) and ``build`` never writes them.

How a competition is made from the source table (all driven by one ``numpy`` Generator seeded
with ``seed``, so the same seed gives the same files byte for byte):

1. rows are shuffled;
2. a quarter of them go to test, per class for classification (stratified), or, for a
   competition with groups (rows of one crash, say), whole groups in shuffled order;
3. ids number train rows ``0..n_train-1`` and then test rows, in shuffled order;
4. about 30% of the test rows are marked ``Public`` in the answer key, the rest ``Private``.

The answer key holds the sample's id column, the true target(s) and ``Usage``. Its target
column is the sample's prediction column holding the true label in train's encoding (``label``
and ``value`` submissions, and ``proba`` ones, whose targets are 0/1), except for ``class_proba``
submissions (one probability column per class), where it is the train's target column holding
the class name. ``answer_key_columns(name)`` gives those columns without loading any data.

The competitions themselves (datasets, targets, metrics, descriptions) are the catalog,
:mod:`kstarter.sources._catalog`. :class:`PracticeSource` is the :class:`~kstarter.sources.Source`
that builds one into a project's data folder. pandas and numpy are imported only when data is
built.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter.competition import Meta
from kstarter.errors import SourceError
from kstarter.sources._base import Source
from kstarter.sources._catalog import (
    METRIC_TEXT,
    PracticeCompetition,
    PracticeInfo,
    find_competition,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "PracticeSource",
    "build",
    "answer_key",
    "answer_key_columns",
    "TEST_FRACTION",
    "PUBLIC_FRACTION",
]

TEST_FRACTION = 0.25  # share of rows in test (per class for classification)
PUBLIC_FRACTION = 0.3  # share of test rows on the public leaderboard


@dataclass(frozen=True)
class PracticeSource(Source):
    """A practice competition, ``practice/<name>``: built offline from an installed package."""

    name: str

    def fetch(self, data_dir: Path) -> Meta:
        info = build(self.name, data_dir)
        return Meta(
            name=info.name,
            source=f"practice/{info.name}",
            title=info.title,
            metric=info.metric,
        )


def answer_key_columns(name: str) -> tuple[str, ...]:
    """The columns of ``answer_key(name)``: the sample's id, the true target(s), ``Usage``."""
    comp = find_competition(name)
    truth = comp.target if comp.kind == "class_proba" else comp.sub_target
    return (comp.sub_id, truth, "Usage")


# ---------------------------------------------------------------------------------------------
# Building: split, ids, sample, answer key, description.


@dataclass(frozen=True)
class _Frames:
    train: pd.DataFrame
    test: pd.DataFrame
    sample: pd.DataFrame
    solution: pd.DataFrame


def _check_seed(seed: int) -> int:
    try:
        value = operator.index(seed)
    except TypeError:
        value = -1
    if isinstance(seed, bool) or value < 0:
        raise SourceError(f"The practice seed must be a non-negative integer, got {seed!r}.")
    return value


def _integral_to_int(df: pd.DataFrame) -> pd.DataFrame:
    """Write whole-number float columns as integers (``181``, not ``181.0``), keeping NAs."""
    import numpy as np

    out = df.copy()
    for col in out.columns:
        values = out[col]
        if values.dtype.kind == "f" and np.all(np.mod(values.dropna(), 1) == 0):
            out[col] = values.astype("int64" if values.notna().all() else "Int64")
    return out


def _test_mask(comp: PracticeCompetition, df: pd.DataFrame) -> np.ndarray:
    """Pick the test rows of an already shuffled table: the first quarter of each class, or,
    for a competition with groups, the first whole groups that make a quarter of the rows."""
    import numpy as np

    if comp.group is not None:
        return _group_test_mask(df[comp.group])
    mask = np.zeros(len(df), dtype=bool)
    if comp.info.task == "regression":
        groups = [np.arange(len(df))]
    else:
        y = df[comp.target].to_numpy()
        groups = [np.flatnonzero(y == cls) for cls in sorted(set(y.tolist()))]
    for rows in groups:
        mask[rows[: round(len(rows) * TEST_FRACTION)]] = True
    return mask


def _group_test_mask(groups: pd.Series) -> np.ndarray:
    """Whole groups, in the order they first appear in the shuffled rows, while their rows
    add up to at most a quarter of the table: no group is on both sides."""
    import numpy as np
    import pandas as pd

    codes, _ = pd.factorize(groups, use_na_sentinel=False)  # numbered in order of appearance
    rows_so_far = np.cumsum(np.bincount(codes))
    return (rows_so_far <= round(len(groups) * TEST_FRACTION))[codes]


def _split(
    comp: PracticeCompetition, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, np.random.Generator]:
    """Shuffle, split and number the rows; returns train, test (with target) and the Generator."""
    import numpy as np

    rng = np.random.default_rng(seed)
    df = _integral_to_int(comp.load())
    df = df.iloc[rng.permutation(len(df))].reset_index(drop=True)
    mask = _test_mask(comp, df)
    train = df[~mask].reset_index(drop=True)
    test = df[mask].reset_index(drop=True)
    if comp.id_col is not None:
        train.insert(0, comp.id_col, np.arange(len(train), dtype="int64"))
        test.insert(0, comp.id_col, np.arange(len(train), len(df), dtype="int64"))
    return train, test, rng


def _sample(comp: PracticeCompetition, ids: np.ndarray, classes: list[Any]) -> pd.DataFrame:
    """Kaggle's placeholder: 0.5 / 0.0 / the first class / 1/k for each class column."""
    import pandas as pd

    sample = pd.DataFrame({comp.sub_id: ids})
    if comp.kind == "class_proba":
        for cls in classes:
            sample[str(cls)] = 1 / len(classes)
    elif comp.kind == "proba":
        sample[comp.sub_target] = 0.5
    elif comp.kind == "value":
        sample[comp.sub_target] = 0.0
    else:
        sample[comp.sub_target] = classes[0]
    return sample


def _frames(comp: PracticeCompetition, seed: int) -> _Frames:
    import numpy as np
    import pandas as pd

    train, test, rng = _split(comp, _check_seed(seed))
    if comp.id_col is None:
        ids = np.arange(1, len(test) + 1, dtype="int64")
    else:
        ids = test[comp.id_col].to_numpy()
    classes = [] if comp.kind == "value" else sorted(set(train[comp.target].tolist()))
    truth_col = answer_key_columns(comp.info.name)[1]
    public = np.zeros(len(test), dtype=bool)
    public[rng.permutation(len(test))[: round(len(test) * PUBLIC_FRACTION)]] = True
    solution = pd.DataFrame(
        {
            comp.sub_id: ids,
            truth_col: test[comp.target].to_numpy(),
            "Usage": np.where(public, "Public", "Private"),
        }
    )
    return _Frames(
        train=train,
        test=test.drop(columns=comp.target),
        sample=_sample(comp, ids, classes),
        solution=solution,
    )


def answer_key(name: str, seed: int = 0) -> pd.DataFrame:
    """The held-back solution for ``build(name, dest, seed)``'s test rows, in sample order."""
    return _frames(find_competition(name), seed).solution


def build(name: str, dest: Path, seed: int = 0) -> PracticeInfo:
    """Write train.csv, test.csv, the sample submission and description.md into ``dest``."""
    comp = find_competition(name)
    frames = _frames(comp, seed)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for file_name, frame in (
        ("train.csv", frames.train),
        ("test.csv", frames.test),
        (comp.sample_name, frames.sample),
    ):
        frame.to_csv(dest / file_name, index=False, lineterminator="\n", encoding="utf-8")
    text = _description(comp, frames)
    (dest / "description.md").write_text(text, encoding="utf-8", newline="\n")
    return comp.info


# ---------------------------------------------------------------------------------------------
# description.md


def _submission_sentence(comp: PracticeCompetition, frames: _Frames) -> str:
    cols = [str(c) for c in frames.sample.columns[1:]]
    if comp.kind == "proba":
        return (
            f"For each `{comp.sub_id}` in the test set, predict the probability that "
            f"`{cols[0]}` is 1."
        )
    if comp.kind == "class_proba":
        names = ", ".join(f"`{c}`" for c in cols)
        return (
            f"For each `{comp.sub_id}` in the test set, predict a probability for each "
            f"`{comp.target}` ({names}), one column per class."
        )
    if comp.kind == "value":
        return f"For each `{comp.sub_id}` in the test set, predict the value of `{cols[0]}`."
    labels = sorted({str(v) for v in frames.solution.iloc[:, 1]})
    return (
        f"For each `{comp.sub_id}` in the test set, predict `{cols[0]}`, written as in "
        f"train.csv ({', '.join(labels)})."
    )


def _data_section(comp: PracticeCompetition, frames: _Frames) -> str:
    n_features = frames.test.shape[1] - (comp.id_col is not None)
    id_text = f"the id `{comp.id_col}`, " if comp.id_col else "no id column, "
    return (
        "## Data\n\n"
        f"- `train.csv`: {len(frames.train)} rows with {id_text}{n_features} feature columns "
        f"and the target `{comp.target}`.\n"
        f"- `test.csv`: {len(frames.test)} rows, the same columns without the target.\n"
        f"- `{comp.sample_name}`: a sample submission in the correct format.\n"
    )


def _description(comp: PracticeCompetition, frames: _Frames) -> str:
    info = comp.info
    example = frames.sample.head(3).to_csv(index=False, lineterminator="\n")
    return (
        f"# {info.title}\n\n{info.summary}\n\n## Overview\n\n{comp.about}\n\n"
        f"{_data_section(comp, frames)}\n"
        "## Evaluation\n\n"
        f"Submissions are evaluated on **{info.metric}**, {METRIC_TEXT[info.metric]}.\n\n"
        f"{_submission_sentence(comp, frames)} The file has a header and one row per test "
        f"row, like `{comp.sample_name}`:\n\n"
        f"```\n{example}...\n```\n\n"
        "The true answers are held back, as on Kaggle: about 30% of the test rows make the "
        "public score and the rest the private score.\n\n"
        "## Source and licence\n\n"
        f"{info.source}. A kstarter practice competition: built offline from the data file "
        "shipped in that package, shuffled and split with a fixed seed.\n"
    )
