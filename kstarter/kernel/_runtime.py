"""What the notebook of ``kstarter kernel build`` runs on Kaggle: find the artifacts and the
competition's files under ``/kaggle/input``, rebuild the features of the (hidden) test rows
with the run's ``features.py`` and saved recipe, predict with the run's saved fold models and
write ``/kaggle/working/submission.csv``.

``KSTARTER_KAGGLE_ROOT`` names another root than ``/kaggle`` (``kstarter kernel check`` lays
the data out under a temporary one).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from kstarter import paths
from kstarter.errors import KstarterError

__all__ = [
    "ARTIFACTS_MARKER",
    "ROOT_ENV",
    "kaggle_root",
    "find_artifacts",
    "predict_submission",
]

ARTIFACTS_MARKER = "kstarter-artifacts.json"  # in the artifacts dataset: what it is for
ROOT_ENV = "KSTARTER_KAGGLE_ROOT"


def kaggle_root() -> Path:
    return Path(os.environ.get(ROOT_ENV) or "/kaggle")


def find_artifacts(inputs: Path) -> Path:
    """The attached dataset holding the marker file (Kaggle mounts a dataset at
    ``/kaggle/input/<slug>``, or deeper, maybe through links; found wherever it is)."""
    found = _find_file(inputs, ARTIFACTS_MARKER)
    if found is None:
        raise KstarterError(
            f"No kstarter artifacts under {inputs}: add the artifacts dataset "
            "(kernel/artifacts) to the notebook's inputs."
        )
    return found


def _find_file(inputs: Path, name: str) -> Path | None:
    """The first folder under ``inputs`` (links followed, in sorted order) holding ``name``."""
    for folder, _, files in sorted(os.walk(inputs, followlinks=True)):
        if name in files:
            return Path(folder)
    return None


def _competition_dir(inputs: Path, slug: str, test_file: str) -> Path:
    for folder in (inputs / slug, inputs / "competitions" / slug):
        if (folder / test_file).is_file():
            return folder
    found = sorted(p.parent for p in inputs.glob(f"*/{test_file}"))
    if not found:
        raise KstarterError(
            f"No {test_file} under {inputs}: add the competition {slug!r} to the notebook's inputs."
        )
    return found[0]


def predict_submission(root: Path | None = None) -> Path:
    """Write ``<root>/working/submission.csv`` from the competition's test file; its path."""
    import joblib

    from kstarter.atomic import atomic_write_text
    from kstarter.competition import build_submission, test_positions, validate_submission
    from kstarter.config import load_project
    from kstarter.metrics import Decision, get_metric
    from kstarter.models import load_fold_models, predict_folds
    from kstarter.prepare import load_tables, user_features
    from kstarter.runs import read_metrics

    root = root or kaggle_root()
    inputs, working = root / "input", root / "working"
    artifacts = find_artifacts(inputs)
    marker = json.loads((artifacts / ARTIFACTS_MARKER).read_text(encoding="utf-8"))
    project_dir = working / ".kstarter-project"
    project_dir.mkdir(parents=True, exist_ok=True)
    for name in (paths.CONFIG, paths.FEATURES):
        if (artifacts / name).is_file():
            (project_dir / name).write_bytes((artifacts / name).read_bytes())
    data = project_dir / paths.DATA
    if data.is_symlink() or data.exists():
        data.unlink()
    data.symlink_to(_competition_dir(inputs, marker["competition"], marker["test"]))
    project = load_project(project_dir)
    spec = project.spec
    tables = load_tables(project)
    _, X_test = user_features(project, tables)
    X = joblib.load(artifacts / marker["recipe"]).apply(X_test)
    raw = predict_folds(load_fold_models(artifacts), X)
    run = read_metrics(artifacts / marker["metrics"])
    decision = Decision.from_dict(run.decision or {})
    sample_raw = raw[test_positions(spec, tables.sample, tables.test)]
    sub = build_submission(spec, get_metric(spec.metric), tables.sample, sample_raw, decision)
    validate_submission(sub, tables.sample, spec)
    out = working / "submission.csv"
    atomic_write_text(out, sub.to_csv(index=False, lineterminator="\n"))
    return out
