"""Read competition tables with one clear sentence for every way a CSV can be bad.

Compressed CSVs (``train.csv.gz``, ``.csv.zip`` with one member, ``.bz2``, ``.xz``) are read
as they are: pandas decompresses while it parses, nothing is extracted to disk.

One reader at every size: pandas' C engine with ``low_memory=False`` (one dtype per column,
never a mixed-type warning). Measured on this 2-core machine for a 203 MB CSV (400k rows, 50
float + 5 string columns; each a fresh process under load, best of two): C engine 0.8 s /
678 MB peak, gzipped 1.7 s / 678 MB; ``engine="pyarrow"`` 2.9 s / 858 MB (gzipped 2.9 s); arrow's
own multi-threaded reader then ``to_pandas`` 1.2 s / 856 MB (gzipped 2.7 s), faster once but
slower the second time and 25% more memory. STACK-NOTES found the same at 500 MB. Every reader
gives the same LightGBM-ready dtypes (int64, float64, ``str`` made categorical later), so the
C engine stays; ``low_memory=True`` saved memory only on gzipped input and risks mixed dtypes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from kstarter.errors import SpecError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "TABLE_SUFFIXES",
    "is_table",
    "read_table",
    "read_header",
    "table_name",
    "labels_as_written",
]

TABLE_SUFFIXES = (".csv", ".csv.gz", ".csv.zip", ".csv.bz2", ".csv.xz")


def is_table(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(TABLE_SUFFIXES)


def table_name(rel: str) -> str:
    """``stores.csv`` -> ``stores``, ``extra/oil.csv.gz`` -> ``extra/oil``: a table's name."""
    lower = rel.lower()
    for suffix in sorted(TABLE_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return rel[: -len(suffix)]
    return rel


def read_header(path: Path) -> list[str] | None:
    """A table's column names, reading only its first line; None when it cannot be read."""
    import pandas as pd

    try:
        return [str(c) for c in pd.read_csv(path, nrows=0).columns]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
        return None
    except OSError:
        return None


def read_table(
    path: Path, *, shown: str | None = None, text: Iterable[str | None] = ()
) -> pd.DataFrame:
    """Read one CSV (plain or compressed) with pandas' defaults; refuse empty or broken files.

    The columns named in ``text`` (ids) are read as the file spells them: ``001001`` stays
    ``001001`` and an id wider than int64 stays itself, so a submission carries them back
    byte for byte. A name the file does not have is ignored."""
    import pandas as pd

    label = shown or path.name
    as_text = {c: str for c in text if c}
    if _looks_like_markup(path):
        raise SpecError(
            f"{label} cannot be read as CSV: it is a web page (the download probably failed "
            "or needed a login); download the file again."
        )
    try:
        df = pd.read_csv(path, low_memory=False, dtype=as_text or None)
    except pd.errors.EmptyDataError:
        raise SpecError(
            f"{label} is empty: replace it with the competition's original file."
        ) from None
    except UnicodeDecodeError as exc:
        if _binary(exc.object):
            raise SpecError(
                f"{label} cannot be read as CSV (it holds binary data, not text): check the file "
                "is the competition's original CSV, not a partial download."
            ) from None
        raise SpecError(
            f"{label} is not UTF-8 text (byte {exc.object[exc.start : exc.start + 1]!r} at "
            f"position {exc.start}; it may be latin-1 or cp1252): save it as UTF-8, e.g. "
            f"pandas.read_csv(path, encoding='latin-1').to_csv(path, index=False)."
        ) from None
    except OSError as exc:
        raise SpecError(f"{label} cannot be read ({exc.strerror or type(exc).__name__}).") from None
    except (pd.errors.ParserError, ValueError) as exc:
        _check_delimiter(label, read_header(path))
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecError(
            f"{label} cannot be read as CSV ({first}): check the file is the competition's "
            "original CSV, not an HTML page or a partial download."
        ) from None
    if df.shape[1] == 1:
        _check_delimiter(label, [str(df.columns[0])])
    if len(df) == 0:
        raise SpecError(f"{label} has a header but no rows: replace it with the complete file.")
    if any(str(c).startswith("Unnamed: ") for c in df.columns) and df.shape[1] == 1:
        raise SpecError(f"{label} has no usable header row.")
    _check_duplicates(path, label, df)
    return df


# separators a CSV is sometimes written with instead of commas (Excel in many locales: ";")
_SEPARATORS = {";": "';' (semicolons)", "\t": "tabs", "|": "'|'"}


def _check_delimiter(label: str, header: list[str] | None) -> None:
    """A header read as one column that holds another separator: name it and the fix."""
    if not header or len(header) != 1:
        return
    counts = {sep: header[0].count(sep) for sep in _SEPARATORS}
    sep, n = max(counts.items(), key=lambda kv: kv[1])
    if n == 0:
        return
    code = "\\t" if sep == "\t" else sep
    raise SpecError(
        f"{label} is separated by {_SEPARATORS[sep]}, not commas (its header reads "
        f"{header[0][:60]!r}): save it as a comma-separated CSV, e.g. "
        f"pandas.read_csv(path, sep='{code}').to_csv(path, index=False)."
    )


def _binary(head: bytes) -> bool:
    """Bytes no text file holds: NUL, or other control characters besides tab and line ends."""
    sample = bytes(head[:4096])
    return any(b < 32 and b not in (9, 10, 13) for b in sample)


def _check_duplicates(path: Path, label: str, df: pd.DataFrame) -> None:
    """A name the header really repeats (pandas renames the second ``a`` to ``a.1``); two
    distinct columns ``num1`` and ``num1.1`` are not a duplicate."""
    import pandas as pd

    names = [str(c) for c in df.columns]
    if not any("." in c and c.rsplit(".", 1)[0] in names for c in names):
        return
    try:  # the header row as the file writes it, read as data so nothing is renamed
        raw = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError):
        return
    written = [str(c) for c in raw.iloc[0].tolist()]
    twice = [c for i, c in enumerate(written) if c in written[:i]]
    if twice:
        raise SpecError(
            f"{label} has the column name {twice[0]!r} twice: rename one in the header."
        )


def labels_as_written(path: Path, column: pd.Series) -> pd.Series:
    """A text column (a target's labels) with the cells pandas reads as missing (``NA``,
    ``None``, ``null``, ...) read again as the file writes them: a class named ``NA`` (North
    America) stays a class. Only an empty cell is missing. Numeric columns are returned as
    they are (there ``NA`` is a gap)."""
    import pandas as pd

    if not column.isna().any() or pd.api.types.is_numeric_dtype(column.dropna()):
        return column
    try:
        raw = pd.read_csv(
            path, usecols=[column.name], dtype=str, keep_default_na=False, na_values=[""]
        )[column.name]
    except (ValueError, KeyError, OSError, pd.errors.ParserError):
        return column
    if len(raw) != len(column):
        return column
    raw.index = column.index
    return column.where(column.notna(), raw)


def _looks_like_markup(path: Path) -> bool:
    if not path.name.lower().endswith(".csv"):
        return False
    with open(path, "rb") as fh:
        head = fh.read(512).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body"))
