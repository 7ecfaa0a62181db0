"""What runs on a Dask worker: one fold's fit (:func:`kstarter.crossval.fit_fold`, the function
the local loop runs) on the project's prepared inputs, read from the project's own cache files.

A task carries no data: the project's path, the cache entry its matrices are in, the folds'
hash, and the model (family, parameters, seed). Each worker process reads the cache entry once
and keeps it for the next tasks of the same entry (one entry at a time: a worker holds one
project's matrices). A worker runs one fit at a time, with all the threads it was started
with (``dask worker --nthreads N``); its other task slots wait.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter.errors import ClusterError

if TYPE_CHECKING:
    from kstarter.crossval import Prepared
    from kstarter.models import FoldOutput

__all__ = ["FitJob", "fit_task", "versions", "can_read", "SHARED_PATH"]

# the libraries whose versions decide the predictions: the same on the client and every worker
PACKAGES = ("kstarter", "lightgbm", "xgboost", "catboost", "scikit-learn", "numpy", "pandas")

SHARED_PATH = (
    "run kstarter from a folder every worker sees at the same path (a shared filesystem such "
    "as NFS), or mount the project at the same path on every machine"
)

_PREPARED: dict[tuple[str, str, str], Prepared] = {}  # per process: the one entry it holds
_ONE_FIT = threading.Lock()  # a worker process trains one fit at a time, with all its threads


@dataclass(frozen=True)
class FitJob:
    """One run's fits as tasks: everything but the fold, which each task adds."""

    root: str  # the project folder, the same path on every machine
    key: str  # the cache entry (.kstarter/cache/<key>) its matrices are in
    folds_hash: str
    model: str
    overrides: dict[str, Any]
    seed: int
    seeds: int = 1
    fit_seconds: float | None = None
    # a time.time() value (machines' clocks agree, their monotonic clocks do not): each
    # worker turns it into its own time.monotonic() deadline
    deadline: float | None = None
    keep_models: bool = False
    versions: dict[str, str | None] = field(default_factory=dict)  # the client's


def versions() -> dict[str, str | None]:
    """The installed versions of the libraries that decide the predictions (None: absent)."""
    return dict(_installed())


@functools.cache
def _installed() -> tuple[tuple[str, str | None], ...]:
    """Read once a process: every task checks them, and each lookup scans the installed
    packages' metadata."""
    found: list[tuple[str, str | None]] = []
    for name in PACKAGES:
        try:
            found.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            found.append((name, None))
    return tuple(found)


def can_read(root: str, key: str) -> bool:
    """Whether this machine sees the project's cache entry ``key`` and its folds."""
    from kstarter import paths

    folder = Path(root)
    return (folder / paths.CACHE / key / "names.json").is_file() and (
        folder / paths.FOLDS
    ).is_file()


def fit_task(job: FitJob, fold: int, rounds: int | None = None) -> tuple[FoldOutput, float, int]:
    """Fold ``fold``'s fit (with ``rounds``: the refit on every train row, its rounds fixed, the
    last fold's rows monitored); its output, seconds and threads."""
    import numpy as np

    from kstarter.crossval import build_models, fit_fold, training_inputs

    with _ONE_FIT:
        start = time.perf_counter()
        threads = _worker_threads()
        prep = _prepared(job, threads)
        deadline = None
        if job.deadline is not None:
            deadline = time.monotonic() + (job.deadline - time.time())
        models = build_models(
            prep, job.overrides, job.seed, job.model, job.seeds, deadline, job.fit_seconds
        )
        matrices, y, folds, weight = training_inputs(prep)  # the original's rows, if any
        splits = list(folds.splits())
        _, tr, va = splits[fold]
        if rounds is not None:
            tr = np.arange(len(y))
            models = [m.with_rounds(rounds) for m in models]
        out = fit_fold(matrices, y, folds, models, tr, va, prep.encoder, True, weight)
        if not job.keep_models:
            out.fitted = ()
        return out, time.perf_counter() - start, models[0].threads


def _worker_threads() -> int:
    """The threads this worker was started with (``dask worker --nthreads``)."""
    from distributed import get_worker

    return max(1, int(get_worker().state.nthreads))


def _prepared(job: FitJob, threads: int) -> Prepared:
    """The project's inputs from its cache entry, read once per worker process, its model
    threads set to this worker's."""
    from kstarter.config import load_project
    from kstarter.crossval import prepare_cached

    mine = versions()
    for name, theirs in job.versions.items():
        if mine.get(name) != theirs:
            raise ClusterError(
                f"A Dask worker has {name} {mine.get(name)}, the machine running kstarter "
                f"{theirs}: install the same versions on every machine."
            )
    wanted = (job.root, job.key, job.folds_hash)
    if wanted not in _PREPARED:
        _PREPARED.clear()
        if not can_read(job.root, job.key):
            raise ClusterError(
                f"A Dask worker cannot read the project's prepared data under {job.root}: "
                f"{SHARED_PATH}."
            )
        prep = prepare_cached(load_project(job.root), job.key)
        if prep is None or prep.folds.hash != job.folds_hash:
            raise ClusterError(
                f"A Dask worker read other data or folds under {job.root} than kstarter did: "
                f"{SHARED_PATH}."
            )
        _PREPARED[wanted] = prep
    prep = _PREPARED[wanted]
    config = replace(prep.project.model, threads=threads)
    return replace(prep, project=replace(prep.project, model=config))
