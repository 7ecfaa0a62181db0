"""`kstarter blend --method hillclimb | stack`, the nested CV beside the plain one, and the form
without RUN arguments that blends every eligible run; on runs trained on practice data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_clean_error

from kstarter.blend import BlendOptions, blend, eligible_runs
from kstarter.competition import Overrides, read_submission, validate_submission
from kstarter.config import load_project
from kstarter.errors import ConfigError
from kstarter.metrics import get_metric
from kstarter.project import init_project
from kstarter.runs import RunMetrics

pytestmark = pytest.mark.slow  # every test blends runs trained on practice data

NESTED_KEYS = {"nested_fold_scores", "nested_cv_mean", "nested_cv_std", "nested_oof_score"}

# name -> (practice competition, metric override, the runs trained: (model, seed))
PROJECTS = {
    "diabetes-rmse": ("diabetes-progression", "rmse",
                      [("lightgbm", None), ("lightgbm", 7), ("xgboost", None), ("linear", None)]),
    "cancer-auc": ("breast-cancer", "auc", [("lightgbm", None), ("xgboost", None),
                                            ("linear", None)]),
    "heart": ("heart-disease", None, [("lightgbm", None), ("linear", None)]),
    "penguins": ("penguins-species", None, [("lightgbm", None), ("linear", None)]),
    "abalone": ("abalone-rings", None, [("lightgbm", None), ("linear", None)]),
}  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A practice project with its runs, trained once per module and copied for each test."""
    from kstarter.train import TrainOptions, train

    made: dict[str, Path] = {}

    def get(name: str, dest: Path) -> Path:
        if name not in made:
            comp, metric, runs = PROJECTS[name]
            root = tmp_path_factory.mktemp(name)
            made[name] = init_project(
                f"practice/{comp}", root / name, Overrides(metric=metric)
            ).path
            for model, seed in runs:
                train(made[name], TrainOptions(model=model, seed=seed))
        return Path(shutil.copytree(made[name], dest / name, symlinks=True))

    return get


def _metric(result) -> object:
    return get_metric(result.metrics.metric)


def _best_member(result) -> float:
    metric = _metric(result)
    scores = [m.oof_score for m in result.members]
    return max(scores) if metric.greater_is_better else min(scores)


def _not_better(metric, a: float, b: float) -> bool:
    """``a`` is not better than ``b`` (up to rounding)."""
    return not metric.better(a, b + (1e-12 if metric.greater_is_better else -1e-12))


def _check_run(project: Path, result) -> None:
    """Written like any run: its submission matches the sample, its record has the nested
    scores exactly when the method fitted something."""
    spec = load_project(project).spec
    sample = pd.read_csv(project / "data" / spec.files.sample_submission)
    validate_submission(read_submission(result.path / "submission.csv"), sample, spec)
    data = json.loads((result.path / "metrics.json").read_text())
    fitted = result.metrics.blend_method in ("weights", "hillclimb", "stack")
    assert NESTED_KEYS & set(data) == (NESTED_KEYS if fitted else set())
    assert RunMetrics.from_json(data) == result.metrics  # the record reads back the same
    if fitted:
        m = result.metrics
        assert len(m.nested_fold_scores) == len(m.fold_scores)
        assert m.nested_cv_mean == pytest.approx(np.mean(m.nested_fold_scores))
        assert m.honest_cv_mean == m.nested_cv_mean and m.honest_cv_std == m.nested_cv_std


def test_fitted_blends_of_many_runs_are_honest_about_their_cv(trained, tmp_path):
    """Four runs of three families: every fitted method scores better on the OOF rows it was
    fitted on than on rows it did not see, and hill climbing never ends below its best member."""
    project = trained("diabetes-rmse", tmp_path)
    metric = get_metric("rmse")
    seen = {}
    for method in ("weights", "hillclimb", "stack"):
        result = blend(project, BlendOptions((), method))
        m = result.metrics
        assert result.picked and len(result.members) == 4, result.skipped
        assert m.nested_oof_score is not None and m.nested_cv_mean is not None
        assert _not_better(metric, m.nested_oof_score, m.oof_score), (method, m)
        assert _not_better(metric, m.nested_cv_mean, m.cv_mean), (method, m)
        if method != "stack":
            assert _not_better(metric, _best_member(result), m.oof_score), method
        _check_run(project, result)
        seen[method] = result
    # hill climbing picks with replacement: each weight is a whole number of picks
    weights = np.array([x.weight for x in seen["hillclimb"].members])
    picks = weights / weights[weights > 0].min()
    np.testing.assert_allclose(picks, np.round(picks), atol=1e-3)
    assert seen["hillclimb"].metrics.params["max_steps"] == 100
    assert seen["stack"].metrics.params["stacker"]["model"] == "ridge"
    # the blends after the first were not blended in: blends are never eligible
    assert [r for r, why in seen["stack"].skipped if why == "a blend"] == [
        seen["weights"].run_id,
        seen["hillclimb"].run_id,
    ]
    mean = blend(project, BlendOptions((), "mean"))  # fits nothing: no nested estimate
    assert (
        mean.metrics.nested_cv_mean is None and mean.metrics.honest_cv_mean == mean.metrics.cv_mean
    )
    _check_run(project, mean)


def test_hill_climbing_a_label_metric_never_ends_below_its_best_member(trained, tmp_path):
    """Accuracy, searched by its proxy (AUC) and checked on accuracy with a refitted threshold."""
    project = trained("heart", tmp_path)
    result = blend(project, BlendOptions(tuple(eligible_runs(project)), "hillclimb"))
    assert _not_better(_metric(result), _best_member(result), result.metrics.oof_score)
    assert result.metrics.decision["kind"] == "threshold"
    _check_run(project, result)


