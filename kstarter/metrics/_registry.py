"""The metric table: every metric is one entry of ``configs/metrics.yaml``.

The table is read once and validated by :func:`validate_table`. A :class:`Metric` knows its
direction, what predictions it scores and how LightGBM should train for it. The functions the
table names live in :mod:`kstarter.metrics._functions`; for label metrics,
:mod:`kstarter.metrics._decisions` fits how raw model output becomes a label.

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
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np

from kstarter.errors import ConfigError, MetricError
from kstarter.resources import load_config_yaml
from kstarter.spec import KINDS, TASKS

__all__ = [
    "Metric",
    "get_metric",
    "list_metrics",
    "default_metric",
    "proxy_metric",
    "validate_table",
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
# What a decision's raw output is, and so the predictions and task its proxy metric must score.
_PROXY_SCORES = {
    "threshold": ("P(class 1)", "proba", "binary"),
    "argmax": ("(n, k) class probabilities", "proba", "multiclass"),
    "rounding": ("a continuous class index", "value", "regression"),
}
# The numbers an imbalance_advice text may use, with values to try its format on.
_ADVICE_FIELDS = {"majority": 0.5, "prior_loss": 0.5}
_REQUIRED = ("aliases", "direction", "optimum", "needs", "tasks", "function", "lightgbm")
_OPTIONAL = (
    "description",
    "kwargs",
    "target_transform",
    "decision",
    "default_for",
    "rank_based",
    "clip_proba",
    "proxy_for",
    "imbalance_advice",
)


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
    rank_based: bool = False  # only the order of the predictions matters (rank blends allowed)
    clip_proba: float = 0.0  # submitted probabilities are kept in [clip_proba, 1 - clip_proba]
    proxy_for: tuple[str, ...] = ()  # decisions whose label metrics a blend search scores with it
    imbalance_advice: str = ""  # what it does with imbalanced classes: {majority}, {prior_loss}

    @property
    def greater_is_better(self) -> bool:
        return self.direction == "maximize"

    def target_kind(self, task: str) -> str:
        """What one target column is to this metric on ``task``: binary, multiclass or regression.

        A single-target task is its own kind. On a multitarget task, a metric that scores
        probabilities (one per column, as mean column-wise AUC) sees each column as a binary
        label, and any other as numbers.
        """
        if task != "multitarget":
            return task
        return "binary" if self.needs == "proba" else "regression"

    def advice_on_imbalance(self, majority: float, prior_loss: float) -> str:
        """What this metric does with imbalanced classes, or "" when its entry says nothing.

        ``majority`` is the share of the largest class, ``prior_loss`` the log loss of predicting
        the class shares for every row.
        """
        return self.imbalance_advice.format(majority=majority, prior_loss=prior_loss)

    def better(self, a: float, b: float) -> bool:
        """True when score ``a`` is strictly better than ``b`` (a number beats NaN)."""
        if math.isnan(a):
            return False
        if math.isnan(b):
            return True
        return a > b if self.greater_is_better else a < b

    def score(self, y_true: Any, y_pred: Any) -> float:
        """Score predictions in the module's conventions (encoded labels, P(class 1), ...)."""
        fn = self.implementation()
        return float(fn(np.asarray(y_true), np.asarray(y_pred), **self.kwargs))

    def implementation(self) -> Callable[..., Any]:
        """The function that scores this metric, imported on first use: the table kstarter
        reads names 18 functions, and importing them all (scikit-learn's metrics) would cost
        every command a second or two (``kstarter init`` needs none of them). An entry whose
        function cannot be imported is named when it is used."""
        try:
            return _resolve(self.function)
        except MetricError as exc:
            raise ConfigError(
                f"{SOURCE}: metric '{self.name}': {exc}; reinstall kstarter or restore the file"
            ) from None

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


def proxy_metric(decision: str) -> Metric:
    """The smooth metric that stands in for label metrics with ``decision`` while a blend's
    search moves weights (refitting the decision at every step would be slow and jumpy): the
    entry whose ``proxy_for`` lists it."""
    for metric in _table().values():
        if decision in metric.proxy_for:
            return metric
    kinds = ", ".join(_PROXY_SCORES)
    raise MetricError(f"no metric is the proxy for decision '{decision}'; decisions: {kinds}")


