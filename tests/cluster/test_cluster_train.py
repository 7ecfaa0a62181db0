"""`kstarter train --cluster` end to end: a real `dask scheduler` and two `dask worker`
processes on 127.0.0.1 fit the folds, and the run is the local run bit for bit; a worker killed
with SIGKILL in the middle of a fit changes nothing; a cluster that cannot be used is one
sentence and a non-zero exit."""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import assert_clean_error, copy_project, edit_config, fast_practice
from dask_local import free_port, local_cluster

from kstarter import paths

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

# the files of a run that hold its predictions and scores (metrics.json differs in timings)
SAME = ("oof.csv", "test_pred.csv", "submission.csv", "importance.csv")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fast_practice(tmp_path_factory, "heart-disease")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    with local_cluster(tmp_path_factory.mktemp("dask")) as c:
        yield c


def _runs(project: Path) -> list[Path]:
    return sorted(p for p in (project / paths.RUNS).iterdir() if not p.name.startswith("."))


def _assert_same_run(a: Path, b: Path) -> None:
    for name in SAME:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    ma, mb = (json.loads((r / "metrics.json").read_text()) for r in (a, b))
    for key in ("fold_scores", "cv_mean", "oof_score", "best_iterations", "params_hash"):
        assert ma[key] == mb[key], key


@pytest.mark.parametrize("extra", [(), ("--model", "xgboost", "--seeds", "2")])
def test_train_on_a_cluster_is_the_local_run_bit_for_bit(ks, template, tmp_path, cluster, extra):
    project = copy_project(template, tmp_path)
    ks("train", "-q", *extra, cwd=project)
    ks("train", *extra, "--cluster", cluster.address, cwd=project)
    local, remote = _runs(project)
    _assert_same_run(local, remote)
    assert json.loads((remote / "metrics.json").read_text())["threads"] == 1  # the workers'
    assert _held_by_workers(cluster.address) == [str(project)] * 2  # both workers fitted


def _held_by_workers(address: str) -> list[str]:
    """The project each worker process holds the prepared inputs of (it fitted a fold)."""
    from distributed import Client

    def held() -> list[str]:
        from kstarter.cluster import _task

        return [root for root, _, _ in _task._PREPARED]

    with Client(address, set_as_default=False) as client:
        return sorted(root for roots in client.run(held).values() for root in roots)


def test_the_refit_on_every_row_is_a_task_too(ks, template, tmp_path, cluster):
    """Test predictions from one more fit on every train row (a time split's default): that
    fit runs on the cluster as well, at the rounds the folds found."""
    project = copy_project(template, tmp_path)
    edit_config(project, {"train": {"test_from": "refit"}})
    ks("train", "-q", cwd=project)
    ks("train", "-q", "--cluster", cluster.address, cwd=project)
    local, remote = _runs(project)
    assert json.loads((remote / "metrics.json").read_text())["test_from"] == "refit"
    _assert_same_run(local, remote)


def test_a_worker_killed_mid_fit_loses_nothing(ks, template, tmp_path):
    """SIGKILL of the worker that is fitting: the scheduler runs its task again on the other,
    and the run is still the local one."""
    from distributed import Client

    project = copy_project(template, tmp_path)
    # slow enough fits (about a second each) to kill a worker in the middle of one
    edit_config(project, {"model": {"num_boost_round": 3000, "early_stopping_rounds": 3000}})
    ks("train", "-q", cwd=project)
    logs = tmp_path / "logs"
    logs.mkdir()
    with local_cluster(logs) as c, Client(c.address, set_as_default=False) as client:
        pids = client.run(os.getpid)
        proc = ks.start("train", "-q", "--cluster", c.address, cwd=project)
        victim = _busy_worker(client, proc)
        os.kill(pids[victim], signal.SIGKILL)
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        assert len(client.nthreads()) == 1  # the killed one is gone
    local, remote = _runs(project)
    _assert_same_run(local, remote)
    assert not [p for p in (project / paths.RUNS).iterdir() if p.name.startswith(".")]


