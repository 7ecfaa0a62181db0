"""``kstarter init ... --original PATH`` end to end, with the installed command, on a practice
competition cut in two: the first 170 rows of penguins-species are the competition's train
(its test and sample as they are), the other rows are the "original" dataset (real rows the
competition has not). The original's rows train every fold and are never validated; its
statistics come from its rows only; a mismatch is one sentence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import Runner, assert_clean_error, edit_config, make_zip

from kstarter.config import load_project
from kstarter.crossval import prepare
from kstarter.original import INDICATOR

N_COMP = 170
FAST = {"num_boost_round": 60, "early_stopping_rounds": 10, "threads": 1}


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with comp/ (a Kaggle-shaped competition) and original.csv (the other rows,
    without the id column and with one column train has not)."""
    where = tmp_path_factory.mktemp("split")
    Runner(tmp_path_factory.mktemp("home"))(
        "init", "practice/penguins-species", "--dir", "full", cwd=where
    )
    train = pd.read_csv(where / "full/data/train.csv")
    comp = where / "comp"
    comp.mkdir()
    train.iloc[:N_COMP].to_csv(comp / "train.csv", index=False)
    for name in ("test.csv", "sample_submission.csv"):
        shutil.copy(where / "full/data" / name, comp / name)
    original = train.iloc[N_COMP:].drop(columns=["id"]).assign(source_site="x")
    original.to_csv(where / "original.csv", index=False)
    return where


def _init(ks: Runner, split: Path, tmp_path: Path, original: str, *extra: str) -> Path:
    ks("init", str(split / "comp"), "--dir", "p", "--original", original, *extra, cwd=tmp_path)
    project = tmp_path / "p"
    edit_config(project, {"model": FAST})
    return project


def _run(project: Path) -> Path:
    return sorted(p for p in (project / "runs").iterdir() if (p / "metrics.json").exists())[-1]


def test_original_rows_train_every_fold_and_are_never_validated(
    ks: Runner, split: Path, tmp_path: Path
) -> None:
    project = _init(ks, split, tmp_path, str(split / "original.csv"))
    comp = pd.read_csv(split / "comp/train.csv")
    original = pd.read_csv(split / "original.csv")
    copy = project / "data/original/original.csv"
    assert copy.read_bytes() == (split / "original.csv").read_bytes()  # inside the project
    ks("train", cwd=project)
    run = _run(project)

    folds = pd.read_csv(project / "folds.csv")  # the competition's rows only
    assert len(folds) == N_COMP and folds["id"].tolist() == comp["id"].tolist()
    oof = pd.read_csv(run / "oof.csv")  # exactly the competition's rows, each validated once
    assert oof["id"].tolist() == comp["id"].tolist()
    assert (oof["fold"] >= 0).all() and oof.filter(like="pred_").notna().all().all()
    record = json.loads((run / "metrics.json").read_text())
    assert record["rows"] == N_COMP
    assert record["original"]["file"] == "original/original.csv"
    assert record["original"]["rows_trained"] == len(original)
    assert record["original"]["sha256"] == load_project(project).original.sha256  # type: ignore[union-attr]

    prep = prepare(load_project(project))  # what the folds trained on
    assert prep.original is not None
    X = prep.original.matrices.X_train
    assert INDICATOR in X.columns and "source_site" not in X.columns
    assert X[INDICATOR].tolist() == [0] * N_COMP + [1] * len(original)
    assert (
        INDICATOR in prep.matrices.X_test.columns and (prep.matrices.X_test[INDICATOR] == 0).all()
    )
    for _, tr, va in prep.original.folds.splits():
        assert (va < N_COMP).all()  # never validated
        assert set(range(N_COMP, N_COMP + len(original))) <= set(tr.tolist())  # always trained

    # the same folds without the original's rows: other predictions, same validation rows
    edit_config(project, {"original": {"rows": False}})
    ks("train", cwd=project)
    without = pd.read_csv(_run(project) / "oof.csv")
    assert without["id"].tolist() == oof["id"].tolist()
    assert not np.allclose(without.filter(like="pred_"), oof.filter(like="pred_"))
    assert json.loads((_run(project) / "metrics.json").read_text())["original"]["rows_trained"] == 0


