"""``kstarter tune``: an Optuna study of one model family's parameters (``--model``, default
kstarter.yaml's model.name) on the project's saved folds.

Each trial is a ``kstarter train`` cross-validation (through :func:`kstarter.crossval.evaluate`),
pruned fold by fold, in a study that survives crashes and is shared by any number of workers.
The pieces live in :mod:`kstarter.tuning`; this module runs them in order.
"""

from __future__ import annotations

import hashlib
import socket
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from kstarter.config import load_project
from kstarter.errors import TrainError

if TYPE_CHECKING:
    import optuna
    from optuna.trial import FrozenTrial

    from kstarter.config import Project, TuneConfig
    from kstarter.crossval import Prepared
    from kstarter.metrics import Metric
    from kstarter.tuning._storage import StorageRef
    from kstarter.tuning._workers import WorkerPlan

__all__ = ["TuneOptions", "TuneResult", "tune", "show", "summary_lines"]


@dataclass(frozen=True)
class TuneOptions:
    trials: int | None = None  # finished trials to add; None with timeout None: kstarter.yaml's
    timeout: float | None = None  # seconds after which no new trial starts
    storage: str | None = None  # journal path or sqlite:/// / postgresql:// URL
    study: str | None = None  # default: <competition>-<model>
    workers: int = 1
    progress: bool = False  # one line per finished trial on stderr
    model: str | None = None  # the family to tune; None: kstarter.yaml's model.name


@dataclass(frozen=True)
class TuneResult:
    study: str
    storage: str  # as shown to people (password masked)
    dashboard: str  # the optuna-dashboard command for this storage
    metric: str
    direction: str
    counts: dict[str, int]  # trials this run added, by state
    stale_failed: list[int]  # RUNNING trials of dead workers marked failed at the start
    best_number: int | None
    best_value: float | None
    params_path: Path | None
    plot_path: Path | None
    seconds: float
    model: str = "lightgbm"  # the family tuned
    train_command: str = "kstarter train --params tuned"  # what trains with the best trial


