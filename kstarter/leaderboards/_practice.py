"""The practice leaderboard: a submission scored against the held-back answer key.

The key's ``Usage`` column splits the test rows into a public part (the score shown) and a
private part (kept for ``kstarter runs --private``), like a Kaggle leaderboard.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from kstarter.competition import encode_target, read_submission
from kstarter.leaderboards._base import Leaderboard, LeaderboardError, LeaderboardOptions
from kstarter.leaderboards._scoring import Scored, encode_pred, scored
from kstarter.metrics import get_metric
from kstarter.runs import SubmissionEntry
from kstarter.sources import answer_key

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from kstarter.config import Project
    from kstarter.runs import RunRecord
    from kstarter.spec import Spec

__all__ = [
    "PracticeLeaderboard",
    "PRACTICE_DAILY_LIMIT",
    "score_against_key",
    "score_key_parts",
    "key_rows",
]

# Kaggle's usual limit, applied to practice competitions unless kstarter.yaml's
# competition.daily_limit says otherwise: a budget is what makes chasing the public board costly.
PRACTICE_DAILY_LIMIT = 5


@dataclass(frozen=True)
class PracticeLeaderboard(Leaderboard):
    """The answer key of the practice competition ``name``; scores come back at once."""

    name: str
    daily_limit: int | None = PRACTICE_DAILY_LIMIT
    limit_text: ClassVar[str] = (
        "the practice budget (raise competition.daily_limit in kstarter.yaml to change it)"
    )

    def submit(
        self, project: Project, run: RunRecord, path: Path, options: LeaderboardOptions
    ) -> SubmissionEntry:
        key = answer_key(self.name)
        entry = SubmissionEntry(
            date=datetime.now(UTC).isoformat(timespec="seconds"),
            message=options.message,
            where="practice",
            status="COMPLETE",
            cv=run.metrics.cv_mean,
            kernel=options.kernel,
        )
        left = options.left_today
        try:
            public, private = score_key_parts(project.spec, read_submission(path), key)
        except Exception as err:  # as Kaggle does: a file it cannot score is an ERROR entry
            said = " ".join(str(err).split())[:200].rstrip(".") or type(err).__name__
            failed = replace(entry, status="ERROR", error=said, remaining_today=left)
            raise LeaderboardError(  # a failed scoring spends nothing
                f"The practice leaderboard could not score {path.name}: {said}. Fix the run's "
                "submission.csv and submit again.",
                failed,
            ) from None
        remaining = None if left is None else left - 1
        return replace(
            entry,
            public=public.score,
            private=private.score,
            remaining_today=remaining,
            public_se=public.se,
            private_se=private.se,
        )


def score_against_key(spec: Spec, sub: pd.DataFrame, key: pd.DataFrame) -> tuple[float, float]:
    """Public and private scores of a submission against an answer key with a Usage column."""
    public, private = score_key_parts(spec, sub, key, with_se=False)
    return public.score, private.score


def score_key_parts(
    spec: Spec, sub: pd.DataFrame, key: pd.DataFrame, with_se: bool = True
) -> tuple[Scored, Scored]:
    """The public and private parts' scores, each with its bootstrap standard error (unless
    ``with_se`` is off)."""
    metric = get_metric(spec.metric)
    y_true, y_pred, usage = key_rows(spec, sub, key)
    parts = []
    for part in ("Public", "Private"):
        mask = usage == part
        parts.append(scored(metric, y_true[mask], y_pred[mask], with_se))
    return parts[0], parts[1]


def key_rows(
    spec: Spec, sub: pd.DataFrame, key: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The answer key's truth and the submission's predictions, both encoded as the metric
    scores them, and each row's Usage, in the key's row order (a submission's missing id
    scores as missing)."""
    id_col = spec.sample_id
    key, sub = key.copy(), sub.copy()
    key[id_col] = key[id_col].astype(str)  # ids compare as text, as the sample spells them
    sub[id_col] = sub[id_col].astype(str)
    merged = key.merge(sub, on=id_col, how="left", suffixes=("_true", ""))
    truth_cols = [c for c in key.columns if c not in (id_col, "Usage")]
    return (
        _encode_truth(spec, merged, truth_cols),
        encode_pred(spec, merged),
        merged["Usage"].to_numpy(),
    )


def _encode_truth(spec: Spec, merged: pd.DataFrame, truth_cols: list[str]) -> np.ndarray:
    cols = [f"{c}_true" if f"{c}_true" in merged.columns else c for c in truth_cols]
    if spec.task == "multitarget":
        frame = merged[cols].set_axis(list(spec.targets), axis=1)
    else:
        frame = merged[[cols[0]]].set_axis([spec.targets[0]], axis=1)
    if spec.kind == "proba" and spec.task == "binary":
        return frame.iloc[:, 0].to_numpy(dtype=int)
    return encode_target(spec, frame)
