"""``kstarter init`` end to end: the installed command on practice data and Kaggle-shaped zips.

Every project is made by the installed ``kstarter`` command in ``tmp_path`` and read back with
:func:`kstarter.config.load_project`, the way ``kstarter train`` reads it.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from conftest import Runner, assert_clean_error, csv_text, make_zip

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
SAMPLE_FILE = {"breast-cancer": "sampleSubmission.csv"}
DIRECTION = {"auc": "maximize", "accuracy": "maximize", "mcc": "maximize"}  # others minimize
GENERATED = {".gitignore", "README.md", "features.py", "kstarter.yaml", "notebooks/eda.ipynb"}
# everything init writes besides data/: the templates and its brief check's saved findings
PROJECT_FILES = GENERATED | {".kstarter/check.json"}
TEMPLATE_SYNTAX = ("{{", "{%", "{#")
HEAVY = {"pandas", "numpy", "lightgbm", "sklearn", "optuna", "kaggle", "matplotlib"}


def spec_fields(project: Path, names) -> dict:
    spec = load_project(project).spec
    return {k: getattr(spec, k) for k in names}


def file_set(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def summary_value(stdout: str, key: str) -> str:
    """The text after ``key`` on its line of the summary ``kstarter init`` prints."""
    found = re.search(rf"^  {key} +(.+)$", stdout, re.MULTILINE)
    assert found, f"no {key!r} line in:\n{stdout}"
    return found.group(1)


def notes(stdout: str) -> list[str]:
    return [ln.strip()[len("note: ") :] for ln in stdout.splitlines() if ln.startswith("  note: ")]


def ruff(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    """ruff as a user runs it in the project: no config but what the project itself ships."""
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache", "features.py"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------------------------------------
# Practice competitions, each made once by the installed command.


@pytest.fixture(scope="module")
def practice_run(tmp_path_factory) -> tuple[Path, dict[str, subprocess.CompletedProcess]]:
    run = Runner(tmp_path_factory.mktemp("home"))
    cwd = tmp_path_factory.mktemp("practice")

    def init(name: str) -> subprocess.CompletedProcess:
        return run("init", f"practice/{name}", cwd=cwd, check=False)

    with ThreadPoolExecutor(max_workers=2) as pool:
        procs = dict(zip(PRACTICE, pool.map(init, PRACTICE), strict=True))
    return cwd, procs


@pytest.fixture
def practice_project(practice_run, request) -> tuple[Path, subprocess.CompletedProcess]:
    cwd, procs = practice_run
    name = request.param
    proc = procs[name]
    assert proc.returncode == 0, proc.stderr
    return cwd / name, proc


def test_every_practice_competition_has_an_expectation() -> None:
    assert sorted(EXPECTED) == sorted(PRACTICE)


def test_practice_inits_leave_only_the_projects(practice_run) -> None:
    cwd, procs = practice_run
    assert {name: p.returncode for name, p in procs.items()} == dict.fromkeys(PRACTICE, 0)
    assert listing(cwd) == sorted(PRACTICE)  # no staging folder, no .kstarter-old


@pytest.mark.parametrize("practice_project", PRACTICE, indirect=True)
def test_practice_summary_names_target_and_metric(practice_project) -> None:
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
def test_practice_spec(practice_project) -> None:
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
def test_practice_project_file_set(practice_project) -> None:
    project, _ = practice_project
    sample = SAMPLE_FILE.get(project.name, "sample_submission.csv")
    data = {f"data/{n}" for n in ("train.csv", "test.csv", sample, "description.md")}
    assert file_set(project) == PROJECT_FILES | data
    dirs = sorted(p.name for p in project.iterdir() if p.is_dir())
    assert dirs == [".kstarter", "data", "notebooks"]


@pytest.mark.parametrize("practice_project", PRACTICE, indirect=True)
def test_practice_no_template_syntax_survives(practice_project) -> None:
    project, _ = practice_project
    for rel in sorted(GENERATED):
        text = (project / rel).read_text(encoding="utf-8")
        assert text.strip(), rel
        left = [s for s in TEMPLATE_SYNTAX if s in text]
        assert not left, f"{rel} still holds {left}"


@pytest.mark.parametrize("practice_project", PRACTICE, indirect=True)
def test_practice_features_py_passes_ruff_check(practice_project, tmp_path) -> None:
    project, _ = practice_project
    proc = ruff("check", cwd=project, home=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("practice_project", PRACTICE, indirect=True)
def test_practice_features_py_is_ruff_formatted(practice_project, tmp_path) -> None:
    project, _ = practice_project
    proc = ruff("format", "--check", cwd=project, home=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("practice_project", PRACTICE, indirect=True)
def test_practice_answer_key_never_lands_in_the_project(practice_project) -> None:
    project, _ = practice_project
    sample = SAMPLE_FILE.get(project.name, "sample_submission.csv")
    assert listing(project / "data") == sorted(["train.csv", "test.csv", sample, "description.md"])
    for path in project.rglob("*.csv"):
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert "Usage" not in header, path
    test_header = (project / "data/test.csv").read_text(encoding="utf-8").splitlines()[0]
    for target in EXPECTED[project.name]["targets"]:
        assert target not in test_header.split(",")


@pytest.mark.parametrize("practice_project", PRACTICE, indirect=True)
def test_practice_project_has_the_users_permissions(practice_project) -> None:
    project, _ = practice_project
    expected = 0o777 & ~umask()
    assert mode(project) != 0o700
    for folder in (project, project / "data", project / "notebooks"):
        assert mode(folder) == expected, folder
    assert mode(project / "kstarter.yaml") == 0o666 & ~umask()


# ---------------------------------------------------------------------------------------------
# Kaggle-shaped zips, built here with a seeded generator and a real signal in the target.


def columns_csv(columns: dict[str, list]) -> str:
    """A CSV from columns; None becomes an empty cell, as in Kaggle's files."""
    return csv_text(list(columns), [list(row) for row in zip(*columns.values(), strict=True)])


