"""The metric table and kstarter.metrics: every entry is walked, not just a sample."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from kstarter import metrics as km
from kstarter.errors import ConfigError, MetricError
from kstarter.resources import configs_dir, load_config_yaml

METRICS = km.list_metrics()
PAIRS = [(m, task) for m in METRICS for task in m.tasks]
PAIR_IDS = [f"{m.name}-{task}" for m, task in PAIRS]

REQUIRED = {
    "accuracy", "balanced_accuracy", "auc", "logloss", "mlogloss", "f1", "f1_macro", "f1_micro",
    "mcc", "qwk", "rmse", "rmsle", "mae", "mape", "smape", "r2", "mcauc", "mcrmse",
}  # fmt: skip

# Display names exactly as Kaggle writes them on competition pages / in its metadata.
KAGGLE_NAMES = {
    "Categorization Accuracy": "accuracy",
    "Balanced Accuracy": "balanced_accuracy",
    "Area Under Receiver Operating Characteristic Curve": "auc",
    "Log Loss": "logloss",
    "Multiclass Loss": "mlogloss",
    "Mean F1-Score": "f1",
    "Macro F1 Score": "f1_macro",
    "MCC": "mcc",
    "Quadratic Weighted Kappa": "qwk",
    "Root Mean Squared Error": "rmse",
    "Root Mean Squared Logarithmic Error": "rmsle",
    "Mean Absolute Error": "mae",
    "Mean Absolute Percentage Error": "mape",
    "Symmetric Mean Absolute Percentage Error": "smape",
    "R2 Score": "r2",
    "Mean Columnwise Area Under Receiver Operating Characteristic Curve": "mcauc",
    "Mean Columnwise Root Mean Squared Error": "mcrmse",
}

N, K, T = 300, 4, 3


def _one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[labels]


def _cases(needs: str, task: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(y_true, perfect, random, worse) predictions in the module's conventions."""
    rng = np.random.default_rng(0)
    if task == "binary":
        y = rng.permutation(np.arange(N) % 2)
        if needs == "label":
            return y, y.copy(), rng.integers(0, 2, N), 1 - y
        return y, y.astype(float), rng.random(N), 1.0 - y
    if task == "multiclass":
        y = rng.permutation(np.arange(N) % K)
        if needs == "label":  # reversed order: wrong everywhere, and far off for ordinal metrics
            return y, y.copy(), rng.integers(0, K, N), K - 1 - y
        return y, _one_hot(y, K), rng.dirichlet(np.ones(K), N), _one_hot(K - 1 - y, K)
    if task == "regression":
        y = rng.uniform(1.0, 10.0, N)
        return y, y.copy(), y * rng.uniform(0.8, 1.2, N), y * rng.uniform(3.0, 5.0, N)
    if task == "multitarget" and needs == "proba":
        y = rng.integers(0, 2, (N, T))
        return y, y.astype(float), rng.random((N, T)), 1.0 - y
    if task == "multitarget":
        y = rng.normal(size=(N, T))
        return y, y.copy(), y + 0.5 * rng.normal(size=(N, T)), y + 5.0 * rng.normal(size=(N, T))
    raise AssertionError(f"no test data for needs={needs} task={task}: extend _cases")


# ---------------------------------------------------------------- every entry of the table


def test_table_has_the_required_metrics():
    assert {m.name for m in METRICS} >= REQUIRED


@pytest.mark.parametrize(("metric", "task"), PAIRS, ids=PAIR_IDS)
def test_perfect_scores_optimum_and_worse_scores_worse(metric, task):
    y, perfect, random, worse = _cases(metric.needs, task)
    best = metric.score(y, perfect)
    middle = metric.score(y, random)
    bad = metric.score(y, worse)
    assert best == pytest.approx(metric.optimum, abs=1e-6)
    assert metric.better(best, middle), (best, middle)
    assert metric.better(middle, bad), (middle, bad)
    assert not metric.better(bad, middle)
    assert (middle > bad) is metric.greater_is_better


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.name)
def test_every_alias_resolves_whatever_the_case_and_separators(metric):
    for alias in (metric.name, *metric.aliases):
        assert km.get_metric(alias) is metric
        assert km.get_metric(alias.upper()) is metric
        assert km.get_metric(f"  {alias.lower().replace(' ', '-')} ") is metric
        assert km.get_metric(alias.replace(" ", "_").replace("-", " ")) is metric


