"""``kstarter kernel build`` and ``kstarter kernel check`` end to end, with the installed
command on practice competitions marked as code competitions: the notebook's submission on the
project's own test file is the run's, the pre-flight passes, and each of Kaggle's error classes
is provoked on purpose (a fault injected in a copy of the built project)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import Runner, assert_clean_error, edit_config
from kaggle_shaped import comp, init_zip, species_sample, species_target

pytestmark = pytest.mark.slow


def _project(tmp_path_factory: pytest.TempPathFactory, name: str, model: str):
    run = Runner(tmp_path_factory.mktemp("home"))
    cwd = tmp_path_factory.mktemp("kernel")
    init = run("init", f"practice/{name}", "--code-competition", cwd=cwd)
    project = cwd / name
    run("train", "--quiet", "--model", model, cwd=project)
    build = run("kernel", "build", "--owner", "me", cwd=project)
    return run, project, init, build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    """heart-disease (labels), a LightGBM run, built once for the module."""
    return _project(tmp_path_factory, "heart-disease", "lightgbm")


def _run_notebook_on_own_test(project: Path, root: Path) -> Path:
    """The notebook, as Kaggle lays the inputs out, on the project's own files."""
    (root / "input").mkdir(parents=True)
    (root / "working").mkdir()
    (root / "input" / project.name).symlink_to(project / "data")
    (root / "input" / "artifacts").symlink_to(project / "kernel" / "artifacts")
    env = {**os.environ, "KSTARTER_KAGGLE_ROOT": str(root)}
    notebook = project / "kernel" / "notebook" / "notebook.ipynb"
    result = root / "result.json"
    subprocess.run(
        [sys.executable, "-m", "kstarter.kernel._execute", str(notebook), str(root / "working"),
         "600", str(result)],
        env=env, check=True, timeout=900,
    )  # fmt: skip
    assert json.loads(result.read_text())["status"] == "ok", result.read_text()
    return root / "working" / "submission.csv"


def _same_submission(got: Path, run_dir: Path) -> None:
    want = pd.read_csv(run_dir / "submission.csv")
    pd.testing.assert_frame_equal(pd.read_csv(got), want, check_exact=False, rtol=1e-9)


def test_build_writes_the_dataset_and_an_offline_notebook_that_predicts_as_the_run(
    built, tmp_path
) -> None:
    _, project, init, build = built
    assert "code competition" in init.stdout and "kstarter kernel build" in init.stdout
    config = yaml.safe_load((project / "kstarter.yaml").read_text())
    assert config["competition"]["code_competition"] is True
    assert "kernel check" in build.stdout
    artifacts = project / "kernel" / "artifacts"
    names = {p.name for p in artifacts.iterdir()}
    assert {"dataset-metadata.json", "kstarter-artifacts.json", "models.json", "recipe.joblib",
            "kstarter.yaml", "features.py", "metrics.json"} <= names  # fmt: skip
    assert "fold0-seed0.txt.gz" in names  # LightGBM's model text, gzipped
    assert all(p.is_file() for p in artifacts.iterdir()), "a Kaggle dataset is flat"
    assert any(n.startswith("kstarter-") and n.endswith(".whl") for n in names)
    dataset = json.loads((artifacts / "dataset-metadata.json").read_text())
    assert dataset["id"] == "me/heart-disease-kstarter-artifacts"
    meta = json.loads((project / "kernel" / "notebook" / "kernel-metadata.json").read_text())
    assert meta["enable_internet"] is False and meta["kernel_type"] == "notebook"
    assert meta["competition_sources"] == ["heart-disease"]
    assert meta["dataset_sources"] == [dataset["id"]] and meta["docker_image"]
    nbformat.validate(nbformat.read(project / "kernel" / "notebook" / meta["code_file"], 4))

    got = _run_notebook_on_own_test(project, tmp_path / "kaggle")
    _same_submission(got, next((project / "runs").iterdir()))


def test_a_knn_run_is_trained_again_at_build_and_predicts_as_the_run(
    tmp_path_factory, tmp_path
) -> None:
    """k-NN (like the forests) keeps no models in its run: build trains them again on the
    run's folds, checks them against the run's test predictions, and ships them."""
    run, project, _, build = _project(tmp_path_factory, "penguins-species", "knn")
    (run_dir,) = (project / "runs").iterdir()
    assert not (run_dir / "models").exists()
    assert "fold0-seed0.joblib" in {p.name for p in (project / "kernel" / "artifacts").iterdir()}
    got = _run_notebook_on_own_test(project, tmp_path / "kaggle")
    _same_submission(got, run_dir)  # class probabilities, to float tolerance
    # models trained again from a project that changed since the run would not be the run's
    features = project / "features.py"
    features.write_text(features.read_text() + "\n# changed\n")
    assert_clean_error(run("kernel", "build", cwd=project, check=False), "changed since")


