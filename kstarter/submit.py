"""``kstarter submit``: validate a run's submission, check the daily budget, submit it to the
project's leaderboard and record the entry beside the run's CV.

Where the score comes from is the leaderboard's business (:mod:`kstarter.leaderboards`): a
practice competition's held-back answer key, or Kaggle through the official client. A
submission that fails there is recorded on the run (never as a score) before the error is
raised. A project made from a folder or a zip has no leaderboard, and says so.

Two ways that submit nothing, for any project: ``dry_run`` validates the submission against the
sample only; ``answers`` scores it against the user's own answer key and records that local
score (with its standard error) on the run, spending no daily submission.
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
from kstarter.leaderboards import (
    LeaderboardError,
    LeaderboardOptions,
    get_leaderboard,
    read_answers,
    score_answers,
)
from kstarter.metrics import get_metric
from kstarter.paths import RunFiles
from kstarter.prepare import read_sample
from kstarter.runs import (
    LOCAL,
    RunRecord,
    SubmissionEntry,
    ensure_recordable,
    get_run,
    list_runs,
    record_submission,
)

if TYPE_CHECKING:
    import pandas as pd

    from kstarter.config import Project

__all__ = [
    "SubmitOptions",
    "SubmitResult",
    "submit",
    "submitted_today",
    "best_submitted",
    "check_budget",
]


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
    dry_run: bool = False  # validate only: nothing uploaded, nothing recorded
    answers: Path | None = None  # score against this answer key instead of a leaderboard
    kernel: bool = False  # submit the pushed notebook version's output (a code competition)


@dataclass(frozen=True)
class SubmitResult:
    """``entry`` is None for a dry run; ``rows`` the submission's rows, all validated."""

    run: RunRecord
    entry: SubmissionEntry | None
    rows: int = 0


def submit(project_dir: Path | str | None, options: SubmitOptions) -> SubmitResult:
    project = load_project(project_dir)
    if options.dry_run and options.answers is not None:
        raise SubmissionError(
            "--dry-run and --answers do not go together: --answers uploads nothing either "
            "(it records a local score); drop one of them."
        )
    if options.kernel:
        return _submit_kernel(project, options)
    run = get_run(project.root, options.run)
    sample = read_sample(project)  # only the sample: train and test stay unread
    sub_path = run.path / RunFiles.SUBMISSION
    if not sub_path.exists():
        raise SubmissionError(f"Run {run.id} has no submission.csv: train again.")
    sub = read_submission(sub_path)
    validate_submission(sub, sample, project.spec)
    if options.dry_run:
        return SubmitResult(run, None, len(sub))
    if options.answers is not None:
        entry = _score_locally(project, run, sub, options.answers, options.message)
        return SubmitResult(record_submission(project.root, run, entry), entry, len(sub))
    return _to_leaderboard(project, run, sub_path, options, None)


def _submit_kernel(project: Project, options: SubmitOptions) -> SubmitResult:
    """The output of the notebook version ``kstarter kernel push`` pushed last, submitted to
    the competition as that version's (Kaggle's ``competitions submit -k -v``), or scored
    against the practice answer key after a simulated push."""
    from kstarter.kernel import PushOptions, pushed_output

    if options.dry_run or options.answers is not None:
        raise SubmissionError(
            "--kernel submits a pushed notebook's output to the leaderboard; --dry-run and "
            "--answers check a run's own submission.csv: drop one of them."
        )
    get_leaderboard(project.spec)  # a folder or zip project has none: said before any wait
    wait = PushOptions(poll_seconds=options.poll_seconds, progress=options.progress)
    pushed = pushed_output(project, wait)
    run = get_run(project.root, options.run or pushed.run)
    if run.id != pushed.run:
        raise SubmissionError(
            f"The pushed notebook {pushed.ref} predicts with run {pushed.run}, not {run.id}: "
            f"run `kstarter kernel build {run.id}` and `kstarter kernel push` first, or drop "
            "RUN."
        )
    assert pushed.output is not None  # pushed_output returns a version with its output
    sub_path = project.path(pushed.output)
    sub = read_submission(sub_path)
    validate_submission(sub, read_sample(project), project.spec)
    return _to_leaderboard(project, run, sub_path, options, pushed.ref)


def _to_leaderboard(
    project: Project, run: RunRecord, sub_path: Path, options: SubmitOptions, kernel: str | None
) -> SubmitResult:
    rows = len(read_submission(sub_path))  # already validated: the count for the summary
    board = get_leaderboard(project.spec)  # a folder or zip project has none: said here
    left = check_budget(project, run, options.force)
    ensure_recordable(project.root, run)  # an upload that cannot be recorded is never made
    how = LeaderboardOptions(
        message=options.message,
        wait=options.wait,
        progress=options.progress,
        poll_seconds=options.poll_seconds,
        left_today=left,
        kernel=kernel,
    )
    try:
        entry = board.submit(project, run, sub_path, how)
    except LeaderboardError as err:  # it reached the leaderboard: record the attempt first
        record_submission(project.root, run, err.entry)
        raise
    return SubmitResult(record_submission(project.root, run, entry), entry, rows)


def _score_locally(
    project: Project, run: RunRecord, sub: pd.DataFrame, answers: Path, message: str
) -> SubmissionEntry:
    """The run's score against the user's answer key, as a local entry (nothing submitted)."""
    path = Path(answers).expanduser()
    key = read_answers(path, project.spec, str(sub.columns[0]))
    result = score_answers(project.spec, sub, key, path)
    return SubmissionEntry(
        date=datetime.now(UTC).isoformat(timespec="seconds"),
        message=message,
        where=LOCAL,
        status="COMPLETE",
        cv=run.metrics.cv_mean,
        local=result.score,
        local_se=result.se,
        answers=str(path.resolve()),
    )


# ---------------------------------------------------------------- the daily budget


def _counts(entry: SubmissionEntry) -> bool:
    """A submission Kaggle received (scored, waiting, or failed in scoring), not a failed upload
    and not a local score against the user's answer key."""
    if entry.is_local:
        return False
    status = entry.status
    return status in ("COMPLETE", "PENDING") or (status == "ERROR" and bool(entry.ref))


def submitted_today(root: Path, now: datetime | None = None) -> int:
    """Submissions made today, in UTC days (Kaggle resets the count at 00:00 UTC)."""
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
    """Refuse a submission beyond today's limit, and, unless ``force``, a run already
    submitted (the same predictions score the same) or one whose CV is worse than the best
    already submitted. Returns the submissions left today (None: unknown)."""
    board = get_leaderboard(project.spec)
    limit = board.daily_limit
    left = None
    if limit is not None:
        used = submitted_today(project.root)
        left = limit - used
        if left <= 0:
            raise SubmissionError(
                f"You have used all {limit} submissions allowed today ({used} made since "
                f"00:00 UTC; {board.limit_text}): submit again after 00:00 UTC, and meanwhile "
                "trust your CV (`kstarter runs`)."
            )
    before = [e for e in run.submissions if _counts(e)]
    if before and not force:
        last = before[-1]
        scored = f" (public score {last.public})" if last.public is not None else ""
        when = f" on {last.date}" if last.date else ""
        raise SubmissionError(
            f"Run {run.id} was already submitted{when}{scored}: the same predictions get the "
            f"same score{_left(left)}. Pass --force to submit it again."
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
