"""kstarter.yaml's ``features:`` section: each transform off (the default) or on, by name, with
its parameters. Every transform is off unless named, so a project without the section trains
exactly as before."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstarter.errors import ConfigError

__all__ = ["FeaturePack", "parse_features"]

CROSS_ENCODINGS = ("count", "target")


@dataclass(frozen=True)
class FeaturePack:
    target_encoding: bool = False
    smoothing: float = 10.0  # pseudo-rows of the prior mixed into each value's mean
    count_encoding: bool = False
    missing: bool = False
    numeric_as_category: bool = False
    max_values: int = 20  # a numeric column with at most this many distinct values is copied
    crosses: bool = False
    max_cardinality: int = 1000  # a pair is crossed when card(a) * card(b) is at most this
    max_pairs: int = 28  # the first pairs in column order
    cross_encode: str = "count"  # count | target
    # the original dataset's mean target per value (kstarter.original._stats)
    original_stats: bool = False
    stats_smoothing: float = 10.0
    stats_max_values: int = 20

    @property
    def fixed(self) -> bool:
        """Any fold-independent transform on (computed once with the matrices)."""
        return (
            self.count_encoding
            or self.missing
            or self.numeric_as_category
            or (self.crosses and self.cross_encode == "count")
            or self.original_stats
        )

    @property
    def per_fold(self) -> bool:
        """Any target encoding on (computed per fold)."""
        return self.target_encoding or (self.crosses and self.cross_encode == "target")

    def describe(self) -> dict[str, Any]:
        """The transforms on, with their parameters: for the run record and the cache key;
        empty when all are off."""
        out: dict[str, Any] = {}
        if self.target_encoding:
            out["target_encoding"] = {"smoothing": self.smoothing}
        if self.count_encoding:
            out["count_encoding"] = True
        if self.missing:
            out["missing"] = True
        if self.numeric_as_category:
            out["numeric_as_category"] = {"max_values": self.max_values}
        if self.crosses:
            out["crosses"] = {
                "max_cardinality": self.max_cardinality,
                "max_pairs": self.max_pairs,
                "encode": self.cross_encode,
            }
            if self.cross_encode == "target":
                out["crosses"]["smoothing"] = self.smoothing
        if self.original_stats:
            out["original_stats"] = {
                "smoothing": self.stats_smoothing,
                "max_values": self.stats_max_values,
            }
        return out

    def fixed_part(self) -> dict[str, Any]:
        """What decides the fold-independent columns (the matrices' cache key): target
        encoding's settings are not cached, so changing them rebuilds nothing."""
        return {k: v for k, v in self.describe().items() if k != "target_encoding"}


# transform -> {parameter: (FeaturePack field, type)}
_PARAMS: dict[str, dict[str, tuple[str, type]]] = {
    "target_encoding": {"smoothing": ("smoothing", float)},
    "count_encoding": {},
    "missing": {},
    "numeric_as_category": {"max_values": ("max_values", int)},
    "crosses": {
        "max_cardinality": ("max_cardinality", int),
        "max_pairs": ("max_pairs", int),
        "encode": ("cross_encode", str),
    },
    "original_stats": {
        "smoothing": ("stats_smoothing", float),
        "max_values": ("stats_max_values", int),
    },
}


def parse_features(where: Path, raw: Any) -> FeaturePack:
    """The ``features:`` section: ``name: true | false`` or ``name: {parameters}`` (on)."""
    if raw is None:
        return FeaturePack()
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: `features:` must be a mapping of transform: true/false.")
    values: dict[str, Any] = {}
    for name, setting in raw.items():
        if name not in _PARAMS:
            raise ConfigError(
                f"{where}: unknown transform {name!r} in features; valid ones are "
                f"{', '.join(sorted(_PARAMS))}."
            )
        if isinstance(setting, bool) or setting is None:
            values[name] = bool(setting)
            continue
        if not isinstance(setting, dict):
            raise ConfigError(
                f"{where}: features.{name} must be true, false or a mapping of its parameters."
            )
        values[name] = True
        for key, value in setting.items():
            if key not in _PARAMS[name]:
                known = ", ".join(sorted(_PARAMS[name])) or "none"
                raise ConfigError(
                    f"{where}: unknown parameter {key!r} in features.{name}; its parameters "
                    f"are: {known}."
                )
            field_name, kind = _PARAMS[name][key]
            values[field_name] = _typed(where, f"features.{name}.{key}", value, kind)
    pack = FeaturePack(**values)
    if pack.cross_encode not in CROSS_ENCODINGS:
        raise ConfigError(
            f"{where}: features.crosses.encode must be count or target (found "
            f"{pack.cross_encode!r})."
        )
    if pack.stats_smoothing < 0 or pack.stats_max_values < 2:
        raise ConfigError(
            f"{where}: features.original_stats: smoothing must be >= 0 and max_values >= 2."
        )
    if pack.smoothing < 0 or pack.max_values < 2 or pack.max_cardinality < 4 or pack.max_pairs < 1:
        raise ConfigError(
            f"{where}: features: smoothing must be >= 0, max_values >= 2, max_cardinality "
            ">= 4 and max_pairs >= 1."
        )
    return pack


def _typed(where: Path, key: str, value: Any, kind: type) -> Any:
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be text (found {value!r}).")
        return value
    ok = not isinstance(value, bool) and isinstance(value, int | float if kind is float else int)
    if not ok:
        what = "a number" if kind is float else "a whole number"
        raise ConfigError(f"{where}: {key} must be {what} (found {value!r}).")
    return kind(value)
