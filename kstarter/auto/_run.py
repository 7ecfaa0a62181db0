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
from kstarter.auto._pack import PackChoice, features_key, try_pack
from kstarter.auto._plan import AutoSettings, CostModel, Step, load_settings, order_steps
from kstarter.auto._work import Outcome, Task, init_worker, keep_prepared, work
from kstarter.cluster import Cluster, connect
from kstarter.errors import ConfigError, TrainError

if TYPE_CHECKING:
    from concurrent.futures import Future

    from kstarter.config import Project
    from kstarter.crossval import Prepared
    from kstarter.metrics import Metric
    from kstarter.runs import RunMetrics, RunRecord
    from kstarter.spec import Spec

__all__ = ["AutoOptions", "AutoResult", "Entry", "auto"]

# the keys a family's recorded parameters name its threads by: not part of what a run *is*
_THREAD_KEYS = frozenset({"num_threads", "nthread", "n_jobs", "thread_count"})


@dataclass(frozen=True)
class AutoOptions:
    budget: float  # seconds
    progress: Callable[[str], None] | None = None  # step lines: started, done, skipped
    workers: int | None = None  # runs at a time; None: the cores over one run's threads
    fold_progress: Callable[[str], None] | None = None  # per-fold lines (a terminal)
    cluster: str | None = None  # a Dask scheduler (tcp://HOST:PORT): the fold fits run there


@dataclass(frozen=True)
class Entry:
    """One line of auto's leaderboard: a member run or a blend."""

    run: str
    what: str  # "lightgbm", "catboost x3 seeds", "hillclimb of 6 runs"
    cv_mean: float
    cv_std: float
    honest: float  # a blend's nested CV, a run's CV
    seconds: float | None
    status: str  # trained | reused | blend
    fold_scores: tuple[float, ...] = ()


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
    picking: float | None = None  # the nested CV of picking the single run with the best CV
    pack: PackChoice | None = None  # the feature pack against plain features, before the plan

    @property
    def final_entry(self) -> Entry | None:
        return next((e for e in self.entries if e.run == self.final), None)


def auto(project_dir: Path | str | None, options: AutoOptions) -> AutoResult:
    from kstarter.config import load_project
    from kstarter.crossval import prepare

    if options.budget <= 0:
        raise ConfigError("--budget must be more than 0 seconds.")
    settings = load_settings()
    loading = time.monotonic()
    project = load_project(project_dir)
    if options.cluster is None:
        return _auto(project, prepare(project), settings, options, loading, None)
    with connect(options.cluster) as cluster:  # an unreachable cluster: before the data is read
        prep = prepare(project)
        cluster.check_project(prep)
        return _auto(project, prep, settings, options, loading, cluster)


def _auto(
    project: Project,
    prep: Prepared,
    settings: AutoSettings,
    options: AutoOptions,
    loading: float,
    cluster: Cluster | None,
) -> AutoResult:
    from kstarter.crossval import test_source

    start = time.monotonic()
    clock = _Clock(start, options.budget, settings, len(prep.y), _columns(prep.project.spec))
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
    # a refit for the test predictions (time splits) costs about one fold more per run
    refit = test_source(prep.folds.time_ordered, project.train.test_from) == "refit"
    parallel = _parallel(cluster, prep.folds.n_splits, options.workers)
    costs = CostModel(settings.relative_cost, prep.folds.n_splits + int(refit), parallel)
    try:
        features = None
        if settings.pack is not None:
            previous = _previous_pack(project.root / paths.AUTO_RECORD)
            result.pack, prep = try_pack(prep, settings.pack, options.budget, previous)
            say(f"{clock.stamp()} {pack_line(result.pack, prep.metric.name)}")
            if prep.project.raw != project.raw:  # the winner is not kstarter.yaml's features
                features = features_key(prep.project.raw.get("features"))
        _Trainer(prep, settings, clock, options, costs, result, cluster, features).run()
        _blend_all(project.root, prep, settings, clock, say, result)
    except KeyboardInterrupt:
        result.interrupted = True
        say(f"{clock.stamp()} interrupted: the runs written so far are kept")
    result.seconds = round(time.monotonic() - start, 2)
    result.picking = _picking(result.entries, prep.metric)
    result.final = _choose(result, prep.metric)
    _save(project.root / paths.AUTO_RECORD, result)
    if result.final is None and not result.interrupted:
        raise TrainError(_too_small(result, settings, costs, clock.reserve(2)))
    return result


