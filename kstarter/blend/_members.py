"""The runs a blend combines: the ones named, checked to be comparable, or every eligible run
of the project (same folds as today's folds.csv, the project's metric, predictions on disk,
not a blend itself)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kstarter import paths
from kstarter.config import Project, load_project
from kstarter.errors import ConfigError
from kstarter.paths import RunFiles
from kstarter.runs import RunRecord, get_run, list_runs

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.metrics import Metric

__all__ = ["Inputs", "Choice", "choose_runs", "eligible_runs", "load"]


@dataclass
class Inputs:
    records: list[RunRecord]
    oof: pd.DataFrame  # the first member's oof.csv without its prediction columns
    pred_cols: list[str]
    raw_oof: list[np.ndarray]  # per member, (n,) or (n, k)
    raw_test: list[np.ndarray]
    test: pd.DataFrame  # the first member's test_pred.csv without its prediction columns
    folds: np.ndarray


@dataclass(frozen=True)
class Choice:
    """Every run of the project sorted into those a blend can take and those it cannot."""

    taken: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]  # (run, why)


def eligible_runs(project: Project | Path | str | None) -> list[str]:
    """The ids of every run of the project a blend can combine, oldest first: trained (not a
    blend) on the current folds.csv, scored with kstarter.yaml's metric, with its oof.csv and
    test_pred.csv."""
    from kstarter.metrics import get_metric

    if not isinstance(project, Project):
        project = load_project(project)
    return list(choose_runs(project, get_metric(project.spec.metric)).taken)


def choose_runs(project: Project, metric: Metric) -> Choice:
    folds = current_folds_hash(project)
    taken: list[str] = []
    skipped: list[tuple[str, str]] = []
    for run in list_runs(project.root):
        why = _why_not(run, folds, metric)
        if why:
            skipped.append((run.id, why))
        else:
            taken.append(run.id)
    return Choice(tuple(taken), tuple(skipped))


def current_folds_hash(project: Project) -> str:
    """The hash runs record of the folds they were trained on (as kstarter.folds computes it:
    the first 16 hex digits of folds.csv's SHA-256)."""
    import hashlib

    path = project.path(paths.FOLDS)
    if not path.is_file():
        raise ConfigError(
            "The project has no folds.csv yet, so no run to blend: train runs first "
            "(`kstarter train`, then e.g. `kstarter train --model linear`)."
        )
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _why_not(run: RunRecord, folds_hash: str, metric: Metric) -> str:
    m = run.metrics
    if m.is_blend:
        return "a blend"
    if m.folds_hash != folds_hash:
        return "other folds"
    if m.metric != metric.name:
        return f"scored with {m.metric}"
    for name in (RunFiles.OOF, RunFiles.TEST_PRED):
        if not (run.path / name).is_file():
            return f"no {name}"
    return ""


def skipped_text(skipped: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{run} ({why})" for run, why in skipped)


def too_few(choice: Choice) -> ConfigError:
    what = f"; skipped {skipped_text(choice.skipped)}" if choice.skipped else ""
    return ConfigError(
        f"Only {len(choice.taken)} run(s) of this project can be blended{what}: a blend needs "
        "two runs trained on the current folds.csv with kstarter.yaml's metric; train another "
        "(e.g. `kstarter train --model linear`) or name the runs."
    )


# ---------------------------------------------------------------- reading and checking members


def load(project: Project, run_ids: tuple[str, ...], metric: Metric) -> Inputs:
    import numpy as np

    ids = list(dict.fromkeys(run_ids))
    if len(ids) < 2:
        raise ConfigError("A blend needs at least two different runs: name them, e.g. "
                          "`kstarter blend RUN_A RUN_B` (see `kstarter runs`).")  # fmt: skip
    records = [get_run(project.root, r) for r in ids]
    first = records[0]
    for r in records[1:]:
        _same((first, r), "folds_hash", (first.metrics.folds_hash, r.metrics.folds_hash),
              "were trained on different folds",
              "their OOF predictions are not comparable and a blend's CV would be wrong; blend "
              "runs made on the same folds.csv, or train the other run again on the current "
              "folds")  # fmt: skip
        _same((first, r), "metric", (first.metrics.metric, r.metrics.metric),
              "were scored with different metrics",
              "train both with the project's metric")  # fmt: skip
    if first.metrics.metric != metric.name:
        raise ConfigError(
            f"Run {first.id} was scored with {first.metrics.metric}, but kstarter.yaml's "
            f"metric is now {metric.name}: train the runs again before blending them."
        )
    id_col = project.spec.id  # as text, like the sample's: "001001" stays "001001"
    frames = [_read_csv(r, RunFiles.OOF, id_col) for r in records]
    tests = [_read_csv(r, RunFiles.TEST_PRED, id_col) for r in records]
    pred_cols = [c for c in frames[0].columns if str(c).startswith("pred")]
    for r, f, t in zip(records, frames, tests, strict=True):
        cols = [c for c in f.columns if str(c).startswith("pred")]
        if cols != pred_cols or len(f) != len(frames[0]) or len(t) != len(tests[0]):
            raise ConfigError(
                f"Run {r.id} predicts {', '.join(cols)} for {len(f)} train rows where run "
                f"{first.id} predicts {', '.join(pred_cols)} for {len(frames[0])}: the runs "
                "are for different data; blend runs of the same data and task."
            )
        if not np.array_equal(f["fold"].to_numpy(), frames[0]["fold"].to_numpy()):
            raise ConfigError(
                f"Runs {first.id} and {r.id} have the same folds hash but different fold "
                "columns in oof.csv: a run folder was edited; train them again."
            )
    return Inputs(
        records=records,
        oof=frames[0].drop(columns=pred_cols),
        pred_cols=pred_cols,
        raw_oof=[_raw(f, pred_cols) for f in frames],
        raw_test=[_raw(t, pred_cols) for t in tests],
        test=tests[0].drop(columns=pred_cols),
        folds=frames[0]["fold"].to_numpy(dtype=int),
    )


def _same(
    runs: tuple[RunRecord, RunRecord],
    name: str,
    values: tuple[str | None, str | None],
    what: str,
    fix: str,
) -> None:
    if values[0] != values[1]:
        raise ConfigError(
            f"Runs {runs[0].id} and {runs[1].id} {what} ({name} {values[0]} vs {values[1]}): {fix}."
        )


def _read_csv(run: RunRecord, name: str, id_col: str | None) -> pd.DataFrame:
    import pandas as pd

    path = run.path / name
    if not path.is_file():
        raise ConfigError(f"Run {run.id} has no {name}: train it again to blend it.")
    return pd.read_csv(path, dtype={id_col: str} if id_col else None)


def _raw(frame: pd.DataFrame, cols: list[str]) -> np.ndarray:
    values = frame[cols].to_numpy(dtype=float)
    return values[:, 0] if values.shape[1] == 1 else values
