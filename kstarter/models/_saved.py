"""A run's fitted fold models on disk: ``runs/<run>/models/``, read back to predict new rows.

``models.json`` lists each fold's models (one a seed) with the file each is in and its format,
the library's own where it has one (LightGBM model text, XGBoost UBJSON, CatBoost ``.cbm``;
scikit-learn through joblib). :func:`predict_folds` averages them as cross-validation did:
the seeds' mean in each fold, then the mean over folds, so saved models predict the test rows
exactly as the run did.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter.errors import KstarterError
from kstarter.models._base import Predictor, StackedPredictor
from kstarter.paths import RunModels

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "MODELS_FILE",
    "SavedModels",
    "save_fold_models",
    "load_fold_models",
    "load_predictor",
    "predict_folds",
]

MODELS_FILE = RunModels.INDEX


@dataclass(frozen=True)
class SavedModels:
    family: str
    folds: list[list[Predictor]]  # each fold's models, one a seed


def save_fold_models(folder: Path, family: str, folds: Sequence[Sequence[Predictor]]) -> None:
    """Write every fold's models into ``folder`` (made here) and ``models.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for k, fold in enumerate(folds):
        for s, predictor in enumerate(fold):
            entry = predictor.save(folder, f"fold{k}-seed{s}")
            entries.append({"fold": k, "seed": s, **entry})
    record = {"family": family, "folds": len(folds), "models": entries}
    (folder / MODELS_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def load_fold_models(folder: Path) -> SavedModels:
    path = folder / MODELS_FILE
    if not path.is_file():
        raise KstarterError(
            f"No {MODELS_FILE} in {folder}: the run kept no models; train it again with this "
            "version of kstarter."
        )
    record = json.loads(path.read_text(encoding="utf-8"))
    folds: list[list[Predictor]] = [[] for _ in range(int(record["folds"]))]
    for entry in record["models"]:
        folds[int(entry["fold"])].append(load_predictor(folder, entry))
    return SavedModels(str(record["family"]), folds)


def load_predictor(folder: Path, entry: dict[str, Any]) -> Predictor:
    from kstarter.models._catboost import CatBoostPredictor
    from kstarter.models._forest import ForestPredictor
    from kstarter.models._knn import KNNPredictor
    from kstarter.models._lightgbm import LightGBMPredictor
    from kstarter.models._linear import LinearPredictor
    from kstarter.models._xgboost import XGBoostPredictor

    if entry.get("format") == StackedPredictor.format:
        return StackedPredictor(tuple(load_predictor(folder, e) for e in entry["parts"]))
    kinds: dict[str, type[Predictor]] = {
        k.format: k
        for k in (
            LightGBMPredictor,
            XGBoostPredictor,
            CatBoostPredictor,
            LinearPredictor,
            ForestPredictor,
            KNNPredictor,
        )
    }
    kind = kinds.get(str(entry.get("format")))
    if kind is None:
        raise KstarterError(
            f"A saved model has the format {entry.get('format')!r}, which this kstarter cannot "
            "read: install the kstarter version that wrote it."
        )
    return kind.load(folder, entry)


def predict_folds(saved: SavedModels, X: pd.DataFrame) -> np.ndarray:
    """Each fold's seeds averaged, then the folds averaged: as cross_validate averaged the
    test predictions."""
    import numpy as np

    total: np.ndarray | None = None
    for fold in saved.folds:
        preds = [p.predict(X) for p in fold]
        mean = preds[0] if len(preds) == 1 else sum(preds[1:], preds[0]) / len(preds)
        total = np.zeros(mean.shape) + mean if total is None else total + mean
    assert total is not None, "a run has at least one fold"
    return total / len(saved.folds)
