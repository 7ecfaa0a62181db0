"""``kstarter auto --budget``: from a project to the best submission a time budget allows.

The inputs are prepared once (their loading is not counted in the budget). Then the steps of
``configs/auto.yaml`` run in order, each an ordinary run written like ``kstarter train``'s: a
step whose run already exists is reused, a step whose estimated cost does not fit in the time
left is skipped, and a run whose folds show it would end past the budget is stopped before it
writes anything. At the end, every run on these folds is blended by each method of the file,
and the final run is the one with the best honest CV (a blend's nested CV, a run's CV).

Ctrl-C stops the step in progress; every run already written stays, and the next ``auto``
reuses it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter import paths
from kstarter.auto._budget import format_budget, format_seconds
from kstarter.auto._plan import AutoSettings, CostModel, Step, load_settings, order_steps
from kstarter.errors import ConfigError, TrainError

if TYPE_CHECKING:
    import numpy as np

    from kstarter.crossval import Prepared
    from kstarter.metrics import Metric
    from kstarter.models import FoldOutput
    from kstarter.runs import RunMetrics, RunRecord

__all__ = ["AutoOptions", "AutoResult", "Entry", "auto"]

# the keys a family's recorded parameters name its threads by: not part of what a run *is*
_THREAD_KEYS = frozenset({"num_threads", "nthread", "n_jobs", "thread_count"})


@dataclass(frozen=True)
class AutoOptions:
    budget: float  # seconds
    progress: Callable[[str], None] | None = None  # step lines: started, done, skipped
    fold_progress: Callable[[str], None] | None = None  # per-fold lines (a terminal)


@dataclass(frozen=True)
class Entry:
    """One line of auto's leaderboard: a member run or a blend."""

    run: str
    what: str  # "lightgbm", "catboost x3 seeds", "hillclimb of 6 runs"
    cv_mean: float
    cv_std: float
    honest: float  # what the final choice compares: a blend's nested CV, a run's CV
    seconds: float | None
    status: str  # trained | reused | blend


@dataclass
class AutoResult:
    project: Path
    metric: str
    direction: str
    budget: float
    entries: list[Entry] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (step, why)
    final: str | None = None
    interrupted: bool = False
    seconds: float = 0.0  # from the end of data loading to the end (what the budget bounds)
    loading_seconds: float = 0.0

    @property
    def final_entry(self) -> Entry | None:
        return next((e for e in self.entries if e.run == self.final), None)


class _OverBudget(Exception):
    """A run's folds show it would end past the budget: it is stopped, nothing written."""


def auto(project_dir: Path | str | None, options: AutoOptions) -> AutoResult:
    from kstarter.config import load_project
    from kstarter.crossval import prepare

    if options.budget <= 0:
        raise ConfigError("--budget must be more than 0 seconds.")
    settings = load_settings()
    loading = time.monotonic()
    project = load_project(project_dir)
    prep = prepare(project)
    start = time.monotonic()
    clock = _Clock(start, options.budget, settings.reserve(options.budget))
    say = options.progress or (lambda _: None)
    result = AutoResult(
        project=project.root,
        metric=prep.metric.name,
        direction=prep.metric.direction,
        budget=options.budget,
        loading_seconds=round(start - loading, 2),
    )
    say(
        f"auto: {format_seconds(options.budget)} budget on {len(prep.y)} rows x "
        f"{prep.matrices.X_train.shape[1]} features, {prep.folds.n_splits} folds, metric "
        f"{prep.metric.name} ({prep.metric.direction}); inputs ready in "
        f"{result.loading_seconds:.1f} s"
    )
    costs = CostModel(settings.relative_cost, prep.folds.n_splits)
    try:
        _train_steps(prep, settings, clock, options, costs, result)
        _blend_all(project.root, prep, settings, clock, say, result)
    except KeyboardInterrupt:
        result.interrupted = True
        say(f"{clock.stamp()} interrupted: the runs written so far are kept")
    result.seconds = round(time.monotonic() - start, 2)
    result.final = _choose(result, prep.metric)
    _save(project.root / paths.AUTO_RECORD, result)
    if result.final is None and not result.interrupted:
        raise TrainError(_too_small(result, settings, costs))
    return result


