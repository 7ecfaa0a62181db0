"""The feature pack's transforms one by one, on small frames: the fold-independent columns
exactly, target encoding's fold isolation directly (a row's encoding is unchanged when the
targets it must not see change), its numbers against scikit-learn's TargetEncoder, and the
``features:`` section's parsing."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kstarter.errors import ConfigError, TrainError
from kstarter.featurepack import FeaturePack, add_fixed, fold_encoder, parse_features
from kstarter.featurepack._target import FoldEncoder

WHERE = Path("kstarter.yaml")


def _frames(n: int = 600, n_test: int = 200, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def one(m: int) -> pd.DataFrame:
        city = rng.choice(["a", "b", "c", "d", None], m)
        shade = rng.choice(["red", "blue", "green"], m)
        return pd.DataFrame(
            {
                "city": city,
                "shade": shade,
                "rooms": rng.integers(1, 5, m).astype(float),
                "price": rng.normal(size=m),
            }
        )

    a, b = one(n), one(n_test)
    for col in ("city", "shade"):
        dtype = pd.CategoricalDtype(sorted(set(a[col].dropna()) | set(b[col].dropna())))
        a[col], b[col] = a[col].astype(dtype), b[col].astype(dtype)
    a.loc[::7, "price"] = np.nan
    return a, b


def _spec(task: str = "binary", classes: tuple[Any, ...] = (0, 1)) -> Any:
    return SimpleNamespace(task=task, classes=classes, targets=("y",))


def _metric(transform: str = "none") -> Any:
    return SimpleNamespace(target_transform=transform)


def _assignment(n: int, k: int = 5) -> np.ndarray:
    return np.arange(n) % k


def _encoder(
    X: pd.DataFrame, T: pd.DataFrame, y: np.ndarray, task: str = "binary", **kw: Any
) -> FoldEncoder:
    classes = tuple(range(int(y.max()) + 1)) if task == "multiclass" else (0, 1)
    pack = FeaturePack(target_encoding=True, **kw)
    enc = fold_encoder(pack, _spec(task, classes), _metric(), X, T, y)
    assert enc is not None
    return enc


# --- fold-independent transforms -------------------------------------------------------------


def test_count_encoding_counts_each_value_over_train_and_test() -> None:
    X, T = _frames()
    A, B = add_fixed(FeaturePack(count_encoding=True), X, T)
    both = pd.concat([X, T], ignore_index=True)
    expected = (
        both["city"]
        .astype(object)
        .fillna("<NA>")
        .map(both["city"].astype(object).fillna("<NA>").value_counts())
    )
    got = pd.concat([A["city__count"], B["city__count"]], ignore_index=True)
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
    assert list(A.columns[: X.shape[1]]) == list(X.columns)  # the user's columns first, unchanged
    assert {"city__count", "shade__count"} == set(A.columns) - set(X.columns)


def test_missing_count_and_indicators() -> None:
    X, T = _frames()
    A, B = add_fixed(FeaturePack(missing=True), X, T)
    np.testing.assert_array_equal(A["missing__count"], X.isna().sum(axis=1))
    np.testing.assert_array_equal(B["missing__count"], T.isna().sum(axis=1))
    assert set(A.columns) - set(X.columns) == {"missing__count", "city__isna", "price__isna"}
    np.testing.assert_array_equal(A["price__isna"], X["price"].isna().astype(int))


def test_numeric_with_few_values_is_copied_as_a_categorical() -> None:
    X, T = _frames()
    A, B = add_fixed(FeaturePack(numeric_as_category=True, max_values=4), X, T)
    assert set(A.columns) - set(X.columns) == {"rooms__cat"}  # price has too many values
    assert isinstance(A["rooms__cat"].dtype, pd.CategoricalDtype)
    assert A["rooms__cat"].dtype == B["rooms__cat"].dtype  # the same categories in both
    np.testing.assert_array_equal(A["rooms__cat"].astype(str).astype(float), X["rooms"])
    A, _ = add_fixed(FeaturePack(numeric_as_category=True, max_values=3), X, T)
    assert "rooms__cat" not in A.columns  # 4 values > 3


def test_crosses_are_count_encoded_pairs_under_the_cardinality_limit() -> None:
    X, T = _frames()
    pack = FeaturePack(crosses=True, max_cardinality=20, numeric_as_category=True)
    A, B = add_fixed(pack, X, T)
    # levels (values + missing): city 4 + 1, shade 3 + 1, rooms__cat 4 + 1; city x rooms 25
    crossed = [c for c in A.columns if "__x__" in c]
    assert crossed == ["city__x__shade__count", "shade__x__rooms__cat__count"]
    both = pd.concat([X, T], ignore_index=True)
    pair = both["city"].astype(object).fillna("-") + "|" + both["shade"].astype(str)
    got = pd.concat([A["city__x__shade__count"], B["city__x__shade__count"]], ignore_index=True)
    np.testing.assert_array_equal(got, pair.map(pair.value_counts()))


def test_a_user_column_with_a_pack_name_is_one_clear_error() -> None:
    X, T = _frames()
    X["city__count"] = 1.0
    T["city__count"] = 1.0
    with pytest.raises(TrainError, match="city__count.*rename it"):
        add_fixed(FeaturePack(count_encoding=True), X, T)


# --- target encoding: fold isolation ---------------------------------------------------------


def test_no_encoding_of_a_fold_reads_that_folds_targets() -> None:
    """Fold k's model sees no column computed from fold k's targets: flipping all of them
    changes nothing, for its training rows, its validation rows or the test."""
    X, T = _frames()
    y = np.random.default_rng(1).integers(0, 2, len(X))
    assignment = _assignment(len(X))
    for k in range(5):
        tr, va = np.flatnonzero(assignment != k), np.flatnonzero(assignment == k)
        a_train, a_test = _encoder(X, T, y).encode(assignment, tr, va)
        flipped = y.copy()
        flipped[va] = 1 - flipped[va]
        b_train, b_test = _encoder(X, T, flipped).encode(assignment, tr, va)
        pd.testing.assert_frame_equal(a_train, b_train)
        pd.testing.assert_frame_equal(a_test, b_test)


def test_a_training_rows_encoding_never_sees_its_own_fold() -> None:
    """Within fold k's training rows, a row of saved fold g is encoded without fold g."""
    X, T = _frames()
    y = np.random.default_rng(2).integers(0, 2, len(X))
    assignment = _assignment(len(X))
    k, g = 0, 3
    tr, va = np.flatnonzero(assignment != k), np.flatnonzero(assignment == k)
    a_train, _ = _encoder(X, T, y).encode(assignment, tr, va)
    flipped = y.copy()
    flipped[assignment == g] = 1 - flipped[assignment == g]
    b_train, _ = _encoder(X, T, flipped).encode(assignment, tr, va)
    rows = assignment == g
    pd.testing.assert_frame_equal(a_train[rows], b_train[rows])
    assert not a_train[~rows].equals(b_train[~rows])  # the other rows do read fold g


