"""A torn journal line (a full disk, a kill mid-append) loses no trial: the next append drops
it instead of being glued onto it; a damaged line in the middle is one sentence, not a traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import Runner, assert_clean_error

from kstarter.errors import ConfigError
from kstarter.tuning import StorageRef, open_storage

COMP = "diabetes-progression"


def _add_trials(journal: Path, n: int) -> int:
    """``n`` trials more in study "s"; the number of complete trials after."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(StorageRef("journal", str(journal)))
    study = optuna.create_study(study_name="s", storage=storage, load_if_exists=True)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=n)
    return len(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)))


def test_a_torn_last_line_is_dropped_before_the_next_append(tmp_path):
    journal = tmp_path / "optuna.journal"
    assert _add_trials(journal, 3) == 3
    with open(journal, "ab") as fh:  # what a full disk leaves: half a record, no newline
        fh.write(b'{"op_code":5,"worker_id":"w","trial_id":3,"param_na')
    assert _add_trials(journal, 2) == 5  # the torn line is not glued to the next record
    assert _add_trials(journal, 1) == 6  # and every later read still works
    assert journal.read_bytes().endswith(b"\n")


def test_a_damaged_line_in_the_middle_is_named(tmp_path):
    journal = tmp_path / "optuna.journal"
    _add_trials(journal, 2)
    lines = journal.read_bytes().split(b"\n")
    lines[3] = lines[3][: len(lines[3]) // 2]  # what the old glued appends left
    journal.write_bytes(b"\n".join(lines))
    with pytest.raises(ConfigError, match=r"damaged at line 4 of \d+.*first 3 lines"):
        open_storage(StorageRef("journal", str(journal)))


@pytest.fixture(scope="module")
def diabetes(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("journal")
    Runner(tmp_path_factory.mktemp("home"))("init", f"practice/{COMP}", cwd=where)
    return where / COMP


@pytest.mark.slow
def test_tune_resumes_a_study_whose_journal_was_torn(ks, diabetes, tmp_path):
    project = tmp_path / COMP
    shutil.copytree(diabetes, project)
    ks("tune", "--trials", "2", cwd=project)
    journal = project / ".kstarter" / "optuna.journal"
    with open(journal, "ab") as fh:
        fh.write(b'{"op_code":4,"worker_id":"x","study_id":0,"datetime_start":"2026-')
    ks("tune", "--trials", "1", cwd=project)
    shown = ks("tune", "--show", cwd=project).stdout
    assert [ln.split()[1] for ln in shown.splitlines()[2:5]] == ["COMPLETE"] * 3, shown
    # a line damaged in the middle: one sentence naming it, for tune and for tune --show
    lines = journal.read_bytes().split(b"\n")
    lines[2] = b"{not json"
    journal.write_bytes(b"\n".join(lines))
    for args in (("tune", "--trials", "1"), ("tune", "--show")):
        assert_clean_error(ks(*args, cwd=project, check=False), "damaged at line 3")
