"""Where a study lives: a journal file inside the project by default, or an RDB URL.

Why a journal file by default, not SQLite: several worker processes write to the study at once.
Optuna's ``JournalStorage(JournalFileBackend(path))`` appends one JSON line per operation under
a file lock, so concurrent writers never corrupt it, and it needs no schema: two processes
opening a brand-new journal at the same time is harmless. SQLite, by contrast, raced in 2 of 5
runs when two processes created a new database (``UNIQUE constraint failed: alembic_version``),
and the journal ran the same 4-process workload about 5x faster (STACK-NOTES 3). For workers on
several machines a journal file would need a shared file system; use PostgreSQL there, where
Optuna's ``RDBStorage`` gives transactions and heartbeats.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from kstarter import paths
from kstarter.errors import ConfigError

if TYPE_CHECKING:
    from optuna.storages import BaseStorage
    from optuna.storages.journal import JournalFileBackend

__all__ = ["StorageRef", "DEFAULT_JOURNAL", "resolve_storage", "open_storage", "HEARTBEAT"]

DEFAULT_JOURNAL = paths.JOURNAL
RDB_SCHEMES = ("sqlite", "postgresql")
HEARTBEAT = 30  # seconds between an RDB worker's heartbeats; stale after 3 missed beats
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://")
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")
_FORMS = (
    "a journal file path (the default is .kstarter/optuna.journal in the project), "
    "sqlite:///FILE.db or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
)


@dataclass(frozen=True)
class StorageRef:
    """A storage as the user named it: ``kind`` is ``journal`` (``url`` is then an absolute
    path) or ``rdb`` (a SQLAlchemy URL)."""

    kind: str
    url: str

    @property
    def shown(self) -> str:
        """The URL with any password masked: safe for messages and logs."""
        return _PASSWORD.sub(r"\1***@", self.url)

    def dashboard_command(self) -> str:
        return f"optuna-dashboard {self.shown}"


def resolve_storage(given: str | None, project_root: Path) -> StorageRef:
    """``given`` as typed (relative paths are from the current folder), or the default journal
    inside the project. Unknown URL schemes are refused with the accepted forms."""
    if not given:
        return StorageRef("journal", str(project_root / DEFAULT_JOURNAL))
    match = _SCHEME.match(given)
    if match is None:
        return StorageRef("journal", str(Path(given).resolve()))
    scheme = match["scheme"].lower()
    if scheme.split("+", 1)[0] not in RDB_SCHEMES:
        raise ConfigError(
            f"Unknown storage scheme {scheme}:// in --storage {StorageRef('rdb', given).shown}: "
            f"use {_FORMS}."
        )
    return StorageRef("rdb", given)


def open_storage(ref: StorageRef, heartbeat: bool = True) -> BaseStorage:
    """The Optuna storage, or a ConfigError saying why it cannot be opened."""
    if ref.kind == "journal":
        return _open_journal(Path(ref.url))
    for attempt in (1, 2):
        try:
            return _open_rdb(ref, heartbeat)
        except ImportError as exc:
            raise ConfigError(
                f"The storage {ref.shown} needs a database driver that is not installed "
                f"({_first_line(exc)}): pip install 'psycopg[binary]>=3.1' for postgresql://."
            ) from None
        except Exception as exc:  # sqlalchemy's errors; sqlalchemy is imported lazily
            if attempt == 1 and _is_creation_race(exc):
                continue  # another machine created the tables at the same moment: retry once
            raise _cannot_open(ref, exc) from None
    raise AssertionError("unreachable")


def _open_journal(path: Path) -> BaseStorage:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    if path.is_dir():
        raise ConfigError(f"The storage {path} is a folder: give a journal file path.")
    if path.parent.name == paths.STATE:
        path.parent.mkdir(parents=True, exist_ok=True)
    if not path.parent.is_dir():
        raise ConfigError(f"The folder of the storage {path} does not exist: create it first.")
    # The default lock (a symlink) is also what optuna-dashboard uses on this file.
    try:
        return JournalStorage(_journal_backend(JournalFileBackend)(str(path)))
    except ValueError:  # a line Optuna cannot read, before the end (json's error is a ValueError)
        raise _damaged(path) from None


def _journal_backend(base: type[JournalFileBackend]) -> type[JournalFileBackend]:
    class RepairingJournal(base):  # type: ignore[valid-type,misc]
        """Optuna's journal file, with appends that cannot glue onto a torn line.

        A full disk or a kill in the middle of an append leaves an unterminated last line.
        Optuna skips it on read, but its next append would be glued onto it, making a line no
        reader can parse, and every later read would fail. Under the journal's lock, an append
        first drops an unterminated last line (no reader ever counted it), and an append that
        fails is cut back off, so the file only ever grows by whole lines."""

        def append_logs(self, logs: list[dict[str, object]]) -> None:
            data = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs)
            self._lock.acquire()
            try:
                _append_whole_lines(Path(self._file_path), data.encode("utf-8"))
            finally:
                self._lock.release()

    return RepairingJournal


def _append_whole_lines(path: Path, data: bytes) -> None:
    # unbuffered: a buffered file would try its refused bytes again when closed, after the
    # cut, and tear the last line after all
    with open(path, "r+b", buffering=0) as fh:
        size = fh.seek(0, os.SEEK_END)
        keep = _whole_lines_size(fh, size)
        try:
            if keep < size:
                fh.truncate(keep)
            fh.seek(keep)
            view = memoryview(data)
            while view:
                view = view[fh.write(view) or 0 :]
            os.fsync(fh.fileno())
        except OSError as exc:  # a full disk: cut back to whole lines, and name the journal
            with suppress(OSError):
                fh.truncate(keep)
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        except BaseException:
            with suppress(OSError):
                fh.truncate(keep)
            raise


def _whole_lines_size(fh: BinaryIO, size: int) -> int:
    """The size of the file without an unterminated last line."""
    end = size
    while end > 0:
        start = max(0, end - 65536)
        fh.seek(start)
        chunk = fh.read(end - start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        end = start
    return 0


def _damaged(path: Path) -> ConfigError:
    """The first line of the journal Optuna cannot read, named with what to do."""
    number, total = _first_damaged_line(path)
    keep = number - 1
    return ConfigError(
        f"The study journal {path} is damaged at line {number} of {total} (not a complete "
        f"record): keep its first {keep} lines (`head -n {keep}` into a new file, then rename "
        "it over the journal) to recover every trial written before it, or move the file away "
        "to start a new study."
    )


def _first_damaged_line(path: Path) -> tuple[int, int]:
    with open(path, "rb") as fh:
        lines = fh.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the file ends with a newline
    for number, line in enumerate(lines, start=1):
        try:
            json.loads(line)
        except ValueError:
            return number, len(lines)
    return len(lines), len(lines)


def _open_rdb(ref: StorageRef, heartbeat: bool) -> BaseStorage:
    import optuna
    from optuna.storages import RDBStorage

    engine_kwargs = {}
    if ref.url.startswith("postgresql"):
        engine_kwargs = {"connect_args": {"connect_timeout": 10}, "pool_pre_ping": True}
    if not heartbeat:
        return RDBStorage(ref.url, engine_kwargs=engine_kwargs)
    with warnings.catch_warnings():
        # heartbeat_interval is flagged experimental since Optuna 2.9 but is Optuna's own way
        # to fail trials of workers that died on other machines; nothing else is filtered.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return RDBStorage(
            ref.url,
            engine_kwargs=engine_kwargs,
            heartbeat_interval=HEARTBEAT,
            grace_period=3 * HEARTBEAT,
        )


def _cannot_open(ref: StorageRef, exc: Exception) -> ConfigError:
    if ref.url.startswith("sqlite"):
        hint = "Check that its folder exists and is writable."
    else:
        hint = "Check that the server is running and reachable, and the user, password, port "
        hint += "and database."
    return ConfigError(f"Cannot open the storage {ref.shown}: {_first_line(exc)}. {hint}")


def _is_creation_race(exc: Exception) -> bool:
    text = str(exc)
    return "UniqueViolation" in text or "UNIQUE constraint failed" in text


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [ln.strip() for ln in str(orig).splitlines() if ln.strip()]
    return (lines[0] if lines else type(orig).__name__).rstrip(".")
