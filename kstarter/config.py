"""Load a project's ``kstarter.yaml`` once into frozen dataclasses, validated in one place."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from kstarter import paths
from kstarter.errors import ConfigError
from kstarter.featurepack import FeaturePack, parse_features
from kstarter.original import Original, parse_original
from kstarter.resources import load_config_yaml
from kstarter.spec import KINDS, TASKS, Files, Spec

__all__ = [
    "CVConfig",
    "ModelConfig",
    "TrainConfig",
    "TuneConfig",
    "PRUNERS",
    "Project",
    "load_project",
    "find_project",
    "defaults",
]

PRUNERS = ("median", "percentile", "hyperband", "successive_halving", "none")
MAX_SEED = 2**31 - 1  # LightGBM's seeds are C ints; scikit-learn's splitters take up to 2**32 - 1


@dataclass(frozen=True)
class CVConfig:
    n_splits: int = 5
    seed: int = 42
    groups: str | None = None
    time: str | None = None
    gap: int = 0  # with time: distinct times left out between each fold's training and validation

    def fingerprint(self) -> str:
        """What decides the folds: changing any of it needs ``--refold``. Without a gap, the
        same text as before cv.gap existed, so older projects' folds stay valid."""
        values = asdict(self)
        if not values["gap"]:
            del values["gap"]
        return json.dumps(values, sort_keys=True)


@dataclass(frozen=True)
class ModelConfig:
    name: str = "lightgbm"
    params: dict[str, Any] = field(default_factory=dict)
    num_boost_round: int = 5000
    early_stopping_rounds: int = 100
    threads: int = 0


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 42
    # where test predictions come from: folds | refit | last (kstarter.crossval.TEST_FROM);
    # None: a refit on all rows for time-ordered folds, the folds' mean otherwise
    test_from: str | None = None


@dataclass(frozen=True)
class TuneConfig:
    """``tune:``: how `kstarter tune` runs when the command line does not say."""

    trials: int = 100  # finished trials per invocation when neither --trials nor --timeout
    timeout: float | None = None  # seconds; used only with the trials above
    pruner: str = "median"  # one of PRUNERS
    startup_trials: int = 5  # trials that finish before any is pruned (median, percentile)
    warmup_folds: int = 2  # folds every trial trains before it may be pruned
    percentile: float = 25.0  # percentile pruner: keep trials in the best this-many percent
    sampler_seed: int = 0  # TPE seed; each worker adds its own offset
    search_space: dict[str, Any] = field(default_factory=dict)  # over configs/search_space.yaml


