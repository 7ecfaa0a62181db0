"""The original dataset's pieces without the command: its kstarter.yaml section, lining its
columns up with train's (one sentence per mismatch), and ``original_stats`` (fitted on the
original's rows only, cross-fitted on those rows themselves)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kstarter.errors import ConfigError, SpecError
from kstarter.original import INDICATOR, STATS_FOLDS, add_original_stats, parse_original
from kstarter.original._table import align_original
from kstarter.spec import Spec

WHERE = Path("kstarter.yaml")
OK = {"file": "original/o.csv", "sha256": "ab" * 32, "source": "./o.csv"}


def test_the_section_reads_back_with_its_defaults() -> None:
    assert parse_original(WHERE, None) is None
    original = parse_original(WHERE, OK)
    assert original is not None and original.rows and original.weight == 1.0
    assert original.describe()["file"] == "original/o.csv"


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"weight": 0}, "original.weight must be a number above 0"),
        ({"weight": True}, "original.weight"),
        ({"rows": "yes"}, "original.rows must be true or false"),
        ({"file": "/etc/passwd"}, "a path under data/"),
        ({"file": "../x.csv"}, "a path under data/"),
        ({"sha": "x"}, "unknown key 'sha'"),
    ],
)
def test_a_bad_section_is_one_sentence(change: dict, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_original(WHERE, {**OK, **change})
    assert needle in str(err.value)


def _spec() -> Spec:
    return Spec(name="t", source="practice/t", task="binary", id="id", targets=("y",),
                classes=(0, 1))  # fmt: skip


def _train() -> pd.DataFrame:
    return pd.DataFrame({"id": ["1", "2"], "color": ["red", "blue"], "size": [1.5, 2.0],
                         "y": [0, 1]})  # fmt: skip


def test_columns_line_up_with_train_and_extras_are_left_out() -> None:
    orig = pd.DataFrame({"size": [3, 4], "color": [7, 8], "y": [1, 0], "site": ["a", "b"]})
    aligned, extra = align_original(orig, _train(), _spec(), "data/original/o.csv")
    assert list(aligned.columns) == ["id", "color", "size", "y"] and extra == ["site"]
    assert aligned["id"].isna().all()  # an original has no ids: none are made up
    assert aligned["color"].tolist() == ["7", "8"]  # text in train: text here too


@pytest.mark.parametrize(
    ("orig", "needle"),
    [
        ({"color": ["r"], "size": [1.0]}, "has no target column 'y'"),
        ({"Colour": ["r"], "size": [1.0], "y": [0]}, "no column 'color' (did you mean 'Colour'?)"),
        ({"color": ["r"], "size": ["big"], "y": [0]}, "'size' holds numbers in train but text"),
        ({"color": ["r"], "size": [1.0], "y": [2]}, "target values train does not (2"),
        ({"color": ["r"], "size": [1.0], "y": [None]}, "Target 'y' has 1 missing values"),
    ],
)  # fmt: skip
def test_a_mismatch_is_one_sentence(orig: dict, needle: str) -> None:
    with pytest.raises(SpecError) as err:
        align_original(pd.DataFrame(orig), _train(), _spec(), "data/original/o.csv")
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_train_with_the_indicator_name_is_refused() -> None:
    train = _train().assign(**{INDICATOR: 0})
    with pytest.raises(SpecError, match="rename it"):
        align_original(train.copy(), train, _spec(), "o.csv")


def test_stats_are_the_originals_smoothed_mean_and_never_a_rows_own_target() -> None:
    cat = pd.CategoricalDtype(["a", "b", "c"])
    X_train = pd.DataFrame({"k": pd.Categorical(["a", "b", "c"], dtype=cat)})
    X_test = pd.DataFrame({"k": pd.Categorical(["b"], dtype=cat)})
    # ten original rows: "a" always 1, "b" always 0, never "c"
    X_orig = pd.DataFrame({"k": pd.Categorical(["a"] * 5 + ["b"] * 5, dtype=cat)})
    y = np.array([1.0] * 5 + [0.0] * 5)[:, None]
    tr, te, orig = add_original_stats(X_train, X_test, X_orig, y, ["te"], (2.0, 20))
    prior = 0.5
    want = [(5 + 2 * prior) / (5 + 2), (0 + 2 * prior) / (5 + 2), prior]  # c: unseen
    np.testing.assert_allclose(tr["k__orig_te"], want)
    np.testing.assert_allclose(te["k__orig_te"], want[1:2])
    # each original row's value is fitted without its group (row number mod STATS_FOLDS)
    group = np.arange(10) % STATS_FOLDS
    for i in range(10):
        others = group != group[i]
        ys = y[others, 0]
        same = (np.asarray(X_orig["k"]) == X_orig["k"].iloc[i])[others]
        p = ys.mean()
        assert orig["k__orig_te"].iloc[i] == pytest.approx(
            (ys[same].sum() + 2 * p) / (same.sum() + 2)
        )


def test_unique_values_leak_nothing_into_the_original_rows() -> None:
    """A value per original row (an id-like column): its own target would be the whole
    statistic; cross-fitted, each row gets the prior of the other groups instead."""
    n = 20
    X_orig = pd.DataFrame({"k": pd.Categorical([f"v{i}" for i in range(n)])})
    y = np.random.default_rng(0).random(n)[:, None]
    empty = X_orig.iloc[:0]
    _, _, orig = add_original_stats(empty, empty, X_orig, y, ["te"], (1.0, 20))
    group = np.arange(n) % STATS_FOLDS
    others_mean = [y[group != group[i], 0].mean() for i in range(n)]
    np.testing.assert_allclose(orig["k__orig_te"], others_mean)  # in-sample: (y + p) / 2
