"""CV decides the feature pack (issue 15.4): the paired rule, the ``feature_pack`` entry of
configs/auto.yaml, the trial on a table where the pack must win, and ``kstarter auto`` end to
end: the report says which won and by how much, every run records the transforms it used, and
the same project and config make the same choice and the same predictions, bit for bit."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import Runner

from kstarter import paths
from kstarter.auto import load_settings, settings_from
from kstarter.auto._pack import _Pace, decide, try_pack
from kstarter.auto._run import pack_line
from kstarter.config import load_project
from kstarter.crossval import prepare
from kstarter.errors import ConfigError
from kstarter.runs import list_runs

BASE = {"steps": [{"model": "linear"}], "relative_cost": {"linear": 1}}


def test_the_pack_is_kept_only_when_it_wins_by_more_than_noise() -> None:
    plain = [0.80, 0.81, 0.79, 0.80, 0.82]
    # better on every fold: kept (AUC, higher is better)
    kept, gain, stderr = decide(plain, [p + 0.01 for p in plain], True, 1.0)
    assert kept and gain == pytest.approx(0.01) and stderr == pytest.approx(0.0, abs=1e-12)
    # a mean gain smaller than its standard error: noise, dropped
    noisy = [0.83, 0.78, 0.81, 0.79, 0.82]  # +0.03 -0.03 +0.02 -0.01 0.0
    kept, gain, stderr = decide(plain, noisy, True, 1.0)
    assert not kept and 0 < gain < stderr
    # a loss metric: lower is better, so lower fold scores are a gain
    kept, gain, _ = decide([0.5, 0.52, 0.49], [0.45, 0.46, 0.44], False, 1.0)
    assert kept and gain == pytest.approx(0.0533333, rel=1e-4)
    # worse everywhere: dropped, whatever the margin
    assert not decide(plain, [p - 0.01 for p in plain], True, -10.0)[0]


def test_the_trial_stops_as_soon_as_its_pace_says_it_cannot_finish() -> None:
    import time

    from kstarter.models import OutOfTime

    now = time.monotonic()
    # 10 fold fits, the first took 0.5 s: about 5 s in all, past a deadline 1 s away
    pace = _Pace(now - 0.5, now + 0.5, 10)
    with pytest.raises(OutOfTime, match="needs about 5 s, going by its first fold fit"):
        pace()
    # the same pace with time enough: on it goes, and the last fit never raises
    roomy = _Pace(now - 0.5, now + 60, 2)
    roomy()
    roomy()
    assert roomy.done == 2


def test_the_shipped_auto_file_tries_a_pack() -> None:
    pack = load_settings().pack
    assert pack is not None and pack.transforms["target_encoding"] is True
    assert 0 < pack.share < 1 and pack.margin > 0


@pytest.mark.parametrize(
    ("pack", "needle"),
    [
        ({"transforms": {"target_encodng": True}}, "unknown transform 'target_encodng'"),
        ({"margin": "big"}, "feature_pack.margin"),
        ({"share": 2}, "share must be in"),
        ({"budget": 3}, "feature_pack must be a mapping"),
    ],
)
def test_a_bad_feature_pack_entry_is_refused(pack: dict, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings_from({**BASE, "feature_pack": pack})
    assert needle in str(err.value)


def _city_competition(where: Path) -> Path:
    """3,000 rows (in cities-data/) whose target follows a city of 400 (about 7 rows a
    city): LightGBM on the raw categorical barely learns it, its target encoding (fitted in
    the folds) does."""
    rng = np.random.default_rng(7)
    effect = rng.normal(0, 1.5, 400)

    def rows(n: int, start: int) -> pd.DataFrame:
        city = rng.integers(0, 400, n)
        y = (rng.random(n) < 1 / (1 + np.exp(-effect[city]))).astype(int)
        return pd.DataFrame({"id": np.arange(start, start + n), "city": [f"c{c}" for c in city],
                             "noise": rng.normal(size=n).round(3), "target": y})  # fmt: skip

    comp = where / "cities-data"
    comp.mkdir()
    rows(3000, 0).to_csv(comp / "train.csv", index=False)
    test = rows(600, 3000)
    test.drop(columns="target").to_csv(comp / "test.csv", index=False)
    pd.DataFrame({"id": test["id"], "target": 0.5}).to_csv(comp / "sample_submission.csv",
                                                           index=False)  # fmt: skip
    return comp


@pytest.mark.slow
def test_the_trial_keeps_a_pack_that_wins_and_drops_one_that_does_not(
    ks: Runner, tmp_path: Path
) -> None:
    comp = _city_competition(tmp_path)
    ks("init", str(comp), "--dir", "cities", "--metric", "auc", cwd=tmp_path)
    trial = load_settings().pack
    assert trial is not None
    prep = prepare(load_project(tmp_path / "cities"))
    choice, chosen = try_pack(prep, trial, budget=600)
    assert choice.why is None and choice.kept
    assert choice.gain is not None and choice.stderr is not None
    assert choice.gain > 0.1 and choice.gain > 3 * choice.stderr  # plain ~0.5, pack ~0.75
    assert chosen.project.features.target_encoding and chosen.encoder is not None
    assert not prep.project.features.describe()  # kstarter.yaml itself is left as it was

    # below the trial's minimum budget: not tried, kstarter.yaml's features kept
    short, same = try_pack(prep, trial, budget=trial.min_budget - 1)
    assert short.why is not None and not short.kept and same is prep

    # a round cap the cheap LightGBM is still improving at: whatever the gain, too early to
    # tell, so kstarter.yaml's (plain) features are kept, and the line says why
    early, plain = try_pack(prep, replace(trial, rounds=4, early_stopping=2), budget=600)
    assert early.why is None and early.capped > 0 and not early.kept
    assert early.gain is not None and not plain.project.features.describe()
    line = pack_line(early, "auc")
    assert "still improving at its round cap" in line and "not used" in line


@pytest.mark.slow
def test_auto_reports_the_choice_runs_record_it_and_a_rerun_is_identical(
    ks: Runner, tmp_path: Path
) -> None:
    ks("init", str(_city_competition(tmp_path)), "--dir", "a", "--metric", "auc", cwd=tmp_path)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    outs = {}
    for name in ("a", "b"):
        outs[name] = ks("auto", "--budget", "75s", cwd=tmp_path / name).stdout
    records = {n: json.loads((tmp_path / n / paths.AUTO_RECORD).read_text()) for n in "ab"}
    pack = records["a"]["feature_pack"]
    assert pack["kept"] is True and pack["gain"] > 0.1, pack
    assert "feature pack (target_encoding" in outs["a"] and "kept for the plan" in outs["a"]
    assert f"gain {pack['gain']:+.5f}" in outs["a"]
    # the same project and config: the same choice, fold score for fold score
    assert records["b"]["feature_pack"]["plain_folds"] == pack["plain_folds"]
    assert records["b"]["feature_pack"]["pack_folds"] == pack["pack_folds"]

    runs = {n: {r.id: r for r in list_runs(tmp_path / n)} for n in "ab"}
    trained = [e for e in records["a"]["entries"] if e["status"] == "trained"]
    assert trained
    for e in trained:  # every run of the plan names the transforms it trained with
        features = runs["a"][e["run"]].metrics.features
        assert features is not None and "target_encoding" in features, e
    # the first run of the plan (LightGBM with the pack) made again: the same bytes
    first_a = next(r for r in runs["a"].values() if r.metrics.model == "lightgbm")
    first_b = next(r for r in runs["b"].values() if r.metrics.model == "lightgbm")
    assert first_a.metrics.fold_scores == first_b.metrics.fold_scores
    for name in (paths.RunFiles.OOF, paths.RunFiles.TEST_PRED):
        assert (first_a.path / name).read_bytes() == (first_b.path / name).read_bytes()

    # a later auto on the same inputs reuses the choice (a budget too short for a trial) and
    # with it the runs made with the pack
    out = ks("auto", "--budget", "20s", cwd=tmp_path / "a").stdout
    again = json.loads((tmp_path / "a" / paths.AUTO_RECORD).read_text())
    assert again["feature_pack"]["reused"] is True and again["feature_pack"]["kept"] is True
    assert "the last auto's trial" in out
    assert first_a.id in {e["run"] for e in again["entries"] if e["status"] == "reused"}


@pytest.mark.slow
def test_auto_on_real_data_records_the_trial_and_plain_runs_when_it_is_dropped(
    ks: Runner, tmp_path: Path
) -> None:
    """heart-disease (303 rows): the pack's gain there is within noise, so the plan's runs
    train on plain features and record none."""
    ks("init", "practice/heart-disease", cwd=tmp_path)
    project = tmp_path / "heart-disease"
    out = ks("auto", "--budget", "70s", cwd=project).stdout
    pack = json.loads((project / paths.AUTO_RECORD).read_text())["feature_pack"]
    assert len(pack["plain_folds"]) == len(pack["pack_folds"]) == 5
    assert "feature pack (" in out
    for r in list_runs(project):
        if r.metrics.is_blend:
            continue
        features = r.metrics.features
        assert (features is not None) == pack["kept"], (r.id, features, pack)
