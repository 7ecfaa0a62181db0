"""auto's final choice compares like with like: a blend's nested CV against the nested CV of
picking the single run with the best CV, never against that run's own (flattering) CV."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstarter.auto._run import AutoResult, Entry, _choose, _picking
from kstarter.metrics import get_metric


def _single(run: str, folds: tuple[float, ...]) -> Entry:
    mean = sum(folds) / len(folds)
    return Entry(run, run, mean, 0.0, mean, 1.0, "trained", folds)


def _result(entries: list[Entry]) -> AutoResult:
    return AutoResult(Path("."), "accuracy", "maximize", 60.0, entries=entries)


def test_picking_scores_each_fold_with_the_run_best_on_the_others():
    # a is best on folds 0 and 1, b on fold 2: picking on the other folds chooses b for fold 0
    # (b's mean of folds 1 and 2 is higher than a's), a for fold 1 and for fold 2
    a = _single("a", (0.90, 0.80, 0.70))
    b = _single("b", (0.60, 0.78, 0.85))
    accuracy = get_metric("accuracy")
    assert _picking([a, b], accuracy) == pytest.approx((0.60 + 0.80 + 0.70) / 3)
    # a loss (lower is better) picks the other way round
    assert _picking([a, b], get_metric("rmse")) == pytest.approx((0.90 + 0.78 + 0.85) / 3)
    # one run: no choice was made, so its nested CV is its CV
    assert _picking([a], accuracy) == pytest.approx(a.cv_mean)
    # fold scores that do not line up: no estimate
    assert _picking([a, _single("c", (0.5, 0.5))], accuracy) is None


def test_a_blend_beating_the_picking_but_not_the_best_cv_is_final():
    a = _single("a", (0.90, 0.80, 0.70))  # CV 0.80, the best single
    b = _single("b", (0.60, 0.78, 0.85))  # CV 0.743
    accuracy = get_metric("accuracy")
    blend = Entry("blend", "hillclimb of 2 runs", 0.81, 0.0, 0.71, 1.0, "blend")
    result = _result([a, b, blend])
    result.picking = _picking(result.entries, accuracy)  # 0.70
    assert _choose(result, accuracy) == "blend"  # nested 0.71 > 0.70, though < a's CV 0.80
    worse = Entry("blend2", "stack of 2 runs", 0.85, 0.0, 0.69, 1.0, "blend")
    result = _result([a, b, worse])
    result.picking = _picking(result.entries, accuracy)
    assert _choose(result, accuracy) == "a"  # the picking's nested CV wins: the best single run