@pytest.mark.parametrize(("metric", "task"), PAIRS, ids=PAIR_IDS)
def test_lightgbm_params_for_every_task(metric, task):
    params = metric.lightgbm_params(task)
    assert set(params) == {"objective", "metric"}
    objective, eval_metric = params["objective"], params["metric"]
    if objective == "multiclass":
        assert eval_metric.startswith("multi_")
    elif objective == "binary":
        assert eval_metric in {"auc", "binary_logloss", "binary_error"}
    else:  # regression-style objectives evaluate with a regression metric
        assert objective in {"regression", "regression_l1", "mape"}
        assert eval_metric in {"rmse", "l1", "l2", "mape"}
    params["objective"] = "changed"
    assert metric.lightgbm_params(task)["objective"] == objective  # a copy, not the table


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.name)
def test_decision_matches_what_the_metric_needs(metric):
    for task in metric.tasks:
        kind = metric.decision_for(task)
        assert (kind != "none") is (metric.needs == "label")


def test_config_file_has_no_duplicate_entries():
    # PyYAML keeps the last of two equal keys silently, so check the document itself.
    text = (configs_dir() / "metrics.yaml").read_text(encoding="utf-8")
    keys = [key.value for key, _ in yaml.compose(text).value]
    assert len(keys) == len(set(keys))
    assert [m.name for m in METRICS] == keys


# ---------------------------------------------------------------- names and defaults


@pytest.mark.parametrize(("display", "name"), KAGGLE_NAMES.items())
def test_kaggle_display_names_resolve(display, name):
    metric = km.get_metric(display)
    assert metric.name == name
    assert display in metric.aliases  # written exactly as Kaggle writes it


def test_unknown_metric_lists_valid_names_and_the_option():
    with pytest.raises(MetricError) as info:
        km.get_metric("Mean Average Precision @ 5")
    message = str(info.value)
    assert "Mean Average Precision @ 5" in message
    assert ", ".join(sorted(m.name for m in METRICS)) in message
    assert "--metric NAME" in message


def test_unknown_metric_suggests_a_close_name():
    with pytest.raises(MetricError, match="Did you mean 'rmsle'"):
        km.get_metric("rmslee")


@pytest.mark.parametrize(
    ("task", "kind", "name"),
    [
        ("binary", "proba", "auc"),
        ("binary", "label", "accuracy"),
        ("multiclass", "label", "accuracy"),
        ("multiclass", "class_proba", "mlogloss"),
        ("regression", "value", "rmse"),
        ("multitarget", "proba", "mcauc"),
        ("multitarget", "value", "mcrmse"),
    ],
)
def test_default_metric(task, kind, name):
    metric = km.default_metric(task, kind)
    assert metric.name == name
    assert task in metric.tasks


def test_no_default_for_a_pair_nobody_claims():
    with pytest.raises(MetricError, match="--metric NAME"):
        km.default_metric("regression", "label")


def test_training_recipes_named_in_the_brief():
    assert km.get_metric("auc").lightgbm_params("binary") == {
        "objective": "binary",
        "metric": "auc",
    }
    assert km.get_metric("mlogloss").lightgbm_params("multiclass") == {
        "objective": "multiclass",
        "metric": "multi_logloss",
    }
    rmsle = km.get_metric("rmsle")
    assert rmsle.target_transform == "log1p"
    assert rmsle.lightgbm_params("regression") == {"objective": "regression", "metric": "rmse"}
    assert km.get_metric("mae").lightgbm_params("regression")["objective"] == "regression_l1"
    qwk = km.get_metric("qwk")
    assert qwk.lightgbm_params("multiclass")["objective"] == "regression"
    assert qwk.decision_for("multiclass") == "rounding"
    accuracy = km.get_metric("accuracy")
    assert accuracy.lightgbm_params("multiclass")["metric"] == "multi_error"
    assert accuracy.lightgbm_params("binary")["metric"] == "binary_error"


def test_lightgbm_params_for_a_task_the_metric_does_not_fit():
    with pytest.raises(MetricError, match="does not apply to a multiclass task") as info:
        km.get_metric("auc").lightgbm_params("multiclass")
    assert "mlogloss" in str(info.value)
    assert "--metric NAME" in str(info.value)


# ---------------------------------------------------------------- scoring details


def test_logloss_clips_and_scores_a_fold_missing_a_class():
    logloss = km.get_metric("logloss")
    assert logloss.score([1, 0], [0.0, 1.0]) == pytest.approx(-np.log(1e-15), rel=1e-6)
    mlogloss = km.get_metric("mlogloss")
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])  # class 2 never occurs in this fold
    assert mlogloss.score([0, 1], proba) == pytest.approx(-(np.log(0.7) + np.log(0.8)) / 2)