def head(columns: dict[str, list], n: int) -> dict[str, list]:
    return {k: v[:n] for k, v in columns.items()}


def tail(columns: dict[str, list], n: int) -> dict[str, list]:
    return {k: v[n:] for k, v in columns.items()}


def with_blanks(values, rng: np.random.Generator, share: float, always=(3,)) -> list:
    blank = rng.random(len(values)) < share
    blank[list(always)] = True
    return [None if b else v for v, b in zip(values.tolist(), blank, strict=True)]


def titanic(n_train: int = 200, n_test: int = 90, seed: int = 1) -> dict[str, str]:
    """Titanic's shape: ints 0/1 in train and gender_submission.csv, blanks in Age/Embarked."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    pclass = rng.integers(1, 4, n)
    sex = rng.choice(["male", "female"], n)
    age = np.round(np.clip(rng.normal(30, 13, n), 1, 80), 1)
    logit = 2.5 * (sex == "female") - 0.9 * (pclass - 2) - 0.03 * (age - 30) - 0.8
    survived = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    cols = {
        "PassengerId": list(range(1, n + 1)),
        "Pclass": pclass.tolist(),
        "Sex": sex.tolist(),
        "Age": with_blanks(age, rng, 0.2, always=(0, n_train + 1)),
        "Embarked": with_blanks(
            rng.choice(["S", "C", "Q"], n, p=[0.7, 0.2, 0.1]), rng, 0.02, always=(5, n - 1)
        ),
    }
    train = {"PassengerId": cols["PassengerId"], "Survived": survived.tolist()}
    train |= {k: v for k, v in cols.items() if k != "PassengerId"}
    test = tail(cols, n_train)
    sample = {
        "PassengerId": test["PassengerId"],
        "Survived": [int(s == "female") for s in test["Sex"]],
    }
    return {
        "train.csv": columns_csv(head(train, n_train)),
        "test.csv": columns_csv(test),
        "gender_submission.csv": columns_csv(sample),
    }


def features(rng: np.random.Generator, n: int) -> tuple[dict[str, list], np.ndarray]:
    """id, two numeric features and a string one, and the latent score targets are made from."""
    x1 = rng.normal(size=n)
    x2 = rng.uniform(0, 10, n)
    color = rng.choice(["red", "green", "blue"], n)
    latent = 1.5 * x1 + 0.3 * x2 + (color == "red") - 1.5
    cols = {
        "id": list(range(n)),
        "x1": np.round(x1, 4).tolist(),
        "x2": np.round(x2, 3).tolist(),
        "color": color.tolist(),
    }
    return cols, latent + rng.normal(scale=0.5, size=n)


def comp(
    targets: Callable[[np.ndarray, np.random.Generator], dict[str, list]],
    sample: Callable[[list], dict[str, list]],
    *,
    seed: int = 2,
    n_train: int = 150,
    n_test: int = 60,
    sample_name: str = "sample_submission.csv",
    train_only: Callable[[np.ndarray, np.random.Generator], dict[str, list]] | None = None,
) -> dict[str, str]:
    """Generic competition files: features(), the targets made from the latent score, a sample."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    cols, latent = features(rng, n)
    extra = train_only(latent, rng) if train_only else {}
    train = cols | targets(latent, rng) | extra
    test = tail(cols, n_train)
    return {
        "train.csv": columns_csv(head(train, n_train)),
        "test.csv": columns_csv(test),
        sample_name: columns_csv(sample(test["id"])),
    }


