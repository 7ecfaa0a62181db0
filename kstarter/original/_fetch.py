"""``kstarter init ... --original PATH``: the original's table copied into the new project.

PATH is a CSV (plain or compressed), or anything ``kstarter init`` itself takes (a zip, a
folder, practice/<name>), fetched by the same source machinery; from those the table is the
one CSV there is, else the one named like train.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from kstarter import paths
from kstarter.competition import is_table, read_table
from kstarter.errors import SourceError
from kstarter.original._config import Original
from kstarter.original._table import align_original, file_sha256
from kstarter.sources import is_archive, resolve_source

if TYPE_CHECKING:
    from kstarter.spec import Spec

__all__ = ["copy_original", "ORIGINAL_DIR"]

ORIGINAL_DIR = "original"  # under data/


def copy_original(text: str, data_dir: Path, spec: Spec) -> tuple[Original, list[str]]:
    """Copy the original's table to ``data_dir/original/``, check its columns against train
    (one sentence each for what does not match) and return its config and the extra columns
    it has (left out of training)."""
    dest_dir = data_dir / ORIGINAL_DIR
    dest_dir.mkdir(exist_ok=True)
    path = Path(text).expanduser()
    if path.is_file() and is_table(path) and not is_archive(path):
        dest = dest_dir / path.name
        shutil.copyfile(path, dest)
    else:
        dest = _fetched_table(text, dest_dir)
    rel = dest.relative_to(data_dir).as_posix()
    shown = f"{paths.DATA}/{rel}"
    train = read_table(data_dir / spec.files.train, shown=f"{paths.DATA}/{spec.files.train}")
    frame = read_table(dest, shown=shown, text=(spec.id,))
    _, extra = align_original(frame, train, spec, shown)
    return Original(rel, file_sha256(dest), text), extra


def _fetched_table(text: str, dest_dir: Path) -> Path:
    source = resolve_source(text)
    with tempfile.TemporaryDirectory(dir=dest_dir.parent.parent) as tmp:
        where = Path(tmp)
        source.fetch(where)
        tables = sorted(
            (p for p in where.rglob("*") if is_table(p) and "__MACOSX" not in p.parts),
            key=lambda p: (len(p.relative_to(where).parts), str(p)),
        )
        trains = [p for p in tables if re.search("train", p.name, re.IGNORECASE)]
        if len(tables) == 1:
            chosen = tables[0]
        elif trains:
            chosen = trains[0]
        else:
            names = ", ".join(p.relative_to(where).as_posix() for p in tables) or "no CSV files"
            raise SourceError(
                f"--original {text}: found {names}, and none is its table of rows (one CSV, or "
                "one named like train): give the CSV itself."
            )
        dest = dest_dir / chosen.name
        shutil.copyfile(chosen, dest)
    return dest
