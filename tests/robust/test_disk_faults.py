"""A full disk, a read-only project (issue 16.12): one sentence naming the file, a non-zero
exit, nothing half-written and nothing lost; submit refuses before uploading what it could
not record; a tuning journal append the disk refuses leaves no torn line."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pytest
from faults import (
    assert_nothing_half_written,
    fill,
    make_trained,
    one_sentence,
    project_copy,
    read_only,
    small_disk,
    snapshot,
    warnings_of,
)

from kstarter import paths
from kstarter.errors import DiskError, disk_error
from kstarter.runs import list_runs


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_trained(tmp_path_factory.mktemp("template"))


def _size(folder: Path) -> int:
    """Bytes of the files under ``folder``: a disk holds a copy of the template and the same
    room to fill as before runs kept their fitted models (megabytes of LightGBM text)."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def _submissions(project: Path) -> int:
    return sum(len(r.submissions) for r in list_runs(project))


# ---------------------------------------------------------------- the sentence


@pytest.mark.parametrize(
    "code, words",
    [
        (errno.ENOSPC, "No space left on the disk for runs/x"),
        (errno.EDQUOT, "No space left"),
        (errno.EROFS, "read-only"),
        (errno.EACCES, "read-only or not yours"),
        (errno.ENOTDIR, "Cannot use the path runs/x"),
        (errno.EIO, "The disk refused runs/x"),
    ],
)
def test_disk_error_is_one_sentence_naming_the_file(code: int, words: str) -> None:
    err = disk_error(OSError(code, "said the kernel", "/tmp/.x.tmp"), "runs/x")
    assert isinstance(err, DiskError)
    assert words in str(err) and "\n" not in str(err) and ".x.tmp" not in str(err)


# ---------------------------------------------------------------- a full disk


@pytest.mark.parametrize("leave", [0, 60_000, 200_000, 400_000])
def test_train_on_a_full_disk_says_so_and_leaves_nothing_half_written(
    ks, template: Path, tmp_path: Path, leave: int
) -> None:
    """Free space from none to more than a run needs, so the disk fills at different steps
    (measured: the cache at 0 bytes, the run folder at 60 and 200 KB and, since a run keeps
    its fitted models, at 400 KB too). The disk holds the copied project and room for one
    more run as large as its runs."""
    with small_disk(tmp_path / "disk", 3_000_000 + 2 * _size(template)) as disk:
        project = project_copy(template, disk / "p")
        shutil.rmtree(project / paths.CACHE)  # rebuilt by the run: one more write to refuse
        before = snapshot(project)
        filler = fill(disk, leave)
        proc = ks("train", "-q", cwd=project, check=False)
        if proc.returncode != 0:
            one_sentence(proc, "No space left on the disk", "free some space")
            assert snapshot(project) == before  # nothing lost, nothing added
        assert_nothing_half_written(project)
        filler.unlink()
        ks("train", "-q", cwd=project)  # space freed: it works, nothing to clean by hand
        assert_nothing_half_written(project)
        assert len(list_runs(project)) == 3 + (proc.returncode == 0)


