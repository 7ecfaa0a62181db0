"""Parsed inputs cached inside the project, so a rerun skips CSV parsing and features.py.

The cache holds the model matrices (after ``features.py`` and the categorical casts) and the
few raw columns a run still needs (ids, targets, cv columns), as parquet under
``.kstarter/cache/<key>/``. The key covers the raw files (path, size, modification time),
``features.py``'s text, the spec fields that decide the matrices, and kstarter's version; any
change makes a new entry and the old one is removed. Written atomically: a killed run leaves
either a complete entry or none.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from kstarter import __version__, paths
from kstarter.atomic import process_alive, staging_dir
from kstarter.errors import disk_error
from kstarter.prepare._matrices import Matrices, matrix_inputs
from kstarter.prepare._tables import Tables, data_file, read_sample

if TYPE_CHECKING:
    import pandas as pd

    from kstarter.config import Project

__all__ = ["cache_key", "load_cached", "store", "clear"]

_FILES = ("X_train", "X_test", "train", "test")
_OPTIONAL = ("X_original", "original")  # present when the project has an original dataset
_RECIPE = "recipe.joblib"  # the fitted feature recipe (kstarter kernel build saves it)
_FORMAT = "ids-as-text"  # what the cached tables hold; a cache of another format is rebuilt


def cache_key(project: Project) -> str:
    spec, cv = project.spec, project.cv
    parts: list[object] = [__version__, _FORMAT, spec.targets, spec.drop, spec.id, spec.sample_id]
    parts += [spec.classes, cv.groups, cv.time, *matrix_inputs(project)]  # dates, text, extras
    for name in (spec.files.train, spec.files.test):
        st = data_file(project, name).stat()
        parts.append((name, st.st_size, st.st_mtime_ns))
    features = project.path(paths.FEATURES)
    parts.append(features.read_bytes() if features.exists() else b"")
    blob = json.dumps([p.hex() if isinstance(p, bytes) else p for p in parts], default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def load_cached(project: Project, key: str) -> tuple[Tables, Matrices] | None:
    import joblib

    folder = project.path(paths.CACHE) / key
    if not (folder / "names.json").exists():
        return None
    try:
        frames = {name: _read(folder / f"{name}.parquet") for name in _FILES}
        optional = {
            name: _read(folder / f"{name}.parquet")
            for name in _OPTIONAL
            if (folder / f"{name}.parquet").exists()
        }
        names = json.loads((folder / "names.json").read_text(encoding="utf-8"))
        if not isinstance(names, dict):
            raise ValueError("names.json holds no names")
        recipe = joblib.load(folder / _RECIPE) if (folder / _RECIPE).exists() else None
    except (OSError, ValueError, TypeError, KeyError, EOFError, pickle.UnpicklingError):
        # a damaged entry (cut short, edited; pyarrow's errors are OSError or ValueError, a
        # cut recipe's EOFError or UnpicklingError): it is only a cache, so it is dropped and
        # the caller parses the raw files again
        shutil.rmtree(folder, ignore_errors=True)
        return None
    tables = Tables(frames["train"], frames["test"], read_sample(project), optional.get("original"))
    matrices = Matrices(
        frames["X_train"],
        frames["X_test"],
        names,
        store=folder,
        recipe=recipe,
        X_original=optional.get("X_original"),
    )
    return tables, matrices


def _read(path: Path) -> pd.DataFrame:
    """Arrow buffers are released column by column as pandas takes them: half the peak."""
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pandas(split_blocks=True, self_destruct=True)


def store(project: Project, key: str, tables: Tables, matrices: Matrices) -> Path:
    import joblib

    root = project.path(paths.CACHE)
    root.mkdir(parents=True, exist_ok=True)
    staging = staging_dir(root, f".{os.getpid()}.{key}.")
    try:
        frames = {
            "X_train": matrices.X_train,
            "X_test": matrices.X_test,
            "train": tables.train,
            "test": tables.test,
        }
        if matrices.X_original is not None:
            frames["X_original"] = matrices.X_original
        if tables.original is not None:
            frames["original"] = tables.original
        for name, frame in frames.items():
            frame.to_parquet(staging / f"{name}.parquet", index=False)
        (staging / "names.json").write_text(json.dumps(matrices.names))
        if matrices.recipe is not None:
            joblib.dump(matrices.recipe, staging / _RECIPE)
        for old in root.iterdir():
            if old.name != staging.name and (not old.name.startswith(".") or _stale(old)):
                shutil.rmtree(old, ignore_errors=True)
        staging.rename(root / key)
    except OSError as exc:  # a full disk: named by the cache, which the next run builds again
        shutil.rmtree(staging, ignore_errors=True)
        raise disk_error(exc, paths.CACHE) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return root / key


def _stale(staging: Path) -> bool:
    """A ``.<pid>.<key>.*`` staging folder whose process died (kill -9) before renaming it."""
    pid = staging.name.split(".")[1]
    return pid.isdigit() and not process_alive(int(pid))


def clear(project: Project) -> None:
    shutil.rmtree(project.path(paths.CACHE), ignore_errors=True)
