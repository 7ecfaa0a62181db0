"""Matching a target's classes to the sample's probability columns, in process: the one-to-one
mapping, and a clear SpecError (not a TypeError) when two classes fall on one column."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstarter.competition import Meta, Overrides, inspect_competition
from kstarter.errors import SpecError


def write_competition(folder: Path, labels: list[str], columns: list[str]) -> Path:
    folder.mkdir()
    rows = "".join(f"{i},{i / 10},{y}\n" for i, y in enumerate(labels, 1))
    (folder / "train.csv").write_text("id,x,y\n" + rows)
    (folder / "test.csv").write_text("id,x\n100,0.1\n101,0.2\n")
    probs = ",".join("0.5" for _ in columns)
    sample = f"id,{','.join(columns)}\n" + "".join(f"{i},{probs}\n" for i in (100, 101))
    (folder / "sample_submission.csv").write_text(sample)
    return folder


def test_each_class_gets_its_probability_column(tmp_path: Path) -> None:
    data = write_competition(tmp_path / "c", ["cat", "dog", "cat", "dog"], ["p_dog", "p_cat"])
    spec = inspect_competition(data, Meta("c", "c"), Overrides()).spec
    assert spec.targets == ("y",)
    assert spec.kind == "class_proba"
    assert spec.classes == ("cat", "dog")
    assert spec.pred_columns == ("p_cat", "p_dog")


def test_two_classes_on_one_column_is_a_spec_error(tmp_path: Path) -> None:
    # "a" and "A" both end the column name "p_a" (matching ignores case): no one-to-one map
    data = write_competition(tmp_path / "c", ["a", "A", "a", "A"], ["p_a", "p_b"])
    with pytest.raises(SpecError, match="Two classes of 'y' match the same sample column 'p_a'"):
        inspect_competition(data, Meta("c", "c"), Overrides())
