"""Cross-validation on the saved folds: the inputs made once (:func:`prepare`), then one
parameter set trained fold by fold and scored with the competition's metric (:func:`evaluate`).

The model family comes from the registry (:func:`build_model`); it resolves its own parameters.
Seed averaging (``--seeds N``) lives here too, not in any family: each fold trains one model per
seed (``seed, seed + 1, ...``) and its predictions are the mean of theirs (:func:`average_outputs`).

``kstarter train``, every tuning trial and the benchmarks score through :func:`evaluate`, so
they score the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from kstarter import paths
from kstarter.competition import encode_target
from kstarter.errors import ConfigError, TrainError
from kstarter.featurepack import FoldEncoder, fold_encoder
from kstarter.folds import Folds, load_or_make_folds
from kstarter.metrics import fit_decision, get_metric
from kstarter.models import (
    MODELS,
    FoldData,
    FoldOutput,
    Model,
    ModelSetup,
    Predictor,
    get_model,
    summed_importance,
)
from kstarter.prepare import Matrices, Tables, load_cached, load_inputs

if TYPE_CHECKING:
    import numpy as np

    from kstarter.config import Project
    from kstarter.metrics import Decision, Metric

__all__ = [
    "Scores",
    "score_folds",
    "CVResult",
    "Prepared",
    "WithOriginal",
    "with_original",
    "training_inputs",
    "Evaluation",
    "prepare",
    "prepare_cached",
    "build_model",
    "build_models",
    "average_outputs",
    "evaluate",
    "evaluate_model",
    "cross_validate",
    "fit_fold",
    "Fits",
    "TEST_FROM",
    "test_source",
]


@dataclass
class CVResult:
    oof: np.ndarray  # raw OOF predictions (NaN where a row is never validated)
    test: np.ndarray  # raw test predictions averaged over folds, in test row order
    best_iterations: list[int]
    importance: dict[str, list[float]]
    fold_seconds: list[float] = field(default_factory=list)
    stopped_by_time: list[bool] = field(default_factory=list)  # a fit of the fold hit fit_seconds
    # each fold's fitted models (one a seed), when cross_validate was asked to keep them
    fitted: list[tuple[Predictor, ...]] = field(default_factory=list)
    # where ``test`` came from (TEST_FROM); for a refit, its boosting rounds (0: no rounds)
    test_from: str = "folds"
    refit_rounds: int | None = None


# Where a run's test predictions come from. "folds": the mean of the fold models' (each saw
# most of train; right for shuffled folds). "refit": one more model of the same parameters on
# every train row, for the folds' mean best iteration scaled to all the rows (a time split's
# folds saw only the earlier blocks, the first of them the earliest years alone: their mean
# predicts a later test from old data). "last": the last fold's model alone.
TEST_FROM = ("folds", "refit", "last")


def test_source(time_ordered: bool, wanted: str | None) -> str:
    """What a run's test predictions come from: ``train.test_from`` when set, else a refit
    for time-ordered folds and the folds' mean for the others."""
    if wanted is not None:
        return wanted
    return "refit" if time_ordered else "folds"


def average_outputs(outs: Sequence[FoldOutput]) -> FoldOutput:
    """One fold's output from several seeds' models: the mean of their raw predictions (of the
    probability rows, for multiclass), the rounded mean best iteration, the mean importance.
    A single output is returned as it is."""
    import numpy as np

    if len(outs) == 1:
        return outs[0]
    n = len(outs)
    return FoldOutput(
        sum((o.valid_pred for o in outs[1:]), outs[0].valid_pred) / n,
        sum((o.test_pred for o in outs[1:]), outs[0].test_pred) / n,
        int(round(float(np.mean([o.best_iteration for o in outs])))),
        {name: gain / n for name, gain in summed_importance(outs).items()},
        any(o.stopped_by_time for o in outs),
        tuple(p for o in outs for p in o.fitted),
    )


