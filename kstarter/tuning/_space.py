"""The search space of one model family: ``configs/search_space.yaml`` (LightGBM) or
``configs/search_space_<family>.yaml``, with kstarter.yaml's ``tune: search_space:`` merged over
it by parameter name, validated once, and drawn from by a trial.

kstarter.yaml's ``tune: search_space:`` holds flat entries (a parameter name at the top level),
which are LightGBM's as they always were, and a section per family under its name
(``xgboost: {eta: {...}}``; ``lightgbm:`` adds to the flat ones). A flat entry that names a
parameter of the family being tuned is refused with the nesting to write, so an entry is never
silently applied to the wrong family.
"""

from __future__ import annotations

import contextlib
import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kstarter.errors import ConfigError

if TYPE_CHECKING:
    import optuna

    from kstarter.config import Project

__all__ = [
    "Dimension",
    "load_space",
    "check_space_values",
    "parse_space",
    "user_entries",
    "space_file",
    "suggest",
    "distribution",
]

SPACE_FILE = "search_space.yaml"  # LightGBM's; another family's is search_space_<family>.yaml
TYPES = ("float", "int", "categorical")
KEYS = {"type", "low", "high", "log", "step", "choices"}
# Parameters kstarter sets itself: tuning them would break the metric or reproducibility.
MANAGED = {
    "objective": "the competition's metric sets it",
    "metric": "the competition's metric sets it",
    "num_class": "the number of classes sets it",
    "num_iterations": "set model.num_boost_round in kstarter.yaml",
    "early_stopping_round": "set model.early_stopping_rounds in kstarter.yaml",
    "seed": "set train.seed in kstarter.yaml",
    "num_threads": "kstarter splits the cores between tuning workers",
    "verbosity": "kstarter keeps LightGBM quiet",
}
# The same for the other families (their configs' ``fixed:`` keys are added when read).
FAMILY_MANAGED: dict[str, dict[str, str]] = {
    "xgboost": {
        "objective": "the competition's metric sets it",
        "eval_metric": "the competition's metric sets it",
        "num_class": "the number of classes sets it",
        "seed": "set train.seed in kstarter.yaml",
        "nthread": "kstarter splits the cores between tuning workers",
        "num_boost_round": "set model.num_boost_round in kstarter.yaml",
        "early_stopping_rounds": "set model.early_stopping_rounds in kstarter.yaml",
    },
    "catboost": {
        "loss_function": "the competition's metric sets it",
        "eval_metric": "the competition's metric sets it",
        "class_names": "the competition's classes set it",
        "iterations": "set model.num_boost_round in kstarter.yaml",
        "od_wait": "set model.early_stopping_rounds in kstarter.yaml",
        "random_seed": "set train.seed in kstarter.yaml",
        "thread_count": "kstarter splits the cores between tuning workers",
    },
    "linear": {},
}
# Names people carry over from another library, and the name the family's config uses.
RENAMES: dict[str, dict[str, str]] = {
    "xgboost": {
        "learning_rate": "eta",
        "reg_lambda": "lambda",
        "lambda_l2": "lambda",
        "lambda_l1": "reg_alpha",
        "alpha": "reg_alpha",
        "feature_fraction": "colsample_bytree",
        "bagging_fraction": "subsample",
    },
    "catboost": {
        "eta": "learning_rate",
        "max_depth": "depth",
        "reg_lambda": "l2_leaf_reg",
        "lambda_l2": "l2_leaf_reg",
        "colsample_bylevel": "rsm",
        "feature_fraction": "rsm",
        "min_child_samples": "min_data_in_leaf",
    },
    "linear": {"l2": "C or alpha", "reg_lambda": "C or alpha"},
}
LABELS = {"lightgbm": "LightGBM", "xgboost": "XGBoost", "catboost": "CatBoost", "linear": "linear"}


@dataclass(frozen=True)
class Dimension:
    name: str
    type: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()

    def bounds(self) -> tuple[float, float]:
        """``low`` and ``high`` of a numeric dimension (parse_space sets both)."""
        if self.low is None or self.high is None:
            raise ValueError(f"{self.name} is a {self.type} dimension: it has no low and high")
        return self.low, self.high


def space_file(family: str) -> str:
    """The shipped search space of ``family``, a file under ``configs/``: its own, else (a
    LightGBM configuration without one) LightGBM's."""
    from kstarter.resources import configs_dir

    own = f"search_space_{family}.yaml"
    if family == "lightgbm" or (_lightgbm_based(family) and not (configs_dir() / own).is_file()):
        return SPACE_FILE
    return own


