"""Model families behind one contract (:class:`Model`): one fold in, predictions out.

``_base`` holds the contract and the fold records, ``_threads`` the thread policy, one module
per family (``_lightgbm`` with its two configurations, ``_xgboost``, ``_catboost``,
``_linear``, ``_forest`` for random forests and extra trees, ``_knn``) and ``_registry`` the
names that pick them. A setup's deadline stops any family with :class:`OutOfTime`; its
``fit_seconds`` stops a fit early and keeps it (:class:`FitTimer`). Importing the package sets
``OMP_WAIT_POLICY`` (``_threads``) before any lightgbm import.
"""

from __future__ import annotations

from kstarter.models._base import (
    FitTimer,
    FoldData,
    FoldOutput,
    Model,
    ModelSetup,
    OutOfTime,
    Predictor,
    StackedPredictor,
    rounds_reported_to,
    stack_targets,
    summed_importance,
)
from kstarter.models._check import check_params, dropped_params, refusal, unknown_params
from kstarter.models._forest import ExtraTreesModel, RandomForestModel
from kstarter.models._knn import KNNModel
from kstarter.models._lightgbm import LightGBMModel, LightGBMXTModel, lightgbm_aliases
from kstarter.models._linear import LINEAR_KEYS, LinearModel, linear_kind, linear_params
from kstarter.models._registry import MODELS, family_terms, get_model
from kstarter.models._saved import (
    MODELS_FILE,
    SavedModels,
    load_fold_models,
    predict_folds,
    save_fold_models,
)
from kstarter.models._threads import WORK_PER_THREAD, physical_cores, resolve_threads

__all__ = [
    "Model",
    "ModelSetup",
    "FoldData",
    "FoldOutput",
    "OutOfTime",
    "FitTimer",
    "rounds_reported_to",
    "stack_targets",
    "summed_importance",
    "WORK_PER_THREAD",
    "physical_cores",
    "resolve_threads",
    "LightGBMModel",
    "ExtraTreesModel",
    "RandomForestModel",
    "KNNModel",
    "LightGBMXTModel",
    "LinearModel",
    "linear_kind",
    "linear_params",
    "LINEAR_KEYS",
    "dropped_params",
    "MODELS",
    "get_model",
    "family_terms",
    "check_params",
    "unknown_params",
    "refusal",
    "lightgbm_aliases",
    "Predictor",
    "StackedPredictor",
    "MODELS_FILE",
    "SavedModels",
    "save_fold_models",
    "load_fold_models",
    "predict_folds",
]
