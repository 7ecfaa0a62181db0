"""Practice competitions: every one builds a Kaggle-shaped folder, deterministic per seed."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from kstarter import sources as practice
from kstarter.errors import SourceError

NAMES = [info.name for info in practice.list_practice()]
REPO = Path(__file__).resolve().parents[2]


def _sample_name(name: str) -> str:
    return "sampleSubmission.csv" if name == "breast-cancer" else "sample_submission.csv"


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], Path]:
    """Each competition built once with seed 0 (twice, to compare) and once with seed 1."""
    root = tmp_path_factory.mktemp("practice")
    out = {}
    for name in NAMES:
        for seed, tag in ((0, "a"), (0, "b"), (1, "c")):
            dest = root / f"{name}-{tag}"
            assert practice.build(name, dest, seed=seed) == practice.get_practice(name)
            out[(name, tag)] = dest
    return out


def _read(folder: Path, name: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return (
        pd.read_csv(folder / "train.csv"),
        pd.read_csv(folder / "test.csv"),
        pd.read_csv(folder / _sample_name(name)),
    )


def test_registry_covers_the_required_shapes() -> None:
    infos = practice.list_practice()
    assert len(infos) >= 6
    assert {i.task for i in infos} == {"binary", "multiclass", "regression"}
    assert len(set(NAMES)) == len(NAMES)
    assert any(i.rows >= 5000 for i in infos)
    for info in infos:
        assert info.title and info.summary and info.source and info.metric
        assert "\n" not in info.summary


def test_list_practice_does_not_import_pandas() -> None:
    code = (
        "import sys, kstarter.sources as p; p.list_practice(); p.get_practice('adult-income'); "
        "p.answer_key_columns('penguins-species'); "
        "assert 'pandas' not in sys.modules and 'numpy' not in sys.modules, 'heavy import'"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


@pytest.mark.parametrize("name", NAMES)
def test_folder_looks_like_a_kaggle_download(built, name: str) -> None:
    folder = built[(name, "a")]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["train.csv", "test.csv", _sample_name(name), "description.md"]
    )
    info = practice.get_practice(name)
    train, test, sample = _read(folder, name)
    id_col, truth, _ = practice.answer_key_columns(name)
    target_cols = [c for c in train.columns if c not in test.columns]
    assert len(target_cols) == 1
    assert len(train) + len(test) == info.rows
    assert 0.2 <= len(test) / info.rows <= 0.3
    assert len(sample) == len(test)
    if name == "digit-recognizer":
        assert id_col not in test.columns and "id" not in test.columns
        assert sample[id_col].tolist() == list(range(1, len(test) + 1))
    else:
        assert list(sample.columns)[0] == id_col == train.columns[0] == test.columns[0]
        assert sample[id_col].tolist() == test[id_col].tolist()
        assert not set(test[id_col]) & set(train[id_col])
        assert train[id_col].dtype.kind == "i"
    text = (folder / "description.md").read_text(encoding="utf-8")
    assert info.metric in text and _sample_name(name) in text and target_cols[0] in text


@pytest.mark.parametrize("name", NAMES)
def test_answer_key_matches_the_sample(built, name: str) -> None:
    _, test, sample = _read(built[(name, "a")], name)
    key = practice.answer_key(name, seed=0)
    assert tuple(key.columns) == practice.answer_key_columns(name)
    id_col, truth, _ = key.columns
    assert key[id_col].tolist() == sample[id_col].tolist()
    assert set(key["Usage"]) == {"Public", "Private"}
    assert 0.25 <= (key["Usage"] == "Public").mean() <= 0.35
    assert key[truth].notna().all()
    if truth in sample.columns:  # label, value and proba submissions
        assert truth == sample.columns[1]
    assert not any("answer" in p.name or "solution" in p.name for p in built[(name, "a")].iterdir())


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_bytes_other_seed_other_files(built, name: str) -> None:
    a, b, c = (_hashes(built[(name, tag)]) for tag in "abc")
    assert a == b
    assert a["train.csv"] != c["train.csv"] and a["test.csv"] != c["test.csv"]
    key0, key1 = practice.answer_key(name, 0), practice.answer_key(name, 1)
    assert key0.equals(practice.answer_key(name, 0)) and not key0.equals(key1)


def test_classification_split_is_stratified(built) -> None:
    for name, target in (("adult-income", "income_over_50k"), ("penguins-species", "species")):
        train, _, _ = _read(built[(name, "a")], name)
        truth = practice.answer_key(name)[target]
        shares_train = train[target].value_counts(normalize=True).sort_index()
        shares_test = truth.value_counts(normalize=True).sort_index()
        assert (shares_train - shares_test).abs().max() < 0.02


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]).joinpath(*parts)


def test_adult_keeps_string_categoricals_with_missing_values(built) -> None:
    source = pd.read_csv(
        _package_file("mglearn", "data", "adult.data"),
        header=None,
        skipinitialspace=True,
        na_values="?",
    )
    train, test, sample = _read(built[("adult-income", "a")], "adult-income")
    both = pd.concat([train, test])
    for col, src in (("workclass", 1), ("occupation", 6), ("native_country", 13)):
        assert not pd.api.types.is_numeric_dtype(both[col])
        assert both[col].isna().sum() == source[src].isna().sum() > 0
    assert set(train["income_over_50k"]) == {0, 1}
    assert (sample["income_over_50k"] == 0.5).all()
    assert set(practice.answer_key("adult-income")["income_over_50k"]) == {0, 1}


def test_penguins_class_columns_and_missing_sex(built) -> None:
    source = pd.read_csv(_package_file("palmerpenguins", "data", "penguins.csv"))
    train, test, sample = _read(built[("penguins-species", "a")], "penguins-species")
    assert list(sample.columns) == ["id", "Adelie", "Chinstrap", "Gentoo"]
    assert (sample[["Adelie", "Chinstrap", "Gentoo"]].sum(axis=1) - 1).abs().max() < 1e-9
    both = pd.concat([train, test])
    assert both["sex"].isna().sum() == source["sex"].isna().sum() > 0
    assert both["bill_length_mm"].isna().sum() == source["bill_length_mm"].isna().sum()
    assert set(practice.answer_key("penguins-species")["species"]) == set(sample.columns[1:])


def test_heart_disease_target_is_bool(built) -> None:
    train, test, sample = _read(built[("heart-disease", "a")], "heart-disease")
    assert train["HeartDisease"].dtype == bool
    assert sample["HeartDisease"].dtype == bool and not sample["HeartDisease"].any()
    assert practice.answer_key("heart-disease")["HeartDisease"].dtype == bool
    assert not pd.api.types.is_numeric_dtype(train["thal"])


def test_breast_cancer_target_is_strings(built) -> None:
    train, _, sample = _read(built[("breast-cancer", "a")], "breast-cancer")
    assert set(train["diagnosis"]) == {"malignant", "benign"}
    assert set(sample["diagnosis"]) == {"benign"}
    assert set(practice.answer_key("breast-cancer")["diagnosis"]) == {"malignant", "benign"}


def test_digit_recognizer_shape(built) -> None:
    train, test, sample = _read(built[("digit-recognizer", "a")], "digit-recognizer")
    pixels = [f"pixel{i}" for i in range(64)]
    assert list(train.columns) == ["label", *pixels]
    assert list(test.columns) == pixels
    assert list(sample.columns) == ["ImageId", "Label"]
    assert train[pixels].dtypes.map(lambda d: d.kind == "i").all()


def test_unknown_name_raises_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="adult-income.*kstarter practice"):
        practice.get_practice("titanic")
    with pytest.raises(SourceError, match="titanic"):
        practice.build("titanic", tmp_path / "x")
    with pytest.raises(SourceError):
        practice.answer_key("titanic")
    assert not (tmp_path / "x").exists()


def test_bad_seed_raises_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="seed"):
        practice.build("penguins-species", tmp_path / "x", seed=-1)
