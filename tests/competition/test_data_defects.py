"""Data defects that used to pass silently or crash (issue 16.13), and messages that misled
(16.14): each is found where the data is read, with one sentence that names it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import Runner, assert_clean_error, make_zip

from kstarter.competition import Meta, Overrides, encode_target, inspect_competition, read_table
from kstarter.errors import SpecError, TrainError
from kstarter.spec import Files, Spec

N = 40


def _write(data: Path, train: dict, test: dict, sample: dict) -> Path:
    data.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(train).to_csv(data / "train.csv", index=False)
    pd.DataFrame(test).to_csv(data / "test.csv", index=False)
    pd.DataFrame(sample).to_csv(data / "sample_submission.csv", index=False)
    return data


def _inspect(data: Path):
    return inspect_competition(data, Meta("c", "c"), Overrides())


def _comp(tmp_path: Path, y: list, test_extra: dict | None = None, **train_extra: list) -> Path:
    rng = np.random.default_rng(0)
    ids = list(range(N))
    test_ids = list(range(N, N + 10))
    train = {"id": ids, "x": rng.normal(size=N).round(3).tolist(), **train_extra, "y": y}
    test = {"id": test_ids, "x": rng.normal(size=10).round(3).tolist(), **(test_extra or {})}
    return _write(tmp_path / "data", train, test, {"id": test_ids, "y": [0] * 10})


# ---------------------------------------------------------------- 16.13 data defects


def test_an_infinite_regression_target_is_refused_with_its_rows(tmp_path: Path) -> None:
    y = [float(i) + 0.5 for i in range(N)]
    y[3] = float("inf")
    with pytest.raises(SpecError, match=r"infinite in train rows 4 "):
        _inspect(_comp(tmp_path, y))
    spec = Spec(name="c", source="c", targets=("y",), task="regression")
    train = pd.DataFrame({"y": [1.0, np.inf, 2.0, -np.inf]})
    with pytest.raises(TrainError, match=r"infinite in rows 2, 4 of data/train.csv"):
        encode_target(spec, train)


def test_an_integer_target_with_one_value_is_refused_like_a_text_one(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"one value only \(3\)"):
        _inspect(_comp(tmp_path / "int", [3] * N))
    with pytest.raises(SpecError, match=r"one value only \('yes'\)"):
        _inspect(_comp(tmp_path / "str", ["yes"] * N))


def test_a_class_named_na_stays_a_class(tmp_path: Path) -> None:
    y = ["NA", "EU", "AS"] * (N // 3) + ["NA"] * (N % 3)
    data = tmp_path / "data"
    rng = np.random.default_rng(0)
    test_ids = list(range(N, N + 10))
    _write(
        data,
        {"id": range(N), "x": rng.normal(size=N), "continent": y},
        {"id": test_ids, "x": rng.normal(size=10)},
        {"id": test_ids, "continent": ["EU"] * 10},
    )
    spec = _inspect(data).spec
    assert spec.task == "multiclass" and spec.classes == ("AS", "EU", "NA")
    train = read_table(data / "train.csv")
    assert train["continent"].isna().sum() == N // 3 + N % 3  # what pandas alone makes of it
    from kstarter.competition import labels_as_written

    again = labels_as_written(data / "train.csv", train["continent"])
    assert list(encode_target(spec, train.assign(continent=again))[:3]) == [2, 1, 0]


def test_a_column_only_in_test_is_dropped_and_said(tmp_path: Path) -> None:
    extra = {"leaky": list(range(10))}
    result = _inspect(_comp(tmp_path, [float(i) for i in range(N)], test_extra=extra))
    assert "leaky" in result.spec.drop
    assert any("In test but not in train" in n and "leaky" in n for n in result.notes)


def test_a_numeric_column_read_as_text_in_test_only_is_said(tmp_path: Path) -> None:
    test_x = ["0.5"] * 9 + ["n/a?"]
    data = _comp(tmp_path, [float(i) for i in range(N)])
    test = pd.read_csv(data / "test.csv").assign(x=test_x)
    test.to_csv(data / "test.csv", index=False)
    notes = _inspect(data).notes
    assert any("'x' is numeric in train but text in test (e.g. 'n/a?')" in n for n in notes)


# ---------------------------------------------------------------- 16.14 messages


def test_a_semicolon_or_tab_file_names_its_separator(tmp_path: Path) -> None:
    for sep, word in ((";", "semicolons"), ("\t", "tabs")):
        path = tmp_path / "train.csv"
        pd.DataFrame({"a": [1, 2], "b": [3, 4], "y": [0, 1]}).to_csv(path, sep=sep, index=False)
        with pytest.raises(SpecError) as caught:
            read_table(path, shown="data/train.csv")
        assert word in str(caught.value) and "sep=" in str(caught.value)


def test_distinct_columns_num1_and_num1_1_are_not_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("num1,num1.1,y\n1,2,3\n")
    assert list(read_table(path).columns) == ["num1", "num1.1", "y"]
    path.write_text("num1,num1,y\n1,2,3\n")
    with pytest.raises(SpecError, match="'num1' twice"):
        read_table(path)


def test_a_latin1_file_gets_an_encoding_message(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_bytes("name,y\nCafé,1\nThé,0\n".encode("latin-1"))
    with pytest.raises(SpecError) as caught:
        read_table(path, shown="data/train.csv")
    message = str(caught.value)
    assert "not UTF-8" in message and "latin-1" in message and "HTML" not in message


def test_messages_show_values_not_numpy_reprs() -> None:
    spec = Spec(name="c", source="c", targets=("y",), task="multiclass", classes=(1, 2, 3))
    with pytest.raises(TrainError) as caught:
        encode_target(spec, pd.DataFrame({"y": np.array([1, 2, 7], dtype=np.int64)}))
    assert "Target value 7 is not" in str(caught.value) and "np." not in str(caught.value)


def test_missing_target_values_do_not_send_the_user_to_features_py() -> None:
    spec = Spec(name="c", source="c", targets=("y",), task="regression", files=Files())
    with pytest.raises(TrainError) as caught:
        encode_target(spec, pd.DataFrame({"y": [1.0, None, 2.0]}))
    assert "features.py" not in str(caught.value) and "rows 2" in str(caught.value)


def test_a_missing_file_does_not_name_the_deleted_staging_folder(tmp_path: Path) -> None:
    data = tmp_path / ".c.kstarter-123-abcdefgh" / "data"
    _comp(data.parent, [1.0] * N)
    (data / "sample_submission.csv").unlink()
    with pytest.raises(SpecError) as caught:
        _inspect(data)
    assert "kstarter-123" not in str(caught.value)


# ---------------------------------------------------------------- end to end


def _features(project: Path, body: str) -> None:
    (project / "features.py").write_text(
        f"import sys\n\n\ndef make_features(train, test):\n{body}\n    return train, test\n"
    )


def test_a_project_with_a_test_only_column_trains_and_features_py_mistakes_are_sentences(
    ks: Runner, tmp_path: Path
) -> None:
    rng = np.random.default_rng(1)
    files = {
        "train.csv": pd.DataFrame(
            {"id": range(120), "x": rng.normal(size=120), "y": rng.normal(size=120)}
        ).to_csv(index=False),
        "test.csv": pd.DataFrame(
            {"id": range(120, 150), "x": rng.normal(size=30), "only_test": range(30)}
        ).to_csv(index=False),
        "sample_submission.csv": pd.DataFrame({"id": range(120, 150), "y": 0.0}).to_csv(
            index=False
        ),
    }
    ks("init", str(make_zip(tmp_path / "c.zip", files)), cwd=tmp_path)
    project = tmp_path / "c"
    cfg = yaml.safe_load((project / "kstarter.yaml").read_text())
    assert "only_test" in cfg["competition"]["drop"]
    cfg["model"]["num_boost_round"] = 20
    (project / "kstarter.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    ks("train", "--quiet", cwd=project)  # the fresh project trains

    _features(project, "    sys.exit(0)")
    proc = ks("train", cwd=project, check=False)
    assert_clean_error(proc, "features.py called sys.exit(0)", "no run")
    assert "CV" not in proc.stdout

    _features(
        project,
        "    import pandas as pd\n"
        "    train = pd.concat([train, train[['x']]], axis=1)\n"
        "    test = pd.concat([test, test[['x']]], axis=1)",
    )
    proc = ks("train", cwd=project, check=False)
    assert_clean_error(proc, "the column 'x' twice")


def test_init_messages_never_name_the_deleted_staging_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever names a path under the staging folder (a source or the inspection) is shown
    with the project folder the user asked for: the staging folder is deleted by then."""
    import kstarter.project as project_module
    from kstarter.project import init_project

    def fails(data: Path, meta: object, overrides: object) -> None:
        raise SpecError(f"{data / 'train.csv'} cannot be read")

    source = tmp_path / "src"
    _comp(source, [float(i) for i in range(N)])
    monkeypatch.setattr(project_module, "inspect_competition", fails)
    with pytest.raises(SpecError) as caught:
        init_project(str(source / "data"), tmp_path / "proj")
    assert ".kstarter-" not in str(caught.value)
    assert str(tmp_path / "proj" / "data" / "train.csv") in str(caught.value)
    assert [p.name for p in tmp_path.iterdir()] == ["src"]