def test_the_classic_mistake_reads_the_validation_targets() -> None:
    """The leak-test switch really is the leak: fitted on all rows, flipping the validation
    targets moves the validation rows' encodings."""
    X, T = _frames()
    y = np.random.default_rng(1).integers(0, 2, len(X))
    assignment = _assignment(len(X))
    tr, va = np.flatnonzero(assignment != 0), np.flatnonzero(assignment == 0)
    flipped = y.copy()
    flipped[va] = 1 - flipped[va]
    leaky = [
        _encoder(X, T, t).__class__(**{**_encoder(X, T, t).__dict__, "fit_on_all_rows": True})
        for t in (y, flipped)
    ]
    a, _ = leaky[0].encode(assignment, tr, va)
    b, _ = leaky[1].encode(assignment, tr, va)
    assert not a.iloc[va].equals(b.iloc[va])


def test_time_ordered_folds_encode_only_rows_they_train_or_validate_on() -> None:
    X, T = _frames()
    y = np.random.default_rng(3).integers(0, 2, len(X))
    assignment = np.repeat(np.arange(-1, 5), len(X) // 6)  # -1: trained on only
    k = 2
    tr, va = np.flatnonzero(assignment < k), np.flatnonzero(assignment == k)
    a_train, _ = _encoder(X, T, y).encode(assignment, tr, va)
    assert a_train[assignment > k].isna().all().all()
    assert a_train.iloc[np.r_[tr, va]].notna().all().all()
    later = y.copy()
    later[assignment >= k] = 1 - later[assignment >= k]  # the future and the fold itself
    b_train, _ = _encoder(X, T, later).encode(assignment, tr, va)
    pd.testing.assert_frame_equal(a_train, b_train)


# --- target encoding: the numbers ------------------------------------------------------------


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_validation_and_test_encodings_match_sklearns_target_encoder(task: str) -> None:
    """Fitted on the fold's training rows, the validation and test encodings are what
    scikit-learn's TargetEncoder (smooth=m, fitted on the same rows) gives."""
    from sklearn.preprocessing import TargetEncoder

    X, T = _frames()
    rng = np.random.default_rng(4)
    y = {
        "binary": rng.integers(0, 2, len(X)),
        "multiclass": rng.integers(0, 3, len(X)),
        "regression": rng.normal(size=len(X)),
    }[task]
    assignment = _assignment(len(X))
    tr, va = np.flatnonzero(assignment != 1), np.flatnonzero(assignment == 1)
    enc = _encoder(X, T, y, task, smoothing=7.0)
    a_train, a_test = enc.encode(assignment, tr, va)
    target_type = {"regression": "continuous"}.get(task, task)
    for col in ("city", "shade"):
        sk = TargetEncoder(smooth=7.0, target_type=target_type)
        sk.fit(X[[col]].astype(object).iloc[tr], y[tr])
        ours = [c for c in a_train.columns if c.startswith(f"{col}__te")]
        assert len(ours) == (3 if task == "multiclass" else 1)
        np.testing.assert_allclose(
            a_train.iloc[va][ours].to_numpy(),
            sk.transform(X[[col]].astype(object).iloc[va]),
            rtol=1e-12,
        )
        np.testing.assert_allclose(
            a_test[ours].to_numpy(), sk.transform(T[[col]].astype(object)), rtol=1e-12
        )


def test_regression_on_log1p_encodes_the_log_of_the_target() -> None:
    X, T = _frames()
    y = np.random.default_rng(5).lognormal(3, 1, len(X))
    pack = FeaturePack(target_encoding=True, smoothing=0.0)
    enc = fold_encoder(pack, _spec("regression"), _metric("log1p"), X, T, y)
    assert enc is not None
    assignment = _assignment(len(X))
    tr, va = np.flatnonzero(assignment != 0), np.flatnonzero(assignment == 0)
    a_train, _ = enc.encode(assignment, tr, va)
    means = pd.Series(np.log1p(y[tr])).groupby(X["shade"].iloc[tr].to_numpy()).mean()
    expected = X["shade"].iloc[va].map(means).to_numpy(dtype=float)
    np.testing.assert_allclose(a_train["shade__te"].iloc[va], expected, rtol=1e-12)


def test_unseen_values_get_the_prior_and_reruns_are_bit_identical() -> None:
    X, T = _frames()
    T["city"] = T["city"].cat.add_categories(["zz"])
    X["city"] = X["city"].cat.add_categories(["zz"])
    T.loc[0, "city"] = "zz"
    y = np.random.default_rng(6).integers(0, 2, len(X))
    assignment = _assignment(len(X))
    tr, va = np.flatnonzero(assignment != 0), np.flatnonzero(assignment == 0)
    a_train, a_test = _encoder(X, T, y).encode(assignment, tr, va)
    assert a_test.loc[0, "city__te"] == pytest.approx(y[tr].mean(), rel=1e-12)
    b_train, b_test = _encoder(X, T, y).encode(assignment, tr, va)
    assert a_train.to_numpy().tobytes() == b_train.to_numpy().tobytes()
    assert a_test.to_numpy().tobytes() == b_test.to_numpy().tobytes()


def test_target_encoded_crosses_are_encoded_per_fold() -> None:
    X, T = _frames()
    y = np.random.default_rng(7).integers(0, 2, len(X))
    pack = FeaturePack(crosses=True, cross_encode="target", max_cardinality=20)
    enc = fold_encoder(pack, _spec(), _metric(), X, T, y)
    assert enc is not None and enc.columns == ["city__x__shade__te"]
    assert fold_encoder(FeaturePack(count_encoding=True), _spec(), _metric(), X, T, y) is None


# --- the features: section -------------------------------------------------------------------


def test_parse_names_each_transform_on_or_off_with_its_parameters() -> None:
    assert parse_features(WHERE, None) == FeaturePack()
    assert FeaturePack().describe() == {} and not FeaturePack().fixed
    pack = parse_features(
        WHERE,
        {
            "target_encoding": {"smoothing": 5},
            "count_encoding": True,
            "missing": False,
            "crosses": {"max_pairs": 3, "encode": "target"},
        },
    )
    assert pack.target_encoding and pack.smoothing == 5.0 and pack.count_encoding
    assert "target_encoding" not in pack.fixed_part() and "count_encoding" in pack.fixed_part()
    assert not pack.missing and pack.crosses and pack.max_pairs == 3
    assert pack.describe() == {
        "target_encoding": {"smoothing": 5.0},
        "count_encoding": True,
        "crosses": {
            "max_cardinality": 1000,
            "max_pairs": 3,
            "encode": "target",
            "smoothing": 5.0,
        },
    }


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"target_encode": True}, "unknown transform 'target_encode'"),
        ({"target_encoding": {"smooth": 3}}, "unknown parameter 'smooth'"),
        ({"crosses": {"encode": "mean"}}, "count or target"),
        ({"numeric_as_category": {"max_values": 2.5}}, "whole number"),
        ({"target_encoding": "yes"}, "true, false or a mapping"),
        ([1], "must be a mapping"),
    ],
)
def test_parse_errors_are_one_sentence_with_the_fix(raw: Any, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        parse_features(WHERE, raw)


def test_the_new_columns_read_back_from_the_cache_as_written(tmp_path: Path) -> None:
    """The matrices are cached as parquet: every column the pack adds reads back with the same
    values and dtype (a rerun from the cache trains on the same matrix)."""
    X, T = _frames()
    pack = FeaturePack(count_encoding=True, missing=True, numeric_as_category=True, crosses=True)
    A, _ = add_fixed(pack, X, T)
    A.to_parquet(tmp_path / "a.parquet", index=False)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a.parquet"), A)


def test_multitarget_gets_one_encoding_per_target() -> None:
    X, T = _frames()
    rng = np.random.default_rng(8)
    y = np.column_stack([rng.integers(0, 2, len(X)), rng.normal(size=len(X))]).astype(float)
    spec = SimpleNamespace(task="multitarget", classes=(), targets=("a", "b"))
    enc = fold_encoder(FeaturePack(target_encoding=True), spec, _metric(), X, T, y)
    assert enc is not None
    assignment = _assignment(len(X))
    tr, va = np.flatnonzero(assignment != 0), np.flatnonzero(assignment == 0)
    a_train, a_test = enc.encode(assignment, tr, va)
    assert list(a_test.columns) == ["city__te_a", "city__te_b", "shade__te_a", "shade__te_b"]
    single = SimpleNamespace(task="regression", classes=(), targets=("b",))
    one = fold_encoder(FeaturePack(target_encoding=True), single, _metric(), X, T, y[:, 1])
    assert one is not None
    b_train, _ = one.encode(assignment, tr, va)
    np.testing.assert_array_equal(a_train["shade__te_b"], b_train["shade__te"])
