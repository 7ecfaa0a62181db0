"""`kstarter blend`: runs on the same folds combine into a run like any other; weights are
fitted on OOF only and never make the blend worse than its best member there."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_clean_error

from kstarter.blend import BlendOptions, blend
from kstarter.competition import read_submission, validate_submission
from kstarter.config import load_project
from kstarter.metrics import get_metric
from kstarter.project import init_project

pytestmark = pytest.mark.slow  # every test blends runs trained on practice data

RUN_FILES = {
    "config.yaml", "metrics.json", "oof.csv", "test_pred.csv", "submission.csv", "blend.log",
    "report.html",
}  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A practice project with a LightGBM and a linear run on the same folds, trained once per
    competition and copied for each test."""
    from kstarter.train import TrainOptions, train

    made: dict[str, Path] = {}

    def get(name: str, dest: Path) -> tuple[Path, list[str]]:
        if name not in made:
            root = tmp_path_factory.mktemp(name)
            made[name] = init_project(f"practice/{name}", root / name).path
            train(made[name], TrainOptions())
            train(made[name], TrainOptions(model="linear"))
        project = Path(shutil.copytree(made[name], dest / name, symlinks=True))
        runs = sorted(d.name for d in (project / "runs").iterdir())
        assert [r.rsplit("-", 1)[1] for r in runs] == ["lightgbm", "linear"]
        return project, runs

    return get


def _metrics(project: Path, run: str) -> dict:
    return json.loads((project / "runs" / run / "metrics.json").read_text())


@pytest.mark.parametrize("name", ["diabetes-progression", "breast-cancer", "penguins-species"])
def test_weighted_blend_of_two_models_beats_or_matches_its_best_member(ks, trained, tmp_path, name):
    project, members = trained(name, tmp_path)
    proc = ks("blend", *members, cwd=project)
    blend_dir = max((project / "runs").iterdir(), key=lambda d: d.stat().st_mtime_ns)
    assert blend_dir.name.endswith("-blend") and blend_dir.name in proc.stdout
    assert {p.name for p in blend_dir.iterdir()} == RUN_FILES
    m = json.loads((blend_dir / "metrics.json").read_text())
    metric = get_metric(m["metric"])
    scores = [_metrics(project, r)["oof_score"] for r in members]
    best = max(scores) if metric.greater_is_better else min(scores)
    assert not metric.better(best, m["oof_score"]), (m["oof_score"], scores)
    assert m["model"] == "blend" and m["folds_hash"] == _metrics(project, members[0])["folds_hash"]
    assert m["cv_mean"] == pytest.approx(np.mean(m["fold_scores"]))
    weights = [x["weight"] for x in m["members"]]
    assert [x["run"] for x in m["members"]] == members
    assert sum(weights) == pytest.approx(1, abs=1e-5) and min(weights) >= 0
    # the blended OOF is the weighted sum of the members' OOF
    oofs = [pd.read_csv(project / "runs" / r / "oof.csv").filter(like="pred") for r in members]
    mine = pd.read_csv(blend_dir / "oof.csv").filter(like="pred")
    np.testing.assert_allclose(mine, sum(w * o for w, o in zip(weights, oofs, strict=True)),
                               atol=1e-5)  # fmt: skip
    # the submission matches the sample; the run is in the ledger like any other
    spec = load_project(project).spec
    sample = pd.read_csv(project / "data" / spec.files.sample_submission)
    validate_submission(read_submission(blend_dir / "submission.csv"), sample, spec)
    assert pd.read_csv(project / "runs.csv")["run"].tolist()[-1] == blend_dir.name
    assert "Fold scores" in (blend_dir / "report.html").read_text()
    for run in members:
        assert run in proc.stdout
    assert "OOF" in proc.stdout and "best member" in proc.stdout


def test_mean_and_rank_methods(trained, tmp_path):
    project, members = trained("breast-cancer", tmp_path)
    mean = blend(project, BlendOptions(tuple(members), "mean"))
    assert [x.weight for x in mean.members] == [0.5, 0.5]
    rank = blend(project, BlendOptions(tuple(members), "rank"))
    oof = pd.read_csv(rank.path / "oof.csv")["pred"]
    assert oof.between(0, 1).all() and rank.metrics.blend_method == "rank"
    assert rank.metrics.decision["kind"] == "threshold"  # refitted on the blended ranks


def test_blend_refuses_runs_on_different_folds(ks, trained, tmp_path):
    from kstarter.train import TrainOptions, train

    project, members = trained("diabetes-progression", tmp_path)
    config = project / "kstarter.yaml"
    config.write_text(config.read_text().replace("seed: 42", "seed: 7", 1))  # cv.seed
    newest = train(project, TrainOptions(model="linear", refold=True)).run_id
    before = (project / "runs.csv").read_text()
    proc = ks("blend", members[0], newest, cwd=project, check=False)
    assert_clean_error(proc, "different folds", members[0], newest, "not comparable")
    assert (project / "runs.csv").read_text() == before
    assert not any(d.name.endswith("-blend") for d in (project / "runs").iterdir())
    assert not any((project / ".kstarter" / "staging").iterdir())


def test_blend_refusals_name_the_reason(trained, tmp_path):
    from kstarter.errors import ConfigError

    project, members = trained("diabetes-progression", tmp_path)
    with pytest.raises(ConfigError, match="at least two"):
        blend(project, BlendOptions((members[0], members[0])))
    with pytest.raises(ConfigError, match="no-such-run"):
        blend(project, BlendOptions((members[0], "no-such-run")))
    with pytest.raises(ConfigError, match="rank.*mae"):
        blend(project, BlendOptions(tuple(members), "rank"))
    with pytest.raises(ConfigError, match="median"):
        blend(project, BlendOptions(tuple(members), "median"))
    assert not any(d.name.endswith("-blend") for d in (project / "runs").iterdir())
