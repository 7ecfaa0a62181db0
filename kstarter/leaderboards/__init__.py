"""Where a run's submission is scored: a practice competition's answer key, or Kaggle.

Every leaderboard is a :class:`Leaderboard` (contract in ``_base``); :func:`get_leaderboard`
picks a project's from its spec. A project made from a folder or a zip has none; any project can
score a run against the user's own answer key (``_answers``), scored as the practice board
scores (``_scoring``, with the bootstrap standard error).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kstarter.errors import SubmissionError
from kstarter.leaderboards._answers import read_answers, score_answers
from kstarter.leaderboards._base import Leaderboard, LeaderboardError, LeaderboardOptions
from kstarter.leaderboards._kaggle import KaggleLeaderboard
from kstarter.leaderboards._practice import (
    PRACTICE_DAILY_LIMIT,
    PracticeLeaderboard,
    key_rows,
    score_against_key,
    score_key_parts,
)
from kstarter.leaderboards._scoring import Scored
from kstarter.sources import is_local, kaggle_slug, practice_name

if TYPE_CHECKING:
    from kstarter.spec import Spec

__all__ = [
    "Leaderboard",
    "LeaderboardOptions",
    "LeaderboardError",
    "PracticeLeaderboard",
    "PRACTICE_DAILY_LIMIT",
    "score_against_key",
    "score_key_parts",
    "key_rows",
    "Scored",
    "read_answers",
    "score_answers",
    "KaggleLeaderboard",
    "get_leaderboard",
]


def get_leaderboard(spec: Spec) -> Leaderboard:
    """The leaderboard of a project's competition, from its ``source``: a practice competition
    scores against its answer key (``competition.daily_limit``, else PRACTICE_DAILY_LIMIT, a
    day); a Kaggle project submits to Kaggle (the daily limit Kaggle gave at init, if any); a
    project made from a folder or a zip has no leaderboard: that is said in one sentence."""
    if is_local(spec.source):
        raise SubmissionError(
            f"This project was made from {spec.source}, a local folder or zip, not from a Kaggle "
            "competition, so there is no leaderboard to upload to: check the submission with "
            "`kstarter submit --dry-run`, score it against your own answers with `kstarter "
            "submit --answers KEY.csv`, or, if these are a Kaggle competition's files, set "
            "competition.source to kaggle/<competition-name> in kstarter.yaml to submit there."
        )
    practice = practice_name(spec.source)
    if practice is not None:
        limit = PRACTICE_DAILY_LIMIT if spec.daily_limit is None else spec.daily_limit
        return PracticeLeaderboard(practice, _count(limit))
    return KaggleLeaderboard(kaggle_slug(spec.source, spec.name), _count(spec.daily_limit))


def _count(limit: int | None) -> int | None:
    return int(limit) if limit else None  # 0 or missing: no limit known
