"""The keys other modules read from a metric entry, walked over every entry of the table.

rank_based, clip_proba, proxy_for and imbalance_advice are what the blend, the submission and the
checks need to know about a metric (they never test its name); Metric.target_kind tells the
checks and the report what one target column is. Each test states what the key promises and
checks it on real scores, so a new entry with a wrong key fails here.
"""

from __future__ import annotations

import copy
import re
import string

import numpy as np
import pandas as pd
import pytest

from kstarter import metrics as km
from kstarter.competition import build_submission
from kstarter.errors import ConfigError, MetricError
from kstarter.resources import load_config_yaml
from kstarter.spec import Spec

METRICS = km.list_metrics()
PAIRS = [(m, task) for m in METRICS for task in m.tasks]
PAIR_IDS = [f"{m.name}-{task}" for m, task in PAIRS]
LABEL_PAIRS = [(m, task) for m, task in PAIRS if m.needs == "label"]
LABEL_IDS = [f"{m.name}-{task}" for m, task in LABEL_PAIRS]
N, K, T = 400, 4, 3


def _scored(needs: str, task: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """y_true and an informative, noisy raw prediction of the kind the metric scores."""
    rng = np.random.default_rng(seed)
    y: np.ndarray
    if task == "multitarget":
        if needs == "proba":
            y = rng.integers(0, 2, (N, T))
            return y, np.clip(0.3 * y + 0.7 * rng.random((N, T)), 0.0, 1.0)
        y = rng.normal(size=(N, T))
        return y, y + rng.normal(size=(N, T))
    if task == "regression":
        y = rng.uniform(1.0, 10.0, N)
        return y, y * rng.uniform(0.7, 1.3, N)
    k = 2 if task == "binary" else K
    y = rng.permutation(np.arange(N) % k)
    if needs == "label":
        return y, np.where(rng.random(N) < 0.7, y, rng.integers(0, k, N))
    if task == "binary":
        return y, np.clip(0.3 * y + 0.7 * rng.random(N), 0.0, 1.0)
    proba = np.eye(k)[y] + rng.random((N, k))
    return y, proba / proba.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------- rank_based


@pytest.mark.parametrize(("metric", "task"), PAIRS, ids=PAIR_IDS)
def test_rank_based_means_only_the_order_of_the_predictions_counts(
    metric: km.Metric, task: str
) -> None:
    """A blend may average ranks exactly when a monotone map of the predictions (cubing them,
    or replacing them by their ranks) leaves the score unchanged."""
    if metric.needs == "label":
        assert metric.rank_based is False  # labels have no order to keep
        return
    y, raw = _scored(metric.needs, task)
    ranks = pd.DataFrame(raw).rank(pct=True).to_numpy().reshape(raw.shape)
    score = metric.score(y, raw)
    moved = [metric.score(y, raw**3), metric.score(y, ranks)]
    if metric.rank_based:
        assert moved == pytest.approx([score, score], rel=1e-12, abs=1e-12)
    else:
        assert moved[0] != pytest.approx(score, rel=1e-9, abs=1e-12)


def test_the_rank_metrics_are_the_auc_ones() -> None:
    assert [m.name for m in METRICS if m.rank_based] == ["auc", "mcauc"]


# ---------------------------------------------------------------- clip_proba


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.name)
def test_clip_proba_is_a_small_margin_for_probabilities_only(metric: km.Metric) -> None:
    assert 0.0 <= metric.clip_proba < 0.5
    if metric.needs != "proba":
        assert metric.clip_proba == 0.0


@pytest.mark.parametrize(
    ("metric", "task"),
    [(m, t) for m, t in PAIRS if m.needs == "proba"],
    ids=[f"{m.name}-{t}" for m, t in PAIRS if m.needs == "proba"],
)
def test_clipping_a_submission_never_changes_its_score(metric: km.Metric, task: str) -> None:
    """The margin is only what the metric itself tolerates: a perfect or a confidently wrong
    prediction scores the same clipped as raw (log loss clips at 1e-15 as Kaggle does)."""
    y, _ = _scored("proba", task)
    perfect = np.eye(K)[y] if task == "multiclass" else y.astype(float)
    lo, hi = metric.clip_proba, 1.0 - metric.clip_proba
    for raw in (perfect, 1.0 - perfect):
        assert metric.score(y, np.clip(raw, lo, hi)) == pytest.approx(
            metric.score(y, raw), rel=1e-9, abs=1e-12
        )


