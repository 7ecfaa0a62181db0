"""The submission validator names the first difference from the sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kstarter.competition import build_submission, validate_submission
from kstarter.errors import SubmissionError
from kstarter.metrics import Decision, get_metric
from kstarter.spec import Spec

SAMPLE = pd.DataFrame({"id": [10, 11, 12], "y": [False, False, False]})
LABELS = Spec(
    name="t", source="t", id="id", sample_id="id", targets=("y",), task="binary",
    kind="label", classes=(False, True), pred_columns=("y",), label_dtype="bool", metric="accuracy",
)  # fmt: skip
PROBS = Spec(
    name="t", source="t", id="id", sample_id="id", targets=("s",), task="multiclass",
    kind="class_proba", classes=("a", "b"), pred_columns=("A", "B"), label_dtype="str",
    metric="mlogloss",
)  # fmt: skip


def test_labels_are_written_in_the_trains_encoding():
    sub = build_submission(
        LABELS,
        get_metric("accuracy"),
        SAMPLE,
        np.array([0.9, 0.1, 0.6]),
        Decision("threshold", 0.5),
    )
    assert sub["y"].tolist() == [True, False, True]
    validate_submission(sub, SAMPLE, LABELS)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda s: s[["y", "id"]], "Column 1 is 'y' where the sample has 'id'"),
        (lambda s: s.rename(columns={"y": "Y"}), "Column 2 is 'Y'"),
        (lambda s: s.iloc[:2], "2 rows; the sample has 3"),
        (
            lambda s: s.iloc[[1, 0, 2]].reset_index(drop=True),
            "Row 1 has id 11 where the sample has 10",
        ),
        (lambda s: s.assign(y=[True, None, False]), "empty at row 2"),
        (lambda s: s.assign(y=[True, "maybe", False]), "row 2 holds 'maybe'"),
    ],
)
def test_label_submission_differences(change, needle):
    good = SAMPLE.assign(y=[True, False, True])
    with pytest.raises(SubmissionError, match=needle.replace("(", r"\(")):
        validate_submission(change(good), SAMPLE, LABELS)


def test_probability_columns():
    sample = pd.DataFrame({"id": [1, 2], "A": [0.5, 0.5], "B": [0.5, 0.5]})
    sub = build_submission(
        PROBS, get_metric("mlogloss"), sample, np.array([[1.0, 0.0], [0.2, 0.8]]), Decision()
    )
    assert (sub[["A", "B"]] > 0).all().all()  # clipped for log loss
    assert np.allclose(sub[["A", "B"]].sum(axis=1), 1)
    validate_submission(sub, sample, PROBS)
    with pytest.raises(SubmissionError, match="sum to"):
        validate_submission(sub.assign(A=[0.5, 0.5]), sample, PROBS)
    with pytest.raises(SubmissionError, match="finite|probability"):
        validate_submission(sub.assign(A=[np.inf, 0.2]), sample, PROBS)
    with pytest.raises(SubmissionError, match="not a probability"):
        validate_submission(sub.assign(A=[1.5, 0.2], B=[-0.5, 0.8]), sample, PROBS)
