"""Where a competition's files come from: a practice competition, a local zip or folder, Kaggle.

Every source is a :class:`Source` (contract in ``_base``); :func:`resolve_source` picks one from
text. ``_archive`` unpacks zips safely, ``_catalog`` lists the practice competitions and
``_practice`` builds one, with its held-back answer key.
"""

from __future__ import annotations

from kstarter.sources._archive import (
    MAX_MEMBERS,
    MAX_RATIO,
    MAX_TOTAL_BYTES,
    RATIO_FLOOR,
    is_archive,
    safe_extract,
    unwrap_nested,
)
from kstarter.sources._base import Source
from kstarter.sources._catalog import PracticeInfo, get_practice, list_practice, missing_install
from kstarter.sources._kaggle import KaggleSource
from kstarter.sources._local import FolderSource, ZipSource
from kstarter.sources._practice import (
    PUBLIC_FRACTION,
    TEST_FRACTION,
    PracticeSource,
    answer_key,
    answer_key_columns,
    build,
)
from kstarter.sources._resolve import is_local, kaggle_slug, practice_name, resolve_source

__all__ = [
    "MAX_TOTAL_BYTES",
    "MAX_RATIO",
    "MAX_MEMBERS",
    "RATIO_FLOOR",
    "is_archive",
    "safe_extract",
    "unwrap_nested",
    "Source",
    "PracticeInfo",
    "list_practice",
    "get_practice",
    "missing_install",
    "PracticeSource",
    "build",
    "answer_key",
    "answer_key_columns",
    "TEST_FRACTION",
    "PUBLIC_FRACTION",
    "ZipSource",
    "FolderSource",
    "KaggleSource",
    "resolve_source",
    "practice_name",
    "kaggle_slug",
    "is_local",
]