@pytest.mark.parametrize(
    "metric",
    [m for m in METRICS if "binary" in m.tasks and m.needs == "proba"],
    ids=lambda m: m.name,
)
def test_a_binary_probability_submission_is_clipped_by_the_metric(metric: km.Metric) -> None:
    spec = Spec(
        name="t",
        source="t",
        id="id",
        sample_id="id",
        targets=("y",),
        task="binary",
        kind="proba",
        classes=(0, 1),
        pred_columns=("y",),
        label_dtype="int",
        metric=metric.name,
    )
    sample = pd.DataFrame({"id": [1, 2, 3], "y": [0.5, 0.5, 0.5]})
    sub = build_submission(spec, metric, sample, np.array([0.0, 0.3, 1.0]), km.Decision())
    assert sub["y"].tolist() == [metric.clip_proba, 0.3, 1.0 - metric.clip_proba]


def test_log_loss_entries_clip_at_kaggles_margin() -> None:
    clipped = {m.name: m.clip_proba for m in METRICS if m.clip_proba}
    assert clipped == {"logloss": 1e-15, "mlogloss": 1e-15}


# ---------------------------------------------------------------- proxy_for


@pytest.mark.parametrize(("metric", "task"), LABEL_PAIRS, ids=LABEL_IDS)
def test_the_proxy_of_a_label_metric_ranks_raw_outputs_as_the_metric_does(
    metric: km.Metric, task: str
) -> None:
    """A blend's weight search scores raw outputs with the proxy of the metric's decision; the
    proxy must prefer what the metric, after the decision, prefers."""
    kind = metric.decision_for(task)
    proxy = km.proxy_metric(kind)
    assert kind in proxy.proxy_for
    assert proxy.needs != "label"
    k = 2 if task == "binary" else K
    rng = np.random.default_rng(7)
    y = rng.permutation(np.arange(N) % k)
    if kind == "threshold":
        good, bad = (np.clip(0.5 * y + 0.5 * rng.random(N), 0, 1), rng.random(N))
    elif kind == "argmax":
        good = np.eye(k)[y] + rng.random((N, k))
        good, bad = good / good.sum(axis=1, keepdims=True), rng.dirichlet(np.ones(k), N)
    else:  # rounding: a continuous class index
        good, bad = y + rng.normal(0.0, 0.4, N), rng.uniform(-0.5, k - 0.5, N)
    assert proxy.better(proxy.score(y, good), proxy.score(y, bad))
    # the decision untuned (fitting it is tested in test_metrics.py): 0.5, argmax, plain rounding
    untuned = km.Decision(kind, threshold=0.5, cuts=tuple(np.arange(k - 1) + 0.5))
    assert metric.better(metric.score(y, untuned.apply(good)), metric.score(y, untuned.apply(bad)))


def test_each_decision_has_one_proxy() -> None:
    owners = {kind: [m.name for m in METRICS if kind in m.proxy_for] for kind in
              ("threshold", "argmax", "rounding")}  # fmt: skip
    assert owners == {"threshold": ["auc"], "argmax": ["logloss"], "rounding": ["rmse"]}
    with pytest.raises(MetricError, match="no metric is the proxy for decision 'none'"):
        km.proxy_metric("none")


# ---------------------------------------------------------------- imbalance_advice


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.name)
def test_every_classification_metric_explains_imbalance(metric: km.Metric) -> None:
    """The imbalance check shows these words for binary and multiclass targets; numbers named
    in the text come out formatted."""
    if not {"binary", "multiclass"} & set(metric.tasks):
        return
    assert metric.imbalance_advice, f"{metric.name} has no imbalance_advice"
    text = metric.advice_on_imbalance(0.9712345, 0.1234567)
    assert "{" not in text and "}" not in text
    fields = {f for _, f, _, _ in string.Formatter().parse(metric.imbalance_advice) if f}
    if "majority" in fields:
        assert "0.971" in text
    if "prior_loss" in fields:
        assert "0.1235" in text


