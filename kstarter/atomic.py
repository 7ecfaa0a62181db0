"""Nothing half-written: every output goes to a temporary name and is renamed into place."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "staging_dir",
    "sweep_stale_staging",
    "process_alive",
    "probe_writable",
    "sweep_stale_tmp",
]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # the pid in the name lets sweep_stale_tmp remove what a killed writer left
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # named by the file it was for, not the temporary one (or none)
        Path(tmp).unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def probe_writable(folder: Path, size: int = 65536) -> None:
    """Raise the ``OSError`` a write of ``size`` bytes into ``folder`` meets (read-only, full),
    leaving nothing behind: asked before a step that cannot be undone (an upload) whose result
    must then be recorded there."""
    fd, tmp = tempfile.mkstemp(prefix=".probe.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"\0" * size)
            fh.flush()
            os.fsync(fh.fileno())
    finally:
        Path(tmp).unlink(missing_ok=True)


def staging_dir(parent: Path, prefix: str) -> Path:
    """A hidden temporary folder in ``parent`` with the user's usual permissions (mkdtemp's
    are 0700), to fill and then rename into place."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    path.chmod(0o777 & ~_umask())
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sweep_stale_staging(folder: Path) -> None:
    """Remove staging folders ``<name>.<pid>.*`` left by processes that died (kill -9)."""
    import shutil

    if not folder.is_dir():
        return
    for d in folder.iterdir():
        parts = d.name.split(".")
        pid = next((int(p) for p in parts if p.isdigit()), None)
        if pid is not None and not process_alive(pid):
            shutil.rmtree(d, ignore_errors=True)


_TMP = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]+\.tmp$")  # atomic_write_bytes' temporary names


def sweep_stale_tmp(folder: Path) -> None:
    """Remove the temporary files of atomic writes whose process died (kill -9) in ``folder``."""
    if not folder.is_dir():
        return
    for f in folder.iterdir():
        found = _TMP.match(f.name)
        if found and f.is_file() and not process_alive(int(found[1])):
            f.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
