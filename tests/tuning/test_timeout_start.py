"""`tune --timeout N` is tuning time: it starts when trials can start, after the data is loaded
and prepared, and a run that finishes no trial says so with a non-zero exit (issue 18.5: the
start-up ate a small N and tune exited 0 with no trial)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import assert_clean_error, copy_project, fast_practice

COMP = "diabetes-progression"  # 442 rows: a trial takes well under a second
JOURNAL = ".kstarter/optuna.journal"
SLOW_START = 6.0  # seconds features.py sleeps: start-up far longer than the timeout below
TIMEOUT = 3.0


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return fast_practice(tmp_path_factory, COMP, rounds=100, stopping=10)


@pytest.fixture
def project(template, tmp_path) -> Path:
    return copy_project(template, tmp_path)


def _trials(project: Path, name: str = f"{COMP}-lightgbm") -> list:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(project / JOURNAL)))
    return optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)


def test_the_timeout_starts_once_the_data_is_ready(ks, project):
    features = project / "features.py"
    text = features.read_text().replace(
        "    X_train = train.copy()",
        f"    import time\n\n    time.sleep({SLOW_START})  # a slow feature step\n"
        "    X_train = train.copy()",
    )
    assert "time.sleep" in text
    features.write_text(text)
    start = time.monotonic()
    proc = ks("tune", "--timeout", str(TIMEOUT), cwd=project)
    elapsed = time.monotonic() - start
    assert elapsed > SLOW_START  # features.py ran: the start-up alone outlasted the timeout
    done = [t for t in _trials(project) if t.state.name in ("COMPLETE", "PRUNED")]
    assert done, proc.stdout
    complete = sum(t.state.name == "COMPLETE" for t in done)
    assert f"trials this run: {complete} complete" in proc.stdout, proc.stdout
    # trials start for TIMEOUT seconds after the start-up; the last one then finishes
    first = min(t.datetime_start for t in done)
    last = max(t.datetime_start for t in done)
    assert (last - first).total_seconds() < TIMEOUT


def test_no_trial_finished_is_an_error_and_the_default_trial_waits(ks, project):
    proc = ks("tune", "--timeout", "0", cwd=project, check=False)
    assert_clean_error(proc, "No trial finished", "--timeout 0 s", "--trials N")
    assert [t.state.name for t in _trials(project)] == ["WAITING"]  # the defaults, enqueued
    assert "best:" not in proc.stdout

    # the next run starts with it: it is trial 0, not enqueued again
    ks("tune", "--trials", "1", cwd=project)
    (trial,) = _trials(project)
    assert trial.number == 0 and trial.state.name == "COMPLETE"
    assert "kstarter_default" in trial.user_attrs


def test_trials_zero_is_not_an_error(ks, project):
    proc = ks("tune", "--trials", "0", cwd=project)
    assert "trials this run: none" in proc.stdout


def test_a_trial_count_that_other_workers_met_is_not_an_error():
    """--trials N counts the study's trials from when the workers started, whoever runs them:
    a worker whose share another took (its trial still running) did its part; one whose trials
    failed, or whose time ran out, did not (the race test_study_claim.py met on a busy CI)."""
    from types import SimpleNamespace

    from optuna.trial import TrialState

    from kstarter.config import TuneConfig
    from kstarter.errors import TrainError
    from kstarter.tuning._tune import TuneOptions, _check_finished

    def trials(*states: TrialState) -> list:
        return [SimpleNamespace(state=s) for s in states]

    tune = TuneConfig()
    _check_finished(trials(TrialState.RUNNING), TuneOptions(trials=1), tune)  # no raise
    _check_finished([], TuneOptions(trials=1), tune)
    with pytest.raises(TrainError, match="1 failed"):
        _check_finished(trials(TrialState.FAIL), TuneOptions(trials=1), tune)
    with pytest.raises(TrainError, match="time limit"):
        _check_finished(trials(TrialState.RUNNING), TuneOptions(timeout=3.0), tune)
