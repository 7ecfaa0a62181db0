"""End-to-end: `kstarter train --model xgboost` and `--model catboost` on a practice competition
with categorical columns (penguins-species: island and sex, multiclass log loss)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import Runner

from kstarter.config import load_project
from kstarter.crossval import prepare
from kstarter.metrics import get_metric


@pytest.mark.slow
def test_train_xgboost_and_catboost_on_practice_data(ks: Runner, tmp_path: Path) -> None:
    ks("init", "practice/penguins-species", cwd=tmp_path)
    project = tmp_path / "penguins-species"
    spec = load_project(project).spec
    metric = get_metric(spec.metric)
    y = prepare(load_project(project)).y
    prior = np.bincount(y) / len(y)
    constant = metric.score(y, np.tile(prior, (len(y), 1)))  # class shares for every row
    sample = pd.read_csv(project / "data" / spec.files.sample_submission)

    cv = {}
    for family in ("lightgbm", "xgboost", "catboost"):
        proc = ks("train", "--model", family, "--quiet", cwd=project)
        assert "CV" in proc.stdout and "Traceback" not in proc.stderr
        run = max((project / "runs").glob(f"*-{family}"))
        m = json.loads((run / "metrics.json").read_text())
        assert m["model"] == family and len(m["fold_scores"]) == 5
        cv[family] = m["cv_mean"]
        sub = pd.read_csv(run / "submission.csv")
        assert list(sub.columns) == list(sample.columns)
        assert sub.iloc[:, 0].tolist() == sample.iloc[:, 0].tolist()
        probs = sub.iloc[:, 1:].to_numpy(dtype=float)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    assert not (project / "catboost_info").exists()
    print(f"CV {spec.metric}: constant {constant:.4f}, " + ", ".join(
        f"{k} {v:.4f}" for k, v in cv.items()))  # fmt: skip
    for family, score in cv.items():
        assert metric.better(score, constant / 4), family  # far better than the class shares
