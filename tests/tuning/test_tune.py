"""``kstarter tune`` end to end: the installed command on a small practice competition, with
real journal, SQLite and PostgreSQL storages, real worker processes and a real ``kill -9``."""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import assert_clean_error, copy_project, edit_config, fast_practice, kstarter_command

from kstarter.errors import ConfigError
from kstarter.tuning import parse_space

COMP = "diabetes-progression"  # 442 rows, regression, MAE: a trial takes well under a second
JOURNAL = ".kstarter/optuna.journal"
STUDY = f"{COMP}-lightgbm"
FINISHED = ("COMPLETE", "PRUNED")


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """One initialised project, made fast (few rounds, one LightGBM thread), copied per test."""
    return fast_practice(tmp_path_factory, COMP)


@pytest.fixture
def project(template, tmp_path) -> Path:
    return copy_project(template, tmp_path)


@dataclass
class Postgres:
    url: str
    stop: Callable[[], None]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database URL: $KSTARTER_TEST_PG_URL, or a throwaway cluster started here."""
    given = os.environ.get("KSTARTER_TEST_PG_URL")
    if given:
        yield given
        return
    try:
        server = _start_postgres()
    except Exception as exc:  # whatever stops a server from starting here
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL tests, but no server could start: {exc}")
        pytest.skip(f"no PostgreSQL server could be started here ({exc}); CI runs these tests")
    try:
        yield server.url
    finally:
        server.stop()


def _start_postgres() -> Postgres:
    """initdb + pg_ctl start into a temporary folder, on a free port, as the postgres user
    when run as root (initdb refuses root)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = found[-1] if found else shutil.which("initdb")
    if not initdb:
        raise RuntimeError("initdb not found (apt-get install postgresql)")
    bindir = Path(initdb).parent
    folder = tempfile.mkdtemp(prefix="kstarter-pg-")
    as_user = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = f"{folder}/data", _free_port()

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, capture_output=True, timeout=120)

    run(str(bindir / "initdb"), "-D", data, "-A", "trust", "-U", "postgres")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    run(str(bindir / "pg_ctl"), "-D", data, "-o", options, "-l", f"{folder}/log", "-w", "start")

    def stop() -> None:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", data, "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)

    try:
        import psycopg

        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True
        ) as c:
            c.execute("CREATE DATABASE kstarter_test")
    except Exception:
        stop()
        raise
    return Postgres(f"postgresql://postgres@127.0.0.1:{port}/kstarter_test", stop)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- helpers


def _study(project: Path, storage: str | None = None, name: str = STUDY):
    """The study, read in this process (an RDB one is read into memory and disconnected)."""
    import optuna
    from optuna.storages import JournalStorage, RDBStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if storage is None or "://" not in storage:
        backend = JournalFileBackend(str(project / (storage or JOURNAL)))
        return optuna.load_study(study_name=name, storage=JournalStorage(backend))
    rdb = RDBStorage(storage)
    try:
        loaded = optuna.load_study(study_name=name, storage=rdb)
        copy = optuna.create_study(direction=loaded.direction)
        copy.add_trials(loaded.get_trials())
        for key, value in loaded.user_attrs.items():
            copy.set_user_attr(key, value)
        return copy
    finally:
        rdb.remove_session()
        rdb.engine.dispose()


def _states(study) -> dict[int, str]:
    return {t.number: t.state.name for t in study.get_trials(deepcopy=False)}


def _run_metrics(project: Path) -> list[dict]:
    runs = sorted(p for p in (project / "runs").iterdir() if not p.name.startswith("."))
    return [json.loads((r / "metrics.json").read_text()) for r in runs]


# ---------------------------------------------------------------- a study, start to finish


def test_tune_prunes_saves_best_and_train_reproduces_it(ks, project):
    proc = ks("tune", "--trials", "20", cwd=project)
    assert "best: trial" in proc.stdout and "Traceback" not in proc.stderr
    assert proc.stderr == ""  # not a terminal: quiet

    study = _study(project)
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == 20 and {t.state.name for t in trials} <= set(FINISHED)
    pruned = [t for t in trials if t.state.name == "PRUNED"]
    assert pruned, "the median pruner pruned nothing in 20 trials"
    for t in trials:  # what the benchmark needs to measure the compute pruning saved
        assert t.user_attrs["seconds"] > 0
        assert t.user_attrs["folds_trained"] == (
            5 if t.state.name == "COMPLETE" else len(t.intermediate_values)
        )
    assert all(t.user_attrs["folds_trained"] < 5 for t in pruned)
    assert study.user_attrs["kstarter_competition"] == COMP
    assert study.direction.name == "MINIMIZE"  # MAE

    # tuned_params.yaml names the study, the trial and its CV; train reproduces that CV exactly
    best = study.best_trial
    text = (project / "tuned_params.yaml").read_text()
    assert f"best trial {best.number} of study '{STUDY}'" in text and repr(best.value) in text
    assert yaml.safe_load(text)["params"] == best.params
    ks("train", "--params", "tuned", "-q", cwd=project)
    (m,) = _run_metrics(project)
    assert m["cv_mean"] == pytest.approx(best.value, abs=1e-12, rel=0)
    assert m["folds_hash"] == study.user_attrs["kstarter_folds_hash"]

    png = project / "tuning" / f"{STUDY}.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    shown = ks("tune", "--show", cwd=project).stdout.splitlines()
    rows = [ln.split() for ln in shown if ln.split() and ln.split()[0].isdigit()]
    assert [int(r[0]) for r in rows] == list(range(20))
    assert {r[1] for r in rows} == {"COMPLETE", "PRUNED"}
    assert shown[-1].startswith(f"best: trial {best.number}, CV {best.value:.6g}")


