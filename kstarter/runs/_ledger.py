"""Run records: ``runs/<run-id>/`` folders are the truth; ``runs.csv`` is an index rebuilt from
them, so a run killed half-way (no folder yet) never has a row, and a row is never lost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kstarter import paths
from kstarter.atomic import atomic_write_text
from kstarter.errors import ConfigError, disk_error, warn
from kstarter.runs._record import (
    DamagedFile,
    RunMetrics,
    SubmissionEntry,
    read_metrics,
    read_submissions,
    write_submissions,
)

__all__ = [
    "RunRecord",
    "list_runs",
    "get_run",
    "rebuild_index",
    "record_submission",
    "INDEX_COLUMNS",
    "write_run",
    "ensure_recordable",
]


INDEX_COLUMNS = [
    "run",
    "created",
    "model",
    "metric",
    "cv_mean",
    "cv_std",
    "oof",
    "public",
    "private",
    "seconds",
    "folds_hash",
    "params_hash",
]


@dataclass(frozen=True)
class RunRecord:
    id: str
    path: Path
    metrics: RunMetrics
    submissions: list[SubmissionEntry] = field(default_factory=list)

    @property
    def latest_scored(self) -> SubmissionEntry | None:
        """The newest submission a leaderboard scored."""
        scored = [s for s in self.submissions if s.scored]
        return scored[-1] if scored else None

    @property
    def latest_local(self) -> SubmissionEntry | None:
        """The newest score against the user's own answer key (``submit --answers``)."""
        local = [s for s in self.submissions if s.is_local and s.local is not None]
        return local[-1] if local else None

    def row(self) -> dict[str, Any]:
        """The run's line in runs.csv and in `kstarter runs`, keyed by INDEX_COLUMNS."""
        m, s = self.metrics, self.latest_scored
        return {
            "run": self.id,
            "created": m.created,
            "model": m.model,
            "metric": m.metric,
            "cv_mean": m.cv_mean,
            "cv_std": m.cv_std,
            "oof": m.oof_score,
            "public": s.public if s else None,
            "private": s.private if s else None,
            "seconds": m.seconds,
            "folds_hash": m.folds_hash,
            "params_hash": m.params_hash,
        }


def list_runs(root: Path) -> list[RunRecord]:
    """Every complete run, oldest first. A run whose metrics.json cannot be read (cut short,
    edited) is left out with one warning naming the file and the fix, so one damaged run never
    blocks every command; a damaged submissions.json costs only the run's scores (a warning),
    and :func:`record_submission` refuses to write over it."""
    runs_dir = root / paths.RUNS
    if not runs_dir.is_dir():
        return []
    out = []
    for d in runs_dir.iterdir():
        metrics = d / paths.RunFiles.METRICS
        if d.name.startswith(".") or not metrics.is_file():
            continue
        try:
            record = read_metrics(metrics)
        except DamagedFile as exc:
            warn(exc.skipped())
            continue
        try:
            subs = read_submissions(d / paths.RunFiles.SUBMISSIONS)
        except DamagedFile as exc:
            warn(exc.skipped())
            subs = []
        out.append(RunRecord(d.name, d, record, subs))
    return sorted(out, key=lambda r: (r.metrics.created or "", r.id))


def get_run(root: Path, run_id: str | None) -> RunRecord:
    runs = list_runs(root)
    if run_id is not None:
        found = next((r for r in runs if r.id == run_id), None)
        if found is not None:
            return found
        metrics = root / paths.RUNS / run_id / paths.RunFiles.METRICS
        if metrics.is_file() and "/" not in run_id and not run_id.startswith("."):
            read_metrics(metrics)  # a damaged record: its own sentence, with the fix
    if not runs:
        raise ConfigError("No runs yet: run `kstarter train` first.")
    if run_id is None:
        return runs[-1]
    raise ConfigError(
        f"No run {run_id!r}; the runs are {', '.join(r.id for r in runs[-5:])}"
        f"{' ...' if len(runs) > 5 else ''} (see `kstarter runs`)."
    )


