"""The blend's searches, on arrays: the fast AUC agrees with sklearn's, the hill climb selects
with replacement and never ends below its best member, the stacker fits every target kind.

The end-to-end behaviour on trained runs is in tests/test_blend_methods.py."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from kstarter.blend._fit import Problem, fit, nested_oof
from kstarter.blend._scoring import binned_auc, fast_auc, fast_search_score, sorted_auc
from kstarter.blend._stack import fit_stacker, stack_kind
from kstarter.blend._weights import HILLCLIMB_STEPS, fit_hillclimb
from kstarter.metrics import get_metric, list_metrics


def _cases(rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    n = 200_000
    y = (rng.random(n) < 0.3).astype(np.intp)
    rare = (rng.random(n) < 0.005).astype(np.intp)
    score = rng.normal(size=n) + 1.2 * y
    return {
        "balanced probabilities": (y, 1 / (1 + np.exp(-score))),
        "rare class, probabilities piled near 0": (
            rare, 1 / (1 + np.exp(-(2 * rng.normal(size=n) + 3 * rare - 7)))
        ),
        "ties (one decimal)": (y, np.round(1 / (1 + np.exp(-score)), 1)),
        "negative scores with an outlier": (y, np.append(-score[:-1], 1e6)),
        "tiny": (np.array([0, 1, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8, 0.1])),
    }  # fmt: skip


@pytest.mark.parametrize("case", list(_cases(np.random.default_rng(0))))
def test_the_fast_auc_agrees_with_sklearn(case):
    y, pred = _cases(np.random.default_rng(0))[case]
    exact = roc_auc_score(y, pred)
    assert sorted_auc(y, pred) == pytest.approx(exact, abs=1e-12)
    assert fast_auc(y, pred) == pytest.approx(exact, abs=1e-5)
    binned, bound = binned_auc(y, pred)
    assert abs(binned - exact) <= bound + 1e-12  # the bound holds, whichever path is taken


def test_the_binned_auc_is_used_where_it_is_close_and_is_fast():
    """On spread-out predictions the bins alone are within 1e-5 (the sort is not needed)."""
    import time

    y, pred = _cases(np.random.default_rng(0))["balanced probabilities"]
    binned, bound = binned_auc(y, pred)
    assert bound < 1e-5 and binned == pytest.approx(roc_auc_score(y, pred), abs=1e-5)
    start = time.perf_counter()
    for _ in range(5):
        fast_auc(y, pred)
    fast = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(5):
        roc_auc_score(y, pred)
    assert fast < (time.perf_counter() - start) / 3  # at least 3x sklearn, even under load


def _members(rng: np.random.Generator, n: int, noise: list[float], binary: bool):
    latent = rng.normal(size=n)
    y = (latent + 0.5 * rng.normal(size=n) > 0).astype(np.int64)
    parts = [latent + s * rng.normal(size=n) for s in noise]
    if binary:
        parts = [1 / (1 + np.exp(-p)) for p in parts]
    return y, parts


def test_the_search_scores_auc_fast_and_a_label_metric_by_its_proxy():
    auc = next(m for m in list_metrics() if m.rank_based and m.needs == "proba" and
               "binary" in m.tasks)  # fmt: skip
    y, parts = _members(np.random.default_rng(1), 5000, [0.5, 1.0], binary=True)
    score, error = fast_search_score(auc, y, 2, probe=parts[0])
    assert error == 1e-5  # the fast AUC's bound: the hill climb checks the near ties exactly
    assert score(parts[1]) == pytest.approx(roc_auc_score(y, parts[1]), abs=1e-5)
    label = next(m for m in list_metrics() if m.needs == "label" and "binary" in m.tasks
                 and m.decision_for("binary") == "threshold")  # fmt: skip
    score, error = fast_search_score(label, y, 2, probe=parts[0])
    assert error == np.inf  # a proxy: the hill climb checks every member on the metric
    assert score(parts[0]) == pytest.approx(roc_auc_score(y, parts[0]), abs=1e-5)
    rmse = get_metric("rmse")
    assert fast_search_score(rmse, y.astype(float), 0, probe=parts[0])[1] == 0.0


@pytest.mark.parametrize("binary", [True, False], ids=["auc", "rmse"])
def test_hill_climbing_picks_with_replacement_and_beats_its_best_member(binary):
    """Members of unequal noise: the best mean weighs the good ones more, which greedy
    selection reaches only by picking them again."""
    metric = get_metric("auc" if binary else "rmse")
    rng = np.random.default_rng(2)
    n = 20_000
    latent = rng.normal(size=n)
    parts = [latent + s * rng.normal(size=n) for s in (0.8, 1.0, 1.6, 3.0)]
    if binary:
        target = (latent + 0.5 * rng.normal(size=n) > 0).astype(np.int64)
        parts = [1 / (1 + np.exp(-p)) for p in parts]
    else:
        target = latent
    rows = np.ones(n, dtype=bool)
    weights = np.array(fit_hillclimb(metric, target, parts, rows, 2 if binary else 0))
    # each weight is the member's share of N picks, N at most HILLCLIMB_STEPS
    picks = next(
        weights * n for n in range(1, HILLCLIMB_STEPS + 1)
        if np.allclose(weights * n, np.round(weights * n), atol=1e-9)
    )  # fmt: skip
    assert picks.max() >= 2 and (weights > 0).sum() >= 2, weights
    assert weights.sum() == pytest.approx(1.0)
    blend = sum(w * p for w, p in zip(weights, parts, strict=True))
    alone = [metric.score(target, p) for p in parts]
    best = max(alone) if binary else min(alone)
    assert metric.better(metric.score(target, blend), best)


def test_hill_climbing_stops_at_the_cap():
    metric = get_metric("rmse")
    rng = np.random.default_rng(3)
    y = rng.normal(size=3000)
    parts = [y + rng.normal(size=3000) for _ in range(6)]  # every addition helps for a while
    rows = np.ones(3000, dtype=bool)
    weights = np.array(fit_hillclimb(metric, y, parts, rows, 0, max_steps=4))
    assert np.allclose(weights * 4, np.round(weights * 4)) and (weights > 0).sum() <= 4


def test_nested_predictions_never_use_the_fold_they_predict():
    """Member 0 is perfect on fold 0 only: a stacker fitted with fold 0 would lean on it; the
    nested one, fitted on the other folds where member 0 is noise, does not."""
    metric = get_metric("rmse")
    rng = np.random.default_rng(4)
    n = 2000
    folds = np.arange(n) % 4
    y = rng.normal(size=n)
    good = y + 0.5 * rng.normal(size=n)
    cheat = np.where(folds == 0, y, rng.normal(size=n))
    problem = Problem(metric, "regression", 0, y, [cheat, good])
    plain = fit("stack", problem, folds >= 0).apply(problem.parts)
    nested = nested_oof("stack", problem, folds)
    on0 = folds == 0
    assert metric.score(y[on0], plain[on0]) < metric.score(y[on0], nested[on0])
    assert metric.score(y[on0], nested[on0]) == pytest.approx(
        metric.score(y[on0], good[on0]), rel=0.2
    )


def test_the_stacker_follows_what_the_metric_scores():
    kinds = {(m.name, t): stack_kind(m, t) for m in list_metrics() for t in m.tasks}
    assert set(kinds.values()) == {"binary", "multiclass", "value"}
    for (name, task), kind in kinds.items():
        metric = get_metric(name)
        if metric.needs == "value" or task == "regression":
            assert kind == "value", name


def test_a_multitarget_stack_fits_one_stacker_per_target():
    """Column-wise AUC over three targets: each target's stacker sees that column only."""
    metric = next(m for m in list_metrics() if "multitarget" in m.tasks and m.needs == "proba")
    rng = np.random.default_rng(5)
    n, t = 3000, 3
    latent = rng.normal(size=(n, t))
    y = (latent > 0).astype(np.int64)
    good = 1 / (1 + np.exp(-(latent + 0.7 * rng.normal(size=(n, t)))))
    noisy = 1 / (1 + np.exp(-(latent + 2.0 * rng.normal(size=(n, t)))))
    rows = np.ones(n, dtype=bool)
    stacker = fit_stacker(metric, "multitarget", y, [good, noisy], rows, 2)
    pred = stacker.predict([good, noisy])
    assert pred.shape == (n, t) and ((pred > 0) & (pred < 1)).all()
    assert len(stacker.describe()["targets"]) == t
    shares = stacker.shares()
    assert sum(shares) == pytest.approx(1.0) and shares[0] > shares[1]
    assert metric.score(y, pred) >= metric.score(y, good) - 1e-3


def test_hill_climbing_goes_through_a_worse_pick_to_a_better_ensemble():
    """A weak member that helps only at a small weight: half of it (the second pick) and a third
    of it are worse than the strong member alone, a quarter is better. A climb that stopped at
    its first worse pick would return the strong member alone."""
    rmse = get_metric("rmse")
    rng = np.random.default_rng(3)
    n = 20_000
    latent = rng.normal(size=n)
    strong, weak = latent + 0.5 * rng.normal(size=n), latent + 1.2 * rng.normal(size=n)
    assert rmse.score(latent, (strong + weak) / 2) > rmse.score(latent, strong)
    assert rmse.score(latent, (2 * strong + weak) / 3) > rmse.score(latent, strong)
    rows = np.ones(n, dtype=bool)
    weights = fit_hillclimb(rmse, latent, [strong, weak], rows, 0)
    assert 0 < weights[1] < 0.25, weights
    blend = weights[0] * strong + weights[1] * weak
    assert rmse.score(latent, blend) < rmse.score(latent, strong)