def test_binary_auc_hillclimb_and_stack(trained, tmp_path):
    project = trained("cancer-auc", tmp_path)
    metric = get_metric("auc")
    climb = blend(project, BlendOptions((), "hillclimb"))
    assert _not_better(metric, _best_member(climb), climb.metrics.oof_score)
    stack = blend(project, BlendOptions((), "stack"))  # a rank metric may stack
    oof = pd.read_csv(stack.path / "oof.csv")["pred"]
    test = pd.read_csv(stack.path / "test_pred.csv")["pred"]
    assert oof.between(0, 1).all() and test.between(0, 1).all()
    stacker = stack.metrics.params["stacker"]
    assert (stacker["model"], stacker["features"], stacker["C"]) == ("logistic", "logit", 1.0)
    assert len(stacker["targets"][0]["coef"][0]) == 3  # one coefficient per member
    shares = [x.weight for x in stack.members]
    assert sum(shares) == pytest.approx(1, abs=1e-5) and min(shares) >= 0
    # the stacked OOF is the logistic model applied to the members' logits
    logits = np.column_stack([_logit(project, x.run) for x in stack.members])
    fitted = stacker["targets"][0]
    z = logits @ np.array(fitted["coef"][0]) + fitted["intercept"][0]
    np.testing.assert_allclose(oof, 1 / (1 + np.exp(-z)), atol=1e-4)
    for result in (climb, stack):
        _check_run(project, result)


def _logit(project: Path, run: str) -> np.ndarray:
    p = np.clip(pd.read_csv(project / "runs" / run / "oof.csv")["pred"].to_numpy(), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def test_multiclass_stack_is_multinomial_on_log_probabilities(trained, tmp_path):
    project = trained("penguins", tmp_path)
    result = blend(project, BlendOptions((), "stack"))
    oof = pd.read_csv(result.path / "oof.csv").filter(like="pred")
    assert oof.shape[1] == 3 and np.allclose(oof.sum(axis=1), 1.0)
    stacker = result.metrics.params["stacker"]
    assert stacker["features"] == "log_proba"
    assert np.array(stacker["targets"][0]["coef"]).shape == (3, 2 * 3)  # classes x members*classes
    assert result.metrics.nested_oof_score is not None
    climb = blend(project, BlendOptions((), "hillclimb"))
    assert _not_better(_metric(climb), _best_member(climb), climb.metrics.oof_score)
    for r in (result, climb):
        _check_run(project, r)


def test_regression_stack_on_the_log_scale_for_rmsle(trained, tmp_path):
    project = trained("abalone", tmp_path)
    result = blend(project, BlendOptions((), "stack"))
    stacker = result.metrics.params["stacker"]
    assert (stacker["model"], stacker["features"]) == ("ridge", "log1p_prediction")
    assert stacker["targets"][0]["alpha"] > 0
    assert (pd.read_csv(result.path / "test_pred.csv")["pred"] >= 0).all()
    assert _not_better(_metric(result), result.metrics.nested_oof_score, result.metrics.oof_score)
    _check_run(project, result)


def test_without_runs_every_eligible_run_is_blended(trained, tmp_path):
    """A blend and the runs on the old folds are skipped, each with its reason; fewer than two
    eligible runs is a clear error."""
    from kstarter.train import TrainOptions, train

    project = trained("heart", tmp_path)
    old = eligible_runs(project)
    assert len(old) == 2
    old_blend = blend(project, BlendOptions((), "mean")).run_id
    config = project / "kstarter.yaml"
    config.write_text(config.read_text().replace("seed: 42", "seed: 7", 1))  # cv.seed
    first = train(project, TrainOptions(model="linear", refold=True)).run_id
    with pytest.raises(ConfigError, match=r"Only 1 run\(s\).*other folds.*a blend"):
        blend(project, BlendOptions((), "hillclimb"))
    second = train(project, TrainOptions(model="lightgbm")).run_id
    assert eligible_runs(project) == [first, second]
    result = blend(project, BlendOptions((), "hillclimb"))
    assert [m.run for m in result.members] == [first, second]
    assert dict(result.skipped) == {old[0]: "other folds", old[1]: "other folds",
                                    old_blend: "a blend"}  # fmt: skip
    _check_run(project, result)


def test_cli_hillclimb_and_stack_write_valid_submissions(ks, trained, tmp_path):
    project = trained("cancer-auc", tmp_path)
    spec = load_project(project).spec
    sample = pd.read_csv(project / "data" / spec.files.sample_submission)
    for method, why in (("hillclimb", "selection made without"), ("stack", "stacker fitted")):
        proc = ks("blend", "--method", method, cwd=project)
        lines = proc.stdout.splitlines()
        assert lines[0].startswith("Took every eligible run (3)"), proc.stdout
        nested = next(ln for ln in lines if "nested CV" in ln)
        assert why in nested and "±" in nested
        run = next(ln for ln in lines if ln.startswith("Blend ")).split()[1].rstrip(":")
        validate_submission(read_submission(project / "runs" / run / "submission.csv"),
                            sample, spec)  # fmt: skip
    assert sum(d.name.endswith("-blend") for d in (project / "runs").iterdir()) == 2
    other = trained("heart", tmp_path)
    proc = ks("blend", "--method", "stack", "-C", str(other), cwd=tmp_path)
    assert "nested CV" in proc.stdout
    empty = tmp_path / "one-run"
    shutil.copytree(other, empty)
    for d in sorted((empty / "runs").iterdir())[1:]:
        shutil.rmtree(d)
    proc = ks("blend", "--method", "hillclimb", cwd=empty, check=False)
    assert_clean_error(proc, "Only 1 run(s)", "train another")
