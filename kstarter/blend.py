"""``kstarter blend``: combine runs made on the same folds into a new run, as Kaggle top
solutions do, with the weights fitted on out-of-fold predictions only (never on a leaderboard).

Methods:

- ``mean``: the plain average of the members' raw predictions;
- ``rank``: the average of the members' predictions turned into ranks in [0, 1] (for metrics
  that score only the order of the predictions: AUC, or a binary label decided by a threshold);
- ``weights``: non-negative weights summing to 1, found by a coordinate search on the OOF score
  that starts from the best single member, so the blend never scores worse than its best
  member on OOF.

A label metric's decision (threshold, argmax, cut points) is fitted again on the blended OOF.
The blend is written like any run (``runs/<id>-blend/``), atomically, with its submission.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kstarter.config import load_project
from kstarter.crossval import Scores, score_folds
from kstarter.errors import ConfigError
from kstarter.paths import RunFiles
from kstarter.runs import Member, RunMetrics, RunOutput, RunRecord, get_run, save_run

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import pandas as pd

    from kstarter.config import Project
    from kstarter.metrics import Decision, Metric

__all__ = ["METHODS", "BlendOptions", "BlendResult", "Member", "blend", "summary_lines"]

METHODS = ("mean", "rank", "weights")
_STEPS = (0.5, 0.25, 0.1, 0.05, 0.02, 0.01)  # weight moved per try in the coordinate search
_MAX_PASSES = 30


@dataclass(frozen=True)
class BlendOptions:
    runs: tuple[str, ...]
    method: str = "weights"


@dataclass(frozen=True)
class BlendResult:
    run_id: str
    path: Path
    metrics: RunMetrics
    members: tuple[Member, ...]


@dataclass
class _Inputs:
    records: list[RunRecord]
    oof: pd.DataFrame  # the first member's oof.csv without its prediction columns
    pred_cols: list[str]
    raw_oof: list[np.ndarray]  # per member, (n,) or (n, k)
    raw_test: list[np.ndarray]
    test: pd.DataFrame  # the first member's test_pred.csv without its prediction columns
    folds: np.ndarray


@dataclass
class _Blend:
    """A finished blend, ready to be written as a run."""

    project: Project
    metric: Metric
    inputs: _Inputs
    oof: np.ndarray
    test: np.ndarray
    decision: Decision
    metrics: RunMetrics
    run_id: str


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
            "their values: use --method mean or weights."
        )
    inputs = _load(project, options.runs, metric)
    done = _combine_runs(project, metric, inputs, options.method)
    done.metrics = replace(done.metrics, seconds=round(time.perf_counter() - started, 2))
    path = _write(done)
    return BlendResult(done.run_id, path, done.metrics, done.metrics.members or ())


def _combine_runs(project: Project, metric: Metric, inputs: _Inputs, method: str) -> _Blend:
    from kstarter.competition import encode_target

    spec = project.spec
    y = encode_target(spec, inputs.oof[list(spec.targets)])
    valid = inputs.folds >= 0
    oof_parts, test_parts = inputs.raw_oof, inputs.raw_test
    if method == "rank":
        oof_parts = [_ranks(p, valid) for p in oof_parts]
        test_parts = [_ranks(p, None) for p in test_parts]
    if method == "weights":
        weights = _fit_weights(metric, y, oof_parts, valid, spec.n_classes)
    else:
        weights = [1.0 / len(oof_parts)] * len(oof_parts)
    oof = _combine(oof_parts, weights)
    decision = _decision(metric, y, oof, valid, spec.n_classes)
    scores = _scores(metric, y, oof, inputs.folds, decision)
    members = [
        Member(
            r.id,
            round(float(w), 6),
            float(r.metrics.cv_mean),
            float(r.metrics.cv_std),
            float(r.metrics.oof_score),
            tuple(float(x) for x in r.metrics.fold_scores),
        )
        for r, w in zip(inputs.records, weights, strict=True)
    ]
    metrics = _metrics(project, metric, method, members, scores, decision, inputs)
    test = _combine(test_parts, weights)
    return _Blend(project, metric, inputs, oof, test, decision, metrics, _new_run_id(project))


def _rank_ok(metric: Metric, task: str) -> bool:
    if metric.needs == "label":
        return task == "binary" and metric.decision_for("binary") == "threshold"
    return metric.rank_based


# ---------------------------------------------------------------- reading and checking members


def _load(project: Project, run_ids: tuple[str, ...], metric: Metric) -> _Inputs:
    import numpy as np

    ids = list(dict.fromkeys(run_ids))
    if len(ids) < 2:
        raise ConfigError("A blend needs at least two different runs: name them, e.g. "
                          "`kstarter blend RUN_A RUN_B` (see `kstarter runs`).")  # fmt: skip
    records = [get_run(project.root, r) for r in ids]
    first = records[0]
    for r in records[1:]:
        _same((first, r), "folds_hash", (first.metrics.folds_hash, r.metrics.folds_hash),
              "were trained on different folds",
              "their OOF predictions are not comparable and a blend's CV would be wrong; blend "
              "runs made on the same folds.csv, or train the other run again on the current "
              "folds")  # fmt: skip
        _same((first, r), "metric", (first.metrics.metric, r.metrics.metric),
              "were scored with different metrics",
              "train both with the project's metric")  # fmt: skip
    if first.metrics.metric != metric.name:
        raise ConfigError(
            f"Run {first.id} was scored with {first.metrics.metric}, but kstarter.yaml's "
            f"metric is now {metric.name}: train the runs again before blending them."
        )
    frames = [_read_csv(r, RunFiles.OOF) for r in records]
    tests = [_read_csv(r, RunFiles.TEST_PRED) for r in records]
    pred_cols = [c for c in frames[0].columns if str(c).startswith("pred")]
    for r, f, t in zip(records, frames, tests, strict=True):
        cols = [c for c in f.columns if str(c).startswith("pred")]
        if cols != pred_cols or len(f) != len(frames[0]) or len(t) != len(tests[0]):
            raise ConfigError(
                f"Run {r.id} predicts {', '.join(cols)} for {len(f)} train rows where run "
                f"{first.id} predicts {', '.join(pred_cols)} for {len(frames[0])}: the runs "
                "are for different data; blend runs of the same data and task."
            )
        if not np.array_equal(f["fold"].to_numpy(), frames[0]["fold"].to_numpy()):
            raise ConfigError(
                f"Runs {first.id} and {r.id} have the same folds hash but different fold "
                "columns in oof.csv: a run folder was edited; train them again."
            )
    return _Inputs(
        records=records,
        oof=frames[0].drop(columns=pred_cols),
        pred_cols=pred_cols,
        raw_oof=[_raw(f, pred_cols) for f in frames],
        raw_test=[_raw(t, pred_cols) for t in tests],
        test=tests[0].drop(columns=pred_cols),
        folds=frames[0]["fold"].to_numpy(dtype=int),
    )


def _same(
    runs: tuple[RunRecord, RunRecord],
    name: str,
    values: tuple[str | None, str | None],
    what: str,
    fix: str,
) -> None:
    if values[0] != values[1]:
        raise ConfigError(
            f"Runs {runs[0].id} and {runs[1].id} {what} ({name} {values[0]} vs {values[1]}): {fix}."
        )


def _read_csv(run: RunRecord, name: str) -> pd.DataFrame:
    import pandas as pd

    path = run.path / name
    if not path.is_file():
        raise ConfigError(f"Run {run.id} has no {name}: train it again to blend it.")
    return pd.read_csv(path)


def _raw(frame: pd.DataFrame, cols: list[str]) -> np.ndarray:
    values = frame[cols].to_numpy(dtype=float)
    return values[:, 0] if values.shape[1] == 1 else values


# ---------------------------------------------------------------- combining and fitting


def _ranks(pred: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    """Each column's predictions as ranks in (0, 1], over the rows that have one."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(pred.reshape(len(pred), -1))
    if valid is not None:
        frame = frame.where(pd.Series(valid), np.nan)
    ranked = frame.rank(pct=True).to_numpy()
    return ranked[:, 0] if pred.ndim == 1 else ranked


