"""A folder source is untrusted input like an archive: a link at any depth, a special file, a
link loop or a project folder inside the source are refused with a sentence, and nothing of
the source reaches data/ (the key behind a link to ~/.kaggle least of all)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import Runner, assert_clean_error
from kaggle_shaped import titanic

KEY = '{"username":"me","key":"0123456789abcdef0123456789abcdef"}'


def _competition(tmp_path: Path) -> Path:
    folder = tmp_path / "src" / "comp"
    folder.mkdir(parents=True)
    for name, text in titanic().items():
        (folder / name).write_text(text)
    return folder


def _nothing_made(tmp_path: Path) -> None:
    leftovers = [p for p in tmp_path.rglob("*") if "kstarter" in p.name or p.name == "data"]
    assert leftovers == [], leftovers
    assert KEY not in "".join(
        p.read_text(errors="replace") for p in tmp_path.rglob("*.json") if p.is_file()
    ).replace(KEY, "", 1)  # only the one key file


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    home = tmp_path / "home" / ".kaggle"
    home.mkdir(parents=True)
    (home / "kaggle.json").write_text(KEY)
    return home


@pytest.mark.parametrize("where", ["extra/kaggle", "extra/deeper/kaggle", "kaggle"])
def test_a_link_at_any_depth_is_refused(ks: Runner, tmp_path, secret, where):
    folder = _competition(tmp_path)
    link = folder / where
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(secret, target_is_directory=True)
    proc = ks("init", str(folder), cwd=tmp_path, check=False)
    assert_clean_error(proc, where, "symbolic link", "~/.kaggle")
    assert KEY not in proc.stdout + proc.stderr
    assert not (tmp_path / "comp").exists()
    _nothing_made(tmp_path)


def test_a_link_loop_is_refused(ks: Runner, tmp_path):
    folder = _competition(tmp_path)
    (folder / "sub").mkdir()
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)
    assert_clean_error(ks("init", str(folder), cwd=tmp_path, check=False), "sub/loop", "link")
    _nothing_made(tmp_path)


def test_a_fifo_is_refused(ks: Runner, tmp_path):
    folder = _competition(tmp_path)
    (folder / "extra").mkdir()
    os.mkfifo(folder / "extra" / "pipe")
    proc = ks("init", str(folder), cwd=tmp_path, check=False, timeout=60)
    assert_clean_error(proc, "extra/pipe", "FIFO")
    _nothing_made(tmp_path)


def test_a_project_inside_the_source_is_refused(ks: Runner, tmp_path):
    folder = _competition(tmp_path)
    proc = ks("init", str(folder), "--dir", str(folder / "project"), cwd=tmp_path, check=False)
    assert_clean_error(proc, "inside the source folder", "--dir")
    assert sorted(p.name for p in folder.iterdir()) == sorted(titanic())


def test_zip_with_a_link_does_not_advise_recreating_it(ks: Runner, tmp_path):
    import stat
    import zipfile

    archive = tmp_path / "comp.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, text in titanic().items():
            zf.writestr(name, text)
        info = zipfile.ZipInfo("kaggle.json")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "../../.kaggle/kaggle.json")
    proc = ks("init", str(archive), cwd=tmp_path, check=False)
    assert_clean_error(proc, "symbolic link", "replace each link with the file it points to")
