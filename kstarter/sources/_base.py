"""The one thing every source does: put a competition's raw files into a folder."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from kstarter.competition import Meta

__all__ = ["Source"]


class Source(abc.ABC):
    """Where a competition's files come from: practice, a local zip or folder, Kaggle.

    The contract, checked for every implementation by ``tests/sources/test_source_contract.py``:

    - ``name`` is the competition's short name, the default folder of the new project.
    - :meth:`fetch` writes the competition's raw files into ``data_dir``, an existing empty
      folder, so that :func:`kstarter.competition.inspect_competition` finds its train, test and
      sample submission there. It writes nothing outside ``data_dir`` (a temporary folder
      beside it is removed before ``fetch`` returns or raises).
    - It returns a :class:`~kstarter.competition.Meta` holding what the source knows beyond the
      files: at least ``name``, and ``source``, the text that
      :func:`~kstarter.sources.resolve_source` turns back into this kind of source; Kaggle adds
      its title, metric, deadline and daily limit.
    - A foreseeable failure raises :class:`~kstarter.errors.SourceError` (or
      :class:`~kstarter.errors.KaggleError`) whose one sentence says what to do. The caller
      removes whatever was written into ``data_dir``.
    """

    name: str

    @abc.abstractmethod
    def fetch(self, data_dir: Path) -> Meta:
        """Write the competition's raw files into ``data_dir``; return what else is known."""