def binary_target(latent, rng) -> dict[str, list]:
    return {"y": (latent > 0).astype(int).tolist()}


def binary_sample(ids) -> dict[str, list]:
    return {"id": ids, "y": [0] * len(ids)}


def float_target(latent, rng) -> dict[str, list]:
    return {"y": np.round(100 + 20 * latent, 3).tolist()}


def float_sample(ids) -> dict[str, list]:
    return {"id": ids, "y": [0.0] * len(ids)}


def init_zip(ks, tmp_path: Path, files: dict[str, str | bytes], *args: str, stem="comp"):
    """Zip ``files`` as ``<stem>.zip`` in tmp_path, init it there; return the process and path."""
    archive = make_zip(tmp_path / f"{stem}.zip", files)
    proc = ks("init", str(archive), *args, cwd=tmp_path)
    return proc, tmp_path / stem


def assert_data_untouched(project: Path, files: dict[str, str | bytes]) -> None:
    assert listing(project / "data") == sorted(files)
    for name, content in files.items():
        raw = content.encode() if isinstance(content, str) else content
        assert (project / "data" / name).read_bytes() == raw, name


def test_titanic_zip(ks, tmp_path) -> None:
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


def test_titanic_zip_with_metric_auc_submits_probabilities(ks, tmp_path) -> None:
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


def test_kaggle_display_name_as_metric(ks, tmp_path) -> None:
    proc, project = init_zip(
        ks, tmp_path, titanic(), "--metric", "Area Under Receiver Operating Characteristic Curve"
    )
    assert spec_fields(project, ["metric", "kind", "metric_guessed"]) == {
        "metric": "auc",
        "kind": "proba",
        "metric_guessed": False,
    }


def test_renamed_sample_submission(ks, tmp_path) -> None:
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


def test_no_id_in_test(ks, tmp_path) -> None:
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


def test_bool_labels(ks, tmp_path) -> None:
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


def species_target(latent, rng) -> dict[str, list]:
    names = np.array(["Iris-setosa", "Iris-versicolor", "Iris-virginica"])
    return {"Species": names[np.digitize(latent, [-0.7, 0.7])].tolist()}


def species_sample(ids) -> dict[str, list]:
    return {"id": ids, "Species": ["Iris-setosa"] * len(ids)}


def two_species_target(latent, rng) -> dict[str, list]:
    return {"Species": np.where(latent > 0, "Iris-virginica", "Iris-setosa").tolist()}


def test_string_labels_multiclass(ks, tmp_path) -> None:
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


