"""Bad arguments are found before any data is loaded (issue 18.11): with the competition's data
files gone, each command's argument error is the one reported, not the missing data. A wrong
--model, a --params file or tuned parameters that do not exist, a storage that cannot be
opened, a blend of one run or of a run that does not exist, an unknown run to submit, a budget
that is not a duration."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import Runner, assert_clean_error

COMP = "diabetes-progression"


@pytest.fixture(scope="module")
def no_data(tmp_path_factory) -> tuple[Path, str]:
    """A project with one run whose data files are then moved away: (project, run id)."""
    where = tmp_path_factory.mktemp("early")
    run = Runner(tmp_path_factory.mktemp("home"))
    run("init", f"practice/{COMP}", cwd=where)
    project = where / COMP
    run("train", "--model", "linear", "-q", cwd=project)
    (run_id,) = [p.name for p in (project / "runs").iterdir() if not p.name.startswith(".")]
    away = where / "away"
    away.mkdir()
    for name in ("train.csv", "test.csv"):
        shutil.move(project / "data" / name, away / name)
    return project, run_id


def _check(ks, project: Path, args: list[str], *needles: str) -> None:
    proc = ks(*args, cwd=project, check=False)
    assert_clean_error(proc, *needles)
    assert "train.csv" not in proc.stderr, proc.stderr  # not the data: the argument


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["train", "--model", "xgbost"], ("Unknown model 'xgbost'", "Did you mean 'xgboost'")),
        (["train", "--params", "missing.yaml"], ("No parameter file missing.yaml",)),
        (["train", "--params", "tuned"], ("No tuned lightgbm parameters", "`kstarter tune`")),
        (["train", "--model", "catboost", "--params", "tuned"],
         ("No tuned catboost parameters", "`kstarter tune --model catboost`")),
        (["tune", "--model", "xgbost"], ("Unknown model 'xgbost'",)),
        (["tune", "--storage", "redis://localhost/0"], ("Unknown storage scheme redis://",)),
        (["tune", "--storage", "no/such/folder/j.journal"], ("does not exist",)),
        (["auto", "--budget", "soon"], ("--budget 'soon' is not a duration",)),
        (["submit", "no-such-run", "-m", "x"], ("No run 'no-such-run'",)),
    ],
)  # fmt: skip
def test_the_argument_error_comes_before_the_data(ks, no_data, args, needles):
    project, _ = no_data
    _check(ks, project, args, *needles)


def test_a_family_that_cannot_be_built_is_refused_before_the_data(ks, no_data, tmp_path):
    """`--model knn` with parameters k-NN refuses (kstarter.yaml's model.params): the family
    is built for the project before anything is loaded, for train and for tune."""
    src, _ = no_data
    project = tmp_path / COMP
    shutil.copytree(src, project)
    path = project / "kstarter.yaml"
    cfg = yaml.safe_load(path.read_text())
    cfg["model"]["params"] = {"n_neighbors": 0}
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    _check(ks, project, ["train", "--model", "knn"], "n_neighbors")
    _check(ks, project, ["tune", "--model", "knn", "--trials", "1"], "n_neighbors")
    assert not (project / ".kstarter" / "optuna.journal").exists()


def test_blend_arguments_come_before_the_data(ks, no_data):
    project, run_id = no_data
    _check(ks, project, ["blend", run_id], "at least two different runs")
    _check(ks, project, ["blend", run_id, "nope"], "No run 'nope'")
