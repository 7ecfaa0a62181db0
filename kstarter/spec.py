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
    drop: tuple[str, ...] = ()  # columns in only one of train and test (never features)
    text_columns: tuple[str, ...] = ()  # free text: TF-IDF + SVD features, not categoricals
    text_components: int = 32  # SVD components per text column
    date_columns: tuple[str, ...] = ()  # dates: expanded into year, month, day, ... parts
    # tables besides train/test/sample: file under data/ -> the key column(s) shared with train;
    # features.py receives them as ``extra`` (name without .csv -> DataFrame)
    extra_tables: dict[str, list[str]] = field(default_factory=dict)
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
            elif k in _SHAPE_FIELDS:
                v = _shape_field(k, v)
            elif isinstance(v, list):
                v = tuple(v)
            kwargs[k] = v
        return cls(**kwargs)

    @property
    def n_classes(self) -> int:
        return len(self.classes)


_SHAPE_FIELDS = ("text_columns", "date_columns", "text_components", "extra_tables")


def _shape_field(key: str, v: Any) -> Any:
    """The fields a user edits by hand: a clear error for a wrong shape, never a traceback."""
    from kstarter.errors import ConfigError

    if key == "text_components":
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ConfigError(f"competition.text_components must be a whole number >= 0 ({v!r}).")
        return v
    if key == "extra_tables":
        v = v or {}
        ok = isinstance(v, dict) and all(
            isinstance(keys, list | tuple | type(None)) for keys in v.values()
        )
        if not ok:
            raise ConfigError(
                "competition.extra_tables must map a file under data/ to its key columns, "
                'e.g. {"stores.csv": ["store_nbr"]}.'
            )
        return {str(name): [str(k) for k in keys or []] for name, keys in v.items()}
    v = v or []
    if not isinstance(v, list | tuple) or not all(isinstance(c, str) for c in v):
        raise ConfigError(f'competition.{key} must be a list of column names, e.g. ["review"].')
    return tuple(v)