def load_space(project: Project, family: str | None = None) -> list[Dimension]:
    """The search space of ``family`` (kstarter.yaml's model.name if None): the shipped one,
    then kstarter.yaml's entries for that family over it."""
    from kstarter.paths import CONFIG
    from kstarter.resources import configs_dir, load_config_yaml

    family = family or project.model.name
    file = space_file(family)
    base = (load_config_yaml(file) or {}) if (configs_dir() / file).is_file() else {}
    user = user_entries(project.tune.search_space, family, f"{project.path(CONFIG)}")
    merged = {**base, **user}
    if family == "linear":
        merged = _linear_entries(project, merged, user, f"{project.path(CONFIG)}")
    entries = {k: v for k, v in merged.items() if v is not None}
    section = "tune.search_space" if family == "lightgbm" else f"tune.search_space.{family}"
    where = f"{project.path(CONFIG)} ({section}) over configs/{file}"
    if not entries:
        raise ConfigError(
            f"{where}: the search space is empty; add at least one parameter under "
            f"{section} in kstarter.yaml."
        )
    base_params = _base_params(project, family) if _lightgbm_based(family) else set()
    return parse_space(entries, where, base_params, family)


def check_space_values(project: Project, space: list[Dimension]) -> None:
    """Each dimension's ends (every choice of a categorical) tried on a few made-up rows with
    model.params, before the study is made: a value the library refuses would fail every trial
    that draws it, so the entry is named with the library's reason instead."""
    from kstarter.metrics import get_metric
    from kstarter.models import ModelSetup, get_model, refusal
    from kstarter.paths import CONFIG

    family = get_model(project.model.name)
    metric = get_metric(project.spec.metric)
    section = "tune.search_space" if project.model.name == "lightgbm" else (
        f"tune.search_space.{project.model.name}"
    )  # fmt: skip
    for d in space:
        ends = list(d.choices) if d.type == "categorical" else [*d.bounds()]
        for value in ends:
            value = int(value) if d.type == "int" else value
            overrides = {**project.model.params, d.name: value}
            setup = ModelSetup(project.spec, metric, (1, 1), project.model, overrides, 0)
            reason = refusal(family, setup)
            if reason is not None:
                raise ConfigError(
                    f"{project.path(CONFIG)}: the search space's {d.name} reaches {value!r}, "
                    f"which {project.model.name} refuses ({reason}): change {section}.{d.name} "
                    f"in kstarter.yaml (or configs/{space_file(project.model.name)})."
                )


def user_entries(search_space: dict[str, Any], family: str, config: str) -> dict[str, Any]:
    """kstarter.yaml's ``tune: search_space:`` entries for ``family``: its section, and for
    LightGBM also the flat entries. ``config`` names kstarter.yaml in messages."""
    from kstarter.models import MODELS

    sections: dict[str, dict[str, Any]] = {}
    flat: dict[str, Any] = {}
    for key, value in search_space.items():
        # a family's name that holds an entry ({type: ...}) is a LightGBM parameter of the
        # same name: extra_trees is both LightGBM's flag and a family
        if key not in MODELS or (isinstance(value, dict) and "type" in value):
            flat[str(key)] = value
            continue
        if value is not None and not isinstance(value, dict):
            raise ConfigError(
                f"{config}: tune.search_space.{key} must be a mapping of {_label(key)} parameter "
                f"-> entry, e.g. {key}: {{{_example(key)}: {{type: float, low: 0.1, high: 1.0}}}}."
            )
        sections[str(key)] = dict(value or {})
    if family == "lightgbm":
        return {**flat, **sections.get("lightgbm", {})}
    own = _family_keys(family) or frozenset()
    for name in flat:
        if name in own:
            raise ConfigError(
                f"{config}: tune.search_space.{name} is a flat entry, and flat entries are "
                f"LightGBM's: to tune {_label(family)}'s {name}, move it under the family, as "
                f"search_space: {{{family}: {{{name}: ...}}}} (or under lightgbm: to keep it "
                "LightGBM's)."
            )
    return sections.get(family, {})


def parse_space(
    entries: dict[str, Any], where: str, base_params: set[str], family: str = "lightgbm"
) -> list[Dimension]:
    """Validate ``entries`` as ``family``'s search space; ``base_params`` are LightGBM's
    parameter names already set (configs/lightgbm.yaml, model.params), for the alias check."""
    if _lightgbm_based(family):
        aliases = _lightgbm_aliases()
        check = _lightgbm_name_check(aliases)
        dims = [_dimension(where, str(name), entry, check) for name, entry in entries.items()]
        file = f"configs/{_lightgbm_file(family)}"
        _check_aliases(where, [d.name for d in dims], base_params, aliases, file)
        return dims
    check = _family_name_check(family)
    return [_dimension(where, str(name), entry, check) for name, entry in entries.items()]


