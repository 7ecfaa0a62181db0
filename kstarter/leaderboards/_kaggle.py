"""The Kaggle leaderboard: a submission uploaded through the official client, then its score.

The client calls live in :mod:`kstarter.kaggle_client`; this module decides what is sent
(the description Kaggle shows beside the score) and what a run records.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from kstarter.errors import KaggleError
from kstarter.kaggle_client import (
    KaggleSubmissionError,
    KernelOutput,
    SubmissionResult,
    UploadOptions,
    competition_url,
    submit_code,
    submit_file,
)
from kstarter.leaderboards._base import Leaderboard, LeaderboardError, LeaderboardOptions
from kstarter.runs import SubmissionEntry

if TYPE_CHECKING:
    from pathlib import Path

    from kstarter.config import Project
    from kstarter.runs import RunRecord

__all__ = ["KaggleLeaderboard"]


@dataclass(frozen=True)
class KaggleLeaderboard(Leaderboard):
    """The competition ``slug`` on Kaggle; ``daily_limit`` is what Kaggle said at init."""

    slug: str
    daily_limit: int | None = None
    limit_text: ClassVar[str] = "Kaggle's limit"

    def submit(
        self, project: Project, run: RunRecord, path: Path, options: LeaderboardOptions
    ) -> SubmissionEntry:
        """Upload ``path`` and wait for its score unless ``options.wait`` is off (PENDING).

        Kaggle's own count of the submissions left is recorded, not ``options.left_today``.
        """
        spec = project.spec
        if spec.code_competition and options.kernel is None:
            raise KaggleError(
                f"{spec.title or self.slug} is a code competition: Kaggle only takes "
                "submissions made by a notebook running on Kaggle: push one with `kstarter "
                "kernel build && kstarter kernel push`, then `kstarter submit --kernel`, "
                f"instead of uploading {path.name} (or submit at "
                f"{competition_url(self.slug)}/code)."
            )
        description = _description(options.message, run)
        base = SubmissionEntry(
            date=datetime.now(UTC).isoformat(timespec="seconds"),
            message=options.message,
            description=description,
            where="kaggle",
            cv=run.metrics.cv_mean,
            competition=self.slug,
            kernel=options.kernel,
        )
        upload = UploadOptions(
            description=description,
            wait=options.wait,
            poll_seconds=options.poll_seconds,
            progress=options.progress,
        )
        try:
            if options.kernel is None:
                result = submit_file(self.slug, path, upload)
            else:
                kernel, _, version = options.kernel.rpartition("/")
                output = KernelOutput(kernel, int(version), path.name)
                result = submit_code(self.slug, output, upload)
        except KaggleSubmissionError as err:
            raise LeaderboardError(str(err), self._entry(base, err.result)) from None
        return self._entry(base, result)

    def _entry(self, base: SubmissionEntry, result: SubmissionResult) -> SubmissionEntry:
        return replace(
            base,
            status=result.status,
            ref=result.ref,
            public=result.public,
            private=result.private,
            error=result.error,
            remaining_today=result.remaining_today,
        )


def _description(message: str, run: RunRecord) -> str:
    """What Kaggle shows beside the score: the message, the run id and its CV score."""
    parts = [message.strip()] if message.strip() else []
    parts.append(f"run {run.id}")
    cv, metric = run.metrics.cv_mean, run.metrics.metric
    if isinstance(cv, int | float):
        parts.append(" ".join(str(p) for p in ("CV", metric, f"{cv:.5f}") if p))
    return " | ".join(parts)
