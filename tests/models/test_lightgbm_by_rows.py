"""LightGBM's learning rate and leaves by table size: configs/lightgbm.yaml's ``by_rows:``
entries apply from their number of train rows up, the user's parameters still win, and the
run's record shows the values a large table trained with (bench/RESULTS.md, "Learning rate
and rounds by size")."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import Runner, edit_config

from kstarter.config import ModelConfig
from kstarter.metrics import get_metric
from kstarter.models import LightGBMModel, LightGBMXTModel, ModelSetup
from kstarter.models._lightgbm import by_rows
from kstarter.resources import load_config_yaml
from kstarter.spec import Spec

TABLE = load_config_yaml("lightgbm.yaml")
(FROM, LARGE), *_ = sorted(TABLE["by_rows"].items())  # the smallest size that changes anything


def _setup(rows: int, overrides: dict | None = None) -> ModelSetup:
    spec = Spec("synthetic", "synthetic", task="binary", classes=(0, 1), metric="auc")
    config = ModelConfig(num_boost_round=50, early_stopping_rounds=10, threads=1)
    return ModelSetup(spec, get_metric("auc"), (rows, 3), config, overrides or {}, seed=0)


def test_each_entry_holds_from_its_rows_up_a_larger_over_a_smaller() -> None:
    table = {"by_rows": {1000: {"learning_rate": 0.1}, 10: {"learning_rate": 0.07, "x": 1}}}
    assert by_rows(table, 9) == {}
    assert by_rows(table, 10) == by_rows(table, 999) == {"learning_rate": 0.07, "x": 1}
    assert by_rows(table, 1000) == by_rows(table, 10**9) == {"learning_rate": 0.1, "x": 1}
    assert by_rows({}, 10**9) == {}


def test_the_shipped_rule_changes_only_values_the_file_sets_and_only_from_its_size() -> None:
    for values in TABLE["by_rows"].values():
        assert set(values) <= set(TABLE["common"])  # a size changes a default, adds none
    small = LightGBMModel.create(_setup(FROM - 1)).params
    large = LightGBMModel.create(_setup(FROM)).params
    assert small["learning_rate"] == TABLE["common"]["learning_rate"]
    assert {k: large[k] for k in LARGE} == LARGE != {k: small[k] for k in LARGE}
    # the second configuration follows the same rule from its own file
    xt = load_config_yaml(f"{LightGBMXTModel.name}.yaml")
    assert xt["by_rows"] == TABLE["by_rows"]


def test_the_users_learning_rate_wins_at_every_size() -> None:
    for rows in (FROM - 1, FROM, 10 * FROM):
        setup = _setup(rows, {"learning_rate": 0.07})
        assert LightGBMModel.create(setup).params["learning_rate"] == 0.07
        assert LightGBMXTModel.create(replace(setup)).params["learning_rate"] == 0.07


def _large_table(folder: Path, rows: int) -> Path:
    rng = np.random.default_rng(0)
    folder.mkdir()

    def frame(n: int, start: int) -> pd.DataFrame:
        return pd.DataFrame({"id": np.arange(start, start + n), "a": rng.normal(size=n),
                             "b": rng.normal(size=n)})  # fmt: skip

    train, test = frame(rows, 0), frame(1000, rows)
    train["target"] = (train["a"] + rng.normal(size=rows) > 0).astype(int)
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    pd.DataFrame({"id": test["id"], "target": 0.5}).to_csv(
        folder / "sample_submission.csv", index=False
    )
    return folder


@pytest.mark.slow
def test_a_large_tables_run_records_the_values_it_trained_with(ks: Runner, tmp_path: Path) -> None:
    data = _large_table(tmp_path / "data", FROM)
    project = tmp_path / "p"
    ks("init", str(data), "--dir", str(project), "--metric", "auc", cwd=tmp_path)
    edit_config(project, {"model": {"early_stopping_rounds": 5, "num_boost_round": 60}})
    ks("train", "-q", cwd=project, timeout=900)
    edit_config(project, {"model": {"params": {"learning_rate": 0.07}}})
    ks("train", "-q", cwd=project, timeout=900)
    runs = sorted(d for d in (project / "runs").iterdir() if not d.name.startswith("."))
    params = [json.loads((r / "metrics.json").read_text())["params"] for r in runs]
    assert [{k: p[k] for k in LARGE} for p in params] == [LARGE, {**LARGE, "learning_rate": 0.07}]
