"""Seed averaging (``kstarter train --seeds N``): each fold trains N models with seeds
``seed..seed+N-1`` and its predictions are their mean; one run, one record that says so.

Through the library on penguins-species (344 rows, multiclass: the mean of probability rows);
one slow end-to-end run of the installed command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import Runner

from kstarter.cli import cli
from kstarter.crossval import Prepared, build_model, build_models, evaluate, evaluate_model, prepare
from kstarter.errors import ConfigError
from kstarter.project import init_project
from kstarter.runs import read_metrics
from kstarter.train import TrainOptions, train

SEED = 42


@pytest.fixture(scope="module")
def penguins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The practice project with few rounds (kept fast; early stopping still picks them)."""
    project = init_project("practice/penguins-species", tmp_path_factory.mktemp("p") / "p").path
    config = project / "kstarter.yaml"
    text = config.read_text()
    for old, new in (("num_boost_round: 5000", "num_boost_round: 80"),
                     ("early_stopping_rounds: 100", "early_stopping_rounds: 10")):  # fmt: skip
        assert old in text
        text = text.replace(old, new)
    config.write_text(text)
    return project


@pytest.fixture(scope="module")
def prep(penguins: Path) -> Prepared:
    from kstarter.config import load_project

    return prepare(load_project(penguins))


def test_one_seed_is_the_plain_evaluation(prep: Prepared) -> None:
    plain = evaluate_model(prep, build_model(prep, {}, SEED, "lightgbm"))
    one = evaluate(prep, {}, SEED, "lightgbm", seeds=1)
    np.testing.assert_array_equal(one.cv.oof, plain.cv.oof)
    np.testing.assert_array_equal(one.cv.test, plain.cv.test)
    assert one.cv.best_iterations == plain.cv.best_iterations
    assert one.cv.importance == plain.cv.importance
    assert one.scores == plain.scores and one.params == plain.params


@pytest.mark.parametrize("family", ["lightgbm", "xgboost"])
def test_three_seeds_are_the_mean_of_three_single_seed_runs(prep: Prepared, family: str) -> None:
    singles = [evaluate(prep, {}, SEED + i, family) for i in range(3)]
    # the seeds really differ, or the mean would prove nothing
    assert not np.array_equal(singles[0].cv.oof, singles[1].cv.oof)

    three = evaluate(prep, {}, SEED, family, seeds=3)
    np.testing.assert_allclose(
        three.cv.oof, np.mean([s.cv.oof for s in singles], axis=0), rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(
        three.cv.test, np.mean([s.cv.test for s in singles], axis=0), rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(three.cv.oof.sum(axis=1), 1.0)  # probability rows stay rows
    per_fold = np.array([s.cv.best_iterations for s in singles])
    assert three.cv.best_iterations == [int(round(m)) for m in per_fold.mean(axis=0)]
    # the parameters reported are the first seed's, as a one-seed run reports its own
    assert three.params == singles[0].params


def test_seeds_below_one_are_refused(prep: Prepared) -> None:
    for n in (0, -2):
        with pytest.raises(ConfigError, match="seeds must be at least 1"):
            build_models(prep, {}, SEED, "lightgbm", n)


@pytest.mark.parametrize("n", ["0", "-1"])
def test_cli_refuses_seeds_below_one(penguins: Path, n: str) -> None:
    result = CliRunner().invoke(cli, ["train", "-C", str(penguins), "--seeds", n])
    assert result.exit_code == 2
    errors = [ln for ln in result.output.splitlines() if ln.startswith("Error: ")]
    assert len(errors) == 1 and "--seeds" in errors[0], result.output


def test_the_record_says_seeds_only_when_averaged(penguins: Path) -> None:
    lines: list[str] = []
    averaged = train(penguins, TrainOptions(seeds=3, progress=lines.append))
    single = train(penguins, TrainOptions())

    data = json.loads((averaged.path / "metrics.json").read_text())
    assert data["seeds"] == 3 and data["seed"] == SEED
    assert read_metrics(averaged.path / "metrics.json").seeds == 3
    assert "averaged over seeds 42..44" in lines[0]
    assert "seeds 42..44" in (averaged.path / "train.log").read_text()

    # a default run's record keeps today's layout: no seeds key, train.log says "seed 42"
    plain = json.loads((single.path / "metrics.json").read_text())
    assert "seeds" not in plain and list(plain)[-1] == "created"
    assert list(data) == [*plain, "seeds"]
    assert f"seed {SEED}  folds" in (single.path / "train.log").read_text()
    # same parameters, but an averaged run is not the same run as a single-seed one
    assert data["params"] == plain["params"] and data["params_hash"] != plain["params_hash"]


def test_train_seeds_end_to_end(ks: Runner, tmp_path: Path) -> None:
    ks("init", "practice/heart-disease", cwd=tmp_path)
    project = tmp_path / "heart-disease"
    proc = ks("train", "--seeds", "2", cwd=project)
    assert "CV" in proc.stdout and "Traceback" not in proc.stderr
    (run,) = [d for d in (project / "runs").iterdir() if not d.name.startswith(".")]
    assert "seeds 42..43" in (run / "train.log").read_text()
    assert json.loads((run / "metrics.json").read_text())["seeds"] == 2
    sample = pd.read_csv(next((project / "data").glob("*sample*")))
    sub = pd.read_csv(run / "submission.csv")
    assert list(sub.columns) == list(sample.columns)
    assert sub.iloc[:, 0].tolist() == sample.iloc[:, 0].tolist()
    assert sub.notna().all().all()
