"""Model families behind one contract (:class:`Model`): one fold in, predictions out.

``_base`` holds the contract and the fold records, ``_threads`` the thread policy, one module
per family (``_lightgbm`` with its two configurations, ``_xgboost``, ``_catboost``,
``_linear``) and ``_registry`` the names that pick them. A setup's deadline stops any family
with :class:`OutOfTime`. Importing the package sets ``OMP_WAIT_POLICY`` (``_threads``) before
any lightgbm import.
"""

from __future__ import annotations

from kstarter.models._base import (
    FoldData,
    FoldOutput,
    Model,
    ModelSetup,
    OutOfTime,
    stack_targets,
)
from kstarter.models._lightgbm import LightGBMModel, LightGBMXTModel
from kstarter.models._linear import LINEAR_KEYS, LinearModel, linear_kind, linear_params
from kstarter.models._registry import MODELS, get_model
from kstarter.models._threads import SMALL_CELLS, physical_cores, resolve_threads

__all__ = [
    "Model",
    "ModelSetup",
    "FoldData",
    "FoldOutput",
    "OutOfTime",
    "stack_targets",
    "SMALL_CELLS",
    "physical_cores",
    "resolve_threads",
    "LightGBMModel",
    "LightGBMXTModel",
    "LinearModel",
    "linear_kind",
    "linear_params",
    "LINEAR_KEYS",
    "MODELS",
    "get_model",
]
