"""CV decides the feature pack: before its plan, ``kstarter auto`` cross-validates a cheap
LightGBM on the saved folds twice, with plain features and with the pack, and keeps the pack
for the rest of the plan only if it wins by more than noise.

The pack tried is kstarter.yaml's ``features:`` section when it turns something on, else
``configs/auto.yaml``'s ``feature_pack.transforms`` (with ``original_stats`` when the project
has the original dataset). "More than noise" is a paired comparison: the pack's gain on each
fold (the same rows scored both ways, in the metric's direction) must average above
``margin`` standard errors of that mean. The arms are scored, not written as runs; the rest of
the plan's runs use the winner, and each run's record names its transforms.

Both arms are deterministic (the same folds, seed and inputs), so the same project and config
make the same choice again, and a later ``auto`` reuses the runs the first one made.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from kstarter.config import Project
    from kstarter.crossval import Prepared

__all__ = [
    "PackTrial",
    "PackChoice",
    "parse_pack_trial",
    "try_pack",
    "with_features",
    "decide",
    "features_key",
]


@dataclass(frozen=True)
class PackTrial:
    """``configs/auto.yaml``'s ``feature_pack``."""

    transforms: Mapping[str, Any]  # the features: section tried when kstarter.yaml has none
    params: Mapping[str, Any]  # the cheap LightGBM's parameters over the project's
    rounds: int  # its boosting rounds at most
    early_stopping: int
    margin: float  # standard errors of the mean paired gain the pack must beat
    min_budget: float  # seconds: below this budget the trial is not run
    share: float  # of the budget, what the trial may take


@dataclass(frozen=True)
class PackChoice:
    """What the trial found: the pack tried, each arm's fold scores and the paired gain."""

    transforms: dict[str, Any]  # the features: section tried
    kept: bool  # the plan's runs use it
    plain_folds: tuple[float, ...] = ()
    pack_folds: tuple[float, ...] = ()
    gain: float | None = None  # mean over folds of the pack's gain (> 0: better)
    stderr: float | None = None  # its standard error
    why: str | None = None  # the trial did not run (or did not finish): why
    # folds (of both arms) whose cheap LightGBM was still improving at the trial's round cap:
    # a gain measured there says little about runs that train to the end, so the trial
    # keeps kstarter.yaml's features whatever the gain
    capped: int = 0
    seconds: float = 0.0
    # what the choice was made on (the inputs, folds, pack and trial): a later auto with the
    # same key reuses the choice instead of running the trial again
    key: str = ""
    reused: bool = False

    @property
    def plain_cv(self) -> float | None:
        return sum(self.plain_folds) / len(self.plain_folds) if self.plain_folds else None

    @property
    def pack_cv(self) -> float | None:
        return sum(self.pack_folds) / len(self.pack_folds) if self.pack_folds else None


_KEYS = {"transforms", "params", "rounds", "early_stopping", "margin", "min_budget", "share"}


def parse_pack_trial(raw: Any, where: str) -> PackTrial | None:
    """``feature_pack:`` of configs/auto.yaml, checked; None when absent (no trial)."""
    from kstarter.featurepack import parse_features

    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - _KEYS:
        raise ConfigError(
            f"{where} feature_pack must be a mapping with {', '.join(sorted(_KEYS))}."
        )
    transforms = raw.get("transforms") or {}
    parse_features(Path(where), transforms)  # a bad transform: named as kstarter.yaml's would be
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise ConfigError(f"{where} feature_pack.params must be a mapping of LightGBM parameters.")
    numbers = {k: raw.get(k, d) for k, d in (("rounds", 300), ("early_stopping", 20),
               ("margin", 1.0), ("min_budget", 60.0), ("share", 0.25))}  # fmt: skip
    for key, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"{where} feature_pack.{key} must be a number (0 or more).")
    if not 0 < numbers["share"] <= 1 or numbers["rounds"] < 1 or numbers["early_stopping"] < 1:
        raise ConfigError(
            f"{where} feature_pack: share must be in (0, 1], rounds and early_stopping >= 1."
        )
    return PackTrial(
        dict(transforms),
        dict(params),
        int(numbers["rounds"]),
        int(numbers["early_stopping"]),
        float(numbers["margin"]),
        float(numbers["min_budget"]),
        float(numbers["share"]),
    )


