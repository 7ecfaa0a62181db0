"""Damaged project files (issue 16.10): one unreadable file never blocks every command. A
damaged run is skipped with one warning naming the file and the fix; damaged folds, tuned
parameters or a --params file are one sentence with the fix; a damaged cache is rebuilt; a
deleted data file is named with how to get it back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from faults import make_trained, one_sentence, project_copy, snapshot, warnings_of

from kstarter import paths
from kstarter.runs import list_runs


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_trained(tmp_path_factory.mktemp("template"))


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    return project_copy(template, tmp_path / "p")


def _runs(project: Path) -> list[Path]:
    return sorted((project / paths.RUNS).iterdir(), key=lambda p: p.name)


DAMAGE = {
    "truncated": lambda data: data[: len(data) // 2],
    "not an object": lambda data: b"[1, 2, 3]\n",
    "not text": lambda data: b"\xff\xfe\x00garbage",
    "wrong types": lambda data: json.dumps({**json.loads(data), "fold_scores": 3}).encode(),
}


def _damage(path: Path, how: str) -> None:
    path.write_bytes(DAMAGE[how](path.read_bytes()))


@pytest.mark.parametrize("how", list(DAMAGE))
def test_a_damaged_run_is_skipped_with_one_warning(ks, project: Path, how: str) -> None:
    lgbm, linear = _runs(project)
    _damage(lgbm / paths.RunFiles.METRICS, how)
    # a third run, so the remaining two can still be blended
    ks("train", "--model", "knn", "-q", cwd=project)

    listed = ks("runs", "--json", cwd=project)
    shown = [row["run"] for row in json.loads(listed.stdout)]
    assert lgbm.name not in shown and linear.name in shown and len(shown) == 2
    (warning,) = warnings_of(listed)
    assert f"runs/{lgbm.name}/metrics.json is damaged" in warning
    assert "skipped" in warning and "delete the folder" in warning

    commands = [("blend",), ("submit", "--dry-run"), ("submit", "-m", "x"), ("runs",)]
    if how == "truncated":  # auto reads every run too (a few seconds: once is enough)
        commands.append(("auto", "--budget", "3", "-q"))
    for command in commands:
        proc = ks(*command, cwd=project)
        assert len(warnings_of(proc)) == 1, proc.stderr
        assert "Traceback" not in proc.stderr

    named = ks("submit", lgbm.name, "--dry-run", cwd=project, check=False)
    one_sentence(named, f"runs/{lgbm.name}/metrics.json is damaged")


def test_a_damaged_submissions_file_loses_only_its_scores_and_is_never_overwritten(
    ks, project: Path
) -> None:
    lgbm, linear = _runs(project)
    ks("submit", linear.name, "-m", "first", cwd=project)
    record = linear / paths.RunFiles.SUBMISSIONS
    record.write_text(record.read_text()[:40])  # cut short
    before = record.read_bytes()

    listed = ks("runs", "--json", cwd=project)
    assert {row["run"] for row in json.loads(listed.stdout)} == {lgbm.name, linear.name}
    (warning,) = warnings_of(listed)
    assert f"runs/{linear.name}/submissions.json is damaged" in warning

    refused = ks("submit", linear.name, "-m", "again", cwd=project, check=False)
    one_sentence(refused, "submissions.json is damaged", "restore it")
    assert record.read_bytes() == before  # the user's record of submissions is not lost
    # and nothing was uploaded: the practice board's count is unchanged
    ks("submit", lgbm.name, "-m", "other run", cwd=project)


@pytest.mark.parametrize(
    "name, text",
    [
        (paths.FOLDS_META, '{"cv": '),
        (paths.FOLDS_META, "[]"),
        (paths.FOLDS, "row,fold\n0,a\n1,b\n"),
        (paths.FOLDS, "\x00\x01garbage"),
        (paths.FOLDS, ""),
    ],
)
def test_damaged_folds_advise_refold(ks, project: Path, name: str, text: str) -> None:
    (project / name).write_text(text)
    proc = ks("train", "-q", cwd=project, check=False)
    one_sentence(proc, "is damaged", "kstarter train --refold")
    ks("train", "-q", "--refold", cwd=project)  # and the advice works


def test_damaged_tuned_params_advise_retuning_which_works(ks, project: Path) -> None:
    ks("tune", "--trials", "1", "-q", cwd=project)
    tuned = project / paths.TUNED_PARAMS
    good = tuned.read_text()
    tuned.write_text(good[: len(good) // 2] + "\n  - [unclosed\n")

    proc = ks("train", "--params", "tuned", "-q", cwd=project, check=False)
    one_sentence(proc, "tuned_params.yaml is damaged", "kstarter tune --trials 0")
    ks("tune", "--trials", "0", "-q", cwd=project)  # the advice: written again from the study
    assert tuned.read_text().split("\n", 2)[2] == good.split("\n", 2)[2]  # past the timestamp
    ks("train", "--params", "tuned", "-q", cwd=project)


@pytest.mark.parametrize("text", ["a: [1, 2\n", b"\xff\xfe\x00", "- just\n- a list\n"])
def test_a_bad_params_file_is_one_sentence(ks, project: Path, text: str | bytes) -> None:
    bad = project / "mine.yaml"
    bad.write_bytes(text if isinstance(text, bytes) else text.encode())
    proc = ks("train", "--params", str(bad), "-q", cwd=project, check=False)
    one_sentence(proc, "mine.yaml", "--params default")


def test_a_damaged_cache_is_rebuilt(ks, project: Path) -> None:
    cache = project / paths.CACHE
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in entries) and any(p.suffix == ".bin" for p in entries)
    for p in entries:
        p.write_bytes(p.read_bytes()[: max(1, p.stat().st_size // 3)])
    lgbm, _ = _runs(project)
    proc = ks("train", "-q", cwd=project)
    assert "Traceback" not in proc.stderr and "Error" not in proc.stderr
    new = max(_runs(project), key=lambda p: p.stat().st_mtime_ns)
    old = json.loads((lgbm / paths.RunFiles.METRICS).read_text())
    assert json.loads((new / paths.RunFiles.METRICS).read_text())["cv_mean"] == old["cv_mean"]
    # the cache was written again, whole
    assert any((e / "names.json").is_file() for e in cache.iterdir())


@pytest.mark.parametrize("name", ["train.csv", "test.csv", "sample_submission.csv"])
def test_a_deleted_data_file_is_named_with_how_to_restore_it(ks, project: Path, name: str) -> None:
    (project / paths.DATA / name).unlink()
    before = snapshot(project)
    command = ("submit", "--dry-run") if name == "sample_submission.csv" else ("train", "-q")
    proc = ks(*command, cwd=project, check=False)
    one_sentence(proc, f"data/{name} is missing", "copy it back", "kstarter init")
    assert snapshot(project) == before
    assert len(list_runs(project)) == 2
