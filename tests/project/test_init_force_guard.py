"""``init --force`` replaces only a kstarter project: never the current folder or one holding
it, never a folder holding the source, never a folder of someone's own files."""

from __future__ import annotations

from pathlib import Path

from conftest import Runner, assert_clean_error, make_zip
from kaggle_shaped import listing, titanic


def _mine(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "thesis.tex").write_text("years of work\n")
    return folder


def test_force_never_deletes_the_current_folder(ks: Runner, tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "comp.zip", titanic())
    here = _mine(tmp_path / "here")
    proc = ks("init", str(archive), "--dir", ".", "--force", cwd=here, check=False)
    assert_clean_error(proc, "current folder", "--dir")
    assert listing(here) == ["thesis.tex"]
    # nor a project that holds the current folder
    ks("init", str(archive), cwd=tmp_path)
    inside = tmp_path / "comp" / "notebooks"
    proc = ks("init", str(archive), "--dir", "..", "--force", cwd=inside, check=False)
    assert_clean_error(proc, "current folder")
    assert (tmp_path / "comp" / "kstarter.yaml").is_file() and inside.is_dir()


def test_force_never_deletes_a_folder_that_is_not_a_project(ks: Runner, tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "comp.zip", titanic())
    mine = _mine(tmp_path / "comp")
    proc = ks("init", str(archive), "--force", cwd=tmp_path, check=False)
    assert_clean_error(proc, "replaces only a kstarter project", "--dir")
    assert listing(mine) == ["thesis.tex"]
    (tmp_path / "file").write_text("a file, not a project\n")
    proc = ks("init", str(archive), "--dir", "file", "--force", cwd=tmp_path, check=False)
    assert_clean_error(proc, "replaces only a kstarter project")
    assert (tmp_path / "file").read_text() == "a file, not a project\n"
    assert listing(tmp_path) == ["comp", "comp.zip", "file"]


def test_force_never_deletes_the_folder_holding_the_source(ks: Runner, tmp_path: Path) -> None:
    ks("init", str(make_zip(tmp_path / "comp.zip", titanic())), cwd=tmp_path)
    project = tmp_path / "comp"
    archive = make_zip(project / "data" / "again.zip", titanic())  # the source, in a project
    proc = ks("init", str(archive), "--dir", "comp", "--force", cwd=tmp_path, check=False)
    assert_clean_error(proc, "holds the source", "--dir")
    assert archive.is_file() and (project / "kstarter.yaml").is_file()


def test_force_replaces_a_kstarter_project(ks: Runner, tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "comp.zip", titanic())
    ks("init", str(archive), cwd=tmp_path)
    (tmp_path / "comp" / "old-notes.txt").write_text("part of the old project\n")
    ks("init", str(archive), "--force", cwd=tmp_path)
    assert not (tmp_path / "comp" / "old-notes.txt").exists()
    assert listing(tmp_path) == ["comp", "comp.zip"]