def _combine(parts: list[np.ndarray], weights: list[float]) -> np.ndarray:
    import numpy as np

    return np.sum([w * p for w, p in zip(weights, parts, strict=True)], axis=0)


def _decision(
    metric: Metric, y: np.ndarray, oof: np.ndarray, valid: np.ndarray, n_classes: int
) -> Decision:
    from kstarter.metrics import fit_decision

    return fit_decision(metric, y[valid], oof[valid], n_classes)


def _oof_score(
    metric: Metric, y: np.ndarray, oof: np.ndarray, valid: np.ndarray, n_classes: int
) -> float:
    decision = _decision(metric, y, oof, valid, n_classes)
    return float(metric.score(y[valid], decision.apply(oof[valid])))


def _fit_weights(
    metric: Metric, y: np.ndarray, parts: list[np.ndarray], valid: np.ndarray, n_classes: int
) -> list[float]:
    """Coordinate search on the simplex, from the best member; the result's OOF score is at
    least the best member's (one-hot weights are among the candidates)."""
    import numpy as np

    k = len(parts)
    score = _search_score(metric, y, valid, n_classes)
    one_hot = [np.eye(k)[j] for j in range(k)]
    w = max(one_hot, key=lambda v: _key(metric, score(_combine(parts, list(v)))))
    best = score(_combine(parts, list(w)))
    for _ in range(_MAX_PASSES):
        improved = False
        for step in _STEPS:
            for j in range(k):
                for trial in _moves(w, j, step):
                    s = score(_combine(parts, list(trial)))
                    if metric.better(s, best):
                        w, best, improved = trial, s, True
        if not improved:
            break
    candidates = [w, np.full(k, 1.0 / k), *one_hot]
    final = max(
        candidates,
        key=lambda v: _key(metric, _oof_score(metric, y, _combine(parts, list(v)), valid,
                                              n_classes)),
    )  # fmt: skip
    return [float(x) for x in final]


