"""A killed ``kstarter init`` leaves no copy of the data behind: SIGTERM removes its staging
folder on the way out, and what a kill -9 leaves is swept by the next init beside it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import Runner, kstarter_command

pytestmark = pytest.mark.slow
COMP = "heart-disease"


def _staging(where: Path) -> list[Path]:
    return sorted(where.glob(f".{COMP}.kstarter-*"))


def _kill_while_staging(ks: Runner, where: Path, sig: int) -> subprocess.Popen[str] | None:
    """Start an init and send ``sig`` once its staging folder exists; None if the init was
    done before its staging folder was seen."""
    proc = subprocess.Popen(
        [kstarter_command(), "init", f"practice/{COMP}"], cwd=where, env=ks.env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    while proc.poll() is None:
        if _staging(where):
            os.kill(proc.pid, sig)
            proc.wait(timeout=60)
            return proc
        time.sleep(0.002)
    return None


def _killed(ks: Runner, where: Path, sig: int) -> subprocess.Popen[str]:
    for _ in range(10):
        proc = _kill_while_staging(ks, where, sig)
        if proc is not None:
            return proc
        ks("init", f"practice/{COMP}", "--force", cwd=where)  # too quick: clean up, again
        (where / COMP).rename(where / f"done-{time.monotonic_ns()}")
    pytest.skip("init was always done before its staging folder could be seen")


def test_sigterm_removes_the_staging_copy(ks, tmp_path):
    proc = _killed(ks, tmp_path, signal.SIGTERM)
    out, err = proc.communicate()
    assert proc.returncode != 0 and "Traceback" not in err, err
    assert _staging(tmp_path) == []
    assert not (tmp_path / COMP).exists()


def test_the_next_init_sweeps_what_kill_9_left(ks, tmp_path):
    proc = _killed(ks, tmp_path, signal.SIGKILL)
    proc.communicate()
    left = _staging(tmp_path)
    assert left, "kill -9 leaves the staging folder"
    (tmp_path / "mine.kstarter-notes").mkdir()  # not named like a staging folder: kept
    ks("init", f"practice/{COMP}", cwd=tmp_path)
    assert _staging(tmp_path) == []
    assert (tmp_path / COMP / "kstarter.yaml").is_file() and (
        tmp_path / "mine.kstarter-notes"
    ).is_dir()


def test_a_sigterm_while_the_staging_folder_is_made_leaves_none(tmp_path, monkeypatch):
    """The signal can land after the folder exists but before init knows its name (inside
    staging_dir, between mkdtemp and chmod): the folder is found by this process's prefix."""
    import kstarter.project as project_module
    from kstarter.atomic import staging_dir as real

    def made_then_killed(parent: Path, prefix: str) -> Path:
        real(parent, prefix)
        raise SystemExit(143)  # what init's SIGTERM handler raises

    monkeypatch.setattr(project_module, "staging_dir", made_then_killed)
    with pytest.raises(SystemExit):
        project_module.init_project(f"practice/{COMP}", tmp_path / COMP)
    assert _staging(tmp_path) == [] and not (tmp_path / COMP).exists()
