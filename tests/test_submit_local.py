"""`kstarter submit` without a leaderboard (issue 18.7) and the uncertainty of small boards
(issue 18.14).

- A project made from a folder or a zip has no leaderboard: submit says so in one sentence and
  uploads nothing (it used to try Kaggle, under the folder's name).
- `submit --dry-run` validates only, for any project: nothing recorded, no daily submission,
  not one call to Kaggle.
- `submit --answers KEY.csv` scores a run against the user's own key, as the practice board
  scores, and records it as the run's local score with its standard error.
- Practice scores carry a bootstrap standard error: heart-disease's public board is 23 rows.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_clean_error
from kaggle_standin import StandIn, client_in_process

from kstarter.competition import Overrides
from kstarter.errors import SubmissionError
from kstarter.project import init_project
from kstarter.sources import answer_key, build
from kstarter.submit import SubmitOptions, submit, submitted_today
from kstarter.train import TrainOptions, train

pytestmark = pytest.mark.slow  # every test trains a run on real data

NAME = "heart-disease"  # 303 rows: 76 test rows, 23 of them public
TARGET = "HeartDisease"


def _one_thread(project: Path) -> None:
    """One LightGBM thread: OpenMP spins when other processes share the cores."""
    config = project / "kstarter.yaml"
    config.write_text(re.sub(r"threads: 0\b", "threads: 1", config.read_text()))


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """heart-disease three ways, each trained once: as a folder the user has (with the answer
    key beside it), as the practice competition, and from Kaggle (the stand-in)."""
    root = tmp_path_factory.mktemp("made")
    folder = root / "heart-folder"
    build(NAME, folder)
    key = answer_key(NAME)
    key.drop(columns="Usage").to_csv(root / "answers.csv", index=False)
    overrides = Overrides(targets=(TARGET,), metric="accuracy")
    out = {
        "folder": init_project(str(folder), root / "folder", overrides).path,
        "practice": init_project(f"practice/{NAME}", root / "practice").path,
        "answers": root / "answers.csv",
    }
    with StandIn() as server, client_in_process(server, tmp_path_factory.mktemp("home")):
        out["kaggle"] = init_project(NAME, root / "kaggle").path
    for kind in ("folder", "practice", "kaggle"):
        _one_thread(out[kind])
        train(out[kind], TrainOptions(model="lightgbm"))
    return out


@pytest.fixture
def project(made: dict[str, Path], tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A fresh copy of one of ``made``'s projects (parametrize indirectly with its kind)."""
    return Path(shutil.copytree(made[request.param], tmp_path / request.param, symlinks=True))


def _entries(project: Path) -> list[dict]:
    (run,) = [d for d in (project / "runs").iterdir() if (d / "metrics.json").is_file()]
    path = run / "submissions.json"
    return json.loads(path.read_text()) if path.exists() else []


def _accuracy(project: Path, key: pd.DataFrame) -> tuple[float, int]:
    """The run's accuracy on the key's rows, counted by hand, and how many rows."""
    (run,) = [d for d in (project / "runs").iterdir() if (d / "metrics.json").is_file()]
    sub = pd.read_csv(run / "submission.csv")
    both = key.merge(sub, on="PatientId", suffixes=("_true", ""))
    hits = (both[f"{TARGET}_true"].astype(str) == both[TARGET].astype(str)).to_numpy()
    return float(hits.mean()), len(hits)


def _binomial_se(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n)


# ---------------------------------------------------------------- a folder or zip project


@pytest.mark.parametrize("project", ["folder"], indirect=True)
def test_a_folder_project_says_it_has_no_leaderboard(ks, project: Path) -> None:
    proc = ks("submit", "-m", "try", cwd=project, check=False)
    assert_clean_error(proc, "local folder or zip", "--dry-run", "--answers KEY.csv")
    for kaggle_said in ("credentials", "Cannot reach Kaggle", "kaggle.json"):
        assert kaggle_said not in proc.stderr  # Kaggle was never asked
    assert _entries(project) == []


@pytest.mark.parametrize("project", ["folder"], indirect=True)
def test_answers_scores_a_folder_project_and_runs_shows_it(
    ks, project: Path, made: dict[str, Path]
) -> None:
    key_path = made["answers"]
    proc = ks("submit", "--answers", str(key_path), "-m", "my own key", cwd=project)
    (entry,) = _entries(project)
    accuracy, rows = _accuracy(project, pd.read_csv(key_path))
    assert rows == 76 and entry["where"] == "local" and entry["status"] == "COMPLETE"
    assert entry["local"] == pytest.approx(accuracy) and entry["message"] == "my own key"
    assert entry["local_se"] == pytest.approx(_binomial_se(accuracy, rows), rel=0.2)
    assert entry["answers"] == str(key_path.resolve())
    assert f"{accuracy:.5f} ± {entry['local_se']:.5f}" in proc.stdout
    assert "nothing uploaded" in proc.stdout
    assert submitted_today(project) == 0  # no daily submission spent
    (row,) = json.loads(ks("runs", "--json", cwd=project).stdout)
    assert row["local"] == entry["local"] and row["local_se"] == entry["local_se"]
    assert row["public"] is None  # a local score is no leaderboard's
    table = ks("runs", cwd=project).stdout.splitlines()
    assert "local" in table[0].split() and f"{accuracy:.5f} ± {entry['local_se']:.4f}" in table[1]


