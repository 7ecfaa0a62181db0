"""``kstarter train``: cross-validate on the saved folds, score with the competition's metric,
write a submission exactly like the sample and a complete run record, atomically."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from kstarter import paths
from kstarter.cluster import Cluster, ClusterFits, connect
from kstarter.competition import (
    build_submission,
    test_positions,
    validate_submission,
)
from kstarter.config import MAX_SEED, Project, load_project
from kstarter.crossval import Prepared, build_models, evaluate_model, prepare, test_source
from kstarter.errors import ConfigError
from kstarter.paths import RunFiles
from kstarter.runs import (
    RunMetrics,
    RunOutput,
    importance_frame,
    prediction_frames,
    save_run,
)

if TYPE_CHECKING:
    import numpy as np

    from kstarter.metrics import Metric
    from kstarter.models import FoldOutput, Model
    from kstarter.spec import Spec

__all__ = [
    "TrainOptions",
    "RunResult",
    "train",
    "train_prepared",
    "resolve_params",
    "check_model",
    "format_seconds",
    "LiveLine",
]


@dataclass(frozen=True)
class TrainOptions:
    params: str = "default"  # default | tuned | path to a YAML/JSON mapping
    model: str | None = None
    seed: int | None = None
    seeds: int = 1  # models per fold, seeds seed..seed+seeds-1, predictions averaged
    refold: bool = False
    progress: Callable[[str], None] | None = None
    # a time.monotonic() value: training raises kstarter.models.OutOfTime once it has passed
    # (``kstarter auto``), and nothing of the run is written
    deadline: float | None = None
    # seconds each fit (a fold's model) may train before it stops adding rounds and keeps the
    # model so far (``kstarter auto``'s first run on a large table); recorded in the run
    fit_seconds: float | None = None
    # what the run tries (`kstarter train -m "added edu_level"`), kept in its record and shown
    # by `kstarter runs`
    note: str | None = None
    # a terminal to draw the live line on while a fold trains (its round, the time in it and
    # the time left: LiveLine); None for pipes, --quiet and auto's parallel runs
    live: TextIO | None = None
    # a Dask scheduler (tcp://HOST:PORT): the fold fits run as tasks on its workers
    cluster: str | None = None


@dataclass(frozen=True)
class RunResult:
    run_id: str
    path: Path
    metrics: RunMetrics


def resolve_params(project: Project, which: str, model: str | None = None) -> dict[str, Any]:
    """The user's parameter overrides: kstarter.yaml's, the tuned ones of ``model`` (None:
    kstarter.yaml's model.name; each family reads only its own tuned file), or a file's."""
    import yaml

    if which == "default":
        return dict(project.model.params)
    family = model or project.model.name
    path = project.path(paths.tuned_params(family)) if which == "tuned" else Path(which)
    if not path.is_file():
        if which == "tuned":
            shown = "" if family == project.model.name else f" --model {family}"
            command = f"kstarter tune{shown}"
            raise ConfigError(
                f"No tuned {family} parameters ({path.name}): run `{command}` first, "
                "or use --params default."
            )
        raise ConfigError(f"No parameter file {path}: check the path, or use --params default.")
    fix = (
        f"run `kstarter tune{'' if family == project.model.name else f' --model {family}'} "
        "--trials 0` to write it again from the study's best trial, or delete it"
        if which == "tuned"
        else "fix it (a YAML mapping such as `num_leaves: 63`), or use --params default"
    )
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, ValueError) as exc:  # not YAML, or bytes that are not UTF-8 text
        what = str(exc).splitlines()[0]
        raise ConfigError(f"{path.name} is damaged (not YAML: {what}): {fix}.") from None
    params = loaded.get("params", loaded) if isinstance(loaded, dict) else None
    if not isinstance(params, dict):
        raise ConfigError(f"{path.name} must hold a mapping of model parameters: {fix}.")
    tuned_for = loaded.get("model") if "params" in loaded else None
    if tuned_for is not None and tuned_for != family:
        raise ConfigError(
            f"{path} holds parameters tuned for {tuned_for}, not {family}: train with "
            f"--model {tuned_for}, or tune {family} with `kstarter tune --model {family}`."
        )
    return {**project.model.params, **params}


def check_model(project: Project, model_name: str, overrides: dict[str, Any]) -> None:
    """Whether the family ``model_name`` exists and can be built for this project's task and
    metric with these parameters: what ``train`` and ``tune`` check before any data is read,
    so a wrong ``--model`` or ``--params`` costs no loading. The model is built as for a
    one-cell table (only the threads depend on the size), tried on a few made-up rows when the
    user sets parameters (:func:`kstarter.models.check_params`), and let go."""
    from kstarter.metrics import get_metric
    from kstarter.models import ModelSetup, check_params, get_model

    family = get_model(model_name)  # an unknown name: the names, and the closest one
    metric = get_metric(project.spec.metric)
    metric.implementation()  # a table entry whose function is missing: before the data is read
    setup = ModelSetup(project.spec, metric, (1, 1), project.model, overrides, project.train.seed)
    check_params(family, setup)  # names against the library's list, values by a dry run


def train(project_dir: Path | str | None = None, options: TrainOptions | None = None) -> RunResult:
    options = options or TrainOptions()
    started = time.perf_counter()
    project = load_project(project_dir)
    if options.seed is not None and not 0 <= options.seed <= MAX_SEED - max(options.seeds - 1, 0):
        raise ConfigError(
            f"--seed must be between 0 and {MAX_SEED} (found {options.seed}): the model "
            "libraries take a 32-bit seed."
        )
    model_name = options.model or project.model.name
    overrides = resolve_params(project, options.params, model_name)  # a missing file: say so now
    check_model(project, model_name, overrides)  # a wrong --model too, before the data is read
    if options.cluster is None:
        prep = prepare(project, refold=options.refold)
        return train_prepared(prep, overrides, options, started)
    with connect(options.cluster) as cluster:  # an unreachable cluster: before the data is read
        prep = prepare(project, refold=options.refold)
        cluster.check_project(prep)
        return train_prepared(prep, overrides, options, started, cluster=cluster)


def train_prepared(
    prep: Prepared,
    overrides: dict[str, Any],
    options: TrainOptions,
    started: float | None = None,
    on_fold: Callable[[int, FoldOutput, np.ndarray], None] | None = None,
    cluster: Cluster | None = None,
) -> RunResult:
    """One run on inputs already prepared (``kstarter auto`` prepares once for all its runs):
    cross-validate, score, write the run folder atomically. ``on_fold`` is called after each
    fold, after the progress line; an exception it raises stops the run and writes nothing.
    With a ``cluster``, the folds are fitted there, as tasks, and assembled here."""
    started = time.perf_counter() if started is None else started
    say = options.progress or (lambda _: None)
    project = prep.project
    spec, metric, folds, tables = project.spec, prep.metric, prep.folds, prep.tables
    seed = project.train.seed if options.seed is None else options.seed
    model_name = options.model or project.model.name
    models = build_models(
        prep, overrides, seed, model_name, options.seeds, options.deadline, options.fit_seconds
    )
    seeds_shown = _seeds_shown(seed, options.seeds)
    fits = None if cluster is None else _cluster_fits(cluster, prep, overrides, options, models)
    where = (
        f"{models[0].threads} thread(s)"
        if cluster is None
        else f"on the Dask cluster {cluster.address} ({cluster.workers} workers, "
        f"{cluster.cores} threads)"
    )
    rate = _learning_rate(getattr(models[0], "params", None))
    rate_shown = "" if rate is None else f" (learning rate {rate})"
    say(
        f"{spec.name}: {len(prep.y)} rows{_original_rows(prep)} x "
        f"{prep.matrices.X_train.shape[1]} features, {folds.n_splits} folds, "
        f"{model_name}{seeds_shown}{rate_shown}, metric {metric.name}, {where}"
    )

    def fold_done(k: int, out: FoldOutput, va: np.ndarray) -> None:
        if live is not None:
            live.fold_done()
        quick = _quick_fold_score(metric, spec, prep.y[va], out.valid_pred)
        shown = f"  {metric.name} {quick:.5f}" if quick is not None else ""
        cut = "  (stopped by its time limit)" if out.stopped_by_time else ""
        rounds = f"  best iteration {out.best_iteration}" if models[0].has_rounds else ""
        if models[0].has_rounds and out.best_iteration >= project.model.num_boost_round:
            rounds += f" of {project.model.num_boost_round}: {_AT_CAP}"
        say(f"fold {k + 1}/{folds.n_splits}{shown}{rounds}{cut}")
        if on_fold is not None:
            on_fold(k, out, va)

    from kstarter.models import rounds_reported_to

    live = None
    if options.live is not None:
        refit = test_source(folds.time_ordered, project.train.test_from) == "refit"
        live = LiveLine(folds.n_splits, refit, options.live)
    try:
        with rounds_reported_to(live.round if live else None):
            ev = evaluate_model(
                prep, models, fold_done, keep_models=models[0].keeps_fitted, fits=fits
            )
    finally:
        if live is not None:
            live.clear()
    if fits is not None and fits.threads is not None:  # the workers', not this machine's
        ev.threads = fits.threads
    averaged = options.seeds if options.seeds > 1 else None
    cv, scores = ev.cv, ev.scores
    if cv.test_from != "folds":
        say(
            _test_from_line(
                cv.test_from, cv.refit_rounds, len(prep.y), project.train.test_from is not None
            )
        )
    sample_raw = cv.test[test_positions(spec, tables.sample, tables.test)]
    submission = build_submission(spec, metric, tables.sample, sample_raw, ev.decision)
    validate_submission(submission, tables.sample, spec)
    metrics = RunMetrics(
        metric=metric.name,
        direction=metric.direction,
        fold_scores=scores.fold_scores,
        cv_mean=scores.cv_mean,
        cv_std=scores.cv_std,
        oof_score=scores.oof_score,
        best_iterations=tuple(cv.best_iterations),
        decision=ev.decision.to_dict(),
        model=model_name,
        seed=seed,
        seeds=averaged,
        params=ev.params,
        params_source=options.params,
        params_hash=_hash(ev.params if averaged is None else {**ev.params, "seeds": averaged}),
        folds_hash=folds.hash,
        config_hash=project.config_hash(),
        threads=ev.threads,
        n_features=int(prep.matrices.X_train.shape[1])
        + (len(prep.encoder.columns) if prep.encoder else 0),
        rows=int(len(prep.y)),
        seconds=round(time.perf_counter() - started, 2),
        fold_seconds=tuple(round(s, 2) for s in cv.fold_seconds),
        fit_seconds=None if options.fit_seconds is None else round(options.fit_seconds, 2),
        stopped_by_time=sum(cv.stopped_by_time) if options.fit_seconds is not None else None,
        features=project.features.describe() or None,
        original=_original_record(prep),
        test_from=None if cv.test_from == "folds" else cv.test_from,
        refit_rounds=cv.refit_rounds,
        created=datetime.now(UTC).isoformat(timespec="microseconds"),
        note=(options.note or "").strip() or None,
    )
    run_id = _new_run_id(project, model_name)
    say(
        f"CV {metric.name} {metrics.cv_mean:.5f} ± {metrics.cv_std:.5f}  "
        f"(OOF {metrics.oof_score:.5f})"
    )
    oof, test_pred = prediction_frames(spec, tables, cv, prep.y, folds)
    output = RunOutput(
        metrics=metrics,
        oof=oof,
        test_pred=test_pred,
        submission=submission,
        log_name=RunFiles.TRAIN_LOG,
        log_text=_log_text(
            metrics,
            models[0].has_rounds,
            project.model.num_boost_round,
            project.train.test_from is not None,
        ),
        importance=importance_frame(cv.importance, prep.matrices.names),
        copy_features=True,
        fitted=cv.fitted,
        recipe=prep.matrices.recipe,
    )
    path = save_run(project, run_id, output)  # another run may have taken the id meanwhile
    return RunResult(path.name, path, metrics)


def _original_rows(prep: Prepared) -> str:
    """ " (+N original rows, trained on only)" when the original's rows train every fold."""
    if prep.original is None:
        return ""
    return f" (+{prep.original.original_rows} original rows, trained on only)"


def _original_record(prep: Prepared) -> dict[str, Any] | None:
    """The run record's ``original``: the dataset named, and how many of its rows trained."""
    original = prep.project.original
    if original is None:
        return None
    rows = prep.original.original_rows if prep.original is not None else 0
    return {**original.describe(), "rows_trained": rows}


def _cluster_fits(
    cluster: Cluster,
    prep: Prepared,
    overrides: dict[str, Any],
    options: TrainOptions,
    models: list[Model],
) -> ClusterFits:
    """The run's folds as tasks on ``cluster``: the same family, parameters, seeds and limits
    the local models were built with (the workers build theirs from them)."""
    deadline = None
    if options.deadline is not None:  # a wall-clock time: the machines' monotonic clocks differ
        deadline = time.time() + (options.deadline - time.monotonic())
    job = cluster.job(
        prep,
        model=options.model or prep.project.model.name,
        overrides=overrides,
        seed=prep.project.train.seed if options.seed is None else options.seed,
        seeds=options.seeds,
        fit_seconds=options.fit_seconds,
        deadline=deadline,
        keep_models=models[0].keeps_fitted,
    )
    return cluster.fits(job, prep.folds.n_splits)


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


def _seeds_shown(seed: int, seeds: int) -> str:
    """`` averaged over seeds 42..44`` when several seeds are averaged; nothing for one."""
    return f" averaged over seeds {seed}..{seed + seeds - 1}" if seeds > 1 else ""


# a fold whose best round is the last one allowed was still improving
def _test_from_line(test_from: str, refit_rounds: int | None, rows: int, chosen: bool) -> str:
    """Where the test predictions came from, when not the folds' mean (``chosen``: by
    train.test_from in kstarter.yaml, else by the time-ordered folds)."""
    why = "train.test_from" if chosen else "time-ordered folds: the test comes after train"
    if test_from == "last":
        return f"test predictions: the last fold's model ({why})"
    rounds = f", {refit_rounds} rounds" if refit_rounds else ""
    return f"test predictions: one more model on all {rows} train rows{rounds} ({why})"


_AT_CAP = "the round cap, still improving (raise model.num_boost_round or the learning rate)"


def _learning_rate(params: dict[str, Any] | None) -> str | None:
    """The learning rate a run's parameters name, as shown (it hangs on the table's size:
    configs/<family>.yaml by_rows); a user's value that is not a number is shown as written."""
    rate = (params or {}).get("learning_rate")
    if rate is None:
        return None
    return f"{rate:g}" if isinstance(rate, int | float) else str(rate)


def _log_text(
    m: RunMetrics, has_rounds: bool, cap: int | None = None, test_from_set: bool = False
) -> str:
    seed = f"seed {m.seed}"
    if m.seeds is not None and m.seed is not None:
        seed = f"seeds {m.seed}..{m.seed + m.seeds - 1}"
    rate = _learning_rate(m.params)
    how = "" if rate is None else f"  learning rate {rate}"
    how += "" if m.threads is None else f"  threads {m.threads}"
    lines = [f"{m.created}  model {m.model}{how}  {seed}  folds {m.folds_hash}"]
    for k, (s, it, sec) in enumerate(
        zip(m.fold_scores, m.best_iterations, m.fold_seconds, strict=True)
    ):
        rounds = f"  best iteration {it}" if has_rounds else ""
        if has_rounds and cap is not None and it >= cap:
            rounds += f" of {cap}: {_AT_CAP}"
        lines.append(f"fold {k + 1}: {m.metric} {s:.6f}{rounds}  {sec:.1f} s")
    lines.append(f"CV {m.cv_mean:.6f} ± {m.cv_std:.6f}  OOF {m.oof_score:.6f}  {m.seconds} s")
    if m.test_from is not None:
        lines.append(_test_from_line(m.test_from, m.refit_rounds, m.rows or 0, test_from_set))
    return "\n".join(lines) + "\n"


class LiveLine:
    """The line a person at a terminal sees while a fold trains, redrawn in place at most
    twice a second: the fold, its boosting round, the time spent in it and the time left (the
    finished folds' mean time for each fold still to train, and for the refit). Cleared before
    each fold's own line, so only the fold lines stay on the screen."""

    REDRAW_SECONDS = 0.5

    def __init__(
        self,
        n_folds: int,
        refit: bool,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.n_folds, self.refit, self.stream, self.clock = n_folds, refit, stream, clock
        self.done: list[float] = []  # seconds of each finished fold
        self.fold_start = clock()
        self.drawn_at = float("-inf")
        self.shown = False

    def round(self, n: int) -> None:
        """After round ``n`` of the fit under way (the models' round hook)."""
        now = self.clock()
        if now - self.drawn_at < self.REDRAW_SECONDS:
            return
        self.drawn_at = now
        self.stream.write(f"\r{self.text(n, now)}\x1b[K")
        self.stream.flush()
        self.shown = True

    def text(self, n: int, now: float) -> str:
        k = len(self.done)
        where = f"fold {k + 1}/{self.n_folds}" if k < self.n_folds else "refit on all rows"
        left = self.left(now)
        eta = (
            "time left known after fold 1" if left is None else f"about {format_seconds(left)} left"
        )
        return f"  {where}: round {n}, {format_seconds(now - self.fold_start)} in it, {eta}"

    def left(self, now: float) -> float | None:
        """Seconds still to train, or None before the first fold has ended."""
        if not self.done:
            return None
        steps = self.n_folds + int(self.refit) - len(self.done)  # the one under way included
        return max(0.0, sum(self.done) / len(self.done) * steps - (now - self.fold_start))

    def fold_done(self) -> None:
        now = self.clock()
        self.done.append(now - self.fold_start)
        self.fold_start = now
        self.clear()

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def format_seconds(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) for progress lines: train's live line and auto's."""
    s = max(0, int(round(seconds)))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
