"""The Leaderboard contract (kstarter/leaderboards/_base.py), one suite run against every
leaderboard: a practice answer key, and Kaggle through the real client against the stand-in.

Both score the same competition, heart-disease, trained once per project, so a run's public
score must be the same on either (the stand-in rounds it to 5 decimals, as Kaggle shows it).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from kaggle_standin import StandIn, client_in_process

from kstarter.competition import read_submission
from kstarter.config import Project, load_project
from kstarter.errors import KstarterError
from kstarter.leaderboards import (
    KaggleLeaderboard,
    Leaderboard,
    LeaderboardError,
    LeaderboardOptions,
    PracticeLeaderboard,
    get_leaderboard,
    score_against_key,
)
from kstarter.project import init_project
from kstarter.runs import RunRecord, SubmissionEntry, get_run
from kstarter.sources import answer_key
from kstarter.train import TrainOptions, train

NAME = "heart-disease"
KINDS = ("practice", "kaggle")
# every key a submission entry may have (kstarter/runs records them on the run)
ENTRY_KEYS = {
    "date", "message", "description", "where", "cv", "competition", "status", "ref", "public",
    "private", "error", "remaining_today", "public_se", "private_se", "kernel",
}  # fmt: skip
REQUIRED = {"date", "message", "where", "status", "cv", "public", "private", "remaining_today"}
OPTIONS = LeaderboardOptions(message="contract", poll_seconds=0.0)


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """heart-disease made by init from practice and from Kaggle (the stand-in), trained once."""
    root = tmp_path_factory.mktemp("boards")
    made = {"practice": init_project(f"practice/{NAME}", root / "practice").path}
    with StandIn() as server, client_in_process(server, tmp_path_factory.mktemp("home")):
        made["kaggle"] = init_project(NAME, root / "kaggle").path
    for path in made.values():
        # one LightGBM thread: OpenMP spins when other processes share the cores
        config = path / "kstarter.yaml"
        config.write_text(re.sub(r"threads: 0\b", "threads: 1", config.read_text()))
        train(path, TrainOptions(model="lightgbm"))
    return made


@dataclass(frozen=True)
class Case:
    kind: str
    project: Project
    run: RunRecord
    board: Leaderboard
    server: StandIn | None = None


@pytest.fixture(params=KINDS)
def case(
    request: pytest.FixtureRequest,
    projects: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Case]:
    """A project, its newest run and its leaderboard; Kaggle's behind a fresh stand-in."""
    with contextlib.ExitStack() as stack:
        server = None
        if request.param == "kaggle":
            server = stack.enter_context(StandIn())
            stack.enter_context(client_in_process(server, tmp_path_factory.mktemp("home")))
        project = load_project(projects[request.param])
        run = get_run(project.root, None)
        yield Case(request.param, project, run, get_leaderboard(project.spec), server)


def test_the_spec_picks_the_leaderboard(case: Case) -> None:
    expected = {"practice": PracticeLeaderboard, "kaggle": KaggleLeaderboard}[case.kind]
    assert type(case.board) is expected


def test_submit_returns_an_entry_with_a_status_and_the_public_score(case: Case) -> None:
    project, run, board = case.project, case.run, case.board
    path = run.path / "submission.csv"
    returned = board.submit(project, run, path, OPTIONS)
    assert isinstance(returned, SubmissionEntry)
    entry = returned.to_json()
    assert REQUIRED <= set(entry) <= ENTRY_KEYS
    assert entry["status"] == "COMPLETE" and entry["message"] == "contract"
    assert entry["cv"] == run.metrics.cv_mean
    assert datetime.fromisoformat(entry["date"]).tzinfo is not None
    public, _ = score_against_key(project.spec, read_submission(path), answer_key(NAME))
    assert isinstance(entry["public"], float)
    assert entry["public"] == pytest.approx(public, abs=5e-6)
    left = entry["remaining_today"]
    assert left is None or (isinstance(left, int) and left >= 0)
    for se in (entry.get("public_se"), entry.get("private_se")):  # where the board has the rows
        assert se is None or (isinstance(se, float) and se > 0)


def test_the_daily_limit_is_an_int_or_none(case: Case) -> None:
    board = case.board
    limit = board.daily_limit
    assert limit is None or (type(limit) is int and limit > 0)
    assert limit == 5  # practice's default budget; what the stand-in says for heart-disease
    assert board.limit_text


def test_an_unscorable_submission_yields_an_error_entry_and_a_clean_error(
    case: Case, tmp_path: Path
) -> None:
    project, run, board = case.project, case.run, case.board
    sub = pd.read_csv(run.path / "submission.csv")
    sub["HeartDisease"] = "maybe"  # the right shape, a label no leaderboard can score
    bad = tmp_path / "submission.csv"
    sub.to_csv(bad, index=False)
    with pytest.raises(LeaderboardError) as caught:
        board.submit(project, run, bad, OPTIONS)
    assert isinstance(caught.value, KstarterError)
    message = str(caught.value)
    assert "\n" not in message and "maybe" in message and "submit again" in message
    assert isinstance(caught.value.entry, SubmissionEntry)
    entry = caught.value.entry.to_json()
    assert REQUIRED <= set(entry) <= ENTRY_KEYS
    assert entry["status"] == "ERROR" and entry["error"] and "maybe" in entry["error"]
    assert entry["public"] is None and entry["private"] is None


def test_a_notebook_versions_output_is_scored_and_the_version_recorded(case: Case) -> None:
    """``options.kernel`` (submit --kernel): Kaggle takes the notebook version's own output
    (the stand-in's notebook wrote the run's submission), practice scores the file."""
    project, run, board = case.project, case.run, case.board
    path = run.path / "submission.csv"
    if case.server is not None:
        case.server.kernels["me/nb"] = [{"polls": 0, "competitionDataSources": [NAME]}]
        case.server.kernel_output = path.read_bytes()
    options = LeaderboardOptions(message="contract", poll_seconds=0.0, kernel="me/nb/1")
    entry = board.submit(project, run, path, options).to_json()
    assert REQUIRED <= set(entry) <= ENTRY_KEYS
    assert entry["status"] == "COMPLETE" and entry["kernel"] == "me/nb/1"
    public, _ = score_against_key(project.spec, read_submission(path), answer_key(NAME))
    assert entry["public"] == pytest.approx(public, abs=5e-6)
    if case.server is not None:
        assert "CreateCodeSubmission" in case.server.calls
        assert "StartSubmissionUpload" not in case.server.calls
