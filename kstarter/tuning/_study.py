"""Create or load a project's study, and refuse one made on other folds, data or competition.

A study is created once, by the process that starts the workers, before any worker runs, so
workers never race to create it; of several ``kstarter tune`` processes starting a study at
once, the storage lets exactly one create it, and only that one enqueues the default parameters
as trial 0 (:mod:`kstarter.tuning._default`). It records what
its trials were scored on as study user attributes; a later run on different folds, another
competition, metric or model set-up would mix incomparable scores, so it is refused.

What a study was scored on is claimed in one write, the user attribute ``kstarter`` (a
mapping), so no other process (a second tune, a worker) ever sees half of it, and a kill
between the study's creation and its claim leaves a study with no claim and no trial run (at
most the waiting default trial), which the next tune claims. The same values are also copied
one per attribute for people reading the study in optuna-dashboard; studies made before the
claim existed have only those.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from kstarter.errors import ConfigError

if TYPE_CHECKING:
    import optuna
    from optuna.distributions import BaseDistribution
    from optuna.storages import BaseStorage

    from kstarter.config import Project, TuneConfig
    from kstarter.crossval import Prepared
    from kstarter.tuning._space import Dimension
    from kstarter.tuning._storage import StorageRef

__all__ = [
    "for_model",
    "default_study_name",
    "study_attrs",
    "create_or_load",
    "claim_of",
    "load",
    "check_attrs",
    "check_space",
    "make_pruner",
]

COMPETITION = "kstarter_competition"
FOLDS = "kstarter_folds_hash"
METRIC = "kstarter_metric"
SETUP = "kstarter_setup_hash"
MODEL = "kstarter_model"  # studies made before tuning had --model lack it (they tuned model.name)
CLAIM = "kstarter"  # all of the above in one attribute, written at once


def for_model(project: Project, model: str | None) -> Project:
    """The project as ``kstarter tune --model NAME`` sees it: ``model.name`` is the family tuned
    (None: kstarter.yaml's), so the study name, the study's set-up and every trial follow it."""
    from dataclasses import replace

    from kstarter.models import get_model

    name = model or project.model.name
    get_model(name)  # an unknown family stops here, with the names to use
    if name == project.model.name:
        return project
    return replace(project, model=replace(project.model, name=name))


def default_study_name(project: Project) -> str:
    return f"{project.spec.name}-{project.model.name}"


def study_attrs(prep: Prepared) -> dict[str, str]:
    """What a study's scores depend on, besides the drawn parameters."""
    return {
        COMPETITION: prep.project.spec.name,
        FOLDS: prep.folds.hash,
        METRIC: prep.metric.name,
        MODEL: prep.project.model.name,
        SETUP: _setup_hash(prep),
    }


def create_or_load(
    storage: BaseStorage,
    ref: StorageRef,
    name: str,
    prep: Prepared,
    first: dict[str, Any] | None = None,
) -> optuna.Study:
    """The study ``name``: created with this project's attributes, or loaded and checked.

    The process that creates the study (the storage lets exactly one create a name) enqueues
    ``first``, the default parameters, as its first trial, before it claims the study: a
    second process that loads it meanwhile sees a study with only a waiting trial, which it may
    claim as well (the same values), and never enqueues one itself. A study loaded to resume
    gets no second default trial."""
    import optuna

    wanted = study_attrs(prep)
    created = False
    try:  # an existing study is checked before anything else touches it
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        try:
            study = optuna.create_study(
                storage=storage,
                study_name=name,
                direction="maximize" if prep.metric.greater_is_better else "minimize",
            )
            created = True
        except optuna.exceptions.DuplicatedStudyError:  # another process created it just now
            study = optuna.load_study(study_name=name, storage=storage)
    if created and first is not None:
        from kstarter.tuning._default import enqueue_default

        enqueue_default(study, first)
    if claim_of(study) is None and not _started(study):  # a new study: claim it for this project
        study.set_user_attr(CLAIM, wanted)  # one write: another process sees all of it or none
        for key, value in wanted.items():  # readable copies, for optuna-dashboard
            study.set_user_attr(key, value)
    check_attrs(study, ref, wanted)
    if MODEL not in study.user_attrs:  # a study from before --model: its set-up names the family
        study.set_user_attr(MODEL, wanted[MODEL])
    return study


def _started(study: optuna.Study) -> bool:
    """Whether any trial ran: an enqueued (waiting) trial alone leaves a study new."""
    from optuna.trial import TrialState

    return any(t.state != TrialState.WAITING for t in study.get_trials(deepcopy=False))


def claim_of(study: optuna.Study) -> dict[str, str] | None:
    """What the study's trials were scored on, or None for a study nobody has claimed yet.

    A study without the one-write claim is one made before it existed: its attributes one by
    one count if it has trials (it was used, so its claim was complete); without trials they
    may be half of a claim cut off by a kill, so it is claimed again."""
    have = study.user_attrs
    claim = have.get(CLAIM)
    if isinstance(claim, dict):
        return {str(k): str(v) for k, v in claim.items()}
    if not any(k in have for k in (COMPETITION, FOLDS, METRIC, SETUP)):
        return None
    if not _started(study):
        return None
    return {k: have[k] for k in (COMPETITION, FOLDS, METRIC, MODEL, SETUP) if k in have}


def load(
    storage: BaseStorage,
    name: str,
    tune: TuneConfig,
    n_splits: int,
    sampler: optuna.samplers.BaseSampler | None = None,
    command: str = "kstarter tune",
) -> optuna.Study:
    """The existing study ``name``; if there is none, ``command`` is what makes it."""
    import optuna

    pruner = make_pruner(tune, n_splits)
    try:
        return optuna.load_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner)
    except KeyError:
        raise ConfigError(
            f"No study {name!r} in this storage: run `{command}` first, or name an "
            "existing one with --study."
        ) from None