@pytest.mark.parametrize("project", ["folder"], indirect=True)
def test_a_bad_answer_key_is_one_sentence(ks, project: Path, tmp_path: Path) -> None:
    key = answer_key(NAME).drop(columns="Usage")
    cases = {
        "no-target.csv": (key.drop(columns=TARGET), ("has no column HeartDisease", "header")),
        "stranger.csv": (
            pd.concat([key, pd.DataFrame({"PatientId": [99999], TARGET: [True]})]),
            ("1 id(s) that are not in the submission", "99999"),
        ),
        "maybe.csv": (key.assign(**{TARGET: "maybe"}), ("'maybe'", "not a class")),
    }
    for name, (frame, needles) in cases.items():
        frame.to_csv(tmp_path / name, index=False)
        proc = ks("submit", "--answers", str(tmp_path / name), cwd=project, check=False)
        assert_clean_error(proc, name, *needles)
    proc = ks("submit", "--answers", str(tmp_path / "none.csv"), cwd=project, check=False)
    assert_clean_error(proc, "No answer key", "none.csv")
    assert _entries(project) == []


# ---------------------------------------------------------------- --dry-run, any project


@pytest.mark.parametrize("project", ["folder", "practice"], indirect=True)
def test_dry_run_validates_only(ks, project: Path) -> None:
    proc = ks("submit", "--dry-run", cwd=project)
    assert "matches the sample (76 rows)" in proc.stdout and "nothing uploaded" in proc.stdout
    assert _entries(project) == [] and submitted_today(project) == 0
    (run,) = [d for d in (project / "runs").iterdir() if (d / "metrics.json").is_file()]
    sub = run / "submission.csv"
    sub.write_text("\n".join(sub.read_text().splitlines()[:-1]) + "\n")  # a row lost
    proc = ks("submit", "--dry-run", cwd=project, check=False)
    assert_clean_error(proc, "75 rows; the sample has 76")


@pytest.mark.parametrize("project", ["kaggle"], indirect=True)
def test_dry_run_on_a_kaggle_project_calls_nothing(project: Path, tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    with StandIn() as server, client_in_process(server, tmp_path / "home"):
        result = submit(project, SubmitOptions(dry_run=True))
        assert result.entry is None and result.rows == 76
        assert server.calls == []
        with pytest.raises(SubmissionError, match="do not go together"):
            submit(project, SubmitOptions(dry_run=True, answers=tmp_path / "key.csv"))
    assert _entries(project) == []


# ---------------------------------------------------------------- standard errors (18.14)


@pytest.mark.parametrize("project", ["practice"], indirect=True)
def test_a_practice_score_comes_with_its_standard_error(ks, project: Path) -> None:
    proc = ks("submit", "-m", "first", cwd=project)
    (entry,) = _entries(project)
    key = answer_key(NAME)
    for part in ("public", "private"):
        rows = key[key["Usage"] == part.capitalize()].drop(columns="Usage")
        accuracy, n = _accuracy(project, rows)
        assert entry[part] == pytest.approx(accuracy)
        assert entry[f"{part}_se"] == pytest.approx(_binomial_se(accuracy, n), rel=0.2)
    assert len(key[key["Usage"] == "Public"]) == 23
    assert f"public score {entry['public']:.5f} ± {entry['public_se']:.5f}" in proc.stdout
    table = ks("runs", "--private", cwd=project).stdout.splitlines()
    assert f"{entry['public']:.5f} ± {entry['public_se']:.4f}" in table[1]
    assert f"{entry['private']:.5f} ± {entry['private_se']:.4f}" in table[1]
    # a local score is not a submission: the practice budget and the repeat guard ignore it
    ks("submit", "--answers", str(_key_file(project, key)), cwd=project)
    assert submitted_today(project) == 1


def _key_file(project: Path, key: pd.DataFrame) -> Path:
    path = project.parent / "key.csv"
    key.to_csv(path, index=False)  # a practice key as it is: its Usage column is ignored
    return path


def test_the_bootstrap_error_is_seeded_and_none_when_it_cannot_be_estimated() -> None:
    from kstarter.metrics import get_metric, standard_error

    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 400)
    pred = np.where(rng.random(400) < 0.8, truth, 1 - truth)
    accuracy = get_metric("accuracy")
    se = standard_error(accuracy, truth, pred)
    assert se == standard_error(accuracy, truth, pred)  # the same rows, the same SE
    p = float((truth == pred).mean())
    assert se == pytest.approx(_binomial_se(p, 400), rel=0.15)
    auc = get_metric("auc")
    assert standard_error(auc, np.ones(30, dtype=int), rng.random(30)) is None  # one class
    assert standard_error(accuracy, truth[:1], pred[:1]) is None