def _too_small(result: AutoResult, settings: AutoSettings, costs: CostModel, reserve: float) -> str:
    """Why nothing finished, and the budget that would let the cheapest step finish."""
    estimates = [e for e in (costs.estimate(s) for s in settings.steps) if e is not None]
    need = (
        f", at least about {format_budget(_round_up(min(estimates) * 1.5 + reserve))} on this data"
        if estimates
        else ""
    )
    why = result.skipped[0][1] if result.skipped else "no step fitted"
    return (
        f"No run could finish within --budget {format_budget(result.budget)} ({why}): give "
        f"a larger --budget{need}."
    )


def _round_up(seconds: float) -> float:
    """A budget a person would type: whole seconds below 2 minutes, else whole minutes."""
    import math

    return float(math.ceil(seconds)) if seconds < 120 else 60.0 * math.ceil(seconds / 60)


@dataclass(frozen=True)
class _Clock:
    start: float
    budget: float
    settings: AutoSettings
    rows: int  # train rows: what the blends read and fit on
    columns: int  # prediction columns of a run: classes, targets, else 1

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def reserve(self, members: int) -> float:
        """Seconds kept for blending ``members`` runs at the end."""
        return self.settings.reserve(self.budget, self.rows, members, self.columns)

    def training_deadline(self, members: int) -> float:
        """The time.monotonic() by which training must end to blend ``members`` runs."""
        return self.start + self.budget - self.reserve(members)

    def left_for_training(self, members: int) -> float:
        return self.training_deadline(members) - time.monotonic()

    def left(self) -> float:
        return self.budget - self.elapsed()

    def stamp(self) -> str:
        return f"[{format_seconds(self.elapsed())} | {format_seconds(self.left())} left]"


# ---------------------------------------------------------------- the member runs