def _moves(w: np.ndarray, j: int, step: float) -> list[np.ndarray]:
    """Move ``step`` of the total weight towards member j, or away from it."""
    import numpy as np

    e = np.eye(len(w))[j]
    out = []
    if w[j] < 1:
        out.append((1 - step) * w + step * e)
    if w[j] >= step and w[j] < 1:
        rest = w - step * e
        out.append(rest / rest.sum())
    return out


def _key(metric: Metric, value: float) -> float:
    """A number to maximise: the score, or minus it for a minimised metric; NaN is worst."""
    import math

    if math.isnan(value):
        return -math.inf
    return value if metric.greater_is_better else -value


def _search_score(
    metric: Metric, y: np.ndarray, valid: np.ndarray, n_classes: int
) -> Callable[[np.ndarray], float]:
    """What the search optimises: the metric itself, or for a label metric (whose decision
    would have to be refitted at every step) a smooth stand-in for it: AUC for a threshold,
    log loss for argmax, RMSE on the class index for cut points (the table's ``proxy_for``).
    The final choice among the candidates uses the metric itself."""

    from kstarter.metrics import proxy_metric

    if metric.needs != "label":
        return lambda pred: float(metric.score(y[valid], pred[valid]))
    kind = metric.decision_for("binary" if n_classes == 2 else "multiclass")
    stand_in = proxy_metric(kind)

    def score(pred: np.ndarray) -> float:
        value = float(stand_in.score(y[valid], pred[valid]))
        # report on the metric's own direction, so metric.better() compares correctly
        same = stand_in.greater_is_better == metric.greater_is_better
        return value if same else -value

    return score


def _scores(
    metric: Metric, y: np.ndarray, oof: np.ndarray, folds: np.ndarray, decision: Decision
) -> Scores:
    """Scored as ``kstarter train`` scores a run, on the members' fold column."""
    rows = [folds == k for k in range(int(folds.max()) + 1)]
    return score_folds(metric, y, oof, rows, folds >= 0, decision)


# ---------------------------------------------------------------- the run record


def _metrics(
    project: Project,
    metric: Metric,
    method: str,
    members: list[Member],
    scores: Scores,
    decision: Decision,
    inputs: _Inputs,
) -> RunMetrics:
    import hashlib

    params = {"method": method, "weights": {m.run: m.weight for m in members}}
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
        members=tuple(members),
        n_features=None,
        rows=int(len(inputs.oof)),
        fold_seconds=(),
        created=datetime.now(UTC).isoformat(timespec="microseconds"),
    )


