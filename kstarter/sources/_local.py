"""A competition already on this machine: the zip as downloaded from Kaggle, or its folder."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from kstarter.competition import Meta
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
    """A folder, copied (hidden files and symlinks skipped; zips inside it unpacked safely)."""

    path: Path
    name: str

    def fetch(self, data_dir: Path) -> Meta:
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
