"""``kstarter train`` with the feature pack on a practice competition (adult-income): the run
record names the transforms, the CV is a real score, and a rerun with the same config is
bit-for-bit identical. Also a family other than LightGBM trains on the per-fold encodings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import Runner

PACK = """
features:
  target_encoding: {smoothing: 20}
  count_encoding: true
  missing: true
  numeric_as_category: true
  crosses: {max_cardinality: 400, max_pairs: 6}
"""


def _runs(project: Path) -> list[Path]:
    return sorted(p for p in (project / "runs").iterdir() if (p / "metrics.json").exists())


@pytest.mark.slow
def test_train_with_the_pack_records_it_and_reruns_identically(ks: Runner, tmp_path: Path) -> None:
    ks("init", "practice/adult-income", cwd=tmp_path)
    project = tmp_path / "adult-income"
    config = project / "kstarter.yaml"
    text = config.read_text()
    for old, new in (("num_boost_round: 5000", "num_boost_round: 30"),
                     ("early_stopping_rounds: 100", "early_stopping_rounds: 5"),
                     ("n_splits: 5", "n_splits: 3")):  # fmt: skip
        assert old in text
        text = text.replace(old, new)
    config.write_text(text + PACK)
    ks("train", cwd=project)
    ks("train", cwd=project)
    first, second = _runs(project)
    record = json.loads((first / "metrics.json").read_text())
    assert record["features"]["target_encoding"] == {"smoothing": 20.0}
    assert record["features"]["crosses"]["encode"] == "count"
    assert record["cv_mean"] > 0.85  # a real AUC on adult income
    assert record["n_features"] > 14 + 9  # the user's columns, the pack's, the encodings
    importance = pd.read_csv(first / "importance.csv")
    made = set(importance["feature"])
    assert any(f.endswith("__te") for f in made) and any(f.endswith("__count") for f in made)
    again = json.loads((second / "metrics.json").read_text())
    assert again["fold_scores"] == record["fold_scores"]
    for name in ("oof.csv", "test_pred.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("family", ["linear", "xgboost"])
def test_other_families_train_on_the_fold_encodings(tmp_path: Path, family: str) -> None:
    from kstarter.config import load_project
    from kstarter.crossval import evaluate, prepare
    from kstarter.project import init_project

    project = init_project("practice/penguins-species", tmp_path / "p").path
    config = project / "kstarter.yaml"
    text = config.read_text().replace("num_boost_round: 5000", "num_boost_round: 50")
    config.write_text(text + "features:\n  target_encoding: true\n  count_encoding: true\n")
    prep = prepare(load_project(project))
    assert prep.encoder is not None
    ev = evaluate(prep, {}, 42, family)
    assert np.isfinite(ev.cv.oof[prep.folds.validated]).all()
    assert ev.scores.cv_mean < 0.5  # multi-logloss of a model that learned the species
