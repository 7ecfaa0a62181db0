"""Two runs that finish in the same second never lose each other: the rename into runs/ is
what claims an id, and the later run takes the next suffix."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import Runner

COMP = "heart-disease"


@pytest.fixture(scope="module")
def heart(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("ids")
    runner = Runner(tmp_path_factory.mktemp("home"))
    runner("init", f"practice/{COMP}", cwd=where)
    runner("train", "-q", cwd=where / COMP)  # folds made once, before the races below
    return where / COMP


def _runs(project: Path) -> set[str]:
    return {d.name for d in (project / "runs").iterdir() if (d / "metrics.json").is_file()}


@pytest.mark.slow
def test_a_run_id_taken_while_training_gets_a_suffix(heart, tmp_path):
    """Deterministic: another run lands on this run's id between choosing it and saving."""
    from kstarter.train import TrainOptions, train

    project = tmp_path / COMP
    shutil.copytree(heart, project)
    before = _runs(project)
    first = project / "runs" / sorted(before)[0]
    taken = []

    def progress(line: str) -> None:
        if line.startswith("CV "):  # said after the id is chosen, before the run is saved
            now = datetime.now()
            for t in (now - timedelta(seconds=1), now):
                other = project / "runs" / f"{t:%Y%m%d-%H%M%S}-lightgbm"
                if not other.exists():  # another finished run, renamed into place
                    shutil.copytree(first, other)
                    taken.append(other.name)

    result = train(project, TrainOptions(progress=progress))
    assert result.run_id not in taken and result.path.name == result.run_id
    assert result.run_id.rsplit("-", 1)[0] in taken and result.run_id.endswith("-2")
    assert _runs(project) - before == {result.run_id, *taken}
    assert f"{result.run_id}" in (result.path / "report.html").read_text()
    kept = (first / "metrics.json").read_text()
    assert all((project / "runs" / t / "metrics.json").read_text() == kept for t in taken)


def test_two_trains_at_once_keep_both_runs(ks, heart, tmp_path):
    """Real processes, started together so that they often finish in the same second."""
    project = tmp_path / COMP
    shutil.copytree(heart, project)
    made = len(_runs(project))
    for _ in range(3):
        procs = [ks.start("train", "-q", cwd=project) for _ in range(2)]
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0 and "Traceback" not in err, err
        made += 2
        assert len(_runs(project)) == made
