"""Where a competition's files come from: a practice competition, a local zip or folder, Kaggle."""

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
from kstarter.sources._local import FolderSource, PracticeSource, Source, ZipSource, resolve_source
from kstarter.sources._practice import (
    PUBLIC_FRACTION,
    TEST_FRACTION,
    PracticeInfo,
    answer_key,
    answer_key_columns,
    build,
    get_practice,
    list_practice,
)

__all__ = [
    "MAX_TOTAL_BYTES",
    "MAX_RATIO",
    "MAX_MEMBERS",
    "RATIO_FLOOR",
    "is_archive",
    "safe_extract",
    "unwrap_nested",
    "PracticeInfo",
    "list_practice",
    "get_practice",
    "build",
    "answer_key",
    "answer_key_columns",
    "TEST_FRACTION",
    "PUBLIC_FRACTION",
    "Source",
    "PracticeSource",
    "ZipSource",
    "FolderSource",
    "resolve_source",
]
