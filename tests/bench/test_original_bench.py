"""bench/original.py end to end at a tiny size: a Playground-style competition generated from
abalone, the real table as its original, every arm trained by the installed kstarter and scored
on the held-back rows.

It asserts that the script works and that each arm trained what it names, never which arm
scores better (bench/RESULTS.md has the figures).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from original import generate  # noqa: E402

pytestmark = pytest.mark.slow  # runs kstarter init and five trains as processes


def test_generated_rows_keep_the_columns_types_and_ranges_but_mix_the_rows() -> None:
    rng = np.random.default_rng(0)
    real = pd.DataFrame(
        {
            "size": np.round(rng.uniform(1, 2, 500), 2),
            "count": rng.integers(0, 9, 500),
            "colour": rng.choice(["red", "blue"], 500),
            "y": rng.integers(0, 2, 500),
        }
    )
    real["y"] = (real["size"] > 1.5).astype(int)  # a clean rule in the original
    out = generate(real, "y", 4000, np.random.default_rng(1), 0.15, 0.1, 0.1)
    assert list(out.columns) == list(real.columns) and len(out) == 4000
    assert out.dtypes.equals(real.dtypes)
    assert out["size"].between(1, 2).all() and np.allclose(out["size"], out["size"].round(2))
    assert set(out["colour"]) == {"red", "blue"} and set(out["y"]) <= {0, 1}
    # noisier than the original: the rule holds on about 80 to 90 % of generated rows
    agree = ((out["size"] > 1.5).astype(int) == out["y"]).mean()
    assert 0.75 < agree < 0.95, agree


def test_every_arm_trains_what_it_names_and_is_scored_on_held_back_rows(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH / "original.py"), "--only", "abalone-rings",
         "--train-rows", "600", "--test-rows", "300", "--rounds", "60", "--out", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads((tmp_path / "original.json").read_text())["tables"]["abalone-rings"]
    assert (result["metric"], result["train_rows"], result["original_rows"]) == (
        "rmsle", 600, 4177
    )  # fmt: skip
    arms = result["arms"]
    assert list(arms) == ["plain", "pack", "original", "original+stats", "pack+original"]
    for arm, row in arms.items():
        assert 0.05 < row["private"] < 0.5 and 0.05 < row["cv"] < 0.5, (arm, row)
        assert row["original"]["rows"] is (arm not in ("plain", "pack")), arm
        stats = "original_stats" in (row["features"] or {})
        assert stats is (arm in ("original+stats", "pack+original")), (arm, row["features"])
        assert bool(row["features"]) is (arm not in ("plain", "original")), arm
        # the difference from plain features on the same private rows, and its paired SE
        assert row["vs_plain_se"] is not None and (row["vs_plain_se"] > 0) is (arm != "plain")
    assert result["chosen"] in ("original", "pack+original")
    assert result["chosen_private"] == arms[result["chosen"]]["private"]
    assert "| abalone-rings | 600 / 4,177 | rmsle |" in out.stdout