def test_submit_on_a_full_disk_refuses_before_uploading(ks, template: Path, tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", 2_000_000 + _size(template)) as disk:
        project = project_copy(template, disk / "p")
        fill(disk, 0)
        proc = ks("submit", "-m", "full", cwd=project, check=False)
        one_sentence(proc, "No space left", "Nothing was uploaded")
        assert _submissions(project) == 0
        assert_nothing_half_written(project)


def test_a_journal_append_the_disk_refuses_leaves_no_torn_line(tmp_path: Path) -> None:
    from kstarter.tuning._storage import _append_whole_lines

    with small_disk(tmp_path / "disk", 200_000) as disk:
        journal = disk / "optuna.journal"
        journal.write_bytes(b'{"op_code": 0}\n')
        fill(disk, 0)
        with pytest.raises(OSError) as err:
            _append_whole_lines(journal, b'{"op_code": 1, "pad": "' + b"x" * 300_000 + b'"}\n')
        assert err.value.errno == errno.ENOSPC
        assert journal.read_bytes() == b'{"op_code": 0}\n'  # cut back to whole lines


# ---------------------------------------------------------------- a read-only project


def test_a_read_only_project_reads_and_refuses_writes_in_one_sentence(
    ks, template: Path, tmp_path: Path
) -> None:
    project = project_copy(template, tmp_path / "p")
    first = list_runs(project)[0].id
    ks("submit", first, "-m", "before", cwd=project)  # a public score, for runs --plot
    before = snapshot(project)
    with read_only(project):
        listed = ks("runs", "--json", cwd=project)
        assert len(json.loads(listed.stdout)) == 2

        one_sentence(ks("train", "-q", cwd=project, check=False), "read-only")
        one_sentence(ks("blend", cwd=project, check=False), "read-only")
        one_sentence(ks("runs", "--plot", cwd=project, check=False), paths.LEDGER_PNG)
        submitted = ks("submit", "-m", "ro", "--force", cwd=project, check=False)
        one_sentence(submitted, "read-only", "Nothing was uploaded")

        checked = ks("check", "--brief", cwd=project)  # the findings, with one warning
        (warning,) = warnings_of(checked)
        assert paths.CHECK in warning and "not kept" in warning
    assert snapshot(project) == before
    assert _submissions(project) == 1


def test_check_says_it_keeps_its_findings_in_check_json(ks, tmp_path: Path) -> None:
    """`check --help` said "Nothing is written into the project" while it rewrote a file."""
    text = ks("check", "--help", cwd=tmp_path).stdout
    assert "Nothing is written" not in text
    assert paths.CHECK in " ".join(text.split())


# ---------------------------------------------------------------- init


def test_init_into_a_read_only_folder_or_a_full_disk_is_one_sentence_and_leaves_nothing(
    ks, tmp_path: Path
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    with read_only(folder):
        proc = ks("init", "practice/penguins-species", "--dir", "ro/p", cwd=tmp_path, check=False)
        one_sentence(proc, f"{folder / 'p'}", "read-only")
    assert list(folder.iterdir()) == []
    with small_disk(tmp_path / "disk", 40_000) as disk:
        proc = ks("init", "practice/penguins-species", "--dir", "disk/p", cwd=tmp_path, check=False)
        one_sentence(proc, f"No space left on the disk for {disk / 'p'}")
        assert list(disk.iterdir()) == []  # no project, no hidden staging copy of the data
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    proc = ks("init", "practice/penguins-species", "--dir", "a_file/p", cwd=tmp_path, check=False)
    one_sentence(proc, "a_file/p")


@pytest.mark.parametrize("leave", [0, 8_000, 20_000])
def test_tune_on_a_full_disk_says_so_and_keeps_the_journal_whole(
    ks, template: Path, tmp_path: Path, leave: int
) -> None:
    """The disk fills at different steps (a trial's start or end, the tuned parameters, the
    plot): one sentence, and the journal keeps only whole lines, so the study resumes."""
    with small_disk(tmp_path / "disk", 3_000_000 + _size(template)) as disk:
        project = project_copy(template, disk / "p")
        journal = project / paths.JOURNAL
        ks("tune", "--trials", "1", "-q", cwd=project)
        filler = fill(disk, leave)
        proc = ks("tune", "--trials", "3", "-q", cwd=project, check=False)
        one_sentence(proc, "No space left on the disk for", "free some space")
        assert journal.read_bytes().endswith(b"\n")
        filler.unlink()
        ks("tune", "--trials", "1", "-q", cwd=project)  # the study resumes
        shown = ks("tune", "--show", cwd=project).stdout
        assert "Traceback" not in shown
        assert_nothing_half_written(project)
