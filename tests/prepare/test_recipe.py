"""The feature recipe: fitted once on train and test features, it turns any rows (the train
rows, the test rows, a hidden test set on Kaggle) into matrix rows the same way."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kstarter.prepare import fit_recipe
from kstarter.spec import Spec

WORDS = [
    "red",
    "green",
    "blue",
    "fast",
    "slow",
    "river",
    "mountain",
    "city",
    "quiet",
    "loud",
    "bright",
    "dark",
    "old",
    "new",
]


def _features(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "size": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], n),
            "when": pd.date_range("2020-01-01", periods=n, freq="37h").strftime("%Y-%m-%d %H:%M"),
            "review": [" ".join(rng.choice(WORDS, 8)) for _ in range(n)],
            "target": rng.integers(0, 2, n),
        }
    )


def _fitted():
    rng = np.random.default_rng(0)
    train, test = _features(rng, 120), _features(rng, 60).drop(columns="target")
    spec = Spec(
        "t", "t", id="id", targets=("target",), date_columns=("when",),
        text_columns=("review",), text_components=4,
    )  # fmt: skip
    return (*fit_recipe(spec, train, test), train, test)


def test_the_train_and_test_rows_are_what_the_recipe_makes_of_them() -> None:
    recipe, X_train, X_test, train, test = _fitted()
    assert "review_svd0" in X_train.columns and "when_hour" in X_train.columns
    assert "target" not in X_train.columns and "id" not in X_train.columns
    # the train rows are projected by the fitted SVD exactly as new rows are
    pd.testing.assert_frame_equal(recipe.apply(train), X_train)
    pd.testing.assert_frame_equal(recipe.apply(test), X_test)


def test_new_rows_in_another_order_and_number_get_the_same_features() -> None:
    recipe, _, X_test, _, test = _fitted()
    order = np.random.default_rng(1).permutation(len(test))[:25]
    again = recipe.apply(test.iloc[order].reset_index(drop=True))
    pd.testing.assert_frame_equal(again, X_test.iloc[order].reset_index(drop=True))


def test_a_category_never_seen_becomes_missing_and_the_categories_stay() -> None:
    recipe, _, X_test, _, test = _fitted()
    new = test.head(3).copy()
    new["colour"] = ["purple", "red", None]
    out = recipe.apply(new)
    assert list(out["colour"].cat.categories) == list(X_test["colour"].cat.categories)
    assert out["colour"].isna().tolist() == [True, False, True]