def test_original_stats_come_from_the_original_rows_only(
    ks: Runner, split: Path, tmp_path: Path
) -> None:
    # the original's species shuffled: its statistics per island differ from the competition's,
    # so statistics that counted competition rows would not match the expected values below
    original = pd.read_csv(split / "original.csv")
    rng = np.random.default_rng(0)
    original["species"] = rng.permutation(original["species"].to_numpy())
    original.to_csv(tmp_path / "shuffled.csv", index=False)
    project = _init(ks, split, tmp_path, str(tmp_path / "shuffled.csv"))
    edit_config(project, {"features": {"original_stats": {"smoothing": 5}}})
    ks("train", cwd=project)
    record = json.loads((_run(project) / "metrics.json").read_text())
    assert record["features"] == {"original_stats": {"smoothing": 5.0, "max_values": 20}}

    prep = prepare(load_project(project))
    comp = pd.read_csv(split / "comp/train.csv")
    X = prep.matrices.X_train
    for species in ("Adelie", "Gentoo"):
        col = f"island__orig_te_{species}"
        is_class = (original["species"] == species).astype(float)
        prior = is_class.mean()
        stats = is_class.groupby(original["island"]).agg(["sum", "count"])
        expected = (stats["sum"] + 5 * prior) / (stats["count"] + 5)
        want = comp["island"].map(expected).to_numpy()
        np.testing.assert_allclose(X[col].to_numpy(), want)
        # what counting the competition's rows would give: different, so the test can fail
        leaky = (comp["species"] == species).groupby(comp["island"]).mean()
        assert not np.allclose(comp["island"].map(leaky).to_numpy(), want, atol=0.02)
    # an original row's own statistics never hold its own target (cross-fitted): not the
    # full-table value on every row
    Xo = prep.original.matrices.X_train.iloc[N_COMP:]  # type: ignore[union-attr]
    full = original["island"].map(
        (original["species"] == "Adelie").astype(float).groupby(original["island"]).sum()
    )
    assert not np.allclose(Xo["island__orig_te_Adelie"].to_numpy(), full.to_numpy())


def test_original_from_a_zip_and_its_weight(ks: Runner, split: Path, tmp_path: Path) -> None:
    text = (split / "original.csv").read_text()
    zipped = make_zip(tmp_path / "orig.zip", {"penguins/train.csv": text, "README.csv": "a\n1\n"})
    project = _init(ks, split, tmp_path, str(zipped))
    assert (project / "data/original/train.csv").read_text() == text
    ks("train", cwd=project)
    plain = pd.read_csv(_run(project) / "oof.csv")
    edit_config(project, {"original": {"weight": 3}})
    ks("train", cwd=project)
    run = _run(project)
    assert json.loads((run / "metrics.json").read_text())["original"]["weight"] == 3.0
    weighted = pd.read_csv(run / "oof.csv")
    assert not np.allclose(plain.filter(like="pred_"), weighted.filter(like="pred_"))
    ks("train", "--model", "xgboost", cwd=project)  # the boosters and linear take weights
    assert json.loads((_run(project) / "metrics.json").read_text())["original"]["weight"] == 3.0
    proc = ks("train", "--model", "knn", cwd=project, check=False)
    assert_clean_error(proc, "original.weight is 3", "knn takes no row weights", "xgboost")
    # kernel build cannot rebuild the original's rows and statistics on Kaggle yet: it says so
    proc = ks("kernel", "build", cwd=project, check=False)
    assert_clean_error(proc, "used the original dataset", "remove that section")


def _broken(split: Path, tmp_path: Path, change: str) -> Path:
    original = pd.read_csv(split / "original.csv")
    if change == "no target":
        original = original.drop(columns=["species"])
    elif change == "renamed":
        original = original.rename(columns={"bill_depth_mm": "Bill_Depth_mm"})
    elif change == "text numbers":
        original["body_mass_g"] = original["body_mass_g"].astype(str) + " g"
    elif change == "other classes":
        original.loc[original.index[:3], "species"] = "Emperor"
    path = tmp_path / f"{change.replace(' ', '-')}.csv"
    original.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        ("no target", ["has no target column 'species'"]),
        ("renamed", ["has no column 'bill_depth_mm'", "did you mean 'Bill_Depth_mm'"]),
        ("text numbers", ["'body_mass_g' holds numbers in train but text", " g'"]),
        ("other classes", ["target values train does not (Emperor"]),
    ],
)
def test_a_mismatched_original_is_one_sentence(
    ks: Runner, split: Path, tmp_path: Path, change: str, needles: list[str]
) -> None:
    path = _broken(split, tmp_path, change)
    proc = ks(
        "init",
        str(split / "comp"),
        "--dir",
        "p",
        "--original",
        str(path),
        cwd=tmp_path,
        check=False,
    )
    assert_clean_error(proc, *needles)
    assert not (tmp_path / "p").exists()  # nothing half-made


def test_a_changed_or_missing_copy_is_refused(ks: Runner, split: Path, tmp_path: Path) -> None:
    project = _init(ks, split, tmp_path, str(split / "original.csv"))
    copy = project / "data/original/original.csv"
    copy.write_text(copy.read_text().replace("Biscoe", "Torgersen", 1))
    assert_clean_error(ks("train", cwd=project, check=False), "changed since", "original.sha256")
    copy.unlink()
    assert_clean_error(ks("train", cwd=project, check=False), "original.csv is missing")