def validate_table(raw: Any, resolve: bool = True) -> dict[str, Metric]:
    """Turn the parsed YAML table into metrics, rejecting anything malformed or ambiguous.

    ``resolve``: import every entry's function as well (a test of the table does); the table
    kstarter reads leaves that to :meth:`Metric.implementation`, when a metric is used."""
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(
            f"{SOURCE} must map metric names to entries, found {type(raw).__name__}; "
            "reinstall kstarter or restore the file"
        )
    metrics = {str(name): _parse_entry(str(name), entry, resolve) for name, entry in raw.items()}
    _build_index(metrics.values())
    _check_defaults(metrics.values())
    _check_proxies(metrics.values())
    return metrics


@cache
def _table() -> dict[str, Metric]:
    return validate_table(load_config_yaml("metrics.yaml"), resolve=False)


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


def _check_proxies(metrics: Iterable[Metric]) -> None:
    owners: dict[str, str] = {}
    used: dict[str, str] = {}
    for metric in metrics:
        for kind in metric.proxy_for:
            owner = owners.setdefault(kind, metric.name)
            if owner != metric.name:
                raise ConfigError(
                    f"{SOURCE}: metric '{metric.name}': proxy_for '{kind}' is already the proxy "
                    f"of metric '{owner}'; keep it in one entry"
                )
        for kind in metric.decision.values():
            used.setdefault(kind, metric.name)
    for kind, user in used.items():
        if kind != "none" and kind not in owners:
            raise ConfigError(
                f"{SOURCE}: metric '{user}' decides labels by {kind} but no entry is the "
                f"proxy_for {kind}; add {kind} to the proxy_for of a "
                f"{_PROXY_SCORES[kind][1]} metric for {_PROXY_SCORES[kind][2]} tasks"
            )


# ---------------------------------------------------------------- parsing one entry


def _parse_entry(name: str, entry: Any, resolve: bool = True) -> Metric:
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
        function=_check_function(where, entry["function"], resolve),
        kwargs=_frozen(kwargs),
        lightgbm=_parse_lightgbm(where, entry["lightgbm"], tasks),
        default_for=_parse_default_for(where, entry.get("default_for") or [], tasks, needs),
        description=str(entry.get("description") or ""),
        rank_based=_parse_rank_based(where, entry.get("rank_based", False), needs),
        clip_proba=_parse_clip_proba(where, entry.get("clip_proba", 0.0), needs),
        proxy_for=_parse_proxy_for(where, entry.get("proxy_for") or [], tasks, needs),
        imbalance_advice=_parse_advice(where, entry.get("imbalance_advice", "")),
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


def _check_function(where: str, ref: Any, resolve: bool) -> str:
    if not isinstance(ref, str) or not re.fullmatch(r"[\w.]+:\w+", ref):
        raise ConfigError(f"{where}: function must be written module:callable, found {ref!r}")
    if not resolve:
        return ref
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


def _parse_rank_based(where: str, value: Any, needs: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: rank_based must be true or false, found {value!r}")
    if value and needs == "label":
        raise ConfigError(
            f"{where}: rank_based is for metrics that score the raw prediction; a label metric "
            "scores decided labels, so leave rank_based out"
        )
    return value


def _parse_clip_proba(where: str, value: Any, needs: str) -> float:
    clip = _number(where, "clip_proba", value)
    if not 0.0 <= clip < 0.5:
        raise ConfigError(f"{where}: clip_proba must be at least 0 and below 0.5, found {value!r}")
    if clip and needs != "proba":
        raise ConfigError(
            f"{where}: clip_proba keeps submitted probabilities away from 0 and 1; a {needs} "
            "metric submits no probabilities, so leave clip_proba out"
        )
    return clip


def _parse_proxy_for(where: str, value: Any, tasks: tuple[str, ...], needs: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: proxy_for must be a list of decisions, found {value!r}")
    for kind in value:
        _choice(where, "proxy_for", kind, tuple(_PROXY_SCORES))
        raw, proxy_needs, task = _PROXY_SCORES[kind]
        if needs != proxy_needs or task not in tasks:
            raise ConfigError(
                f"{where}: proxy_for '{kind}': the raw output behind {kind} decisions is {raw}, "
                f"which only a {proxy_needs} metric for {task} tasks scores"
            )
    return tuple(value)


def _parse_advice(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: imbalance_advice must be a string, found {value!r}")
    fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    unknown = sorted(fields - set(_ADVICE_FIELDS))
    if unknown:
        raise ConfigError(
            f"{where}: imbalance_advice uses {{{unknown[0]}}}; it may use only "
            f"{', '.join('{' + f + '}' for f in _ADVICE_FIELDS)} (double a brace to write one)"
        )
    try:
        value.format(**_ADVICE_FIELDS)
    except (ValueError, KeyError, IndexError) as exc:
        raise ConfigError(f"{where}: imbalance_advice cannot be formatted: {exc}") from exc
    return value


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
