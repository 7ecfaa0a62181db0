"""The inputs of a run: the slim tables and the model matrices, from the project's cache when
nothing they depend on changed, else parsed, prepared and cached.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from kstarter.competition import encode_target
from kstarter.prepare._cache import cache_key, load_cached, store
from kstarter.prepare._matrices import Matrices, build_matrices
from kstarter.prepare._tables import Tables, load_tables, slim_tables

if TYPE_CHECKING:
    from kstarter.config import Project

__all__ = ["load_inputs"]


def load_inputs(project: Project) -> tuple[Tables, Matrices]:
    """The slim tables and the model matrices: from the project's cache when the raw files
    and features.py are unchanged, else parsed, prepared and cached."""
    key = cache_key(project)
    cached = load_cached(project, key)
    if cached is not None:
        return cached
    tables = load_tables(project)
    encode_target(project.spec, tables.train)  # a bad target fails before features.py runs
    matrices = build_matrices(project, tables)
    tables = slim_tables(project, tables)
    folder = store(project, key, tables, matrices)
    return tables, replace(matrices, store=folder)
