"""One auto step as a unit of work: train one ordinary run on the prepared inputs, stopped
(nothing written) once its folds show it would end past the training deadline.

The same function runs in the main process (one slot: the inputs prepared there are reused)
or in a worker process of a pool (several slots: each worker prepares the inputs once, from
kstarter's cache, and keeps them for its next steps)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from kstarter.cluster import Cluster
    from kstarter.crossval import Prepared
    from kstarter.models import FoldOutput
    from kstarter.runs import RunMetrics

__all__ = ["Task", "Outcome", "work", "keep_prepared", "init_worker"]

# per process: (project root, Task.features) -> its prepared inputs
_PREPARED: dict[tuple[str, str | None], Prepared] = {}
_STATE = {"running": False, "interrupted": False}  # a pool worker's Ctrl-C bookkeeping


def init_worker() -> None:
    """A pool worker turns the first Ctrl-C that reaches it during a step into
    KeyboardInterrupt (the run in progress stops, writing nothing) and ignores the rest: at a
    terminal Ctrl-C reaches every process, and auto passes it on to its workers too."""
    import signal

    def on_interrupt(signum: int, frame: object) -> None:
        if _STATE["running"] and not _STATE["interrupted"]:
            _STATE["interrupted"] = True
            raise KeyboardInterrupt
        _STATE["interrupted"] = True

    signal.signal(signal.SIGINT, on_interrupt)


@dataclass(frozen=True)
class Task:
    project: str  # the project root
    model: str
    seeds: int
    deadline: float  # time.monotonic() past which no fold may end (the training deadline)
    label: str = ""  # how progress lines name the step
    fold_lines: bool = False  # a line a fold on stderr, with the time used and left
    clock: tuple[float, float] = (0.0, 0.0)  # auto's start (time.monotonic()) and budget
    fit_seconds: float | None = None  # each fit stops adding rounds after this, keeping its model
    # the features: section the run uses instead of kstarter.yaml's (the feature pack trial's
    # winner, as JSON; "{}": none); None: kstarter.yaml's
    features: str | None = None
    parallel: int = 1  # the run's folds fitted at once (on a Dask cluster's workers)


@dataclass(frozen=True)
class Outcome:
    run_id: str | None  # None: stopped before it could end in time
    metrics: RunMetrics | None
    fold_seconds: tuple[float, ...]  # the folds that finished (all of them for a run)
    overhead: float  # the run's seconds outside its folds


class _OverBudget(Exception):
    """The folds so far show the run would end past the deadline (the families themselves
    raise OutOfTime once it has passed, in the middle of a fold)."""


def keep_prepared(prep: Prepared, features: str | None = None) -> None:
    """Let :func:`work` in this process use inputs already prepared."""
    _PREPARED[str(prep.project.root), features] = prep


def _prepared(root: str, features: str | None) -> Prepared:
    if (root, features) not in _PREPARED:
        import json

        from kstarter.auto._pack import with_features
        from kstarter.config import load_project
        from kstarter.crossval import prepare

        project = load_project(root)
        if features is not None:
            project = with_features(project, json.loads(features))
        _PREPARED[root, features] = prepare(project)
    return _PREPARED[root, features]


def work(task: Task, cluster: Cluster | None = None) -> Outcome:
    """One step; with a ``cluster`` (auto's own process, one thread a step) its folds are
    fitted there."""
    if _STATE["interrupted"]:
        raise KeyboardInterrupt
    _STATE["running"] = True
    try:
        return _work(task, cluster)
    finally:
        _STATE["running"] = False


def _work(task: Task, cluster: Cluster | None) -> Outcome:
    from kstarter.models import OutOfTime
    from kstarter.train import TrainOptions, train_prepared

    prep = _prepared(task.project, task.features)
    n_folds = prep.folds.n_splits
    start = time.monotonic()
    folds: list[float] = []

    def guard(k: int, out: FoldOutput, va: np.ndarray) -> None:
        now = time.monotonic()
        folds.append(now - start - sum(folds))
        # the folds come back ``parallel`` at a time: in rounds of that many fits
        done, rounds = -(-(k + 1) // task.parallel), -(-n_folds // task.parallel)
        if rounds > done and (now - start) / done * (rounds - done) > task.deadline - now:
            raise _OverBudget

    def fold_line(line: str) -> None:
        from kstarter.auto._budget import stamp

        print(f"{stamp(*task.clock)}   {task.label}: {line}", file=sys.stderr, flush=True)

    options = TrainOptions(
        model=task.model,
        seeds=task.seeds,
        progress=fold_line if task.fold_lines else None,
        deadline=task.deadline,
        fit_seconds=task.fit_seconds,
    )
    try:
        params = dict(prep.project.model.params)
        run = train_prepared(prep, params, options, on_fold=guard, cluster=cluster)
    except (_OverBudget, OutOfTime):
        return Outcome(None, None, tuple(folds), 0.0)
    seconds = tuple(run.metrics.fold_seconds)
    # a cluster fits ``parallel`` folds side by side: they took about their sum over that
    folds_wall = sum(seconds) / (task.parallel if cluster is not None else 1)
    return Outcome(run.run_id, run.metrics, seconds, time.monotonic() - start - folds_wall)
