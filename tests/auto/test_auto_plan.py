"""`kstarter auto`'s plan: the budget's syntax, configs/auto.yaml's checks, the order of the
steps and the cost model that decides what still fits."""

from __future__ import annotations

import pytest

from kstarter.auto import CostModel, Step, load_settings, parse_budget, settings_from
from kstarter.auto._budget import format_budget, format_seconds
from kstarter.auto._plan import order_steps
from kstarter.errors import ConfigError
from kstarter.models import MODELS


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("600", 600), ("90s", 90), ("10m", 600), ("1.5h", 5400), ("1h30m", 5400), (" 2M ", 120),
     ("0.5", 0.5), ("1m30s", 90)],
)  # fmt: skip
def test_budget_accepts_seconds_and_units(text: str, seconds: float) -> None:
    assert parse_budget(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "0", "-5", "10x", "m", "5m10", "ten", "1h-2m", "0s"])
def test_budget_refuses_what_is_not_a_positive_duration(text: str) -> None:
    with pytest.raises(ConfigError, match="is not a duration"):
        parse_budget(text)


def test_budget_is_shown_as_it_is_typed() -> None:
    assert [format_budget(s) for s in (90, 600, 5400, 7200, 61)] == [
        "90s", "10m", "1.5h", "2h", "61s"
    ]  # fmt: skip
    assert parse_budget(format_budget(5400)) == 5400
    assert format_seconds(3725) == "1:02:05" and format_seconds(65.4) == "1:05"


def test_the_shipped_file_is_valid_and_starts_with_one_run_of_each_family() -> None:
    settings = load_settings()
    singles = [s.model for s in settings.steps if s.seeds == 1]
    assert len(singles) == len(set(singles)) >= 4
    assert set(singles) <= set(MODELS)
    assert settings.steps[: len(singles)] == tuple(Step(m) for m in singles)
    assert {"hillclimb", "stack"} <= set(settings.blends)
    # the reserve for blending grows with the budget and never eats more than half of it
    assert settings.reserve(10) <= 5 and settings.reserve(3600) > settings.reserve(60)
    # ... and with the rows and runs the blends have to read and fit
    assert settings.reserve(600, 1_000_000) > settings.reserve(600, 1_000)
    assert settings.reserve(600, 1_000, members=30) > settings.reserve(600, 1_000, members=2)
    assert settings.reserve(60, 10**9) == 30
    # ... and with the classes: a stack of 10-class runs fits a multinomial on 10 x members
    # inputs (digit-recognizer's stack of three runs took 18.6 s where 5 had been kept)
    assert settings.reserve(60, 1_437, 3, columns=10) > 1.5 * settings.reserve(60, 1_437, 3)
    hill, stack = (settings.blend_seconds(1_437, 3, 10, m) for m in ("hillclimb", "stack"))
    assert stack > 2 * hill
    assert settings.blend_seconds(1_437, 3, 1, "stack") == settings.blend_seconds(1_437, 3, 1)
    assert 0 < settings.limit_share <= 1 and 0 < settings.fit_part <= 1


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"steps": [{"model": "lightgmb"}], "relative_cost": {"lightgbm": 1}}, "lightgbm"),
        ({"steps": [{"model": "lightgbm", "seeds": 0}], "relative_cost": {"lightgbm": 1}},
         "seeds must be"),
        ({"steps": [{"model": "xgboost"}], "relative_cost": {"lightgbm": 1}},
         "no entry for xgboost"),
        ({"steps": [], "relative_cost": {}}, "no steps"),
        ({"steps": [{"model": "linear"}], "relative_cost": {"linear": -1}}, "positive"),
        ({"steps": [{"model": "linear"}], "relative_cost": {"linear": 1}, "blends": ["vote"]},
         "vote"),
        ({"steps": [{"model": "linear"}], "relative_cost": {"linear": 1}, "budget": 3}, "unknown"),
        ({"steps": ["linear"], "relative_cost": {"linear": 1}}, "steps[0]"),
        ({"steps": [{"model": "linear"}], "relative_cost": {"linear": 1},
          "time_limit": {"share": 1.5}}, "time_limit.share"),
        ({"steps": [{"model": "linear"}], "relative_cost": {"linear": 1},
          "time_limit": {"fit_part": 0}}, "time_limit.fit_part"),
        ({"steps": [{"model": "linear"}], "relative_cost": {"linear": 1},
          "time_limit": {"shares": 0.5}}, "time_limit must be"),
        ({"steps": [{"model": "linear"}], "relative_cost": {"linear": 1},
          "reserve": {"per_row": "fast"}}, "reserve.per_row"),
    ],
)  # fmt: skip
def test_a_bad_auto_file_is_refused_with_the_entry_and_the_fix(raw: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=None) as err:
        settings_from(raw)
    assert needle in str(err.value)


def test_singles_come_first_then_bags_of_the_best_family_first() -> None:
    steps = [Step("lightgbm"), Step("catboost"), Step("lightgbm", 3), Step("catboost", 3),
             Step("xgboost", 3), Step("lightgbm", 5), Step("catboost", 5)]  # fmt: skip
    ranked = order_steps(steps, {"catboost": 0, "lightgbm": 1})
    assert ranked[:2] == [Step("lightgbm"), Step("catboost")]
    assert ranked[2:] == [Step("catboost", 3), Step("lightgbm", 3), Step("xgboost", 3),
                          Step("catboost", 5), Step("lightgbm", 5)]  # fmt: skip
    assert order_steps(steps, {})[2:5] == [Step("lightgbm", 3), Step("catboost", 3),
                                           Step("xgboost", 3)]  # fmt: skip


def test_cost_model_uses_measured_times_then_scales_the_unmeasured_families() -> None:
    costs = CostModel({"lightgbm": 1.0, "catboost": 4.0, "linear": 0.5}, n_folds=5)
    assert costs.estimate(Step("lightgbm")) is None  # nothing measured: the first run probes
    costs.observe("lightgbm", 1, [2.0, 2.2, 1.8, 2.0, 2.0])
    assert costs.estimate(Step("lightgbm")) == pytest.approx(10.0)
    assert costs.estimate(Step("lightgbm", 3)) == pytest.approx(30.0)
    assert costs.estimate(Step("catboost")) == pytest.approx(40.0)  # 4x lightgbm, per the file
    # once catboost has trained here, its own time counts, not the table's ratio
    costs.observe("catboost", 3, [3.0, 3.0, 3.0])  # a 3-seed bag: 1 s a seed a fold
    assert costs.estimate(Step("catboost")) == pytest.approx(5.0)
    # linear is scaled from both measured families (2 s x 0.5 and 1 s x 0.125): their median
    assert costs.estimate(Step("linear")) == pytest.approx(5 * (1.0 + 0.125) / 2)
    costs.observe_overhead(1.5)
    assert costs.estimate(Step("lightgbm")) == pytest.approx(11.5)
    assert costs.estimate(Step("mystery")) is None