def tune(project_dir: Path | str | None = None, options: TuneOptions | None = None) -> TuneResult:
    """Create or resume the study, run trials until the budget is met, save the results."""
    options = options or TuneOptions()
    started = time.time()
    from kstarter.tuning._study import for_model

    _quiet_optuna()
    loaded = load_project(project_dir)
    project = for_model(loaded, options.model)
    prep: Prepared | None  # let go (None) when worker processes load their own
    prep, ref, study, stale = _open(project, options)
    trials = study.get_trials(deepcopy=False)
    before = {t.number for t in trials}
    finished = sum(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
    plan = _plan(project, ref, study.study_name, options, (len(before), finished), started)
    metric = prep.metric
    if options.workers > 1:
        prep = None  # worker processes load their own copy: do not hold a third one here
    try:
        _run(plan, options.workers, prep)
    except KeyboardInterrupt:
        _save(project, study)
        raise TrainError(
            "Interrupted: the trial in flight is marked failed, every finished trial is kept; "
            "run `kstarter tune` again to resume the study."
        ) from None
    saved = _save(project, study)
    added = [t for t in study.get_trials(deepcopy=False) if t.number not in before]
    result = _result(study, ref, metric, added, stale, saved, time.time() - started)
    from kstarter.tuning._results import params_option, params_path

    family = project.model.name
    shown = "" if family == loaded.model.name else f" --model {family}"
    which = params_option(project, params_path(project, study.study_name))
    return replace(result, model=family, train_command=f"kstarter train{shown} --params {which}")


def _open(
    project: Project, options: TuneOptions
) -> tuple[Prepared, StorageRef, optuna.Study, list[int]]:
    """Everything checked before a trial runs: the search space, the folds (made here, once,
    before any worker starts), the storage, and the study (created here, or loaded and
    checked); trials of dead workers are marked failed."""
    from kstarter.crossval import prepare
    from kstarter.tuning._space import load_space
    from kstarter.tuning._storage import open_storage, resolve_storage
    from kstarter.tuning._study import check_space, create_or_load, default_study_name
    from kstarter.tuning._workers import fail_dead_workers

    space = load_space(project)  # a bad search space stops here, before anything is created
    prep = prepare(project)
    ref = resolve_storage(options.storage, project.root)
    name = options.study or default_study_name(project)
    study = create_or_load(open_storage(ref), ref, name, prep)
    check_space(study, space)
    return prep, ref, study, fail_dead_workers(study)


def _result(
    study: optuna.Study,
    ref: StorageRef,
    metric: Metric,
    added: list[FrozenTrial],
    stale: list[int],
    saved: tuple[Path | None, Path | None],
    seconds: float,
) -> TuneResult:
    from kstarter.tuning._results import best_trial

    best = best_trial(study)
    return TuneResult(
        study=study.study_name,
        storage=ref.shown,
        dashboard=ref.dashboard_command(),
        metric=metric.name,
        direction=metric.direction,
        counts=_count(added),
        stale_failed=stale,
        best_number=best.number if best else None,
        best_value=best.value if best else None,
        params_path=saved[0],
        plot_path=saved[1],
        seconds=round(seconds, 1),
    )


def show(
    project_dir: Path | str | None = None,
    storage: str | None = None,
    study: str | None = None,
    model: str | None = None,
) -> list[str]:
    """The study's trials (``model``'s default study unless ``study`` names one) as text lines
    (number, state, CV, folds, seconds, params) and its best trial."""
    from kstarter.tuning._results import params_option, params_path, trial_table
    from kstarter.tuning._storage import open_storage, resolve_storage
    from kstarter.tuning._study import MODEL, default_study_name, for_model, load

    _quiet_optuna()
    project = for_model(load_project(project_dir), model)
    ref = resolve_storage(storage, project.root)
    command = "kstarter tune" + (f" --model {model}" if model else "")
    if ref.kind == "journal" and not Path(ref.url).exists():
        return [f"No study yet in {ref.shown}: run `{command}` first."]
    name = study or default_study_name(project)
    opened = open_storage(ref, heartbeat=False)
    found = load(opened, name, project.tune, project.cv.n_splits, command=command)
    family = found.user_attrs.get(MODEL)
    tunes = f" (tunes {family})" if family else ""
    saved = params_path(project, name)
    if saved.is_file():  # the parameters this study saved, and how to train with them
        flag = f" --model {model}" if model else ""
        tunes += (
            f"; best saved in {saved.relative_to(project.root)}: run "
            f"`kstarter train{flag} --params {params_option(project, saved)}`"
        )
    return [f"Study {name!r} in {ref.shown}{tunes}", *trial_table(found)]


def summary_lines(r: TuneResult) -> list[str]:
    """What a person reads after a run."""
    counts = ", ".join(f"{n} {state}" for state, n in sorted(r.counts.items())) or "none"
    lines = [f"Study {r.study!r} in {r.storage}: trials this run: {counts} ({r.seconds:.0f} s)"]
    if r.stale_failed:
        lines.append(f"  marked failed (their worker had died): trials {r.stale_failed}")
    if r.best_number is None:
        return [*lines, "  no complete trial yet"]
    lines.append(f"  best: trial {r.best_number}, CV {r.metric} {r.best_value:.6g} ({r.direction})")
    lines.append(f"  saved {r.params_path}: run `{r.train_command}`")
    if r.plot_path:
        lines.append(f"  plot: {r.plot_path}")
    lines.append(f"  dashboard: {r.dashboard}")
    return lines


def _plan(
    project: Project,
    ref: StorageRef,
    name: str,
    options: TuneOptions,
    counts: tuple[int, int],
    started: float,
) -> WorkerPlan:
    """What every worker of this run gets: the family, the target count of finished trials in
    the study (finished now + --trials), the deadline, its seed and the model's threads."""
    from kstarter.tuning._workers import WorkerPlan

    n_before, done_now = counts
    trials, timeout = _budget(options, project.tune)
    return WorkerPlan(
        project_dir=str(project.root),
        storage_kind=ref.kind,
        storage_url=ref.url,
        study=name,
        target=None if trials is None else done_now + trials,
        deadline=None if timeout is None else started + timeout,
        seed=_seed(project.tune.sampler_seed, n_before),
        threads=_threads(project, options.workers),
        progress=options.progress,
        model=project.model.name,
    )


def _budget(options: TuneOptions, tune: TuneConfig) -> tuple[int | None, float | None]:
    """The command line's --trials/--timeout if either is given, else kstarter.yaml's."""
    if options.trials is None and options.timeout is None:
        return tune.trials, tune.timeout
    return options.trials, options.timeout


def _seed(base: int, n_before: int) -> int:
    """A TPE seed per run and machine: a resumed study must not replay the first run's random
    draws, and two machines joining at once must not draw the same points."""
    digest = hashlib.sha256(f"{base}:{n_before}:{socket.gethostname()}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % (2**31 - 1024)


def _threads(project: Project, workers: int) -> int | None:
    """The model's threads per worker: the cores split between the workers."""
    if workers <= 1:
        return None
    from kstarter.models import physical_cores

    cores = project.model.threads or physical_cores()
    return max(1, cores // workers)


def _quiet_optuna() -> None:
    """Optuna's INFO lines (one per trial) off: kstarter prints its own, only at a terminal."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)


def _run(plan: WorkerPlan, workers: int, prep: Prepared | None) -> None:
    from kstarter.tuning._workers import run_worker, run_workers

    if workers <= 1:
        run_worker(plan, prep)
    else:
        run_workers(plan, workers)


def _save(project: Project, study: optuna.Study) -> tuple[Path | None, Path | None]:
    from kstarter.tuning._results import best_trial, plot_path, plot_study, write_tuned_params

    best = best_trial(study)
    params = write_tuned_params(project, study, best) if best is not None else None
    plot = plot_study(study, plot_path(project, study.study_name))
    return params, plot


def _count(trials: list[FrozenTrial]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.name.lower()] = counts.get(t.state.name.lower(), 0) + 1
    return counts
