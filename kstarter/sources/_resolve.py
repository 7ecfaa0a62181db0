"""From text to a source: the SOURCE argument of ``kstarter init``, or a project's ``source``.

This is the one place that reads what kind of source a text names (``practice/<name>``,
``kaggle/<slug>``, a Kaggle address or slug, a zip, a folder); the leaderboards ask
:func:`practice_name` and :func:`kaggle_slug` rather than testing prefixes themselves.
"""

from __future__ import annotations

import re
from pathlib import Path

from kstarter.errors import SourceError
from kstarter.sources._archive import is_archive
from kstarter.sources._base import Source
from kstarter.sources._catalog import get_practice
from kstarter.sources._kaggle import KaggleSource
from kstarter.sources._local import FolderSource, ZipSource
from kstarter.sources._practice import PracticeSource

__all__ = ["resolve_source", "practice_name", "kaggle_slug", "is_local"]

_PRACTICE = "practice/"
_KAGGLE = "kaggle/"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
_URL = re.compile(r"^https?://(www\.)?kaggle\.com/(c|competitions)/([a-z0-9-]+)", re.IGNORECASE)


def practice_name(source: str) -> str | None:
    """The practice competition ``source`` names (``practice/<name>``), else None."""
    return source[len(_PRACTICE) :] if source.startswith(_PRACTICE) else None


def kaggle_slug(source: str, name: str) -> str:
    """The Kaggle name of a project's competition: ``kaggle/<slug>`` sources, else its name."""
    return source[len(_KAGGLE) :] if source.startswith(_KAGGLE) else name


def is_local(source: str) -> bool:
    """Whether a project's ``source`` is a folder or a zip on this machine: neither
    ``practice/<name>`` nor ``kaggle/<slug>``, which every Kaggle project has recorded since
    kstarter first downloaded from Kaggle. Such a project has no leaderboard to submit to."""
    return practice_name(source) is None and not source.startswith(_KAGGLE)


def resolve_source(text: str) -> Source:
    """Turn the SOURCE argument of ``kstarter init`` (or a Meta's ``source``) into a source."""
    practice = practice_name(text)
    if practice is not None:
        return PracticeSource(get_practice(practice).name)
    path = Path(text).expanduser()
    if path.exists():
        return _local(text, path)
    url = _URL.match(text)
    if url:
        return KaggleSource(url.group(3).lower())
    slug = kaggle_slug(text, text)  # "kaggle/titanic" as a Meta writes it, or "titanic"
    if _SLUG.match(slug):
        return KaggleSource(slug)
    raise SourceError(
        f"No such file or folder: {text}. Give a competition's zip or folder, a Kaggle "
        "competition name (e.g. titanic), or practice/<name> (see `kstarter practice`)."
    )


def _local(text: str, path: Path) -> Source:
    name = _clean_name(
        path.name[: -len(".zip")] if path.name.lower().endswith(".zip") else path.name
    )
    if path.is_dir():
        return FolderSource(path.resolve(), name)
    if not is_archive(path):
        raise SourceError(
            f"{text} is neither a folder nor a zip archive: give the competition's .zip "
            "as downloaded from Kaggle, or the folder it unpacks to."
        )
    return ZipSource(path.resolve(), name)


def _clean_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")
    return cleaned or "competition"
