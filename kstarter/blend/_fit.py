"""Fitting a blend method on some OOF rows, and the nested estimate that fits it without the
fold it scores.

A method's :class:`Fitted` turns the members' raw predictions (OOF or test) into the blend's.
:func:`nested_oof` fits the method once per fold of the members' fold column, on the OOF rows of
the other folds only, and predicts that fold's rows: out-of-fold predictions of the whole
procedure (search or stacker included), scored afterwards exactly as a run is scored. With a
time split the other folds include later ones: the method's few weights may learn from the
future, the members never do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kstarter.blend._stack import Stacker, fit_stacker
from kstarter.blend._weights import (
    HILLCLIMB_PATIENCE,
    HILLCLIMB_STEPS,
    combine,
    fit_hillclimb,
    fit_weights,
)

if TYPE_CHECKING:
    import numpy as np

    from kstarter.metrics import Metric

__all__ = ["FITTED_METHODS", "Fitted", "Problem", "fit", "nested_oof"]

# The methods that fit something on the OOF rows, and so have a nested estimate.
FITTED_METHODS = ("weights", "hillclimb", "stack")


@dataclass(frozen=True)
class Problem:
    metric: Metric
    task: str
    n_classes: int
    y: np.ndarray  # encoded targets of every train row
    parts: list[np.ndarray] = field(hash=False)  # each member's raw OOF (ranks for rank)


@dataclass(frozen=True)
class Fitted:
    """A fitted blend: weights on the members, or a stacker (whose ``weights`` are the
    members' shares of its coefficients)."""

    weights: tuple[float, ...]
    stacker: Stacker | None = None
    details: dict[str, Any] = field(default_factory=dict, hash=False)  # for the run record

    def apply(self, parts: list[np.ndarray]) -> np.ndarray:
        if self.stacker is not None:
            return self.stacker.predict(parts)
        return combine(parts, list(self.weights))


def fit(method: str, problem: Problem, rows: np.ndarray, final_check: bool = True) -> Fitted:
    """``method`` fitted on the OOF ``rows`` (a boolean mask) of the members' predictions;
    ``final_check``: see kstarter.blend._weights."""
    p = problem
    args = (p.metric, p.y, p.parts, rows, p.n_classes, final_check)
    if method == "weights":
        return Fitted(tuple(fit_weights(*args)))
    if method == "hillclimb":
        weights = fit_hillclimb(*args)
        return Fitted(
            tuple(weights),
            details={"max_steps": HILLCLIMB_STEPS, "patience": HILLCLIMB_PATIENCE},
        )
    if method == "stack":
        stacker = fit_stacker(p.metric, p.task, p.y, p.parts, rows, p.n_classes)
        return Fitted(tuple(stacker.shares()), stacker, {"stacker": stacker.describe()})
    k = len(p.parts)
    return Fitted(tuple([1.0 / k] * k))  # mean, rank: nothing fitted


def nested_oof(method: str, problem: Problem, folds: np.ndarray) -> np.ndarray:
    """The blend's predictions of each fold's rows by ``method`` fitted on the other folds'."""
    import numpy as np

    out = np.full(problem.parts[0].shape, np.nan)
    validated = folds >= 0
    for k in range(int(folds.max()) + 1):
        rows = folds == k
        fitted = fit(method, problem, validated & ~rows, final_check=False)
        out[rows] = fitted.apply([p[rows] for p in problem.parts])
    return out
