"""Kaggle metrics: the table in ``configs/metrics.yaml``, scoring, and label decisions.

Every metric is one entry of ``configs/metrics.yaml`` (read once, validated by
:func:`validate_table`). A :class:`Metric` knows its direction, what predictions it scores and how
LightGBM should train for it. For label metrics, :func:`fit_decision` fits on out-of-fold
predictions how raw model output becomes a label (a threshold, argmax, or ordinal cut points).

Conventions for ``y_true`` / ``y_pred`` (see :mod:`kstarter.spec` for the vocabulary):

- classification targets are encoded ``0..k-1`` ints (binary: 1 is the positive class);
- ``needs: proba``: binary ``y_pred`` is P(class 1) of shape ``(n,)``, multiclass is ``(n, k)``;
- ``needs: label``: ``y_pred`` holds encoded int labels; ``needs: value``: floats;
- multi-target metrics take ``(n, t)`` arrays and average over the columns.
"""

from __future__ import annotations

import difflib
import importlib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np
from sklearn import metrics as skm

from kstarter.errors import ConfigError, MetricError
from kstarter.resources import load_config_yaml
from kstarter.spec import KINDS, TASKS

__all__ = [
    "Metric",
    "Decision",
    "get_metric",
    "list_metrics",
    "default_metric",
    "fit_decision",
    "validate_table",
    "log_loss",
    "mape",
    "smape",
    "qwk",
    "mcauc",
    "mcrmse",
]

SOURCE = "configs/metrics.yaml"
DIRECTIONS = ("maximize", "minimize")
NEEDS = ("label", "proba", "value")
TRANSFORMS = ("none", "log1p")
DECISIONS = ("none", "threshold", "argmax", "rounding")
# Which decisions make sense for a label metric on each task.
_DECISIONS_FOR_TASK = {
    "binary": ("threshold", "rounding"),
    "multiclass": ("argmax", "rounding"),
    "regression": (),
    "multitarget": (),
}
# The submission kind a default_for pair names, and the predictions such a metric needs.
_NEEDS_OF_KIND = {"label": "label", "proba": "proba", "class_proba": "proba", "value": "value"}
_REQUIRED = ("aliases", "direction", "optimum", "needs", "tasks", "function", "lightgbm")
_OPTIONAL = ("description", "kwargs", "target_transform", "decision", "default_for")
_PROBA_EPS = 1e-15
_MAX_THRESHOLDS = 200  # candidate thresholds tried when fitting a binary decision
_CUT_GRID = 20  # candidate values per cut point and pass when fitting ordinal cut points
_CUT_PASSES = 4


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Metric:
    """One entry of the metric table. Build it with :func:`get_metric`, not by hand."""

    name: str
    aliases: tuple[str, ...]
    direction: str  # maximize | minimize
    optimum: float
    needs: str  # label | proba | value
    tasks: tuple[str, ...]
    target_transform: str  # none | log1p
    decision: Mapping[str, str] = field(hash=False)  # task -> threshold|argmax|rounding|none
    function: str  # "module:callable"
    kwargs: Mapping[str, Any] = field(hash=False)
    lightgbm: Mapping[str, Mapping[str, str]] = field(hash=False)  # task -> objective, metric
    default_for: tuple[str, ...] = ()
    description: str = ""

    @property
    def greater_is_better(self) -> bool:
        return self.direction == "maximize"

    def better(self, a: float, b: float) -> bool:
        """True when score ``a`` is strictly better than ``b`` (a number beats NaN)."""
        if math.isnan(a):
            return False
        if math.isnan(b):
            return True
        return a > b if self.greater_is_better else a < b

    def score(self, y_true: Any, y_pred: Any) -> float:
        """Score predictions in the module's conventions (encoded labels, P(class 1), ...)."""
        fn = _resolve(self.function)
        return float(fn(np.asarray(y_true), np.asarray(y_pred), **self.kwargs))

    def decision_for(self, task: str) -> str:
        """How raw output becomes a label on ``task``: threshold, argmax, rounding or none."""
        self._check_task(task)
        return self.decision[task]

    def lightgbm_params(self, task: str) -> dict[str, str]:
        """The LightGBM ``objective`` and eval ``metric`` to train with on ``task``."""
        self._check_task(task)
        return dict(self.lightgbm[task])

    def _check_task(self, task: str) -> None:
        if task in self.tasks:
            return
        if task not in TASKS:
            raise MetricError(f"unknown task '{task}'; tasks are: {', '.join(TASKS)}")
        fits = ", ".join(m.name for m in list_metrics() if task in m.tasks)
        raise MetricError(
            f"metric '{self.name}' does not apply to a {task} task (it applies to: "
            f"{', '.join(self.tasks)}). Metrics for {task}: {fits}. "
            "Pick one with --metric NAME."
        )


