"""Safe extraction of competition archives (Kaggle's ``.zip`` downloads).

An archive is untrusted input. :func:`safe_extract` reads the whole central directory and
checks every entry before it writes a byte: names that would land outside the destination,
links and device files, duplicates, and zip bombs (too many entries, too many bytes, too high
a compression ratio). It then extracts into a temporary folder next to the destination, counts
the bytes it actually writes, and moves the result into place only when everything succeeded,
so a refused or interrupted extraction leaves the destination exactly as it was.

Only zip archives are unpacked: Kaggle serves every competition and dataset as a zip.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import IO, NoReturn

from kstarter.errors import SourceError

try:
    from lzma import LZMAError
except ImportError:  # Python built without liblzma: zipfile cannot read LZMA members either
    LZMAError = zlib.error  # type: ignore[misc,assignment]

__all__ = [
    "MAX_TOTAL_BYTES",
    "MAX_RATIO",
    "MAX_MEMBERS",
    "RATIO_FLOOR",
    "is_archive",
    "safe_extract",
    "unwrap_nested",
]

MAX_TOTAL_BYTES = 20 * 2**30  # the largest Kaggle competitions unpack to a few GiB
MAX_RATIO = 200.0  # real CSVs compress 5-30 times; deflate tops out near 1000
MAX_MEMBERS = 10_000
RATIO_FLOOR = 2**20  # entries this small are never refused for their ratio

# Data formats that are zip files inside but must stay as they are.
_ZIP_BASED_FORMATS = frozenset(
    {".npz", ".xlsx", ".xlsm", ".docx", ".pptx", ".ods", ".odt", ".jar", ".whl", ".epub"}
)
_JUNK_DIRS = frozenset({"__MACOSX"})
_JUNK_FILES = frozenset({".DS_Store"})
_READABLE_METHODS = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, LZMAError)
_CHUNK = 2**20

_INIT = "then run `kstarter init <folder>`"
_MALICIOUS = f"The archive may be malicious; extract it by hand and check it, {_INIT}."
_BOMB = f"If you trust the archive, extract it by hand, {_INIT}."
_DAMAGED = f"Download it again; if that keeps failing, extract it by hand, {_INIT}."


@dataclass(frozen=True)
class _Limits:
    max_total_bytes: int
    max_ratio: float
    max_members: int


@dataclass(frozen=True)
class _Entry:
    """One archive member that passed the checks: its zip header and its safe relative path."""

    info: zipfile.ZipInfo
    parts: tuple[str, ...]
    is_dir: bool


class _Overflow(Exception):
    """A member produced more bytes than its header declared."""


def is_archive(path: Path) -> bool:
    """Whether ``path`` is a zip to unpack, judged by its content rather than its name.

    Data formats that happen to be zips inside (``.npz``, ``.xlsx``, ...) are not archives.
    """
    path = Path(path)
    if not path.is_file() or path.suffix.lower() in _ZIP_BASED_FORMATS:
        return False
    return zipfile.is_zipfile(path)


def safe_extract(
    archive: Path,
    dest: Path,
    *,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_ratio: float = MAX_RATIO,
    max_members: int = MAX_MEMBERS,
) -> list[Path]:
    """Extract the zip ``archive`` into the folder ``dest``; return the files written, in order.

    Every entry is checked before anything is written; a refusal raises
    :class:`~kstarter.errors.SourceError` and leaves ``dest`` and its parent as they were.
    ``dest`` may be missing (the extracted folder is renamed into place in one step) or an
    existing folder (the extracted files are moved in next to what is there, and taken back
    if a move fails; an existing file is never overwritten).
    ``__MACOSX/`` and ``.DS_Store`` entries are skipped.
    """
    archive, dest = Path(archive), Path(dest)
    limits = _Limits(max_total_bytes, max_ratio, max_members)
    with _open_zip(archive) as zf:
        entries = _plan(archive, zf, limits)
        merge = _check_dest(archive, dest, entries)
        return _extract(archive, zf, entries, dest, merge)


def unwrap_nested(
    dest: Path,
    *,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_ratio: float = MAX_RATIO,
    max_members: int = MAX_MEMBERS,
) -> list[Path]:
    """Unpack the ``*.zip`` files under ``dest`` in place (``train.csv.zip`` -> ``train.csv``).

    Each inner zip goes through :func:`safe_extract` into its own folder and is deleted once
    its extraction succeeded. ``max_total_bytes`` is one budget shared by all inner zips, and
    zips that come out of inner zips are left alone, so nesting cannot multiply the limits.
    Returns the files written.
    """
    dest = Path(dest)
    if not dest.is_dir():
        raise SourceError(f"Cannot unpack the zips inside {dest}: it is not a folder.")
    budget = max_total_bytes
    written: list[Path] = []
    for inner in _inner_zips(dest):
        files = safe_extract(
            inner,
            inner.parent,
            max_total_bytes=budget,
            max_ratio=max_ratio,
            max_members=max_members,
        )
        inner.unlink()
        budget -= sum(f.stat().st_size for f in files)
        written += files
    return written


def _inner_zips(dest: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(dest):  # does not follow links to folders
        dirs[:] = sorted(d for d in dirs if d not in _JUNK_DIRS)
        for name in sorted(files):
            path = Path(root, name)
            wanted = name.lower().endswith(".zip") and not name.startswith("._")
            if wanted and path.is_file() and not path.is_symlink():
                found.append(path)
    return found


# --- checks: nothing below writes until _extract -------------------------------------------


def _open_zip(archive: Path) -> zipfile.ZipFile:
    if not archive.is_file():
        raise SourceError(f"Cannot extract {archive}: there is no such file. Check the path.")
    if not zipfile.is_zipfile(archive):
        raise SourceError(
            f"Cannot extract {archive.name}: it is not a zip archive. Pass the competition's "
            f".zip file, or extract it by hand, {_INIT}."
        )
    try:
        return zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as err:
        raise SourceError(
            f"Cannot extract {archive.name}: the zip is damaged ({err}). {_DAMAGED}"
        ) from err


def _plan(archive: Path, zf: zipfile.ZipFile, limits: _Limits) -> list[_Entry]:
    """Check the whole archive; return the entries to extract (junk left out)."""
    infos = zf.infolist()
    _check_count(archive, infos, limits)
    entries = [_entry(archive, info) for info in infos]
    _check_sizes(archive, infos, limits)
    _check_duplicates(archive, entries)
    return [e for e in entries if not _is_junk(e.parts)]


def _entry(archive: Path, info: zipfile.ZipInfo) -> _Entry:
    parts = _safe_parts(archive, info.filename)
    fmt = stat.S_IFMT(info.external_attr >> 16)
    if fmt == stat.S_IFLNK:
        _refuse(
            archive,
            info.filename,
            "is a symbolic link, and kstarter never follows links (one could point at private "
            "files such as ~/.kaggle). The archive may be malicious: check it, and if you "
            "trust it, extract it by hand and replace each link with the file it points to, "
            f"{_INIT}.",
        )
    if fmt not in (0, stat.S_IFREG, stat.S_IFDIR):
        _refuse(archive, info.filename, f"is a device or special file. {_MALICIOUS}")
    if info.flag_bits & 0x1:
        _refuse(archive, info.filename, f"is password-protected; extract it by hand, {_INIT}.")
    if info.compress_type not in _READABLE_METHODS:
        _refuse(
            archive,
            info.filename,
            f"uses compression method {info.compress_type}, which Python cannot read "
            f"(Windows uses Deflate64 for big files); extract it with 7-Zip or unzip, {_INIT}.",
        )
    is_dir = info.filename.endswith(("/", "\\")) or fmt == stat.S_IFDIR
    if not parts and not is_dir:
        _refuse(archive, info.filename, f"has no file name. {_MALICIOUS}")
    return _Entry(info, parts, is_dir)


def _safe_parts(archive: Path, name: str) -> tuple[str, ...]:
    """The entry's path split on either separator, refusing absolute paths and ``..``."""
    if name.startswith(("/", "\\")) or PureWindowsPath(name).drive:
        _refuse(archive, name, f"has an absolute path. {_MALICIOUS}")
    parts = tuple(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))
    if ".." in parts:
        _refuse(archive, name, f"would land outside the competition folder. {_MALICIOUS}")
    return parts


