"""Tuning workers: processes that run trials of one shared study until the run's budget is met.

A run's budget is a target count of finished (complete or pruned) trials in the study and a
time after which no new trial starts, counted from when the worker can start trials (its data
loaded and prepared, the study opened): loading is not part of the tuning time. Before each
trial a worker fails the trials left RUNNING by workers that died (``fail_dead_workers``) and
starts a trial only while the finished plus in-flight trials are below the target, so N workers
stop at the target instead of each running N trials. ``--workers N`` starts N ``python -m
kstarter.tuning`` processes on this machine; more machines join by running ``kstarter tune
--storage postgresql://...`` themselves.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING

from kstarter.errors import TrainError, disk_error

if TYPE_CHECKING:
    from collections.abc import Callable

    import optuna
    from optuna.trial import FrozenTrial

    from kstarter.crossval import Prepared
    from kstarter.tuning._objective import Objective

__all__ = ["WorkerPlan", "run_worker", "run_workers", "fail_dead_workers", "worker_id"]

POLL = 0.5  # seconds between checks while the run's last trials are in flight
FAILED_IN_A_ROW = 10  # a worker stops after this many of its trials failed one after another
ORPHAN_AFTER = 120  # seconds a RUNNING trial may go without naming its worker (normally ms)


@dataclass(frozen=True)
class WorkerPlan:
    project_dir: str
    storage_kind: str
    storage_url: str
    study: str
    target: int | None  # stop once the study has this many finished trials
    timeout: float | None  # seconds, from when trials can start, after which none starts
    seed: int  # this worker's TPE seed
    threads: int | None = None  # the model's threads; None = kstarter.yaml's model.threads
    progress: bool = False  # one line per finished trial on stderr
    parent: int | None = None  # stop taking trials when this process is gone
    model: str | None = None  # the family tuned; None = kstarter.yaml's model.name


def run_worker(plan: WorkerPlan, prep: Prepared | None = None) -> None:
    """Run trials until the plan's target or deadline (or Ctrl-C: the trial in flight is
    marked failed, every finished trial is kept)."""
    import optuna
    from lightgbm.basic import LightGBMError

    from kstarter.config import load_project
    from kstarter.crossval import prepare
    from kstarter.tuning._objective import Objective, RejectedParams
    from kstarter.tuning._results import after_trial
    from kstarter.tuning._space import load_space
    from kstarter.tuning._storage import StorageRef, open_storage
    from kstarter.tuning._study import check_attrs, for_model, load, study_attrs

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    _quiet_interrupts()
    prep = prep or prepare(for_model(load_project(plan.project_dir), plan.model))
    prep = _with_threads(prep, plan.threads)
    ref = StorageRef(plan.storage_kind, plan.storage_url)
    sampler = optuna.samplers.TPESampler(seed=plan.seed)
    study = load(open_storage(ref), plan.study, prep.project.tune, prep.folds.n_splits, sampler)
    check_attrs(study, ref, study_attrs(prep))  # same folds, data and settings as the study
    objective = Objective(prep, load_space(prep.project), worker_id())
    callback = after_trial(prep, plan.progress)
    failed: list[str] = []  # this worker's failed trials in a row, why each failed
    deadline = None if plan.timeout is None else time.time() + plan.timeout  # ready from now
    while _may_start_trial(study, plan, deadline):
        # A model library's error fails that trial only (a bad parameter combination);
        # anything else (a kstarter error, Ctrl-C) stops the worker, after marking the trial
        # failed. A space where trial after trial fails stops too, instead of looping.
        failed.append("")
        try:
            study.optimize(
                objective,
                n_trials=1,
                catch=(LightGBMError, RejectedParams),
                callbacks=[callback, _note_failure(failed, objective)],
            )
        except AssertionError as exc:  # Optuna's "Should not reach" when the storage failed
            disk = _os_error(exc)
            if disk is None:
                raise
            raise disk_error(disk, plan.storage_url if ref.kind == "journal" else None) from None
        if failed[-1] == "":
            failed.clear()
        elif len(failed) >= FAILED_IN_A_ROW:
            raise TrainError(
                f"{len(failed)} trials in a row failed, the model library saying: {failed[-1]}. "
                "Narrow the search space (kstarter.yaml's tune: search_space:) to values the "
                "model accepts; the finished trials are kept."
            )


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError (a full disk) behind ``exc``: Optuna fails with an AssertionError when the
    storage refuses to record a trial's end, the disk's error only in its context."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError):
            return seen
        seen = seen.__context__
    return None


def _note_failure(
    failed: list[str], objective: Objective
) -> Callable[[optuna.Study, FrozenTrial], None]:
    """A callback that records why this worker's trial failed (Optuna keeps no reason)."""

    def callback(study: optuna.Study, trial: FrozenTrial) -> None:
        from optuna.trial import TrialState

        if trial.state == TrialState.FAIL:
            failed[-1] = objective.last_error or "(no message)"

    return callback


class _InterruptFilter(logging.Filter):
    """Ctrl-C or `kill` fails the trial in flight, and Optuna logs that with a traceback that
    reads like a crash. Drop Optuna's log lines from the interrupt on; keep all others."""

    interrupted = False

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and issubclass(record.exc_info[0] or type, KeyboardInterrupt):
            self.interrupted = True
        return not self.interrupted


