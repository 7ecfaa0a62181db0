"""``kstarter kernel push`` and ``kstarter submit --kernel`` end to end, with the installed
command: against the stand-in Kaggle API through the real ``kaggle`` client (the dataset
created then versioned, the notebook pushed and followed, its output submitted and scored),
each failure Kaggle answers provoked on purpose, and the whole flow offline on a practice
competition (a simulated push runs the notebook here; the answer key scores its output)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import Runner, assert_clean_error
from kaggle_standin import KERNEL_FAILURE, KERNEL_LOG_ERROR, USERNAME, StandIn, closed_port
from test_kaggle_client import assert_no_chatter, assert_no_secret, init_from_standin, point_at

from kstarter.config import load_project
from kstarter.leaderboards import score_key_parts
from kstarter.sources import answer_key

pytestmark = pytest.mark.slow

KERNEL = f"{USERNAME}/code-only-kstarter"
DATASET = f"{USERNAME}/code-only-kstarter-artifacts"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """code-only (a code competition on the stand-in) from `kstarter init`, trained and built."""
    project = init_from_standin(tmp_path_factory, "code-only")
    offline = Runner(tmp_path_factory.mktemp("home"))  # pip builds the wheels: no proxy here
    offline("train", "-q", cwd=project)
    offline("kernel", "build", "--owner", USERNAME, cwd=project)
    return project


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(built, tmp_path / "code-only", symlinks=True))


@pytest.fixture
def standin():
    with StandIn() as server:
        yield server


def _run(project: Path) -> Path:
    (run,) = [d for d in (project / "runs").iterdir() if (d / "metrics.json").is_file()]
    return run


def _entries(project: Path) -> list[dict]:
    path = _run(project) / "submissions.json"
    return json.loads(path.read_text()) if path.exists() else []


def _pushed(project: Path) -> dict:
    return json.loads((project / "kernel" / "push.json").read_text())


def test_push_follows_the_notebook_and_submit_kernel_records_its_score(ks, standin, project):
    point_at(ks, standin.url)
    run = _run(project)
    standin.kernel_output = (run / "submission.csv").read_bytes()  # the notebook predicts the run
    proc = ks("kernel", "push", cwd=project)
    assert standin.calls[:2] == ["GetDatasetStatus", "GetDatasetStatus"]  # absent: created
    created = standin.calls.index("CreateDataset")
    assert set(standin.calls[2:created]) == {"StartBlobUpload", "PUT upload"}
    assert standin.calls[created + 1 :] == [
        "GetDatasetStatus", "GetDatasetStatus",  # BLOBS_RECEIVED, then READY
        "SaveKernel",
        "GetKernelSessionStatus", "GetKernelSessionStatus",  # RUNNING, then COMPLETE
        "ListKernelSessionOutput", "GET output",
    ]  # fmt: skip
    artifacts = project / "kernel" / "artifacts"
    (uploaded,) = standin.datasets[DATASET].versions
    assert uploaded == {
        p.name: p.read_bytes() for p in artifacts.iterdir() if p.name != "dataset-metadata.json"
    }
    (saved,) = standin.kernels[KERNEL]
    assert saved["enableInternet"] is False and saved["datasetDataSources"] == [DATASET]
    assert saved["competitionDataSources"] == ["code-only"] and saved["kernelType"] == "notebook"
    assert "Waiting for Kaggle to process the dataset" in proc.stderr
    assert f"Notebook {KERNEL}/1: running" in proc.stderr
    assert f"Notebook {KERNEL}/1: COMPLETE" in proc.stdout
    pushed = _pushed(project)
    assert pushed["status"] == "COMPLETE" and pushed["version"] == 1 and not pushed["simulated"]
    assert pushed["run"] == run.name
    output = project / "kernel" / "output" / "submission.csv"
    assert output.read_bytes() == standin.kernel_output
    assert (project / "kernel" / "output" / "code-only-kstarter.log").is_file()

    proc = ks("submit", "--kernel", "-m", "notebook", cwd=project)
    assert "CreateCodeSubmission" in standin.calls and "StartSubmissionUpload" not in standin.calls
    sent = standin.last()
    assert sent.data == standin.kernel_output
    (entry,) = _entries(project)
    public = float(sent.final["publicScore"])
    assert entry["status"] == "COMPLETE" and entry["where"] == "kaggle"
    assert entry["public"] == public and entry["kernel"] == f"{KERNEL}/1"
    assert entry["ref"] == sent.ref and entry["message"] == "notebook"
    with (project / "runs.csv").open() as fh:
        assert [row["public"] for row in csv.DictReader(fh)] == [str(public)]
    assert f"{public:.5f}" in proc.stdout and f"notebook {KERNEL}/1" in proc.stdout
    assert_no_chatter(proc)
    assert_no_secret(proc, project)

    # a second push versions the dataset and the notebook
    standin.calls.clear()
    ks("kernel", "push", cwd=project)
    assert "CreateDatasetVersion" in standin.calls and "CreateDataset" not in standin.calls
    assert len(standin.datasets[DATASET].versions) == 2 and len(standin.kernels[KERNEL]) == 2
    assert _pushed(project)["version"] == 2


def test_push_without_the_dataset_uses_the_one_on_kaggle(ks, standin, project):
    point_at(ks, standin.url)
    proc = ks("kernel", "push", "--no-dataset", cwd=project, check=False)
    assert_clean_error(proc, f"Dataset source {DATASET} was not found")  # never pushed
    assert not any("Dataset" in c for c in standin.calls)


def test_a_run_still_going_at_the_timeout_is_followed_by_submit_kernel(ks, standin, project):
    point_at(ks, standin.url)
    standin.kernel_output = (_run(project) / "submission.csv").read_bytes()
    ks("kernel", "push", cwd=project)
    proc = ks("kernel", "push", "--no-dataset", "--timeout", "0", cwd=project)
    assert f"Notebook {KERNEL}/2: RUNNING" in proc.stdout and "follow it at" in proc.stderr
    assert _pushed(project)["status"] == "RUNNING" and _pushed(project)["output"] is None
    ks("submit", "--kernel", "-m", "later", cwd=project)
    assert _pushed(project)["status"] == "COMPLETE"
    (entry,) = _entries(project)
    assert entry["kernel"] == f"{KERNEL}/2" and entry["status"] == "COMPLETE"


PUSH_FAILURES = {
    # case: (stand-in failure, push options, words of the sentence)
    "dataset-processing": (
        "dataset-processing",
        ("--timeout", "0.5"),
        (f"dataset {DATASET} is still processing", "--no-dataset"),
    ),
    "kernel-error": ("kernel-error", (), (KERNEL_FAILURE, KERNEL_LOG_ERROR, "kernel check")),
    "missing-credentials": (None, (), ("No Kaggle credentials found",)),
    "401": ("401", (), ("HTTP 401",)),
    "rules": ("rules", (), ("could not attach the competition code-only", "code-only/rules")),
    "network": (None, (), ("Cannot reach Kaggle",)),
}


@pytest.mark.parametrize("case", list(PUSH_FAILURES))
def test_push_failure_is_one_sentence(ks, standin, project, case):
    fail, options, needles = PUSH_FAILURES[case]
    url = f"http://127.0.0.1:{closed_port()}" if case == "network" else standin.url
    point_at(ks, url, credentials="none" if case == "missing-credentials" else "env")
    standin.fail = fail
    proc = ks("kernel", "push", *options, cwd=project, check=False)
    assert_clean_error(proc, *needles)
    assert not (project / "kernel" / "output" / "submission.csv").exists()
    if case == "kernel-error":
        assert _pushed(project)["status"] == "ERROR"
        proc = ks("submit", "--kernel", "-m", "x", cwd=project, check=False)
        assert_clean_error(proc, "no output to submit", "kernel push")
    assert_no_chatter(proc)
    assert_no_secret(proc, project)


SUBMIT_FAILURES = {
    "no-submissions-left": ("No submissions left",),
    "rules": ("code-only/rules",),
}


@pytest.mark.parametrize("case", list(SUBMIT_FAILURES))
def test_submit_kernel_failure_is_one_sentence_and_records_no_score(ks, standin, project, case):
    point_at(ks, standin.url)
    ks("kernel", "push", cwd=project)
    standin.fail = case
    proc = ks("submit", "--kernel", "-m", "doomed", cwd=project, check=False)
    assert_clean_error(proc, *SUBMIT_FAILURES[case])
    assert _entries(project) == [] and standin.submissions == {}
    assert_no_secret(proc, project)


def test_submit_kernel_before_any_push_says_what_to_do(ks, standin, project):
    point_at(ks, standin.url)
    proc = ks("submit", "--kernel", "-m", "x", cwd=project, check=False)
    assert_clean_error(proc, "kernel push")
    assert standin.calls == []


def test_a_practice_code_competition_goes_through_the_whole_flow_offline(ks, tmp_path):
    ks("init", "practice/heart-disease", "--code-competition", cwd=tmp_path)
    project = tmp_path / "heart-disease"
    ks("train", "--quiet", cwd=project)
    ks("kernel", "build", "--owner", "me", cwd=project)
    ks("kernel", "check", cwd=project)
    proc = ks("kernel", "push", cwd=project)
    assert "simulated" in proc.stderr and "me/heart-disease-kstarter/1: COMPLETE" in proc.stdout
    pushed = _pushed(project)
    assert pushed["simulated"] is True and pushed["status"] == "COMPLETE"
    run = _run(project)
    output = project / pushed["output"]
    # the notebook, on the project's own test file, predicts what the run predicted
    pd.testing.assert_frame_equal(
        pd.read_csv(output), pd.read_csv(run / "submission.csv"), check_exact=False, rtol=1e-9
    )
    proc = ks("submit", "--kernel", "-m", "notebook", cwd=project)
    (entry,) = _entries(project)
    spec = load_project(project).spec
    public, private = score_key_parts(spec, pd.read_csv(output), answer_key("heart-disease"))
    assert entry["where"] == "practice" and entry["kernel"] == "me/heart-disease-kstarter/1"
    assert entry["public"] == pytest.approx(public.score)
    assert entry["private"] == pytest.approx(private.score)
    assert "notebook me/heart-disease-kstarter/1" in proc.stdout
    proc = ks("runs", "--private", cwd=project)
    assert f"{private.score:.4f}"[:5] in proc.stdout
