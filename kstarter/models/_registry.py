"""The model families by name: ``model.name`` in kstarter.yaml and ``--model`` pick one.

Adding a family is one module with a :class:`~kstarter.models.Model` subclass and one line here.
"""

from __future__ import annotations

import difflib

from kstarter.errors import ConfigError
from kstarter.models._base import Model
from kstarter.models._catboost import CatBoostModel
from kstarter.models._forest import ExtraTreesModel, RandomForestModel
from kstarter.models._knn import KNNModel
from kstarter.models._lightgbm import LightGBMModel, LightGBMXTModel
from kstarter.models._linear import LinearModel
from kstarter.models._xgboost import XGBoostModel

__all__ = ["MODELS", "get_model", "family_terms"]

MODELS: dict[str, type[Model]] = {
    LightGBMModel.name: LightGBMModel,
    LinearModel.name: LinearModel,
    XGBoostModel.name: XGBoostModel,
    CatBoostModel.name: CatBoostModel,
    ExtraTreesModel.name: ExtraTreesModel,
    RandomForestModel.name: RandomForestModel,
    KNNModel.name: KNNModel,
    LightGBMXTModel.name: LightGBMXTModel,  # LightGBM's second configuration
}


def get_model(name: str) -> type[Model]:
    """The model family called ``name``."""
    found = MODELS.get(name)
    if found is not None:
        return found
    close = difflib.get_close_matches(str(name).lower(), list(MODELS), n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ConfigError(
        f"Unknown model {name!r}: the models are {', '.join(MODELS)}.{hint} "
        "Set model.name in kstarter.yaml or pass --model NAME."
    )


def family_terms(name: str | None) -> tuple[str, bool]:
    """How a run of family ``name`` is described: what its importance measures and whether it
    trains in rounds. A name no family has (a blend, a family since removed): neutral terms."""
    found = MODELS.get(name or "")
    if found is None:
        return "importance", False
    return found.importance_name, found.has_rounds