# ---------------------------------------------------------------- the table


def get_metric(name: str) -> Metric:
    """The metric called ``name``: a short name, an alias or Kaggle's display name.

    Case, spaces, hyphens, underscores and punctuation are ignored.
    """
    found = _index().get(_normalize(name))
    if found is None:
        raise MetricError(_unknown_message(name))
    return _table()[found]


def list_metrics() -> list[Metric]:
    """Every metric, in table order."""
    return list(_table().values())


def default_metric(task: str, kind: str) -> Metric:
    """The metric used when neither Kaggle nor ``--metric`` names one."""
    pair = f"{task}/{kind}"
    for metric in _table().values():
        if pair in metric.default_for:
            return metric
    fits = ", ".join(m.name for m in _table().values() if task in m.tasks)
    raise MetricError(
        f"no default metric for a {task} task with {kind} submissions. "
        f"Pick one with --metric NAME (metrics for {task}: {fits or 'none'})."
    )


def validate_table(raw: Any) -> dict[str, Metric]:
    """Turn the parsed YAML table into metrics, rejecting anything malformed or ambiguous."""
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(
            f"{SOURCE} must map metric names to entries, found {type(raw).__name__}; "
            "reinstall kstarter or restore the file"
        )
    metrics = {str(name): _parse_entry(str(name), entry) for name, entry in raw.items()}
    _build_index(metrics.values())
    _check_defaults(metrics.values())
    return metrics


@cache
def _table() -> dict[str, Metric]:
    return validate_table(load_config_yaml("metrics.yaml"))


@cache
def _index() -> dict[str, str]:
    return _build_index(_table().values())


