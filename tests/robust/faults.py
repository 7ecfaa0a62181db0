"""Fault injection for the robustness tests: a full disk, a read-only folder, a damaged file,
and the checks that a command which met one kept its promises (nothing half-written, nothing
lost, one sentence).

A full disk is a small tmpfs and a read-only folder a read-only bind mount, both real kernel
refusals (ENOSPC, EROFS) rather than a mocked ``OSError``: they need ``mount``, which root may
run on Linux. Without it those tests are skipped, or fail when ``CI=true`` (CI must run them).
Imported by name (``from faults import ...``): pytest puts this folder on the path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kstarter import paths

# ---------------------------------------------------------------- mounts


def _mount(*args: str) -> None:
    """``mount ARGS``, or skip (fail under CI=true) when this machine does not allow it."""
    why = ""
    if shutil.which("mount") is None:
        why = "no mount command"
    elif os.geteuid() != 0:
        why = "mounting a tmpfs or a bind mount needs root"
    else:
        proc = subprocess.run(["mount", *args], capture_output=True, text=True)
        if proc.returncode == 0:
            return
        why = f"mount {' '.join(args)} failed: {proc.stderr.strip()}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the disk fault tests, but {why}")
    pytest.skip(f"{why}; CI runs these tests as root")


def _umount(target: Path) -> None:
    subprocess.run(["umount", "-l", str(target)], check=False, capture_output=True)


@contextmanager
def small_disk(where: Path, size: int) -> Iterator[Path]:
    """A tmpfs of ``size`` bytes mounted at ``where`` (made if needed): a disk that fills."""
    where.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where))
    try:
        yield where
    finally:
        _umount(where)


def fill(disk: Path, leave: int) -> Path:
    """Fill ``disk`` until only about ``leave`` bytes are free; the filler's path (delete it
    to free the space again)."""
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    filler = disk / "filler"
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


@contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """``folder`` made read-only in place by a read-only bind mount of itself (chmod does not
    stop root)."""
    _mount("--bind", str(folder), str(folder))
    try:
        _mount("-o", "remount,bind,ro", str(folder))
        yield folder
    finally:
        _umount(folder)


# ---------------------------------------------------------------- the promises


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the project that holds the user's results (runs, folds, records), by its
    path: what a failed or killed command must leave exactly as it was. Temporary files (a
    killed write's, swept by the next command) are :func:`assert_nothing_half_written`'s."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith((paths.CACHE, paths.STAGING)) or path.name.endswith(".tmp"):
            continue
        if path.is_file():
            out[rel] = path.read_bytes()
    return out


def assert_nothing_half_written(root: Path) -> None:
    """No temporary file or staging folder left, and every run folder a complete run."""
    leftovers = [
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.name.endswith(".tmp") or (p.parent.name == paths.RUNS and p.name.startswith("."))
    ]
    assert not leftovers, leftovers
    staging = root / paths.STAGING
    assert not staging.exists() or not any(staging.iterdir()), list(staging.iterdir())
    cache = root / paths.CACHE
    if cache.is_dir():  # a cache entry is complete (names.json written last) or absent
        for entry in cache.iterdir():
            assert entry.name.startswith(".") or (entry / "names.json").is_file(), entry
    runs = root / paths.RUNS
    for run in runs.iterdir() if runs.is_dir() else ():
        record = json.loads((run / paths.RunFiles.METRICS).read_text())
        assert isinstance(record, dict) and "cv_mean" in record, run
        assert (run / paths.RunFiles.SUBMISSION).stat().st_size > 0, run


def one_sentence(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """A refusal: non-zero exit, exactly one ``Error:`` line, no traceback; that line."""
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0, text
    assert "Traceback" not in text, text
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("Error: ")]
    assert len(errors) == 1, text
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def warnings_of(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [ln for ln in proc.stderr.splitlines() if ln.startswith("Warning: ")]


def project_copy(template: Path, dest: Path) -> Path:
    """A fresh copy of a prepared project (``cp -a``: times kept, so the cache stays valid)."""
    shutil.copytree(template, dest, symlinks=True)
    return dest


def make_trained(folder: Path, models: tuple[str, ...] = ("lightgbm", "linear")) -> Path:
    """A tiny practice project (penguins: 344 rows) with a run of each of ``models``, made
    through the library: the template the tests copy."""
    from kstarter.project import init_project
    from kstarter.train import TrainOptions, train

    project = init_project("practice/penguins-species", folder / "penguins").path
    for model in models:
        train(project, TrainOptions(model=model))
    return project