def test_string_labels_binary(ks, tmp_path) -> None:
    _, project = init_zip(ks, tmp_path, comp(two_species_target, species_sample))
    assert spec_fields(project, ["task", "kind", "label_dtype", "classes"]) == {
        "task": "binary",
        "kind": "label",
        "label_dtype": "str",
        "classes": ("Iris-setosa", "Iris-virginica"),
    }


def status_target(latent, rng) -> dict[str, list]:
    return {"Status": np.array(["C", "CL", "D"])[np.digitize(latent, [0.3, 0.9])].tolist()}


@pytest.mark.parametrize(
    "order", [("C", "CL", "D"), ("D", "C", "CL")], ids=["kaggle-order", "shuffled"]
)
def test_one_probability_column_per_class(ks, tmp_path, order) -> None:
    share = {"C": 0.628, "CL": 0.034, "D": 0.338}  # Kaggle's cirrhosis sample values

    def sample(ids):
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


def test_float_regression(ks, tmp_path) -> None:
    proc, project = init_zip(ks, tmp_path, comp(float_target, float_sample))
    assert spec_fields(project, ["targets", "task", "kind", "metric", "classes"]) == {
        "targets": ("y",),
        "task": "regression",
        "kind": "value",
        "metric": "rmse",
        "classes": (),
    }
    assert summary_value(proc.stdout, "metric").startswith("rmse (minimize)")


def test_multi_target(ks, tmp_path) -> None:
    def targets(latent, rng):
        return {
            "target_a": np.round(latent, 4).tolist(),
            "target_b": np.round(2 * latent + rng.normal(size=len(latent)), 4).tolist(),
        }

    def sample(ids):
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


def test_train_only_columns_are_dropped(ks, tmp_path) -> None:
    def train_only(latent, rng):
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


def zip_bytes(tmp_path: Path, files: dict[str, str | bytes]) -> bytes:
    return make_zip(tmp_path / "inner.zip", files).read_bytes()


def test_nested_kaggle_zip_unwraps(ks, tmp_path) -> None:
    files = titanic()
    inner = tmp_path / "inner"
    inner.mkdir()
    outer = {
        "train.csv.zip": zip_bytes(inner, {"train.csv": files["train.csv"]}),
        "test.csv.zip": zip_bytes(inner, {"test.csv": files["test.csv"]}),
        "gender_submission.csv": files["gender_submission.csv"],
    }
    _, project = init_zip(ks, tmp_path, outer, stem="titanic")
    assert_data_untouched(project, files)
    spec = load_project(project).spec
    assert (spec.files.train, spec.files.test) == ("train.csv", "test.csv")
    assert spec.targets == ("Survived",)


def test_zip_with_a_top_folder_and_macos_junk(ks, tmp_path) -> None:
    files = titanic()
    junk = {"__MACOSX/titanic/._train.csv": b"\x00\x05\x16\x07junk", "titanic/.DS_Store": b"junk"}
    _, project = init_zip(ks, tmp_path, {f"titanic/{k}": v for k, v in files.items()} | junk)
    assert file_set(project / "data") == {f"titanic/{name}" for name in files}
    spec = load_project(project).spec
    assert (spec.files.train, spec.files.test, spec.files.sample_submission) == (
        "titanic/train.csv",
        "titanic/test.csv",
        "titanic/gender_submission.csv",
    )
    assert (spec.targets, spec.id) == (("Survived",), "PassengerId")


def test_folder_source_is_copied_untouched(ks, tmp_path) -> None:
    folder = tmp_path / "inputs" / "house-prices"
    folder.mkdir(parents=True)
    files = comp(float_target, float_sample)
    files = {k: v.replace("\n", "\r\n").encode() for k, v in files.items()}  # Windows endings
    files["data_description.txt"] = b"x1: a number\nx2: another\n"
    for name, raw in files.items():
        (folder / name).write_bytes(raw)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    proc = ks("init", str(folder), cwd=tmp_path)
    project = tmp_path / "house-prices"
    assert proc.stdout.splitlines()[0] == f"Created {project}"
    assert listing(tmp_path) == ["house-prices", "inputs"]
    assert_data_untouched(project, files)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert spec_fields(project, ["targets", "task", "source"]) == {
        "targets": ("y",),
        "task": "regression",
        "source": str(folder),
    }