def suggest(trial: optuna.Trial, space: list[Dimension]) -> dict[str, Any]:
    """Draw one value per dimension through the trial (so the study records them)."""
    params: dict[str, Any] = {}
    for d in space:
        if d.type == "categorical":
            params[d.name] = trial.suggest_categorical(d.name, list(d.choices))
        elif d.type == "int":
            step = int(d.step) if d.step else 1
            low, high = d.bounds()
            params[d.name] = trial.suggest_int(d.name, int(low), int(high), step=step, log=d.log)
        else:
            low, high = d.bounds()
            params[d.name] = trial.suggest_float(d.name, low, high, step=d.step, log=d.log)
    return params


def distribution(d: Dimension) -> optuna.distributions.BaseDistribution:
    """The Optuna distribution ``suggest`` draws ``d`` from."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if d.type == "categorical":
        return CategoricalDistribution(list(d.choices))
    low, high = d.bounds()
    if d.type == "int":
        return IntDistribution(int(low), int(high), log=d.log, step=int(d.step or 1))
    return FloatDistribution(low, high, log=d.log, step=d.step)


def _dimension(
    where: str, name: str, entry: Any, check_name: Callable[[str, str], None]
) -> Dimension:
    at = f"{where}: {name}"
    if not isinstance(entry, dict):
        raise ConfigError(
            f"{at} must be a mapping like {{type: float, low: 0.01, high: 0.3, log: true}}."
        )
    check_name(at, name)
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise ConfigError(
            f"{at}: unknown key {unknown[0]!r}; valid keys are {', '.join(sorted(KEYS))}."
        )
    kind = entry.get("type")
    if kind not in TYPES:
        raise ConfigError(f"{at}: type must be one of {', '.join(TYPES)} (found {kind!r}).")
    if kind == "categorical":
        return _categorical(at, name, entry)
    return _numeric(at, name, kind, entry)


def _categorical(at: str, name: str, entry: dict[str, Any]) -> Dimension:
    choices = entry.get("choices")
    if not isinstance(choices, list) or not choices:
        raise ConfigError(f"{at}: a categorical entry needs a non-empty list of choices.")
    extra = sorted(set(entry) - {"type", "choices"})
    if extra:
        raise ConfigError(f"{at}: {extra[0]!r} does not apply to a categorical entry.")
    for c in choices:
        if c is not None and not isinstance(c, bool | int | float | str):
            raise ConfigError(f"{at}: choice {c!r} must be a number, a string, true/false or null.")
    return Dimension(name, "categorical", choices=tuple(choices))


def _numeric(at: str, name: str, kind: str, entry: dict[str, Any]) -> Dimension:
    if "choices" in entry:
        raise ConfigError(f"{at}: choices apply only to type: categorical.")
    low, high = (_number(at, key, entry.get(key), kind) for key in ("low", "high"))
    log = entry.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{at}: log must be true or false (found {log!r}).")
    step = entry.get("step")
    if step is not None:
        step = _number(at, "step", step, kind)
        if step <= 0 or log:
            raise ConfigError(f"{at}: step must be > 0 and cannot be combined with log: true.")
    if not low < high:
        raise ConfigError(f"{at}: low ({low}) must be less than high ({high}).")
    if log and low <= 0:
        raise ConfigError(f"{at}: log: true needs low > 0 (found low {low}).")
    return Dimension(name, kind, low, high, log, step)


def _number(at: str, key: str, value: Any, kind: str) -> float:
    if isinstance(value, str) and kind == "float":
        with contextlib.suppress(ValueError):  # YAML 1.1 reads 1e-8 (no dot) as a string
            value = float(value)
    ok = isinstance(value, int) if kind == "int" else isinstance(value, int | float)
    if value is None or isinstance(value, bool) or not ok or not math.isfinite(value):
        what = "a whole number" if kind == "int" else "a number"
        raise ConfigError(f"{at}: {key} must be {what} (found {value!r}).")
    return value


def _lightgbm_name_check(aliases: dict[str, str]) -> Callable[[str, str], None]:
    def check(at: str, name: str) -> None:
        if name in MANAGED or aliases.get(name) in MANAGED:
            raise ConfigError(f"{at} cannot be tuned: {MANAGED[aliases.get(name, name)]}.")
        if aliases and name not in aliases:
            raise ConfigError(
                f"{at} is not a LightGBM parameter{_family_hint(name)}; see "
                "https://lightgbm.readthedocs.io/en/latest/Parameters.html for the names."
            )

    return check


def _family_name_check(family: str) -> Callable[[str, str], None]:
    """Names kstarter sets are refused, and names the family's config does not take (they
    would never reach the library), with the name to use when it is a known rename."""
    managed = dict(FAMILY_MANAGED.get(family, {}))
    for key in _fixed_keys(family):
        managed.setdefault(key, f"configs/{family}.yaml sets it under fixed:")
    own = _family_keys(family)
    label = _label(family)

    def check(at: str, name: str) -> None:
        if name in managed:
            raise ConfigError(f"{at} cannot be tuned: {managed[name]}.")
        if own is None or name in own:
            return
        rename = RENAMES.get(family, {}).get(name)
        close = difflib.get_close_matches(name, sorted(own), n=1, cutoff=0.75)
        if rename:
            fix = f"use {rename}, the name configs/{family}.yaml gives it."
        elif close:
            fix = f"did you mean {close[0]}?"
        else:
            fix = f"the names it takes are {', '.join(sorted(own, key=str.lower))}."
        raise ConfigError(
            f"{at} is not among the {label} parameters configs/{family}.yaml takes, so a drawn "
            f"value would never reach the model: {fix}"
        )

    return check


def _family_keys(family: str) -> frozenset[str] | None:
    """The parameter names ``family`` takes from the user: what its config file names (None:
    a family without such a file, whose names cannot be checked)."""
    from kstarter.resources import configs_dir

    if family == "linear":
        from kstarter.models import LINEAR_KEYS

        return frozenset(LINEAR_KEYS)
    if _lightgbm_based(family) or not (configs_dir() / f"{family}.yaml").is_file():
        return None
    from kstarter.models._tables import FamilyTable

    return FamilyTable(family).own_keys()


def _fixed_keys(family: str) -> set[str]:
    if _family_keys(family) is None or family == "linear":
        return set()
    from kstarter.models._tables import FamilyTable

    return set(FamilyTable(family).fixed())


def _lightgbm_based(family: str) -> bool:
    """LightGBM, or a LightGBM configuration of its own name: LightGBM's names and rules."""
    from kstarter.models import MODELS, LightGBMModel

    found = MODELS.get(family)
    return family == "lightgbm" or (found is not None and issubclass(found, LightGBMModel))