def _normalize(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def _unknown_message(name: str) -> str:
    index = _index()
    close = difflib.get_close_matches(_normalize(name), list(index), n=1, cutoff=0.75)
    hint = f" Did you mean '{index[close[0]]}'?" if close else ""
    names = ", ".join(sorted(_table()))
    return (
        f"unknown metric '{name}'.{hint} Valid metrics: {names}. "
        "Pick one with --metric NAME (Kaggle's display names and common aliases work too)."
    )


def _build_index(metrics: Iterable[Metric]) -> dict[str, str]:
    index: dict[str, str] = {}
    for metric in metrics:
        for alias in (metric.name, *metric.aliases):
            key = _normalize(alias)
            if not key:
                raise ConfigError(
                    f"{SOURCE}: metric '{metric.name}': alias {alias!r} has no letters or digits"
                )
            owner = index.setdefault(key, metric.name)
            if owner != metric.name:
                raise ConfigError(
                    f"{SOURCE}: metric '{metric.name}': the name or alias '{alias}' also names "
                    f"metric '{owner}' (names compare without case and punctuation); "
                    "remove it from one of the two entries"
                )
    return index


def _check_defaults(metrics: Iterable[Metric]) -> None:
    owners: dict[str, str] = {}
    for metric in metrics:
        for pair in metric.default_for:
            owner = owners.setdefault(pair, metric.name)
            if owner != metric.name:
                raise ConfigError(
                    f"{SOURCE}: metric '{metric.name}': default_for '{pair}' is already the "
                    f"default of metric '{owner}'; keep it in one entry"
                )


# ---------------------------------------------------------------- parsing one entry


def _parse_entry(name: str, entry: Any) -> Metric:
    where = f"{SOURCE}: metric '{name}'"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping of keys, found {entry!r}")
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        allowed = ", ".join(_REQUIRED + _OPTIONAL)
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {allowed}")
    missing = [key for key in _REQUIRED if key not in entry]
    if missing:
        raise ConfigError(f"{where}: missing required key(s) {', '.join(missing)}")
    needs = _choice(where, "needs", entry["needs"], NEEDS)
    tasks = tuple(_choice(where, "tasks", t, TASKS) for t in _strings(where, "tasks", entry))
    kwargs = entry.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise ConfigError(f"{where}: kwargs must be a mapping, found {kwargs!r}")
    return Metric(
        name=name,
        aliases=_strings(where, "aliases", entry),
        direction=_choice(where, "direction", entry["direction"], DIRECTIONS),
        optimum=_number(where, "optimum", entry["optimum"]),
        needs=needs,
        tasks=tasks,
        target_transform=_choice(
            where, "target_transform", entry.get("target_transform") or "none", TRANSFORMS
        ),
        decision=_parse_decision(where, entry.get("decision") or "none", tasks, needs),
        function=_check_function(where, entry["function"]),
        kwargs=_frozen(kwargs),
        lightgbm=_parse_lightgbm(where, entry["lightgbm"], tasks),
        default_for=_parse_default_for(where, entry.get("default_for") or [], tasks, needs),
        description=str(entry.get("description") or ""),
    )


def _choice(where: str, key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"{where}: {key} is {value!r}; use one of: {', '.join(allowed)}")
    return str(value)


def _strings(where: str, key: str, entry: dict[str, Any]) -> tuple[str, ...]:
    value = entry[key]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a non-empty list of strings, found {value!r}")
    return tuple(value)


def _number(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: {key} must be a number, found {value!r}")
    return float(value)


def _check_function(where: str, ref: Any) -> str:
    if not isinstance(ref, str) or not re.fullmatch(r"[\w.]+:\w+", ref):
        raise ConfigError(f"{where}: function must be written module:callable, found {ref!r}")
    try:
        _resolve(ref)
    except MetricError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    return ref


def _parse_lightgbm(where: str, value: Any, tasks: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, dict) or set(value) != set(tasks):
        found = sorted(value) if isinstance(value, dict) else value
        raise ConfigError(
            f"{where}: lightgbm must have one entry per task in tasks ({', '.join(tasks)}), "
            f"found {found!r}"
        )
    parsed: dict[str, Mapping[str, str]] = {}
    for task, params in value.items():
        ok = isinstance(params, dict) and set(params) == {"objective", "metric"}
        if not ok or not all(isinstance(v, str) and v for v in params.values()):
            raise ConfigError(
                f"{where}: lightgbm.{task} must be {{objective: NAME, metric: NAME}}, "
                f"found {params!r}"
            )
        parsed[task] = _frozen(params)
    return _frozen(parsed)


def _parse_decision(
    where: str, value: Any, tasks: tuple[str, ...], needs: str
) -> Mapping[str, str]:
    per_task = dict.fromkeys(tasks, value) if isinstance(value, str) else value
    if not isinstance(per_task, dict) or set(per_task) != set(tasks):
        raise ConfigError(
            f"{where}: decision must be one value or one per task ({', '.join(tasks)}), "
            f"found {value!r}"
        )
    for task, kind in per_task.items():
        _choice(where, f"decision.{task}", kind, DECISIONS)
        if needs != "label" and kind != "none":
            raise ConfigError(
                f"{where}: decision is for label metrics; a {needs} metric scores the raw "
                "prediction, so leave decision out"
            )
        allowed = _DECISIONS_FOR_TASK[task]
        if needs == "label" and kind not in allowed:
            raise ConfigError(
                f"{where}: a label metric on a {task} task needs a decision of: "
                f"{', '.join(allowed) or '(none: label metrics do not apply to ' + task + ')'}; "
                f"found {kind!r}"
            )
    return _frozen(per_task)


def _parse_default_for(
    where: str, value: Any, tasks: tuple[str, ...], needs: str
) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: default_for must be a list of task/kind, found {value!r}")
    for pair in value:
        task, _, kind = str(pair).partition("/")
        if task not in tasks or kind not in KINDS:
            raise ConfigError(
                f"{where}: default_for '{pair}' must be <task>/<kind> with task in "
                f"{', '.join(tasks)} and kind in {', '.join(KINDS)}"
            )
        if _NEEDS_OF_KIND[kind] != needs:
            raise ConfigError(
                f"{where}: default_for '{pair}': {kind} submissions are scored on "
                f"{_NEEDS_OF_KIND[kind]} predictions but this metric needs {needs}"
            )
    return tuple(str(pair) for pair in value)


@cache
def _resolve(ref: str) -> Callable[..., Any]:
    module_name, _, attr = ref.partition(":")
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise MetricError(f"function '{ref}' cannot be imported: {exc}") from exc
    if not callable(fn):
        raise MetricError(f"function '{ref}' is not callable")
    return fn


# ---------------------------------------------------------------- metrics sklearn lacks


def log_loss(y_true: Any, y_pred: Any) -> float:
    """Log loss as Kaggle computes it: probabilities clipped to [1e-15, 1 - 1e-15], rows rescaled.

    Binary ``y_pred`` is P(class 1) of shape (n,); multiclass is (n, k) and scored against labels
    ``range(k)``, so a fold that lacks a class still scores.
    """
    proba = np.asarray(y_pred, dtype=np.float64)
    if proba.ndim == 1:
        proba = np.column_stack([1.0 - proba, proba])
    proba = np.clip(proba, _PROBA_EPS, 1.0 - _PROBA_EPS)
    proba = proba / proba.sum(axis=1, keepdims=True)
    return float(skm.log_loss(y_true, proba, labels=np.arange(proba.shape[1])))


def mape(y_true: Any, y_pred: Any) -> float:
    """Mean absolute percentage error in percent; a zero target divides by machine epsilon."""
    y, p = _floats(y_true), _floats(y_pred)
    denominator = np.maximum(np.abs(y), np.finfo(np.float64).eps)
    return float(100.0 * np.mean(np.abs(y - p) / denominator))


def smape(y_true: Any, y_pred: Any) -> float:
    """Symmetric MAPE in percent (0..200) as Kaggle defines it; 0/0 counts as 0."""
    y, p = _floats(y_true), _floats(y_pred)
    denominator = (np.abs(y) + np.abs(p)) / 2.0
    ratio = np.divide(
        np.abs(y - p), denominator, out=np.zeros_like(denominator), where=denominator != 0
    )
    return float(100.0 * np.mean(ratio))


def qwk(y_true: Any, y_pred: Any) -> float:
    """Quadratic weighted kappa as Kaggle computes it, over ratings min..max of both arrays.

    Labels must be integers (encoded classes). 0.0 when only one rating occurs at all.
    """
    truth, pred = _ints(y_true), _ints(y_pred)
    low = min(truth.min(), pred.min())
    k = int(max(truth.max(), pred.max()) - low + 1)
    if k < 2:
        return 0.0  # kappa is 0/0 when y_true and y_pred hold one and the same rating
    observed = np.bincount((truth - low) * k + (pred - low), minlength=k * k).reshape(k, k)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    weights = np.subtract.outer(np.arange(k), np.arange(k)) ** 2
    return float(1.0 - (weights * observed).sum() / (weights * expected).sum())


def mcauc(y_true: Any, y_pred: Any) -> float:
    """Mean over columns of ROC AUC; columns holding a single class are skipped."""
    truth, proba = _columns(y_true, y_pred)
    scores = [
        skm.roc_auc_score(truth[:, j], proba[:, j])
        for j in range(truth.shape[1])
        if np.unique(truth[:, j]).size == 2
    ]
    if not scores:
        raise MetricError("mcauc: every target column holds one class; ROC AUC needs both")
    return float(np.mean(scores))


def mcrmse(y_true: Any, y_pred: Any) -> float:
    """Mean over columns of the RMSE of each column."""
    truth, pred = _columns(y_true, y_pred)
    return float(np.mean(np.sqrt(np.mean((truth - pred) ** 2, axis=0))))


def _floats(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).ravel()


def _ints(values: Any) -> np.ndarray:
    array = np.asarray(values).ravel()
    ints = array.astype(np.int64)
    if array.size == 0 or not np.array_equal(ints, array):
        raise MetricError(
            "this metric scores encoded integer labels; round or decide the predictions first"
        )
    return ints


def _columns(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    truth = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64)
    truth = truth.reshape(len(truth), -1)
    pred = pred.reshape(len(pred), -1)
    if truth.shape != pred.shape:
        raise MetricError(
            f"y_true has shape {truth.shape} but y_pred has {pred.shape}; "
            "multi-target metrics need one prediction column per target"
        )
    return truth, pred


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Decision:
    """How raw model output becomes encoded labels: fitted on OOF, saved with the run.

    kind ``threshold``: label 1 where P(class 1) >= threshold; ``argmax``: the most probable
    class of (n, k) probabilities; ``rounding``: the class index of a continuous prediction is the
    number of cut points at or below it; ``none``: raw output is the submission, unchanged.
    """

    kind: str = "none"
    threshold: float | None = None
    cuts: tuple[float, ...] = ()

    def apply(self, raw: Any) -> np.ndarray:
        values = np.asarray(raw)
        if self.kind == "threshold":
            return (values >= self.threshold).astype(np.int64)
        if self.kind == "argmax":
            if values.ndim == 1:
                return (values >= 0.5).astype(np.int64)
            return values.argmax(axis=1).astype(np.int64)
        if self.kind == "rounding":
            return np.searchsorted(np.asarray(self.cuts), values, side="right").astype(np.int64)
        return values

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "threshold": self.threshold, "cuts": list(self.cuts)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Decision:
        kind = d.get("kind", "none")
        threshold = d.get("threshold")
        cuts = tuple(float(c) for c in d.get("cuts") or ())
        bad = (
            kind not in DECISIONS
            or (kind == "threshold" and not isinstance(threshold, int | float))
            or (kind == "rounding" and (not cuts or list(cuts) != sorted(cuts)))
        )
        if bad:
            raise ConfigError(
                f"saved decision {dict(d)!r} is invalid: kind must be one of "
                f"{', '.join(DECISIONS)}, a threshold needs a number, rounding needs increasing "
                "cuts; train again to refit it"
            )
        return cls(kind=kind, threshold=None if threshold is None else float(threshold), cuts=cuts)


def fit_decision(metric: Metric, y_true: Any, raw: Any, n_classes: int) -> Decision:
    """Fit on out-of-fold predictions how ``raw`` becomes labels, to do best on ``metric``.

    ``raw`` is P(class 1) of shape (n,) for a threshold, (n, k) probabilities for argmax, and a
    continuous (n,) prediction on the 0..k-1 scale for rounding. Deterministic.
    """
    if metric.needs != "label":
        return Decision("none")
    if n_classes < 2:
        raise MetricError(f"metric '{metric.name}' needs at least two classes, got {n_classes}")
    kind = metric.decision_for("binary" if n_classes == 2 else "multiclass")
    y = np.asarray(y_true)
    values = np.asarray(raw, dtype=np.float64)
    if kind == "threshold":
        return Decision("threshold", threshold=_fit_threshold(metric, y, values))
    if kind == "rounding":
        return Decision("rounding", cuts=_fit_cuts(metric, y, values, n_classes))
    return Decision(kind)


def _fit_threshold(metric: Metric, y: np.ndarray, proba: np.ndarray) -> float:
    quantiles = np.quantile(proba, np.linspace(0.0, 1.0, _MAX_THRESHOLDS))
    candidates = np.unique(np.append(quantiles, 0.5))
    scores = np.array([metric.score(y, (proba >= t).astype(np.int64)) for t in candidates])
    best = np.nanmax(scores) if metric.greater_is_better else np.nanmin(scores)
    tied = np.flatnonzero(np.isclose(scores, best, rtol=0.0, atol=1e-12))
    # Among equally good thresholds keep the one nearest 0.5, the untuned default.
    return float(candidates[tied[np.argmin(np.abs(candidates[tied] - 0.5))]])


def _fit_cuts(metric: Metric, y: np.ndarray, pred: np.ndarray, n_classes: int) -> tuple[float, ...]:
    """Coordinate search over cut points, starting from plain rounding (0.5, 1.5, ...)."""
    cuts = np.arange(n_classes - 1, dtype=np.float64) + 0.5
    best = _cut_score(metric, y, pred, cuts)
    for _ in range(_CUT_PASSES):
        improved = False
        for j in range(cuts.size):
            lo = cuts[j - 1] if j > 0 else min(pred.min(), cuts[j])
            hi = cuts[j + 1] if j < cuts.size - 1 else max(pred.max(), cuts[j])
            for value in np.linspace(lo, hi, _CUT_GRID + 2)[1:-1]:
                trial = cuts.copy()
                trial[j] = value
                score = _cut_score(metric, y, pred, trial)
                if metric.better(score, best):
                    best, cuts, improved = score, trial, True
        if not improved:
            break
    return tuple(float(c) for c in cuts)


def _cut_score(metric: Metric, y: np.ndarray, pred: np.ndarray, cuts: np.ndarray) -> float:
    return metric.score(y, np.searchsorted(cuts, pred, side="right"))