def check_attrs(study: optuna.Study, ref: StorageRef, wanted: dict[str, str]) -> None:
    have = claim_of(study) or {}
    where = f"Study {study.study_name!r} in {ref.shown}"
    if COMPETITION not in have:
        raise ConfigError(
            f"{where} was not made by `kstarter tune`: choose another name with --study."
        )
    if have[COMPETITION] != wanted[COMPETITION]:
        raise ConfigError(
            f"{where} belongs to the competition {have[COMPETITION]!r}, not "
            f"{wanted[COMPETITION]!r}: choose another name with --study."
        )
    if have.get(FOLDS) != wanted[FOLDS]:
        raise ConfigError(
            f"{where} was scored on other folds (folds.csv changed since it started), so its "
            "trials are not comparable with new ones: start a new study with --study NAME, "
            "or restore the old folds.csv."
        )
    if have.get(METRIC) != wanted[METRIC]:
        raise ConfigError(
            f"{where} optimises the metric {have.get(METRIC)!r}, but kstarter.yaml now says "
            f"{wanted[METRIC]!r}: start a new study with --study NAME, or restore the metric."
        )
    if MODEL in have and have[MODEL] != wanted[MODEL]:
        raise ConfigError(
            f"{where} tunes {have[MODEL]}, not {wanted[MODEL]}: run `kstarter tune --model "
            f"{have[MODEL]}` to continue it, or choose another name with --study."
        )
    if have.get(SETUP) != wanted[SETUP]:
        raise ConfigError(
            f"{where} was scored with other features or model settings (features.py, the data, "
            "model: or train.seed in kstarter.yaml changed since it started): start a new study "
            "with --study NAME, or restore them."
        )


def check_space(study: optuna.Study, space: list[Dimension]) -> None:
    """Optuna cannot draw a parameter from another kind of distribution (int vs float, log vs
    linear, other choices) than earlier trials of the study did; new bounds are fine."""
    from optuna.distributions import check_distribution_compatibility

    from kstarter.tuning._space import distribution

    earlier: dict[str, BaseDistribution] = {}
    for t in study.get_trials(deepcopy=False):
        earlier.update(t.distributions)
    for d in space:
        if d.name not in earlier:
            continue
        try:
            check_distribution_compatibility(earlier[d.name], distribution(d))
        except ValueError as exc:
            raise ConfigError(
                f"The search space entry {d.name} no longer fits study {study.study_name!r} "
                f"({str(exc).rstrip('.')}): start a new study with --study NAME, or change "
                "only its bounds."
            ) from None


def make_pruner(tune: TuneConfig, n_splits: int) -> optuna.pruners.BasePruner:
    """Steps are folds trained (1..n_splits); a trial reports its running CV after each."""
    import optuna.pruners as p

    warmup = tune.warmup_folds
    if tune.pruner == "median":
        return p.MedianPruner(n_startup_trials=tune.startup_trials, n_warmup_steps=warmup)
    if tune.pruner == "percentile":
        return p.PercentilePruner(
            tune.percentile, n_startup_trials=tune.startup_trials, n_warmup_steps=warmup
        )
    if tune.pruner == "hyperband":
        return p.HyperbandPruner(min_resource=1, max_resource=n_splits, reduction_factor=3)
    if tune.pruner == "successive_halving":
        return p.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    return p.NopPruner()


def _setup_hash(prep: Prepared) -> str:
    """The features matrix, the target and the model settings a trial trains with."""
    import pandas as pd

    project = prep.project
    h = hashlib.sha256()
    X = prep.matrices.X_train
    h.update(json.dumps([list(map(str, X.columns)), list(map(str, X.dtypes))]).encode())
    h.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    h.update(prep.y.tobytes())
    model = project.model
    settings = [model.name, model.params, model.num_boost_round, model.early_stopping_rounds]
    h.update(json.dumps([*settings, project.train.seed], sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]
