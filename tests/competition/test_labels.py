"""The labels codec: train's labels to class indices and back, in the train's own encoding."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from kstarter.competition import decode_labels, encode_target
from kstarter.errors import TrainError
from kstarter.spec import Spec


def _spec(classes: tuple[Any, ...], label_dtype: str, task: str = "binary") -> Spec:
    return Spec(
        name="c",
        source="s",
        targets=("y",),
        task=task,
        kind="label",
        classes=classes,
        label_dtype=label_dtype,
    )


ROUND_TRIPS = [
    pytest.param((0, 1), "int", [1, 0, 0, 1], id="int"),
    pytest.param((False, True), "bool", [True, False, True, True], id="bool"),
    pytest.param(("benign", "malignant"), "str", ["malignant", "benign", "benign"], id="str"),
    pytest.param(("1", "10", "2"), "str", ["10", "2", "1", "10"], id="str-digits"),
    pytest.param((3, 5, 7), "int", [7, 3, 5, 5, 3], id="int-multiclass"),
    pytest.param(("Adelie", "Chinstrap", "Gentoo"), "str", ["Gentoo", "Adelie"], id="multiclass"),
]


@pytest.mark.parametrize(("classes", "dtype", "labels"), ROUND_TRIPS)
def test_round_trip_keeps_values_and_types(
    classes: tuple[Any, ...], dtype: str, labels: list[Any]
) -> None:
    spec = _spec(classes, dtype, "multiclass" if len(classes) > 2 else "binary")
    codes = encode_target(spec, pd.DataFrame({"y": labels}))
    assert codes.dtype.kind == "i"
    assert codes.tolist() == [classes.index(v) for v in labels]  # the classes' order
    back = decode_labels(spec, codes)
    assert back == labels
    assert [type(v) for v in back] == [type(v) for v in labels]


def test_labels_read_from_a_csv_match_the_yaml_classes() -> None:
    """pandas gives 1.0 where YAML says 1, and 'True' where it says True."""
    floats = pd.DataFrame({"y": [0.0, 1.0, 1.0]})
    assert encode_target(_spec((0, 1), "int"), floats).tolist() == [0, 1, 1]
    strings = pd.DataFrame({"y": ["True", "False"]})
    assert encode_target(_spec((False, True), "bool"), strings).tolist() == [1, 0]
    assert decode_labels(_spec(("False", "True"), "bool"), np.array([1, 0])) == [True, False]


def test_binary_positive_class_is_the_second() -> None:
    codes = encode_target(_spec(("no", "yes"), "str"), pd.DataFrame({"y": ["yes", "no"]}))
    assert codes.tolist() == [1, 0]


def test_regression_and_multitarget_stay_floats() -> None:
    spec = Spec(name="c", source="s", targets=("y",), task="regression")
    y = encode_target(spec, pd.DataFrame({"y": [1, 2, 3]}))
    assert y.dtype == float and y.tolist() == [1.0, 2.0, 3.0]
    multi = Spec(name="c", source="s", targets=("a", "b"), task="multitarget")
    y = encode_target(multi, pd.DataFrame({"a": [1, 2], "b": [3.5, 4.5], "x": [0, 0]}))
    assert y.shape == (2, 2) and y.tolist() == [[1.0, 3.5], [2.0, 4.5]]


def test_unknown_label_is_named_with_the_classes() -> None:
    frame = pd.DataFrame({"y": ["a", "b", "c"]})
    with pytest.raises(TrainError, match=r"'c' is not among competition\.classes \['a', 'b'\]"):
        encode_target(_spec(("a", "b"), "str"), frame)


def test_one_class_only_is_refused() -> None:
    with pytest.raises(TrainError, match=r"one class only \('a'\)"):
        encode_target(_spec(("a", "b"), "str"), pd.DataFrame({"y": ["a", "a"]}))


def test_missing_target_column_and_missing_values_are_named() -> None:
    with pytest.raises(TrainError, match="'y' is not in data/train.csv"):
        encode_target(_spec((0, 1), "int"), pd.DataFrame({"x": [0, 1]}))
    with pytest.raises(TrainError, match="'y' has 1 missing values"):
        encode_target(_spec((0, 1), "int"), pd.DataFrame({"y": [0, None, 1]}))
    multi = Spec(name="c", source="s", targets=("a", "b"), task="multitarget")
    with pytest.raises(TrainError, match="missing values"):
        encode_target(multi, pd.DataFrame({"a": [1.0, None], "b": [1.0, 2.0]}))


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([1, 0, 2, 1, 0]),
        pd.Series([1.0, 0.0, np.nan, 1.0]),
        pd.Series(["1", "0", "x", "1"], dtype="str"),
        pd.Series([True, False, True]),
        pd.Series([1, True, "0", 1.0, None], dtype=object),  # 1 and True are not one value
    ],
    ids=["int", "float-nan", "str", "bool", "object-mixed"],
)
def test_class_codes_compare_each_value_as_the_codec_does(column: pd.Series) -> None:
    from kstarter.competition import class_codes
    from kstarter.competition._labels import _key

    spec = _spec((0, 1), "int")
    index = {"0": 0, "1": 1}
    expected = [index.get(_key(v), -1) for v in column]
    assert class_codes(spec, column).tolist() == expected
