"""From the raw tables to model matrices: ``features.py``, then dates and text expanded, then
categoricals shared by train and test.

``features.py`` sees the raw tables (and, when its ``make_features`` takes a third argument,
the competition's extra tables). What it returns is then made model-ready: the spec's date
columns become numeric parts (:mod:`kstarter.columns`), its text columns TF-IDF + SVD features,
and the remaining string columns categoricals shared by train and test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter.featurepack import add_fixed
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


def build_matrices(project: Project, tables: Tables) -> Matrices:
    """Run features.py, fit the recipe (drop non-features, expand dates and text, categories
    shared by train and test) and apply it to both sides."""
    X_train, X_test = user_features(project, tables)
    recipe, X_train, X_test = fit_recipe(project.spec, X_train, X_test)
    names = dict(recipe.names)
    if project.features.fixed:  # the pack's fold-independent columns, on the final features
        X_train, X_test = add_fixed(project.features, X_train, X_test)
        names |= {str(c): str(c) for c in X_train.columns if c not in names}
    return Matrices(X_train, X_test, names, recipe=recipe)


def matrix_inputs(project: Project) -> list[object]:
    """What decides the matrices besides train, test and features.py: the date and text
    settings and the extra tables' files (for the cache key)."""
    spec = project.spec
    parts: list[object] = [spec.date_columns, spec.text_columns, spec.text_components]
    parts.append(("recipe", RECIPE_VERSION))
    if project.features.fixed:  # the pack's transforms: absent from the key when all are off
        parts.append(project.features.fixed_part())
    for name in sorted(spec.extra_tables):
        path = project.data_dir / name
        st = path.stat() if path.exists() else None
        parts.append((name, spec.extra_tables[name], st and (st.st_size, st.st_mtime_ns)))
    return parts
