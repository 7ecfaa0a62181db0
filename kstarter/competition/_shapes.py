"""What init finds beyond a flat table of numbers and categories: text columns, date columns,
and extra tables that share a key column with train. Each goes into the spec (the user edits
the lists in kstarter.yaml) with a note for the summary."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kstarter.columns import has_time_of_day, looks_like_dates, looks_like_text, parse_dates
from kstarter.competition._read import is_table, read_header

if TYPE_CHECKING:
    import pandas as pd

    from kstarter.spec import Spec

__all__ = ["Shapes", "find_shapes", "find_extra_tables"]


# distinct train dates a column needs before init orders the folds by it: time blocks of a
# handful of dates would validate on one or two days each
MIN_TIME_VALUES = 20


@dataclass(frozen=True)
class Shapes:
    text_columns: tuple[str, ...] = ()
    date_columns: tuple[str, ...] = ()
    extra_tables: dict[str, list[str]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    # the first date column by which every test row comes after every train row: the project
    # is made with cv.time on it (each fold validates on rows later than it trains on)
    later_by: str | None = None


def find_shapes(data_dir: Path, spec: Spec, train: pd.DataFrame, test: pd.DataFrame) -> Shapes:
    never = {spec.id, spec.sample_id, *spec.targets, *spec.drop}
    candidates = [c for c in train.columns if c in test.columns and c not in never]
    dates = [str(c) for c in candidates if looks_like_dates(train[c])]
    texts = [str(c) for c in candidates if c not in dates and looks_like_text(train[c])]
    notes = []
    later_by = None
    for col in dates:
        can_order = later_by is None and train[col].nunique() >= MIN_TIME_VALUES
        note, later = _date_note(col, train[col], test[col], first=can_order)
        notes.append(note)
        if later and can_order:
            later_by = col
    if texts:
        notes.append(_text_note(texts, train, spec.text_components))
    extra, unkeyed = find_extra_tables(data_dir, spec, list(train.columns))
    if extra:
        listed = ", ".join(f"{name} (key {', '.join(keys)})" for name, keys in extra.items())
        notes.append(
            f"Extra tables sharing a key column with train: {listed}. features.py gets them as "
            "`extra` in make_features(train, test, extra); join them there."
        )
    if unkeyed:
        notes.append(
            f"Tables sharing no column with train: {', '.join(unkeyed)}; add one to "
            "competition.extra_tables in kstarter.yaml (with an empty key list) to get it in "
            "features.py."
        )
    return Shapes(tuple(texts), tuple(dates), extra, tuple(notes), later_by)


def find_extra_tables(
    data_dir: Path, spec: Spec, train_columns: Sequence[Hashable]
) -> tuple[dict[str, list[str]], list[str]]:
    """Tables besides train, test and the sample: name -> the columns they share with train
    (the join keys), and the names of those that share none."""
    main = {spec.files.train, spec.files.test, spec.files.sample_submission}
    columns = [str(c) for c in train_columns if c not in set(spec.targets)]
    keyed: dict[str, list[str]] = {}
    unkeyed: list[str] = []
    for path in sorted(data_dir.rglob("*")):
        if not is_table(path) or "__MACOSX" in path.parts:
            continue
        rel = path.relative_to(data_dir).as_posix()
        if rel in main:
            continue
        header = read_header(path)
        if header is None:
            continue
        keys = [c for c in columns if c in header]
        if keys:
            keyed[rel] = keys
        else:
            unkeyed.append(rel)
    return keyed, unkeyed


def _date_note(col: str, train: pd.Series, test: pd.Series, first: bool) -> tuple[str, bool]:
    """What init says of a date column, and whether every test row comes after train by it
    (``first``: no earlier column did and this one has dates enough, so it becomes cv.time)."""
    a, b = parse_dates(train), parse_dates(test)
    timed = has_time_of_day(a) or has_time_of_day(b)
    parts = "year, month, day, day of week, day of year, " + ("hour, " if timed else "")
    text = f"Date column {col!r} becomes {parts}and a day count."
    later = False
    if a.notna().any() and b.notna().any():
        fmt = "%Y-%m-%d %H:%M" if timed else "%Y-%m-%d"
        tr = f"{a.min().strftime(fmt)} to {a.max().strftime(fmt)}"
        te = f"{b.min().strftime(fmt)} to {b.max().strftime(fmt)}"
        if b.min() > a.max():
            later = True
            text += f" Test ({te}) comes after train ({tr})"
            if first:
                return text + (
                    f": cv.time is {col}, so each fold validates on rows later than it trains "
                    "on, and the test predictions come from a model refitted on every train row "
                    "(set cv.time: null for shuffled folds)."
                ), True
            return text + ".", True
        elif b.min() < a.min() or b.max() > a.max():
            text += f" Test ({te}) reaches outside train's range ({tr})."
        else:
            text += f" Train runs {tr}, test {te}."
    return text + f" Set cv.time: {col} in kstarter.yaml for a time-ordered split.", later


def _text_note(texts: list[str], train: pd.DataFrame, components: int) -> str:
    shown = ", ".join(
        f"{c} (mean {train[c].dropna().astype(str).str.len().mean():.0f} characters)" for c in texts
    )
    return (
        f"Text column(s): {shown}. Each becomes TF-IDF + SVD features ({components} components), "
        "its length and word count, not a categorical; edit competition.text_columns in "
        "kstarter.yaml."
    )