def test_killed_worker_loses_only_its_trial_and_the_study_resumes(ks, project):
    # slow trials (every fold runs all its rounds), so the kill lands inside one
    edit_config(project, {
        "model": {"num_boost_round": 300, "early_stopping_rounds": 300},
        "tune": {"pruner": "none"},
    })  # fmt: skip
    for _attempt in range(3):
        killed = _kill_mid_trial(ks, project)
        if killed is not None:
            break
    else:
        pytest.fail("could not kill the worker while a trial was running")
    before = {t.number: t for t in _study(project).get_trials(deepcopy=False)}
    done_before = {n: t.value for n, t in before.items() if t.state.name in FINISHED}
    assert before[killed].state.name == "RUNNING" and len(done_before) >= 2

    proc = ks("tune", "--trials", "3", cwd=project)
    assert f"trials [{killed}]" in proc.stdout  # told which trial of a dead worker it failed

    after = {t.number: t for t in _study(project).get_trials(deepcopy=False)}
    assert after[killed].state.name == "FAIL"
    for n, value in done_before.items():  # no finished trial lost or changed
        assert after[n].state.name in FINISHED and after[n].value == value
    new = sorted(n for n in after if n not in before)
    assert len(new) == 3 and new[0] > max(before)  # trial numbers go on
    assert all(after[n].state.name in FINISHED for n in new)


def _kill_mid_trial(ks, project: Path) -> int | None:
    """Start a long tune, kill -9 it once a trial has trained a fold; that trial's number."""
    proc = subprocess.Popen(
        [kstarter_command(), "tune", "--trials", "500"], cwd=project, env=ks.env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if (project / JOURNAL).exists() and (running := _mid_trial(project)) is not None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return running if _states(_study(project)).get(running) == "RUNNING" else None
            time.sleep(0.05)
        raise AssertionError(f"tune exited ({proc.poll()}) or stalled before a trial ran")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _mid_trial(project: Path) -> int | None:
    try:
        study = _study(project)
    except KeyError:  # the study is being created
        return None
    trials = study.get_trials(deepcopy=False)
    finished = sum(t.state.name in FINISHED for t in trials)
    for t in trials:
        if t.state.name == "RUNNING" and t.intermediate_values and finished >= 2:
            return t.number
    return None


# ---------------------------------------------------------------- several workers, one storage


@pytest.mark.parametrize(("storage", "workers"), [("journal", 4), ("sqlite", 2), ("postgresql", 2)])
def test_workers_share_one_study(ks, project, request, storage, workers):
    url = {
        "journal": None,
        "sqlite": f"sqlite:///{project / 'optuna.db'}",
        "postgresql": request.getfixturevalue("pg_url") if storage == "postgresql" else None,
    }[storage]
    name = f"w-{uuid.uuid4().hex[:8]}"
    args = ["--study", name] + (["--storage", url] if url else [])
    ks("tune", "--trials", "4", *args, cwd=project)  # resumed below by several workers
    start = time.monotonic()
    ks("tune", "--trials", "8", "--workers", str(workers), *args, cwd=project)
    elapsed = time.monotonic() - start
    study = _study(project, url, name)
    trials = study.get_trials(deepcopy=False)
    numbers = [t.number for t in trials]
    assert len(set(numbers)) == len(numbers) == len(trials)
    finished = [t for t in trials if t.state.name in FINISHED]
    # 4 + 8 asked for; trials already in flight when the 12th finished may still complete
    assert 12 <= len(finished) <= 12 + workers - 1, _states(study)
    assert not [t for t in trials if t.state.name == "RUNNING"]
    pids = {t.user_attrs["worker"].split(":")[1] for t in finished[4:]}
    print(f"{storage}: {workers} workers ({len(pids)} ran trials), 8 trials in {elapsed:.1f} s")
    shown = ks("tune", "--show", *args, cwd=project).stdout
    assert f"Study '{name}'" in shown and "best: trial" in shown


# ---------------------------------------------------------------- refusals


def test_study_on_other_folds_or_another_competition_is_refused(ks, project, tmp_path):
    ks("tune", "--trials", "2", cwd=project)
    cfg = project / "kstarter.yaml"
    cfg.write_text(cfg.read_text().replace("seed: 42", "seed: 7", 1))  # cv.seed
    ks("train", "--refold", "-q", cwd=project)
    proc = ks("tune", "--trials", "1", cwd=project, check=False)
    assert_clean_error(proc, "other folds", "--study", "restore")
    ks("tune", "--trials", "1", "--study", "new-folds", cwd=project)

    # the same journal and study name used from a project of another competition
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    ks("init", "practice/breast-cancer", cwd=other_dir)
    shared = str(project / JOURNAL)
    proc = ks("tune", "--trials", "1", "--storage", shared, "--study", STUDY,
              cwd=other_dir / "breast-cancer", check=False)  # fmt: skip
    assert_clean_error(proc, f"competition '{COMP}'", "--study")


@pytest.mark.parametrize(
    ("storage", "needles"),
    [
        ("redis://localhost:6379", ("Unknown storage scheme redis://", "postgresql://")),
        ("mongodb://u:hunter2@h/db", ("Unknown storage scheme", "u:***@h")),
        ("postgresql://u:hunter2@127.0.0.1:{port}/db", ("Cannot open the storage", "u:***@")),
    ],
)
def test_bad_storage_is_a_clean_error(ks, project, storage, needles):
    proc = ks("tune", "--trials", "1", "--storage", storage.format(port=_free_port()),
              cwd=project, check=False)  # fmt: skip
    assert_clean_error(proc, *needles)
    assert "hunter2" not in proc.stderr + proc.stdout


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ({"num_leafs": {"type": "int", "low": 4, "high": 64}}, "not a LightGBM parameter"),
        ({"num_leaves": {"type": "int", "low": 64, "high": 64}}, "must be less than high"),
        ({"lambda_l1": {"type": "float", "low": 0.0, "high": 1.0, "log": True}}, "low > 0"),
        ({"seed": {"type": "int", "low": 1, "high": 9}}, "cannot be tuned"),
        ({"min_data_in_leaf": {"type": "int", "low": 2, "high": 9}}, "use min_child_samples"),
        ({"extra_trees": {"type": "categorical"}}, "choices"),
        ({"num_leaves": {"type": "int", "low": 2.5, "high": 9}}, "whole number"),
        ({"num_leaves": {"type": "int", "lo": 2, "high": 9}}, "unknown key 'lo'"),
    ],
)
def test_bad_search_space_entries_are_named(entry, needle):
    base = {"min_child_samples", "learning_rate"}
    with pytest.raises(ConfigError, match=needle):
        parse_space({"min_child_samples": {"type": "int", "low": 5, "high": 50}, **entry},
                    "kstarter.yaml", base)  # fmt: skip


