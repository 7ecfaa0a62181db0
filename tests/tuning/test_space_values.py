"""The ends of a search space are tried on a few made-up rows before a study is made: a bound
the model library refuses is named with its entry and the library's reason (issue 16.11),
instead of failing every trial that draws it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstarter.config import CVConfig, ModelConfig, Project, TrainConfig, TuneConfig
from kstarter.errors import ConfigError
from kstarter.models import MODELS
from kstarter.spec import Spec
from kstarter.tuning import load_space
from kstarter.tuning._space import check_space_values


def _project(root: Path, family: str, space: dict | None = None, **params: object) -> Project:
    spec = Spec(name="d", source="d", task="binary", metric="auc", targets=("y",), classes=(0, 1))
    return Project(
        root=root,
        spec=spec,
        cv=CVConfig(),
        model=ModelConfig(name=family, params=dict(params)),
        train=TrainConfig(),
        raw={},
        tune=TuneConfig(search_space=space or {}),
    )


@pytest.mark.parametrize("family", ["lightgbm", "xgboost", "catboost", "linear", "random_forest"])
def test_the_shipped_spaces_pass(tmp_path: Path, family: str) -> None:
    assert family in MODELS
    project = _project(tmp_path, family)
    check_space_values(project, load_space(project))


def test_a_bound_lightgbm_refuses_is_named(tmp_path: Path) -> None:
    space = {"num_leaves": {"type": "int", "low": 1, "high": 64}}
    project = _project(tmp_path, "lightgbm", space)
    with pytest.raises(ConfigError) as caught:
        check_space_values(project, load_space(project))
    message = str(caught.value)
    assert "num_leaves reaches 1" in message and "tune.search_space.num_leaves" in message
    assert "config_auto.cpp" not in message


def test_a_choice_catboost_refuses_is_named(tmp_path: Path) -> None:
    space = {"catboost": {"grow_policy": {"type": "categorical", "choices": ["Depthwise", "Oak"]}}}
    project = _project(tmp_path, "catboost", space)
    with pytest.raises(ConfigError, match="grow_policy reaches 'Oak'"):
        check_space_values(project, load_space(project))
