"""Zip and folder sources through ``kstarter init``: nested zips unwrap, a top folder and macOS
junk are handled, a folder is copied untouched.
"""

from __future__ import annotations

from pathlib import Path

from conftest import Runner, make_zip
from kaggle_shaped import (
    assert_data_untouched,
    comp,
    file_set,
    float_sample,
    float_target,
    init_zip,
    listing,
    spec_fields,
    titanic,
)

from kstarter.config import load_project


def zip_bytes(tmp_path: Path, files: dict[str, str | bytes]) -> bytes:
    return make_zip(tmp_path / "inner.zip", files).read_bytes()


def test_nested_kaggle_zip_unwraps(ks: Runner, tmp_path: Path) -> None:
    files = titanic()
    inner = tmp_path / "inner"
    inner.mkdir()
    outer: dict[str, str | bytes] = {
        "train.csv.zip": zip_bytes(inner, {"train.csv": files["train.csv"]}),
        "test.csv.zip": zip_bytes(inner, {"test.csv": files["test.csv"]}),
        "gender_submission.csv": files["gender_submission.csv"],
    }
    _, project = init_zip(ks, tmp_path, outer, stem="titanic")
    assert_data_untouched(project, files)
    spec = load_project(project).spec
    assert (spec.files.train, spec.files.test) == ("train.csv", "test.csv")
    assert spec.targets == ("Survived",)


def test_zip_with_a_top_folder_and_macos_junk(ks: Runner, tmp_path: Path) -> None:
    files = titanic()
    junk: dict[str, str | bytes] = {
        "__MACOSX/titanic/._train.csv": b"\x00\x05\x16\x07junk",
        "titanic/.DS_Store": b"junk",
    }
    _, project = init_zip(ks, tmp_path, {f"titanic/{k}": v for k, v in files.items()} | junk)
    assert file_set(project / "data") == {f"titanic/{name}" for name in files}
    spec = load_project(project).spec
    assert (spec.files.train, spec.files.test, spec.files.sample_submission) == (
        "titanic/train.csv",
        "titanic/test.csv",
        "titanic/gender_submission.csv",
    )
    assert (spec.targets, spec.id) == (("Survived",), "PassengerId")


def test_folder_source_is_copied_untouched(ks: Runner, tmp_path: Path) -> None:
    folder = tmp_path / "inputs" / "house-prices"
    folder.mkdir(parents=True)
    text = comp(float_target, float_sample)
    files = {k: v.replace("\n", "\r\n").encode() for k, v in text.items()}  # Windows endings
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
