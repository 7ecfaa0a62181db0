"""bench's second table shape (issue 17's 1M-row table), at a tiny size: its columns, and that
train_speed runs kstarter and the reference on it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import make_data  # noqa: E402
import train_speed  # noqa: E402

pytestmark = pytest.mark.slow  # every benchmark script runs end to end


def test_zipf_shape_has_the_issues_columns_and_is_seeded(tmp_path):
    import pandas as pd

    a = make_data.build(5000, tmp_path / "a", "binary", shape="zipf")
    b = make_data.build(5000, tmp_path / "b", "binary", shape="zipf")
    assert (a / "train.csv").read_bytes() == (b / "train.csv").read_bytes()
    train, test = pd.read_csv(a / "train.csv"), pd.read_csv(a / "test.csv")
    assert train.shape == (5000, 57) and test.shape == (1250, 56)  # id + 55 features (+ target)
    assert set(train["target"].unique()) == {0, 1}
    floats, strings = train.select_dtypes("float"), train.select_dtypes("str")
    assert (floats.shape[1], strings.shape[1]) == (50, 5)
    assert not train.isna().any().any()
    # every float as written has at most 6 decimals, and most have exactly 6
    text = pd.read_csv(a / "train.csv", dtype=str, usecols=list(floats.columns))
    decimals = text.stack().str.split(".").str[1].str.len()
    assert decimals.max() == 6 and (decimals == 6).mean() > 0.85
    # cardinalities 3, 12, 100, 1,000 and 20,000: the small ones are all seen, the big ones
    # have many levels, and the most common level is far more frequent than the median (Zipf)
    both = pd.concat([train[strings.columns], test[strings.columns]])
    seen = both.nunique().tolist()
    assert seen[:3] == [3, 12, 100] and 500 < seen[3] <= 1000 and 1500 < seen[4] <= 20000
    counts = both["cat3"].value_counts()
    assert counts.iloc[0] > 20 * counts.median()


def test_train_speed_runs_on_the_zipf_shape(tmp_path):
    result = train_speed.run(3000, 1, "binary", 30, tmp_path, shape="zipf")
    assert result["shape"] == "zipf"
    for kind in ("first", "rerun"):
        assert result[kind]["time_ratio"]["median"] > 0
    project = tmp_path / "project-zipf-binary-3000"
    assert "num_leaves: 31" in (project / "kstarter.yaml").read_text()
    # each side's rounds, so a time ratio can be read as rounds run against time per round
    kstarter_best, reference_best = (
        result["kstarter_best_iterations"],
        result["reference_best_iterations"],
    )
    assert len(kstarter_best) == len(reference_best) > 1 and min(reference_best) > 0
    # same folds, same parameters: the two loops score alike
    assert result["kstarter_oof"] == pytest.approx(result["reference_oof"], abs=0.03)
