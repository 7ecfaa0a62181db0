"""A study's claim (what its trials are scored on) is written at once: a kill or a second tune
between the study's creation and its claim never leaves a study every later tune refuses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import Runner

COMP = "diabetes-progression"
STUDY = f"{COMP}-lightgbm"


@pytest.fixture(scope="module")
def diabetes(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("claim")
    Runner(tmp_path_factory.mktemp("home"))("init", f"practice/{COMP}", cwd=where)
    return where / COMP


def _journal_study(project: Path):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    journal = project / ".kstarter" / "optuna.journal"
    journal.parent.mkdir(exist_ok=True)
    storage = JournalStorage(JournalFileBackend(str(journal)))
    return optuna.create_study(study_name=STUDY, storage=storage, load_if_exists=True)


@pytest.mark.parametrize("written", [1, 2])
def test_a_study_whose_claim_was_cut_off_is_claimed_again(ks, diabetes, tmp_path, written):
    project = tmp_path / COMP
    shutil.copytree(diabetes, project)
    # what a kill (or another tune reading at that moment) saw before: the study created and
    # the first of its attributes written one by one
    study = _journal_study(project)
    partial = {"kstarter_competition": COMP, "kstarter_folds_hash": "0123456789abcdef"}
    for key in list(partial)[:written]:
        study.set_user_attr(key, partial[key])
    ks("tune", "--trials", "1", cwd=project)
    claimed = _journal_study(project)
    assert claimed.user_attrs["kstarter"]["kstarter_competition"] == COMP
    assert (
        claimed.user_attrs["kstarter_folds_hash"]
        == claimed.user_attrs["kstarter"]["kstarter_folds_hash"]
    )
    assert [t.state.name for t in claimed.trials] == ["COMPLETE"]
    ks("tune", "--trials", "1", cwd=project)  # and the next tune resumes it
    assert len(_journal_study(project).trials) == 2


def test_two_tunes_starting_a_study_at_once_both_run(ks, diabetes, tmp_path):
    """Real processes: whichever creates the study, neither sees half a claim."""
    project = tmp_path / COMP
    shutil.copytree(diabetes, project)
    ks("tune", "--show", cwd=project)  # nothing yet: no study, no journal
    procs = [ks.start("tune", "--trials", "1", cwd=project) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    study = _journal_study(project)
    assert study.user_attrs["kstarter"]["kstarter_competition"] == COMP
    assert any(t.state.name == "COMPLETE" for t in study.trials)  # "--trials 1" in total
