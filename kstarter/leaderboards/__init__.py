"""Where a run's submission is scored: a practice competition's answer key, or Kaggle.

Every leaderboard is a :class:`Leaderboard` (contract in ``_base``); :func:`get_leaderboard`
picks a project's from its spec.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kstarter.leaderboards._base import Leaderboard, LeaderboardError, LeaderboardOptions
from kstarter.leaderboards._kaggle import KaggleLeaderboard
from kstarter.leaderboards._practice import (
    PRACTICE_DAILY_LIMIT,
    PracticeLeaderboard,
    score_against_key,
)
from kstarter.sources import kaggle_slug, practice_name

if TYPE_CHECKING:
    from kstarter.spec import Spec

__all__ = [
    "Leaderboard",
    "LeaderboardOptions",
    "LeaderboardError",
    "PracticeLeaderboard",
    "PRACTICE_DAILY_LIMIT",
    "score_against_key",
    "KaggleLeaderboard",
    "get_leaderboard",
]


def get_leaderboard(spec: Spec) -> Leaderboard:
    """The leaderboard of a project's competition, from its ``source``: a practice competition
    scores against its answer key (``competition.daily_limit``, else PRACTICE_DAILY_LIMIT, a
    day); any other project submits to Kaggle (the daily limit Kaggle gave at init, if any)."""
    practice = practice_name(spec.source)
    if practice is not None:
        limit = PRACTICE_DAILY_LIMIT if spec.daily_limit is None else spec.daily_limit
        return PracticeLeaderboard(practice, _count(limit))
    return KaggleLeaderboard(kaggle_slug(spec.source, spec.name), _count(spec.daily_limit))


def _count(limit: int | None) -> int | None:
    return int(limit) if limit else None  # 0 or missing: no limit known
