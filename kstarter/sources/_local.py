"""A competition already on this machine: the zip as downloaded from Kaggle, or its folder."""

from __future__ import annotations

import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from kstarter.competition import Meta
from kstarter.errors import SourceError
from kstarter.sources._archive import is_archive, safe_extract, unwrap_nested
from kstarter.sources._base import Source

__all__ = ["ZipSource", "FolderSource"]


@dataclass(frozen=True)
class ZipSource(Source):
    """A zip archive, unpacked safely (see ``_archive``), zips inside it too."""

    path: Path
    name: str

    def fetch(self, data_dir: Path) -> Meta:
        safe_extract(self.path, data_dir)
        unwrap_nested(data_dir)
        return Meta(name=self.name, source=str(self.path))


@dataclass(frozen=True)
class FolderSource(Source):
    """A folder, copied (hidden files at its top skipped; zips inside it unpacked safely).

    A folder is untrusted input like an archive: every entry is checked before a byte is
    copied. A symbolic link at any depth is refused, as in an archive (a link to ~/.kaggle
    would copy the API key into data/), and so is anything that is neither a file nor a folder
    (a FIFO would block the copy forever)."""

    path: Path
    name: str

    def fetch(self, data_dir: Path) -> Meta:
        root = self.path.resolve()
        if data_dir.resolve().is_relative_to(root):
            raise SourceError(
                f"Cannot copy {self.path} into a project folder inside it: choose a "
                "project folder (--dir) outside the source folder."
            )
        files = [f for item in _top_items(root) for f in _checked(root, item)]
        for rel in files:
            source, target = root / rel, data_dir / rel
            if len(rel.parts) == 1 and rel.suffix.lower() == ".zip" and is_archive(source):
                safe_extract(source, data_dir)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                target.mkdir(exist_ok=True)
            else:
                shutil.copy2(source, target, follow_symlinks=False)
        unwrap_nested(data_dir)
        return Meta(name=self.name, source=str(self.path))


def _top_items(root: Path) -> list[Path]:
    try:
        return sorted(p for p in root.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        raise SourceError(f"Cannot read the folder {root} ({exc.strerror}): check it.") from None


def _checked(root: Path, path: Path) -> list[Path]:
    """``path`` and everything below it, relative to ``root``; a link or a special file is
    refused with the path that is one."""
    rel = path.relative_to(root)
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        raise SourceError(f"Cannot read {path} ({exc.strerror}): check the folder.") from None
    if stat.S_ISLNK(mode):
        raise SourceError(
            f"Refusing to copy {root}: {rel} is a symbolic link, and kstarter never follows "
            "links (one could point at private files such as ~/.kaggle): replace it with "
            "the file it points to, or remove it."
        )
    if stat.S_ISDIR(mode):
        try:
            below = sorted(path.iterdir())
        except OSError as exc:
            raise SourceError(f"Cannot read the folder {path} ({exc.strerror}).") from None
        return [rel, *(f for p in below for f in _checked(root, p))]
    if not stat.S_ISREG(mode):
        raise SourceError(
            f"Refusing to copy {root}: {rel} is not a regular file or folder (a FIFO, socket "
            "or device): remove it from the competition folder."
        )
    return [rel]
