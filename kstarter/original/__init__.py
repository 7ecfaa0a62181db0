"""The competition's original dataset (``kstarter init ... --original PATH``).

A Playground competition is generated from a real dataset; adding that dataset helps in two
ways, each correct by construction:

- as extra training rows (:mod:`kstarter.original._table`), marked by the ``is_original``
  column and optionally weighted, that are never validated: the folds stay on the
  competition's rows, every fold trains on its own training rows plus all original rows, and
  OOF and the CV score are over competition rows only (``kstarter.crossval``);
- as target statistics per value (the ``original_stats`` transform of ``features:``,
  :mod:`kstarter.original._stats`): fitted on original rows only, so they cannot carry a
  competition row's target into its own validation.

The copy lives under the project's ``data/original/``; kstarter.yaml's ``original:`` section
records its file, its SHA-256 and where it came from, and every run record names it.
"""

from __future__ import annotations

from kstarter.original._config import INDICATOR, Original, parse_original
from kstarter.original._fetch import copy_original
from kstarter.original._stats import STATS_FOLDS, add_original_stats
from kstarter.original._table import read_original, with_indicator

__all__ = [
    "INDICATOR",
    "Original",
    "parse_original",
    "copy_original",
    "read_original",
    "with_indicator",
    "add_original_stats",
    "STATS_FOLDS",
]