def _too_small(result: AutoResult, settings: AutoSettings, costs: CostModel) -> str:
    """Why nothing finished, and the budget that would let the cheapest step finish."""
    estimates = [e for e in (costs.estimate(s) for s in settings.steps) if e is not None]
    need = (
        f" about {format_budget(_round_up(min(estimates) * 1.5 + settings.reserve(result.budget)))}"
        if estimates
        else " more"
    )
    why = result.skipped[0][1] if result.skipped else "no step fitted"
    return (
        f"No run could finish within --budget {format_budget(result.budget)} ({why}): give "
        f"a larger --budget, at least{need} on this data."
    )


def _round_up(seconds: float) -> float:
    """A budget a person would type: whole seconds below 2 minutes, else whole minutes."""
    import math

    return float(math.ceil(seconds)) if seconds < 120 else 60.0 * math.ceil(seconds / 60)


@dataclass(frozen=True)
class _Clock:
    start: float
    budget: float
    reserve: float  # kept for the blends

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def left_for_training(self) -> float:
        return self.budget - self.reserve - self.elapsed()

    def left(self) -> float:
        return self.budget - self.elapsed()

    def stamp(self) -> str:
        return f"[{format_seconds(self.elapsed())} | {format_seconds(self.left())} left]"


# ---------------------------------------------------------------- the member runs


def _train_steps(
    prep: Prepared,
    settings: AutoSettings,
    clock: _Clock,
    options: AutoOptions,
    costs: CostModel,
    result: AutoResult,
) -> None:
    say = options.progress or (lambda _: None)
    existing = _existing_runs(prep)
    for r in existing:
        costs.observe(r.metrics.model or "", r.metrics.seeds or 1, r.metrics.fold_seconds)
    done: dict[Step, RunMetrics] = {}
    pending = list(settings.steps)
    while pending:
        step = order_steps(pending, _family_rank(done, prep.metric))[0]
        pending.remove(step)
        found = _find_run(prep, existing, step)
        if found is not None:
            done[step] = found.metrics
            result.entries.append(_entry(found.id, step.label, found.metrics, "reused"))
            say(f"{clock.stamp()} {step.label}: reused run {found.id} (CV {_cv(found.metrics)})")
            continue
        left = clock.left_for_training()
        estimate = costs.estimate(step)
        if left <= 0 or (estimate is not None and estimate > left):
            why = "no time left" if left <= 0 else (
                f"needs about {format_seconds(estimate or 0)}, {format_seconds(left)} left"
            )  # fmt: skip
            result.skipped.append((step.label, why))
            say(f"{clock.stamp()} {step.label}: skipped ({why})")
            continue
        shown = f", about {format_seconds(estimate)}" if estimate is not None else ""
        say(f"{clock.stamp()} {step.label}: training{shown}")
        metrics = _train_one(prep, step, clock, options, costs, result)
        if metrics is not None:
            done[step] = metrics


def _train_one(
    prep: Prepared,
    step: Step,
    clock: _Clock,
    options: AutoOptions,
    costs: CostModel,
    result: AutoResult,
) -> RunMetrics | None:
    from kstarter.train import TrainOptions, train_prepared

    say = options.progress or (lambda _: None)
    fold_say = options.fold_progress
    n_folds = prep.folds.n_splits
    run_start = time.monotonic()
    fold_times: list[float] = []

    def guard(k: int, out: FoldOutput, va: np.ndarray) -> None:
        now = time.monotonic()
        fold_times.append(now - (run_start + sum(fold_times)))
        per_fold = (now - run_start) / (k + 1)
        rest = n_folds - k - 1
        if rest and per_fold * rest > clock.left_for_training():
            raise _OverBudget

    train_options = TrainOptions(
        model=step.model,
        seeds=step.seeds,
        progress=(lambda line: fold_say(f"{clock.stamp()}   {line}")) if fold_say else None,
    )
    try:
        run = train_prepared(prep, dict(prep.project.model.params), train_options, on_fold=guard)
    except _OverBudget:
        costs.observe(step.model, step.seeds, fold_times)
        why = (
            f"stopped after {len(fold_times)} of {n_folds} folds: it would have ended past "
            "the budget"
        )
        result.skipped.append((step.label, why))
        say(f"{clock.stamp()} {step.label}: {why}")
        return None
    costs.observe(step.model, step.seeds, run.metrics.fold_seconds)
    costs.observe_overhead(time.monotonic() - run_start - sum(run.metrics.fold_seconds))
    result.entries.append(_entry(run.run_id, step.label, run.metrics, "trained"))
    say(f"{clock.stamp()} {step.label}: done, CV {_cv(run.metrics)} -> run {run.run_id}")
    return run.metrics


