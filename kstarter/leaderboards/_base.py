"""The one thing every leaderboard does: score a run's submission and say what to record."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from kstarter.errors import SubmissionError

if TYPE_CHECKING:
    from pathlib import Path

    from kstarter.config import Project
    from kstarter.runs import RunRecord, SubmissionEntry

__all__ = ["Leaderboard", "LeaderboardOptions", "LeaderboardError"]


@dataclass(frozen=True)
class LeaderboardOptions:
    """How to submit. ``message`` says what the submission tries; ``wait``, ``poll_seconds``
    and ``progress`` govern a wait for the score where scoring takes time (Kaggle; env
    ``KSTARTER_POLL_SECONDS`` overrides ``poll_seconds``); ``left_today`` is kstarter's own
    count of the submissions left today before this one (None: no limit known), recorded by a
    leaderboard that cannot ask for its own count. ``kernel`` is the notebook version
    (OWNER/SLUG/VERSION) whose output the file is, for a code competition (``submit
    --kernel``): Kaggle takes that version's output, never an uploaded file."""

    message: str = ""
    wait: bool = True
    progress: Callable[[str], None] | None = None
    poll_seconds: float = 5.0
    left_today: int | None = None
    kernel: str | None = None


class LeaderboardError(SubmissionError):
    """A submission reached the leaderboard and failed there (an upload that broke, a file it
    could not score); ``entry`` records the attempt on the run, with status ERROR or PENDING."""

    def __init__(self, message: str, entry: SubmissionEntry) -> None:
        super().__init__(message)
        self.entry = entry


class Leaderboard(abc.ABC):
    """Where a run's submission is scored: a practice answer key, or Kaggle.

    The contract, checked for every implementation by
    ``tests/leaderboards/test_leaderboard_contract.py``:

    - ``daily_limit`` is the submissions allowed a day, an int, or None when unknown.
      ``limit_text`` names whose limit it is, in the sentence that refuses one more.
    - :meth:`submit` takes a submission file that ``kstarter submit`` has already validated
      against the sample (and a budget it has already checked), scores or uploads it, and
      returns the :class:`~kstarter.runs.SubmissionEntry` to record on the run, with at least
      ``date``, ``message``, ``where``, ``status`` (COMPLETE, PENDING or ERROR), ``cv``,
      ``public`` and ``private`` (floats when COMPLETE, else None) and ``remaining_today``;
      a board that has the scored rows adds ``public_se`` and ``private_se``, the scores'
      bootstrap standard errors.
    - A submission that reached the leaderboard and failed there raises
      :class:`LeaderboardError` carrying its entry (status ERROR, no score), for the caller
      to record before the error is shown. A problem found before anything was submitted
      (credentials, rules, no submissions left) raises another
      :class:`~kstarter.errors.KstarterError` and leaves nothing to record.
    """

    daily_limit: int | None
    limit_text: ClassVar[str]

    @abc.abstractmethod
    def submit(
        self, project: Project, run: RunRecord, path: Path, options: LeaderboardOptions
    ) -> SubmissionEntry:
        """Score or upload ``path``, the run's validated submission; return the entry."""