def _claim(
    runs: Path, run_id: str, staging: Path, renamed: Callable[[Path, str], object] | None
) -> Path:
    """Rename ``staging`` to ``runs/<run_id>``, or to the first free ``<base>-<n>``."""
    import errno
    import re

    found = re.fullmatch(r"(.*\D)-(\d+)", run_id)  # a suffix after a name
    base, n = (found[1], int(found[2]) + 1) if found else (run_id, 2)
    wanted = run_id
    while True:
        final = runs / wanted
        if not final.exists():
            try:
                staging.rename(final)  # atomic; fails if another run filled the name first
                return final
            except OSError as exc:
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
        wanted, n = f"{base}-{n}", n + 1
        if renamed is not None:
            renamed(staging, wanted)


def rebuild_index(root: Path) -> Path:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=INDEX_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in list_runs(root):
        writer.writerow(r.row())
    path = root / paths.RUNS_INDEX
    atomic_write_text(path, buf.getvalue())
    return path


def record_submission(root: Path, run: RunRecord, entry: SubmissionEntry) -> RunRecord:
    """Add ``entry`` to the run's submissions.json (the earlier entries written back in their
    layout, unknown keys kept) and to runs.csv; the updated record."""
    # read again, not run.submissions: a damaged file is refused here, never written over
    subs = [*read_submissions(run.path / paths.RunFiles.SUBMISSIONS), entry]
    write_submissions(run.path / paths.RunFiles.SUBMISSIONS, subs)
    rebuild_index(root)
    return RunRecord(run.id, run.path, run.metrics, subs)


def ensure_recordable(root: Path, run: RunRecord) -> None:
    """Refuse now, before anything is uploaded, what would stop :func:`record_submission`
    afterwards: a damaged submissions.json, or a run folder or project the disk will not let
    us write (read-only, full)."""
    from kstarter.atomic import probe_writable
    from kstarter.errors import DiskError

    read_submissions(run.path / paths.RunFiles.SUBMISSIONS)
    for folder in (run.path, root):
        try:
            probe_writable(folder)
        except OSError as exc:
            raise DiskError(
                f"{disk_error(exc, folder)} Nothing was uploaded: the submission could not be "
                "recorded afterwards."
            ) from None


def write_run(
    root: Path,
    run_id: str,
    write_files: Callable[[Path], None],
    renamed: Callable[[Path, str], object] | None = None,
) -> Path:
    """Fill a staging folder with ``write_files``, then rename it to ``runs/<run_id>``: a run
    killed half-way leaves no run folder and no runs.csv row (what kill -9 leaves in staging
    is swept by the next run).

    The rename is what claims the id: renaming onto a folder another process just filled fails,
    so two runs finishing in the same second never overwrite or lose each other; the later one
    takes the next free suffix (``<run_id>-2``, ...), after ``renamed(staging, new_id)``
    updates what in its files names the id."""
    import os
    import shutil

    from kstarter.atomic import staging_dir, sweep_stale_staging, sweep_stale_tmp

    parent = root / paths.STAGING
    sweep_stale_staging(parent)
    for folder in (root, root / paths.STATE):  # runs.csv's, folds.csv's, ...
        sweep_stale_tmp(folder)
    parent.mkdir(parents=True, exist_ok=True)
    (root / paths.RUNS).mkdir(exist_ok=True)
    staging = staging_dir(parent, f"{run_id}.{os.getpid()}.")
    try:
        write_files(staging)
        final = _claim(root / paths.RUNS, run_id, staging, renamed)
    except OSError as exc:  # a full or read-only disk: named by the run it was writing
        shutil.rmtree(staging, ignore_errors=True)
        raise disk_error(exc, f"{paths.RUNS}/{run_id}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    rebuild_index(root)
    return final