def test_bad_search_space_in_kstarter_yaml_stops_the_command(ks, project):
    edit_config(
        project, {"tune": {"search_space": {"num_leaves": {"type": "int", "low": 9, "high": 3}}}}
    )
    assert_clean_error(ks("tune", "--trials", "1", cwd=project, check=False), "num_leaves", "low")
    assert not (project / JOURNAL).exists()  # refused before anything was created
    edit_config(project, {"tune": {"search_space": {}, "pruner": "sometimes"}})
    assert_clean_error(ks("tune", cwd=project, check=False), "tune.pruner", "median")


def test_search_space_extends_and_removes(ks, project):
    edit_config(project, {"tune": {"search_space": {
        "extra_trees": {"type": "categorical", "choices": [True, False]},
        "lambda_l1": None,
        "num_leaves": {"type": "int", "low": 4, "high": 16, "step": 4},
    }}})  # fmt: skip
    ks("tune", "--trials", "3", cwd=project)
    for t in _study(project).get_trials(deepcopy=False):
        assert "lambda_l1" not in t.params
        if t.number == 0:  # the defaults: extra_trees unset, num_leaves 15 is off the grid
            assert "extra_trees" not in t.params and "num_leaves" not in t.params
            continue
        assert t.params["extra_trees"] in (True, False)
        assert t.params["num_leaves"] in (4, 8, 12, 16)
    # new bounds are fine in a running study; another kind of distribution is not
    edit_config(
        project,
        {
            "tune": {
                "search_space": {"num_leaves": {"type": "int", "low": 4, "high": 64, "log": True}}
            }
        },
    )
    proc = ks("tune", "--trials", "1", cwd=project, check=False)
    assert_clean_error(proc, "num_leaves no longer fits", "--study")


def test_help_explains_storage_and_dashboard(ks, tmp_path):
    text = ks("tune", "--help", cwd=tmp_path).stdout
    for needle in ("optuna.journal", "SQLite", "optuna-dashboard .kstarter/optuna.journal",
                   "postgresql://", "Example"):  # fmt: skip
        assert needle in text


def test_trials_of_dead_workers_on_this_machine_are_failed():
    import optuna

    from kstarter.tuning import fail_dead_workers, worker_id

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    gone = subprocess.Popen(["true"])
    gone.wait()
    host = socket.gethostname()
    study = optuna.create_study()
    workers = [f"{host}:{gone.pid}:", worker_id(), f"elsewhere:{gone.pid}:", None]
    for w in workers:
        trial = study.ask()
        if w is not None:  # None: killed before it named its worker, a moment ago
            trial.set_user_attr("worker", w)
    assert fail_dead_workers(study) == [0]
    assert [t.state.name for t in study.trials] == ["FAIL"] + ["RUNNING"] * 3
