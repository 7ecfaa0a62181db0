"""``kstarter submit --answers KEY.csv``: a run scored against the user's own answer key.

For a competition made from a folder or a zip there is no leaderboard, but the user may hold
the test answers (a split of their own data, a finished competition's solution). The key is a
CSV with the sample's id column and the target column(s), the true values written as in
train.csv, one row per test row scored (all of them or some); a practice key's Usage column, if
present, is ignored: every row of the key counts. The score is the competition's metric over the
key's rows, with its bootstrap standard error, scored as the practice board scores.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kstarter.competition import class_codes
from kstarter.errors import MetricError, SubmissionError
from kstarter.leaderboards._scoring import Scored, encode_pred, scored
from kstarter.metrics import get_metric

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.spec import Spec

__all__ = ["read_answers", "score_answers"]

_TRUTH = "__kstarter_truth_{}"  # the key's target columns while merged with the submission


def read_answers(path: Path | str, spec: Spec, id_col: str) -> pd.DataFrame:
    """The key at ``path`` as ``id_col`` (text) and one column per target named as in train;
    a missing file, a missing column, a repeated id or a missing answer is one sentence."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise SubmissionError(f"No answer key {path}: give the CSV of the true test answers.")
    try:
        key = pd.read_csv(path, dtype={id_col: str}, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SubmissionError(f"The answer key {path} cannot be read as CSV ({exc}).") from None
    wanted = _truth_columns(spec, key)
    example = ",".join([id_col, *spec.targets])
    missing = [c for c in (id_col, *wanted.values()) if c is None or c not in key.columns]
    if id_col not in key.columns or missing:
        lacking = id_col if id_col not in key.columns else ", ".join(spec.targets)
        raise SubmissionError(
            f"The answer key {path} has no column {lacking} (its columns: "
            f"{', '.join(map(str, key.columns))}): give a CSV with the header {example}, one "
            "row per test row, the true values written as in train."
        )
    frame = key[[id_col, *wanted.values()]].set_axis([id_col, *wanted], axis=1)
    repeated = frame[id_col][frame[id_col].duplicated()]
    if len(repeated):
        raise SubmissionError(
            f"The answer key {path} has the id {repeated.iloc[0]} twice: one row per test row."
        )
    blank = frame[list(wanted)].isna().any(axis=1)
    if blank.any():
        raise SubmissionError(
            f"The answer key {path} has no answer for {int(blank.sum())} row(s) (first: "
            f"{id_col} {frame[id_col][blank].iloc[0]}): fill them or leave those rows out."
        )
    return frame


def _truth_columns(spec: Spec, key: pd.DataFrame) -> dict[str, str | None]:
    """Each target -> the key's column holding it: the target's own name, else (one target,
    one prediction column) the sample's column name."""
    out: dict[str, str | None] = {}
    for target in spec.targets:
        if target in key.columns:
            out[target] = target
        elif len(spec.targets) == 1 and len(spec.pred_columns) == 1:
            out[target] = spec.pred_columns[0] if spec.pred_columns[0] in key.columns else None
        else:
            out[target] = None
    return out


def score_answers(spec: Spec, sub: pd.DataFrame, key: pd.DataFrame, path: Path) -> Scored:
    """The submission's score (``sub``, already validated against the sample) over the key's
    rows, with its bootstrap standard error."""
    id_col = str(sub.columns[0])
    sub = sub.copy()
    sub[id_col] = sub[id_col].astype(str)
    unknown = key[id_col][~key[id_col].isin(sub[id_col])]
    if len(unknown):
        raise SubmissionError(
            f"The answer key {path} has {len(unknown)} id(s) that are not in the submission "
            f"(first: {unknown.iloc[0]}): the key's {id_col} must be test ids, written as the "
            "sample writes them."
        )
    truth = key.rename(columns={t: _TRUTH.format(i) for i, t in enumerate(spec.targets)})
    merged = truth.merge(sub, on=id_col, how="left")
    answers = merged[[_TRUTH.format(i) for i in range(len(spec.targets))]]
    y_true = _encode_answers(spec, answers, path)
    metric = get_metric(spec.metric)
    try:
        return scored(metric, y_true, encode_pred(spec, merged))
    except (ValueError, MetricError) as err:  # e.g. AUC over a key of one class
        said = " ".join(str(err).split()).rstrip(".")
        raise SubmissionError(
            f"The answer key {path} cannot be scored with {metric.name} ({said}): give more "
            "rows, or rows of every class."
        ) from None


def _encode_answers(spec: Spec, answers: pd.DataFrame, path: Path) -> np.ndarray:
    """The true values as the metric scores them: floats, or class indices in the order of
    competition.classes (labels compared as text, as train's are: 1 == 1.0 == "1")."""
    import numpy as np

    if spec.task in ("regression", "multitarget"):
        try:
            values = answers.to_numpy(dtype=float)
        except (TypeError, ValueError):
            raise SubmissionError(
                f"The answer key {path} has a value that is not a number in "
                f"{', '.join(spec.targets)}: the answers must be numbers, as in train."
            ) from None
        return values if spec.task == "multitarget" else np.ravel(values)
    column = answers.iloc[:, 0]
    codes = class_codes(spec, column)
    if (codes < 0).any():
        raise SubmissionError(
            f"The answer key {path} has the answer {column[codes < 0].iloc[0]!r}, which is "
            f"not a class of {spec.targets[0]!r} ({', '.join(map(str, spec.classes))}): write "
            "the answers as train writes them."
        )
    return codes