class _Trainer:
    """The steps of the plan, in order, ``slots`` at a time, while they fit in the time left:
    existing runs reused, steps that cannot fit skipped, every run measured for the next
    estimates."""

    def __init__(
        self,
        prep: Prepared,
        settings: AutoSettings,
        clock: _Clock,
        options: AutoOptions,
        costs: CostModel,
        result: AutoResult,
        cluster: Cluster | None = None,
        features: str | None = None,
    ) -> None:
        self.prep, self.settings, self.clock, self.options = prep, settings, clock, options
        self.costs, self.result, self.cluster = costs, result, cluster
        self.features = features
        self.say = options.progress or (lambda _: None)
        self.existing = _existing_runs(prep)
        for r in self.existing:
            costs.observe(r.metrics.model or "", r.metrics.seeds or 1, r.metrics.fold_seconds)
        self.done: dict[Step, RunMetrics] = {}
        self.limited: set[str] = set()  # families whose first run its time limit stopped
        self.pending = list(settings.steps)
        self.running: dict[Future[Outcome], Step] = {}

    def run(self) -> None:
        cluster = self.cluster
        if cluster is not None:
            slots = self.options.workers or _cluster_slots(cluster, self.prep.folds.n_splits)
            self.say(
                f"{self.clock.stamp()} {slots} run(s) at a time on the Dask cluster "
                f"{cluster.address}: {cluster.workers} workers, {cluster.cores} threads"
            )
        else:
            slots = self.options.workers or _slots(self.prep, self.settings, self.clock.budget)
            if slots > 1:
                threads = _threads(self.prep, self.settings)
                self.say(f"{self.clock.stamp()} {slots} runs at a time, {threads} thread(s) each")
        with _executor(self.prep, slots, cluster, self.features) as pool:
            try:
                self._loop(pool, slots)
            except BaseException:  # Ctrl-C, kill: stop the runs in flight, keep those written
                _stop_workers(pool, cluster)
                raise

    def _loop(self, pool: Any, slots: int) -> None:
        from concurrent.futures import FIRST_COMPLETED, wait

        clock = self.clock
        while self.pending or self.running:
            while self.pending and len(self.running) < slots:
                found = self._next_step()
                if found is None:
                    break
                step, fit_seconds = found
                task = Task(
                    project=str(self.prep.project.root),
                    model=step.model,
                    seeds=step.seeds,
                    deadline=clock.training_deadline(self._members()),
                    label=step.label,
                    fold_lines=self.options.fold_progress is not None,
                    clock=(clock.start, clock.budget),
                    fit_seconds=fit_seconds,
                    features=self.features,
                    parallel=self._parallel(),
                )
                self.running[pool.submit(work, task, self.cluster)] = step
            if not self.running:
                break
            finished, _ = wait(self.running, return_when=FIRST_COMPLETED)
            for future in finished:
                step = self.running.pop(future)
                self._collect(step, future.result())

    def _next_step(self) -> tuple[Step, float | None] | None:
        """The next step to train and its time limit per fit (None: none), taken off
        ``pending``: existing runs are reused and steps that cannot fit are skipped on the
        way. None once nothing is left."""
        clock, say = self.clock, self.say
        while self.pending:
            step = order_steps(self.pending, _family_rank(self.done, self.prep.metric))[0]
            self.pending.remove(step)
            found = _find_run(self.prep, self.existing, step)
            if found is not None:
                self.done[step] = found.metrics
                self.result.entries.append(_entry(found.id, step.label, found.metrics, "reused"))
                say(
                    f"{clock.stamp()} {step.label}: reused run {found.id} (CV {_cv(found.metrics)})"
                )
                continue
            left = clock.left_for_training(self._members())
            estimate = self.costs.estimate(step)
            fit_seconds, why = self._limit(step, left, estimate)
            if why is not None:
                self.result.skipped.append((step.label, why))
                say(f"{clock.stamp()} {step.label}: skipped ({why})")
                continue
            shown = f", about {format_seconds(estimate)}" if estimate is not None else ""
            if fit_seconds is not None:
                shown += f", at most {fit_seconds:.1f} s a fit"
            say(f"{clock.stamp()} {step.label}: training{shown}")
            return step, fit_seconds
        return None

    def _parallel(self) -> int:
        """A run's fits at once: its folds side by side on the cluster's workers, else 1."""
        return self.costs.parallel

    def _members(self) -> int:
        """The runs the blends will read if the next step trains: those reusable before this
        auto, those it trained, those training now, and the next one."""
        trained = sum(1 for e in self.result.entries if e.status == "trained")
        return len(self.existing) + trained + len(self.running) + 1

    def _limit(
        self, step: Step, left: float, estimate: float | None
    ) -> tuple[float | None, str | None]:
        """A step's time limit per fit, or why it is skipped.

        A family's first run (one seed) may take ``limit_share`` of the time left: one whose
        cost is unknown, or more than that, trains with each fit limited to its part of it
        (boosting stops there and keeps the model so far), so even a short budget on a large
        table gets a model of each family it can. A seed bag runs only when its estimate fits
        the time left, and only after its family's first run trained without hitting one."""
        if step.seeds > 1:  # what rules a bag out whatever the time left is said first
            if step.model in self.limited:
                return None, f"{step.model}'s single run already needed a time limit"
            if not any(s.model == step.model and s.seeds == 1 for s in self.done):
                return None, f"{step.model}'s single run did not train"
        if left <= 0:
            return None, "no time left"
        if step.seeds > 1:
            if estimate is not None and estimate > left:
                return None, f"needs about {format_seconds(estimate)}, {format_seconds(left)} left"
            return None, None
        n_folds = self.costs.rounds  # the folds' fits one after another (a cluster: fewer)
        settings, overhead = self.settings, self.costs.overhead()
        # the least another limited run needs; a rest smaller than that goes to this one
        least = n_folds * settings.min_fit_seconds / settings.fit_part + overhead
        share = settings.limit_share * left
        if left - share < least:
            share = left
        if estimate is not None and estimate <= share:
            return None, None
        fit_seconds = (share - overhead) / n_folds * settings.fit_part
        if fit_seconds <= 0:
            return None, "no time left"
        # a cost not known yet may well be far under the limit: only a known one is skipped
        if estimate is not None and fit_seconds < settings.min_fit_seconds:
            return None, (
                f"needs about {format_seconds(estimate)}, {format_seconds(left)} left: too "
                f"little for {n_folds} folds"
            )
        return fit_seconds, None

    def _collect(self, step: Step, outcome: Outcome) -> None:
        clock, say, result = self.clock, self.say, self.result
        limited = outcome.metrics is not None and bool(outcome.metrics.stopped_by_time)
        if not limited:  # a limited run's folds say what the limit allowed, not what it costs
            self.costs.observe(step.model, step.seeds, outcome.fold_seconds)
        if outcome.run_id is None or outcome.metrics is None:
            why = (
                f"stopped after {len(outcome.fold_seconds)} of {self.prep.folds.n_splits} "
                "folds: it would have ended past the budget"
            )
            result.skipped.append((step.label, why))
            say(f"{clock.stamp()} {step.label}: {why}")
            return
        self.costs.observe_overhead(outcome.overhead)
        self.done[step] = outcome.metrics
        label = step.label
        if limited:
            self.limited.add(step.model)
            label += " (time-limited)"
        result.entries.append(_entry(outcome.run_id, label, outcome.metrics, "trained"))
        cut = (
            f", {outcome.metrics.stopped_by_time} of {self.prep.folds.n_splits} folds stopped "
            "by the time limit"
            if limited
            else ""
        )
        say(
            f"{clock.stamp()} {step.label}: done, CV {_cv(outcome.metrics)}{cut} -> run "
            f"{outcome.run_id}"
        )