def ambiguous(seed: int = 5) -> dict[str, str]:
    """Two train-only columns, a sample column named after neither, and `Id` against `id`."""

    def targets(latent, rng):
        return float_target(latent, rng) | {"y_raw": np.round(latent, 4).tolist()}

    def sample(ids):
        return {"Id": ids, "prediction": [0.0] * len(ids)}

    return comp(targets, sample, seed=seed)


def test_overrides_fix_wrong_guesses(ks, tmp_path) -> None:
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


def test_dir_puts_the_project_where_asked(ks, tmp_path) -> None:
    archive = make_zip(tmp_path / "comp.zip", titanic())
    proc = ks("init", str(archive), "--dir", "work/projects/titanic-1", cwd=tmp_path)
    project = tmp_path / "work" / "projects" / "titanic-1"
    assert proc.stdout.splitlines()[0] == f"Created {project}"
    assert listing(tmp_path) == ["comp.zip", "work"]
    assert listing(project.parent) == ["titanic-1"]
    assert load_project(project).spec.targets == ("Survived",)
    assert load_project(project).spec.name == "comp"


def test_next_step_leads_to_the_project_made_with_dir(ks, tmp_path) -> None:
    archive = make_zip(tmp_path / "comp.zip", titanic())
    proc = ks("init", str(archive), "--dir", "work/titanic", cwd=tmp_path)
    found = re.search(r"^Next: cd (\S+) && kstarter train$", proc.stdout, re.MULTILINE)
    assert found, proc.stdout
    assert (tmp_path / found.group(1) / "kstarter.yaml").is_file(), found.group(1)


# ---------------------------------------------------------------------------------------------
# Bad input: one clear sentence, a non-zero exit, and nothing left in the working folder.

NGINX_404 = (
    "<html>\n<head><title>404 Not Found</title></head>\n<body>\n"
    "<center><h1>404 Not Found</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n"
)
KAGGLE_HTML = (
    "<!DOCTYPE html>\n<html lang='en'>\n<head>\n"
    "<meta name='viewport' content='width=device-width, initial-scale=1.0'>\n"
    "<title>Kaggle: Your Machine Learning and Data Science Community</title>\n"
    "</head>\n<body>\n<div id='root'></div>\n</body>\n</html>\n"
)


def _titanic_with(changes: dict[str, str | bytes | None] | None = None) -> Callable[[Path], str]:
    """A Titanic zip with files replaced, or removed where the new content is None."""

    def build(folder: Path) -> str:
        files = {**titanic(), **(changes or {})}
        kept = {name: content for name, content in files.items() if content is not None}
        return str(make_zip(folder / "comp.zip", kept))

    return build


def _zip_with_entry(entry: str | Callable[[Path], str]) -> Callable[[Path], str]:
    def build(folder: Path) -> str:
        name = entry(folder) if callable(entry) else entry
        files: dict[str, str | bytes] = {**titanic(), name: "a,b\n1,2\n"}
        archive = make_zip(folder / "comp.zip", files)
        with zipfile.ZipFile(archive) as zf:
            assert name in zf.namelist()
        return str(archive)

    return build


def _file(name: str, content: bytes) -> Callable[[Path], str]:
    def build(folder: Path) -> str:
        (folder / name).write_bytes(content)
        return str(folder / name)

    return build


def _comp(files_fn) -> Callable[[Path], str]:
    def build(folder: Path) -> str:
        return str(make_zip(folder / "comp.zip", files_fn()))

    return build


TITANIC_HEADER = "PassengerId,Survived,Pclass,Sex,Age,Embarked\n"
GARBAGE = bytes(np.random.default_rng(7).integers(0, 256, 3000, dtype=np.uint8))

