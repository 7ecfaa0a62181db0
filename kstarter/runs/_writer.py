"""The one writer of a run folder, for ``kstarter train`` and ``kstarter blend`` alike.

A run hands over what it produced (:class:`RunOutput`); :func:`save_run` writes every file of
``runs/<run>/`` into a staging folder and renames it into place (:func:`write_run`), so a run
killed half-way leaves no folder and no ``runs.csv`` row. The HTML report is written last, from
the files already there.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kstarter import paths
from kstarter.paths import RunFiles, RunModels
from kstarter.runs._ledger import write_run
from kstarter.runs._plots import plot_importance
from kstarter.runs._record import RunMetrics, write_metrics
from kstarter.runs._report import write_report

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from kstarter.config import Project
    from kstarter.models import Predictor
    from kstarter.prepare import Recipe

__all__ = ["RunOutput", "save_run"]


@dataclass(frozen=True)
class RunOutput:
    """What a run produced.

    ``oof`` and ``test_pred``: the prediction tables (raw model output, see
    :func:`prediction_frames`); ``submission``: already validated against the sample;
    ``log_name``/``log_text``: the run's log (``train.log``, ``blend.log``); ``importance``:
    the feature importance table, written with its plot when the run has one (a blend has
    none); ``copy_features``: keep the project's features.py beside config.yaml (a trained run
    does; a blend has no features of its own).
    """

    metrics: RunMetrics
    oof: pd.DataFrame
    test_pred: pd.DataFrame
    submission: pd.DataFrame
    log_name: str
    log_text: str
    importance: pd.DataFrame | None = None
    copy_features: bool = False
    # each fold's fitted models (one a seed) and the feature recipe, saved in models/ for
    # `kstarter kernel build` when every fold has them
    fitted: Sequence[Sequence[Predictor]] = ()
    recipe: Recipe | None = None


def save_run(project: Project, run_id: str, output: RunOutput) -> Path:
    """Write ``runs/<run_id>/`` atomically and index it in runs.csv; the folder's path."""
    return write_run(
        project.root,
        run_id,
        lambda d: _write_files(d, project, run_id, output),
        renamed=lambda d, new_id: write_report(d, project, run_id=new_id),  # an id taken
    )


def _write_files(d: Path, project: Project, run_id: str, output: RunOutput) -> None:
    shutil.copy2(project.path(paths.CONFIG), d / RunFiles.CONFIG)
    if output.copy_features and project.path(paths.FEATURES).exists():
        shutil.copy2(project.path(paths.FEATURES), d / RunFiles.FEATURES)
    write_metrics(d / RunFiles.METRICS, output.metrics)
    _csv(output.submission, d / RunFiles.SUBMISSION)
    _csv(output.oof, d / RunFiles.OOF)
    _csv(output.test_pred, d / RunFiles.TEST_PRED)
    if output.importance is not None:
        _csv(output.importance, d / RunFiles.IMPORTANCE)
        from kstarter.models import family_terms

        measure = family_terms(output.metrics.model)[0]
        title = f"{project.spec.name}: feature importance ({measure})"
        plot_importance(output.importance, d / RunFiles.IMPORTANCE_PNG, title, measure)
    (d / output.log_name).write_text(output.log_text)
    if output.fitted and all(output.fitted):
        from kstarter.models import save_fold_models

        save_fold_models(d / RunModels.FOLDER, output.metrics.model or "", output.fitted)
        if output.recipe is not None:
            import joblib

            joblib.dump(output.recipe, d / RunModels.FOLDER / RunModels.RECIPE)
    write_report(d, project, run_id=run_id)


def _csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n")
