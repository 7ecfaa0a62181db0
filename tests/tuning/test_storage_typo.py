"""A ``--storage`` that is neither a URL nor a file path (``://``, a scheme left out) is refused
with the accepted forms, before anything is created (issue 16.14: it used to make a journal
file named ``:``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstarter.errors import ConfigError
from kstarter.tuning._storage import resolve_storage


@pytest.mark.parametrize("given", ["://", "://db", " study.journal", "postgres:"])
def test_a_storage_typo_is_refused_and_nothing_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="neither a URL nor a file path"):
        resolve_storage(given, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_journal_path_and_a_url_still_resolve(tmp_path: Path) -> None:
    ref = resolve_storage("runs/study.journal", tmp_path)
    assert ref.kind == "journal" and ref.url.endswith("study.journal")
    assert resolve_storage("sqlite:///x.db", tmp_path).kind == "rdb"
