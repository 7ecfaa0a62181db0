"""kstarter.kaggle_client's datasets and kernels calls, in process, through the real ``kaggle``
client against the stand-in: the routes and payloads the client sends, and what kstarter makes
of the answers (no training: a tiny dataset folder and notebook)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from kaggle_standin import KERNEL_FAILURE, KERNEL_LOG_ERROR, USERNAME, StandIn, client_in_process

from kstarter.errors import KaggleError
from kstarter.kaggle_client import KernelRun, PushWait, follow_kernel, push_dataset, push_kernel

DATASET = f"{USERNAME}/tiny-artifacts"
KERNEL = f"{USERNAME}/tiny-notebook"


def _dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "artifacts"
    folder.mkdir()
    meta = {"id": DATASET, "title": "tiny artifacts", "licenses": [{"name": "CC0-1.0"}]}
    (folder / "dataset-metadata.json").write_text(json.dumps(meta))
    (folder / "model.txt").write_text("trees")
    return folder


def _notebook(tmp_path: Path) -> Path:
    folder = tmp_path / "notebook"
    folder.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    (folder / "notebook.ipynb").write_text(nbformat.writes(nb))
    meta = {
        "id": KERNEL, "title": "tiny notebook", "code_file": "notebook.ipynb",
        "language": "python", "kernel_type": "notebook", "enable_internet": False,
        "dataset_sources": [DATASET], "competition_sources": ["code-only"],
    }  # fmt: skip
    (folder / "kernel-metadata.json").write_text(json.dumps(meta))
    return folder


def test_a_dataset_is_created_then_versioned_and_waited_for(tmp_path: Path) -> None:
    folder, lines = _dataset(tmp_path), []
    wait = PushWait(timeout=30, poll_seconds=0, progress=lines.append)
    with StandIn() as kaggle, client_in_process(kaggle, tmp_path / "home"):
        first = push_dataset(folder, "code-only", "first", wait)
        second = push_dataset(folder, "code-only", "second", wait)
    assert first.created and not second.created and first.ref == DATASET
    assert kaggle.datasets[DATASET].versions == [{"model.txt": b"trees"}] * 2
    assert "CreateDataset" in kaggle.calls and "CreateDatasetVersion" in kaggle.calls
    assert any(
        line.startswith(f"Waiting for Kaggle to process the dataset {DATASET}") for line in lines
    )


def test_a_dataset_still_processing_at_the_timeout_is_one_sentence(tmp_path: Path) -> None:
    folder, wait = _dataset(tmp_path), PushWait(0.2, 0.05)
    with (
        StandIn(fail="dataset-processing") as kaggle,
        client_in_process(kaggle, tmp_path / "h"),
        pytest.raises(KaggleError, match="still processing.*--no-dataset"),
    ):
        push_dataset(folder, "code-only", "v", wait)


def test_a_notebook_is_pushed_followed_and_its_output_fetched(tmp_path: Path) -> None:
    lines: list[str] = []
    with StandIn() as kaggle, client_in_process(kaggle, tmp_path / "home"):
        push_dataset(_dataset(tmp_path), "code-only", "v", PushWait(30, 0))
        kaggle.kernel_output = b"id,diagnosis\n1,benign\n"
        started = push_kernel(_notebook(tmp_path), "code-only")
        done = follow_kernel(started, "code-only", tmp_path / "out", PushWait(30, 0, lines.append))
    (saved,) = kaggle.kernels[KERNEL]
    assert saved["enableInternet"] is False and saved["competitionDataSources"] == ["code-only"]
    assert json.loads(saved["text"])["cells"][0]["source"] == "print(1)"
    assert started.version == 1 and done.status == "COMPLETE" and done.failure is None
    assert (tmp_path / "out" / "submission.csv").read_bytes() == kaggle.kernel_output
    assert done.log_tail == ("Installing kstarter from wheels",)
    assert lines[0] == f"Notebook {KERNEL}/1: running (0 s)..."


def test_a_failed_notebook_comes_back_with_its_message_and_log_tail(tmp_path: Path) -> None:
    with StandIn() as kaggle, client_in_process(kaggle, tmp_path / "home"):
        push_dataset(_dataset(tmp_path), "code-only", "v", PushWait(30, 0))
        started = push_kernel(_notebook(tmp_path), "code-only")
        kaggle.fail = "kernel-error"
        done = follow_kernel(started, "code-only", tmp_path / "out", PushWait(30, 0))
    assert done.status == "ERROR" and done.failure is not None
    assert KERNEL_FAILURE in done.failure and KERNEL_LOG_ERROR in done.failure
    assert not (tmp_path / "out" / "submission.csv").exists()


def test_a_run_past_the_wait_is_returned_as_it_stands(tmp_path: Path) -> None:
    with StandIn() as kaggle, client_in_process(kaggle, tmp_path / "home"):
        push_dataset(_dataset(tmp_path), "code-only", "v", PushWait(30, 0))
        started = push_kernel(_notebook(tmp_path), "code-only")
        done = follow_kernel(started, "code-only", tmp_path / "out", PushWait(0, 0))
    assert done == KernelRun(KERNEL, 1, started.url, "RUNNING")
