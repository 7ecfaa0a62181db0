"""A family's parameters from its ``configs/<name>.yaml``, for the families that are not
LightGBM: the defaults (``common``, then the task's section), the metric table's LightGBM
objective and eval metric translated into the family's own names, and the user's keys.

The metric table (``configs/metrics.yaml``) says, per metric and task, how LightGBM trains
(``lightgbm: {objective, metric}``). A family's file translates those few LightGBM names
(``objectives:``, ``eval_metrics:``) instead of every metric entry growing a key per family:
adding a metric stays one entry, and ``tests/models/test_family_tables.py`` checks that every
family translates every pair the metric table uses.

The user's parameters (kstarter.yaml's ``model.params``, a ``--params`` file) are shared by
every family and are mostly LightGBM's. A family takes only the keys its file names: those in
its defaults and in ``more_keys``. Keys kstarter sets (objective, eval metric, seed, threads,
rounds, ``fixed:``) are not taken from the user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kstarter.errors import ConfigError

if TYPE_CHECKING:
    from kstarter.models._base import ModelSetup

__all__ = ["FamilyTable"]


class FamilyTable:
    """One family's ``configs/<name>.yaml``, read once."""

    def __init__(self, name: str) -> None:
        from kstarter.resources import load_config_yaml

        self.file = f"configs/{name}.yaml"
        self.raw: dict[str, Any] = dict(load_config_yaml(f"{name}.yaml") or {})

    def defaults(self, task: str) -> dict[str, Any]:
        """``common``, then the task's section."""
        return {**(self.raw.get("common") or {}), **(self.raw.get(task) or {})}

    def fixed(self) -> dict[str, Any]:
        return dict(self.raw.get("fixed") or {})

    def own_keys(self) -> frozenset[str]:
        """The keys the user's parameters may set for this family."""
        keys = set(self.raw.get("more_keys") or ())
        for section in ("common", "binary", "multiclass", "regression", "multitarget"):
            keys |= set(self.raw.get(section) or {})
        return frozenset(keys)

    def own_overrides(self, overrides: dict[str, Any]) -> dict[str, Any]:
        own = self.own_keys()
        return {k: v for k, v in overrides.items() if k in own}

    def translate(self, setup: ModelSetup) -> tuple[str, str]:
        """This family's objective and eval metric for the metric's LightGBM pair on the task."""
        pair = setup.metric.lightgbm_params(setup.spec.task)
        found = []
        for section, key in (("objectives", "objective"), ("eval_metrics", "metric")):
            value = (self.raw.get(section) or {}).get(pair[key])
            if value is None:
                raise ConfigError(
                    f"{self.file} has no entry for LightGBM's {key} {pair[key]!r} (metric "
                    f"{setup.metric.name!r}, {setup.spec.task} task): add it under {section}."
                )
            found.append(str(value))
        return found[0], found[1]