def test_check_runs_the_notebook_offline_on_a_resampled_test_set(built) -> None:
    run, project, _, _ = built
    proc = run("kernel", "check", "--seed", "3", cwd=project)
    assert "Success: submission.csv with 61 rows (test resampled from 76)" in proc.stdout
    assert "peak memory" in proc.stdout and "network cut by" in proc.stdout
    sub = pd.read_csv(project / "kernel" / "check-submission.csv")
    test = pd.read_csv(project / "data" / "test.csv")
    assert len(sub) == 61 and set(sub.iloc[:, 0]) < set(test.iloc[:, 0])
    assert list(sub.iloc[:, 0]) != sorted(sub.iloc[:, 0]), "the rows come shuffled"


def _copy(project: Path, tmp_path: Path) -> Path:
    """The built project, its big files hard-linked: a fault replaces a file, never edits it."""
    copy = tmp_path / project.name
    shutil.copytree(project, copy, symlinks=True, copy_function=os.link)
    return copy


def _replace(path: Path, text: str) -> None:
    path.unlink()
    path.write_text(text, encoding="utf-8")


def _edit_notebook(project: Path, source: str) -> None:
    path = project / "kernel" / "notebook" / "notebook.ipynb"
    nb = nbformat.read(path, 4)
    nb.cells[-1].source = source
    _replace(path, nbformat.writes(nb))


FEATURES = "def make_features(train, test):\n{body}    return train, test\n"


def test_a_notebook_that_needs_the_internet_threw_an_exception(built, tmp_path) -> None:
    run, project, _, _ = built
    copy = _copy(project, tmp_path)
    body = (
        "    import urllib.request\n    urllib.request.urlopen('http://example.com', timeout=5)\n"
    )
    _replace(copy / "kernel" / "artifacts" / "features.py", FEATURES.format(body=body))
    proc = run("kernel", "check", cwd=copy, check=False)
    assert_clean_error(proc, "Notebook Threw Exception", "no internet")


def test_a_notebook_past_its_time_limit_is_a_timeout(built, tmp_path) -> None:
    run, project, _, _ = built
    copy = _copy(project, tmp_path)
    body = "    import time\n    time.sleep(120)\n"
    _replace(copy / "kernel" / "artifacts" / "features.py", FEATURES.format(body=body))
    proc = run("kernel", "check", "--timeout", "25", cwd=copy, check=False)
    assert_clean_error(proc, "Notebook Timeout", "25 s")


def test_a_notebook_that_writes_no_csv(built, tmp_path) -> None:
    run, project, _, _ = built
    copy = _copy(project, tmp_path)
    _edit_notebook(copy, "print('predictions kept to myself')")
    proc = run("kernel", "check", cwd=copy, check=False)
    assert_clean_error(proc, "Submission CSV Not Found", "/kaggle/working/submission.csv")


def test_a_submission_with_other_columns_is_a_scoring_error(built, tmp_path) -> None:
    run, project, _, _ = built
    copy = _copy(project, tmp_path)
    _edit_notebook(
        copy,
        "import pandas as pd\nfrom kstarter.kernel import predict_submission\n"
        "p = predict_submission()\n"
        "pd.read_csv(p).rename(columns=str.upper).to_csv(p, index=False)\n",
    )
    proc = run("kernel", "check", cwd=copy, check=False)
    assert_clean_error(proc, "Submission Scoring Error", "Column 1")


def test_check_before_build_and_build_of_a_blend_say_what_to_do(built, tmp_path) -> None:
    run, project, _, _ = built
    copy = _copy(project, tmp_path)
    shutil.rmtree(copy / "kernel")
    assert_clean_error(run("kernel", "check", cwd=copy, check=False), "kernel build")
    run("train", "--quiet", "--seed", "1", cwd=copy)
    run("blend", "--method", "mean", cwd=copy)
    blend = max((copy / "runs").iterdir(), key=lambda p: p.stat().st_mtime).name
    assert_clean_error(run("kernel", "build", blend, cwd=copy, check=False), "is a blend")