def _check_count(archive: Path, infos: list[zipfile.ZipInfo], limits: _Limits) -> None:
    if len(infos) > limits.max_members:
        _refuse(
            archive,
            infos[limits.max_members].filename,
            f"is number {limits.max_members + 1:,} of {len(infos):,}, above the limit of "
            f"{limits.max_members:,} entries, which looks like a zip bomb. {_BOMB}",
        )


def _check_sizes(archive: Path, infos: list[zipfile.ZipInfo], limits: _Limits) -> None:
    """Refuse an entry or an archive that expands too much, by the sizes the headers declare."""
    total = 0
    for info in infos:
        size, packed = info.file_size, info.compress_size
        if size > RATIO_FLOOR and size > limits.max_ratio * packed:
            _refuse(
                archive,
                info.filename,
                f"expands {size / max(packed, 1):,.0f} times ({packed:,} bytes to {size:,}), "
                f"above the limit of {limits.max_ratio:g}, which looks like a zip bomb. {_BOMB}",
            )
        total += size
        if total > limits.max_total_bytes:
            _refuse(
                archive,
                info.filename,
                f"takes the archive past the limit of {limits.max_total_bytes:,} bytes "
                f"unpacked, which looks like a zip bomb. {_BOMB}",
            )
    packed_total = archive.stat().st_size
    if infos and total > RATIO_FLOOR and total > limits.max_ratio * packed_total:
        biggest = max(infos, key=lambda i: i.file_size)
        _refuse(
            archive,
            biggest.filename,
            f"is the largest of {len(infos):,} entries that together expand "
            f"{total / max(packed_total, 1):,.0f} times ({packed_total:,} bytes to {total:,}), "
            f"above the limit of {limits.max_ratio:g}, which looks like a zip bomb. {_BOMB}",
        )