@dataclass(frozen=True)
class Project:
    root: Path
    spec: Spec
    cv: CVConfig
    model: ModelConfig
    train: TrainConfig
    raw: dict[str, Any]
    tune: TuneConfig = field(default_factory=TuneConfig)
    features: FeaturePack = field(default_factory=FeaturePack)  # all off unless named
    original: Original | None = None  # the original dataset (init --original); None: none

    @property
    def data_dir(self) -> Path:
        return self.root / paths.DATA

    @property
    def runs_dir(self) -> Path:
        return self.root / paths.RUNS

    def path(self, name: str) -> Path:
        return self.root / name

    def config_hash(self) -> str:
        blob = json.dumps(self.raw, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


_Section = TypeVar("_Section", CVConfig, ModelConfig, TrainConfig, TuneConfig)


def defaults() -> dict[str, Any]:
    return load_config_yaml("defaults.yaml")


def find_project(directory: Path | str | None) -> Path:
    root = Path(directory or ".").resolve()
    if not (root / paths.CONFIG).is_file():
        raise ConfigError(
            f"No {paths.CONFIG} in {root}: run this inside a project made by `kstarter init`, "
            "or point at one with -C DIR."
        )
    return root


def load_project(directory: Path | str | None = None) -> Project:
    import yaml

    root = find_project(directory)
    path = root / paths.CONFIG
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise ConfigError(f"{path} is not valid YAML{line}: fix the file and run again.") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must be a mapping of sections (competition, cv, model, train).")
    return _validate(root, raw)


def _validate(root: Path, raw: dict[str, Any]) -> Project:
    where = root / paths.CONFIG
    allowed = {"competition", "cv", "model", "train", "tune", "features", "original"}
    _no_unknown(where, "top level", raw, allowed)
    if "competition" not in raw:
        raise ConfigError(f"{where} has no `competition:` section; re-run `kstarter init`.")
    base = defaults()
    spec = _spec(where, raw["competition"])
    cv = _section(where, "cv", CVConfig, base.get("cv", {}), raw.get("cv"))
    model = _section(where, "model", ModelConfig, base.get("model", {}), raw.get("model"))
    train = _section(where, "train", TrainConfig, base.get("train", {}), raw.get("train"))
    tune = _tune_section(where, base.get("tune", {}), raw.get("tune"))
    if cv.n_splits < 2:
        raise ConfigError(f"{where}: cv.n_splits must be at least 2 (found {cv.n_splits}).")
    if model.num_boost_round < 1 or model.early_stopping_rounds < 1:
        raise ConfigError(f"{where}: model.num_boost_round and early_stopping_rounds must be >= 1.")
    if not isinstance(model.params, dict):
        raise ConfigError(f"{where}: model.params must be a mapping of LightGBM parameters.")
    for key, seed in (("cv.seed", cv.seed), ("train.seed", train.seed)):
        if not 0 <= seed <= MAX_SEED:
            raise ConfigError(
                f"{where}: {key} must be between 0 and {MAX_SEED} (found {seed}): the model "
                "libraries take a 32-bit seed."
            )
    for key, column in (("cv.groups", cv.groups), ("cv.time", cv.time)):
        if column is not None and not isinstance(column, str):
            raise ConfigError(f"{where}: {key} must be a column name (found {column!r}).")
    if cv.gap < 0 or (cv.gap and cv.time is None):
        raise ConfigError(
            f"{where}: cv.gap must be 0 or more, and needs cv.time (the distinct times left "
            "out between each fold's training rows and its validation rows)."
        )
    if train.test_from not in (None, "folds", "refit", "last"):
        raise ConfigError(
            f"{where}: train.test_from {train.test_from!r} is unknown; use folds, refit or last "
            "(or leave it out: refit for a time split, folds otherwise)."
        )
    features = parse_features(where, raw.get("features"))
    original = parse_original(where, raw.get("original"))
    if features.original_stats and original is None:
        raise ConfigError(
            f"{where}: features.original_stats needs the original dataset: make the project "
            "with `kstarter init ... --original PATH`, or turn original_stats off."
        )
    return Project(
        root=root,
        spec=spec,
        cv=cv,
        model=model,
        train=train,
        raw=raw,
        tune=tune,
        features=features,
        original=original,
    )


def _tune_section(where: Path, base: dict[str, Any], override: Any) -> TuneConfig:
    tune = _section(where, "tune", TuneConfig, base, override)
    if tune.search_space is None:  # `search_space:` left empty
        tune = replace(tune, search_space={})
    if tune.pruner not in PRUNERS:
        raise ConfigError(
            f"{where}: tune.pruner {tune.pruner!r} is unknown; use one of {', '.join(PRUNERS)}."
        )
    if tune.trials < 0 or tune.startup_trials < 0 or tune.warmup_folds < 0:
        raise ConfigError(f"{where}: tune.trials, startup_trials and warmup_folds must be >= 0.")
    numbers = {"timeout": tune.timeout, "percentile": tune.percentile}
    for key, value in numbers.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ConfigError(f"{where}: tune.{key} must be a number (found {value!r}).")
    if not 0 < tune.percentile < 100:
        raise ConfigError(f"{where}: tune.percentile must be between 0 and 100.")
    if not isinstance(tune.search_space, dict):
        raise ConfigError(
            f"{where}: tune.search_space must be a mapping of parameter name -> "
            "{type, low, high, log} or {type: categorical, choices: [...]}."
        )
    return tune


def _spec(where: Path, d: Any) -> Spec:
    if not isinstance(d, dict):
        raise ConfigError(f"{where}: `competition:` must be a mapping.")
    _no_unknown(where, "competition", d, {f.name for f in fields(Spec)})
    _spec_shapes(where, d)
    try:
        spec = Spec.from_dict(d)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if spec.task not in TASKS:
        raise ConfigError(f"{where}: competition.task must be one of {', '.join(TASKS)}.")
    if spec.kind not in KINDS:
        raise ConfigError(f"{where}: competition.kind must be one of {', '.join(KINDS)}.")
    if spec.kind not in FITTING_KINDS[spec.task]:
        raise ConfigError(
            f"{where}: competition.kind {spec.kind!r} does not fit a {spec.task} task; use "
            f"{' or '.join(FITTING_KINDS[spec.task])} (or re-run `kstarter init`)."
        )
    if spec.label_dtype not in LABEL_DTYPES:
        raise ConfigError(
            f"{where}: competition.label_dtype must be one of {', '.join(LABEL_DTYPES)} "
            f"(found {spec.label_dtype!r})."
        )
    if not spec.targets:
        raise ConfigError(f"{where}: competition.targets is empty; name the target column(s).")
    return spec


# the submission kinds each task can write (see kstarter.spec)
FITTING_KINDS = {
    "binary": ("label", "proba"),
    "multiclass": ("label", "class_proba"),
    "regression": ("value",),
    "multitarget": ("proba", "value"),
}
LABEL_DTYPES = ("int", "bool", "str", "float")
_TEXT_FIELDS = ("name", "source", "task", "kind", "label_dtype", "metric")
_OPTIONAL_TEXT = ("id", "sample_id", "metric_kaggle_name", "title", "url", "deadline")
_NAME_LISTS = ("targets", "pred_columns", "drop")


def _spec_shapes(where: Path, d: dict[str, Any]) -> None:
    """Every field of ``competition:`` has the shape `kstarter init` writes: a hand edit that
    does not is named here, not met later as a traceback."""
    for key in _TEXT_FIELDS:
        if key in d and not isinstance(d[key], str):
            raise ConfigError(f"{where}: competition.{key} must be text (found {d[key]!r}).")
    for key in _OPTIONAL_TEXT:
        if d.get(key) is not None and not isinstance(d[key], str):
            raise ConfigError(
                f"{where}: competition.{key} must be a column name or text (found {d[key]!r})."
            )
    for key in _NAME_LISTS:
        value = d.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            raise ConfigError(
                f"{where}: competition.{key} must be a list of column names, e.g. "
                f"[{value!r}] (found {value!r})."
            )
    if d.get("classes") is not None and not isinstance(d["classes"], list):
        raise ConfigError(f"{where}: competition.classes must be a list of the target's values.")
    files = d.get("files")
    if files is not None:
        names = {f.name for f in fields(Files)}
        if not isinstance(files, dict) or not all(isinstance(v, str) and v for v in files.values()):
            raise ConfigError(
                f"{where}: competition.files must map train, test and sample_submission to file "
                "names under data/, e.g. {train: train.csv, test: test.csv, sample_submission: "
                "sample_submission.csv}."
            )
        _no_unknown(where, "competition.files", files, names)
    for key in ("metric_guessed", "code_competition"):
        if key in d and not isinstance(d[key], bool):
            raise ConfigError(f"{where}: competition.{key} must be true or false.")
    limit = d.get("daily_limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
        raise ConfigError(f"{where}: competition.daily_limit must be a whole number or null.")


def _section(
    where: Path, name: str, cls: type[_Section], base: dict[str, Any], override: Any
) -> _Section:
    if override is None:
        override = {}
    if not isinstance(override, dict):
        raise ConfigError(f"{where}: `{name}:` must be a mapping.")
    names = {f.name for f in fields(cls)}
    _no_unknown(where, name, override, names)
    merged = {**{k: v for k, v in base.items() if k in names}, **override}
    for f in fields(cls):
        if f.name in merged and f.type in ("int", int):
            value = merged[f.name]
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(
                    f"{where}: {name}.{f.name} must be a whole number (found {value!r})."
                )
    return cls(**merged)


def _no_unknown(where: Path, section: str, d: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} in {section}; valid keys are "
            f"{', '.join(sorted(allowed))}."
        )
