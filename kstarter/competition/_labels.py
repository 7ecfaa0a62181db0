"""The labels codec: a competition's targets as the models see them (class index 0..k-1, or
floats) and class indices back in the train's own encoding (0/1, True/False, strings).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstarter.errors import TrainError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.spec import Spec

__all__ = ["encode_target", "decode_labels", "class_codes"]


def encode_target(spec: Spec, train: pd.DataFrame) -> np.ndarray:
    """Targets as the model sees them: class index 0..k-1, or floats; 2-D for multitarget."""
    import numpy as np
    import pandas as pd

    missing = [t for t in spec.targets if t not in train.columns]
    if missing:
        raise TrainError(
            f"Target column {missing[0]!r} is not in data/{spec.files.train}: fix "
            "competition.targets in kstarter.yaml."
        )
    if spec.task == "multitarget":
        y = train[list(spec.targets)].to_numpy(dtype=float)
        if np.isnan(y).any():
            raise TrainError("A target column has missing values; fill or drop those rows.")
        return y
    col = train[spec.targets[0]]
    if col.isna().any():
        raise TrainError(
            f"Target {spec.targets[0]!r} has {int(col.isna().sum())} missing values in "
            f"data/{spec.files.train} (rows {_rows(col.isna())}): drop or fill those rows in "
            "the file."
        )
    if spec.task == "regression":
        values = pd.to_numeric(col, errors="coerce")
        if values.isna().any():
            bad = col[values.isna()].iloc[0]
            raise TrainError(
                f"Target {spec.targets[0]!r} is a regression target but holds text "
                f"({_plain(bad)!r}, rows {_rows(values.isna())} of data/{spec.files.train}): fix "
                "those rows, or re-run `kstarter init` if the target holds classes."
            )
        target: np.ndarray = values.to_numpy(dtype=float)
        if not np.isfinite(target).all():
            raise TrainError(
                f"Target {spec.targets[0]!r} is infinite in rows {_rows(~np.isfinite(target))} of "
                f"data/{spec.files.train}: no model can fit it; drop or fix those rows."
            )
        if np.unique(target).size < 2:
            raise TrainError(
                f"Target {spec.targets[0]!r} has one value only ({_plain(target[0])!r}) in "
                f"data/{spec.files.train}: there is nothing to learn; check the train file and "
                "competition.targets."
            )
        return target
    codes = class_codes(spec, col)
    if (codes < 0).any():
        bad = _plain(col[codes < 0].iloc[0])
        raise TrainError(
            f"Target value {bad!r} is not among competition.classes {list(spec.classes)}: fix "
            "the classes in kstarter.yaml."
        )
    if len(np.unique(codes)) < 2:
        raise TrainError(
            f"Target {spec.targets[0]!r} has one class only ({_plain(spec.classes[codes[0]])!r}): "
            "there is nothing to learn; check the train file and competition.targets."
        )
    return codes


def _plain(v: Any) -> Any:
    """A numpy scalar as the Python value it holds: messages show ``3``, not ``np.int64(3)``."""
    item = getattr(v, "item", None)
    return item() if callable(item) and type(v).__module__ == "numpy" else v


def _rows(mask: Any, limit: int = 5) -> str:
    """The first data rows (counting from 1, the header not counted) where ``mask`` holds."""
    import numpy as np

    where = [int(i) + 1 for i in np.flatnonzero(np.asarray(mask))]
    more = f", ... ({len(where)} in all)" if len(where) > limit else ""
    return ", ".join(map(str, where[:limit])) + more


def class_codes(spec: Spec, column: pd.Series) -> np.ndarray:
    """Each value's index in ``spec.classes`` (-1 where it is not a class), labels compared as
    the codec compares them: 1 == 1.0 == '1', True == 'True'."""
    import numpy as np
    import pandas as pd

    index = {_key(c): i for i, c in enumerate(spec.classes)}
    if column.dtype == object:  # mixed types: factorize would merge 1, 1.0 and True
        return column.map(lambda v: index.get(_key(v), -1)).to_numpy(dtype=int)
    # each distinct value compared once, not each row: 1M rows took 6 s row by row
    inverse, uniques = pd.factorize(column, use_na_sentinel=False)
    return np.array([index.get(_key(v), -1) for v in uniques], dtype=int)[inverse]


def _key(v: object) -> str:
    """Compare labels across YAML and pandas types: 1 == 1.0 == '1', True == 'True'."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


def decode_labels(spec: Spec, codes: np.ndarray) -> list[Any]:
    """Class indices back to the train's own encoding (0/1, True/False, strings)."""
    cast = _CASTS[spec.label_dtype]
    classes = [cast(c) for c in spec.classes]
    return [classes[int(i)] for i in codes]


def _as_bool(v: object) -> bool:
    return v if isinstance(v, bool) else str(v) == "True"


_CASTS: dict[str, Callable[[Any], Any]] = {"int": int, "bool": _as_bool, "str": str, "float": float}
