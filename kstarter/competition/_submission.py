"""A submission exactly like the sample: same columns, same ids in the same order, the train's
own label encoding, valid probabilities, no NaN or inf. The validator names the first
difference and runs before any submission file is written or uploaded."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter.competition._labels import decode_labels
from kstarter.errors import SubmissionError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.metrics import Decision, Metric
    from kstarter.spec import Spec

__all__ = ["build_submission", "validate_submission", "read_submission", "test_positions"]


def test_positions(spec: Spec, sample: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """For each sample row, the test row it predicts."""
    import numpy as np
    import pandas as pd

    if spec.id is None:
        return np.arange(len(test))
    index = pd.Index(test[spec.id].astype(str))
    pos = index.get_indexer(pd.Index(sample[spec.sample_id].astype(str)))
    if (pos < 0).any():
        missing = sample[spec.sample_id].iloc[int(np.flatnonzero(pos < 0)[0])]
        raise SubmissionError(
            f"Sample id {missing!r} is not in data/{spec.files.test}: the sample and test files "
            "disagree; re-download the competition."
        )
    return pos


def build_submission(
    spec: Spec, metric: Metric, sample: pd.DataFrame, raw: np.ndarray, decision: Decision
) -> pd.DataFrame:
    """``raw`` is the model's test output in sample row order."""
    import numpy as np
    import pandas as pd

    sub = pd.DataFrame({spec.sample_id: sample[spec.sample_id].to_numpy()})
    lo, hi = metric.clip_proba, 1 - metric.clip_proba
    if spec.kind == "label":
        sub[spec.pred_columns[0]] = decode_labels(spec, decision.apply(raw))
    elif spec.kind == "class_proba":
        p = np.clip(np.asarray(raw, dtype=float), lo, hi)
        p = p / p.sum(axis=1, keepdims=True)
        for j, col in enumerate(spec.pred_columns):
            sub[col] = p[:, j]
    else:
        values = np.asarray(raw, dtype=float).reshape(len(sub), -1)
        if spec.kind == "proba":
            values = np.clip(values, lo, hi)
        for j, col in enumerate(spec.pred_columns):
            sub[col] = values[:, j]
    return sub


def read_submission(path: Path) -> pd.DataFrame:
    import pandas as pd

    try:  # the ids as written, to compare with the sample's text (a lost 0 is a difference)
        return pd.read_csv(path, converters={0: str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SubmissionError(f"{path} cannot be read as CSV ({exc}).") from None


def validate_submission(sub: pd.DataFrame, sample: pd.DataFrame, spec: Spec) -> None:
    """Raise SubmissionError at the first way ``sub`` differs from what the sample asks for."""
    _same_columns(sub, sample)
    if len(sub) != len(sample):
        raise SubmissionError(f"The submission has {len(sub)} rows; the sample has {len(sample)}.")
    ids, want = sub.iloc[:, 0].astype(str).to_numpy(), sample.iloc[:, 0].astype(str).to_numpy()
    bad = (ids != want).nonzero()[0]
    if len(bad):
        i = int(bad[0])
        raise SubmissionError(
            f"Row {i + 1} has {sub.columns[0]} {ids[i]} where the sample has {want[i]}: "
            "ids must be the sample's, in the sample's order."
        )
    for col in spec.pred_columns:
        _check_column(sub[col], col, spec)
    if spec.kind == "class_proba":
        total = sub[list(spec.pred_columns)].sum(axis=1)
        off = (total - 1).abs() > 1e-6
        if off.any():
            i = int(off.to_numpy().nonzero()[0][0])
            raise SubmissionError(
                f"Row {i + 1}: class probabilities sum to {total.iloc[i]:.6f}, not 1."
            )


def _same_columns(sub: pd.DataFrame, sample: pd.DataFrame) -> None:
    got, want = [str(c) for c in sub.columns], [str(c) for c in sample.columns]
    for i in range(max(len(got), len(want))):
        g = got[i] if i < len(got) else None
        w = want[i] if i < len(want) else None
        if g != w:
            raise SubmissionError(
                f"Column {i + 1} is {g!r} where the sample has {w!r}: a submission needs exactly "
                f"the sample's columns ({', '.join(want)}), in that order."
            )


def _check_column(col: pd.Series, name: str, spec: Spec) -> None:
    import numpy as np
    import pandas as pd

    if col.isna().any():
        i = int(col.isna().to_numpy().nonzero()[0][0])
        raise SubmissionError(f"Column {name!r} is empty at row {i + 1}: every row needs a value.")
    if spec.kind == "label":
        allowed = {_label_text(c) for c in decode_labels(spec, np.arange(spec.n_classes))}
        text = col.map(_label_text)
        bad = ~text.isin(allowed)
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise SubmissionError(
                f"Column {name!r} row {i + 1} holds {col.iloc[i]!r}, not one of the train's "
                f"labels ({', '.join(sorted(allowed))})."
            )
        return
    if not pd.api.types.is_numeric_dtype(col):
        raise SubmissionError(f"Column {name!r} must hold numbers; found {col.dtype}.")
    values = col.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        i = int((~np.isfinite(values)).nonzero()[0][0])
        raise SubmissionError(f"Column {name!r} row {i + 1} is {values[i]}: values must be finite.")
    if spec.kind in ("proba", "class_proba") and ((values < 0) | (values > 1)).any():
        i = int(((values < 0) | (values > 1)).nonzero()[0][0])
        raise SubmissionError(
            f"Column {name!r} row {i + 1} is {values[i]}, not a probability in [0, 1]."
        )


def _label_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)
