"""bench/real_table.py end to end on the smallest practice competition: the defaults, a
candidate and the hand loop timed as whole processes, each scored on the held-back answer key.

It asserts that the script works, never how fast anything is (bench/RESULTS.md has the figures).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

pytestmark = pytest.mark.slow  # runs kstarter and the hand loop as processes


def test_real_table_times_each_side_and_scores_it_on_held_back_rows(tmp_path):
    out = subprocess.run(
        [sys.executable, str(BENCH / "real_table.py"), "--practice", "heart-disease",
         "--repeats", "2", "--hand-threads", "1", "--candidate", 'fast={"learning_rate": 0.2}',
         "--out", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout)
    assert result == json.loads((tmp_path / "real_table.json").read_text())
    assert (result["competition"], result["rows"], result["metric"]) == (
        "heart-disease", 227, "accuracy"
    )  # fmt: skip
    assert result["init_s"] > 0 and result["candidates"] == {"fast": {"learning_rate": 0.2}}
    sides = result["sides"]
    assert list(sides) == ["default", "fast", "hand"]
    hand = sides["hand"]["repeats"]
    for side in ("default", "fast", "hand"):
        rows = sides[side]["repeats"]
        assert len(rows) == 2
        for row in rows:
            assert row["seconds"] > row["fit_s"] > 0 and row["peak_mb"] > 50, (side, row)
            assert len(row["rounds"]) == 5 and 0.5 < row["oof"] <= 1.0, (side, row)
            scores = row["held_back"]
            assert set(scores) == {"public", "private"}
            assert all(0.4 < v <= 1.0 for v in scores.values()), (side, scores)
        if side != "hand":
            # the script divides unrounded seconds; these are rounded to the millisecond, so a
            # ratio of a 1 s hand loop can differ from the reported one by about 0.002
            ratios = [r["seconds"] / h["seconds"] for r, h in zip(rows, hand, strict=True)]
            assert sides[side]["time_ratio"]["min"] == pytest.approx(min(ratios), rel=0.005)
            assert sides[side]["time_ratio"]["max"] == pytest.approx(max(ratios), rel=0.005)
    # the candidate's parameters reached its runs, and only its runs
    runs = sorted((tmp_path / "heart-disease" / "runs").glob("*/metrics.json"))
    rates = {json.loads(p.read_text())["params"].get("learning_rate") for p in runs}
    assert 0.2 in rates and len(rates) == 2, rates
    assert sides["hand"]["repeats"][0]["threads"] == 1


def test_a_candidate_needs_a_label_and_parameters(tmp_path):
    out = subprocess.run(
        [sys.executable, str(BENCH / "real_table.py"), "--candidate", "hand={}",
         "--out", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 2 and "LABEL=JSON" in out.stderr
    assert not (tmp_path / "real_table.json").exists()
