"""The report's probability plots show every group: the few wrong rows of a good multiclass
model (in red, the right ones in green) and the rare class of an imbalanced binary target, each
as a share of its own rows rather than a count that the common group dwarfs. The ledger's plot
of scores over submitted runs says which way is better, so "improving" is not read as "rising"
for a loss."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex

from kstarter.runs import _report


@pytest.fixture
def figures(monkeypatch):
    kept: list = []
    monkeypatch.setattr(_report, "_png", lambda fig: kept.append(fig) or "png")
    return kept


def _groups(fig) -> dict[str, tuple[str, float]]:
    """legend label -> (bar colour, tallest bar) of the histogram panel."""
    out = {}
    for bars in fig.axes[1].containers:  # a histogram's label sits on its first bar
        out[bars.patches[0].get_label().split(" (")[0]] = (
            to_hex(bars.patches[0].get_facecolor(), keep_alpha=False),
            max(b.get_height() for b in bars.patches),
        )
    return out


def test_wrong_rows_are_red_right_rows_green_and_both_visible(figures) -> None:
    rng = np.random.default_rng(0)
    n = 2000
    correct = (rng.random(n) > 0.02).astype(int)  # 2 % wrong
    confidence = np.where(correct == 1, rng.uniform(0.8, 1, n), rng.uniform(0.4, 0.7, n))
    _report._calibration(correct, confidence, "top class: ", ("wrong", "right"))
    groups = _groups(figures[-1])
    assert groups["wrong"][0] == "#c44e52" and groups["right"][0] == "#55a868"
    # 40 wrong rows against 1960 right ones: as shares, the wrong group's bars are as tall
    assert groups["wrong"][1] > 0.05 and groups["right"][1] > 0.05
    assert figures[-1].axes[1].get_ylabel() == "share of the group's rows"


def test_the_rare_class_of_an_imbalanced_target_is_visible(figures) -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(5000) < 0.01).astype(int)
    p = np.clip(np.where(y == 1, rng.normal(0.3, 0.1, 5000), rng.normal(0.05, 0.03, 5000)), 0, 1)
    _report._calibration(y, p, "")
    groups = _groups(figures[-1])
    assert set(groups) == {"target 0", "target 1"}
    assert groups["target 1"][1] > 0.05


@pytest.mark.parametrize(("lower", "label"), [(True, "MAE (lower is better)"),
                                             (False, "MAE (higher is better)")])  # fmt: skip
def test_the_runs_timeline_says_which_way_is_better(lower: bool, label: str) -> None:
    import matplotlib.pyplot as plt

    from kstarter.runs._plots import _timeline

    fig, ax = plt.subplots()
    _timeline(ax, ["a", "b", "c"], [3.0, 2.0, 1.0], [3.1, 2.5, 2.4], [], "MAE", lower)
    assert ax.get_ylabel() == label
    assert "rising" not in ax.get_title() and "improving" in ax.get_title()
    plt.close(fig)