class _RejectedFilter(logging.Filter):
    """A trial the model library refused (one bad point of the space) is logged by Optuna as a
    warning with the whole traceback: keep its one-line message, drop the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        from kstarter.tuning._objective import LIBRARIES, RejectedParams

        kind = record.exc_info[0] if record.exc_info else None
        if kind is not None and (
            issubclass(kind, RejectedParams) or kind.__module__.split(".")[0] in LIBRARIES
        ):
            record.exc_info, record.exc_text = None, None
        return True


def _quiet_interrupts() -> None:
    for handler in logging.getLogger("optuna").handlers:
        for kind in (_InterruptFilter, _RejectedFilter):
            if not any(isinstance(f, kind) for f in handler.filters):
                handler.addFilter(kind())


def run_workers(plan: WorkerPlan, n: int) -> None:
    """Start ``n`` worker processes with their own seeds and LightGBM threads; wait for all."""
    procs: list[subprocess.Popen[str]] = []
    try:
        for i in range(n):
            spec = asdict(replace(plan, seed=plan.seed + i, parent=os.getpid()))
            proc = subprocess.Popen(
                [sys.executable, "-m", "kstarter.tuning"], stdin=subprocess.PIPE, text=True
            )
            # the plan (and any storage password in it) goes through a pipe, not argv
            assert proc.stdin is not None  # stdin=PIPE
            proc.stdin.write(json.dumps(spec))
            proc.stdin.close()
            procs.append(proc)
        codes = [p.wait() for p in procs]
    except BaseException:
        _stop(procs)
        raise
    failed = [i for i, code in enumerate(codes) if code != 0]
    if failed:
        raise TrainError(
            f"{len(failed)} of {n} tuning workers stopped with an error (printed above); "
            "the trials they finished are kept in the study."
        )


def _stop(procs: list[subprocess.Popen[str]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()  # the worker fails its trial in flight and exits
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _may_start_trial(study: optuna.Study, plan: WorkerPlan, deadline: float | None) -> bool:
    from optuna.trial import TrialState

    while True:
        if deadline is not None and time.time() >= deadline:
            return False
        if plan.parent is not None and os.getppid() != plan.parent:
            return False
        fail_dead_workers(study)
        if plan.target is None:
            return True
        states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
        trials = study.get_trials(deepcopy=False, states=states)
        done = sum(t.state != TrialState.RUNNING for t in trials)
        heartbeat = plan.storage_kind == "rdb"
        running = sum(_in_flight(t, heartbeat) for t in trials if t.state == TrialState.RUNNING)
        if done >= plan.target:
            return False
        if done + running < plan.target:
            return True
        time.sleep(POLL)  # the last trials are in flight; one may fail and need a successor


def _in_flight(trial: optuna.trial.FrozenTrial, heartbeat: bool) -> bool:
    """Whether a RUNNING trial will surely finish or be failed: with RDB heartbeats always; in a
    journal only a trial of a live worker on this machine (``fail_dead_workers`` failed the
    rest). A journal trial of another machine cannot be checked: it is not waited for."""
    from kstarter.tuning._objective import WORKER

    return heartbeat or _worker(trial)[0] == socket.gethostname() or WORKER not in trial.user_attrs


def fail_dead_workers(study: optuna.Study) -> list[int]:
    """Mark FAIL the RUNNING trials whose worker process on this machine is gone (killed,
    crashed, machine rebooted), and trials that never recorded their worker (killed in the
    instant between being created and recording it), so none counts as in flight forever.
    Trials of other machines are failed by Optuna's RDB heartbeat once they miss its grace
    period."""
    from optuna.trial import TrialState

    _fail_heartbeat_stale(study)
    failed = []
    host = socket.gethostname()
    now = datetime.datetime.now()
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker_host, pid, started = _worker(t)
        if worker_host is None:
            age = (now - t.datetime_start).total_seconds() if t.datetime_start else 0
            dead = age > ORPHAN_AFTER
        else:
            dead = worker_host == host and not _alive(pid, started)
        if dead:
            study.tell(t.number, state=TrialState.FAIL, skip_if_finished=True)
            failed.append(t.number)
    return failed


def _worker(trial: optuna.trial.FrozenTrial) -> tuple[str | None, int, str]:
    """(host, pid, start time) of the worker that runs ``trial``; host None if not recorded."""
    from kstarter.tuning._objective import WORKER

    parts = str(trial.user_attrs.get(WORKER, "")).rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None, 0, ""
    return parts[0], int(parts[1]), parts[2]


def _fail_heartbeat_stale(study: optuna.Study) -> None:
    """Optuna's check (a no-op without RDB heartbeats), also while this worker waits."""
    import optuna

    with warnings.catch_warnings():
        # experimental since Optuna 2.9; Optuna's own optimize() silences it the same way
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def worker_id() -> str:
    """host:pid:start-time of this process (the start time tells a reused pid apart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid()) or ''}"


def _alive(pid: int, started: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    stat = _stat(pid)
    if stat is None:  # no /proc (not Linux): the pid exists, so assume it is the worker
        return True
    state, start = stat
    return state != "Z" and (not started or start == started)


def _start_time(pid: int) -> str | None:
    stat = _stat(pid)
    return stat[1] if stat else None


def _stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks since boot) from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[-1].split()
    return fields[0], fields[19]


def _with_threads(prep: Prepared, threads: int | None) -> Prepared:
    if threads is None:
        return prep
    project = replace(prep.project, model=replace(prep.project.model, threads=threads))
    return replace(prep, project=project)
