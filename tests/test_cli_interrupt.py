"""Ctrl-C ends a command the way a shell expects (exit 130, 128 + SIGINT) with one line, not
Click's "Aborted!" and exit 1, and nothing of the interrupted run is left behind."""

from __future__ import annotations

import signal
import time

from kstarter import paths
from kstarter.project import init_project
from kstarter.runs import list_runs


def test_ctrl_c_during_train_exits_130_and_writes_no_run(ks, tmp_path):
    project = init_project("practice/adult-income", tmp_path / "adult").path
    proc = ks.start("train", cwd=project)
    try:
        # inside the folds: the cache is written once the inputs are prepared
        deadline = time.monotonic() + 120
        cache = project / paths.CACHE
        while time.monotonic() < deadline and proc.poll() is None:
            if cache.is_dir() and any(cache.iterdir()):
                break
            time.sleep(0.1)
        time.sleep(1.0)
        assert proc.poll() is None, "train ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in out + err and "Aborted" not in out + err
    assert err.strip().splitlines()[-1] == "Interrupted."
    assert list_runs(project) == []
    staging = project / paths.STAGING
    assert not staging.exists() or not any(staging.iterdir())
