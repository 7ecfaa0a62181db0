"""Tuned parameters belong to their study: a study named with --study never overwrites the
default study's tuned_params.yaml, so `tune --show` and `train --params tuned` agree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import Runner

COMP = "diabetes-progression"
STUDY = f"{COMP}-lightgbm"


@pytest.fixture(scope="module")
def diabetes(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("owner")
    Runner(tmp_path_factory.mktemp("home"))("init", f"practice/{COMP}", cwd=where)
    # defaults that learn too slowly for 100 rounds, so any drawn trial beats them and tune
    # recommends its study's file (a study whose defaults win recommends none)
    config = where / COMP / "kstarter.yaml"
    cfg = yaml.safe_load(config.read_text())
    cfg["model"].update({"num_boost_round": 100, "early_stopping_rounds": 10, "threads": 1,
                         "params": {"learning_rate": 0.002}})  # fmt: skip
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return where / COMP


def _best(project: Path, name: str):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    backend = JournalFileBackend(str(project / ".kstarter" / "optuna.journal"))
    return optuna.load_study(study_name=name, storage=JournalStorage(backend)).best_trial


def test_another_study_does_not_overwrite_the_default_studys_params(ks, diabetes, tmp_path):
    project = tmp_path / COMP
    shutil.copytree(diabetes, project)
    ks("tune", "--trials", "2", cwd=project)
    default_best = _best(project, STUDY)
    out = ks("tune", "--trials", "2", "--study", "other", cwd=project).stdout
    assert "--params tuning/other.yaml" in out, out

    saved = project / "tuned_params.yaml"
    text = saved.read_text()
    assert f"of study {STUDY!r}" in text, text  # still the default study's, not 'other''s
    assert yaml.safe_load(text)["params"].items() >= default_best.params.items()
    show = ks("tune", "--show", cwd=project).stdout
    assert f"best: trial {default_best.number}," in show
    assert "best saved in tuned_params.yaml: run `kstarter train --params tuned`" in show

    other = project / "tuning" / "other.yaml"
    assert (
        yaml.safe_load(other.read_text())["params"].items()
        >= _best(project, "other").params.items()
    )
    assert (
        "saved in tuning/other.yaml" in ks("tune", "--show", "--study", "other", cwd=project).stdout
    )
    ks("train", "-q", "--params", "tuning/other.yaml", cwd=project)