def _check_duplicates(archive: Path, entries: list[_Entry]) -> None:
    """Refuse two entries for one path, and a file that another entry needs as a folder."""
    seen: set[tuple[str, ...]] = set()
    for e in entries:
        if e.parts in seen:
            _refuse(
                archive,
                e.info.filename,
                f"appears twice, so one copy would replace the other. {_MALICIOUS}",
            )
        seen.add(e.parts)
    files = {e.parts for e in entries if not e.is_dir}
    for e in entries:
        for i in range(1, len(e.parts)):
            if e.parts[:i] in files:
                _refuse(
                    archive,
                    e.info.filename,
                    f"needs '{'/'.join(e.parts[:i])}' to be a folder, but the archive also has "
                    f"it as a file. {_MALICIOUS}",
                )


def _check_dest(archive: Path, dest: Path, entries: list[_Entry]) -> bool:
    """Refuse entries that would land outside ``dest`` or clobber what is there.

    Returns whether ``dest`` already exists, so entries are moved in one by one next to what
    is there (an empty folder is not replaced: it may be a mount point or the working folder).
    """
    if dest.exists() and not dest.is_dir():
        raise SourceError(
            f"Cannot extract {archive.name} into {dest}: it is a file, not a folder. "
            "Pass a folder path instead."
        )
    merge = dest.is_dir()
    root = dest.resolve()
    for e in entries:
        target = dest.joinpath(*e.parts)
        if not target.resolve().is_relative_to(root):  # through a link already in dest
            _refuse(archive, e.info.filename, f"would land outside {dest}. {_MALICIOUS}")
        if merge:
            _check_no_clobber(archive, e, target)
    return merge


def _check_no_clobber(archive: Path, entry: _Entry, target: Path) -> None:
    for depth in range(1, len(entry.parts)):
        folder = target.parents[len(entry.parts) - 1 - depth]
        if os.path.lexists(folder) and not folder.is_dir():
            _refuse(
                archive,
                entry.info.filename,
                f"needs {folder} to be a folder, but it is a file. Move that file away, "
                "or extract into an empty folder.",
            )
    if os.path.lexists(target) and (not entry.is_dir or not target.is_dir()):
        _refuse(
            archive,
            entry.info.filename,
            f"would overwrite {target}, which already exists. Move it away, "
            "or extract into an empty folder.",
        )