def _reviews(n: int) -> pd.DataFrame:
    """Free text with a word-level signal and a date column: the recipe's fitted parts."""
    rng = np.random.default_rng(5)
    good, bad = ["excellent", "lovely", "superb"], ["awful", "broken", "dull"]
    filler = [
        "the",
        "a",
        "room",
        "stay",
        "staff",
        "food",
        "view",
        "night",
        "was",
        "and",
        "very",
        "with",
        "our",
    ]
    score = rng.normal(size=n)
    texts = [
        " ".join([*rng.choice(filler, 10), rng.choice(good if s > 0 else bad)]).capitalize()
        for s in score
    ]
    # sorted: the test rows (the last ones) come after train
    days = pd.Timestamp("2021-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 700, n)), "D")
    return pd.DataFrame(
        {"id": np.arange(n), "review": texts, "visited": days.strftime("%Y-%m-%d"),
         "rating": np.round(3 + score + rng.normal(0, 0.3, n), 3)}
    )  # fmt: skip


def test_text_date_and_a_time_split_refit_are_rebuilt_as_the_run_made_them(ks, tmp_path) -> None:
    data = _reviews(500)
    train, test = data.iloc[:380], data.iloc[380:]
    files = {
        "train.csv": train.to_csv(index=False),
        "test.csv": test.drop(columns="rating").to_csv(index=False),
        "sample_submission.csv": test[["id"]].assign(rating=0.0).to_csv(index=False),
    }
    _, project = init_zip(ks, tmp_path, files, "--code-competition", stem="reviews")
    spec = yaml.safe_load((project / "kstarter.yaml").read_text())["competition"]
    assert spec["text_columns"] == ["review"] and spec["date_columns"] == ["visited"]
    edit_config(project, {"cv": {"time": "visited"}})  # folds in time: the test from a refit
    ks("train", "--quiet", "--model", "xgboost", cwd=project)
    (run_dir,) = (project / "runs").iterdir()
    assert json.loads((run_dir / "metrics.json").read_text())["test_from"] == "refit"
    models = json.loads((run_dir / "models" / "models.json").read_text())
    assert models["folds"] == 1, "the refit's model, the one the test predictions came from"
    ks("kernel", "build", cwd=project)
    got = _run_notebook_on_own_test(project, tmp_path / "kaggle")
    _same_submission(got, next((project / "runs").iterdir()))


def _two_flags(latent: np.ndarray, rng: np.random.Generator) -> dict[str, list]:
    return {"a": (latent > 0).astype(int).tolist(), "b": (latent > 1).astype(int).tolist()}


def _grade(latent: np.ndarray, rng: np.random.Generator) -> dict[str, list]:
    return {"y": np.digitize(latent, [-1.5, -0.5, 0.5, 1.5]).tolist()}


TASK_KINDS = {
    # name: (how init gets the competition, init's extra arguments, model)
    "rmsle, log1p target": ("practice/abalone-rings", (), "lightgbm"),
    "multitarget AUC": (
        comp(_two_flags, lambda ids: {"id": ids, "a": [0.5] * len(ids), "b": [0.5] * len(ids)},
             n_train=300, n_test=80),
        ("--target", "a", "--target", "b", "--metric", "mcauc"),
        "catboost",
    ),
    "ordinal QWK, rounded class index": (
        comp(_grade, lambda ids: {"id": ids, "y": [0] * len(ids)}, n_train=300, n_test=80),
        ("--metric", "qwk"),
        "xgboost",
    ),
    "multiclass labels": (comp(species_target, species_sample, n_train=300, n_test=80),
                          ("--metric", "accuracy"), "lightgbm"),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(TASK_KINDS))
def test_every_task_kind_predicts_in_the_notebook_as_the_run(ks, tmp_path, kind: str) -> None:
    """The notebook rebuilds each kind of prediction the run made: a log1p target back on its
    scale, several targets, a continuous class index cut into grades, class labels."""
    source, args, model = TASK_KINDS[kind]
    if isinstance(source, str):
        ks("init", source, "--code-competition", *args, cwd=tmp_path)
        project = tmp_path / source.split("/")[1]
    else:
        _, project = init_zip(ks, tmp_path, source, "--code-competition", *args)
    fast = {"num_boost_round": 120, "early_stopping_rounds": 15, "threads": 1}
    edit_config(project, {"model": fast})
    ks("train", "--quiet", "--model", model, cwd=project)
    ks("kernel", "build", "--owner", "me", cwd=project)
    (run_dir,) = (project / "runs").iterdir()
    got = _run_notebook_on_own_test(project, tmp_path / "kaggle")
    _same_submission(got, run_dir)
