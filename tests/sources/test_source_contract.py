"""The Source contract (kstarter/sources/_base.py), one suite run against every source:
practice, a zip, a folder, and Kaggle through the real client against the local stand-in.

Every source here delivers the same competition, heart-disease, so each must leave exactly the
files the practice build writes.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from kaggle_standin import StandIn, client_in_process

from kstarter.competition import Overrides, inspect_competition
from kstarter.errors import KstarterError
from kstarter.sources import (
    FolderSource,
    KaggleSource,
    PracticeSource,
    Source,
    ZipSource,
    build,
    resolve_source,
)

KINDS = ("practice", "zip", "folder", "kaggle")
NAME = "heart-disease"


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _zip(files: list[Path], path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in files:
            zf.write(item, item.name)
    return path


@pytest.fixture(scope="module")
def competition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """heart-disease as the practice build writes it: what every source must deliver."""
    folder = tmp_path_factory.mktemp("built") / NAME
    build(NAME, folder)
    return folder


@pytest.fixture
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    """The stand-in, with this process's kaggle client pointed at it."""
    with StandIn() as server, client_in_process(server, tmp_path_factory.mktemp("home")):
        yield server


def _source_text(kind: str, competition: Path, where: Path) -> str:
    """What a user gives `kstarter init` for each kind of source. The zip and the folder hold
    train.csv zipped on its own, as Kaggle often serves it (train.csv.zip)."""
    if kind == "practice":
        return f"practice/{NAME}"
    if kind == "kaggle":
        return NAME
    files = sorted(competition.iterdir())
    inner = _zip([competition / "train.csv"], where / "train.csv.zip")
    files = [inner if f.name == "train.csv" else f for f in files]
    if kind == "zip":
        return str(_zip(files, where / f"{NAME}.zip"))
    folder = where / NAME
    folder.mkdir()
    for item in files:
        shutil.copy2(item, folder / item.name)
    return str(folder)


@pytest.fixture(params=KINDS)
def source(request: pytest.FixtureRequest, competition: Path, tmp_path: Path) -> Source:
    if request.param == "kaggle":
        request.getfixturevalue("standin")
    where = tmp_path / "given"
    where.mkdir()
    found = resolve_source(_source_text(request.param, competition, where))
    assert isinstance(found, Source)
    return found


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data folder, alone in its parent."""
    folder = tmp_path / "project" / "data"
    folder.mkdir(parents=True)
    return folder


def test_fetch_leaves_the_competition_files_that_inspection_accepts(
    source: Source, data_dir: Path, competition: Path
) -> None:
    meta = source.fetch(data_dir)
    assert [p.name for p in data_dir.parent.iterdir()] == ["data"]  # nothing written beside it
    assert _hashes(data_dir) == _hashes(competition)
    inspection = inspect_competition(data_dir, meta, Overrides())
    spec = inspection.spec
    assert spec.files.train == "train.csv" and spec.files.test == "test.csv"
    assert spec.files.sample_submission == "sample_submission.csv"
    assert spec.targets == ("HeartDisease",) and spec.task == "binary"
    assert inspection.train_shape[0] + inspection.test_shape[0] == 303


def test_meta_names_the_competition_and_resolves_back_to_the_source(
    source: Source, data_dir: Path
) -> None:
    meta = source.fetch(data_dir)
    assert meta.name == source.name == NAME
    assert resolve_source(meta.source) == source


@pytest.fixture(params=KINDS)
def broken(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Source, str]:
    """A source of each kind whose fetch must fail, and a word its sentence must hold."""
    kind = request.param
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../outside.csv", "a,b\n1,2\n")
    if kind == "practice":
        return PracticeSource("no-such-competition"), "kstarter practice"
    if kind == "zip":
        return ZipSource(evil, "evil"), "outside the competition folder"
    if kind == "folder":
        folder = tmp_path / "folder"
        folder.mkdir()
        shutil.move(evil, folder / "data.zip")
        return FolderSource(folder, "folder"), "outside the competition folder"
    request.getfixturevalue("standin").fail = "rules"
    return KaggleSource(NAME), f"https://www.kaggle.com/competitions/{NAME}/rules"


def test_a_failing_fetch_raises_one_clean_sentence(
    broken: tuple[Source, str], data_dir: Path
) -> None:
    source, needle = broken
    with pytest.raises(KstarterError) as caught:
        source.fetch(data_dir)
    message = str(caught.value)
    assert needle in message and "\n" not in message and message.endswith((".", ")"))
    assert [p.name for p in data_dir.parent.iterdir()] == ["data"]  # no download folder left
    assert not (data_dir.parent / "outside.csv").exists()
