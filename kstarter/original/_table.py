"""The original table read from the project's copy and lined up with train: the same columns
in the same order, or one sentence saying which column does not match and what to do."""

from __future__ import annotations

import difflib
import hashlib
from typing import TYPE_CHECKING

from kstarter import paths
from kstarter.competition import class_codes, read_table
from kstarter.errors import ConfigError, SpecError
from kstarter.original._config import INDICATOR

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from kstarter.config import Project
    from kstarter.original._config import Original
    from kstarter.spec import Spec

__all__ = ["read_original", "align_original", "with_indicator", "file_sha256"]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_original(project: Project, original: Original, train: pd.DataFrame) -> pd.DataFrame:
    """The project's copy of the original, checked against its recorded SHA-256 and lined up
    with ``train`` (:func:`align_original`)."""
    path = project.data_dir / original.file
    shown = f"{paths.DATA}/{original.file}"
    if not path.is_file():
        raise ConfigError(
            f"{shown} is missing (deleted or moved): copy it back, or remove the `original:` "
            f"section of {paths.CONFIG} to train without the original data."
        )
    found = file_sha256(path)
    if found != original.sha256:
        raise ConfigError(
            f"{shown} changed since `kstarter init --original` copied it (its SHA-256 is "
            f"{found[:16]}..., kstarter.yaml records {original.sha256[:16]}...): restore it, "
            "or put the new value in original.sha256 if you changed it on purpose."
        )
    frame = read_table(path, shown=shown, text=(project.spec.id,))
    aligned, _ = align_original(frame, train, project.spec, shown)
    return aligned


def align_original(
    orig: pd.DataFrame, train: pd.DataFrame, spec: Spec, shown: str
) -> tuple[pd.DataFrame, list[str]]:
    """``orig`` with train's columns in train's order (the id and cv columns, which an
    original rarely has, left empty), and the names of its extra columns, dropped. A column
    train has and the original has not, a target the original lacks or cannot hold, or a
    column of numbers in train that is text in the original raises one sentence each."""
    import pandas as pd

    if INDICATOR in train.columns:
        raise SpecError(
            f"train already has a column {INDICATOR!r}, the name kstarter gives the column "
            "that marks original rows: rename it in train and test."
        )
    names = [str(c) for c in orig.columns]
    optional = {spec.id} if spec.id is not None else set()
    for col in [str(c) for c in train.columns]:
        if col in orig.columns or col in optional:
            continue
        what = "target column" if col in spec.targets else "column"
        raise SpecError(
            f"The original {shown} has no {what} {col!r}{_hint(col, names)}; its columns are "
            f"{', '.join(names[:12])}: rename its column to train's name (or add the column) "
            "and run init again."
        )
    extra = [c for c in names if c not in train.columns]
    out = orig[[c for c in train.columns if c in orig.columns]].copy()
    for col in train.columns:
        if col not in out.columns:
            numeric = pd.api.types.is_numeric_dtype(train[col])
            out[col] = pd.Series([None] * len(out), dtype="float64" if numeric else "str")
    out = out[list(train.columns)]
    for col in train.columns:
        if col in spec.targets or col in optional:
            continue
        out[col] = _same_type(out[col], train[col], shown)
    _check_targets(out, spec, shown)
    return out.reset_index(drop=True), extra


def _hint(col: str, names: list[str]) -> str:
    lower = {n.lower(): n for n in names}
    close = difflib.get_close_matches(col.lower(), list(lower), n=1, cutoff=0.6)
    return f" (did you mean {lower[close[0]]!r}?)" if close else ""


def _same_type(orig: pd.Series, train: pd.Series, shown: str) -> pd.Series:
    """A column as train holds it: numbers stay numbers, text becomes text."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(train) or pd.api.types.is_numeric_dtype(train):
        if pd.api.types.is_numeric_dtype(orig) or pd.api.types.is_bool_dtype(orig):
            return orig
        values = pd.to_numeric(orig, errors="coerce")
        bad = orig[values.isna() & orig.notna()]
        if len(bad):
            raise SpecError(
                f"Column {train.name!r} holds numbers in train but text in the original "
                f"{shown} (e.g. {bad.iloc[0]!r}): make it numbers in the original (or text in "
                "both) and run init again."
            )
        return values
    if pd.api.types.is_numeric_dtype(orig) or pd.api.types.is_bool_dtype(orig):
        # text in train, numbers in the original: the same values written as train writes them
        as_text = orig.astype("str").where(orig.notna())
        return as_text.str.replace(r"\.0$", "", regex=True)
    return orig


def _check_targets(orig: pd.DataFrame, spec: Spec, shown: str) -> None:
    import pandas as pd

    for t in spec.targets:
        col = orig[t]
        if col.isna().any():
            raise SpecError(
                f"Target {t!r} has {int(col.isna().sum())} missing values in the original "
                f"{shown}: drop those rows from it and run init again."
            )
        if spec.task in ("regression", "multitarget"):
            if pd.to_numeric(col, errors="coerce").isna().any():
                raise SpecError(
                    f"Target {t!r} holds text in the original {shown} where train's is a "
                    "number: fix those rows and run init again."
                )
            continue
        codes = class_codes(spec, col)
        if (codes < 0).any():
            unknown = sorted({str(v) for v in col[codes < 0].unique()})
            raise SpecError(
                f"The original {shown} has target values train does not ({', '.join(unknown[:5])}"
                f"; train's classes are {', '.join(map(str, spec.classes))}): map them to "
                "train's labels in the original and run init again."
            )


def with_indicator(
    train: pd.DataFrame, original: pd.DataFrame, test: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train with the original rows after its own, and test, each with ``is_original`` (1 on
    original rows, 0 elsewhere): what ``features.py`` gets when the original is on."""
    import numpy as np
    import pandas as pd

    both = pd.concat(
        [train.assign(**{INDICATOR: 0}), original.assign(**{INDICATOR: 1})], ignore_index=True
    )
    both[INDICATOR] = both[INDICATOR].astype("int8")
    return both, test.assign(**{INDICATOR: np.zeros(len(test), dtype=np.int8)})
