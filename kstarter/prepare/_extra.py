"""The competition's extra tables, handed to ``make_features(train, test, extra)`` by name."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from kstarter.competition import read_table, table_name
from kstarter.errors import TrainError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ExtraTables"]


class ExtraTables(Mapping[str, "pd.DataFrame"]):
    """The competition's extra tables for features.py: name (file without ``.csv``) ->
    DataFrame, each read from data/ the first time it is used."""

    def __init__(self, data_dir: Path, files: list[str]) -> None:
        self._files = {table_name(f): f for f in files}
        self._data_dir = data_dir
        self._read: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._files:
            known = ", ".join(self._files) or "none (competition.extra_tables is empty)"
            raise KeyError(f"no extra table {name!r}; the extra tables are: {known}")
        if name not in self._read:
            rel = self._files[name]
            if not (self._data_dir / rel).is_file():
                raise TrainError(
                    f"data/{rel}, listed in competition.extra_tables, does not exist: fix the "
                    "name in kstarter.yaml or restore the file."
                )
            self._read[name] = read_table(self._data_dir / rel, shown=f"data/{rel}")
        return self._read[name].copy(deep=False)

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def __repr__(self) -> str:
        return f"ExtraTables({list(self._files)})"
