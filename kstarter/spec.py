"""The competition spec: what kstarter knows about a competition, written to ``kstarter.yaml``.

Vocabulary used everywhere:

task
    ``binary`` | ``multiclass`` | ``regression`` | ``multitarget`` (several target columns).
submission kind (what one submission cell holds)
    ``label``       a class label in the train's own encoding (int, bool or string);
    ``proba``       the probability of the positive class (binary);
    ``class_proba`` one probability column per class (multiclass);
    ``value``       a number (regression, or each column of a multi-target submission).
encoded target
    Inside kstarter a classification target is encoded as 0..k-1 in ``classes`` order (for
    binary, 1 is the positive class, ``classes[1]``); regression targets stay floats.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["TASKS", "KINDS", "Files", "Spec"]

TASKS = ("binary", "multiclass", "regression", "multitarget")
KINDS = ("label", "proba", "class_proba", "value")


@dataclass(frozen=True)
class Files:
    train: str = "train.csv"
    test: str = "test.csv"
    sample_submission: str = "sample_submission.csv"


@dataclass(frozen=True)
class Spec:
    """Everything inspection found, plus what the user or Kaggle metadata said."""

    name: str
    source: str
    files: Files = field(default_factory=Files)
    id: str | None = None  # id column of test (and train), None when test has none
    sample_id: str | None = None  # first column of the sample submission
    targets: tuple[str, ...] = ()
    task: str = "regression"
    kind: str = "value"
    classes: tuple[Any, ...] = ()  # train's own class values, sorted; [0]=negative for binary
    pred_columns: tuple[str, ...] = ()  # the sample's columns after its id, in order: one per
    # target (label/proba/value), or one per class in ``classes`` order (class_proba)
    label_dtype: str = "float"  # int | bool | str | float: how labels are written back
    metric: str = "rmse"
    metric_guessed: bool = False  # True when no metadata and no --metric chose it
    metric_kaggle_name: str | None = None  # the name Kaggle's metadata gave, kept as found
    drop: tuple[str, ...] = ()  # columns in train but not test (never features)
    title: str | None = None
    url: str | None = None
    deadline: str | None = None
    daily_limit: int | None = None
    code_competition: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, tuple):
                d[k] = list(v)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Spec:
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for k, v in d.items():
            if k not in known:
                continue
            if k == "files":
                v = Files(**(v or {}))
            elif isinstance(v, list):
                v = tuple(v)
            kwargs[k] = v
        return cls(**kwargs)

    @property
    def n_classes(self) -> int:
        return len(self.classes)
