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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from kstarter.config import load_project
from kstarter.errors import TrainError
from kstarter.tuning._default import Defaults

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
    defaults: Defaults = field(default_factory=lambda: Defaults(None, None, None, None))
    greater_is_better: bool = False


def tune(project_dir: Path | str | None = None, options: TuneOptions | None = None) -> TuneResult:
    """Create or resume the study, run trials until the budget is met, save the results."""
    options = options or TuneOptions()
    started = time.time()
    from kstarter.tuning._study import for_model

    _quiet_optuna()
    loaded = load_project(project_dir)
    project = for_model(loaded, options.model)
    from kstarter.train import check_model

    check_model(project, project.model.name, dict(project.model.params))  # before any data
    prep: Prepared | None  # let go (None) when worker processes load their own
    prep, ref, study, stale = _open(project, options)
    from kstarter.tuning._default import default_run, default_values

    run = default_run(prep, default_values(prep))  # the project's default run to beat, if any
    trials = study.get_trials(deepcopy=False)
    before = {t.number for t in trials if t.state.name != "WAITING"}  # a waiting one runs now
    finished = sum(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
    plan = _plan(project, ref, study.study_name, options, (len(before), finished))
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
    added = [
        t
        for t in study.get_trials(deepcopy=False)
        if t.number not in before and t.state.name != "WAITING"
    ]
    _check_finished(added, options, project.tune)
    result = _result(study, ref, metric, added, stale, saved, time.time() - started)
    from kstarter.tuning._default import compare
    from kstarter.tuning._results import best_trial, params_option, params_path

    family = project.model.name
    shown = "" if family == loaded.model.name else f" --model {family}"
    which = params_option(project, params_path(project, study.study_name))
    return replace(
        result,
        model=family,
        train_command=f"kstarter train{shown} --params {which}",
        defaults=compare(study, best_trial(study), run),
        greater_is_better=metric.greater_is_better,
    )


def _check_finished(added: list[FrozenTrial], options: TuneOptions, tune: TuneConfig) -> None:
    """A run that was to add trials and finished none says so, and fails (exit 1): its time
    ran out first, or its trials failed. ``--trials N`` counts the study's trials, whoever runs
    them: a run that other workers left none of the N to, and saw none fail, did its part."""
    trials, timeout = _budget(options, tune)
    done = [t for t in added if t.state.name in ("COMPLETE", "PRUNED")]
    if done or trials == 0:
        return
    failed = sum(t.state.name == "FAIL" for t in added)
    if timeout is None and not failed:
        return
    why = f" ({failed} failed: see the messages above)" if failed else ""
    if timeout is not None:
        where = "--timeout" if options.timeout is not None else "tune.timeout in kstarter.yaml"
        raise TrainError(
            f"No trial finished{why}: the time limit ({where} {timeout:g} s, counted from when "
            "the data was ready) ran out before one did; give more seconds, or a number of "
            "trials with --trials N."
        )
    raise TrainError(f"No trial finished in this run{why}.")


def _open(
    project: Project, options: TuneOptions
) -> tuple[Prepared, StorageRef, optuna.Study, list[int]]:
    """Everything checked before a trial runs: the search space, the folds (made here, once,
    before any worker starts), the storage, and the study (created here, or loaded and
    checked); trials of dead workers are marked failed."""
    from kstarter.crossval import prepare
    from kstarter.tuning._default import default_trial_params, default_values
    from kstarter.tuning._space import load_space
    from kstarter.tuning._storage import open_storage, resolve_storage
    from kstarter.tuning._study import check_space, create_or_load, default_study_name
    from kstarter.tuning._workers import fail_dead_workers

    space = load_space(project)  # a bad search space stops here, before anything is created
    ref = resolve_storage(options.storage, project.root)
    storage = open_storage(ref)  # a bad --storage stops here too, before the data is loaded
    prep = prepare(project)
    name = options.study or default_study_name(project)
    first = default_trial_params(default_values(prep), space)  # trial 0 of a new study
    study = create_or_load(storage, ref, name, prep, first)
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
    from kstarter.tuning._default import compare
    from kstarter.tuning._results import best_trial, params_option, params_path, trial_table
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
    flag = f" --model {model}" if model else ""
    defaults = compare(found, best_trial(found), None)
    if defaults.beaten is False:  # trained with, the saved ones would be no better
        tunes += (
            f"; no trial beat the default parameters ({defaults.source}): keep "
            f"`kstarter train{flag}`"
        )
    elif saved.is_file():  # the parameters this study saved, and how to train with them
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
    if r.best_number is None or r.best_value is None:
        return [*lines, "  no complete trial yet"]
    best = f"  best: trial {r.best_number}, CV {r.metric} {r.best_value:.6g} ({r.direction})"
    d = r.defaults
    lines.append(best + (": the default parameters" if r.best_number == d.trial else ""))
    lines.extend(_verdict(r))
    if r.plot_path:
        lines.append(f"  plot: {r.plot_path}")
    lines.append(f"  dashboard: {r.dashboard}")
    return lines


def _verdict(r: TuneResult) -> list[str]:
    """Whether to train with the best trial: only when it beats the default parameters."""
    d, keep = r.defaults, r.train_command.rsplit(" --params ", 1)[0]
    if d.score is None or d.beaten is None:
        return [
            "  no score of the default parameters to compare with (this study has no default "
            "trial, and no default run on these folds)",
            f"  saved {r.params_path}: run `{r.train_command}` and compare its CV with `{keep}`'s",
        ]
    base = f"{d.source}: CV {r.metric} {d.score:.6g}"
    if not d.beaten:
        return [
            f"  no trial beat the default parameters ({base}): keep training with them, "
            f"`{keep}`; more trials may find better ones (--trials N or --timeout SECONDS)"
        ]
    assert r.best_value is not None  # summary_lines returned before otherwise
    gain = d.gain(r.best_value, r.greater_is_better) or 0.0
    share = f", {100 * gain / abs(d.score):.2f} %" if d.score else ""
    return [
        f"  better than the default parameters ({base}) by {gain:.6g}{share}",
        f"  saved {r.params_path}: run `{r.train_command}`",
    ]


def _plan(
    project: Project,
    ref: StorageRef,
    name: str,
    options: TuneOptions,
    counts: tuple[int, int],
) -> WorkerPlan:
    """What every worker of this run gets: the family, the target count of finished trials in
    the study (finished now + --trials), the time limit (each worker counts it from when its
    trials can start), its seed and the model's threads."""
    from kstarter.tuning._workers import WorkerPlan

    n_before, done_now = counts
    trials, timeout = _budget(options, project.tune)
    return WorkerPlan(
        project_dir=str(project.root),
        storage_kind=ref.kind,
        storage_url=ref.url,
        study=name,
        target=None if trials is None else done_now + trials,
        timeout=timeout,
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
