"""End-to-end: the installed command trains every practice competition correctly."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_clean_error, csv_text, kstarter_command, make_zip

from kstarter.config import load_project
from kstarter.metrics import get_metric
from kstarter.sources import list_practice

PRACTICE = [p.name for p in list_practice()]


def _init(ks, tmp_path: Path, name: str) -> Path:
    ks("init", f"practice/{name}", cwd=tmp_path)
    return tmp_path / name


def _only_run(project: Path) -> Path:
    runs = [d for d in (project / "runs").iterdir() if not d.name.startswith(".")]
    assert len(runs) == 1, runs
    return runs[0]


@pytest.mark.parametrize("name", PRACTICE)
def test_train_practice_end_to_end(ks, tmp_path, name):
    project = _init(ks, tmp_path, name)
    proc = ks("train", cwd=project)
    assert "CV" in proc.stdout and "Traceback" not in proc.stderr
    run = _only_run(project)
    # under 100,000 rows the base rate (configs/lightgbm.yaml by_rows), and the threads
    head = (run / "train.log").read_text().splitlines()[0]
    assert "  model lightgbm  learning rate 0.05  threads 1  seed 42  folds " in head, head
    spec = load_project(project).spec
    metric = get_metric(spec.metric)

    # the run record is complete
    expected = {
        "config.yaml", "features.py", "metrics.json", "oof.csv", "test_pred.csv",
        "submission.csv", "importance.csv", "importance.png", "train.log", "report.html",
        "models",
    }  # fmt: skip
    assert {p.name for p in run.iterdir()} == expected
    m = json.loads((run / "metrics.json").read_text())
    assert m["metric"] == spec.metric and m["direction"] == metric.direction
    assert len(m["fold_scores"]) == 5 and len(m["best_iterations"]) == 5
    assert m["cv_mean"] == pytest.approx(np.mean(m["fold_scores"]))
    assert (project / "importance.png").exists() is False
    assert (run / "importance.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # the submission is exactly like the sample
    sample = pd.read_csv(project / "data" / spec.files.sample_submission)
    sub = pd.read_csv(run / "submission.csv")
    assert list(sub.columns) == list(sample.columns)
    assert sub.iloc[:, 0].tolist() == sample.iloc[:, 0].tolist()
    assert not sub.isna().any().any()
    preds = sub[list(spec.pred_columns)]
    if spec.kind == "label":
        train = pd.read_csv(project / "data" / spec.files.train)
        truth_values = set(train[spec.targets[0]].unique())
        assert set(preds.iloc[:, 0].unique()) <= truth_values
        assert preds.iloc[:, 0].dtype == train[spec.targets[0]].dtype
    elif spec.kind in ("proba", "class_proba"):
        assert ((preds >= 0) & (preds <= 1)).all().all()
    if spec.kind == "class_proba":
        assert np.allclose(preds.sum(axis=1), 1)

    # the score on the held-back answer key agrees with CV
    proc = ks("submit", "-m", "baseline", cwd=project)
    runs = json.loads(ks("runs", "--json", "--private", cwd=project).stdout)
    assert len(runs) == 1 and runs[0]["public"] is not None
    private = runs[0]["private"]
    assert _close(metric.name, m["oof_score"], private), (m["oof_score"], private)
    index = pd.read_csv(project / "runs.csv")
    assert index["run"].tolist() == [run.name]
    assert index["public"].iloc[0] == pytest.approx(runs[0]["public"])


def _close(metric: str, cv: float, holdout: float) -> bool:
    """Holdout within what a few hundred rows allow: relative for errors, absolute otherwise."""
    if metric in ("mlogloss", "logloss"):  # one confident miss in ~80 rows moves it by ~0.05
        return abs(holdout - cv) <= max(0.5 * cv, 0.06)
    if metric in ("rmse", "rmsle", "mae"):
        return abs(holdout - cv) <= 0.5 * abs(cv) + 0.02
    return abs(holdout - cv) <= 0.12


def test_rerun_is_bit_for_bit_identical(ks, tmp_path):
    project = _init(ks, tmp_path, "abalone-rings")
    ks("train", cwd=project)
    folds_first = (project / "folds.csv").read_bytes()
    ks("train", cwd=project)
    runs = sorted(d for d in (project / "runs").iterdir())
    assert len(runs) == 2
    a, b = (json.loads((r / "metrics.json").read_text()) for r in runs)
    assert a["fold_scores"] == b["fold_scores"] and a["oof_score"] == b["oof_score"]
    assert a["folds_hash"] == b["folds_hash"]
    for name in ("oof.csv", "test_pred.csv", "submission.csv"):
        assert (runs[0] / name).read_bytes() == (runs[1] / name).read_bytes(), name
    assert (project / "folds.csv").read_bytes() == folds_first
    # a fresh project from the same competition makes the same folds and the same score
    other = tmp_path / "again"
    other.mkdir()
    project2 = _init(ks, other, "abalone-rings")
    ks("train", cwd=project2)
    assert (project2 / "folds.csv").read_bytes() == folds_first
    c = json.loads((_only_run(project2) / "metrics.json").read_text())
    assert c["oof_score"] == a["oof_score"]
    # another seed changes the model, not the folds
    ks("train", "--seed", "7", cwd=project)
    assert (project / "folds.csv").read_bytes() == folds_first
    runs = sorted(d for d in (project / "runs").iterdir())
    assert json.loads((runs[-1] / "metrics.json").read_text())["oof_score"] != a["oof_score"]


def test_killed_run_leaves_nothing(ks, tmp_path):
    project = _init(ks, tmp_path, "adult-income")
    ks("train", "-q", cwd=project)  # folds exist; one complete run
    before = (project / "runs.csv").read_text()
    cfg = (project / "kstarter.yaml").read_text()
    cfg = cfg.replace("params: {}", "params: {learning_rate: 0.001, num_leaves: 255}")
    (project / "kstarter.yaml").write_text(cfg)
    for sig in (signal.SIGKILL, signal.SIGTERM):
        proc = subprocess.Popen(
            [kstarter_command(), "train", "-q"], cwd=project, env=ks.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(4)
        assert proc.poll() is None, "training finished before it could be killed"
        proc.send_signal(sig)
        proc.wait(timeout=30)
        visible = [d.name for d in (project / "runs").iterdir()]
        assert len(visible) == 1, visible
        assert (project / "runs.csv").read_text() == before
    # the next run sweeps what kill -9 could not clean up, and still works
    cfg = cfg.replace("params: {learning_rate: 0.001, num_leaves: 255}", "params: {}")
    (project / "kstarter.yaml").write_text(cfg)
    ks("train", "-q", cwd=project)
    assert not any((project / ".kstarter" / "staging").iterdir())
    assert len(pd.read_csv(project / "runs.csv")) == 2


def test_changed_cv_needs_refold(ks, tmp_path):
    project = _init(ks, tmp_path, "diabetes-progression")
    ks("train", cwd=project)
    first = (project / "folds.csv").read_bytes()
    cfg = project / "kstarter.yaml"
    cfg.write_text(cfg.read_text().replace("n_splits: 5", "n_splits: 3"))
    assert_clean_error(ks("train", cwd=project, check=False), "--refold")
    assert (project / "folds.csv").read_bytes() == first
    ks("train", "--refold", cwd=project)
    folds = pd.read_csv(project / "folds.csv")
    assert sorted(folds["fold"].unique()) == [0, 1, 2]


def test_tuned_params_missing_is_a_clean_error(ks, tmp_path):
    project = _init(ks, tmp_path, "diabetes-progression")
    assert_clean_error(ks("train", "--params", "tuned", cwd=project, check=False), "kstarter tune")
    params = tmp_path / "p.yaml"
    params.write_text("num_leaves: 7\nlearning_rate: 0.1\n")
    ks("train", "--params", str(params), cwd=project)
    m = json.loads((_only_run(project) / "metrics.json").read_text())
    assert m["params"]["num_leaves"] == 7 and m["params_source"] == str(params)


def test_train_outside_a_project(ks, tmp_path):
    assert_clean_error(ks("train", cwd=tmp_path, check=False), "kstarter.yaml", "kstarter init")
    assert not any(tmp_path.iterdir())


def _tiny_comp(tmp_path: Path, target_values, name="tiny.zip") -> Path:
    rng = np.random.default_rng(0)
    n = 200
    x = rng.normal(size=n)
    train = [[i, round(x[i], 4), target_values[i % len(target_values)]] for i in range(n)]
    test = [[n + i, round(v, 4)] for i, v in enumerate(rng.normal(size=50))]
    sample = [[n + i, target_values[0]] for i in range(50)]
    return make_zip(
        tmp_path / name,
        {
            "train.csv": csv_text(["id", "x", "y"], train),
            "test.csv": csv_text(["id", "x"], test),
            "sample_submission.csv": csv_text(["id", "y"], sample),
        },
    )


def test_features_py_that_raises_names_the_users_line(ks, tmp_path):
    project = _init(ks, tmp_path, "diabetes-progression")
    (project / "features.py").write_text(
        "def make_features(train, test):\n"
        "    train['z'] = train['no_such_column'] * 2\n"
        "    return train, test\n"
    )
    proc = ks("train", cwd=project, check=False)
    assert_clean_error(proc, "features.py", "line 2", "KeyError", "no_such_column")
    assert not (project / "runs").exists() or not any((project / "runs").iterdir())
    assert not (project / "runs.csv").exists()


def test_features_differing_between_train_and_test(ks, tmp_path):
    project = _init(ks, tmp_path, "diabetes-progression")
    (project / "features.py").write_text(
        "def make_features(train, test):\n"
        "    train = train.assign(extra=1)\n"
        "    return train, test\n"
    )
    assert_clean_error(ks("train", cwd=project, check=False), "extra", "X_train")


def test_one_class_target_is_refused(ks, tmp_path):
    ks("init", str(_tiny_comp(tmp_path, [1, 0])), cwd=tmp_path)
    project = tmp_path / "tiny"
    train = project / "data" / "train.csv"
    frame = pd.read_csv(train)
    frame["y"] = 1
    frame.to_csv(train, index=False)
    assert_clean_error(ks("train", cwd=project, check=False), "one class")
    assert not (project / "runs.csv").exists()


def test_string_and_bool_labels_keep_their_encoding(ks, tmp_path):
    for values, name in ((["yes", "no"], "s.zip"), (["True", "False"], "b.zip")):
        ks("init", str(_tiny_comp(tmp_path, values, name)), cwd=tmp_path)
        project = tmp_path / name[:-4]
        ks("train", cwd=project)
        text = (_only_run(project) / "submission.csv").read_text().splitlines()
        labels = {line.split(",")[1] for line in text[1:]}
        assert labels <= set(values) and labels, labels


def test_rerun_reads_the_cache_and_changes_invalidate_it(ks, tmp_path):
    project = _init(ks, tmp_path, "diabetes-progression")
    ks("train", cwd=project)
    cache = project / ".kstarter" / "cache"
    (first,) = [d.name for d in cache.iterdir()]
    files = {p.name for p in (cache / first).iterdir()}
    parsed = {"X_train.parquet", "X_test.parquet", "train.parquet", "test.parquet", "names.json"}
    parsed.add("recipe.joblib")  # the feature recipe, saved with every run for kernel build
    binned = files - parsed  # LightGBM's binned Dataset and its categories, for reruns
    assert parsed <= files and {p.rsplit(".", 1)[1] for p in binned} == {"bin", "json"}
    ks("train", cwd=project)
    assert [d.name for d in cache.iterdir()] == [first]
    # features.py changes: a new entry replaces the old one, and the new feature is used
    (project / "features.py").write_text(
        "def make_features(train, test):\n"
        "    train = train.assign(bmi_bp=train['bmi'] * train['bp'])\n"
        "    test = test.assign(bmi_bp=test['bmi'] * test['bp'])\n"
        "    return train, test\n"
    )
    ks("train", cwd=project)
    (second,) = [d.name for d in cache.iterdir()]
    assert second != first
    newest = sorted((project / "runs").iterdir())[-1]
    assert "bmi_bp" in (newest / "importance.csv").read_text()
    # the raw data changes: another entry
    train = project / "data" / "train.csv"
    train.write_text(train.read_text())  # same bytes, new modification time
    ks("train", cwd=project)
    assert [d.name for d in cache.iterdir()] not in ([first], [second])


def test_rerun_from_the_cache_without_test_ids(ks, tmp_path):
    """Digit-Recognizer shape: test has no id; the cached rerun must keep every test row."""
    project = _init(ks, tmp_path, "digit-recognizer")
    ks("train", "-q", cwd=project)
    ks("train", "-q", cwd=project)
    runs = sorted((project / "runs").iterdir())
    assert len(runs) == 2
    first, second = ((r / "submission.csv").read_bytes() for r in runs)
    assert first == second and len(first.splitlines()) == 1 + 450


def test_threads_are_chosen_from_the_table_size(monkeypatch):
    from kstarter.models import _threads, physical_cores, resolve_threads

    cores = physical_cores()
    assert resolve_threads(0, 20_000, 100) == 1  # one thread was 37% faster here
    assert resolve_threads(0, 49_999, 100) == 1
    assert resolve_threads(0, 50_000, 100) == min(cores, 2)  # the measured crossover
    assert resolve_threads(0, 100_000, 10) == 1  # few columns: more rows before a second
    assert resolve_threads(0, 245_509, 10) == min(cores, 3)  # flight-delays: 2 were faster
    assert resolve_threads(0, 1_000_000, 100, workers=cores) == 1  # split between workers
    # a user's 8-core laptop: threads grow with the work, up to the cores
    monkeypatch.setattr(_threads, "physical_cores", lambda: 8)
    assert resolve_threads(0, 20_000, 100) == 1
    assert resolve_threads(0, 273_000, 20) == 4  # the 273k x 20 table
    assert resolve_threads(0, 1_000_000, 100) == 8
    assert resolve_threads(0, 1_000_000, 100, workers=2) == 4
    assert resolve_threads(3, 10, 1) == 3  # the user's number always wins


def test_each_family_gets_threads_by_its_own_measurements(monkeypatch):
    from kstarter.models import _threads, resolve_threads

    monkeypatch.setattr(_threads, "physical_cores", lambda: 8)
    # CatBoost was 1.7x faster with two threads already at 5,000 rows: the cores at every size
    assert resolve_threads(0, 300, 5, family="catboost") == 8
    assert resolve_threads(0, 300, 5, workers=4, family="catboost") == 2
    # XGBoost: even at 5,000 x 100, faster with two at 50,000 x 100 (a fifth of LightGBM's work)
    assert resolve_threads(0, 5_000, 100, family="xgboost") == 1
    assert resolve_threads(0, 10_000, 100, family="xgboost") == 2
    assert resolve_threads(0, 50_000, 100, family="xgboost") == 8
    assert resolve_threads(0, 50_000, 100) == 2  # LightGBM at the same size
    assert resolve_threads(0, 10_000, 100, family="linear") == 1  # unmeasured: LightGBM's rule
    assert resolve_threads(3, 300, 5, family="catboost") == 3  # the user's number always wins


def test_the_families_ask_for_their_own_rule(monkeypatch):
    from kstarter.config import ModelConfig
    from kstarter.metrics import get_metric
    from kstarter.models import ModelSetup, _threads, get_model
    from kstarter.spec import Spec

    monkeypatch.setattr(_threads, "physical_cores", lambda: 4)
    spec = Spec("synthetic", "synthetic", task="binary", classes=(0, 1), metric="auc")
    setup = ModelSetup(spec, get_metric("auc"), (2_000, 10), ModelConfig())
    got = {name: get_model(name).create(setup).threads for name in ("lightgbm", "catboost")}
    assert got == {"lightgbm": 1, "catboost": 4}
    assert get_model("catboost").create(setup).params["thread_count"] == 4


def test_a_learning_rate_written_as_text_is_shown_as_written(ks, tmp_path):
    """LightGBM takes "0.2" as a rate; the run's log line shows it instead of failing to
    format it after the folds have trained."""
    project = _init(ks, tmp_path, "diabetes-progression")
    (project / "p.yaml").write_text('learning_rate: "0.2"\n')
    ks("train", "-q", "--params", "p.yaml", cwd=project)
    head = (_only_run(project) / "train.log").read_text().splitlines()[0]
    assert "  learning rate 0.2  threads 1  " in head, head