def test_smape_and_mape_follow_kaggle():
    smape, mape = km.get_metric("smape"), km.get_metric("mape")
    assert smape.score([0.0, 0.0], [0.0, 0.0]) == 0.0  # 0/0 counts as 0
    assert smape.score([1.0], [0.0]) == pytest.approx(200.0)
    assert smape.score([100.0, 0.0], [110.0, 0.0]) == pytest.approx(100 * (10 / 105) / 2)
    assert mape.score([100.0, 200.0], [110.0, 150.0]) == pytest.approx(17.5)


def test_columnwise_metrics_average_the_columns():
    y = np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 5.0]])
    pred = y + np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 3.0]])
    assert km.get_metric("mcrmse").score(y, pred) == pytest.approx((1.0 + np.sqrt(3.0)) / 2)
    labels = np.array([[0, 1], [1, 0], [0, 1], [1, 0]])
    proba = np.array([[0.1, 0.4], [0.9, 0.6], [0.2, 0.9], [0.8, 0.1]])  # AUC 1.0 and 0.75
    assert km.get_metric("mcauc").score(labels, proba) == pytest.approx(0.875)


def test_qwk_matches_sklearn_and_handles_edge_cases():
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(5)
    y, pred = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    expected = cohen_kappa_score(y, pred, weights="quadratic")
    qwk = km.get_metric("qwk")
    assert qwk.score(y, pred) == pytest.approx(expected)
    assert qwk.score([2, 2, 2], [2, 2, 2]) == 0.0  # undefined, not nan
    with pytest.raises(MetricError, match="integer labels"):
        qwk.score([0, 1, 2], [0.4, 1.2, 2.0])


# ---------------------------------------------------------------- decisions


def _imbalanced(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """10% positives; the model ranks well but its probabilities are too low."""
    rng = np.random.default_rng(seed)
    y = (rng.random(2000) < 0.1).astype(int)
    logit = 2.0 * y + rng.normal(0.0, 1.0, y.size) - 3.0
    return y, 1.0 / (1.0 + np.exp(-logit))


@pytest.mark.parametrize("name", ["accuracy", "f1", "mcc", "balanced_accuracy"])
def test_fitted_threshold_is_at_least_as_good_as_half(name):
    metric = km.get_metric(name)
    y, proba = _imbalanced()
    decision = km.fit_decision(metric, y, proba, n_classes=2)
    assert decision.kind == "threshold"
    fitted = metric.score(y, decision.apply(proba))
    naive = metric.score(y, (proba >= 0.5).astype(int))
    assert fitted >= naive
    if name == "f1":  # probabilities are too low: F1 gains from a lower threshold
        assert fitted > naive + 0.05
        assert decision.threshold < 0.5


def test_rounding_cuts_beat_naive_rounding_on_a_skewed_prediction():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 5, 1000)
    pred = 0.6 * y + 0.3 + rng.normal(0.0, 0.3, y.size)  # right order, squeezed scale
    qwk = km.get_metric("qwk")
    decision = km.fit_decision(qwk, y, pred, n_classes=5)
    assert decision.kind == "rounding"
    assert len(decision.cuts) == 4
    assert list(decision.cuts) == sorted(decision.cuts)
    fitted = qwk.score(y, decision.apply(pred))
    naive = qwk.score(y, np.clip(np.rint(pred), 0, 4).astype(int))
    assert fitted > naive + 0.02
    assert set(np.unique(decision.apply(pred))) <= set(range(5))


def test_decision_round_trips_through_json_and_is_deterministic():
    y, proba = _imbalanced(3)
    accuracy = km.get_metric("accuracy")
    rng = np.random.default_rng(4)
    ordinal = rng.integers(0, 4, 400)
    continuous = 0.8 * ordinal + rng.normal(0.0, 0.4, ordinal.size)
    qwk = km.get_metric("qwk")
    fits = [
        (km.fit_decision(accuracy, y, proba, 2), proba),
        (km.fit_decision(qwk, ordinal, continuous, 4), continuous),
    ]
    for decision, raw in fits:
        restored = km.Decision.from_dict(json.loads(json.dumps(decision.to_dict())))
        assert restored == decision
        assert np.array_equal(restored.apply(raw), decision.apply(raw))
    assert km.fit_decision(accuracy, y, proba, 2) == fits[0][0]
    assert km.fit_decision(qwk, ordinal, continuous, 4) == fits[1][0]


def test_argmax_and_none_decisions():
    proba = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    decision = km.fit_decision(km.get_metric("accuracy"), [1, 0], proba, n_classes=3)
    assert decision == km.Decision("argmax")
    assert decision.apply(proba).tolist() == [1, 0]
    raw = np.array([0.1, 0.9])
    none = km.fit_decision(km.get_metric("auc"), [0, 1], raw, n_classes=2)
    assert none.kind == "none"
    assert np.array_equal(none.apply(raw), raw)


