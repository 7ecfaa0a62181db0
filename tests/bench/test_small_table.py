"""bench/small_table.py end to end on the smallest practice competition: both sides timed as
whole processes, the ratio, the same-parameters fit comparison and the profile's parts.

It asserts that the script works, never how fast anything is (bench/RESULTS.md has the figures).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import small_table  # noqa: E402

pytestmark = pytest.mark.slow  # runs kstarter and the hand loop as processes


def test_small_table_times_both_sides_and_names_the_parts(tmp_path):
    out = subprocess.run(
        [sys.executable, str(BENCH / "small_table.py"), "--only", "heart-disease",
         "--repeats", "1", "--out", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout)
    assert result == json.loads((tmp_path / "small_table.json").read_text())
    (row,) = result["competitions"]
    assert (row["competition"], row["rows"], row["metric"]) == ("heart-disease", 227, "accuracy")

    hand, ks = row["hand"], row["kstarter"]
    assert hand["seconds"][0] > hand["fit_s"][0] > 0 and hand["peak_mb"][0] > 50
    assert len(hand["rounds"]) == 5 and 0.6 < hand["oof"] <= 1.0  # accuracy of the OOF labels
    assert ks["init_s"][0] > 0 and ks["train_s"][0] > 0 and ks["train_mb"][0] > 50
    assert ks["total_s"][0] == pytest.approx(ks["init_s"][0] + ks["train_s"][0], abs=0.002)
    assert ks["ratio"]["median"] == pytest.approx(ks["total_s"][0] / hand["seconds"][0], rel=0.01)
    assert 0.6 < ks["oof"] <= 1.0 and len(ks["rounds"]) == 5
    same = ks["same_params"]
    assert same["fit_s"][0] > 0 and same["fit_ratio"]["median"] > 0
    assert same["ms_per_round"] > 0 and same["hand_ms_per_round"] > 0

    profile = row["profile"]["kstarter"]
    for command, spec in (("init", small_table.INIT_PARTS), ("train", small_table.TRAIN_PARTS)):
        parts = profile[command]
        assert set(parts) == {*spec, "other", "imports (wall)", "profiled total"}, command
        assert all(v >= 0 for v in parts.values()) and parts["imports (wall)"] > 0, parts
        shown = sum(v for k, v in parts.items() if k not in ("imports (wall)", "profiled total"))
        assert shown == pytest.approx(parts["profiled total"], abs=0.02), parts
        assert profile["imports"][command]["total"] > 0
    # each part was found in the profile: a renamed function would read 0 here
    assert profile["init"]["brief check"] > 0 and profile["init"]["inspect"] > 0
    train = profile["train"]
    for part in (
        "fits",
        "predictions",
        "importance.png",
        "report plots",
        "read data, features, folds",
    ):
        assert train[part] > 0, (part, train)
    assert "pandas" in profile["imports"]["train"] or "pandas" in profile["imports"]["init"]


def test_the_parts_subtract_what_runs_inside_them():
    fns = {
        "/x/kstarter/cli.py:1::train": 10.0,
        "/x/kstarter/crossval.py:5::fit_fold": 4.0,
        "/x/lightgbm/basic.py:9::predict": 1.5,
        "/x/lightgbm/basic.py:3::predict": 1.0,  # the predictor's, inside Booster.predict
        "/x/kstarter/runs/_writer.py:7::_write_files": 3.0,
        "/x/kstarter/runs/_plots.py:8::plot_importance": 0.5,
        "/x/kstarter/runs/_report.py:2::write_report": 2.0,
        "/x/kstarter/runs/_report.py:4::_fold_plot": 0.75,
    }
    got = small_table.parts({"functions": fns, "imports": 2.0}, small_table.TRAIN_PARTS,
                            small_table.TRAIN_TOTAL)  # fmt: skip
    assert got["fits"] == 2.5 and got["predictions"] == 1.5
    assert got["run files (CSVs, models, log)"] == 0.5  # 3 - importance.png - the report
    assert (got["report plots"], got["report (HTML, reading the run)"]) == (0.75, 1.25)
    assert got["other"] == pytest.approx(10 - 2.5 - 1.5 - 0.5 - 0.5 - 0.75 - 1.25)
    assert (got["imports (wall)"], got["profiled total"]) == (2.0, 10.0)
