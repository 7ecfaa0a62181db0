"""The project ``kstarter init`` renders from templates/project, on every practice competition:
the exact file set, no template syntax left, a features.py ruff accepts, the user's permissions.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from kaggle_shaped import GENERATED, PROJECT_FILES, SAMPLE_FILE, file_set, ruff

from kstarter.sources import list_practice

PRACTICE = [info.name for info in list_practice()]

TEMPLATE_SYNTAX = ("{{", "{%", "{#")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("practice_project", PRACTICE, indirect=True)
def test_practice_project_file_set(
    practice_project: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    project, _ = practice_project
    sample = SAMPLE_FILE.get(project.name, "sample_submission.csv")
    data = {f"data/{n}" for n in ("train.csv", "test.csv", sample, "description.md")}
    assert file_set(project) == PROJECT_FILES | data
    dirs = sorted(p.name for p in project.iterdir() if p.is_dir())
    assert dirs == [".kstarter", "data", "notebooks"]


@pytest.mark.parametrize("practice_project", PRACTICE, indirect=True)
def test_practice_no_template_syntax_survives(
    practice_project: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    project, _ = practice_project
    for rel in sorted(GENERATED):
        text = (project / rel).read_text(encoding="utf-8")
        assert text.strip(), rel
        left = [s for s in TEMPLATE_SYNTAX if s in text]
        assert not left, f"{rel} still holds {left}"


@pytest.mark.parametrize("practice_project", PRACTICE, indirect=True)
def test_practice_features_py_passes_ruff_check(
    practice_project: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    project, _ = practice_project
    proc = ruff("check", cwd=project, home=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("practice_project", PRACTICE, indirect=True)
def test_practice_features_py_is_ruff_formatted(
    practice_project: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    project, _ = practice_project
    proc = ruff("format", "--check", cwd=project, home=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("practice_project", PRACTICE, indirect=True)
def test_practice_project_has_the_users_permissions(
    practice_project: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    project, _ = practice_project
    expected = 0o777 & ~umask()
    assert mode(project) != 0o700
    for folder in (project, project / "data", project / "notebooks"):
        assert mode(folder) == expected, folder
    assert mode(project / "kstarter.yaml") == 0o666 & ~umask()


@pytest.mark.parametrize("practice_project", ["heart-disease"], indirect=True)
def test_generated_readme_says_how_to_open_the_notebook_and_links_nowhere_missing(
    practice_project: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    """kstarter is installed from a clone: no link to a package page that does not exist, and
    the notebook it asks the user to read first says what opens it."""
    project, _ = practice_project
    readme = (project / "README.md").read_text()
    assert "pypi.org" not in readme
    assert "jupyter lab notebooks/eda.ipynb" in readme and "ipykernel" in readme
