"""The linear model picks its estimator from the task and the metric's decision, and picks the
one it picked when the choice was read from the metric's LightGBM objective."""

from __future__ import annotations

import pytest

from kstarter.metrics import Metric, list_metrics
from kstarter.models import linear_kind

PAIRS = [(m, task) for m in list_metrics() for task in m.tasks]


def _from_the_lightgbm_objective(objective: str) -> str:
    """The rule before the model contract: the LightGBM objective named the estimator."""
    return {"binary": "binary", "multiclass": "multiclass", "multiclassova": "multiclass"}.get(
        objective, "regression"
    )


@pytest.mark.parametrize(("metric", "task"), PAIRS, ids=[f"{m.name}-{t}" for m, t in PAIRS])
def test_the_estimator_is_the_one_the_lightgbm_objective_chose(metric: Metric, task: str) -> None:
    old = _from_the_lightgbm_objective(metric.lightgbm_params(task)["objective"])
    assert linear_kind(task, metric) == old


def test_every_task_and_a_rounding_metric_are_covered() -> None:
    kinds = {(task, linear_kind(task, m)) for m, task in PAIRS}
    assert {
        ("binary", "binary"),
        ("multiclass", "multiclass"),
        ("multiclass", "regression"),  # qwk: regress on the class index
        ("regression", "regression"),
        ("multitarget", "binary"),  # mcauc: one logistic regression per column
        ("multitarget", "regression"),
    } <= kinds