def test_advice_reads_as_the_check_wrote_it() -> None:
    assert km.get_metric("accuracy").advice_on_imbalance(0.95, 0.2) == (
        "Accuracy counts every row alike: always predicting the largest class already scores "
        "0.950, so a model's accuracy means little until it beats that; the rare class barely "
        "moves it."
    )
    assert km.get_metric("mlogloss").advice_on_imbalance(0.7, 0.61234) == (
        "Log loss scores calibrated probabilities: do not resample or reweight the classes "
        "(that breaks the calibration); predicting the class shares alone scores 0.6123."
    )
    assert km.get_metric("rmse").advice_on_imbalance(0.5, 0.5) == ""


# ---------------------------------------------------------------- target_kind


@pytest.mark.parametrize(("metric", "task"), PAIRS, ids=PAIR_IDS)
def test_target_kind_matches_the_values_the_metric_scores(metric: km.Metric, task: str) -> None:
    kind = metric.target_kind(task)
    y, raw = _scored(metric.needs, task)
    if task != "multitarget":
        assert kind == task
    elif kind == "binary":  # each column a 0/1 label, scored as such
        assert metric.needs == "proba"
        assert metric.score(y, y.astype(float)) == pytest.approx(metric.optimum)
    else:
        assert kind == "regression"
        assert metric.needs == "value"


# ---------------------------------------------------------------- validation of the new keys


def _table() -> dict:
    return copy.deepcopy(load_config_yaml("metrics.yaml"))


@pytest.mark.parametrize(
    ("name", "key", "value", "message"),
    [
        ("auc", "rank_based", "yes", "rank_based must be true or false"),
        ("accuracy", "rank_based", True, "a label metric scores decided labels"),
        ("logloss", "clip_proba", "1e-15", "clip_proba must be a number"),
        ("logloss", "clip_proba", 0.5, "at least 0 and below 0.5"),
        ("rmse", "clip_proba", 0.01, "a value metric submits no probabilities"),
        ("rmse", "proxy_for", "rounding", "proxy_for must be a list"),
        ("rmse", "proxy_for", ["rounding", "none"], "proxy_for is 'none'"),
        ("rmse", "proxy_for", ["threshold"], "only a proba metric for binary tasks"),
        ("mlogloss", "proxy_for", ["threshold"], "only a proba metric for binary tasks"),
        ("mlogloss", "proxy_for", ["argmax"], "already the proxy of metric 'logloss'"),
        ("auc", "imbalance_advice", ["words"], "imbalance_advice must be a string"),
        ("auc", "imbalance_advice", "{minority:.2f} rows", "uses {minority}"),
        ("auc", "imbalance_advice", "{} rows", "uses {}"),
        ("auc", "imbalance_advice", "{majority:.3q}", "cannot be formatted"),
    ],
)
def test_bad_new_key_is_rejected_naming_the_entry(
    name: str, key: str, value: object, message: str
) -> None:
    table = _table()
    table[name][key] = value
    with pytest.raises(ConfigError, match=re.escape(message)) as info:
        km.validate_table(table)
    assert f"metric '{name}'" in str(info.value)


def test_a_decision_without_a_proxy_is_rejected_naming_its_user() -> None:
    table = _table()
    table["rmse"].pop("proxy_for")
    with pytest.raises(ConfigError, match="metric 'qwk' decides labels by rounding") as info:
        km.validate_table(table)
    assert "proxy_for" in str(info.value)


def test_new_keys_default_when_left_out() -> None:
    table = _table()
    for key in ("rank_based", "clip_proba", "proxy_for", "imbalance_advice"):
        table["logloss"].pop(key, None)
    table["auc"]["proxy_for"] = ["threshold", "argmax"]  # argmax needs a multiclass proba metric
    with pytest.raises(ConfigError, match="only a proba metric for multiclass tasks"):
        km.validate_table(table)
    table["mlogloss"]["proxy_for"] = ["argmax"]
    table["auc"]["proxy_for"] = ["threshold"]
    logloss = km.validate_table(table)["logloss"]
    assert (logloss.rank_based, logloss.clip_proba, logloss.proxy_for) == (False, 0.0, ())
    assert logloss.imbalance_advice == ""
    assert logloss.advice_on_imbalance(0.9, 0.3) == ""
