"""Every benchmark script runs end to end at a tiny size, so none of them rots.

These assert that the scripts work and agree with each other, never how fast anything is:
speed and memory are measured by the scripts themselves (bench/RESULTS.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import make_data  # noqa: E402
import quality  # noqa: E402
import scaling  # noqa: E402
import train_speed  # noqa: E402
import tune_speed  # noqa: E402


def test_make_data_is_kaggle_shaped_and_seeded(tmp_path):
    import pandas as pd

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
    for key in ("bare", "kstarter", "bare_pruned", "kstarter_pruned", "kstarter_2_workers"):
        assert result[key]["trials"] >= 4, key
        assert result[key]["trials_per_min"] > 0
    assert result["kstarter"]["folds_trained"] == 4 * 5  # no pruner: every fold of every trial


def test_quality_scores_three_ways_on_the_private_board(tmp_path):
    out = subprocess.run(
        [sys.executable, str(BENCH / "quality.py"), "--only", "heart-disease",
         "--timeout", "3", "--out", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    (row,) = json.loads(out.stdout)["rows"]
    for key in ("default", "tuned", "library_defaults"):
        assert 0.4 < row[key]["private"] <= 1.0, row
    assert quality.__doc__


def test_threads_under_load_compares_both_settings(tmp_path):
    import threads_under_load

    (result,) = [threads_under_load.run(3000, tmp_path)]
    for load in ("quiet", "hog"):
        assert result[load]["kstarter_choice_s"] > 0 and result[load]["spinning_all_cores_s"] > 0
    assert (tmp_path / "threads-binary-3000" / "kstarter.yaml").read_text().count("threads: 0")