def _new_run_id(project: Project) -> str:
    base = f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-blend"
    run_id, n = base, 2
    while (project.runs_dir / run_id).exists():
        run_id, n = f"{base}-{n}", n + 1
    return run_id


def _write(b: _Blend) -> Path:
    """Everything into a staging folder, then one rename: a killed blend leaves nothing."""
    inputs = b.inputs
    output = RunOutput(
        metrics=b.metrics,
        oof=_with_preds(inputs.oof, inputs.pred_cols, b.oof),
        test_pred=_with_preds(inputs.test, inputs.pred_cols, b.test),
        submission=_submission(b),
        log_name=RunFiles.BLEND_LOG,
        log_text=_log_text(b.metrics),
    )
    return save_run(b.project, b.run_id, output)


def _submission(b: _Blend) -> pd.DataFrame:
    """The blended test predictions as a submission exactly like the sample, validated."""
    from kstarter.competition import (
        build_submission,
        read_table,
        test_positions,
        validate_submission,
    )

    spec = b.project.spec
    name = spec.files.sample_submission
    sample = read_table(b.project.data_dir / name, shown=f"data/{name}")
    sample_raw = b.test[test_positions(spec, sample, b.inputs.test)]
    submission = build_submission(spec, b.metric, sample, sample_raw, b.decision)
    validate_submission(submission, sample, spec)
    return submission


def _with_preds(frame: pd.DataFrame, cols: list[str], values: np.ndarray) -> pd.DataFrame:
    out = frame.copy()
    values = values.reshape(len(out), -1)
    for j, col in enumerate(cols):
        out[col] = values[:, j]
    return out


def _log_text(m: RunMetrics) -> str:
    lines = [f"{m.created}  blend ({m.blend_method})  folds {m.folds_hash}"]
    for member in m.members or ():
        lines.append(
            f"member {member.run}: weight {member.weight:.4f}  CV {member.cv_mean:.6f} "
            f"± {member.cv_std:.6f}  OOF {member.oof_score:.6f}"
        )
    for k, s in enumerate(m.fold_scores):
        lines.append(f"fold {k + 1}: {m.metric} {s:.6f}")
    lines.append(f"CV {m.cv_mean:.6f} ± {m.cv_std:.6f}  OOF {m.oof_score:.6f}  {m.seconds} s")
    return "\n".join(lines) + "\n"


def summary_lines(result: BlendResult) -> list[str]:
    """What `kstarter blend` prints: each member against the blend, on the same folds."""
    m = result.metrics
    sign = 1.0 if m.direction == "maximize" else -1.0
    best = max((x.oof_score for x in result.members), key=lambda v: sign * v)
    gain = sign * (m.oof_score - best)
    if abs(gain) < 5e-6:
        versus = "OOF the same as the best member's"
    else:
        versus = f"OOF {abs(gain):.5f} {'better' if gain > 0 else 'worse'} than the best member"
    lines = [
        f"Blend {result.run_id}: {m.blend_method} of {len(result.members)} runs on "
        f"folds {m.folds_hash}, {m.metric} ({m.direction})",
        f"  {'run':<30} {'weight':>7} {'CV mean ± std':>22} {'OOF':>9}",
    ]
    for x in result.members:
        cv = f"{x.cv_mean:.5f} ± {x.cv_std:.5f}"
        lines.append(f"  {x.run:<30} {x.weight:>7.3f} {cv:>22} {x.oof_score:>9.5f}")
    cv = f"{m.cv_mean:.5f} ± {m.cv_std:.5f}"
    lines.append(f"  {'blend':<30} {'':>7} {cv:>22} {m.oof_score:>9.5f}  ({versus})")
    folds = range(1, len(m.fold_scores) + 1)
    lines.append(f"  {'fold':<30} " + " ".join(f"{k:>9}" for k in folds))
    for name, scores in [*((x.run, x.fold_scores) for x in result.members),
                         ("blend", m.fold_scores)]:  # fmt: skip
        lines.append(f"  {name:<30} " + " ".join(f"{s:>9.5f}" for s in scores))
    lines.append(f"Submission: {result.path / RunFiles.SUBMISSION} (matches the sample)")
    return lines
