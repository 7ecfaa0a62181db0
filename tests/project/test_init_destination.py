"""Where ``kstarter init`` puts a project: ``--dir``, and ``--force`` over an existing folder
without ever losing the old project to a failed init.
"""

from __future__ import annotations

import re
from pathlib import Path

from conftest import Runner, assert_clean_error, make_zip
from kaggle_shaped import PROJECT_FILES, TITANIC_HEADER, file_set, listing, titanic

from kstarter.config import load_project


def test_dir_puts_the_project_where_asked(ks: Runner, tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "comp.zip", titanic())
    proc = ks("init", str(archive), "--dir", "work/projects/titanic-1", cwd=tmp_path)
    project = tmp_path / "work" / "projects" / "titanic-1"
    assert proc.stdout.splitlines()[0] == f"Created {project}"
    assert listing(tmp_path) == ["comp.zip", "work"]
    assert listing(project.parent) == ["titanic-1"]
    assert load_project(project).spec.targets == ("Survived",)
    assert load_project(project).spec.name == "comp"


def test_next_step_leads_to_the_project_made_with_dir(ks: Runner, tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "comp.zip", titanic())
    proc = ks("init", str(archive), "--dir", "work/titanic", cwd=tmp_path)
    found = re.search(r"^Next: cd (\S+) && kstarter train$", proc.stdout, re.MULTILINE)
    assert found, proc.stdout
    assert (tmp_path / found.group(1) / "kstarter.yaml").is_file(), found.group(1)


def test_existing_folder_needs_force(ks: Runner, tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "comp.zip", titanic())
    old = tmp_path / "comp"
    old.mkdir()
    (old / "notes.txt").write_text("my notes\n")
    proc = ks("init", str(archive), cwd=tmp_path, check=False)
    assert_clean_error(proc, str(old), "already exists and is not empty", "--force")
    assert listing(tmp_path) == ["comp", "comp.zip"]
    assert listing(old) == ["notes.txt"]

    # --force replaces a kstarter project only (see test_init_force_guard.py)
    (old / "notes.txt").unlink()
    ks("init", str(archive), cwd=tmp_path)
    (old / "notes.txt").write_text("my notes\n")
    ks("init", str(archive), "--force", cwd=tmp_path)
    assert listing(tmp_path) == ["comp", "comp.zip"]  # no .comp.kstarter-old, no staging
    assert not (old / "notes.txt").exists()
    assert file_set(old) == PROJECT_FILES | {f"data/{n}" for n in titanic()}
    assert load_project(old).spec.targets == ("Survived",)


def test_existing_empty_folder_is_used_without_force(ks: Runner, tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "comp.zip", titanic())
    (tmp_path / "comp").mkdir()
    ks("init", str(archive), cwd=tmp_path)
    assert listing(tmp_path) == ["comp", "comp.zip"]
    assert (tmp_path / "comp" / "kstarter.yaml").is_file()


def test_force_keeps_the_old_project_when_init_fails(ks: Runner, tmp_path: Path) -> None:
    good = make_zip(tmp_path / "comp.zip", titanic())
    ks("init", str(good), cwd=tmp_path)
    config = (tmp_path / "comp" / "kstarter.yaml").read_bytes()
    bad = make_zip(tmp_path / "bad.zip", {**titanic(), "train.csv": TITANIC_HEADER})
    proc = ks("init", str(bad), "--dir", "comp", "--force", cwd=tmp_path, check=False)
    assert_clean_error(proc, "header but no rows")
    assert listing(tmp_path) == ["bad.zip", "comp", "comp.zip"]
    assert (tmp_path / "comp" / "kstarter.yaml").read_bytes() == config


def test_force_over_a_file_is_refused(ks: Runner, tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "comp.zip", titanic())
    (tmp_path / "comp").write_text("not a folder\n")
    assert_clean_error(ks("init", str(archive), cwd=tmp_path, check=False), "--force")
    proc = ks("init", str(archive), "--force", cwd=tmp_path, check=False)
    assert_clean_error(proc, "replaces only a kstarter project")  # a file is not a project
    assert (tmp_path / "comp").read_text() == "not a folder\n"
    assert listing(tmp_path) == ["comp", "comp.zip"]
