"""kstarter.yaml's ``original:`` section, written by ``kstarter init --original``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstarter.errors import ConfigError

__all__ = ["INDICATOR", "Original", "parse_original"]

# the column that marks original rows (1) among competition rows and test rows (0)
INDICATOR = "is_original"


@dataclass(frozen=True)
class Original:
    file: str  # under data/, e.g. "original/train.csv"
    sha256: str  # of the copy, when init made it: a changed file is refused
    source: str  # what --original named
    rows: bool = True  # added as training rows (never validated)
    weight: float = 1.0  # each original row's weight in training (1: as a competition row)

    def describe(self) -> dict[str, Any]:
        """For the run record and the matrices' cache key."""
        return {
            "file": self.file,
            "sha256": self.sha256,
            "source": self.source,
            "rows": self.rows,
            "weight": self.weight,
        }


_KEYS = {"file", "sha256", "source", "rows", "weight"}


def parse_original(where: Path, raw: Any) -> Original | None:
    """The ``original:`` section, None when absent."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: `original:` must be a mapping (file, sha256, rows, weight).")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} in original; its keys are "
            f"{', '.join(sorted(_KEYS))}."
        )
    file, sha = raw.get("file"), raw.get("sha256")
    if not isinstance(file, str) or not file or not isinstance(sha, str):
        raise ConfigError(
            f"{where}: original.file and original.sha256 must be text (as `kstarter init "
            "--original` writes them); re-run init with --original, or remove the section."
        )
    if Path(file).is_absolute() or ".." in Path(file).parts:
        raise ConfigError(f"{where}: original.file must be a path under data/ (found {file!r}).")
    rows = raw.get("rows", True)
    if not isinstance(rows, bool):
        raise ConfigError(f"{where}: original.rows must be true or false (found {rows!r}).")
    weight = raw.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
        raise ConfigError(
            f"{where}: original.weight must be a number above 0 (found {weight!r}); 1 weighs "
            "an original row as a competition row."
        )
    return Original(file, sha, str(raw.get("source", "")), rows, float(weight))
