"""`kstarter init <slug>` and `kstarter submit` against Kaggle, through the real `kaggle` client.

The installed command runs as a subprocess, pointed at the stand-in API on 127.0.0.1 by the
client's own settings (KAGGLE_API_ENVIRONMENT=LOCALHOST plus HTTP_PROXY; see kaggle_standin.py).
Every test checks that the API key never shows up in any output or any file of the project.
"""

from __future__ import annotations

import base64
import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import Runner, assert_clean_error
from kaggle_standin import KEY, SCORE_ERROR, TOKEN, USERNAME, StandIn, closed_port

from kstarter.config import load_project

pytestmark = pytest.mark.slow

SECRETS = (KEY, TOKEN, base64.b64encode(f"{USERNAME}:{KEY}".encode()).decode())
CLIENT_CHATTER = (
    "Authentication required",
    "Warning:",
    "Submission ref",
    "Downloading",
    "kaggle.json",
)


def point_at(runner: Runner, url: str, credentials: str = "env") -> Runner:
    """Send the runner's kaggle client to ``url`` (the stand-in, or a closed port) only."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        runner.env.pop(name, None)
    runner.env.update(KAGGLE_API_ENVIRONMENT="LOCALHOST", KSTARTER_POLL_SECONDS="0.1")
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        runner.env[name] = url  # https too, so nothing could ever leave 127.0.0.1
    home = Path(runner.env["HOME"])
    if credentials == "env":
        runner.env.update(KAGGLE_USERNAME=USERNAME, KAGGLE_KEY=KEY)
    elif credentials in ("kaggle.json", "config-dir"):
        folder = home / (".kaggle" if credentials == "kaggle.json" else "kaggle-config")
        folder.mkdir(exist_ok=True)
        (folder / "kaggle.json").write_text(json.dumps({"username": USERNAME, "key": KEY}))
        (folder / "kaggle.json").chmod(0o600)
        if credentials == "config-dir":
            runner.env["KAGGLE_CONFIG_DIR"] = str(folder)
    elif credentials == "token":
        runner.env["KAGGLE_API_TOKEN"] = TOKEN
    return runner


def assert_no_secret(proc, *roots: Path) -> None:
    for secret in SECRETS:
        assert secret not in proc.stdout + proc.stderr
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                assert not any(s.encode() in data for s in SECRETS), path


def assert_no_chatter(proc) -> None:
    for text in CLIENT_CHATTER:
        assert text not in proc.stdout, proc.stdout


@pytest.fixture
def standin():
    with StandIn() as server:
        yield server


@pytest.fixture
def kaggle_ks(ks, standin) -> Runner:
    return point_at(ks, standin.url)


def init_from_standin(factory: pytest.TempPathFactory, competition: str) -> Path:
    """``competition`` made by `kstarter init` from a stand-in started for it, with one
    LightGBM thread: with threads: 0 OpenMP spins when other processes share the two cores,
    and 227 rows took minutes instead of a second."""
    runner = Runner(factory.mktemp("home"))
    root = factory.mktemp("standin")
    with StandIn() as server:
        point_at(runner, server.url)
        runner("init", competition, cwd=root)
    project = root / competition
    config = project / "kstarter.yaml"
    config.write_text(re.sub(r"threads: 0\b", "threads: 1", config.read_text()))
    return project


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """heart-disease made by `kstarter init` from the stand-in, then `kstarter train -q`."""
    project = init_from_standin(tmp_path_factory, "heart-disease")
    Runner(tmp_path_factory.mktemp("home"))("train", "-q", cwd=project)
    return project


@pytest.fixture
def project(trained, tmp_path) -> Path:
    return Path(shutil.copytree(trained, tmp_path / "heart-disease", symlinks=True))


def only_run(project: Path) -> Path:
    (run,) = [d for d in (project / "runs").iterdir() if (d / "metrics.json").is_file()]
    return run


def submissions(project: Path) -> list[dict]:
    path = only_run(project) / "submissions.json"
    return json.loads(path.read_text()) if path.exists() else []


def public_column(project: Path) -> list[str]:
    with (project / "runs.csv").open() as fh:
        return [row["public"] for row in csv.DictReader(fh)]


# --- init ------------------------------------------------------------------------------------


def test_init_downloads_and_takes_metadata(ks, standin, tmp_path):
    point_at(ks, standin.url, credentials="kaggle.json")
    proc = ks("init", "adult-income", cwd=tmp_path)
    project = tmp_path / "adult-income"
    assert [p.name for p in tmp_path.iterdir()] == ["adult-income"]  # no temp folder left
    spec = load_project(project).spec
    assert spec.metric == "auc" and spec.metric_guessed is False
    assert spec.metric_kaggle_name == "Area Under Receiver Operating Characteristic Curve"
    assert spec.source == "kaggle/adult-income" and spec.name == "adult-income"
    assert spec.code_competition is False
    competition = yaml.safe_load((project / "kstarter.yaml").read_text())["competition"]
    assert competition["title"] == "Adult Census Income"
    assert competition["deadline"] == "2030-01-07T23:59:00Z"
    assert competition["daily_limit"] == 5
    assert competition["url"] == "https://www.kaggle.com/competitions/adult-income"
    data = sorted(p.name for p in (project / "data").iterdir())
    assert data == ["description.md", "sample_submission.csv", "test.csv", "train.csv"]
    assert not list(project.rglob(".kaggle-download-*"))
    assert standin.calls == ["GetCompetition", "DownloadDataFiles", "GET blob"]
    assert "metric     auc" in proc.stdout
    assert_no_chatter(proc)
    assert_no_secret(proc, project)


def test_init_unknown_metric_keeps_kaggle_name_and_notes_fallback(ks, standin, tmp_path):
    point_at(ks, standin.url, credentials="token")
    proc = ks("init", "https://www.kaggle.com/competitions/custom-metric", cwd=tmp_path)
    project = tmp_path / "custom-metric"
    spec = load_project(project).spec
    assert spec.metric_kaggle_name == "Weighted Custom Score"
    assert spec.metric_guessed is True and spec.metric  # a default in its place
    assert "Weighted Custom Score" in proc.stdout and "--metric" in proc.stdout
    assert "IntrospectToken" in standin.calls  # authenticated with the access token
    assert_no_chatter(proc)
    assert_no_secret(proc, project)


def test_init_recognises_a_code_competition(ks, standin, tmp_path):
    point_at(ks, standin.url, credentials="config-dir")
    proc = ks("init", "code-only", cwd=tmp_path)
    project = tmp_path / "code-only"
    assert load_project(project).spec.code_competition is True
    assert "code_competition: true" in (project / "kstarter.yaml").read_text()
    assert_no_secret(proc, project)


INIT_FAILURES = {
    "missing-credentials": (None, "heart-disease", "No Kaggle credentials found"),
    "401": ("401", "heart-disease", "did not accept your credentials (HTTP 401)"),
    "rules": ("rules", "heart-disease", "https://www.kaggle.com/competitions/heart-disease/rules"),
    "unknown": (None, "no-such-competition", "no competition named 'no-such-competition'"),
    "denied": ("denied", "heart-disease", "no competition named 'heart-disease' (HTTP 403)"),
    "429": ("429", "heart-disease", "wait 30 seconds"),
    "network": (None, "heart-disease", "Cannot reach Kaggle"),
}


@pytest.mark.parametrize("case", list(INIT_FAILURES))
def test_init_failure_is_one_sentence_and_leaves_nothing(ks, standin, tmp_path, case):
    fail, slug, needle = INIT_FAILURES[case]
    url = f"http://127.0.0.1:{closed_port()}" if case == "network" else standin.url
    point_at(ks, url, credentials="none" if case == "missing-credentials" else "env")
    standin.fail = fail
    proc = ks("init", slug, cwd=tmp_path, check=False)
    assert_clean_error(proc, needle)
    assert list(tmp_path.iterdir()) == []  # no project, no staging, no download folder
    if case == "rules":
        assert standin.calls == ["GetCompetition", "DownloadDataFiles"]
    assert_no_chatter(proc)
    assert_no_secret(proc)


# --- submit ----------------------------------------------------------------------------------


def test_submit_uploads_the_exact_file_and_records_the_score(kaggle_ks, standin, project):
    run = only_run(project)
    proc = kaggle_ks("submit", "-m", "first try", cwd=project)
    sent = standin.last()
    assert sent.data == (run / "submission.csv").read_bytes()
    metrics = json.loads((run / "metrics.json").read_text())
    cv = f"{metrics['cv_mean']:.5f}"
    assert sent.description == f"first try | run {run.name} | CV {metrics['metric']} {cv}"
    assert sent.polls >= 2  # it saw PENDING, waited, then COMPLETE
    (entry,) = submissions(project)
    public = float(sent.final["publicScore"])
    assert entry["status"] == "COMPLETE" and entry["where"] == "kaggle"
    assert entry["public"] == public and entry["private"] is None and entry["error"] is None
    assert entry["ref"] == sent.ref and entry["remaining_today"] == 4
    assert entry["cv"] == metrics["cv_mean"] and entry["message"] == "first try"
    assert public_column(project) == [str(public)]
    assert f"{public:.5f}" in proc.stdout and "COMPLETE" in proc.stdout
    calls = [c for c in standin.calls if c != "GetSubmission"]
    assert calls == [
        "GetSubmissionLimits",
        "StartSubmissionUpload",
        "PUT upload",
        "CreateSubmission",
    ]
    assert_no_chatter(proc)
    assert_no_secret(proc, project)


PROGRESS_SCRIPT = """
import sys
from kstarter.submit import SubmitOptions, submit
lines = []
result = submit(sys.argv[1], SubmitOptions(message="m", progress=lines.append))
print(result.entry.status, *lines, sep="\\n")
"""


def test_submit_shows_remaining_and_waits_visibly(kaggle_ks, standin, project):
    """The library's progress callback: submissions left, then one line per wait."""
    proc = subprocess.run(
        [sys.executable, "-c", PROGRESS_SCRIPT, str(project)],
        env=kaggle_ks.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    status, *lines = proc.stdout.splitlines()
    assert status == "COMPLETE"
    assert lines[0] == "5 submission(s) left today on heart-disease; uploading submission.csv..."
    assert lines[1].startswith(f"Waiting for Kaggle to score submission {standin.last().ref} (")
    assert proc.stderr == ""  # the client's own chatter never shows


def test_submit_no_wait_records_pending(kaggle_ks, standin, project):
    proc = kaggle_ks("submit", "-m", "later", "--no-wait", cwd=project)
    (entry,) = submissions(project)
    assert entry["status"] == "PENDING" and entry["ref"] == standin.last().ref
    assert entry["public"] is None and standin.last().polls == 0
    assert public_column(project) == [""]
    assert "PENDING" in proc.stdout
    assert_no_secret(proc, project)


def test_submit_refuses_a_code_competition(kaggle_ks, standin, project):
    config = project / "kstarter.yaml"
    config.write_text(
        config.read_text().replace("code_competition: false", "code_competition: true")
    )
    proc = kaggle_ks("submit", "-m", "x", cwd=project, check=False)
    assert_clean_error(proc, "code competition", "notebook")
    assert standin.calls == [] and submissions(project) == []


SUBMIT_FAILURES = {
    # case: (stand-in failure, words of the sentence, status recorded on the run or None)
    "upload": ("upload", ("upload of submission.csv", "failed"), "ERROR"),
    "score-error": ("score-error", ("could not score", SCORE_ERROR), "ERROR"),
    "no-submissions-left": ("no-submissions-left", ("No submissions left",), None),
    "401": ("401", ("HTTP 401",), None),
    "rules": ("rules", ("heart-disease/rules",), None),
    "network": (None, ("Cannot reach Kaggle",), None),
}


@pytest.mark.parametrize("case", list(SUBMIT_FAILURES))
def test_submit_failure_records_no_score(ks, standin, project, case):
    fail, needles, recorded = SUBMIT_FAILURES[case]
    url = f"http://127.0.0.1:{closed_port()}" if case == "network" else standin.url
    point_at(ks, url)
    standin.fail = fail
    proc = ks("submit", "-m", "doomed", cwd=project, check=False)
    assert_clean_error(proc, *needles)
    entries = submissions(project)
    assert [e["status"] for e in entries] == ([recorded] if recorded else [])
    assert all(e["public"] is None and e["error"] for e in entries)
    assert public_column(project) == [""]
    if case == "score-error":
        assert entries[0]["ref"] == standin.last().ref and SCORE_ERROR in entries[0]["error"]
    if case in ("upload", "no-submissions-left"):
        assert "CreateSubmission" not in standin.calls
    if case == "no-submissions-left":
        assert "StartSubmissionUpload" not in standin.calls
    assert_no_chatter(proc)
    assert_no_secret(proc, project)
