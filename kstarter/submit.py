"""``kstarter submit``: validate a run's submission, score it, record the score beside its CV.

On a practice competition the score comes from the held-back answer key, split into a public
and a private part like a Kaggle leaderboard; the private score is kept for ``runs --private``.
Any other project is submitted to Kaggle through the official client
(:func:`kstarter.kaggle_source.submit_to_kaggle`): a submission that fails there is recorded on
the run as an ERROR (never as a score) before the error is raised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter.config import load_project
from kstarter.errors import SubmissionError
from kstarter.prepare import load_tables
from kstarter.runs import RunRecord, get_run, record_submission
from kstarter.submission import read_submission, validate_submission

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.config import Project
    from kstarter.spec import Spec

__all__ = ["SubmitOptions", "SubmitResult", "submit", "score_against_key"]


@dataclass(frozen=True)
class SubmitOptions:
    """What to submit and how. ``progress`` gets the lines shown while uploading and waiting
    (Kaggle only); ``poll_seconds`` is the wait between score checks (env
    ``KSTARTER_POLL_SECONDS`` overrides it)."""

    run: str | None = None
    message: str = ""
    wait: bool = True
    force: bool = False
    progress: Callable[[str], None] | None = None
    poll_seconds: float = 5.0


@dataclass(frozen=True)
class SubmitResult:
    run: RunRecord
    entry: dict[str, Any]


def submit(project_dir: Path | str | None, options: SubmitOptions) -> SubmitResult:
    project = load_project(project_dir)
    run = get_run(project.root, options.run)
    tables = load_tables(project)
    sub_path = run.path / "submission.csv"
    if not sub_path.exists():
        raise SubmissionError(f"Run {run.id} has no submission.csv: train again.")
    sub = read_submission(sub_path)
    validate_submission(sub, tables.sample, project.spec)
    if project.spec.source.startswith("practice/"):
        entry = _score_practice(project.spec, run, sub, options.message)
    else:
        entry = _submit_kaggle(project, run, sub_path, options)
    return SubmitResult(record_submission(project.root, run, entry), entry)


def _submit_kaggle(
    project: Project, run: RunRecord, sub_path: Path, options: SubmitOptions
) -> dict[str, Any]:
    """Submit to Kaggle; a failed attempt is recorded on the run, then its error raised."""
    from kstarter.kaggle_source import KaggleSubmissionError, submit_to_kaggle

    try:
        return submit_to_kaggle(project, run, sub_path, options)
    except KaggleSubmissionError as err:
        record_submission(project.root, run, err.entry)
        raise


def _score_practice(spec: Spec, run: RunRecord, sub: pd.DataFrame, message: str) -> dict[str, Any]:
    from kstarter.practice import answer_key

    key = answer_key(spec.source.split("/", 1)[1])
    public, private = score_against_key(spec, sub, key)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "message": message,
        "where": "practice",
        "status": "COMPLETE",
        "cv": run.metrics.get("cv_mean"),
        "public": public,
        "private": private,
    }


def score_against_key(spec: Spec, sub: pd.DataFrame, key: pd.DataFrame) -> tuple[float, float]:
    """Public and private scores of a submission against an answer key with a Usage column."""
    from kstarter.metrics import get_metric

    metric = get_metric(spec.metric)
    id_col = spec.sample_id
    merged = key.merge(sub, on=id_col, how="left", suffixes=("_true", ""))
    truth_cols = [c for c in key.columns if c not in (id_col, "Usage")]
    y_true = _encode_truth(spec, merged, truth_cols)
    y_pred = _encode_pred(spec, merged)
    scores = []
    for usage in ("Public", "Private"):
        mask = (merged["Usage"] == usage).to_numpy()
        scores.append(float(metric.score(y_true[mask], y_pred[mask])))
    return scores[0], scores[1]


def _encode_truth(spec: Spec, merged: pd.DataFrame, truth_cols: list[str]) -> np.ndarray:
    from kstarter.prepare import encode_target

    cols = [f"{c}_true" if f"{c}_true" in merged.columns else c for c in truth_cols]
    if spec.task == "multitarget":
        frame = merged[cols].set_axis(list(spec.targets), axis=1)
    else:
        frame = merged[[cols[0]]].set_axis([spec.targets[0]], axis=1)
    if spec.kind == "proba" and spec.task == "binary":
        return frame.iloc[:, 0].to_numpy(dtype=int)
    return encode_target(spec, frame)


def _encode_pred(spec: Spec, merged: pd.DataFrame) -> np.ndarray:
    import numpy as np

    from kstarter.prepare import encode_target

    if spec.kind == "label":
        return encode_target(
            spec, merged[[spec.pred_columns[0]]].set_axis([spec.targets[0]], axis=1)
        )
    values = merged[list(spec.pred_columns)].to_numpy(dtype=float)
    return values if values.shape[1] > 1 else np.ravel(values)