def test_invalid_saved_decision_is_rejected():
    with pytest.raises(ConfigError, match="saved decision"):
        km.Decision.from_dict({"kind": "rounding", "cuts": [1.5, 0.5]})


# ---------------------------------------------------------------- validation of the table


def _table() -> dict:
    return copy.deepcopy(load_config_yaml("metrics.yaml"))


def test_validate_accepts_the_shipped_table():
    assert list(km.validate_table(_table())) == [m.name for m in METRICS]


@pytest.mark.parametrize("alias", ["AUC", "area under receiver-operating characteristic curve"])
def test_duplicate_alias_across_entries_is_rejected(alias):
    table = _table()
    table["accuracy"]["aliases"].append(alias)
    with pytest.raises(ConfigError, match="also names metric") as info:
        km.validate_table(table)
    assert "'accuracy'" in str(info.value)
    assert "'auc'" in str(info.value)


def test_name_equal_to_another_entrys_alias_is_rejected():
    table = _table()
    table["roc_auc"] = copy.deepcopy(table["auc"])
    table["roc_auc"]["aliases"] = ["Something Else"]
    table["roc_auc"].pop("default_for")
    with pytest.raises(ConfigError, match="metric 'auc'"):
        km.validate_table(table)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("colour", "red", "unknown key"),
        ("direction", "up", "direction is 'up'"),
        ("needs", "ranks", "needs is 'ranks'"),
        ("tasks", ["binary", "ranking"], "tasks is 'ranking'"),
        ("optimum", "one", "optimum must be a number"),
        ("function", "sklearn.metrics:no_such_metric", "cannot be imported"),
        ("decision", "threshold", "decision is for label metrics"),
        ("lightgbm", {"binary": {"objective": "binary"}}, "lightgbm.binary"),
        ("default_for", ["binary/label"], "this metric needs proba"),
        ("default_for", ["multiclass/proba"], "default_for 'multiclass/proba' must be"),
    ],
)
def test_bad_entry_is_rejected_naming_it(key, value, message):
    table = _table()
    table["auc"][key] = value
    with pytest.raises(ConfigError, match=message) as info:
        km.validate_table(table)
    assert "metric 'auc'" in str(info.value)


def test_a_default_claimed_twice_is_rejected():
    table = _table()
    table["logloss"]["default_for"] = ["binary/proba"]
    with pytest.raises(ConfigError, match="'logloss'.*already the default of metric 'auc'"):
        km.validate_table(table)


def test_importing_metrics_does_not_import_lightgbm_or_optuna():
    code = "import sys, kstarter.metrics; print(sorted({'lightgbm', 'optuna'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_threshold_whose_gain_is_noise_stays_at_half():
    """On 200 calibrated rows the best OOF threshold moves a few labels by luck: kept at 0.5
    (guarded); the unguarded fit takes it. A gain beyond noise is kept (the F1 case above)."""
    rng = np.random.default_rng(3)
    proba = rng.random(200)
    y = (rng.random(200) < proba).astype(int)  # calibrated: 0.5 is the right threshold
    accuracy = km.get_metric("accuracy")
    free = km.fit_decision(accuracy, y, proba, n_classes=2, guarded=False)
    assert free.threshold != 0.5
    assert accuracy.score(y, free.apply(proba)) > accuracy.score(y, (proba >= 0.5).astype(int))
    assert km.fit_decision(accuracy, y, proba, n_classes=2).threshold == 0.5


def test_the_table_is_read_without_importing_the_metric_functions():
    """Looking a metric up (kstarter init does, for every project) reads the table without
    importing scikit-learn's metrics: the function is imported when the metric scores."""
    code = (
        "import sys; from kstarter.metrics import get_metric, list_metrics; "
        "m = get_metric('Categorization Accuracy'); list_metrics(); "
        "before = 'sklearn.metrics' in sys.modules; m.score([0, 1], [0, 1]); "
        "print(before, 'sklearn.metrics' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_a_function_that_cannot_be_imported_is_named_when_the_metric_is_used():
    table = _table()
    table["auc"]["function"] = "sklearn.metrics:no_such_metric"
    metric = km.validate_table(table, resolve=False)["auc"]  # read as kstarter reads it
    with pytest.raises(ConfigError, match="metric 'auc': function .* cannot be imported") as info:
        metric.score([0, 1], [0.2, 0.8])
    assert "configs/metrics.yaml" in str(info.value) and "reinstall kstarter" in str(info.value)
