"""LightGBM's second configuration (``lightgbm-xt``): its own name and parameter file over the
same LightGBM machinery, the same binned Dataset as ``lightgbm`` (in the process and in the
project's cache), and `kstarter train --model lightgbm-xt` end to end with a deadline-aware
cross-validation behind it."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import Runner

from kstarter.config import ModelConfig
from kstarter.metrics import get_metric
from kstarter.models import MODELS, FoldData, LightGBMModel, LightGBMXTModel, ModelSetup, OutOfTime
from kstarter.models._lightgbm import DATASET_PARAMS
from kstarter.prepare import Matrices
from kstarter.resources import load_config_yaml
from kstarter.spec import Spec

SECOND = LightGBMXTModel.name
TASKS = ("binary", "multiclass", "regression", "multitarget")


def _setup(seed: int = 3) -> ModelSetup:
    spec = Spec("synthetic", "synthetic", task="binary", classes=(0, 1), metric="auc")
    config = ModelConfig(num_boost_round=50, early_stopping_rounds=10, threads=1)
    return ModelSetup(spec, get_metric("auc"), (400, 3), config, seed=seed)


def _fold(store: Path | None) -> FoldData:
    rng = np.random.default_rng(2)

    def frame(n: int) -> pd.DataFrame:
        colour = pd.Categorical(rng.choice(["a", "b", "c"], n), categories=["a", "b", "c"])
        return pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n), "colour": colour})

    X = frame(400)
    y = ((X["x"] + (X["colour"] == "a") + rng.normal(0, 0.5, 400)) > 0.5).to_numpy(dtype=int)
    matrices = Matrices(X, frame(50), {c: c for c in X.columns}, store=store)
    return FoldData(matrices, y, np.arange(320), np.arange(320, 400))


def _differs() -> dict[str, object]:
    """What the second configuration's file sets that LightGBM's does not, or sets otherwise."""
    first, second = load_config_yaml("lightgbm.yaml"), load_config_yaml(f"{SECOND}.yaml")
    assert set(second) == set(first)  # the same sections: common and one per task
    ours = {k: v for k, v in first["common"].items() if k not in second["common"]}
    assert not ours, f"configs/{SECOND}.yaml leaves out {ours}: say every value"
    return {k: v for k, v in second["common"].items() if first["common"].get(k) != v}


def test_it_is_a_registered_lightgbm_with_its_own_file() -> None:
    assert MODELS[SECOND] is LightGBMXTModel and issubclass(LightGBMXTModel, LightGBMModel)
    first, second = LightGBMModel.create(_setup()), LightGBMXTModel.create(_setup())
    differs = _differs()
    assert differs, f"configs/{SECOND}.yaml is configs/lightgbm.yaml again"
    assert {k: second.params[k] for k in differs} == differs  # data, not code
    assert {k: first.params.get(k) for k in differs} != differs
    # the rest is the default's, resolved the same way (objective, seed, threads)
    same = {k: v for k, v in first.params.items() if k not in differs}
    assert {k: second.params[k] for k in same} == same


def test_the_user_overrides_win_over_its_file() -> None:
    key, value = next(iter(_differs().items()))
    setup = replace(_setup(), overrides={key: _other(value)})
    assert LightGBMXTModel.create(setup).params[key] == _other(value)


def _other(value: object) -> object:
    return (not value) if isinstance(value, bool) else value * 2  # type: ignore[operator]


@pytest.mark.parametrize("task", TASKS)
def test_its_binning_is_the_default_one(task: str) -> None:
    """So both configurations share one binned Dataset."""

    def binning(name: str) -> dict[str, object]:
        table = load_config_yaml(f"{name}.yaml")
        params = {**table["common"], **(table.get(task) or {})}
        return {k: v for k, v in params.items() if k in DATASET_PARAMS}

    assert binning(SECOND) == binning("lightgbm") != {}


def test_both_configurations_train_on_one_binned_dataset(tmp_path: Path) -> None:
    data = _fold(tmp_path)
    first = LightGBMModel.create(_setup()).fit_fold(data)
    second = LightGBMXTModel.create(_setup()).fit_fold(data)
    assert [k[0] for k in data.matrices.cache] == ["lightgbm"]  # binned once in the process
    assert len(list(tmp_path.glob("lgb-*.bin"))) == 1  # and saved once for later runs
    assert not np.array_equal(first.valid_pred, second.valid_pred)  # another model on it
    # the saved Dataset serves a later process's second configuration, bit for bit
    again = LightGBMXTModel.create(_setup()).fit_fold(_fold(tmp_path))
    np.testing.assert_array_equal(again.valid_pred, second.valid_pred)


@pytest.mark.slow
def test_train_and_tune_the_second_configuration_end_to_end(ks: Runner, tmp_path: Path) -> None:
    import optuna
    import yaml
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    from kstarter.config import load_project
    from kstarter.crossval import build_models, evaluate_model, prepare

    ks("init", "practice/breast-cancer", cwd=tmp_path)
    project = tmp_path / "breast-cancer"
    config = project / "kstarter.yaml"
    cfg = yaml.safe_load(config.read_text())
    cfg["model"].update({"num_boost_round": 300, "early_stopping_rounds": 20, "threads": 1})
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    differs = _differs()

    proc = ks("train", "--model", SECOND, cwd=project)
    assert f"-{SECOND}: CV mcc" in proc.stdout and "Traceback" not in proc.stderr
    (run,) = (project / "runs").glob(f"*-{SECOND}")
    m = json.loads((run / "metrics.json").read_text())
    assert m["model"] == SECOND and len(m["fold_scores"]) == 5 and m["cv_mean"] > 0.8
    assert {k: m["params"][k] for k in differs} == differs
    assert (run / "submission.csv").is_file()

    # tuned with LightGBM's search space, on top of its own file, in a study of its own
    proc = ks("tune", "--model", SECOND, "--trials", "3", cwd=project)
    saved = yaml.safe_load((project / f"tuned_params_{SECOND}.yaml").read_text())
    assert saved["model"] == SECOND and not (project / "tuned_params.yaml").exists()
    storage = JournalStorage(JournalFileBackend(str(project / ".kstarter/optuna.journal")))
    study = optuna.load_study(study_name=f"breast-cancer-{SECOND}", storage=storage)
    assert study.user_attrs["kstarter_model"] == SECOND and len(study.trials) == 3
    # recommended only if a drawn trial beat trial 0, the defaults (the run trained above)
    recommended = f"kstarter train --model {SECOND} --params tuned" in proc.stdout
    assert recommended == (study.best_trial.number != 0), proc.stdout
    assert study.trials[0].value == pytest.approx(m["cv_mean"], abs=1e-12, rel=0)
    assert set(saved["params"]) == set(study.best_trial.params) >= {"num_leaves"}
    ks("train", "--model", SECOND, "--params", "tuned", "-q", cwd=project)
    (tuned,) = [r for r in (project / "runs").glob(f"*-{SECOND}*") if r != run]
    t = json.loads((tuned / "metrics.json").read_text())
    assert {k: t["params"][k] for k in saved["params"]} == saved["params"]
    kept = {k: v for k, v in differs.items() if k not in saved["params"]}
    assert {k: t["params"][k] for k in kept} == kept  # the file's other values stay
    assert t["cv_mean"] == pytest.approx(study.best_value, abs=1e-12, rel=0)  # replayed

    # the same run from the library, with a deadline already past: no fold trains
    prep = prepare(load_project(project))
    models = build_models(prep, {}, 42, SECOND, seeds=2, deadline=time.monotonic() - 1)
    assert all(getattr(model, "deadline", None) is not None for model in models)
    folds_done: list[int] = []
    with pytest.raises(OutOfTime):
        evaluate_model(prep, models, lambda k, out, va: folds_done.append(k))
    assert folds_done == []


def test_its_search_space_is_lightgbm_checked_against_its_own_file(tmp_path: Path) -> None:
    """`kstarter tune --model <it>` draws from LightGBM's space over its own file: an alias of a
    parameter only its file sets is refused, naming that file."""
    from kstarter.config import CVConfig, Project, TrainConfig, TuneConfig
    from kstarter.errors import ConfigError
    from kstarter.tuning import load_space
    from kstarter.tuning._space import _lightgbm_aliases

    def project(space: dict[str, object]) -> Project:
        spec = Spec("demo", "demo", task="binary", metric="auc", targets=("y",))
        tune = TuneConfig(search_space=space)
        return Project(tmp_path, spec, CVConfig(), ModelConfig(), TrainConfig(), {}, tune=tune)

    shipped = {d.name for d in load_space(project({}), "lightgbm")}
    assert {d.name for d in load_space(project({}), SECOND)} == shipped
    (key, _), aliases = next(iter(_differs().items())), _lightgbm_aliases()
    alias = next(a for a, main in aliases.items() if main == key and a != key)
    entry = {"type": "categorical", "choices": [True, False]}
    with pytest.raises(ConfigError, match=rf"configs/{SECOND}\.yaml .*use {key}"):
        load_space(project({SECOND: {alias: entry}}), SECOND)
    assert alias in {d.name for d in load_space(project({"lightgbm": {alias: entry}}), "lightgbm")}
