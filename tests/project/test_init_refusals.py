"""``kstarter init`` on bad input: one clear sentence, a non-zero exit, and nothing left in the
working folder.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import Runner, assert_clean_error, make_zip
from kaggle_shaped import (
    TITANIC_HEADER,
    comp,
    float_sample,
    float_target,
    listing,
    species_sample,
    species_target,
    titanic,
    two_species_target,
)

from kstarter.sources import list_practice

PRACTICE = [info.name for info in list_practice()]


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


def _comp(files_fn: Callable[[], dict[str, str]]) -> Callable[[Path], str]:
    def build(folder: Path) -> str:
        return str(make_zip(folder / "comp.zip", files_fn()))

    return build


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
    ks: Runner,
    tmp_path: Path,
    make_source: Callable[[Path], str],
    args: tuple[str, ...],
    needles: tuple[str, ...],
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
