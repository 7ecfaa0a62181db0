"""kstarter.paths names every file of a project once: relative names, none used twice."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from kstarter import paths

CLASSES = ("RunFiles", "RunModels")
PROJECT = {name: getattr(paths, name) for name in paths.__all__ if name not in CLASSES}
RUN = {name: value for name, value in vars(paths.RunFiles).items() if name.isupper()}
MODELS = {name: value for name, value in vars(paths.RunModels).items() if name.isupper()}


def test_all_lists_every_name() -> None:
    public = {name for name, value in vars(paths).items() if name.isupper() and name[0] != "_"}
    assert public == set(PROJECT)
    assert "RunFiles" in paths.__all__
    assert len(paths.__all__) == len(set(paths.__all__))


@pytest.mark.parametrize(
    ("name", "value"), [*PROJECT.items(), *(("RunFiles." + k, v) for k, v in RUN.items())]
)
def test_every_name_is_relative_and_stays_inside(name: str, value: str) -> None:
    path = PurePosixPath(value)
    assert isinstance(value, str) and value, name
    assert not path.is_absolute() and ".." not in path.parts, name
    assert "\\" not in value and not value.startswith("~") and not value.endswith("/"), name
    assert path.as_posix() == value, f"{name} is not in its plain form: {value!r}"


def test_project_names_are_unique() -> None:
    assert len(set(PROJECT.values())) == len(PROJECT), PROJECT


def test_run_models_names_are_plain_and_apart_from_the_run_files() -> None:
    assert all("/" not in value for value in MODELS.values()), MODELS
    assert MODELS["FOLDER"] not in RUN.values(), "models/ would collide with a run file"
    assert len(set(MODELS.values())) == len(MODELS), MODELS


def test_run_files_are_unique_plain_file_names() -> None:
    assert len(set(RUN.values())) == len(RUN), RUN
    assert all("/" not in value and "." in value for value in RUN.values()), RUN


def test_kstarter_state_lives_in_the_state_folder() -> None:
    state = [paths.FOLDS_META, paths.CHECK, paths.JOURNAL, paths.CACHE, paths.STAGING]
    assert all(PurePosixPath(p).parts[0] == paths.STATE for p in state)
    # the user's own files stay out of it
    for name in ("CONFIG", "FEATURES", "README", "NOTEBOOK", "DATA", "FOLDS", "RUNS"):
        assert PurePosixPath(PROJECT[name]).parts[0] != paths.STATE, name


def test_no_two_names_nest_into_each_other() -> None:
    """A file name is never the folder of another (runs.csv inside runs/ would be one)."""
    parts = {name: PurePosixPath(value).parts for name, value in PROJECT.items()}
    folders = {"DATA", "RUNS", "STATE", "CACHE", "STAGING", "STUDY_PLOTS"}
    for name, value in parts.items():
        for other, folder in parts.items():
            if other != name and value[: len(folder)] == folder:
                assert other in folders, f"{name} lies inside {other}, which names a file"


def test_the_docstring_map_shows_every_name() -> None:
    doc = paths.__doc__ or ""
    missing = [name for name in PROJECT if f" {name} " not in doc.replace("\n", " \n")]
    assert missing == [], "add these to the tree in kstarter/paths.py's docstring"
