"""Kaggle-shaped competitions for the ``kstarter init`` tests, and helpers that read what
init made of them.

The files are built with seeded generators and a real signal in the target; each project is read
back with :func:`kstarter.config.load_project`, the way ``kstarter train`` reads it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
from conftest import Runner, csv_text, make_zip

from kstarter.config import load_project

SAMPLE_FILE = {"breast-cancer": "sampleSubmission.csv"}
GENERATED = {".gitignore", "README.md", "features.py", "kstarter.yaml", "notebooks/eda.ipynb"}
# everything init writes besides data/: the templates and its brief check's saved findings
PROJECT_FILES = GENERATED | {".kstarter/check.json"}
TITANIC_HEADER = "PassengerId,Survived,Pclass,Sex,Age,Embarked\n"


def spec_fields(project: Path, names: list[str]) -> dict:
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


def columns_csv(columns: dict[str, list]) -> str:
    """A CSV from columns; None becomes an empty cell, as in Kaggle's files."""
    return csv_text(list(columns), [list(row) for row in zip(*columns.values(), strict=True)])


def head(columns: dict[str, list], n: int) -> dict[str, list]:
    return {k: v[:n] for k, v in columns.items()}


def tail(columns: dict[str, list], n: int) -> dict[str, list]:
    return {k: v[n:] for k, v in columns.items()}


def with_blanks(
    values: np.ndarray, rng: np.random.Generator, share: float, always: tuple[int, ...] = (3,)
) -> list:
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


def binary_target(latent: np.ndarray, rng: np.random.Generator) -> dict[str, list]:
    return {"y": (latent > 0).astype(int).tolist()}


def binary_sample(ids: list[int]) -> dict[str, list]:
    return {"id": ids, "y": [0] * len(ids)}


def float_target(latent: np.ndarray, rng: np.random.Generator) -> dict[str, list]:
    return {"y": np.round(100 + 20 * latent, 3).tolist()}


def float_sample(ids: list[int]) -> dict[str, list]:
    return {"id": ids, "y": [0.0] * len(ids)}


def init_zip(
    ks: Runner, tmp_path: Path, files: Mapping[str, str | bytes], *args: str, stem: str = "comp"
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Zip ``files`` as ``<stem>.zip`` in tmp_path, init it there; return the process and path."""
    archive = make_zip(tmp_path / f"{stem}.zip", files)
    proc = ks("init", str(archive), *args, cwd=tmp_path)
    return proc, tmp_path / stem


def assert_data_untouched(project: Path, files: Mapping[str, str | bytes]) -> None:
    assert listing(project / "data") == sorted(files)
    for name, content in files.items():
        raw = content.encode() if isinstance(content, str) else content
        assert (project / "data" / name).read_bytes() == raw, name


def species_target(latent: np.ndarray, rng: np.random.Generator) -> dict[str, list]:
    names = np.array(["Iris-setosa", "Iris-versicolor", "Iris-virginica"])
    return {"Species": names[np.digitize(latent, [-0.7, 0.7])].tolist()}


def species_sample(ids: list[int]) -> dict[str, list]:
    return {"id": ids, "Species": ["Iris-setosa"] * len(ids)}


def two_species_target(latent: np.ndarray, rng: np.random.Generator) -> dict[str, list]:
    return {"Species": np.where(latent > 0, "Iris-virginica", "Iris-setosa").tolist()}
