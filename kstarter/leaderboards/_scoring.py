"""Scoring a submission against known answers, with the spread a few rows allow.

Shared by the practice board (a held-back answer key with Public and Private rows) and by
``kstarter submit --answers`` (the user's own key): the truth and the submission's cells are
encoded as the metric scores them, and each score comes with its bootstrap standard error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kstarter.competition import encode_target
from kstarter.metrics import standard_error

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.metrics import Metric
    from kstarter.spec import Spec

__all__ = ["Scored", "scored", "encode_pred"]


@dataclass(frozen=True)
class Scored:
    """A score on ``rows`` rows and its bootstrap standard error (None when it cannot be
    estimated: one row, or resamples the metric cannot score)."""

    score: float
    se: float | None
    rows: int


def scored(metric: Metric, y_true: np.ndarray, y_pred: np.ndarray, with_se: bool = True) -> Scored:
    se = standard_error(metric, y_true, y_pred) if with_se else None
    return Scored(float(metric.score(y_true, y_pred)), se, len(y_true))


def encode_pred(spec: Spec, merged: pd.DataFrame) -> np.ndarray:
    """The submission's prediction columns of ``merged`` as the metric scores them."""
    import numpy as np

    if spec.kind == "label":
        return encode_target(
            spec, merged[[spec.pred_columns[0]]].set_axis([spec.targets[0]], axis=1)
        )
    values = merged[list(spec.pred_columns)].to_numpy(dtype=float)
    return values if values.shape[1] > 1 else np.ravel(values)