def _threads(prep: Prepared, settings: AutoSettings) -> int:
    """The most threads any family of the plan trains with on this data."""
    from kstarter.crossval import build_model

    params, seed = dict(prep.project.model.params), prep.project.train.seed
    models = {s.model for s in settings.steps}
    return max(build_model(prep, params, seed, m).threads for m in sorted(models))


def _slots(prep: Prepared, settings: AutoSettings, budget: float) -> int:
    """Runs at a time: the physical cores over the threads one run takes. A small table trains
    with one thread (kstarter's thread policy), so an 8-core machine trains 8 runs at once; a
    large one takes every core, and its runs go one after another. Below ``parallel_from``
    seconds of budget, one at a time: starting worker processes (imports, loading the inputs)
    would cost more of a short budget than they give back."""
    from kstarter.models import physical_cores

    if budget < settings.parallel_from:
        return 1
    return max(1, physical_cores() // _threads(prep, settings))


def _parallel(cluster: Cluster | None, n_folds: int, runs: int | None) -> int:
    """A run's fits at once: on a cluster, its folds side by side on the workers it gets (each
    worker fits one at a time, with all its threads); here, one after another."""
    if cluster is None:
        return 1
    runs = runs or _cluster_slots(cluster, n_folds)
    return max(1, min(n_folds, cluster.workers // max(1, runs)))


def _cluster_slots(cluster: Cluster, n_folds: int) -> int:
    """Runs at a time on a cluster: enough for every worker to have a fold to fit."""
    return max(1, -(-cluster.workers // n_folds))


def _executor(
    prep: Prepared, slots: int, cluster: Cluster | None = None, features: str | None = None
) -> Any:
    """The main process itself for one slot (its prepared inputs are reused); else a pool of
    ``slots`` fresh processes (spawned: no OpenMP state is forked). With a cluster, threads of
    this process: each run sends its folds there and waits."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    if slots == 1 or cluster is not None:
        keep_prepared(prep, features)
        return _InProcess() if slots == 1 else ThreadPoolExecutor(slots)
    return ProcessPoolExecutor(
        slots, mp_context=multiprocessing.get_context("spawn"), initializer=init_worker
    )


def _stop_workers(pool: Any, cluster: Cluster | None = None) -> None:
    """Pass Ctrl-C on to the pool's workers (a run in flight stops and writes nothing) and
    wait for them, so no worker outlives auto. With a cluster, its connection is closed: the
    runs waiting for their folds stop at once (writing nothing), their fits are let go."""
    import multiprocessing
    import os
    import signal
    from concurrent.futures import ThreadPoolExecutor

    if isinstance(pool, _InProcess):
        return
    if isinstance(pool, ThreadPoolExecutor):
        if cluster is not None:
            cluster.close()
        pool.shutdown(wait=True, cancel_futures=True)
        return
    for child in multiprocessing.active_children():
        if child.pid is not None:
            os.kill(child.pid, signal.SIGINT)
    pool.shutdown(wait=True, cancel_futures=True)


class _InProcess:
    """An executor that runs each task at once, in this process."""

    def __enter__(self) -> _InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Callable[..., Outcome], *args: Any) -> Future[Outcome]:
        from concurrent.futures import Future

        future: Future[Outcome] = Future()
        future.set_result(fn(*args))  # an exception (Ctrl-C, a kstarter error) propagates
        return future


def _existing_runs(prep: Prepared) -> list[RunRecord]:
    """Runs that ``auto`` may reuse: trained (not blended) with the project's default
    parameters on these folds, this kstarter.yaml and this metric, and not cut short by a
    time limit (a later ``auto`` trains those again, fully if it has the time; they stay
    members of the blends)."""
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
        and not r.metrics.stopped_by_time
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
    took = 0.0  # what the previous method took: the next costs at least about as much
    for method in settings.blends:
        need = max(settings.blend_seconds(clock.rows, len(members), clock.columns, method), took)
        left = clock.left()
        if left <= 0 or need > left:
            why = "no time left" if left <= 0 else (
                f"needs about {format_seconds(need)}, {format_seconds(left)} left"
            )  # fmt: skip
            result.skipped.append((f"blend {method}", why))
            say(f"{clock.stamp()} blend {method}: skipped ({why})")
            continue
        say(f"{clock.stamp()} blend {method} of {len(members)} runs")
        started = time.monotonic()
        done = blend(root, BlendOptions(runs=tuple(members), method=method))
        took = time.monotonic() - started
        m = done.metrics
        used = sum(1 for x in done.members if x.weight > 0)
        what = f"{method} of {used} run{'s' if used != 1 else ''}"
        result.entries.append(
            Entry(done.run_id, what, m.cv_mean, m.cv_std, _honest(m), m.seconds, "blend")
        )
        say(
            f"{clock.stamp()} blend {method}: CV {_cv(m)}, nested {_honest(m):.5f} -> run "
            f"{done.run_id}"
        )


def _columns(spec: Spec) -> int:
    """The prediction columns of one run: a probability per class, a value per target, else 1."""
    if spec.task == "multiclass":
        return len(spec.classes)
    return len(spec.targets) if spec.task == "multitarget" else 1


def _honest(m: RunMetrics) -> float:
    """A blend's nested CV mean (its weights fitted without the fold they score), else CV."""
    return float(m.honest_cv_mean)


def _picking(entries: list[Entry], metric: Metric) -> float | None:
    """The nested CV of the procedure "submit the single run with the best CV": for each fold,
    the run best on the other folds, scored on that fold. The best run's own CV flatters it as a
    blend's plain CV does (the more runs it was picked from, the more), so this, not that, is
    what a blend's nested CV is compared with. None when the runs' fold scores do not line up."""
    import numpy as np

    singles = [e for e in entries if e.status != "blend"]
    if not singles or len({len(e.fold_scores) for e in singles}) != 1:
        return None
    scores = np.array([e.fold_scores for e in singles], dtype=float)
    if scores.shape[1] == 0 or not np.isfinite(scores).all():
        return None
    sign = 1.0 if metric.greater_is_better else -1.0
    folds = scores.shape[1]
    picked = []
    for k in range(folds):
        others = np.delete(scores, k, axis=1).mean(axis=1) if folds > 1 else scores[:, 0]
        picked.append(scores[int(np.argmax(sign * others)), k])
    return float(np.mean(picked))


def _choose(result: AutoResult, metric: Metric) -> str | None:
    """The blend with the best nested CV if it beats picking the best single run (compared
    nested with nested), else the single run with the best CV."""
    if not result.entries:
        return None
    sign = 1.0 if metric.greater_is_better else -1.0
    singles = [e for e in result.entries if e.status != "blend"]
    blends = [e for e in result.entries if e.status == "blend"]
    if not singles:
        return max(blends, key=lambda e: sign * e.honest).run
    single = max(singles, key=lambda e: sign * e.cv_mean)
    picking = single.honest if result.picking is None else result.picking
    if blends:
        blend = max(blends, key=lambda e: sign * e.honest)
        if sign * blend.honest > sign * picking:
            return blend.run
    return single.run


def _entry(run_id: str, what: str, m: RunMetrics, status: str) -> Entry:
    return Entry(
        run_id, what, m.cv_mean, m.cv_std, float(m.cv_mean), m.seconds, status, m.fold_scores
    )


def _previous_pack(path: Path) -> dict[str, Any] | None:
    """The last auto's feature pack choice, None when there is none (or the record is
    damaged: only a shortcut, the trial runs again)."""
    try:
        found = json.loads(path.read_text(encoding="utf-8")).get("feature_pack")
    except (OSError, ValueError, AttributeError):
        return None
    return found if isinstance(found, dict) else None


def pack_line(choice: PackChoice, metric: str) -> str:
    """One line: the feature pack kept or not, and by how much."""
    names = ", ".join(choice.transforms) or "none"
    if choice.why is not None:
        kept = "kept" if choice.kept else "not used"
        return f"feature pack ({names}): not tried ({choice.why}); {kept} as kstarter.yaml says"
    assert choice.gain is not None and choice.stderr is not None
    verdict = "kept for the plan" if choice.kept else "dropped: plain features for the plan"
    if choice.capped:
        verdict = (
            f"{'kept' if choice.kept else 'not used'} as kstarter.yaml says: the cheap "
            f"LightGBM was still improving at its round cap in {choice.capped} of "
            f"{2 * len(choice.pack_folds)} fold fits, too early to tell"
        )
    if choice.reused:
        verdict += " (the last auto's trial, on the same inputs and folds)"
    return (
        f"feature pack ({names}): {verdict}; cheap LightGBM CV {metric} {choice.pack_cv:.5f} "
        f"with it, {choice.plain_cv:.5f} without, gain {choice.gain:+.5f} ± "
        f"{choice.stderr:.5f} a fold (paired, {len(choice.pack_folds)} folds)"
    )


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
        "picking": result.picking,
        "interrupted": result.interrupted,
        "entries": [asdict(e) for e in result.entries],
        "feature_pack": asdict(result.pack) if result.pack is not None else None,
        "skipped": [{"step": s, "why": w} for s, w in result.skipped],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")
