"""``blend()``: load the members, fit the method on all OOF rows (the plain CV) and again inside
each fold (the nested CV), and write the blend as a run."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kstarter.blend._fit import FITTED_METHODS, Fitted, Problem, fit, nested_oof
from kstarter.blend._members import Inputs, choose_runs, load, too_few
from kstarter.blend._output import Blended, BlendResult, write_blend
from kstarter.config import load_project
from kstarter.crossval import Scores, score_folds
from kstarter.errors import ConfigError
from kstarter.runs import Member, RunMetrics

if TYPE_CHECKING:
    import numpy as np

    from kstarter.config import Project
    from kstarter.metrics import Decision, Metric

__all__ = ["METHODS", "BlendOptions", "BlendResult", "blend"]

METHODS = ("mean", "rank", "weights", "hillclimb", "stack")


@dataclass(frozen=True)
class BlendOptions:
    runs: tuple[str, ...]  # empty: every eligible run of the project (see eligible_runs)
    method: str = "weights"


def blend(project_dir: Path | str | None, options: BlendOptions) -> BlendResult:
    from kstarter.metrics import get_metric, list_metrics

    started = time.perf_counter()
    if options.method not in METHODS:
        raise ConfigError(
            f"Unknown blend method {options.method!r}: use one of {', '.join(METHODS)}."
        )
    project = load_project(project_dir)
    metric = get_metric(project.spec.metric)
    if options.method == "rank" and not _rank_ok(metric, project.spec.task):
        ranked = ", ".join(m.name for m in list_metrics() if m.rank_based)
        raise ConfigError(
            f"--method rank averages ranks, which only a metric that scores the order of the "
            f"predictions can use ({ranked}, or a binary label metric); {metric.name} scores "
            "their values: use --method mean, weights, hillclimb or stack."
        )
    run_ids = options.runs
    skipped: tuple[tuple[str, str], ...] = ()
    if not run_ids:
        choice = choose_runs(project, metric)
        if len(choice.taken) < 2:
            raise too_few(choice)
        run_ids, skipped = choice.taken, choice.skipped
    inputs = load(project, run_ids, metric)
    done = _blend_runs(project, metric, inputs, options.method)
    metrics = replace(done.metrics, seconds=round(time.perf_counter() - started, 2))
    path = write_blend(project, metric, inputs, replace(done, metrics=metrics))
    return BlendResult(
        path.name, path, metrics, metrics.members or (), skipped, picked=not options.runs
    )


def _rank_ok(metric: Metric, task: str) -> bool:
    if metric.needs == "label":
        return task == "binary" and metric.decision_for("binary") == "threshold"
    return metric.rank_based


def _blend_runs(project: Project, metric: Metric, inputs: Inputs, method: str) -> Blended:
    from kstarter.competition import encode_target

    spec = project.spec
    y = encode_target(spec, inputs.oof[list(spec.targets)])
    valid = inputs.folds >= 0
    oof_parts, test_parts = inputs.raw_oof, inputs.raw_test
    if method == "rank":
        oof_parts = [_ranks(p, valid) for p in oof_parts]
        test_parts = [_ranks(p, None) for p in test_parts]
    problem = Problem(metric, spec.task, spec.n_classes, y, oof_parts)
    fitted = fit(method, problem, valid)
    oof = fitted.apply(oof_parts)
    decision = _decision(metric, y, oof, valid, spec.n_classes)
    scores = _scores(metric, y, oof, inputs.folds, decision)
    nested = None
    if method in FITTED_METHODS:
        nested_pred = nested_oof(method, problem, inputs.folds)
        nested_decision = _decision(metric, y, nested_pred, valid, spec.n_classes)
        nested = _scores(metric, y, nested_pred, inputs.folds, nested_decision)
    metrics = _metrics(project, metric, method, fitted, scores, nested, decision, inputs)
    return Blended(metrics, oof, fitted.apply(test_parts), decision)


def _ranks(pred: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    """Each column's predictions as ranks in (0, 1], over the rows that have one."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(pred.reshape(len(pred), -1))
    if valid is not None:
        frame = frame.where(pd.Series(valid), np.nan)
    ranked = frame.rank(pct=True).to_numpy()
    return ranked[:, 0] if pred.ndim == 1 else ranked


def _decision(
    metric: Metric, y: np.ndarray, oof: np.ndarray, valid: np.ndarray, n_classes: int
) -> Decision:
    from kstarter.metrics import fit_decision

    return fit_decision(metric, y[valid], oof[valid], n_classes)


def _scores(
    metric: Metric, y: np.ndarray, oof: np.ndarray, folds: np.ndarray, decision: Decision
) -> Scores:
    """Scored as ``kstarter train`` scores a run, on the members' fold column."""
    rows = [folds == k for k in range(int(folds.max()) + 1)]
    return score_folds(metric, y, oof, rows, folds >= 0, decision)


def _metrics(
    project: Project,
    metric: Metric,
    method: str,
    fitted: Fitted,
    scores: Scores,
    nested: Scores | None,
    decision: Decision,
    inputs: Inputs,
) -> RunMetrics:
    import hashlib

    members = tuple(
        Member(
            r.id,
            round(float(w), 6),
            float(r.metrics.cv_mean),
            float(r.metrics.cv_std),
            float(r.metrics.oof_score),
            tuple(float(x) for x in r.metrics.fold_scores),
        )
        for r, w in zip(inputs.records, fitted.weights, strict=True)
    )
    params = {"method": method, "weights": {m.run: m.weight for m in members}, **fitted.details}
    blob = json.dumps(params, sort_keys=True).encode()
    return RunMetrics(
        metric=metric.name,
        direction=metric.direction,
        fold_scores=scores.fold_scores,
        cv_mean=scores.cv_mean,
        cv_std=scores.cv_std,
        oof_score=scores.oof_score,
        best_iterations=(),
        decision=decision.to_dict(),
        model="blend",
        seed=None,
        params=params,
        params_source="blend",
        params_hash=hashlib.sha256(blob).hexdigest()[:12],
        folds_hash=inputs.records[0].metrics.folds_hash,
        config_hash=project.config_hash(),
        members=members,
        n_features=None,
        rows=int(len(inputs.oof)),
        fold_seconds=(),
        created=datetime.now(UTC).isoformat(timespec="microseconds"),
        nested_fold_scores=nested.fold_scores if nested else (),
        nested_cv_mean=nested.cv_mean if nested else None,
        nested_cv_std=nested.cv_std if nested else None,
        nested_oof_score=nested.oof_score if nested else None,
    )
