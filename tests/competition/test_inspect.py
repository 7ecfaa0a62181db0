"""What ``kstarter init`` makes of Kaggle-shaped zips: the spec inspection finds (id, targets,
task, submission kind, classes, metric) and the options that fix a wrong guess.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import Runner, assert_clean_error, make_zip
from kaggle_shaped import (
    PROJECT_FILES,
    assert_data_untouched,
    binary_sample,
    binary_target,
    columns_csv,
    comp,
    file_set,
    float_sample,
    float_target,
    head,
    init_zip,
    listing,
    notes,
    ruff,
    spec_fields,
    species_sample,
    species_target,
    summary_value,
    tail,
    titanic,
    two_species_target,
    with_blanks,
)

from kstarter.config import load_project


def test_titanic_zip(ks: Runner, tmp_path: Path) -> None:
    files = titanic()
    proc, project = init_zip(ks, tmp_path, files, stem="titanic")
    assert listing(tmp_path) == ["titanic", "titanic.zip"]
    assert file_set(project) == PROJECT_FILES | {f"data/{n}" for n in files}
    assert_data_untouched(project, files)
    spec = load_project(project).spec
    assert spec.name == "titanic"
    assert spec.files.sample_submission == "gender_submission.csv"
    assert (spec.id, spec.sample_id, spec.targets, spec.pred_columns) == (
        "PassengerId",
        "PassengerId",
        ("Survived",),
        ("Survived",),
    )
    assert (spec.task, spec.kind, spec.classes, spec.label_dtype) == (
        "binary",
        "label",
        (0, 1),
        "int",
    )
    assert (spec.metric, spec.metric_guessed, spec.drop) == ("accuracy", True, ())
    assert summary_value(proc.stdout, "id") == "PassengerId"
    assert summary_value(proc.stdout, "target") == "Survived"
    metric_line = summary_value(proc.stdout, "metric")
    assert metric_line.startswith("accuracy (maximize)") and "guess" in metric_line
    assert any("No metric given" in n for n in notes(proc.stdout))
    assert "guess" in (project / "README.md").read_text(encoding="utf-8").lower()
    assert ruff("check", cwd=project, home=tmp_path).returncode == 0


def test_titanic_zip_with_metric_auc_submits_probabilities(ks: Runner, tmp_path: Path) -> None:
    proc, project = init_zip(ks, tmp_path, titanic(), "--metric", "auc", stem="titanic")
    spec = load_project(project).spec
    assert (spec.task, spec.kind, spec.metric, spec.metric_guessed) == (
        "binary",
        "proba",
        "auc",
        False,
    )
    assert summary_value(proc.stdout, "metric") == "auc (maximize)"
    assert "guess" not in proc.stdout


def test_kaggle_display_name_as_metric(ks: Runner, tmp_path: Path) -> None:
    proc, project = init_zip(
        ks, tmp_path, titanic(), "--metric", "Area Under Receiver Operating Characteristic Curve"
    )
    assert spec_fields(project, ["metric", "kind", "metric_guessed"]) == {
        "metric": "auc",
        "kind": "proba",
        "metric_guessed": False,
    }


def test_renamed_sample_submission(ks: Runner, tmp_path: Path) -> None:
    files = comp(binary_target, binary_sample, sample_name="sampleSubmission.csv")
    proc, project = init_zip(ks, tmp_path, files)
    spec = load_project(project).spec
    assert spec.files == type(spec.files)("train.csv", "test.csv", "sampleSubmission.csv")
    assert (spec.task, spec.kind, spec.targets, spec.id) == ("binary", "label", ("y",), "id")
    assert summary_value(proc.stdout, "sample") == "sampleSubmission.csv"
    assert_data_untouched(project, files)


def digits(n_train: int = 160, n_test: int = 60, seed: int = 3) -> dict[str, str]:
    """Digit Recognizer's shape: test has only pixels; the sample numbers images 1..n."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    label = rng.integers(0, 4, n)
    pixels = np.clip(rng.poisson(3, (n, 16)) + 4 * (np.arange(16) % 4 == label[:, None]), 0, 16)
    cols = {f"pixel{i}": pixels[:, i].tolist() for i in range(16)}
    train = {"label": label.tolist()} | cols
    return {
        "train.csv": columns_csv(head(train, n_train)),
        "test.csv": columns_csv(tail(cols, n_train)),
        "sample_submission.csv": columns_csv(
            {"ImageId": list(range(1, n_test + 1)), "Label": [0] * n_test}
        ),
    }