BAD_INPUT = [
    pytest.param(
        lambda d: "missing-comp.zip",
        (),
        ("No such file or folder", "missing-comp.zip"),
        id="missing",
    ),
    pytest.param(
        lambda d: "./no-such-folder",
        (),
        ("No such file or folder", "no-such-folder"),
        id="missing-folder",
    ),
    pytest.param(
        _file("notes.txt", b"id,x\n1,2\n"),
        (),
        ("neither a folder nor a zip archive",),
        id="not-an-archive",
    ),
    pytest.param(
        _file("comp.zip", KAGGLE_HTML.encode()),
        (),
        ("comp.zip", "neither a folder nor a zip archive"),
        id="html-saved-as-zip",
    ),
    pytest.param(
        _zip_with_entry(lambda d: str(d.parent / "abs-evil.csv")),
        (),
        ("Refusing to extract", "absolute path"),
        id="absolute-entry",
    ),
    pytest.param(
        _zip_with_entry("../../evil.csv"),
        (),
        ("Refusing to extract", "outside"),
        id="dotdot-entry",
    ),
    pytest.param(_titanic_with({"train.csv": None}), (), ("No train file",), id="no-train"),
    pytest.param(_titanic_with({"test.csv": None}), (), ("No test file",), id="no-test"),
    pytest.param(
        _titanic_with({"gender_submission.csv": None}),
        (),
        ("No sample submission file",),
        id="no-sample",
    ),
    pytest.param(
        _titanic_with({"train.csv": TITANIC_HEADER}),
        (),
        ("data/train.csv", "header but no rows"),
        id="header-only-train",
    ),
    pytest.param(
        _titanic_with({"train.csv": GARBAGE}),
        (),
        ("data/train.csv", "cannot be read as CSV"),
        id="binary-garbage",
    ),
    pytest.param(
        _titanic_with({"train.csv": KAGGLE_HTML}),
        (),
        ("data/train.csv", "cannot be read as CSV"),
        id="html-page",
    ),
    pytest.param(
        _titanic_with({"train.csv": NGINX_404}),
        (),
        ("data/train.csv",),
        id="html-page-without-commas",
    ),
    pytest.param(
        _titanic_with(),
        ("--target", "Survive"),
        ("--target 'Survive'", "PassengerId", "Survived", "Embarked"),
        id="unknown-target",
    ),
    pytest.param(
        _titanic_with(),
        ("--id", "Passenger"),
        ("--id 'Passenger'", "PassengerId", "Pclass", "Embarked"),
        id="unknown-id",
    ),
    pytest.param(
        _titanic_with(),
        ("--metric", "bleu"),
        ("unknown metric 'bleu'", "auc", "rmse", "accuracy", "--metric"),
        id="unknown-metric",
    ),
    pytest.param(
        _comp(lambda: comp(float_target, float_sample)),
        ("--metric", "auc"),
        ("auc", "does not apply", "regression"),
        id="auc-on-regression",
    ),
    pytest.param(
        _comp(lambda: comp(two_species_target, species_sample)),
        ("--metric", "rmse"),
        ("rmse", "does not apply"),
        id="rmse-on-two-string-classes",
    ),
    pytest.param(
        _comp(lambda: comp(species_target, species_sample)),
        ("--metric", "rmse"),
        ("rmse", "does not apply"),
        id="rmse-on-three-string-classes",
    ),
    pytest.param(
        lambda d: "practice/nope",
        (),
        ("Unknown practice competition 'nope'", *PRACTICE),
        id="unknown-practice",
    ),
]


@pytest.mark.parametrize(("make_source", "args", "needles"), BAD_INPUT)
def test_bad_input_is_one_clear_error_and_leaves_nothing(
    ks, tmp_path, make_source, args, needles
) -> None:
    inputs, cwd = tmp_path / "in", tmp_path / "work"
    inputs.mkdir()
    cwd.mkdir()
    source = make_source(inputs)
    before = (listing(tmp_path), listing(inputs))
    proc = ks("init", source, *args, cwd=cwd, check=False)
    assert_clean_error(proc, *needles)
    assert listing(cwd) == []  # no project, no hidden staging folder
    assert (listing(tmp_path), listing(inputs)) == before


