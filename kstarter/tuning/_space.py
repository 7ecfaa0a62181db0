"""The search space: ``configs/search_space.yaml`` with kstarter.yaml's ``tune: search_space:``
merged over it by parameter name, validated once, and drawn from by a trial."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kstarter.errors import ConfigError

if TYPE_CHECKING:
    import optuna

    from kstarter.config import Project

__all__ = ["Dimension", "load_space", "parse_space", "suggest", "distribution"]

SPACE_FILE = "search_space.yaml"
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


def load_space(project: Project) -> list[Dimension]:
    """The project's search space: the shipped one, then kstarter.yaml's entries over it."""
    from kstarter.paths import CONFIG
    from kstarter.resources import load_config_yaml

    base = load_config_yaml(SPACE_FILE) or {}
    merged = {**base, **project.tune.search_space}
    entries = {k: v for k, v in merged.items() if v is not None}
    where = f"{project.path(CONFIG)} (tune.search_space) over configs/{SPACE_FILE}"
    if not entries:
        raise ConfigError(f"{where}: the search space is empty; add at least one parameter.")
    base_params = _base_params(project)
    return parse_space(entries, where, base_params)


def parse_space(entries: dict[str, Any], where: str, base_params: set[str]) -> list[Dimension]:
    aliases = _lightgbm_aliases()
    dims = [_dimension(where, str(name), entry, aliases) for name, entry in entries.items()]
    _check_aliases(where, [d.name for d in dims], base_params, aliases)
    return dims


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


def _dimension(where: str, name: str, entry: Any, aliases: dict[str, str]) -> Dimension:
    at = f"{where}: {name}"
    if not isinstance(entry, dict):
        raise ConfigError(
            f"{at} must be a mapping like {{type: float, low: 0.01, high: 0.3, log: true}}."
        )
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise ConfigError(
            f"{at}: unknown key {unknown[0]!r}; valid keys are {', '.join(sorted(KEYS))}."
        )
    if name in MANAGED or aliases.get(name) in MANAGED:
        raise ConfigError(f"{at} cannot be tuned: {MANAGED[aliases.get(name, name)]}.")
    if aliases and name not in aliases:
        raise ConfigError(
            f"{at} is not a LightGBM parameter; see "
            "https://lightgbm.readthedocs.io/en/latest/Parameters.html for the names."
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


def _check_aliases(where: str, names: list[str], base: set[str], aliases: dict[str, str]) -> None:
    """A parameter named twice under different aliases would compete inside LightGBM."""
    if not aliases:
        return
    seen: dict[str, str] = {}
    for name in [*sorted(base), *names]:
        main = aliases.get(name, name)
        other = seen.setdefault(main, name)
        if other != name and name in names:
            source = "configs/lightgbm.yaml or model.params" if other in base else "the space"
            raise ConfigError(
                f"{where}: {name} and {other} are the same LightGBM parameter ({main}), and "
                f"{source} already names it {other}: use {other} in the search space."
            )


def _base_params(project: Project) -> set[str]:
    from kstarter.resources import load_config_yaml

    table = load_config_yaml("lightgbm.yaml") or {}
    names = set(table.get("common") or {}) | set(table.get(project.spec.task) or {})
    return names | set(project.model.params)


def _lightgbm_aliases() -> dict[str, str]:
    """Every LightGBM parameter name and alias -> its main name; {} if LightGBM hides them."""
    try:
        from lightgbm.basic import _ConfigAliases

        table = _ConfigAliases._get_all_param_aliases()
    except (ImportError, AttributeError):  # a private helper: skip the name check if it moves
        return {}
    out = {main: main for main in table}
    for main, names in table.items():
        for alias in names:
            out.setdefault(alias, main)
    return out