def with_features(project: Project, section: Mapping[str, Any] | None) -> Project:
    """``project`` as if kstarter.yaml's ``features:`` were ``section`` (None or empty: no
    section): its config hash changes with it, so runs made with it are told apart."""
    from kstarter import paths
    from kstarter.featurepack import parse_features

    raw = {k: v for k, v in project.raw.items() if k != "features"}
    if section:
        raw["features"] = dict(section)
    features = parse_features(project.root / paths.CONFIG, raw.get("features"))
    return replace(project, raw=raw, features=features)


def candidate(project: Project, trial: PackTrial) -> dict[str, Any]:
    """The pack tried: the user's ``features:`` when it turns something on, else the trial's."""
    if project.features.describe():
        return dict(project.raw.get("features") or {})
    out = dict(trial.transforms)
    if project.original is not None:
        out["original_stats"] = True
    return out


def try_pack(
    prep: Prepared, trial: PackTrial, budget: float, previous: Mapping[str, Any] | None = None
) -> tuple[PackChoice, Prepared]:
    """The trial, and the inputs the plan's runs use (the winner's). Raises nothing for a
    trial that cannot finish in its share of the budget: the choice says why, and the plan
    keeps kstarter.yaml's features. ``previous`` (the last auto's choice) is reused when it was
    made on the same inputs, folds, pack and trial: the same choice, without its cost, and the
    runs it led to are reused too."""
    from kstarter.crossval import prepare
    from kstarter.models import OutOfTime

    started = time.monotonic()
    project = prep.project
    pack = candidate(project, trial)
    has_pack = bool(project.features.describe())
    key = _key(prep, pack, trial)
    if previous and previous.get("key") == key and previous.get("why") is None:
        fields = {k: v for k, v in previous.items() if k in PackChoice.__dataclass_fields__}
        for name in ("plain_folds", "pack_folds"):
            fields[name] = tuple(fields.get(name) or ())
        choice = replace(PackChoice(**fields), reused=True, seconds=0.0)
        if choice.kept == has_pack:
            return choice, prep
        return choice, prepare(with_features(project, pack if choice.kept else None))
    if budget < trial.min_budget:
        why = f"a budget under {trial.min_budget:g} s keeps kstarter.yaml's features"
        return PackChoice(pack, has_pack, why=why), prep
    deadline = started + trial.share * budget
    try:
        other = prepare(with_features(project, None if has_pack else pack))
        # the project keeps one cache entry: preparing the other arm removed this one's folder,
        # where LightGBM would save its binned data
        if prep.matrices.store is not None and not prep.matrices.store.exists():
            prep = replace(prep, matrices=replace(prep.matrices, store=None))
        plain, packed = (other, prep) if has_pack else (prep, other)
        pace = _Pace(started, deadline, 2 * plain.folds.n_splits)
        plain_scores, plain_capped = _cheap_scores(plain, trial, deadline, pace)
        pack_scores, pack_capped = _cheap_scores(packed, trial, deadline, pace)
    except OutOfTime as err:
        why = f"the trial would not finish in its {trial.share:.0%} of the budget ({err})"
        seconds = time.monotonic() - started
        return PackChoice(pack, has_pack, why=why, seconds=round(seconds, 2)), prep
    kept, gain, stderr = decide(
        plain_scores, pack_scores, prep.metric.greater_is_better, trial.margin
    )
    capped = plain_capped + pack_capped
    choice = PackChoice(
        pack,
        has_pack if capped else kept,
        tuple(plain_scores),
        tuple(pack_scores),
        gain,
        stderr,
        seconds=round(time.monotonic() - started, 2),
        key=key,
        capped=capped,
    )
    return choice, _cached(packed if choice.kept else plain)