def _busy_worker(client, proc, timeout: float = 120) -> str:
    """The address of a worker in the middle of a kstarter fit."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, proc.communicate()
        executing = client.run(lambda dask_worker: len(dask_worker.state.executing))
        busy = [a for a, n in executing.items() if n]
        if busy:
            time.sleep(0.3)  # well inside the fit
            return busy[0]
        time.sleep(0.05)
    raise AssertionError("no worker started a fit")


def test_an_unreachable_cluster_is_one_sentence(ks, template, tmp_path):
    project = copy_project(template, tmp_path)
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    proc = ks("train", "--cluster", address, cwd=project, check=False)
    assert_clean_error(proc, f"No Dask scheduler answered at {address}", "dask scheduler")
    assert time.monotonic() - started < 60
    assert not (project / paths.RUNS).exists() or not _runs(project)


def test_a_malformed_address_is_one_sentence(ks, template, tmp_path):
    project = copy_project(template, tmp_path)
    proc = ks("train", "--cluster", "127.0.0.1:8786", cwd=project, check=False)
    assert_clean_error(proc, "tcp://HOST:PORT")


def test_a_scheduler_without_workers_is_one_sentence(ks, template, tmp_path):
    project = copy_project(template, tmp_path)
    logs = tmp_path / "logs"
    logs.mkdir()
    with local_cluster(logs, workers=0) as c:
        proc = ks("train", "--cluster", c.address, cwd=project, check=False)
    assert_clean_error(proc, "has no workers", f"dask worker {c.address}")


def test_a_worker_that_cannot_see_the_project_is_one_sentence(ks, template, tmp_path, cluster):
    """The workers read the prepared data at the project's path. A machine without the shared
    folder is simulated by asking the real workers for a cache entry that is not there."""
    project = copy_project(template, tmp_path)
    ks("train", "-q", cwd=project)  # the cache exists
    from kstarter.cluster import connect
    from kstarter.config import load_project
    from kstarter.crossval import prepare
    from kstarter.errors import ClusterError

    prep = prepare(load_project(project))
    moved = prep.matrices.store
    assert moved is not None
    hidden = moved.with_name(moved.name + "-elsewhere")

    prep = replace(prep, matrices=replace(prep.matrices, store=hidden))
    with connect(cluster.address) as c, pytest.raises(ClusterError) as caught:
        c.check_project(prep)
    assert "cannot read the project's prepared data" in str(caught.value)
    assert "same path" in str(caught.value)


def test_the_cluster_in_the_help(ks, tmp_path):
    proc = ks("train", "--help", cwd=tmp_path)
    assert "--cluster" in proc.stdout and "tcp://" in proc.stdout


def test_auto_on_a_cluster_trains_the_local_runs_bit_for_bit(ks, template, tmp_path, cluster):
    """`auto --cluster` with a small budget: every run it trains there is, bit for bit, the
    run of the same step a local auto trained."""
    local = copy_project(template, tmp_path / "local")
    remote = copy_project(template, tmp_path / "remote")
    ks("auto", "--budget", "90s", "-q", cwd=local)
    ks("auto", "--budget", "90s", "-q", "--cluster", cluster.address, cwd=remote)
    record = json.loads((remote / paths.AUTO_RECORD).read_text())
    trained = [e for e in record["entries"] if e["status"] == "trained"]
    assert trained, record
    assert str(remote) in _held_by_workers(cluster.address)  # the workers fitted its folds

    def singles(project: Path) -> dict[tuple[str, int], Path]:
        found = {}
        for run in _runs(project):
            m = json.loads((run / "metrics.json").read_text())
            if m.get("model") and not m.get("stopped_by_time") and "blend" not in run.name:
                found[(m["model"], m.get("seeds") or 1)] = run
        return found

    here, there = singles(local), singles(remote)
    common = set(here) & set(there)
    assert ("lightgbm", 1) in common, (here, there)
    for step in common:
        _assert_same_run(here[step], there[step])
