"""From the raw tables to model matrices: tables, ``features.py``, matrices and their cache."""

from __future__ import annotations

from kstarter.prepare._cache import cache_key, clear, load_cached, store
from kstarter.prepare._extra import ExtraTables
from kstarter.prepare._features import user_features
from kstarter.prepare._load import load_inputs
from kstarter.prepare._matrices import Matrices, build_matrices, matrix_inputs
from kstarter.prepare._recipe import Recipe, fit_recipe
from kstarter.prepare._tables import Tables, load_tables, read_sample, slim_tables

__all__ = [
    "Tables",
    "load_tables",
    "read_sample",
    "slim_tables",
    "ExtraTables",
    "user_features",
    "Matrices",
    "build_matrices",
    "matrix_inputs",
    "Recipe",
    "fit_recipe",
    "cache_key",
    "load_cached",
    "store",
    "clear",
    "load_inputs",
]