def _cached(prep: Prepared) -> Prepared:
    """``prep`` with its cache entry on disk again (preparing the other arm replaced it): the
    plan's worker processes and a Dask cluster's workers read the inputs from there."""
    from kstarter.prepare import cache_key, store

    if prep.matrices.store is not None and prep.matrices.store.exists():
        return prep
    folder = store(prep.project, cache_key(prep.project), prep.tables, prep.matrices)
    return replace(prep, matrices=replace(prep.matrices, store=folder))


def _key(prep: Prepared, pack: Mapping[str, Any], trial: PackTrial) -> str:
    import hashlib

    from kstarter.prepare import cache_key

    parts: list[object] = [cache_key(prep.project), prep.folds.hash, prep.project.config_hash()]
    parts.append(pack)
    parts += [trial.params, trial.rounds, trial.early_stopping, trial.margin]
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class _Pace:
    """Stops the trial after a fold fit as soon as the fits done so far say the rest cannot end
    by the deadline, instead of spending its whole share to learn that (flight-delays at a
    60 s budget: 15 s, a quarter of it, for no answer)."""

    def __init__(self, started: float, deadline: float, fits: int) -> None:
        self.started, self.deadline, self.fits, self.done = started, deadline, fits, 0

    def __call__(self, *_: object) -> None:
        from kstarter.models import OutOfTime

        self.done += 1
        spent = time.monotonic() - self.started
        needed = spent / self.done * self.fits
        if self.done < self.fits and self.started + needed > self.deadline:
            fits = "fit" if self.done == 1 else f"{self.done} fits"
            raise OutOfTime(f"it needs about {needed:.0f} s, going by its first fold {fits}")


def _cheap_scores(
    prep: Prepared, trial: PackTrial, deadline: float, pace: _Pace | None = None
) -> tuple[list[float], int]:
    """The cheap LightGBM's fold scores on ``prep`` (nothing written), and how many folds it
    was still improving in when the round cap stopped it (its best round within the last
    ``early_stopping`` rounds: early stopping could not have ended it).

    A gain read off a model that had not finished says little about runs trained to the end:
    target encodings give boosting a head start that plain features can overtake later
    (bench/RESULTS.md, flight-delays, where the full runs trained 1,170 to 2,800 rounds)."""
    from kstarter.crossval import build_models, evaluate_model

    project = prep.project
    model = replace(
        project.model,
        num_boost_round=min(trial.rounds, project.model.num_boost_round),
        early_stopping_rounds=min(trial.early_stopping, project.model.early_stopping_rounds),
    )
    cheap = replace(prep, project=replace(project, model=model))
    overrides = {**project.model.params, **trial.params}
    models = build_models(cheap, overrides, project.train.seed, "lightgbm", 1, deadline)
    ev = evaluate_model(cheap, models, on_fold=pace, refit=False)
    cap = model.num_boost_round
    capped = sum(1 for b in ev.cv.best_iterations if b > cap - model.early_stopping_rounds)
    return list(ev.scores.fold_scores), capped


def decide(
    plain: list[float], pack: list[float], greater_is_better: bool, margin: float
) -> tuple[bool, float, float]:
    """(kept, mean gain, its standard error): the pack's gain on each fold, in the metric's
    direction, must average above ``margin`` standard errors (and above 0)."""
    import numpy as np

    sign = 1.0 if greater_is_better else -1.0
    gains = sign * (np.asarray(pack, dtype=float) - np.asarray(plain, dtype=float))
    gain = float(gains.mean())
    stderr = float(gains.std(ddof=1) / np.sqrt(len(gains))) if len(gains) > 1 else float("inf")
    return bool(gain > 0 and gain > margin * stderr), gain, stderr


def features_key(section: Mapping[str, Any] | None) -> str:
    """A Task's text for the features its run uses (see :func:`with_features`)."""
    return json.dumps(dict(section) if section else {}, sort_keys=True)
