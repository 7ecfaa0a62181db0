"""Model families: one fold in, predictions out, behind one contract."""

from __future__ import annotations

from kstarter.models._lightgbm import (
    DATASET_PARAMS,
    Adapter,
    FoldData,
    FoldOutput,
    ModelSettings,
    get_adapter,
    lightgbm_params,
    physical_cores,
    resolve_threads,
    stack_targets,
)
from kstarter.models._linear import LINEAR_KEYS, LinearAdapter, linear_params

__all__ = [
    "FoldOutput",
    "FoldData",
    "ModelSettings",
    "Adapter",
    "get_adapter",
    "lightgbm_params",
    "DATASET_PARAMS",
    "physical_cores",
    "resolve_threads",
    "stack_targets",
    "LinearAdapter",
    "linear_params",
    "LINEAR_KEYS",
]
