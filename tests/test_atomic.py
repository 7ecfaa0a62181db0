"""kstarter.atomic: a write is all or nothing, staging folders come and go cleanly."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from kstarter.atomic import (
    atomic_write_bytes,
    atomic_write_text,
    staging_dir,
    sweep_stale_staging,
)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_creates_parents_and_replaces_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "out.txt"
    atomic_write_text(path, "first\n")
    assert path.read_text(encoding="utf-8") == "first\n"
    atomic_write_text(path, "é second\n")
    assert path.read_bytes() == "é second\n".encode()
    assert os.listdir(path.parent) == ["out.txt"]  # no temporary file left beside it


def test_written_file_has_the_users_usual_permissions(tmp_path: Path) -> None:
    atomic_write_bytes(tmp_path / "out.bin", b"\x00\x01")
    assert _mode(tmp_path / "out.bin") == 0o666 & ~_umask()  # not mkstemp's 0600


def test_a_failing_write_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    atomic_write_text(path, "old\n")
    with pytest.raises(TypeError):
        atomic_write_bytes(path, "not bytes")  # type: ignore[arg-type]  # fails mid-write
    assert path.read_text(encoding="utf-8") == "old\n"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_an_interrupted_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after the bytes went out but before the rename: the old file, nothing else."""
    path = tmp_path / "out.txt"
    atomic_write_text(path, "old\n")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(path, "new\n" * 1000)
    assert path.read_text(encoding="utf-8") == "old\n"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_a_failing_first_write_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        atomic_write_bytes(tmp_path / "out.txt", 12)  # type: ignore[arg-type]
    assert os.listdir(tmp_path) == []


def test_staging_dir_is_hidden_inside_its_parent_with_usual_permissions(tmp_path: Path) -> None:
    first = staging_dir(tmp_path, ".run.")
    second = staging_dir(tmp_path, ".run.")
    assert first != second and first.parent == second.parent == tmp_path
    assert first.name.startswith(".run.") and first.is_dir()
    assert _mode(first) == 0o777 & ~_umask()  # not mkdtemp's 0700


def test_sweep_removes_only_folders_of_dead_processes(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = tmp_path / f"run.{gone.pid}.abc"
    alive = tmp_path / f"run.{os.getpid()}.abc"
    no_pid = tmp_path / "notes"
    for folder in (dead, alive, no_pid):
        (folder / "inside").mkdir(parents=True)
    sweep_stale_staging(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, no_pid.name])
    sweep_stale_staging(tmp_path / "missing")  # no folder yet: nothing to do
