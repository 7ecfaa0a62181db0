"""Where a competition's files come from: a practice competition, a local zip or folder, Kaggle.

A source has one job, :meth:`Source.fetch`: put the competition's raw files into an empty
folder and say what it knows beyond the files (:class:`~kstarter.inspect.Meta`). The same test
suite runs against every implementation.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kstarter.competition import Meta
from kstarter.errors import SourceError

__all__ = ["Source", "PracticeSource", "ZipSource", "FolderSource", "resolve_source"]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
_URL = re.compile(r"^https?://(www\.)?kaggle\.com/(c|competitions)/([a-z0-9-]+)", re.IGNORECASE)


class Source(Protocol):
    name: str

    def fetch(self, data_dir: Path) -> Meta:
        """Write the competition's raw files into ``data_dir`` (an existing empty folder).

        Raise :class:`~kstarter.errors.SourceError` (or KaggleError) with the fix on failure;
        the caller removes whatever was written.
        """
        ...


@dataclass(frozen=True)
class PracticeSource:
    name: str

    def fetch(self, data_dir: Path) -> Meta:
        from kstarter.sources import _practice as practice

        info = practice.build(self.name, data_dir)
        return Meta(
            name=info.name,
            source=f"practice/{info.name}",
            title=info.title,
            metric=info.metric,
        )


@dataclass(frozen=True)
class ZipSource:
    path: Path
    name: str

    def fetch(self, data_dir: Path) -> Meta:
        from kstarter.sources._archive import safe_extract, unwrap_nested

        safe_extract(self.path, data_dir)
        unwrap_nested(data_dir)
        return Meta(name=self.name, source=str(self.path))


@dataclass(frozen=True)
class FolderSource:
    path: Path
    name: str

    def fetch(self, data_dir: Path) -> Meta:
        from kstarter.sources._archive import is_archive, safe_extract, unwrap_nested

        for item in sorted(self.path.iterdir()):
            if item.name.startswith(".") or item.is_symlink():
                continue
            target = data_dir / item.name
            if item.is_dir():
                shutil.copytree(item, target, symlinks=False)
            elif item.suffix.lower() == ".zip" and is_archive(item):
                safe_extract(item, data_dir)
            else:
                shutil.copy2(item, target)
        unwrap_nested(data_dir)
        return Meta(name=self.name, source=str(self.path))


def resolve_source(text: str) -> Source:
    """Turn the SOURCE argument of ``kstarter init`` into a source."""
    if text.startswith("practice/"):
        from kstarter.sources._practice import get_practice

        return PracticeSource(get_practice(text.split("/", 1)[1]).name)
    path = Path(text).expanduser()
    if path.exists():
        name = _clean_name(
            path.name[: -len(".zip")] if path.name.lower().endswith(".zip") else path.name
        )
        if path.is_dir():
            return FolderSource(path.resolve(), name)
        from kstarter.sources._archive import is_archive

        if not is_archive(path):
            raise SourceError(
                f"{text} is neither a folder nor a zip archive: give the competition's .zip "
                "as downloaded from Kaggle, or the folder it unpacks to."
            )
        return ZipSource(path.resolve(), name)
    url = _URL.match(text)
    if url or (_SLUG.match(text) and "/" not in text and not text.endswith(".zip")):
        from kstarter.kaggle_client import KaggleSource

        return KaggleSource(url.group(3).lower() if url else text)
    raise SourceError(
        f"No such file or folder: {text}. Give a competition's zip or folder, a Kaggle "
        "competition name (e.g. titanic), or practice/<name> (see `kstarter practice`)."
    )


def _clean_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")
    return cleaned or "competition"
