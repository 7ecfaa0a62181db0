"""The typed run record: metrics.json and submissions.json keep their content and key order,
files written by earlier versions are read, and train and blend write through one writer."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kstarter.config import Project
from kstarter.errors import ConfigError
from kstarter.runs import (
    Member,
    RunMetrics,
    RunOutput,
    SubmissionEntry,
    list_runs,
    read_metrics,
    read_submissions,
    record_submission,
)

# The two layouts of metrics.json as every version since the first has written them.
TRAIN_KEYS = [
    "metric", "direction", "fold_scores", "cv_mean", "cv_std", "oof_score", "best_iterations",
    "decision", "model", "seed", "params", "params_source", "params_hash", "folds_hash",
    "config_hash", "threads", "n_features", "rows", "seconds", "fold_seconds", "created",
]  # fmt: skip
BLEND_KEYS = [
    "metric", "direction", "fold_scores", "cv_mean", "cv_std", "oof_score", "best_iterations",
    "decision", "model", "seed", "params", "params_source", "params_hash", "folds_hash",
    "config_hash", "members", "n_features", "rows", "fold_seconds", "created", "seconds",
]  # fmt: skip
PRACTICE_ENTRY_KEYS = [
    "date", "message", "where", "status", "cv", "public", "private", "remaining_today",
]  # fmt: skip
KAGGLE_ENTRY_KEYS = [
    "date", "message", "description", "where", "cv", "competition", "status", "ref", "public",
    "private", "error", "remaining_today",
]  # fmt: skip
TRAIN_FILES = {
    "config.yaml", "features.py", "metrics.json", "submission.csv", "oof.csv", "test_pred.csv",
    "importance.csv", "importance.png", "train.log", "report.html", "models",
}  # fmt: skip
BLEND_FILES = {
    "config.yaml", "metrics.json", "submission.csv", "oof.csv", "test_pred.csv", "blend.log",
    "report.html",
}  # fmt: skip


def _trained_metrics() -> RunMetrics:
    return RunMetrics(
        metric="auc",
        direction="maximize",
        fold_scores=(0.91, 0.93),
        cv_mean=0.92,
        cv_std=0.01,
        oof_score=0.9201,
        best_iterations=(120, 98),
        decision={"kind": "none", "threshold": None, "cuts": []},
        model="lightgbm",
        seed=42,
        params={"learning_rate": 0.05, "num_threads": 2},
        params_source="default",
        params_hash="0123456789ab",
        folds_hash="fedcba9876543210",
        config_hash="abcdefabcdef",
        threads=2,
        n_features=13,
        rows=303,
        seconds=1.5,
        fold_seconds=(0.7, 0.8),
        created="2025-01-02T03:04:05.123456+00:00",
    )


def _blend_metrics() -> RunMetrics:
    members = (
        Member("20250102-030405-lightgbm", 0.6, 0.92, 0.01, 0.9201, (0.91, 0.93)),
        Member("20250102-030410-linear", 0.4, 0.9, 0.02, 0.899, (0.88, 0.92)),
    )
    return replace(
        _trained_metrics(),
        best_iterations=(),
        model="blend",
        seed=None,
        params={"method": "weights", "weights": {m.run: m.weight for m in members}},
        params_source="blend",
        threads=None,
        members=members,
        n_features=None,
        fold_seconds=(),
    )


def _through_json(data: dict[str, Any]) -> dict[str, Any]:
    """As a file holds it: dumped the way the writers dump, read back."""
    return json.loads(json.dumps(data, indent=2, default=str))


# ---------------------------------------------------------------- round trips and key order


@pytest.mark.parametrize(
    "metrics, keys", [(_trained_metrics(), TRAIN_KEYS), (_blend_metrics(), BLEND_KEYS)]
)
def test_run_metrics_round_trip_in_the_file_layout(metrics: RunMetrics, keys: list[str]) -> None:
    data = _through_json(metrics.to_json())
    assert list(data) == keys
    back = RunMetrics.from_json(data)
    assert back == metrics
    assert list(back.to_json().items()) == list(data.items())  # values and order, again


def test_a_blend_record_has_members_and_no_threads() -> None:
    data = _blend_metrics().to_json()
    assert "threads" not in data and data["members"][0] == {
        "run": "20250102-030405-lightgbm",
        "weight": 0.6,
        "cv_mean": 0.92,
        "cv_std": 0.01,
        "oof_score": 0.9201,
        "fold_scores": [0.91, 0.93],
    }
    assert _blend_metrics().blend_method == "weights" and _trained_metrics().blend_method is None


def test_submission_entries_round_trip_in_each_leaderboards_layout() -> None:
    # exactly as kaggle_client builds its dicts, in their order
    kaggle = {
        "date": "2025-01-02T03:04:05+00:00", "message": "more leaves",
        "description": "more leaves | run r1 | CV auc 0.92000", "where": "kaggle", "cv": 0.92,
        "competition": "titanic", "status": "ERROR", "ref": None, "public": None,
        "private": None, "error": "upload failed: 503", "remaining_today": 3,
    }  # fmt: skip
    entry = SubmissionEntry.from_json(kaggle)
    assert entry.status == "ERROR" and entry.ref is None and entry.remaining_today == 3
    assert list(entry.to_json().items()) == list(kaggle.items())
    practice = SubmissionEntry(
        date="2025-01-02T03:04:05+00:00",
        message="baseline",
        where="practice",
        status="COMPLETE",
        cv=0.92,
        public=0.9,
        private=0.91,
        remaining_today=4,
    )
    data = _through_json(practice.to_json())
    assert list(data) == PRACTICE_ENTRY_KEYS
    assert SubmissionEntry.from_json(data) == practice and practice.scored


def test_a_field_outside_the_layout_is_not_dropped() -> None:
    odd = SubmissionEntry(where="practice", status="ERROR", error="scored twice")
    assert odd.to_json()["error"] == "scored twice"
    assert list(odd.to_json())[: len(PRACTICE_ENTRY_KEYS)] == PRACTICE_ENTRY_KEYS


# ---------------------------------------------------------------- files of earlier versions


def _old_run(root: Path) -> Path:
    """A run folder as the first version wrote it: no threads in metrics.json, no
    remaining_today in submissions.json; plus a key no version of kstarter knows."""
    run = root / "runs" / "20240101-000000-lightgbm"
    run.mkdir(parents=True)
    metrics = {
        "metric": "rmse", "direction": "minimize", "fold_scores": [3.0, 3.2], "cv_mean": 3.1,
        "cv_std": 0.1, "oof_score": 3.11, "best_iterations": [50, 60],
        "decision": {"kind": "none", "threshold": None, "cuts": []}, "model": "lightgbm",
        "seed": 42, "params": {"learning_rate": 0.1}, "params_source": "default",
        "params_hash": "aaaaaaaaaaaa", "folds_hash": "bbbbbbbbbbbbbbbb",
        "config_hash": "cccccccccccc", "n_features": 8, "rows": 400, "seconds": 2.5,
        "fold_seconds": [1.2, 1.3], "created": "2024-01-01T00:00:00.000001+00:00",
        "gpu": {"used": False},
    }  # fmt: skip
    (run / "metrics.json").write_text(json.dumps(metrics, indent=2))
    entries = [
        {"date": "2024-01-01T00:10:00+00:00", "message": "first", "where": "practice",
         "status": "COMPLETE", "cv": 3.1, "public": 3.4, "private": 3.3, "note": "by hand"},
    ]  # fmt: skip
    (run / "submissions.json").write_text(json.dumps(entries, indent=2))
    return run


def test_an_old_run_folder_is_read_and_its_unknown_keys_kept(tmp_path: Path) -> None:
    run = _old_run(tmp_path)
    (record,) = list_runs(tmp_path)
    m = record.metrics
    assert m.threads is None and m.members is None and m.cv_mean == 3.1
    assert m.fold_scores == (3.0, 3.2) and m.extra == {"gpu": {"used": False}}
    assert list(m.to_json())[-1] == "gpu"  # kept, after the known keys
    assert record.row() == {
        "run": "20240101-000000-lightgbm", "created": "2024-01-01T00:00:00.000001+00:00",
        "model": "lightgbm", "metric": "rmse", "cv_mean": 3.1, "cv_std": 0.1, "oof": 3.11,
        "public": 3.4, "private": 3.3, "seconds": 2.5, "folds_hash": "bbbbbbbbbbbbbbbb",
        "params_hash": "aaaaaaaaaaaa",
    }  # fmt: skip
    (old,) = record.submissions
    assert old.scored and old.remaining_today is None and old.extra == {"note": "by hand"}

    new = SubmissionEntry(
        date="2024-01-02T00:00:00+00:00", message="second", where="practice",
        status="COMPLETE", cv=3.1, public=3.35, private=3.25, remaining_today=4,
    )  # fmt: skip
    updated = record_submission(tmp_path, record, new)
    assert updated.latest_scored == new
    written = json.loads((run / "submissions.json").read_text())
    # the old entry in today's layout (the key it lacked as null), its unknown key kept
    assert list(written[0]) == [*PRACTICE_ENTRY_KEYS, "note"]
    assert written[0]["remaining_today"] is None and written[0]["note"] == "by hand"
    assert written[0]["public"] == 3.4 and list(written[1]) == PRACTICE_ENTRY_KEYS
    assert read_submissions(run / "submissions.json") == [old, new]
    (row,) = csv.DictReader((tmp_path / "runs.csv").read_text().splitlines())
    assert row["public"] == "3.35" and row["cv_mean"] == "3.1"


def test_hand_written_entries_with_few_keys_are_read(tmp_path: Path) -> None:
    path = tmp_path / "submissions.json"
    path.write_text(json.dumps([{"date": "2025-01-01T00:00:00", "status": "PENDING", "ref": 7}]))
    (entry,) = read_submissions(path)
    assert entry.status == "PENDING" and entry.ref == 7 and entry.message is None
    assert not entry.scored


@pytest.mark.parametrize(
    "text, words",
    [
        ('{"metric": "auc", "direction": "maximize", "fold_scores": []}', "lacks cv_mean"),
        ('{"metric": "auc", "cv_mean": 0.9', "is damaged .not JSON"),
        ("[1, 2]", "holds list"),
        ("", "not JSON"),
    ],
)
def test_a_file_that_is_not_a_run_record_is_named(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "runs" / "r1" / "metrics.json"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(ConfigError, match=words) as err:
        read_metrics(path)
    assert "runs/r1/metrics.json" in str(err.value)


# ---------------------------------------------------------------- one writer for train and blend


def test_train_and_blend_write_through_one_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kstarter.blend import BlendOptions, blend
    from kstarter.project import init_project
    from kstarter.runs import _writer
    from kstarter.train import TrainOptions, train

    written: list[str] = []
    write_files = _writer._write_files

    def spy(d: Path, project: Project, run_id: str, output: RunOutput) -> None:
        written.append(run_id)
        write_files(d, project, run_id, output)

    monkeypatch.setattr(_writer, "_write_files", spy)
    project = init_project("practice/heart-disease", tmp_path / "hd").path
    runs = [train(project, TrainOptions(model=m)) for m in ("lightgbm", "linear")]
    blended = blend(project, BlendOptions(tuple(r.run_id for r in runs), "mean"))
    assert written == [runs[0].run_id, runs[1].run_id, blended.run_id]

    for result, files, keys in (
        (runs[0], TRAIN_FILES, TRAIN_KEYS),
        (runs[1], TRAIN_FILES, TRAIN_KEYS),
        (blended, BLEND_FILES, BLEND_KEYS),
    ):
        assert {p.name for p in result.path.iterdir()} == files
        raw = json.loads((result.path / "metrics.json").read_text())
        assert list(raw) == keys
        assert read_metrics(result.path / "metrics.json") == result.metrics
        assert list(result.metrics.to_json().items()) == list(raw.items())
    assert blended.metrics.members == blended.members
    assert [m.run for m in blended.members] == [r.run_id for r in runs]
    assert [m.cv_mean for m in blended.members] == [r.metrics.cv_mean for r in runs]
    ids = [r.id for r in list_runs(project)]
    assert ids == [runs[0].run_id, runs[1].run_id, blended.run_id]
