"""kill -9 at random points of train and blend (issue 16): never a partial run, never a lost
one, and the next command cleans what the killed one left."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest
from faults import assert_nothing_half_written, make_trained, project_copy, snapshot

from kstarter import paths
from kstarter.runs import list_runs


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_trained(tmp_path_factory.mktemp("template"))


def _runs_index(project: Path) -> set[str]:
    lines = (project / paths.RUNS_INDEX).read_text().splitlines()[1:]
    return {line.split(",", 1)[0] for line in lines}


@pytest.mark.parametrize("command", [("train", "-q"), ("blend", "--method", "mean")])
def test_kill_9_at_random_points_loses_nothing_and_half_writes_nothing(
    ks, template: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    project = project_copy(template, tmp_path / "p")
    started = time.monotonic()
    ks(*command, cwd=project)  # how long a whole one takes here, start-up included
    whole = time.monotonic() - started
    rng = random.Random(16)
    delays = sorted(rng.uniform(0.2, whole) for _ in range(5))
    for delay in delays:
        before = snapshot(project)
        proc = ks.start(*command, cwd=project)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        after = snapshot(project)
        lost = [k for k, v in before.items() if after.get(k) != v and k != paths.RUNS_INDEX]
        assert not lost, (delay, lost)  # nothing of a finished run or the folds changed
        added = {k.split("/")[1] for k in set(after) - set(before)}
        assert all(k.startswith(f"{paths.RUNS}/") for k in set(after) - set(before)), added
        runs = {r.id for r in list_runs(project)}
        assert added <= runs, (delay, added)  # a new run folder is a whole run
        assert not [p for p in (project / paths.RUNS).iterdir() if p.name.startswith(".")]
    ks(*command, cwd=project)  # the next one works, and sweeps what the killed ones left
    assert_nothing_half_written(project)
    assert _runs_index(project) == {r.id for r in list_runs(project)}
