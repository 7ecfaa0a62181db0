"""From the raw tables to model matrices: ``features.py``, then dates and text expanded, then
categoricals shared by train and test.

``features.py`` sees the raw tables (and, when its ``make_features`` takes a third argument,
the competition's extra tables). What it returns is then made model-ready: the spec's date
columns become numeric parts (:mod:`kstarter.columns`), its text columns TF-IDF + SVD features,
and the remaining string columns categoricals shared by train and test.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter.competition import encode_target
from kstarter.featurepack import add_fixed, target_matrix
from kstarter.metrics import get_metric
from kstarter.original import INDICATOR, add_original_stats, with_indicator
from kstarter.prepare._features import user_features
from kstarter.prepare._recipe import RECIPE_VERSION, Recipe, fit_recipe

if TYPE_CHECKING:
    import pandas as pd

    from kstarter.config import Project
    from kstarter.prepare._tables import Tables

__all__ = ["Matrices", "build_matrices", "matrix_inputs"]


@dataclass(frozen=True)
class Matrices:
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    names: dict[str, str]  # model column name -> the user's column name
    # what models build from these matrices once and reuse (LightGBM's binned Dataset)
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    # the project's cache entry for these matrices, where models may keep files across runs
    store: Path | None = None
    # how features.py's output became these matrices, for new rows (``kstarter kernel build``)
    recipe: Recipe | None = field(default=None, compare=False, repr=False)
    # the original dataset's rows as model rows (kstarter.original): extra training rows,
    # never validated; None without an original or with ``original.rows: false``
    X_original: pd.DataFrame | None = None


def build_matrices(project: Project, tables: Tables) -> Matrices:
    """Run features.py, fit the recipe (drop non-features, expand dates and text, categories
    shared by train and test) and apply it to both sides.

    With the original dataset, ``features.py`` gets train with the original rows after its own
    and an ``is_original`` column on both sides (1 on original rows), so every row gets the
    same features; its original rows are split off again into ``X_original`` (kept only when
    they are training rows, and then with ``is_original`` as a feature)."""
    n = len(tables.train)
    inputs = tables
    if tables.original is not None:
        both, test = with_indicator(tables.train, tables.original, tables.test)
        inputs = replace(tables, train=both, test=test)
    X_train, X_test = user_features(project, inputs)
    recipe, X_train, X_test = fit_recipe(project.spec, X_train, X_test)
    names = dict(recipe.names)
    if project.features.fixed:  # the pack's fold-independent columns, on the final features
        X_train, X_test = add_fixed(project.features, X_train, X_test)
        names |= {str(c): str(c) for c in X_train.columns if c not in names}
    X_original = None
    if tables.original is not None:
        X_original = X_train.iloc[n:].reset_index(drop=True)
        X_train = X_train.iloc[:n].reset_index(drop=True)
        if project.features.original_stats:
            stats = _original_stats(project, tables, X_train, X_test, X_original)
            X_train, X_test, X_original = stats
            names |= {str(c): str(c) for c in X_train.columns if c not in names}
        assert project.original is not None
        if not project.original.rows:
            drop = [c for c in X_train.columns if names.get(str(c)) == INDICATOR]
            X_train, X_test = X_train.drop(columns=drop), X_test.drop(columns=drop)
            X_original = None
    return Matrices(X_train, X_test, names, recipe=recipe, X_original=X_original)


def _original_stats(
    project: Project,
    tables: Tables,
    X_train: pd.DataFrame,
    X_test: pd.DataFrame,
    X_original: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    assert tables.original is not None
    metric = get_metric(project.spec.metric)
    y = encode_target(project.spec, tables.original)
    Y, outputs = target_matrix(project.spec, metric, y)
    pack = project.features
    settings = (pack.stats_smoothing, pack.stats_max_values)
    return add_original_stats(X_train, X_test, X_original, Y, outputs, settings)


def matrix_inputs(project: Project) -> list[object]:
    """What decides the matrices besides train, test and features.py: the date and text
    settings and the extra tables' files (for the cache key)."""
    spec = project.spec
    parts: list[object] = [spec.date_columns, spec.text_columns, spec.text_components]
    parts.append(("recipe", RECIPE_VERSION))
    if project.original is not None:  # its file is fingerprinted; rows and stats are shapes
        parts.append(("original", project.original.sha256, project.original.rows))
    if project.features.fixed:  # the pack's transforms: absent from the key when all are off
        parts.append(project.features.fixed_part())
    for name in sorted(spec.extra_tables):
        path = project.data_dir / name
        st = path.stat() if path.exists() else None
        parts.append((name, spec.extra_tables[name], st and (st.st_size, st.st_mtime_ns)))
    return parts
