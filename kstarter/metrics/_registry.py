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
_REQUIRED = ("aliases", "direction", "optimum", "needs", "tasks", "function", "lightgbm")
_OPTIONAL = ("description", "kwargs", "target_transform", "decision", "default_for")


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
