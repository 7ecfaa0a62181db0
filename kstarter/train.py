"""``kstarter train``: cross-validate on the saved folds, score with the competition's metric,
write a submission exactly like the sample and a complete run record, atomically."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter import paths
from kstarter.competition import (
    build_submission,
    test_positions,
    validate_submission,
)
from kstarter.config import Project, load_project
from kstarter.crossval import build_model, evaluate_model, prepare
from kstarter.errors import ConfigError
from kstarter.paths import RunFiles
from kstarter.runs import write_run

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.crossval import CVResult
    from kstarter.folds import Folds
    from kstarter.metrics import Metric
    from kstarter.models import FoldOutput
    from kstarter.prepare import Matrices, Tables
    from kstarter.spec import Spec

__all__ = ["TrainOptions", "RunResult", "train", "resolve_params"]


@dataclass(frozen=True)
class TrainOptions:
    params: str = "default"  # default | tuned | path to a YAML/JSON mapping
    model: str | None = None
    seed: int | None = None
    refold: bool = False
    progress: Callable[[str], None] | None = None


@dataclass(frozen=True)
class RunResult:
    run_id: str
    path: Path
    metrics: dict[str, Any]


def resolve_params(project: Project, which: str) -> dict[str, Any]:
    """The user's LightGBM overrides: kstarter.yaml's, the tuned ones, or a file's."""
    import yaml

    if which == "default":
        return dict(project.model.params)
    path = project.path(paths.TUNED_PARAMS) if which == "tuned" else Path(which)
    if not path.is_file():
        hint = "run `kstarter tune` first" if which == "tuned" else "check the path"
        raise ConfigError(f"No parameter file {path}: {hint}, or use --params default.")
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    params = loaded.get("params", loaded) if isinstance(loaded, dict) else None
    if not isinstance(params, dict):
        raise ConfigError(f"{path} must hold a mapping of LightGBM parameters.")
    return {**project.model.params, **params}


def train(project_dir: Path | str | None = None, options: TrainOptions | None = None) -> RunResult:
    options = options or TrainOptions()
    say = options.progress or (lambda _: None)
    started = time.perf_counter()
    project = load_project(project_dir)
    prep = prepare(project, refold=options.refold)
    spec, metric, folds, tables = project.spec, prep.metric, prep.folds, prep.tables
    seed = project.train.seed if options.seed is None else options.seed
    model_name = options.model or project.model.name
    overrides = resolve_params(project, options.params)
    model = build_model(prep, overrides, seed, model_name)
    say(
        f"{spec.name}: {len(prep.y)} rows x {prep.matrices.X_train.shape[1]} features, "
        f"{folds.n_splits} folds, {model_name}, metric {metric.name}, "
        f"{model.threads} thread(s)"
    )

    def on_fold(k: int, out: FoldOutput, va: np.ndarray) -> None:
        quick = _quick_fold_score(metric, spec, prep.y[va], out.valid_pred)
        shown = f"  {metric.name} {quick:.5f}" if quick is not None else ""
        say(f"fold {k + 1}/{folds.n_splits}{shown}  best iteration {out.best_iteration}")

    ev = evaluate_model(prep, model, on_fold)
    cv, scores = ev.cv, ev.scores
    sample_raw = cv.test[test_positions(spec, tables.sample, tables.test)]
    submission = build_submission(spec, metric, tables.sample, sample_raw, ev.decision)
    validate_submission(submission, tables.sample, spec)
    metrics = {
        "metric": metric.name,
        "direction": metric.direction,
        **scores,
        "best_iterations": cv.best_iterations,
        "decision": ev.decision.to_dict(),
        "model": model_name,
        "seed": seed,
        "params": ev.params,
        "params_source": options.params,
        "params_hash": _hash(ev.params),
        "folds_hash": folds.hash,
        "config_hash": project.config_hash(),
        "threads": ev.threads,
        "n_features": int(prep.matrices.X_train.shape[1]),
        "rows": int(len(prep.y)),
        "seconds": round(time.perf_counter() - started, 2),
        "fold_seconds": [round(s, 2) for s in cv.fold_seconds],
        "created": datetime.now(UTC).isoformat(timespec="microseconds"),
    }
    run_id = _new_run_id(project, model_name)
    say(
        f"CV {metric.name} {scores['cv_mean']:.5f} ± {scores['cv_std']:.5f}  "
        f"(OOF {scores['oof_score']:.5f})"
    )
    path = _write_run(
        project, run_id, metrics, cv, prep.y, folds, tables, prep.matrices, submission
    )
    return RunResult(run_id, path, metrics)