@dataclass(frozen=True)
class WithOriginal:
    """The training inputs with the original dataset's rows after the competition's: they are
    in fold -1, trained on in every fold and never validated, so OOF and the scores stay on the
    ``n`` competition rows. Made once by :func:`prepare` (models cache their binned data on
    ``matrices``)."""

    matrices: Matrices
    y: np.ndarray
    folds: Folds
    weight: np.ndarray | None  # per row (1 on competition rows); None: all weigh the same
    n: int

    @property
    def original_rows(self) -> int:
        """How many of the original's rows train every fold."""
        return len(self.y) - self.n


def with_original(
    matrices: Matrices, y: np.ndarray, folds: Folds, y_original: np.ndarray, weight: float
) -> WithOriginal:
    import numpy as np
    import pandas as pd

    assert matrices.X_original is not None
    n, m = len(matrices.X_train), len(matrices.X_original)
    X_train = pd.concat([matrices.X_train, matrices.X_original], ignore_index=True)
    both = Matrices(X_train, matrices.X_test, matrices.names, recipe=matrices.recipe)
    assignment = np.concatenate([folds.assignment, np.full(m, -1, dtype=folds.assignment.dtype)])
    rank = folds.time_rank
    if rank is not None:  # before every time: in the training rows of every fold
        rank = np.concatenate([rank, np.full(m, np.iinfo(np.int64).min // 2)])
    extended = replace(folds, assignment=assignment, time_rank=rank)
    weights = None
    if weight != 1.0:
        weights = np.concatenate([np.ones(n), np.full(m, weight)])
    return WithOriginal(both, np.concatenate([y, y_original]), extended, weights, n)


def cross_validate(
    matrices: Matrices,
    y: np.ndarray,
    folds: Folds,
    model: Model | Sequence[Model],
    on_fold: Callable[[int, FoldOutput, np.ndarray], None] | None = None,
    encoder: FoldEncoder | None = None,
    test_from: str = "folds",
    keep_models: bool = False,
    fits: Fits | None = None,
    original: WithOriginal | None = None,
) -> CVResult:
    """Train one model per fold (one per seed, their predictions averaged, when given several),
    one alive at a time; OOF predictions, and test predictions as ``test_from`` says (see
    TEST_FROM). With an ``encoder`` (target encoding on), each fold's models see the matrices
    with that fold's encodings appended. ``keep_models`` keeps the fitted models the test
    predictions came from in ``CVResult.fitted`` (a run saves them): each fold's, the last
    fold's alone, or the refit's; else each is let go after its fold. With ``fits`` the
    folds' (and the refit's) outputs come from there (a Dask cluster, ``kstarter.cluster``),
    which runs :func:`fit_fold` on the same inputs; they are assembled here in fold order."""
    import numpy as np

    models = [model] if isinstance(model, Model) else list(model)
    n_scored = len(matrices.X_train)
    weight = None
    if original is not None:  # the original rows: trained on in every fold, never validated
        matrices, y, folds, weight = original.matrices, original.y, original.folds, original.weight
        if weight is not None and not all(m.takes_weights for m in models):
            takes = ", ".join(sorted(m.name for m in MODELS.values() if m.takes_weights))
            raise ConfigError(
                f"original.weight is {float(weight[-1]):g}, but {models[0].name} takes no row "
                f"weights ({takes} do): set original.weight to 1 for this family."
            )
    X = matrices.X_train
    oof: np.ndarray | None = None
    test_sum: np.ndarray | None = None
    best: list[int] = []
    seconds: list[float] = []
    stopped: list[bool] = []
    importance: dict[str, list[float]] = {}
    fitted: list[tuple[Predictor, ...]] = []
    last: tuple[FoldOutput, np.ndarray, np.ndarray] | None = None
    splits = list(folds.splits())
    outputs = (
        _local_fits(matrices, y, folds, models, encoder, keep_models, weight)
        if fits is None
        else fits.folds()
    )
    try:
        for (k, tr, va), (out, fold_seconds) in zip(splits, outputs, strict=True):
            if oof is None:
                oof = np.full((n_scored, *out.valid_pred.shape[1:]), np.nan)
                test_sum = np.zeros(out.test_pred.shape)
            oof[va] = out.valid_pred
            test_sum += out.test_pred
            best.append(out.best_iteration)
            seconds.append(fold_seconds)
            stopped.append(out.stopped_by_time)
            if keep_models:
                fitted.append(out.fitted)
            out.fitted = ()
            for name, gain in out.importance.items():
                importance.setdefault(name, []).append(gain)
            if on_fold:
                on_fold(k, out, va)
            last = (out, tr, va)
    finally:  # a cluster's fits still queued when a fold's callback stops the run
        close = getattr(outputs, "close", None)
        if close is not None:
            close()
    assert oof is not None and test_sum is not None and last is not None, "every fold ran"
    result = CVResult(oof, test_sum / folds.n_splits, best, importance, seconds, stopped, fitted)
    if test_from == "last":
        result.test, result.test_from = last[0].test_pred, "last"
        result.fitted = fitted[-1:]
    elif test_from == "refit":
        va = last[2]
        # the folds' mean best iteration, scaled from their mean training rows to all rows
        # (measured against the last fold's alone, which a short last block makes noisy:
        # bench/time_split.py, bench/RESULTS.md)
        sizes = [len(t) for _, t, _ in folds.splits()]
        rounds = max(1, round(float(np.mean(best)) * len(X) / float(np.mean(sizes))))
        everything = np.arange(len(X))
        # the last fold's validation rows stand in as the monitored rows; the rounds are fixed
        if fits is None:
            rounded = [m.with_rounds(rounds) for m in models]
            refit = fit_fold(
                matrices, y, folds, rounded, everything, va, encoder, keep_models, weight
            )
        else:
            refit = fits.refit(rounds)
        result.test, result.test_from = refit.test_pred, "refit"
        result.fitted = [refit.fitted] if keep_models else []
        result.refit_rounds = rounds if models[0].has_rounds else 0
    return result


class Fits(Protocol):
    """Where the fold fits run when not in this process: every fold's output (with the
    seconds its fit took) in fold order, then the refit's. Each one must be what
    :func:`fit_fold` gives on the same inputs, so the run is the same bit for bit."""

    def folds(self) -> Iterator[tuple[FoldOutput, float]]: ...

    def refit(self, rounds: int) -> FoldOutput: ...


def fit_fold(
    matrices: Matrices,
    y: np.ndarray,
    folds: Folds,
    models: Sequence[Model],
    train_idx: np.ndarray,
    valid_idx: np.ndarray,
    encoder: FoldEncoder | None = None,
    keep_fitted: bool = True,
    weight: np.ndarray | None = None,
) -> FoldOutput:
    """One fold's fit, the same wherever it runs (here, or a task on a cluster): each seed's
    model trained on ``train_idx`` (the fold's encodings appended), their outputs averaged;
    ``keep_fitted`` off skips serialising the models (FoldData.keep_fitted); ``weight`` per
    row of ``y`` (the original dataset's rows, :class:`WithOriginal`)."""
    data = FoldData(
        _fold_matrices(matrices, encoder, folds, train_idx, valid_idx),
        y,
        train_idx,
        valid_idx,
        keep_fitted=keep_fitted,
        weight=weight,
    )
    return average_outputs([m.fit_fold(data) for m in models])


def _local_fits(
    matrices: Matrices,
    y: np.ndarray,
    folds: Folds,
    models: Sequence[Model],
    encoder: FoldEncoder | None,
    keep_fitted: bool = True,
    weight: np.ndarray | None = None,
) -> Iterator[tuple[FoldOutput, float]]:
    """The folds fitted one after another in this process, one fold's models alive at a time."""
    for _, tr, va in folds.splits():
        start = time.perf_counter()
        out = fit_fold(matrices, y, folds, models, tr, va, encoder, keep_fitted, weight)
        yield out, time.perf_counter() - start


def training_inputs(prep: Prepared) -> tuple[Matrices, np.ndarray, Folds, np.ndarray | None]:
    """What the folds train on: the matrices, targets, folds and row weights, with the original
    dataset's rows after the competition's when the project has them (:class:`WithOriginal`)."""
    if prep.original is None:
        return prep.matrices, prep.y, prep.folds, None
    o = prep.original
    return o.matrices, o.y, o.folds, o.weight


def _fold_matrices(
    matrices: Matrices,
    encoder: FoldEncoder | None,
    folds: Folds,
    train_idx: np.ndarray,
    valid_idx: np.ndarray,
) -> Matrices:
    """The matrices one fold trains on: as they are, or with the fold's target encodings
    (fitted on its training rows only) appended. Such matrices are the fold's own: no cache
    shared with other folds (LightGBM's binned dataset would hold another fold's encodings)."""
    import pandas as pd

    if encoder is None:
        return matrices
    te_train, te_test = encoder.encode(folds.assignment, train_idx, valid_idx)
    clash = [c for c in te_train.columns if c in matrices.X_train.columns]
    if clash:
        raise TrainError(
            f"features.py made a column {clash[0]!r}, the name target encoding gives one of its "
            "columns: rename it."
        )
    X_train = pd.concat([matrices.X_train, te_train.set_axis(matrices.X_train.index)], axis=1)
    X_test = pd.concat([matrices.X_test, te_test.set_axis(matrices.X_test.index)], axis=1)
    names = {**matrices.names, **{c: c for c in te_train.columns}}
    return Matrices(X_train, X_test, names)


@dataclass(frozen=True)
class Prepared:
    """Everything a training needs that does not depend on the model parameters: made once,
    shared by ``train`` and by every tuning trial, so both score the same way."""

    project: Project
    metric: Metric
    tables: Tables
    y: np.ndarray
    matrices: Matrices
    folds: Folds
    # target encoding (kstarter.yaml's features:), fitted per fold by cross_validate; None: off
    encoder: FoldEncoder | None = None
    # the original dataset's rows added to every fold's training rows; None: no original rows
    original: WithOriginal | None = None


@dataclass(frozen=True)
class Scores:
    """A model's scores on the saved folds: one a fold, their mean and spread, and the score of
    all out-of-fold predictions at once."""

    fold_scores: tuple[float, ...]
    cv_mean: float
    cv_std: float
    oof_score: float


@dataclass
class Evaluation:
    cv: CVResult
    decision: Decision
    scores: Scores
    params: dict[str, Any]  # the parameters the model really used
    threads: int  # the threads it trained with


def prepare(project: Project, refold: bool = False) -> Prepared:
    tables, matrices = load_inputs(project)
    return _prepared(project, tables, matrices, refold)


def prepare_cached(project: Project, key: str) -> Prepared | None:
    """The inputs exactly as the cache entry ``key`` holds them, on the saved folds: what a
    Dask worker trains on (it never parses the raw files nor writes folds). None when the
    entry or folds.csv cannot be read from here."""
    if not project.path(paths.FOLDS).is_file():
        return None
    cached = load_cached(project, key)
    if cached is None:
        return None
    return _prepared(project, *cached, refold=False)


def _prepared(project: Project, tables: Tables, matrices: Matrices, refold: bool) -> Prepared:
    metric = get_metric(project.spec.metric)
    y = encode_target(project.spec, tables.train)
    folds = load_or_make_folds(project, tables.train, y, refold=refold)
    original = None
    if matrices.X_original is not None and tables.original is not None:
        assert project.original is not None
        y_original = encode_target(project.spec, tables.original)
        original = with_original(matrices, y, folds, y_original, project.original.weight)
    fitted = original.matrices if original is not None else matrices
    encoder = fold_encoder(
        project.features,
        project.spec,
        metric,
        fitted.X_train,
        fitted.X_test,
        original.y if original is not None else y,
    )
    return Prepared(project, metric, tables, y, matrices, folds, encoder, original)


def build_model(
    prep: Prepared,
    overrides: dict[str, Any],
    seed: int,
    model_name: str = "lightgbm",
    deadline: float | None = None,
    fit_seconds: float | None = None,
) -> Model:
    """The model family ``model_name`` for this project, its parameters resolved from its own
    config file and the user's ``overrides``. With a ``deadline`` (a ``time.monotonic()``
    value) its training raises :class:`~kstarter.models.OutOfTime` once that has passed; with
    ``fit_seconds``, each fit stops adding rounds after that long and keeps its model."""
    project = prep.project
    shape = prep.matrices.X_train.shape
    setup = ModelSetup(
        project.spec,
        prep.metric,
        shape,
        project.model,
        overrides,
        seed,
        deadline=deadline,
        fit_seconds=fit_seconds,
    )
    return get_model(model_name).create(setup)


def build_models(
    prep: Prepared,
    overrides: dict[str, Any],
    seed: int,
    model_name: str = "lightgbm",
    seeds: int = 1,
    deadline: float | None = None,
    fit_seconds: float | None = None,
) -> list[Model]:
    """``seeds`` models of the family, with seeds ``seed, seed + 1, ..., seed + seeds - 1``:
    :func:`cross_validate` averages their predictions fold by fold. All share ``deadline`` and
    ``fit_seconds`` (each seed's fit has its own ``fit_seconds``)."""
    if seeds < 1:
        raise ConfigError(f"seeds must be at least 1, not {seeds}.")
    return [
        build_model(prep, overrides, seed + i, model_name, deadline, fit_seconds)
        for i in range(seeds)
    ]


def evaluate(
    prep: Prepared,
    overrides: dict[str, Any],
    seed: int,
    model_name: str = "lightgbm",
    on_fold: Callable[[int, FoldOutput, np.ndarray], None] | None = None,
    seeds: int = 1,
    refit: bool = True,
) -> Evaluation:
    """Cross-validate one parameter set on the saved folds and score it with the metric;
    ``seeds`` > 1 averages that many seeds' models in each fold. ``refit=False`` never fits
    the extra model for the test predictions (a tuning trial scores OOF only)."""
    models = build_models(prep, overrides, seed, model_name, seeds)
    return evaluate_model(prep, models, on_fold, refit)


def evaluate_model(
    prep: Prepared,
    model: Model | Sequence[Model],
    on_fold: Callable[[int, FoldOutput, np.ndarray], None] | None = None,
    refit: bool = True,
    keep_models: bool = False,
    fits: Fits | None = None,
) -> Evaluation:
    """Cross-validate a built model (or several seeds' models, averaged) on the saved folds and
    score it with the metric. The parameters and threads reported are the first model's;
    ``keep_models`` keeps the fitted fold models in ``cv.fitted``; ``fits``: where the folds
    are fitted, when not here (see :class:`Fits`)."""
    metric, y, n_classes = prep.metric, prep.y, prep.project.spec.n_classes
    test_from = test_source(prep.folds.time_ordered, prep.project.train.test_from)
    if test_from == "refit" and not refit:
        test_from = "folds"
    cv = cross_validate(
        prep.matrices,
        y,
        prep.folds,
        model,
        on_fold,
        prep.encoder,
        test_from,
        keep_models,
        fits,
        prep.original,
    )
    model = model if isinstance(model, Model) else model[0]
    valid = prep.folds.validated
    decision = fit_decision(metric, y[valid], cv.oof[valid], n_classes)
    folds = prep.folds
    rows = [va for _, _, va in folds.splits()]
    scores = score_folds(metric, y, cv.oof, rows, folds.validated, decision)
    return Evaluation(cv, decision, scores, model.params, model.threads)


def score_folds(
    metric: Metric,
    y: np.ndarray,
    oof: np.ndarray,
    fold_rows: Sequence[np.ndarray],
    validated: np.ndarray,
    decision: Decision,
) -> Scores:
    """The metric on each fold's OOF rows (the CV mean and spread) and on all validated rows
    at once, raw predictions turned into what the metric scores by ``decision``."""
    import numpy as np

    fold_scores = tuple(float(metric.score(y[va], decision.apply(oof[va]))) for va in fold_rows)
    return Scores(
        fold_scores=fold_scores,
        cv_mean=float(np.mean(fold_scores)),
        cv_std=float(np.std(fold_scores)),
        oof_score=float(metric.score(y[validated], decision.apply(oof[validated]))),
    )
