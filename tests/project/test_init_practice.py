"""``kstarter init practice/<name>``: each practice competition, made once by the installed
command (the ``practice_run`` fixture), gives the expected spec, summary and data folder.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from kaggle_shaped import SAMPLE_FILE, listing, spec_fields, summary_value

from kstarter.config import load_project
from kstarter.sources import list_practice

PRACTICE = [info.name for info in list_practice()]


# What each practice competition must turn into (kstarter.yaml's `competition:` section).
EXPECTED: dict[str, dict] = {
    "adult-income": {
        "task": "binary",
        "kind": "proba",
        "metric": "auc",
        "id": "id",
        "sample_id": "id",
        "targets": ("income_over_50k",),
        "pred_columns": ("income_over_50k",),
        "classes": (0, 1),
        "label_dtype": "int",
    },
    "abalone-rings": {
        "task": "regression",
        "kind": "value",
        "metric": "rmsle",
        "id": "id",
        "sample_id": "id",
        "targets": ("rings",),
        "pred_columns": ("rings",),
        "classes": (),
    },
    "penguins-species": {
        "task": "multiclass",
        "kind": "class_proba",
        "metric": "mlogloss",
        "id": "id",
        "sample_id": "id",
        "targets": ("species",),
        "pred_columns": ("Adelie", "Chinstrap", "Gentoo"),
        "classes": ("Adelie", "Chinstrap", "Gentoo"),
        "label_dtype": "str",
    },
    "digit-recognizer": {
        "task": "multiclass",
        "kind": "label",
        "metric": "accuracy",
        "id": None,
        "sample_id": "ImageId",
        "targets": ("label",),
        "pred_columns": ("Label",),
        "classes": tuple(range(10)),
        "label_dtype": "int",
    },
    "heart-disease": {
        "task": "binary",
        "kind": "label",
        "metric": "accuracy",
        "id": "PatientId",
        "sample_id": "PatientId",
        "targets": ("HeartDisease",),
        "pred_columns": ("HeartDisease",),
        "classes": (False, True),
        "label_dtype": "bool",
    },
    "breast-cancer": {
        "task": "binary",
        "kind": "label",
        "metric": "mcc",
        "id": "id",
        "sample_id": "id",
        "targets": ("diagnosis",),
        "pred_columns": ("diagnosis",),
        "classes": ("benign", "malignant"),
        "label_dtype": "str",
    },
    "diabetes-progression": {
        "task": "regression",
        "kind": "value",
        "metric": "mae",
        "id": "id",
        "sample_id": "id",
        "targets": ("progression",),
        "pred_columns": ("progression",),
        "classes": (),
    },
}
DIRECTION = {"auc": "maximize", "accuracy": "maximize", "mcc": "maximize"}  # others minimize


def test_every_practice_competition_has_an_expectation() -> None:
    assert sorted(EXPECTED) == sorted(PRACTICE)


def test_practice_inits_leave_only_the_projects(
    practice_run: tuple[Path, dict[str, subprocess.CompletedProcess[str]]],
) -> None:
    cwd, procs = practice_run
    assert {name: p.returncode for name, p in procs.items()} == dict.fromkeys(PRACTICE, 0)
    assert listing(cwd) == sorted(PRACTICE)  # no staging folder, no .kstarter-old


@pytest.mark.parametrize("practice_project", PRACTICE, indirect=True)
def test_practice_summary_names_target_and_metric(
    practice_project: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    project, proc = practice_project
    want = EXPECTED[project.name]
    assert proc.stderr == ""
    assert proc.stdout.splitlines()[0] == f"Created {project}"
    assert summary_value(proc.stdout, "target") == ", ".join(want["targets"])
    direction = DIRECTION.get(want["metric"], "minimize")
    assert summary_value(proc.stdout, "metric") == f"{want['metric']} ({direction})"
    assert summary_value(proc.stdout, "sample") == SAMPLE_FILE.get(
        project.name, "sample_submission.csv"
    )
    assert proc.stdout.rstrip().endswith(f"Next: cd {project.name} && kstarter train")


@pytest.mark.parametrize("practice_project", PRACTICE, indirect=True)
def test_practice_spec(practice_project: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    project, _ = practice_project
    want = EXPECTED[project.name]
    got = spec_fields(project, [*want, "metric_guessed", "source", "name"])
    assert got == {
        **want,
        "metric_guessed": False,
        "source": f"practice/{project.name}",
        "name": project.name,
    }
    spec = load_project(project).spec
    sample = SAMPLE_FILE.get(project.name, "sample_submission.csv")
    assert (spec.files.train, spec.files.test, spec.files.sample_submission) == (
        "train.csv",
        "test.csv",
        sample,
    )
    assert spec.metric_kaggle_name == next(
        i.metric for i in list_practice() if i.name == project.name
    )


@pytest.mark.parametrize("practice_project", PRACTICE, indirect=True)
def test_practice_answer_key_never_lands_in_the_project(
    practice_project: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    project, _ = practice_project
    sample = SAMPLE_FILE.get(project.name, "sample_submission.csv")
    assert listing(project / "data") == sorted(["train.csv", "test.csv", sample, "description.md"])
    for path in project.rglob("*.csv"):
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert "Usage" not in header, path
    test_header = (project / "data/test.csv").read_text(encoding="utf-8").splitlines()[0]
    for target in EXPECTED[project.name]["targets"]:
        assert target not in test_header.split(",")
