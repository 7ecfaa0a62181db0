"""bench/lr_by_size.py runs end to end at a tiny size: every candidate is scored on held-back
rows and its boosting rounds are recorded (never how good or fast any candidate is)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import lr_by_size  # noqa: E402

pytestmark = pytest.mark.slow  # a benchmark script end to end


def test_every_candidate_is_scored_on_held_back_rows_with_its_rounds(tmp_path):
    result = lr_by_size.run("generated", [1600], tmp_path)
    (row,) = result["sizes"]
    assert (row["rows"], row["metric"]) == (1600, "auc")
    assert set(row["candidates"]) == set(lr_by_size.CANDIDATES)
    for name, c in row["candidates"].items():
        assert 0.5 < c["holdout"] <= 1.0 and 0.5 < c["cv"] <= 1.0, name
        assert len(c["best_iterations"]) == 5, name  # one a fold
        # best iteration + the patience of 100 in each fold, never beyond the 5,000 budget
        assert c["rounds"] == sum(min(b + 100, 5000) for b in c["best_iterations"]), name
        assert c["rounds"] >= 5 * 101, name
        leaves = lr_by_size.CANDIDATES[name]["num_leaves"]
        assert c["rounds_x_leaves"] == c["rounds"] * leaves and c["wall_s"] >= 0, name
    table = lr_by_size.markdown([result])
    assert table.count("\n| generated | 1,600 |") == len(lr_by_size.CANDIDATES)
    assert not (tmp_path / "generated-1600").exists()  # the project is removed after its size
