"""Date and time columns: recognised at init, expanded into numeric parts before training.

pandas 3 parses a whole column with one format and raises on a second one (STACK-NOTES). A
column is parsed with ``format="ISO8601"`` when its values are ISO dates (``2017-08-16``,
``2017-08-16 13:00:00``, ``...T13:00:00Z``), else with the one format pandas guesses from its
values (``%m/%d/%Y %H:%M:%S``, ``%d/%m/%Y``, ...), and only when neither reads the values, one
value at a time (``format="mixed"``, slower). Time zones are converted to UTC and dropped, so
every parsed column is a naive ``datetime64``.

The parts a date becomes are what a gradient-boosted model can split on: year, month, day,
day of week, day of year, the hour when the values have a time of day, and a running day count
(days since 1970-01-01, with the time of day as a fraction) that orders rows in time.
"""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "looks_like_dates",
    "date_format",
    "parse_dates",
    "date_parts",
    "has_time_of_day",
    "PARTS",
]

SAMPLE = 2000  # values looked at to recognise a column and choose its format
MIN_SHARE = 0.98  # share of the sampled values that must read as dates
PARTS = ("year", "month", "day", "dayofweek", "dayofyear", "hour", "days")

# A date first (year-month[-day] or day/month/year in either order), then an optional time and
# zone. Months by name are left to the user (competition.date_columns accepts any column).
_DATE_LIKE = re.compile(
    r"\s*(\d{4}[-/.]\d{1,2}([-/.]\d{1,2})?|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})"
    r"([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([AaPp][Mm])?)?"
    r"\s*(Z|UTC|[+-]\d{2}:?\d{2})?\s*"
)


def _sample(s: pd.Series) -> pd.Series:
    values = s.dropna()
    if len(values) > SAMPLE:  # spread over the column, the same rows every time
        step = len(values) // SAMPLE
        values = values.iloc[::step][:SAMPLE]
    return values.astype(str)


def looks_like_dates(s: pd.Series) -> bool:
    """True for a string column whose values are dates (a datetime column is one already)."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return False
    values = _sample(s)
    if len(values) == 0:
        return False
    shaped = values.map(lambda v: _DATE_LIKE.fullmatch(v) is not None)
    if shaped.mean() < MIN_SHARE:
        return False
    return date_format(s) is not None


def date_format(s: pd.Series) -> str | None:
    """``"ISO8601"``, a strftime format, ``"mixed"``, or None when the values are not dates."""
    values = _sample(s)
    if len(values) == 0:
        return None
    if _reads(values, "ISO8601"):
        return "ISO8601"
    for fmt in _guesses(values):
        if _reads(values, fmt):
            return fmt
    return "mixed" if _reads(values, "mixed") else None


def _guesses(values: pd.Series) -> list[str]:
    from pandas.tseries.api import guess_datetime_format

    found: list[str] = []
    for v in values.iloc[:: max(1, len(values) // 20)]:
        for dayfirst in (False, True):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fmt = guess_datetime_format(v, dayfirst=dayfirst)
            if fmt and fmt not in found:
                found.append(fmt)
    return found


def _reads(values: pd.Series, fmt: str) -> bool:
    parsed = _to_datetime(values, fmt)
    return bool(parsed.notna().mean() >= MIN_SHARE)


def _to_datetime(values: pd.Series, fmt: str) -> pd.Series:
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "mixed" warns when it guesses day-first
        parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=True)
    return parsed.dt.tz_convert(None)


def parse_dates(s: pd.Series, fmt: str | None = None) -> pd.Series:
    """The column as naive datetimes (NaT where a value is missing or not a date).

    Raises ValueError when the column holds no dates at all."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(s):
        tz = getattr(s.dtype, "tz", None)
        return s.dt.tz_convert(None) if tz is not None else s
    fmt = fmt or date_format(s)
    if fmt is None:
        first = s.dropna().iloc[0] if s.notna().any() else None
        raise ValueError(f"column {s.name!r} holds no dates pandas can read (e.g. {first!r})")
    text = s.astype(str).where(s.notna())
    parsed = _to_datetime(text, fmt)
    lost = int(parsed.isna().sum() - s.isna().sum())
    if fmt != "mixed" and lost > (1 - MIN_SHARE) * max(1, int(s.notna().sum())):
        parsed = _to_datetime(text, "mixed")  # the sample missed a second format
    parsed.name = s.name
    return parsed


def date_parts(parsed: pd.Series, prefix: str, hour: bool) -> pd.DataFrame:
    """Numeric parts of parsed dates, NaN where the date is missing."""
    import pandas as pd

    dt = parsed.dt
    days = (parsed - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
    parts = {
        "year": dt.year,
        "month": dt.month,
        "day": dt.day,
        "dayofweek": dt.day_of_week,
        "dayofyear": dt.day_of_year,
        "hour": dt.hour if hour else None,
        "days": days,
    }
    return pd.DataFrame(
        {
            f"{prefix}_{name}": pd.Series(values).astype("float64").to_numpy()
            for name, values in parts.items()
            if values is not None
        },
        index=parsed.index,
    )


def has_time_of_day(parsed: pd.Series) -> bool:
    values = parsed.dropna()
    return bool(len(values)) and bool((values != values.dt.normalize()).any())
