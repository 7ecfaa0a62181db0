"""Beyond flat tables: text columns, dates, several targets, extra tables, compressed CSVs.

End to end through the installed command on competitions built here (no text dataset ships in
an installed package with a permissive licence, so the text is generated, with a word-level
signal), plus the building blocks (date parsing, text recognition, multi-label folds) in
process.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_zip

from kstarter.columns import date_format, looks_like_dates, looks_like_text, parse_dates
from kstarter.config import load_project
from kstarter.folds import MultilabelStratifiedKFold
from kstarter.metrics import get_metric
from kstarter.prepare import build_matrices, load_tables

# ---------------------------------------------------------------------------------------------
# helpers


def csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


def notes(stdout: str) -> list[str]:
    return [ln.strip()[len("note: ") :] for ln in stdout.splitlines() if ln.startswith("  note: ")]


def init_zip(ks, tmp_path: Path, name: str, files: dict[str, str | bytes]):
    archive = make_zip(tmp_path / f"{name}.zip", files)
    proc = ks("init", str(archive), cwd=tmp_path)
    return proc, tmp_path / name


def only_run(project: Path, newest: bool = False) -> Path:
    runs = sorted(d for d in (project / "runs").iterdir() if not d.name.startswith("."))
    assert newest or len(runs) == 1, runs
    return runs[-1]


def metrics(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


def set_yaml(project: Path, old: str, new: str) -> None:
    path = project / "kstarter.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (old, text)
    path.write_text(text.replace(old, new), encoding="utf-8")


def assert_matches_sample(project: Path, run: Path) -> pd.DataFrame:
    spec = load_project(project).spec
    sample = pd.read_csv(project / "data" / spec.files.sample_submission)
    sub = pd.read_csv(run / "submission.csv")
    assert list(sub.columns) == list(sample.columns)
    assert sub.iloc[:, 0].tolist() == sample.iloc[:, 0].tolist()
    assert len(sub) == len(sample) and not sub.isna().any().any()
    return sub


# ---------------------------------------------------------------------------------------------
# text

POSITIVE = "great excellent love wonderful perfect amazing superb delightful"
NEGATIVE = "awful terrible hate broken poor disappointing worst useless"
FILLER = (
    "the product arrived on time in a box with the manual and a cable it was bought for my "
    "sister who uses it every day at work after dinner some parts are made of plastic metal "
    "or wood colour size and weight match the photo shipping took three days the seller "
    "answered questions quickly price was fair compared with other shops"
)


def reviews(n: int, seed: int) -> pd.DataFrame:
    """Reviews whose label is carried by a few sentiment words among filler, 10% noise."""
    rng = np.random.default_rng(seed)
    filler, positive, negative = FILLER.split(), POSITIVE.split(), NEGATIVE.split()
    y = rng.integers(0, 2, n)
    said = np.where(rng.random(n) < 0.9, y, 1 - y)
    texts = []
    for s in said:
        words = list(rng.choice(filler, rng.integers(8, 20)))
        for _ in range(rng.integers(1, 3)):
            words.insert(rng.integers(0, len(words) + 1), rng.choice(positive if s else negative))
        texts.append(" ".join(words).capitalize() + ".")
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "review": texts,
            "stars_shown": np.round(y + rng.normal(0, 1.5, n), 2),  # a weak numeric signal
            "recommended": y,
        }
    )


def test_text_column_is_recognised_and_beats_no_text(ks, tmp_path) -> None:
    data = reviews(1600, seed=0)
    train, test = data.iloc[:1200], data.iloc[1200:]
    files = {
        "train.csv": csv(train),
        "test.csv": csv(test.drop(columns="recommended")),
        "sample_submission.csv": csv(test[["id"]].assign(recommended=0.5)),
    }
    proc, project = init_zip(ks, tmp_path, "reviews", files)
    spec = load_project(project).spec
    assert spec.text_columns == ("review",) and spec.date_columns == ()
    assert any("Text column(s): review" in n for n in notes(proc.stdout)), proc.stdout
    assert 'text_columns: ["review"]' in (project / "kstarter.yaml").read_text()

    ks("train", cwd=project)
    with_text = metrics(only_run(project))
    importance = pd.read_csv(only_run(project) / "importance.csv")
    assert "review" not in set(importance["feature"])  # never a huge categorical
    assert {"review_chars", "review_words", "review_svd0"} <= set(importance["feature"])

    set_yaml(project, 'text_columns: ["review"]', "text_columns: []")
    ks("train", cwd=project)
    without = metrics(only_run(project, newest=True))
    assert with_text["metric"] == "auc"
    assert with_text["cv_mean"] > without["cv_mean"] + 0.1, (with_text, without)
    assert with_text["cv_mean"] > 0.85


# ---------------------------------------------------------------------------------------------
# several targets


def labels_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    frame = pd.DataFrame(x.round(4), columns=[f"x{i}" for i in range(4)])
    frame.insert(0, "id", np.arange(1000, 1000 + n))
    for name, col, cut in (("toxic", 0, 0.0), ("obscene", 1, 0.8), ("threat", 2, 1.4)):
        frame[name] = (x[:, col] + 0.5 * rng.normal(size=n) > cut).astype(int)
    frame["level"] = np.round(2 * x[:, 3] + x[:, 0] + 0.3 * rng.normal(size=n), 3)
    return frame


@pytest.mark.parametrize(
    ("targets", "metric", "kind"),
    [(["toxic", "obscene", "threat"], "mcauc", "proba"), (["level", "toxic"], "mcrmse", "value")],
)
def test_multi_target_submission_matches_sample(ks, tmp_path, targets, metric, kind) -> None:
    data = labels_frame(800, seed=1)
    others = [c for c in ("toxic", "obscene", "threat", "level") if c not in targets]
    data = data.drop(columns=others)
    train, test = data.iloc[:600], data.iloc[600:]
    sample = test[["id"]].assign(**{t: 0.5 for t in targets}).iloc[::-1]  # not in test order
    files = {
        "train.csv": csv(train),
        "test.csv": csv(test.drop(columns=targets)),
        "sample_submission.csv": csv(sample),
    }
    _, project = init_zip(ks, tmp_path, "labels", files)
    spec = load_project(project).spec
    assert (spec.task, spec.kind, spec.metric) == ("multitarget", kind, metric)
    assert spec.targets == tuple(targets) == spec.pred_columns

    ks("train", cwd=project)
    run = only_run(project)
    sub = assert_matches_sample(project, run)
    if kind == "proba":
        assert ((sub[targets] >= 0) & (sub[targets] <= 1)).all().all()
    # scored with the competition's metric over all targets, one model per target
    m = metrics(run)
    oof = pd.read_csv(run / "oof.csv")
    pred = oof[[f"pred_{t}" for t in targets]].to_numpy()
    expected = get_metric(metric).score(train[targets].to_numpy(), pred)
    assert m["oof_score"] == pytest.approx(expected)
    if kind == "proba":
        assert m["oof_score"] > 0.8
        # multi-label stratified folds: every label's positives are spread evenly
        folds = pd.read_csv(project / "folds.csv")["fold"].to_numpy()
        for t in targets:
            per_fold = np.bincount(folds, weights=train[t].to_numpy())
            assert per_fold.max() - per_fold.min() <= 1, (t, per_fold)


def test_multilabel_folds_balance_every_label() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random((1000, 6)) < [0.01, 0.03, 0.1, 0.3, 0.5, 0.02]).astype(int)
    splitter = MultilabelStratifiedKFold(5, shuffle=True, random_state=3)
    fold = splitter.assign(y)
    assert np.array_equal(fold, MultilabelStratifiedKFold(5, random_state=3).assign(y))
    sizes = np.bincount(fold)
    assert sizes.max() - sizes.min() <= 1
    for j in range(y.shape[1]):
        positives = np.bincount(fold, weights=y[:, j], minlength=5)
        assert positives.max() - positives.min() <= 1, (j, positives)
    parts = list(splitter.split(np.zeros(len(y)), y))
    assert len(parts) == 5
    assert sorted(np.concatenate([va for _, va in parts]).tolist()) == list(range(1000))


# ---------------------------------------------------------------------------------------------
# dates, extra tables and a gzipped train file, in one competition shaped like Store Sales


def store_sales(seed: int = 0) -> dict[str, str | bytes]:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2023-01-01", "2023-12-31", freq="D")
    stores = pd.DataFrame({"store_nbr": np.arange(1, 9), "size": rng.integers(1, 9, 8) * 100})
    holidays = pd.DataFrame({"date": ["2023-12-25", "2024-01-01"], "holiday": ["xmas", "ny"]})
    grid = pd.MultiIndex.from_product([days, stores["store_nbr"]], names=["day", "store_nbr"])
    frame = grid.to_frame(index=False)
    size = frame["store_nbr"].map(stores.set_index("store_nbr")["size"])
    weekend = frame["day"].dt.day_of_week >= 5
    frame["onpromotion"] = rng.integers(0, 3, len(frame))
    frame["sales"] = (size * (1 + weekend) + 20 * frame["onpromotion"]) + rng.normal(
        0, 10, len(frame)
    ).round(2)
    frame.insert(0, "date", frame.pop("day").dt.strftime("%Y-%m-%d"))
    frame.insert(0, "id", np.arange(len(frame)))
    cut = len(frame) - 14 * 8  # the last two weeks are the test
    train, test = frame.iloc[:cut], frame.iloc[cut:].drop(columns="sales")
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        gz.write(csv(train).encode())
    return {
        "train.csv.gz": buf.getvalue(),
        "test.csv": csv(test),
        "sample_submission.csv": csv(test[["id"]].assign(sales=0.0)),
        "stores.csv": csv(stores),
        "holidays.csv": csv(holidays),
        "readme.csv": csv(pd.DataFrame({"note": ["made for a test"]})),
    }


JOIN = """
from __future__ import annotations