def _label(family: str) -> str:
    return LABELS.get(family, family)


def _family_hint(name: str) -> str:
    """For a flat entry that reads like a family section (``xgbost:``)."""
    from kstarter.models import MODELS

    close = difflib.get_close_matches(name.lower(), list(MODELS), n=1, cutoff=0.7)
    if close:
        return f" (for {_label(close[0])}'s search space, name the section {close[0]}:)"
    return ""


def _example(family: str) -> str:
    return {"lightgbm": "learning_rate", "xgboost": "eta", "catboost": "learning_rate"}.get(
        family, "C"
    )


def _linear_entries(
    project: Project, merged: dict[str, Any], user: dict[str, Any], config: str
) -> dict[str, Any]:
    """Only the strength the task's estimator uses: C (logistic) or alpha (ridge)."""
    from kstarter.metrics import get_metric
    from kstarter.models import linear_kind

    kind = linear_kind(project.spec.task, get_metric(project.spec.metric))
    used, unused = ("alpha", "C") if kind == "regression" else ("C", "alpha")
    if user.get(unused) is not None:
        model = "ridge regression" if kind == "regression" else "logistic regression"
        raise ConfigError(
            f"{config}: tune.search_space.linear.{unused} is not used by this competition's "
            f"linear model ({model}): tune {used} instead, or remove the entry."
        )
    return {k: v for k, v in merged.items() if k != unused}


def _check_aliases(
    where: str,
    names: list[str],
    base: set[str],
    aliases: dict[str, str],
    file: str = "configs/lightgbm.yaml",
) -> None:
    """A parameter named twice under different aliases would compete inside LightGBM;
    ``base`` holds the names ``file`` (the configuration's) and model.params set."""
    if not aliases:
        return
    seen: dict[str, str] = {}
    for name in [*sorted(base), *names]:
        main = aliases.get(name, name)
        other = seen.setdefault(main, name)
        if other != name and name in names:
            source = f"{file} or model.params" if other in base else "the space"
            raise ConfigError(
                f"{where}: {name} and {other} are the same LightGBM parameter ({main}), and "
                f"{source} already names it {other}: use {other} in the search space."
            )


def _lightgbm_file(family: str) -> str:
    """A LightGBM configuration's parameter file under configs/ (LightGBM's when it has none)."""
    from kstarter.resources import configs_dir

    own = f"{family}.yaml"
    return own if (configs_dir() / own).is_file() else "lightgbm.yaml"


def _base_params(project: Project, family: str = "lightgbm") -> set[str]:
    """The parameter names a LightGBM configuration already sets: its file's, the user's."""
    from kstarter.resources import load_config_yaml

    table = load_config_yaml(_lightgbm_file(family)) or {}
    names = set(table.get("common") or {}) | set(table.get(project.spec.task) or {})
    return names | set(project.model.params)


def _lightgbm_aliases() -> dict[str, str]:
    """Every LightGBM parameter name and alias -> its main name; {} if LightGBM hides them."""
    from kstarter.models import lightgbm_aliases

    return lightgbm_aliases()