def _is_junk(parts: tuple[str, ...]) -> bool:
    return any(p in _JUNK_DIRS for p in parts) or (bool(parts) and parts[-1] in _JUNK_FILES)


def _refuse(archive: Path, name: str, problem: str) -> NoReturn:
    shown = f"'{name}'" if name.isprintable() else repr(name)
    raise SourceError(f"Refusing to extract {archive.name}: entry {shown} {problem}")


# --- extraction: temp folder next to dest, then into place --------------------------------


def _extract(
    archive: Path, zf: zipfile.ZipFile, entries: list[_Entry], dest: Path, merge: bool
) -> list[Path]:
    made: list[Path] = []
    tmp: Path | None = None
    done = False
    try:
        _make_dirs(dest.parent, made)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".kstarter", dir=dest.parent))
        _write_all(archive, zf, entries, tmp)
        result = _merge_into(tmp, entries, dest) if merge else _rename(tmp, entries, dest)
        done = True
        return result
    except OSError as err:
        raise SourceError(
            f"Cannot extract {archive.name} into {dest}: {err}. Check the free disk space and "
            "the folder's permissions, then run again."
        ) from err
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if not done:
            _remove_dirs(made)


def _write_all(archive: Path, zf: zipfile.ZipFile, entries: list[_Entry], tmp: Path) -> None:
    for e in entries:
        target = tmp.joinpath(*e.parts)
        if e.is_dir:
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_member(archive, zf, e, target)


def _write_member(archive: Path, zf: zipfile.ZipFile, entry: _Entry, target: Path) -> None:
    """Write one member, trusting the bytes actually produced rather than its header."""
    name, declared = entry.info.filename, entry.info.file_size
    try:
        with zf.open(entry.info) as src, target.open("xb") as dst:
            written = _copy_limited(src, dst, declared)
    except _Overflow:
        _refuse(
            archive,
            name,
            f"holds more than the {declared:,} bytes its header declares. {_MALICIOUS}",
        )
    except _READ_ERRORS as err:
        _refuse(archive, name, f"is damaged or its header lies about it ({err}). {_DAMAGED}")
    except (NotImplementedError, RuntimeError) as err:  # what zipfile raises for unreadable data
        _refuse(archive, name, f"cannot be read by Python ({err}); extract it by hand, {_INIT}.")
    if written < declared:
        _refuse(archive, name, f"ends after {written:,} of its {declared:,} bytes. {_DAMAGED}")


def _copy_limited(src: IO[bytes], dst: IO[bytes], limit: int) -> int:
    """Copy ``src`` to ``dst``; raise :class:`_Overflow` as soon as it exceeds ``limit`` bytes."""
    written = 0
    while chunk := src.read(_CHUNK):
        written += len(chunk)
        if written > limit:
            raise _Overflow
        dst.write(chunk)
    return written


def _rename(tmp: Path, entries: list[_Entry], dest: Path) -> list[Path]:
    """Put the extracted folder in place as ``dest`` (which does not exist) in one rename."""
    tmp.rename(dest)
    return [dest.joinpath(*e.parts) for e in entries if not e.is_dir]


def _merge_into(tmp: Path, entries: list[_Entry], dest: Path) -> list[Path]:
    """Move each extracted file into ``dest``; on any failure take back all that was moved."""
    made: list[Path] = []
    moved: list[Path] = []
    try:
        for e in entries:
            target = dest.joinpath(*e.parts)
            _make_dirs(target if e.is_dir else target.parent, made)
            if not e.is_dir:
                if os.path.lexists(target):
                    raise FileExistsError(f"{target} appeared while extracting")
                shutil.move(tmp.joinpath(*e.parts), target)
                moved.append(target)
    except BaseException:
        for path in moved:
            path.unlink(missing_ok=True)
        _remove_dirs(made)
        raise
    return moved


def _make_dirs(folder: Path, made: list[Path]) -> None:
    """Create ``folder`` and its missing parents, appending each one created to ``made``."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        made.append(path)


def _remove_dirs(made: list[Path]) -> None:
    for path in reversed(made):
        with suppress(OSError):
            path.rmdir()