def test_no_id_in_test(ks: Runner, tmp_path: Path) -> None:
    proc, project = init_zip(ks, tmp_path, digits())
    assert spec_fields(
        project, ["id", "sample_id", "targets", "pred_columns", "task", "kind", "classes"]
    ) == {
        "id": None,
        "sample_id": "ImageId",
        "targets": ("label",),
        "pred_columns": ("Label",),
        "task": "multiclass",
        "kind": "label",
        "classes": (0, 1, 2, 3),
    }
    assert summary_value(proc.stdout, "id").startswith("(none")
    assert any("Test has no id column" in n for n in notes(proc.stdout))


def spaceship(n_train: int = 180, n_test: int = 70, seed: int = 4) -> dict[str, str]:
    """Spaceship Titanic's shape: string ids, True/False target and features, blanks."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    cryo = rng.random(n) < 0.35
    spend = np.round(np.where(cryo, 0, rng.exponential(400, n)), 1)
    planet = rng.choice(["Earth", "Europa", "Mars"], n)
    transported = rng.random(n) < np.where(cryo, 0.8, 0.3) + 0.1 * (planet == "Europa")
    cols = {
        "PassengerId": [f"{i // 2 + 1:04d}_{i % 2 + 1:02d}" for i in range(n)],
        "HomePlanet": with_blanks(planet, rng, 0.02),
        "CryoSleep": with_blanks(cryo, rng, 0.02, always=(7,)),
        "RoomService": spend.tolist(),
    }
    train = cols | {"Transported": transported.tolist()}
    test = tail(cols, n_train)
    sample = {"PassengerId": test["PassengerId"], "Transported": [False] * n_test}
    return {
        "train.csv": columns_csv(head(train, n_train)),
        "test.csv": columns_csv(test),
        "sample_submission.csv": columns_csv(sample),
    }


def test_bool_labels(ks: Runner, tmp_path: Path) -> None:
    _, project = init_zip(ks, tmp_path, spaceship())
    spec = load_project(project).spec
    assert (spec.task, spec.kind, spec.label_dtype, spec.id) == (
        "binary",
        "label",
        "bool",
        "PassengerId",
    )
    assert spec.classes == (False, True)
    assert all(type(c) is bool for c in spec.classes)
    assert spec.targets == ("Transported",)


def test_string_labels_multiclass(ks: Runner, tmp_path: Path) -> None:
    proc, project = init_zip(ks, tmp_path, comp(species_target, species_sample))
    spec = load_project(project).spec
    assert (spec.task, spec.kind, spec.label_dtype, spec.metric) == (
        "multiclass",
        "label",
        "str",
        "accuracy",
    )
    assert spec.classes == ("Iris-setosa", "Iris-versicolor", "Iris-virginica")
    assert summary_value(proc.stdout, "task") == "multiclass (3 classes)"


def test_string_labels_binary(ks: Runner, tmp_path: Path) -> None:
    _, project = init_zip(ks, tmp_path, comp(two_species_target, species_sample))
    assert spec_fields(project, ["task", "kind", "label_dtype", "classes"]) == {
        "task": "binary",
        "kind": "label",
        "label_dtype": "str",
        "classes": ("Iris-setosa", "Iris-virginica"),
    }


def status_target(latent: np.ndarray, rng: np.random.Generator) -> dict[str, list]:
    return {"Status": np.array(["C", "CL", "D"])[np.digitize(latent, [0.3, 0.9])].tolist()}


@pytest.mark.parametrize(
    "order", [("C", "CL", "D"), ("D", "C", "CL")], ids=["kaggle-order", "shuffled"]
)
def test_one_probability_column_per_class(
    ks: Runner, tmp_path: Path, order: tuple[str, ...]
) -> None:
    share = {"C": 0.628, "CL": 0.034, "D": 0.338}  # Kaggle's cirrhosis sample values

    def sample(ids: list[int]) -> dict[str, list]:
        return {"id": ids} | {f"Status_{c}": [share[c]] * len(ids) for c in order}

    proc, project = init_zip(ks, tmp_path, comp(status_target, sample))
    assert spec_fields(
        project, ["targets", "task", "kind", "classes", "pred_columns", "metric", "metric_guessed"]
    ) == {
        "targets": ("Status",),
        "task": "multiclass",
        "kind": "class_proba",
        "classes": ("C", "CL", "D"),
        "pred_columns": ("Status_C", "Status_CL", "Status_D"),
        "metric": "mlogloss",
        "metric_guessed": True,
    }
    assert summary_value(proc.stdout, "submission") == "one probability column per class"


def test_float_regression(ks: Runner, tmp_path: Path) -> None:
    proc, project = init_zip(ks, tmp_path, comp(float_target, float_sample))
    assert spec_fields(project, ["targets", "task", "kind", "metric", "classes"]) == {
        "targets": ("y",),
        "task": "regression",
        "kind": "value",
        "metric": "rmse",
        "classes": (),
    }
    assert summary_value(proc.stdout, "metric").startswith("rmse (minimize)")


def test_multi_target(ks: Runner, tmp_path: Path) -> None:
    def targets(latent: np.ndarray, rng: np.random.Generator) -> dict[str, list]:
        return {
            "target_a": np.round(latent, 4).tolist(),
            "target_b": np.round(2 * latent + rng.normal(size=len(latent)), 4).tolist(),
        }

    def sample(ids: list[int]) -> dict[str, list]:
        return {"id": ids, "target_a": [0.0] * len(ids), "target_b": [0.0] * len(ids)}

    proc, project = init_zip(ks, tmp_path, comp(targets, sample))
    assert spec_fields(project, ["targets", "pred_columns", "task", "kind", "metric"]) == {
        "targets": ("target_a", "target_b"),
        "pred_columns": ("target_a", "target_b"),
        "task": "multitarget",
        "kind": "value",
        "metric": "mcrmse",
    }
    assert summary_value(proc.stdout, "target") == "target_a, target_b"


def test_train_only_columns_are_dropped(ks: Runner, tmp_path: Path) -> None:
    def train_only(latent: np.ndarray, rng: np.random.Generator) -> dict[str, list]:
        return {
            "y_log": np.round(np.log1p(np.abs(latent)), 4).tolist(),
            "outcome_date": ["2024-01-01"] * len(latent),
        }

    files = comp(float_target, float_sample, train_only=train_only)
    proc, project = init_zip(ks, tmp_path, files)
    spec = load_project(project).spec
    assert spec.targets == ("y",)
    assert spec.drop == ("y_log", "outcome_date")
    dropped = [n for n in notes(proc.stdout) if "In train but not in test" in n]
    assert dropped == ["In train but not in test, never used as features: y_log, outcome_date."]
    assert "y_log, outcome_date" in (project / "README.md").read_text(encoding="utf-8")


def ambiguous(seed: int = 5) -> dict[str, str]:
    """Two train-only columns, a sample column named after neither, and `Id` against `id`."""

    def targets(latent: np.ndarray, rng: np.random.Generator) -> dict[str, list]:
        return float_target(latent, rng) | {"y_raw": np.round(latent, 4).tolist()}

    def sample(ids: list[int]) -> dict[str, list]:
        return {"Id": ids, "prediction": [0.0] * len(ids)}

    return comp(targets, sample, seed=seed)


def test_overrides_fix_wrong_guesses(ks: Runner, tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "comp.zip", ambiguous())
    guessed = ks("init", str(archive), cwd=tmp_path, check=False)
    assert_clean_error(guessed, "Cannot tell the target", "y, y_raw", "--target")
    assert listing(tmp_path) == ["comp.zip"]

    proc = ks("init", str(archive), "--target", "y", "--dir", "target-only", cwd=tmp_path)
    half = load_project(tmp_path / "target-only").spec
    assert (half.targets, half.drop, half.id) == (("y",), ("y_raw",), None)  # id guessed wrong
    assert any("Test has no id column" in n for n in notes(proc.stdout))

    proc = ks(
        "init",
        str(archive),
        "--target",
        "y",
        "--id",
        "id",
        "--metric",
        "Mean Absolute Error",
        cwd=tmp_path,
    )
    assert spec_fields(
        tmp_path / "comp",
        ["targets", "id", "sample_id", "pred_columns", "drop", "task", "metric", "metric_guessed"],
    ) == {
        "targets": ("y",),
        "id": "id",
        "sample_id": "Id",
        "pred_columns": ("prediction",),
        "drop": ("y_raw",),
        "task": "regression",
        "metric": "mae",
        "metric_guessed": False,
    }
    assert summary_value(proc.stdout, "id") == "id"
    assert summary_value(proc.stdout, "metric") == "mae (minimize)"
