"""`kstarter auto --budget`, end to end with the installed command on real practice data: every
family trains as an ordinary run, every blend method runs, the final run's submission matches
the sample, a second auto reuses what the first made, and Ctrl-C keeps every finished run."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from conftest import assert_clean_error

from kstarter import paths
from kstarter.auto import load_settings
from kstarter.competition import read_submission, validate_submission
from kstarter.config import load_project
from kstarter.project import init_project
from kstarter.runs import list_runs

pytestmark = pytest.mark.slow


def _project(tmp_path: Path, name: str = "heart-disease") -> Path:
    return init_project(f"practice/{name}", tmp_path / name).path


def _record(project: Path) -> dict:
    return json.loads((project / paths.AUTO_RECORD).read_text(encoding="utf-8"))


def _staging_empty(project: Path) -> bool:
    staging = project / paths.STAGING
    return not staging.exists() or not any(staging.iterdir())


def test_auto_trains_every_family_blends_them_and_ends_with_the_best(ks, tmp_path):
    """A budget every step fits in (on a busy machine too): auto ends when its plan is done,
    with runs side by side (a budget from parallel_from)."""
    project = _project(tmp_path)
    budget = 300
    proc = ks("auto", "--budget", f"{budget}s", cwd=project)
    record = _record(project)
    runs = {r.id: r for r in list_runs(project)}

    trained = [e for e in record["entries"] if e["status"] == "trained"]
    families = {runs[e["run"]].metrics.model for e in trained}
    singles = {s.model for s in load_settings().steps if s.seeds == 1}
    assert families >= singles, record  # every family of configs/auto.yaml, as its own run
    assert record["skipped"] == [] and record["seconds"] < budget, record  # all done in time
    for e in trained:  # each an ordinary run: a record, predictions and a valid submission
        assert runs[e["run"]].metrics.folds_hash == runs[trained[0]["run"]].metrics.folds_hash
    blends = {e["what"].split(" ")[0]: e for e in record["entries"] if e["status"] == "blend"}
    assert set(blends) == set(load_settings().blends), record
    for e in blends.values():
        m = runs[e["run"]].metrics
        assert m.is_blend and e["honest"] == pytest.approx(m.nested_cv_mean)

    # the final run: the blend with the best nested CV if it beats the nested CV of picking the
    # single run with the best CV (each fold scored by the run best on the others), else that
    # run (accuracy: higher is better)
    singles = [e for e in record["entries"] if e["status"] != "blend"]
    scores = [runs[e["run"]].metrics.fold_scores for e in singles]
    n = len(scores[0])
    picking = (
        sum(
            max(scores, key=lambda f: sum(f) - f[k])[k]
            for k in range(n)  # noqa: B023
        )
        / n
    )
    assert record["picking"] == pytest.approx(picking)
    blend = max(blends.values(), key=lambda e: e["honest"])
    single = max(singles, key=lambda e: e["cv_mean"])
    expected = blend if blend["honest"] > picking else single
    assert record["final"] == expected["run"], record
    spec = load_project(project).spec
    sample = read_submission(project / "data" / spec.files.sample_submission)
    final_sub = read_submission(runs[record["final"]].path / paths.RunFiles.SUBMISSION)
    validate_submission(final_sub, sample, spec)
    assert f"kstarter submit {record['final']}" in proc.stdout
    assert "Leaderboard" in proc.stdout and "Next:" in proc.stdout
    # the budget bounds training and blending (loading the data comes on top)
    assert record["seconds"] <= 1.1 * budget, record
    assert _staging_empty(project)


def test_a_second_auto_reuses_the_runs_of_the_first(ks, tmp_path):
    project = _project(tmp_path)
    ks("auto", "--budget", "20", cwd=project)
    first = _record(project)
    first_trained = {e["run"] for e in first["entries"] if e["status"] == "trained"}
    assert first_trained

    ks("auto", "--budget", "30", cwd=project)
    second = _record(project)
    reused = {e["run"] for e in second["entries"] if e["status"] == "reused"}
    assert reused == first_trained  # nothing trained twice ...
    runs = {r.id: r.metrics for r in list_runs(project)}
    new = [e["run"] for e in second["entries"] if e["status"] == "trained"]
    made = {(runs[r].model, runs[r].seeds) for r in new}
    assert not made & {(runs[r].model, runs[r].seeds) for r in first_trained}  # ... nor again


def test_ctrl_c_keeps_every_finished_run_and_the_next_auto_continues(ks, tmp_path):
    project = _project(tmp_path, "adult-income")
    proc = ks.start("auto", "--budget", "10m", cwd=project)
    try:
        deadline = time.monotonic() + 240
        while not list_runs(project) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert list_runs(project), "no run finished in time"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate()  # reaped and its pipes closed: nothing leaks into later tests
    assert proc.returncode == 130, err
    assert "Traceback" not in err + out
    assert "Interrupted" in out and "kstarter auto" in out
    kept = list_runs(project)
    assert kept and all((r.path / paths.RunFiles.SUBMISSION).is_file() for r in kept)
    assert _staging_empty(project)
    assert _record(project)["interrupted"] is True

    # the next auto starts from the kept runs (a tiny budget: only what exists is reused)
    ks("auto", "--budget", "5", cwd=project)
    again = _record(project)
    reused = {e["run"] for e in again["entries"] if e["status"] == "reused"}
    assert {r.id for r in kept} <= reused


def test_a_run_too_slow_for_the_budget_is_time_limited_not_lost(ks, tmp_path):
    """A family whose run cannot end in its part of the budget still gives a run: its fits stop
    at their time limit and keep their models. It is blended like any other, gets no seed bags,
    and the next auto trains it again rather than reusing it."""
    import yaml

    project = _project(tmp_path, "adult-income")
    config_path = project / paths.CONFIG
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["model"]["params"] = {"learning_rate": 0.0005}  # thousands of rounds a fold
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    budget = 25
    ks("auto", "--budget", str(budget), cwd=project)
    record = _record(project)
    assert record["seconds"] <= 1.1 * budget, record
    runs = {r.id: r for r in list_runs(project)}
    (light,) = [e for e in record["entries"] if e["what"] == "lightgbm (time-limited)"]
    limited = runs[light["run"]].metrics
    assert limited.fit_seconds is not None and limited.stopped_by_time
    assert all(it < 5000 for it in limited.best_iterations)
    skipped = dict((s["step"], s["why"]) for s in record["skipped"])
    assert "time limit" in skipped["lightgbm x3 seeds"]
    spec = load_project(project).spec
    sample = read_submission(project / "data" / spec.files.sample_submission)
    final = read_submission(runs[record["final"]].path / paths.RunFiles.SUBMISSION)
    validate_submission(final, sample, spec)

    ks("auto", "--budget", str(budget), cwd=project)
    again = _record(project)
    assert light["run"] not in {e["run"] for e in again["entries"] if e["status"] == "reused"}
    assert any(e["what"].startswith("lightgbm") and e["status"] == "trained"
               for e in again["entries"])  # fmt: skip


def test_a_budget_too_small_for_any_run_says_so(ks, tmp_path):
    project = _project(tmp_path, "adult-income")
    proc = ks("auto", "--budget", "1s", cwd=project, check=False)
    assert_clean_error(proc, "--budget")
    assert list_runs(project) == []
    assert _record(project)["seconds"] <= 1.1 * 1 + 1.0  # a fold is stopped at the budget


def test_a_bad_budget_is_refused(ks, tmp_path):
    project = _project(tmp_path)
    assert_clean_error(ks("auto", "--budget", "ten minutes", cwd=project, check=False),
                       "not a duration")  # fmt: skip
