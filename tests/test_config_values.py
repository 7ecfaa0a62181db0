"""Every value of kstarter.yaml is validated where it is loaded (issue 16.11): a value that used
to pass and then crash (a seed LightGBM cannot take, `files` or `targets` of the wrong shape, a
submission kind that does not fit the task, an unknown label_dtype, more folds than rows, ids
naming columns the files lack) is one sentence naming the key, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from kstarter.config import load_project
from kstarter.errors import ConfigError
from kstarter.folds import make_assignment
from kstarter.prepare import load_tables

COMPETITION = {"name": "c", "source": "practice/c", "targets": ["y"], "task": "regression"}


def _load(tmp_path: Path, competition: dict[str, Any], **sections: Any) -> Any:
    raw = {"competition": {**COMPETITION, **competition}, **sections}
    (tmp_path / "kstarter.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return load_project(tmp_path)


@pytest.mark.parametrize(
    ("competition", "sections", "needle"),
    [
        ({}, {"train": {"seed": 2**40}}, "train.seed must be between 0 and 2147483647"),
        ({}, {"cv": {"seed": -1}}, "cv.seed must be between 0"),
        ({}, {"cv": {"groups": ["user"]}}, "cv.groups must be a column name"),
        ({"files": "train.csv"}, {}, "competition.files must map train, test"),
        ({"files": {"train": "a.csv", "tests": "b.csv"}}, {}, "unknown key 'tests'"),
        ({"files": {"train": 3}}, {}, "competition.files must map"),
        ({"targets": "y"}, {}, "competition.targets must be a list of column names"),
        ({"id": ["PassengerId"]}, {}, "competition.id must be a column name"),
        ({"drop": "Name"}, {}, "competition.drop must be a list"),
        ({"classes": "0,1"}, {}, "competition.classes must be a list"),
        ({"metric": 3}, {}, "competition.metric must be text"),
        ({"kind": "label"}, {}, "kind 'label' does not fit a regression task; use value"),
        ({"task": "binary", "kind": "class_proba"}, {}, "use label or proba"),
        ({"label_dtype": "string"}, {}, "label_dtype must be one of int, bool, str, float"),
        ({"daily_limit": "five"}, {}, "daily_limit must be a whole number"),
        ({"code_competition": "no"}, {}, "code_competition must be true or false"),
        ({"text_components": -1}, {}, "text_components must be a whole number >= 0"),
    ],
)
def test_a_bad_value_is_named_with_the_file(
    tmp_path: Path, competition: dict, sections: dict, needle: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, competition, **sections)
    message = str(caught.value)
    assert needle in message and str(tmp_path / "kstarter.yaml") in message, message


def test_values_init_writes_still_load(tmp_path: Path) -> None:
    project = _load(
        tmp_path,
        {"task": "binary", "kind": "proba", "label_dtype": "int", "classes": [0, 1]},
        train={"seed": 2**31 - 1},
    )
    assert project.train.seed == 2**31 - 1 and project.spec.kind == "proba"


def test_more_folds_than_rows_is_a_sentence(tmp_path: Path) -> None:
    project = _load(tmp_path, {}, cv={"n_splits": 5})
    train = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    with pytest.raises(ConfigError, match="cv.n_splits is 5 but train has only 3 rows"):
        make_assignment(project, train, np.array([1.0, 2.0, 3.0]))


def _data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text("id,x,y\n1,0.5,1.0\n2,0.7,2.0\n")
    (data / "test.csv").write_text("id,x\n3,0.1\n")
    (data / "sample_submission.csv").write_text("id,y\n3,0\n")


@pytest.mark.parametrize(
    ("competition", "needle"),
    [
        ({"id": "ID"}, "competition.id names 'ID', which is not a column of data/test.csv"),
        ({"sample_id": "row"}, "competition.sample_id names 'row'"),
        ({"pred_columns": ["target"]}, "competition.pred_columns names 'target'"),
    ],
)
def test_ids_naming_missing_columns_are_named_at_load(
    tmp_path: Path, competition: dict, needle: str
) -> None:
    _data(tmp_path)
    base = {"id": "id", "sample_id": "id", "pred_columns": ["y"]}
    project = _load(tmp_path, {**base, **competition})
    with pytest.raises(ConfigError) as caught:
        load_tables(project)
    assert needle in str(caught.value)
    if competition.get("id") == "ID":
        assert "did you mean 'id'?" in str(caught.value)
