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

from kstarter.competition import read_submission, validate_submission
from kstarter.config import load_project
from kstarter.errors import SubmissionError
from kstarter.paths import RunFiles
from kstarter.prepare import read_sample
from kstarter.runs import RunRecord, SubmissionEntry, get_run, record_submission

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.config import Project
    from kstarter.spec import Spec

__all__ = [
    "SubmitOptions",
    "SubmitResult",
    "submit",
    "score_against_key",
    "PRACTICE_DAILY_LIMIT",
    "daily_limit",
    "submitted_today",
    "best_submitted",
    "check_budget",
]

# Kaggle's usual limit, applied to practice competitions unless kstarter.yaml's
# competition.daily_limit says otherwise: a budget is what makes chasing the public board costly.
PRACTICE_DAILY_LIMIT = 5


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
    entry: SubmissionEntry


def submit(project_dir: Path | str | None, options: SubmitOptions) -> SubmitResult:
    project = load_project(project_dir)
    run = get_run(project.root, options.run)
    left = check_budget(project, run, options.force)
    sample = read_sample(project)  # only the sample: train and test stay unread
    sub_path = run.path / RunFiles.SUBMISSION
    if not sub_path.exists():
        raise SubmissionError(f"Run {run.id} has no submission.csv: train again.")
    sub = read_submission(sub_path)
    validate_submission(sub, sample, project.spec)
    if project.spec.source.startswith("practice/"):
        remaining = None if left is None else left - 1
        entry = _score_practice(project.spec, run, sub, options.message, remaining)
    else:
        entry = _submit_kaggle(project, run, sub_path, options)
    return SubmitResult(record_submission(project.root, run, entry), entry)


def _submit_kaggle(
    project: Project, run: RunRecord, sub_path: Path, options: SubmitOptions
) -> SubmissionEntry:
    """Submit to Kaggle; a failed attempt is recorded on the run, then its error raised."""
    from kstarter.kaggle_client import KaggleSubmissionError, submit_to_kaggle

    try:
        return SubmissionEntry.from_json(submit_to_kaggle(project, run, sub_path, options))
    except KaggleSubmissionError as err:
        record_submission(project.root, run, SubmissionEntry.from_json(err.entry))
        raise


def _score_practice(
    spec: Spec, run: RunRecord, sub: pd.DataFrame, message: str, remaining: int | None
) -> SubmissionEntry:
    from kstarter.sources import answer_key

    key = answer_key(spec.source.split("/", 1)[1])
    public, private = score_against_key(spec, sub, key)
    return SubmissionEntry(
        date=datetime.now(UTC).isoformat(timespec="seconds"),
        message=message,
        where="practice",
        status="COMPLETE",
        cv=run.metrics.cv_mean,
        public=public,
        private=private,
        remaining_today=remaining,
    )


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
    from kstarter.competition import encode_target

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

    from kstarter.competition import encode_target

    if spec.kind == "label":
        return encode_target(
            spec, merged[[spec.pred_columns[0]]].set_axis([spec.targets[0]], axis=1)
        )
    values = merged[list(spec.pred_columns)].to_numpy(dtype=float)
    return values if values.shape[1] > 1 else np.ravel(values)


# ---------------------------------------------------------------- the daily budget


def daily_limit(project: Project) -> int | None:
    """Submissions a day: Kaggle's (from its metadata, in competition.daily_limit), a practice
    competition's budget, or None when unknown."""
    limit = project.spec.daily_limit
    if limit is None and project.spec.source.startswith("practice/"):
        return PRACTICE_DAILY_LIMIT
    return int(limit) if limit else None


def _counts(entry: SubmissionEntry) -> bool:
    """A submission Kaggle received (scored, waiting, or failed in scoring), not a failed upload."""
    status = entry.status
    return status in ("COMPLETE", "PENDING") or (status == "ERROR" and bool(entry.ref))


def submitted_today(root: Path, now: datetime | None = None) -> int:
    """Submissions made today, in UTC days (Kaggle resets the count at 00:00 UTC)."""
    from kstarter.runs import list_runs

    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    n = 0
    for run in list_runs(root):
        for entry in run.submissions:
            when = _parse_date(entry.date)
            if when is not None and when.date() == today and _counts(entry):
                n += 1
    return n


def _parse_date(text: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def best_submitted(root: Path, metric_name: str) -> RunRecord | None:
    """The submitted run with the best CV on ``metric_name``."""
    from kstarter.metrics import get_metric
    from kstarter.runs import list_runs

    metric = get_metric(metric_name)
    best = None
    for run in list_runs(root):
        cv = run.metrics.cv_mean
        if run.metrics.metric != metric.name or not isinstance(cv, int | float):
            continue
        if any(_counts(e) for e in run.submissions) and (
            best is None or metric.better(cv, best.metrics.cv_mean)
        ):
            best = run
    return best


def check_budget(project: Project, run: RunRecord, force: bool) -> int | None:
    """Refuse a submission beyond today's limit, and one whose CV is worse than the best
    already submitted unless ``force``. Returns the submissions left today (None: unknown)."""
    from kstarter.metrics import get_metric

    limit = daily_limit(project)
    left = None
    if limit is not None:
        used = submitted_today(project.root)
        left = limit - used
        if left <= 0:
            where = (
                "the practice budget (raise competition.daily_limit in kstarter.yaml to change it)"
                if project.spec.source.startswith("practice/")
                else "Kaggle's limit"
            )
            raise SubmissionError(
                f"You have used all {limit} submissions allowed today ({used} made since "
                f"00:00 UTC; {where}): submit again after 00:00 UTC, and meanwhile trust your "
                "CV (`kstarter runs`)."
            )
    metric = get_metric(project.spec.metric)
    best = best_submitted(project.root, metric.name)
    cv = run.metrics.cv_mean
    if force or best is None or best.id == run.id or not isinstance(cv, int | float):
        return left
    if metric.better(best.metrics.cv_mean, cv):
        higher = "higher" if metric.greater_is_better else "lower"
        raise SubmissionError(
            f"Run {run.id} has CV {metric.name} {cv:.5f}, worse than the "
            f"{best.metrics.cv_mean:.5f} of run {best.id}, already submitted ({higher} is "
            f"better): its public score would tell you little that CV does not{_left(left)}. "
            "Pass --force to submit it anyway."
        )
    return left


def _left(left: int | None) -> str:
    return "" if left is None else f", and it would spend one of the {left} submissions left today"