import pandas as pd


def make_features(train, test, extra):
    stores = extra["stores"]
    assert set(extra) == {"stores", "holidays"}, list(extra)
    X_train = train.merge(stores, on="store_nbr", how="left")
    X_test = test.merge(stores, on="store_nbr", how="left")
    return X_train, X_test
"""


def test_dates_extra_tables_and_gzip_end_to_end(ks, tmp_path) -> None:
    files = store_sales()
    proc, project = init_zip(ks, tmp_path, "store-sales", files)
    spec = load_project(project).spec
    assert spec.files.train == "train.csv.gz"
    assert (project / "data" / "train.csv.gz").read_bytes() == files["train.csv.gz"]
    assert spec.date_columns == ("date",) and spec.text_columns == ()
    assert spec.extra_tables == {"holidays.csv": ["date"], "stores.csv": ["store_nbr"]}
    said = notes(proc.stdout)
    date_note = next(n for n in said if n.startswith("Date column 'date'"))
    assert "Test (2023-12-18 to 2023-12-31) comes after train (2023-01-01 to 2023-12-17)" in (
        date_note
    )
    # test after train by a date: init orders the folds by it (issue 18.1)
    assert "cv.time is date, so each fold validates on rows later than it trains on" in date_note
    assert 'time: "date"' in (project / "kstarter.yaml").read_text()
    assert load_project(project).cv.time == "date"
    assert any("stores.csv (key store_nbr)" in n for n in said)
    assert any("sharing no column with train: readme.csv" in n for n in said)
    assert (
        'extra_tables: {"holidays.csv": ["date"], "stores.csv": ["store_nbr"]}'
        in (project / "kstarter.yaml").read_text()
    )
    assert 'extra["holidays"]' in (project / "features.py").read_text()

    (project / "features.py").write_text(JOIN, encoding="utf-8")
    ks("train", cwd=project)
    run = only_run(project)
    assert json.loads((run / "metrics.json").read_text())["test_from"] == "refit"
    features = set(pd.read_csv(run / "importance.csv")["feature"])
    parts = {"date_year", "date_month", "date_day", "date_dayofweek", "date_dayofyear"}
    assert parts | {"date_days", "size", "store_nbr"} <= features
    assert "date" not in features and "date_hour" not in features
    importance = pd.read_csv(run / "importance.csv").set_index("feature")["importance_mean"]
    assert importance["size"] > 0 and importance["date_dayofweek"] > 0  # the join works
    assert_matches_sample(project, run)

    # a time split never trains on a row later than the rows it validates
    train = pd.read_csv(project / "data" / "train.csv.gz")
    dates = pd.to_datetime(train["date"], format="ISO8601").to_numpy()
    fold = pd.read_csv(project / "folds.csv")["fold"].to_numpy()
    assert (fold == -1).any() and fold.max() == 4
    for k in range(5):
        assert dates[fold < k].max() < dates[fold == k].min(), k
    oof = pd.read_csv(run / "oof.csv")
    assert oof.loc[fold == -1, "pred"].isna().all() and oof.loc[fold >= 0, "pred"].notna().all()

    # the old two-argument make_features still works, and is not handed the extra tables
    (project / "features.py").write_text(
        "def make_features(train, test):\n    return train, test\n", encoding="utf-8"
    )
    project_ = load_project(project)
    matrices = build_matrices(project_, load_tables(project_))
    assert "size" not in matrices.X_train.columns and "date_month" in matrices.X_train.columns


# ---------------------------------------------------------------------------------------------
# building blocks


@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        (["2024-01-05", "2024-02-29", None, "2023-12-31"], "ISO8601"),
        (["2024-01-05 13:00:00", "2024-01-05T14:30:00Z", "2024-01-06"], "ISO8601"),
        (["8/1/2015 01:19:15", "8/2/2015 23:05:00", "12/31/2015 00:00:01"], "%m/%d/%Y %H:%M:%S"),
        (["13/02/2020", "01/03/2020", "28/12/2021"], "%d/%m/%Y"),
        (["2020-01-05", "01/02/2020", "2020/03/04"], "mixed"),
    ],
)
def test_dates_are_recognised_and_parsed(values, fmt) -> None:
    s = pd.Series(values, name="when", dtype="str")
    assert looks_like_dates(s)
    assert date_format(s) == fmt
    parsed = parse_dates(s)
    assert str(parsed.dtype).startswith("datetime64")
    assert parsed.notna().sum() == s.notna().sum()


@pytest.mark.parametrize(
    "values",
    [["A-12", "B-7", "C-1"], ["12-34-5678x", "1", "2"], ["1.5", "2.25", "3"], ["a b", "c", "d"]],
)
def test_non_dates_are_not_dates(values) -> None:
    assert not looks_like_dates(pd.Series(values, dtype="str"))


def test_text_recognition() -> None:
    texts = reviews(200, seed=5)["review"]
    assert looks_like_text(texts)
    names = pd.Series([f"Braund, Mr. Owen {i}" for i in range(200)])  # short: a name column
    repeated = pd.Series(["one very long value that repeats in every single row"] * 200)
    codes = pd.Series([f"{'x' * 40}{i}" for i in range(200)])  # long but one word
    assert not any(looks_like_text(s) for s in (names, repeated, codes))
    assert not looks_like_text(pd.Series(np.arange(200.0)))


def test_time_split_reads_dates_in_another_format() -> None:
    from kstarter.config import CVConfig, ModelConfig, Project, TrainConfig
    from kstarter.folds import make_assignment
    from kstarter.spec import Spec

    days = pd.date_range("2021-01-01", periods=300, freq="D")
    order = np.random.default_rng(2).permutation(300)
    frame = pd.DataFrame({"when": days[order].strftime("%m/%d/%Y")})  # not ISO, not in order
    spec = Spec(name="t", source="t", targets=("y",))
    project = Project(Path("."), spec, CVConfig(time="when"), ModelConfig(), TrainConfig(), {})
    fold, time_ordered = make_assignment(project, frame, np.zeros(300))
    assert time_ordered
    when = days[order]
    for k in range(5):
        assert when[fold < k].max() < when[fold == k].min()


def test_practice_scoring_of_several_targets_uses_every_column() -> None:
    from kstarter.leaderboards import score_against_key
    from kstarter.spec import Spec

    rng = np.random.default_rng(0)
    truth = (rng.random((200, 2)) < 0.4).astype(int)
    pred = np.clip(truth * 0.6 + rng.random((200, 2)) * 0.5, 0, 1)
    usage = np.where(np.arange(200) % 3 == 0, "Public", "Private")
    key = pd.DataFrame({"id": range(200), "a": truth[:, 0], "b": truth[:, 1], "Usage": usage})
    sub = pd.DataFrame({"id": range(200), "a": pred[:, 0], "b": pred[:, 1]}).iloc[::-1]
    spec = Spec(
        name="t", source="t", sample_id="id", id="id", targets=("a", "b"), task="multitarget",
        kind="proba", pred_columns=("a", "b"), metric="mcauc",
    )  # fmt: skip
    public, private = score_against_key(spec, sub, key)
    mcauc = get_metric("mcauc")
    pub = usage == "Public"
    assert public == pytest.approx(mcauc.score(truth[pub], pred[pub]))
    assert private == pytest.approx(mcauc.score(truth[~pub], pred[~pub]))


def test_zipped_and_gzipped_csvs_are_read_in_place(tmp_path) -> None:
    from kstarter.competition import read_table, table_name

    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    make_zip(tmp_path / "t.csv.zip", {"t.csv": csv(frame)})
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(csv(frame).encode()))
    for name in ("t.csv.zip", "t.csv.gz"):
        assert read_table(tmp_path / name).equals(frame)
        assert table_name(name) == "t"
    assert table_name("extra/Oil.CSV") == "extra/Oil"


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("text_columns", "review", "must be a list of column names"),
        ("date_columns", [1], "must be a list of column names"),
        ("text_components", -1, "whole number >= 0"),
        ("extra_tables", ["stores.csv"], "must map a file under data/"),
    ],
)
def test_hand_edited_shape_fields_are_checked(field, value, needle) -> None:
    from kstarter.errors import ConfigError
    from kstarter.spec import Spec

    with pytest.raises(ConfigError, match=needle):
        Spec.from_dict({"name": "t", "source": "t", "targets": ["y"], field: value})


def test_date_parts_include_the_hour_only_when_there_is_one() -> None:
    from kstarter.columns import date_parts, has_time_of_day

    timed = parse_dates(pd.Series(["2024-03-01 13:45:00", None, "2024-03-02 00:00:00"]))
    parts = date_parts(timed, "t", hour=has_time_of_day(timed))
    assert list(parts.columns) == [
        "t_year", "t_month", "t_day", "t_dayofweek", "t_dayofyear", "t_hour", "t_days",
    ]  # fmt: skip
    assert parts.iloc[0].tolist() == [2024, 3, 1, 4, 61, 13, 19783 + 13.75 / 24]
    assert parts.iloc[1].isna().all()
    plain = parse_dates(pd.Series(["2024-03-01", "2024-03-02"]))
    assert not has_time_of_day(plain) and "t_hour" not in date_parts(plain, "t", hour=False)
