"""configs/lightgbm.yaml's ``by_rows``: the learning rate (or any parameter) by table size,
from the file, under the user's overrides, and a damaged section as one sentence."""

from __future__ import annotations

import re

import pytest

from kstarter.config import ModelConfig
from kstarter.errors import ConfigError
from kstarter.metrics import get_metric
from kstarter.models import LightGBMModel, LightGBMXTModel, ModelSetup
from kstarter.models._lightgbm import by_rows
from kstarter.resources import load_config_yaml
from kstarter.spec import Spec


def _setup(rows: int, overrides: dict | None = None) -> ModelSetup:
    spec = Spec("synthetic", "synthetic", task="binary", classes=(0, 1), metric="auc")
    config = ModelConfig(threads=1)
    return ModelSetup(spec, get_metric("auc"), (rows, 10), config, dict(overrides or {}))


def test_the_rate_steps_up_at_the_files_row_count() -> None:
    table = load_config_yaml("lightgbm.yaml")
    (step,) = table["by_rows"]  # one step today: lr 0.1 from 100,000 rows
    small = table["common"]["learning_rate"]
    big = table["by_rows"][step]["learning_rate"]
    assert big > small
    assert LightGBMModel.create(_setup(step - 1)).params["learning_rate"] == small
    assert LightGBMModel.create(_setup(step)).params["learning_rate"] == big
    assert LightGBMModel.create(_setup(10 * step)).params["learning_rate"] == big
    # the rest of the defaults do not move with the size
    a, b = LightGBMModel.create(_setup(step - 1)), LightGBMModel.create(_setup(step))
    assert {k: v for k, v in a.params.items() if k not in ("learning_rate", "num_threads")} == {
        k: v for k, v in b.params.items() if k not in ("learning_rate", "num_threads")
    }


def test_the_users_parameters_still_win() -> None:
    step = min(load_config_yaml("lightgbm.yaml")["by_rows"])
    model = LightGBMModel.create(_setup(step, {"learning_rate": 0.03}))
    assert model.params["learning_rate"] == 0.03


def test_a_configuration_without_steps_keeps_its_rate() -> None:
    step = min(load_config_yaml("lightgbm.yaml")["by_rows"])
    xt = load_config_yaml(f"{LightGBMXTModel.name}.yaml")
    rate = LightGBMXTModel.create(_setup(step)).params["learning_rate"]
    assert rate == xt["common"]["learning_rate"]


def test_the_largest_step_reached_wins() -> None:
    table = {"by_rows": {1000: {"learning_rate": 0.1}, 10: {"learning_rate": 0.07}}}
    assert by_rows(table, 9, "f") == {}
    assert by_rows(table, 10, "f") == {"learning_rate": 0.07}
    assert by_rows(table, 999, "f") == {"learning_rate": 0.07}
    assert by_rows(table, 5000, "f") == {"learning_rate": 0.1}
    assert by_rows({}, 5000, "f") == {} and by_rows({"by_rows": None}, 5000, "f") == {}


@pytest.mark.parametrize(
    "section, said",
    [
        ({"many": {"learning_rate": 0.1}}, "row counts (whole numbers)"),
        ({-5: {"learning_rate": 0.1}}, "row counts (whole numbers)"),
        ({True: {"learning_rate": 0.1}}, "row counts (whole numbers)"),
        ([100, 0.1], "row counts (whole numbers)"),
        ({100: 0.1}, "by_rows.100 must be a mapping"),
    ],
)
def test_a_damaged_section_is_one_sentence(section, said) -> None:
    with pytest.raises(ConfigError, match=re.escape(said)) as err:
        by_rows({"by_rows": section}, 500, "configs/lightgbm.yaml")
    assert str(err.value).startswith("configs/lightgbm.yaml: by_rows")