def _existing_runs(prep: Prepared) -> list[RunRecord]:
    """Runs that ``auto`` may reuse: trained (not blended) with the project's default
    parameters on these folds, this kstarter.yaml and this metric."""
    from kstarter.runs import list_runs

    project = prep.project
    config_hash = project.config_hash()
    return [
        r
        for r in list_runs(project.root)
        if not r.metrics.is_blend
        and r.metrics.params_source == "default"
        and r.metrics.folds_hash == prep.folds.hash
        and r.metrics.config_hash == config_hash
        and r.metrics.metric == prep.metric.name
        and (r.path / paths.RunFiles.OOF).is_file()
        and (r.path / paths.RunFiles.TEST_PRED).is_file()
    ]


def _find_run(prep: Prepared, runs: list[RunRecord], step: Step) -> RunRecord | None:
    """The newest run that is what ``step`` would train: the same family, seeds, seed and
    parameters (threads aside: they do not change what a run is)."""
    from kstarter.crossval import build_model

    seed = prep.project.train.seed
    params = _comparable(
        build_model(prep, dict(prep.project.model.params), seed, step.model).params
    )
    for r in reversed(runs):
        m = r.metrics
        if (
            m.model == step.model
            and (m.seeds or 1) == step.seeds
            and m.seed == seed
            and _comparable(m.params or {}) == params
        ):
            return r
    return None


def _comparable(params: dict[str, Any]) -> str:
    return json.dumps(
        {k: v for k, v in params.items() if k not in _THREAD_KEYS}, sort_keys=True, default=str
    )


def _family_rank(done: dict[Step, RunMetrics], metric: Metric) -> dict[str, int]:
    """Families by their best CV so far, 0 the best."""
    best: dict[str, float] = {}
    for step, m in done.items():
        if step.model not in best or metric.better(m.cv_mean, best[step.model]):
            best[step.model] = m.cv_mean
    sign = 1.0 if metric.greater_is_better else -1.0
    ordered = sorted(best, key=lambda name: -sign * best[name])
    return {name: i for i, name in enumerate(ordered)}


# ---------------------------------------------------------------- the blends and the choice


def _blend_all(
    root: Path,
    prep: Prepared,
    settings: AutoSettings,
    clock: _Clock,
    say: Callable[[str], None],
    result: AutoResult,
) -> None:
    from kstarter.blend import BlendOptions, blend, eligible_runs

    members = eligible_runs(prep.project)
    if len(members) < 2:
        say(f"{clock.stamp()} no blend: fewer than two runs to combine")
        return
    for method in settings.blends:
        if clock.left() <= 0:
            result.skipped.append((f"blend {method}", "no time left"))
            continue
        say(f"{clock.stamp()} blend {method} of {len(members)} runs")
        done = blend(root, BlendOptions(runs=tuple(members), method=method))
        m = done.metrics
        used = sum(1 for x in done.members if x.weight > 0)
        what = f"{method} of {used} runs"
        result.entries.append(
            Entry(done.run_id, what, m.cv_mean, m.cv_std, _honest(m), m.seconds, "blend")
        )
        say(
            f"{clock.stamp()} blend {method}: CV {_cv(m)}, nested {_honest(m):.5f} -> run "
            f"{done.run_id}"
        )


def _honest(m: RunMetrics) -> float:
    """A blend's nested CV mean (its weights fitted without the fold they score), else CV."""
    nested = getattr(m, "nested_cv_mean", None)
    return float(nested) if nested is not None else float(m.cv_mean)


def _choose(result: AutoResult, metric: Metric) -> str | None:
    if not result.entries:
        return None
    sign = 1.0 if metric.greater_is_better else -1.0
    return max(result.entries, key=lambda e: sign * e.honest).run


def _entry(run_id: str, what: str, m: RunMetrics, status: str) -> Entry:
    return Entry(run_id, what, m.cv_mean, m.cv_std, float(m.cv_mean), m.seconds, status)


def _cv(m: RunMetrics) -> str:
    return f"{m.cv_mean:.5f} ± {m.cv_std:.5f}"


def _save(path: Path, result: AutoResult) -> None:
    """``.kstarter/auto.json``: the last auto's plan, members, blends and final run."""
    from kstarter.atomic import atomic_write_text

    data = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "budget": result.budget,
        "seconds": result.seconds,
        "loading_seconds": result.loading_seconds,
        "metric": result.metric,
        "direction": result.direction,
        "final": result.final,
        "interrupted": result.interrupted,
        "entries": [asdict(e) for e in result.entries],
        "skipped": [{"step": s, "why": w} for s, w in result.skipped],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")