def test_existing_folder_needs_force(ks, tmp_path) -> None:
    archive = make_zip(tmp_path / "comp.zip", titanic())
    old = tmp_path / "comp"
    old.mkdir()
    (old / "notes.txt").write_text("my notes\n")
    proc = ks("init", str(archive), cwd=tmp_path, check=False)
    assert_clean_error(proc, str(old), "already exists and is not empty", "--force")
    assert listing(tmp_path) == ["comp", "comp.zip"]
    assert listing(old) == ["notes.txt"]

    ks("init", str(archive), "--force", cwd=tmp_path)
    assert listing(tmp_path) == ["comp", "comp.zip"]  # no .comp.kstarter-old, no staging
    assert not (old / "notes.txt").exists()
    assert file_set(old) == PROJECT_FILES | {f"data/{n}" for n in titanic()}
    assert load_project(old).spec.targets == ("Survived",)


def test_existing_empty_folder_is_used_without_force(ks, tmp_path) -> None:
    archive = make_zip(tmp_path / "comp.zip", titanic())
    (tmp_path / "comp").mkdir()
    ks("init", str(archive), cwd=tmp_path)
    assert listing(tmp_path) == ["comp", "comp.zip"]
    assert (tmp_path / "comp" / "kstarter.yaml").is_file()


def test_force_keeps_the_old_project_when_init_fails(ks, tmp_path) -> None:
    good = make_zip(tmp_path / "comp.zip", titanic())
    ks("init", str(good), cwd=tmp_path)
    config = (tmp_path / "comp" / "kstarter.yaml").read_bytes()
    bad = make_zip(tmp_path / "bad.zip", {**titanic(), "train.csv": TITANIC_HEADER})
    proc = ks("init", str(bad), "--dir", "comp", "--force", cwd=tmp_path, check=False)
    assert_clean_error(proc, "header but no rows")
    assert listing(tmp_path) == ["bad.zip", "comp", "comp.zip"]
    assert (tmp_path / "comp" / "kstarter.yaml").read_bytes() == config


def test_force_over_a_file_leaves_nothing_behind(ks, tmp_path) -> None:
    archive = make_zip(tmp_path / "comp.zip", titanic())
    (tmp_path / "comp").write_text("not a folder\n")
    assert_clean_error(ks("init", str(archive), cwd=tmp_path, check=False), "--force")
    ks("init", str(archive), "--force", cwd=tmp_path)
    assert (tmp_path / "comp" / "kstarter.yaml").is_file()
    assert listing(tmp_path) == ["comp", "comp.zip"]


# ---------------------------------------------------------------------------------------------
# Help: every command has an example, and --help imports nothing heavy.


def test_every_command_has_help_with_an_example(ks, tmp_path) -> None:
    from kstarter.cli import cli

    commands = sorted(cli.commands)
    assert {"init", "practice", "train", "runs", "submit"} <= set(commands)
    for args in ([], *([name] for name in commands)):
        for flag in ("--help", "-h"):
            proc = ks(*args, flag, cwd=tmp_path)
            usage = " ".join(["Usage: kstarter", *args])
            assert proc.stdout.startswith(usage), proc.stdout
            assert "Example" in proc.stdout, f"kstarter {' '.join(args)} --help has no example"
            assert proc.stderr == ""


def test_python_dash_m_kstarter(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kstarter", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: kstarter ")
    assert "Example" in proc.stdout
    assert "init" in proc.stdout


def test_help_imports_no_heavy_module(tmp_path) -> None:
    code = (
        "import sys\n"
        "from kstarter.cli import cli\n"
        "for args in [[], *([name] for name in sorted(cli.commands))]:\n"
        "    assert cli.main([*args, '--help'], prog_name='kstarter', standalone_mode=False) == 0\n"
        f"heavy = {sorted(HEAVY)!r}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"
