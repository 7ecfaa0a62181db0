"""The one error path: the library raises these, the CLI prints ``Error: <message>`` and exits."""

from __future__ import annotations

import errno
import sys

__all__ = [
    "KstarterError",
    "SourceError",
    "SpecError",
    "ConfigError",
    "MetricError",
    "SubmissionError",
    "TrainError",
    "KaggleError",
    "ClusterError",
    "DiskError",
    "disk_error",
    "warn",
]


class KstarterError(Exception):
    """A foreseeable problem: the message says what went wrong, what was found and what to do."""

    exit_code = 1


class SourceError(KstarterError):
    """The competition's files could not be obtained (missing path, bad archive, unsafe entry)."""


class SpecError(KstarterError):
    """The competition's files could not be understood (no train/test/sample, unknown column)."""


class ConfigError(KstarterError):
    """kstarter.yaml or a configs/ file is invalid, or the command ran outside a project."""


class MetricError(KstarterError):
    """An unknown metric name, or a metric that does not fit the task."""


class SubmissionError(KstarterError):
    """A submission that does not match the sample, or one that cannot be scored or uploaded."""


class TrainError(KstarterError):
    """Training cannot go on: bad features, a one-class target, mismatched columns."""


class KaggleError(KstarterError):
    """The Kaggle API refused or failed: credentials, rules, unknown competition, rate limit."""


class ClusterError(KstarterError):
    """A Dask cluster (``--cluster``) cannot be used: unreachable, no workers, other library
    versions on a worker, a worker that cannot see the project's files."""


class DiskError(KstarterError):
    """The disk refused a read or a write: full, read-only, or a path that cannot be made."""


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)
_NO_PATH = (errno.ENOENT, errno.ENOTDIR, errno.EEXIST, errno.EISDIR, errno.ENAMETOOLONG)


def disk_error(exc: OSError, path: object = None) -> DiskError:
    """``exc`` as one sentence naming the file and what to do. ``path``, when given, is what
    the caller was writing (a failed ``write`` names no file, a staged one a temporary name)."""
    shown = path if path is not None else exc.filename
    named = f" {shown}" if shown is not None else ""
    reason = exc.strerror or exc.__class__.__name__
    if exc.errno in _NO_SPACE:
        return DiskError(
            f"No space left on the disk{' for' + named if named else ''}: free some space (old "
            "runs/ folders, .kstarter/cache) and run the command again; nothing was half-written."
        )
    if exc.errno in _READ_ONLY:
        return DiskError(
            f"Cannot write{named or ' here'} ({reason}): the folder is read-only or not yours; "
            "make it writable (or copy the project somewhere writable) and run the command again."
        )
    if exc.errno in _NO_PATH:
        return DiskError(
            f"Cannot use the path{named} ({reason}): check that it exists and that every folder "
            "on the way is a folder, then run the command again."
        )
    return DiskError(f"The disk refused{named} ({reason}): fix that and run the command again.")


_warned: set[str] = set()


def warn(message: str) -> None:
    """One ``Warning: ...`` line on stderr for a problem the command works around (a damaged
    run skipped), said once a process however often the same thing is met."""
    if message in _warned:
        return
    _warned.add(message)
    print(f"Warning: {message}", file=sys.stderr, flush=True)
