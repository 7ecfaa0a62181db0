"""`kstarter submit` keeps a daily budget and asks for --force before spending a submission on a
run that CV already ranks below the best one submitted."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import assert_clean_error

from kstarter.config import load_project
from kstarter.leaderboards import PRACTICE_DAILY_LIMIT, get_leaderboard
from kstarter.project import init_project
from kstarter.submit import submitted_today

pytestmark = pytest.mark.slow  # every test submits a run trained on practice data


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """diabetes-progression (MAE, lower is better) with a LightGBM and a linear run."""
    from kstarter.train import TrainOptions, train

    root = tmp_path_factory.mktemp("budget")
    project = init_project("practice/diabetes-progression", root / "d").path
    runs = {
        name: train(project, TrainOptions(model=name)).run_id for name in ("lightgbm", "linear")
    }
    return project, runs


@pytest.fixture
def project(trained, tmp_path) -> tuple[Path, dict[str, str], dict[str, float]]:
    base, runs = trained
    copy = Path(shutil.copytree(base, tmp_path / "d", symlinks=True))
    cv = {
        name: json.loads((copy / "runs" / run / "metrics.json").read_text())["cv_mean"]
        for name, run in runs.items()
    }
    return copy, runs, cv


def _entries(project: Path, run: str) -> list[dict]:
    path = project / "runs" / run / "submissions.json"
    return json.loads(path.read_text()) if path.exists() else []


def test_a_worse_cv_than_the_best_submitted_needs_force(ks, project):
    path, runs, cv = project
    better, worse = sorted(runs, key=lambda name: cv[name])  # MAE: lower is better
    proc = ks("submit", runs[better], "-m", "best so far", cwd=path)
    assert f"{PRACTICE_DAILY_LIMIT - 1} submission(s) left today" in proc.stdout
    proc = ks("submit", runs[worse], "-m", "worse", cwd=path, check=False)
    assert_clean_error(
        proc, f"{cv[worse]:.5f}", f"{cv[better]:.5f}", runs[better], "lower is better", "--force"
    )
    assert _entries(path, runs[worse]) == []
    proc = ks("submit", runs[worse], "-m", "worse, knowingly", "--force", cwd=path)
    assert "COMPLETE" in proc.stdout and len(_entries(path, runs[worse])) == 1
    # the same run again would get the same score: it spends a submission only with --force
    proc = ks("submit", runs[better], "-m", "again", cwd=path, check=False)
    assert_clean_error(proc, f"Run {runs[better]} was already submitted", "--force")
    assert len(_entries(path, runs[better])) == 1
    ks("submit", runs[better], "-m", "again, knowingly", "--force", cwd=path)
    assert len(_entries(path, runs[better])) == 2


def test_the_daily_limit_is_refused_even_with_force(ks, project):
    path, runs, cv = project
    best = min(runs, key=lambda name: cv[name])
    config = path / "kstarter.yaml"
    config.write_text(config.read_text().replace("daily_limit: null", "daily_limit: 2"))
    assert get_leaderboard(load_project(path).spec).daily_limit == 2
    ks("submit", runs[best], "-m", "one", cwd=path)
    proc = ks("submit", runs[best], "-m", "two", "--force", cwd=path)
    assert "0 submission(s) left today" in proc.stdout
    proc = ks("submit", runs[best], "-m", "three", "--force", cwd=path, check=False)
    assert_clean_error(proc, "all 2 submissions allowed today", "00:00 UTC", "daily_limit")
    assert len(_entries(path, runs[best])) == 2


def test_only_todays_received_submissions_count(project):
    path, runs, _ = project
    now = datetime.now(UTC)
    entries = [
        {"date": (now - timedelta(days=1)).isoformat(), "status": "COMPLETE"},  # yesterday
        {"date": now.isoformat(), "status": "COMPLETE"},
        {"date": now.isoformat(), "status": "PENDING", "ref": 7},
        {"date": now.isoformat(), "status": "ERROR", "ref": 8},  # received, then failed: counts
        {"date": now.isoformat(), "status": "ERROR", "ref": None},  # the upload failed: no
    ]
    run = path / "runs" / runs["linear"]
    (run / "submissions.json").write_text(json.dumps(entries))
    assert submitted_today(path, now) == 3
    assert submitted_today(path, now + timedelta(days=1)) == 0
    assert get_leaderboard(load_project(path).spec).daily_limit == PRACTICE_DAILY_LIMIT
