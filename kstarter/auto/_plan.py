"""What ``kstarter auto`` trains and what each step should cost: ``configs/auto.yaml`` (the
steps, the families' relative costs, the blending reserve) and the cost model that turns the
fold times measured on this project's folds into an estimate for the next step."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kstarter.auto._pack import PackTrial, parse_pack_trial
from kstarter.errors import ConfigError

__all__ = ["Step", "AutoSettings", "load_settings", "settings_from", "CostModel", "order_steps"]

_FILE = "configs/auto.yaml"


@dataclass(frozen=True)
class Step:
    """One ordinary run: a family and the number of seeds averaged in each fold."""

    model: str
    seeds: int = 1

    @property
    def label(self) -> str:
        return self.model if self.seeds == 1 else f"{self.model} x{self.seeds} seeds"


@dataclass(frozen=True)
class AutoSettings:
    steps: tuple[Step, ...]
    relative_cost: Mapping[str, float]
    reserve_seconds: float
    reserve_share: float
    blends: tuple[str, ...]
    parallel_from: float = 120.0  # seconds of budget from which runs train side by side
    limit_share: float = 0.8  # of the time left, what a family's first run may take
    min_fit_seconds: float = 1.0  # a time limit per fit below this: the step is skipped
    fit_part: float = 0.5  # of a limited fold's time, what its fit may take (then: predicting)
    # the feature pack tried against plain features before the plan (None: not tried)
    pack: PackTrial | None = None

    # what one blend method takes: a fixed part (its files, the report), and per member run a
    # part of its own (reading its predictions) plus one per train row and prediction column
    # (fitting on them); a stack of several classes fits a multinomial on every member's every
    # class, so its part per row grows with the classes squared
    reserve_per_method: float = 2.0
    reserve_per_member: float = 0.6
    reserve_per_row: float = 1.2e-5

    def reserve(self, budget: float, rows: int = 0, members: int = 2, columns: int = 1) -> float:
        """Seconds kept back for blending at the end of a ``budget``, ``members`` runs of
        ``rows`` train rows and ``columns`` prediction columns (classes, targets): the most of
        a floor, a share of the budget and what the blend methods take on those runs; never more
        than half the budget."""
        blends = sum(self.blend_seconds(rows, members, columns, m) for m in self.blends)
        return min(max(self.reserve_seconds, self.reserve_share * budget, blends), 0.5 * budget)

    def blend_seconds(
        self, rows: int, members: int, columns: int = 1, method: str = "hillclimb"
    ) -> float:
        """What blend ``method`` should take on ``members`` runs of ``rows`` train rows, each
        predicting ``columns`` columns."""
        per_row = self.reserve_per_row * columns * (columns if method == "stack" else 1)
        return self.reserve_per_method + members * (self.reserve_per_member + per_row * rows)


def load_settings() -> AutoSettings:
    from kstarter.resources import load_config_yaml

    return settings_from(load_config_yaml("auto.yaml") or {})


def settings_from(raw: Mapping[str, Any]) -> AutoSettings:
    """``configs/auto.yaml``'s content, checked: every model known, seeds and costs positive,
    every blend method one that ``kstarter blend`` has."""
    from kstarter.blend import METHODS
    from kstarter.models import get_model

    if not isinstance(raw, Mapping):
        raise ConfigError(f"{_FILE} must be a mapping with steps, relative_cost, reserve, blends.")
    unknown = set(raw) - {
        "steps", "relative_cost", "reserve", "blends", "parallel_from", "time_limit",
        "feature_pack",
    }  # fmt: skip
    if unknown:
        raise ConfigError(f"{_FILE} has unknown keys {sorted(unknown)}: remove them.")
    steps = []
    for i, item in enumerate(raw.get("steps") or ()):
        if not isinstance(item, Mapping) or "model" not in item or set(item) - {"model", "seeds"}:
            raise ConfigError(
                f"{_FILE} steps[{i}] must be a mapping like {{model: lightgbm, seeds: 3}}."
            )
        get_model(str(item["model"]))  # an unknown family: the registry's error, with a hint
        seeds = item.get("seeds", 1)
        if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1:
            raise ConfigError(f"{_FILE} steps[{i}] seeds must be a whole number >= 1.")
        steps.append(Step(str(item["model"]), seeds))
    if not steps:
        raise ConfigError(f"{_FILE} has no steps: list at least one {{model: NAME}}.")
    costs = dict(raw.get("relative_cost") or {})
    for name, value in costs.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{_FILE} relative_cost.{name} must be a positive number.")
    missing = sorted({s.model for s in steps} - set(costs))
    if missing:
        raise ConfigError(f"{_FILE} relative_cost has no entry for {', '.join(missing)}: add it.")
    reserve = raw.get("reserve") or {}
    blends = tuple(str(b) for b in raw.get("blends") or ())
    bad = [b for b in blends if b not in METHODS]
    if bad:
        raise ConfigError(
            f"{_FILE} blends has {', '.join(bad)}: use methods of `kstarter blend` "
            f"({', '.join(METHODS)})."
        )
    limit = raw.get("time_limit") or {}
    if not isinstance(limit, Mapping) or set(limit) - {"share", "fit_part", "min_fit_seconds"}:
        raise ConfigError(
            f"{_FILE} time_limit must be a mapping with share, fit_part and min_fit_seconds."
        )
    share, fit_part = (_fraction(limit.get(k, d), f"time_limit.{k}") for k, d in
                       (("share", 0.8), ("fit_part", 0.5)))  # fmt: skip
    return AutoSettings(
        steps=tuple(steps),
        relative_cost={k: float(v) for k, v in costs.items()},
        reserve_seconds=float(reserve.get("seconds", 3)),
        reserve_share=float(reserve.get("share", 0.05)),
        reserve_per_method=_positive(reserve.get("per_method", 2.0), "reserve.per_method"),
        reserve_per_member=_positive(reserve.get("per_member", 0.6), "reserve.per_member"),
        reserve_per_row=_positive(reserve.get("per_row", 1.2e-5), "reserve.per_row"),
        blends=blends,
        parallel_from=_positive(raw.get("parallel_from", 120), "parallel_from"),
        limit_share=share,
        fit_part=fit_part,
        min_fit_seconds=_positive(limit.get("min_fit_seconds", 1.0), "time_limit.min_fit_seconds"),
        pack=parse_pack_trial(raw.get("feature_pack"), _FILE),
    )


def _fraction(value: Any, name: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1:
        raise ConfigError(f"{_FILE} {name} must be more than 0 and at most 1.")
    return float(value)


def _positive(value: Any, name: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{_FILE} {name} must be a number of seconds (0 or more).")
    return float(value)


def order_steps(steps: Sequence[Step], family_rank: Mapping[str, int]) -> list[Step]:
    """Single runs first, in the file's order (the families, so a blend has kinds to choose
    from); then the seed bags, the best family's first (``family_rank``: 0 is the best; a family
    not ranked yet keeps its place after the ranked ones), fewer seeds before more."""
    singles = [s for s in steps if s.seeds == 1]
    bags = [s for s in steps if s.seeds > 1]
    position = {id(s): i for i, s in enumerate(bags)}
    worst = len(family_rank)
    bags.sort(key=lambda s: (s.seeds, family_rank.get(s.model, worst), position[id(s)]))
    return singles + bags


class CostModel:
    """Seconds a step should take on this project's folds.

    A family that has trained here costs what its folds took (per seed); one that has not is
    estimated from the measured families through ``relative_cost``. Nothing measured yet: no
    estimate (the first run is its own probe, stopped if its first folds show it cannot end in
    time)."""

    def __init__(self, relative_cost: Mapping[str, float], n_folds: int, parallel: int = 1) -> None:
        self.relative_cost = dict(relative_cost)
        self.n_folds = n_folds
        # a run's fits at once (its folds on a Dask cluster's workers): the folds of a run
        # take ``rounds`` fits' time one after another
        self.parallel = max(1, parallel)
        self.rounds = -(-n_folds // self.parallel)
        self._fold_seconds: dict[str, list[float]] = {}
        self._overheads: list[float] = []  # a run's seconds outside its folds (predictions, files)

    def observe(self, model: str, seeds: int, fold_seconds: Iterable[float]) -> None:
        """Fold times of a run of ``model`` that averaged ``seeds`` models a fold."""
        per_seed = [float(s) / max(1, seeds) for s in fold_seconds]
        if per_seed:
            self._fold_seconds.setdefault(model, []).extend(per_seed)

    def observe_overhead(self, seconds: float) -> None:
        self._overheads.append(max(0.0, float(seconds)))

    def fold_seconds(self, model: str) -> float | None:
        """One fold of one seed of ``model``: measured, or scaled from the measured families."""
        own = self._fold_seconds.get(model)
        if own:
            return statistics.median(own)
        if model not in self.relative_cost:
            return None
        scaled = [
            statistics.median(times) * self.relative_cost[model] / self.relative_cost[other]
            for other, times in self._fold_seconds.items()
            if other in self.relative_cost and times
        ]
        return statistics.median(scaled) if scaled else None

    def estimate(self, step: Step) -> float | None:
        per_fold = self.fold_seconds(step.model)
        if per_fold is None:
            return None
        return per_fold * step.seeds * self.rounds + self.overhead()

    def overhead(self) -> float:
        """A run's seconds outside its folds: the least seen (a process's first run also pays
        its one-time imports: the report), 0 before any run."""
        return min(self._overheads) if self._overheads else 0.0

    def measured(self, model: str) -> bool:
        return bool(self._fold_seconds.get(model))