def _quick_fold_score(
    metric: Metric, spec: Spec, y_va: np.ndarray, pred: np.ndarray
) -> float | None:
    """A fold's score before the decision rule is fitted: only for metrics that need none."""
    if metric.needs == "label":
        return None
    return float(metric.score(y_va, pred))


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _new_run_id(project: Project, model: str) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = f"{stamp}-{model}"
    run_id, n = base, 2
    while (project.runs_dir / run_id).exists():
        run_id, n = f"{base}-{n}", n + 1
    return run_id


def _write_run(
    project: Project,
    run_id: str,
    metrics: dict[str, Any],
    cv: CVResult,
    y: np.ndarray,
    folds: Folds,
    tables: Tables,
    matrices: Matrices,
    submission: pd.DataFrame,
) -> Path:
    def files(d: Path) -> None:
        _write_run_files(d, project, metrics, cv, y, folds, tables, matrices, submission)

    return write_run(project.root, run_id, files)


def _write_run_files(
    d: Path,
    project: Project,
    metrics: dict[str, Any],
    cv: CVResult,
    y: np.ndarray,
    folds: Folds,
    tables: Tables,
    matrices: Matrices,
    submission: pd.DataFrame,
) -> None:
    from kstarter.runs import importance_frame, plot_importance, prediction_frames

    spec = project.spec
    shutil.copy2(project.path(paths.CONFIG), d / RunFiles.CONFIG)
    if project.path(paths.FEATURES).exists():
        shutil.copy2(project.path(paths.FEATURES), d / RunFiles.FEATURES)
    (d / RunFiles.METRICS).write_text(json.dumps(metrics, indent=2, default=str))
    submission.to_csv(d / RunFiles.SUBMISSION, index=False, lineterminator="\n")
    oof, test_pred = prediction_frames(spec, tables, cv, y, folds)
    oof.to_csv(d / RunFiles.OOF, index=False, lineterminator="\n")
    test_pred.to_csv(d / RunFiles.TEST_PRED, index=False, lineterminator="\n")
    imp = importance_frame(cv.importance, matrices.names)
    imp.to_csv(d / RunFiles.IMPORTANCE, index=False, lineterminator="\n")
    plot_importance(
        imp, d / RunFiles.IMPORTANCE_PNG, title=f"{spec.name}: feature importance (gain)"
    )
    (d / RunFiles.TRAIN_LOG).write_text(_log_text(metrics))
    from kstarter.runs import write_report

    write_report(d, project)


def _log_text(m: dict[str, Any]) -> str:
    lines = [f"{m['created']}  model {m['model']}  seed {m['seed']}  folds {m['folds_hash']}"]
    for k, (s, it, sec) in enumerate(
        zip(m["fold_scores"], m["best_iterations"], m["fold_seconds"], strict=True)
    ):
        lines.append(f"fold {k + 1}: {m['metric']} {s:.6f}  best iteration {it}  {sec:.1f} s")
    lines.append(
        f"CV {m['cv_mean']:.6f} ± {m['cv_std']:.6f}  OOF {m['oof_score']:.6f}  {m['seconds']} s"
    )
    return "\n".join(lines) + "\n"
