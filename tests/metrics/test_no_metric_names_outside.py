"""Nothing outside kstarter/metrics/ decides anything by a metric's name.

configs/metrics.yaml is the one list of metrics: what the submission, the checks, the blend and the
report need to know about a metric is a key of its entry (rank_based, clip_proba, proxy_for,
imbalance_advice, ...). This walks the syntax tree of every other module of kstarter and fails on
the ways a name used to leak out: a comparison with a metric's short name (``== "mcauc"``,
``"logloss" in metric.name``), any comparison of a metric's name with a string, a substring test
on it, a look at its implementation (``metric.function.endswith(...)``), and a short name written
anywhere else as a string.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import kstarter
from kstarter.metrics import default_metric, list_metrics
from kstarter.spec import Spec

PACKAGE = Path(kstarter.__file__).parent
METRICS_PACKAGE = PACKAGE / "metrics"
NAMES = frozenset(m.name for m in list_metrics())

# Short names written as strings that are not the competition's metric, each with the reason.
NOT_A_METRIC = {
    # the adversarial validation's AUC, a number in the findings, keyed "auc"
    ("checks/_drift.py", "auc"),
    ("checks/__init__.py", "auc"),
    # Spec's field default: a Spec made by hand is a regression with value submissions, whose
    # default metric is rmse (spec.py cannot ask the table: the table's validation imports spec);
    # test_spec_default_metric_is_the_tables_default pins the two together
    ("spec.py", "rmse"),
}


_METRICISH = re.compile(r"(^|_)metric(_name)?$", re.IGNORECASE)  # not `metrics`, a run's dict


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if METRICS_PACKAGE not in p.parents)


def _is_metric(node: ast.AST) -> bool:
    """``metric``, ``metric_name``, ``inputs.metric``, ``spec.metric``, ``metric.name`` ..."""
    if isinstance(node, ast.Name):
        return bool(_METRICISH.search(node.id))
    if isinstance(node, ast.Attribute):
        return bool(_METRICISH.search(node.attr)) or (
            node.attr == "name" and _is_metric(node.value)
        )
    return False


def _strings(node: ast.AST) -> list[str]:
    """The string constants of ``node`` itself, or of a tuple, list or set literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [s for e in node.elts for s in _strings(e)]
    return []


def _listed_in_all(tree: ast.Module) -> set[int]:
    """ids of the string constants of ``__all__`` (they name Python objects, not metrics)."""
    found: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            found |= {id(c) for c in ast.walk(node.value) if isinstance(c, ast.Constant)}
    return found


def _offence(node: ast.AST, rel: str, listed: set[int]) -> str | None:
    if isinstance(node, ast.Compare):
        sides = [node.left, *node.comparators]
        names = sorted({s for side in sides for s in _strings(side)} & NAMES)
        if names:
            return f"compares with metric name(s) {', '.join(names)}"
        if any(_is_metric(s) for s in sides) and any(_strings(s) for s in sides):
            return "compares a metric with a string"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        target = node.func.value
        tested = _is_metric(target) or (
            isinstance(target, ast.Attribute) and _is_metric(target.value)
        )
        if node.func.attr in ("startswith", "endswith") and tested:
            return f"tests a metric's name or implementation with .{node.func.attr}()"
    if isinstance(node, ast.Attribute) and node.attr == "function" and _is_metric(node.value):
        return "reads metric.function (the implementation) to decide something"
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None
    if node.value in NAMES and id(node) not in listed and (rel, node.value) not in NOT_A_METRIC:
        return f"writes the metric name {node.value!r}"
    return None


def offences(source: str, rel: str) -> list[str]:
    """Where the module ``kstarter/<rel>`` with this source decides by a metric's name."""
    tree = ast.parse(source, filename=rel)
    listed = _listed_in_all(tree)
    found = []
    for node in ast.walk(tree):
        what = _offence(node, rel, listed)
        if what is not None:
            found.append(f"kstarter/{rel}:{getattr(node, 'lineno', '?')}: {what}")
    return found


def test_no_module_outside_metrics_names_a_metric() -> None:
    found = [
        o
        for path in _modules()
        for o in offences(path.read_text(encoding="utf-8"), path.relative_to(PACKAGE).as_posix())
    ]
    assert not found, "read the property from the Metric instead:\n" + "\n".join(found)


def test_the_exceptions_are_still_needed() -> None:
    """An exception that no longer matches anything is stale: remove it."""
    used = set()
    for path in _modules():
        rel = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and (rel, node.value) in NOT_A_METRIC:
                used.add((rel, node.value))
    assert used == NOT_A_METRIC


def test_spec_default_metric_is_the_tables_default() -> None:
    spec = Spec(name="t", source="t")
    assert spec.metric == default_metric(spec.task, spec.kind).name


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ('lo = 1e-15 if "logloss" in metric.name else 0.0', "metric name(s) logloss"),
        ('kind = "binary" if metric_name == "mcauc" else "x"', "metric name(s) mcauc"),
        ('ok = metrics.get("metric") == "mcauc"', "metric name(s) mcauc"),
        ('ok = name in ("auc", "mcauc")', "metric name(s) auc, mcauc"),
        ('ok = inputs.metric.name == "Log Loss"', "compares a metric with a string"),
        ('ok = spec.metric != "Log Loss"', "compares a metric with a string"),
        ('ok = metric.name.startswith("log")', ".startswith()"),
        ('ok = metric.function.endswith(("roc_auc_score", ":mcauc"))', ".endswith()"),
        ("ref = metric.function", "reads metric.function"),
        ('texts = {"accuracy": "Accuracy counts every row alike"}', "metric name 'accuracy'"),
        ('proxy = {"threshold": "auc"}["threshold"]', "metric name 'auc'"),
        ('m = get_metric("rmse")', "metric name 'rmse'"),
        ('n = drift.numbers["auc"]', "metric name 'auc'"),  # an exception holds in its file only
    ],
)
def test_the_walk_catches_the_old_special_cases(code: str, what: str) -> None:
    found = offences(code + "\n", "blend.py")
    assert any(what in o for o in found), found


def test_the_walk_leaves_properties_and_other_strings_alone() -> None:
    code = (
        "lo, hi = metric.clip_proba, 1 - metric.clip_proba\n"
        "ok = metric.rank_based or metric.needs == 'label' or metric.direction == 'maximize'\n"
        "same = run.metrics.get('metric') != metric.name and 'metric' in metrics\n"
        "binary = inputs.metric.target_kind(task) == 'binary'\n"
        "__all__ = ['auc', 'skill']\n"
        "numbers = {'auc': 0.5}\n"
    )
    assert offences(code, "checks/_drift.py") == []
