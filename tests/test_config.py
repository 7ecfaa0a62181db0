"""kstarter.yaml loads once into frozen dataclasses; every mistake is named with the file."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from kstarter.config import defaults, find_project, load_project
from kstarter.errors import ConfigError

COMPETITION = {"name": "c", "source": "practice/c", "targets": ["y"], "task": "regression"}


def _project(tmp_path: Path, raw: Any) -> Path:
    text = raw if isinstance(raw, str) else yaml.safe_dump(raw, sort_keys=False)
    (tmp_path / "kstarter.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _error(tmp_path: Path, raw: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        load_project(_project(tmp_path, raw))
    message = str(caught.value)
    assert str(tmp_path / "kstarter.yaml") in message, message  # the file is always named
    return message


def test_missing_sections_fall_back_to_the_defaults(tmp_path: Path) -> None:
    project = load_project(_project(tmp_path, {"competition": COMPETITION}))
    base = defaults()
    assert project.root == tmp_path.resolve()
    assert (project.cv.n_splits, project.cv.seed) == (base["cv"]["n_splits"], base["cv"]["seed"])
    assert project.model.name == base["model"]["name"]
    assert project.train.seed == base["train"]["seed"]
    assert project.spec.targets == ("y",) and project.spec.task == "regression"


def test_a_key_given_overrides_only_itself(tmp_path: Path) -> None:
    project = load_project(_project(tmp_path, {"competition": COMPETITION, "cv": {"seed": 7}}))
    assert project.cv.seed == 7 and project.cv.n_splits == defaults()["cv"]["n_splits"]


def test_the_project_is_frozen(tmp_path: Path) -> None:
    project = load_project(_project(tmp_path, {"competition": COMPETITION}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        project.cv.seed = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        project.spec = project.spec  # type: ignore[misc]


@pytest.mark.parametrize(
    ("section", "valid"),
    [
        (None, "competition"),
        ("competition", "targets"),
        ("cv", "n_splits"),
        ("model", "name"),
        ("train", "seed"),
        ("tune", "pruner"),
    ],
)
def test_unknown_key_is_named_with_the_file_and_the_valid_keys(
    tmp_path: Path, section: str | None, valid: str
) -> None:
    raw: dict[str, Any] = {"competition": dict(COMPETITION)}
    if section is None:
        raw["n_split"] = 5
    else:
        raw.setdefault(section, {})["n_split"] = 5
    message = _error(tmp_path, raw)
    assert "unknown key 'n_split'" in message
    assert f"in {section or 'top level'};" in message
    listed = re.search(r"valid keys are (.+)\.$", message)
    assert listed and valid in listed.group(1).split(", "), message


BAD = {
    "bad-yaml": ("competition: [unclosed\n", "is not valid YAML at line 2"),
    "a-list": ("- a\n- b\n", "must be a mapping of sections"),
    "no-competition": ({"cv": {"n_splits": 5}}, "no `competition:` section"),
    "competition-text": ({"competition": "titanic"}, "`competition:` must be a mapping"),
    "no-targets": ({"competition": {**COMPETITION, "targets": []}}, "competition.targets is empty"),
    "bad-task": ({"competition": {**COMPETITION, "task": "ranking"}}, "task must be one of"),
    "one-fold": ({"competition": COMPETITION, "cv": {"n_splits": 1}}, "at least 2 (found 1)"),
    "text-number": ({"competition": COMPETITION, "cv": {"n_splits": "five"}}, "(found 'five')"),
    "bool-number": ({"competition": COMPETITION, "cv": {"seed": True}}, "cv.seed must be a whole"),
    "cv-list": ({"competition": COMPETITION, "cv": [5]}, "`cv:` must be a mapping"),
    "bad-pruner": ({"competition": COMPETITION, "tune": {"pruner": "best"}}, "tune.pruner 'best'"),
    "percentile": ({"competition": COMPETITION, "tune": {"percentile": 100}}, "between 0 and 100"),
}


@pytest.mark.parametrize(("raw", "needle"), list(BAD.values()), ids=list(BAD))
def test_bad_values_are_named_with_the_file(tmp_path: Path, raw: Any, needle: str) -> None:
    assert needle in _error(tmp_path, raw)


def test_outside_a_project_says_how_to_find_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"No kstarter\.yaml in .*-C DIR"):
        find_project(tmp_path)
