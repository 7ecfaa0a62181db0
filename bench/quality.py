"""Quality from evidence: on every practice competition, the private-leaderboard score of
kstarter's default train, of ``tune --timeout T`` then ``train --params tuned``, and of
LightGBM with its library defaults on the same folds and matrices.

    python bench/quality.py --timeout 60 [--only heart-disease]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import OUT, kstarter, machine  # noqa: E402


def private_of_newest(project: Path) -> tuple[float, float]:
    kstarter("submit", "-m", "quality", cwd=project)
    row = json.loads(kstarter("runs", "--json", "--private", cwd=project))[-1]
    return row["cv_mean"], row["private"]


def library_defaults(project: Path) -> tuple[float, float]:
    """LGBMClassifier()/LGBMRegressor() untouched, on kstarter's folds and matrices."""
    from kstarter.config import load_project
    from kstarter.crossval import prepare

    prep = prepare(load_project(project))
    spec, matrices = prep.project.spec, prep.matrices
    oof, test = library_cv(spec, matrices.X_train, prep.y, prep.folds, matrices.X_test)
    return cv_and_private(prep, oof, test)


def library_cv(spec, X, y, folds, X_test):
    """OOF and fold-averaged test predictions of LightGBM's library defaults, untouched:
    LGBMClassifier() / LGBMRegressor(), 100 rounds, no early stopping."""
    import lightgbm as lgb
    import numpy as np

    make = lgb.LGBMRegressor if spec.task == "regression" else lgb.LGBMClassifier
    oof, test = None, 0.0
    for _, tr, va in folds.splits():
        model = make(verbose=-1, random_state=0, n_jobs=1).fit(X.iloc[tr], y[tr])
        raw = model.predict if spec.task == "regression" else model.predict_proba
        p, t = raw(X.iloc[va]), raw(X_test)
        if spec.task == "binary":
            p, t = p[:, 1], t[:, 1]
        oof = np.full((len(X), *p.shape[1:]), np.nan) if oof is None else oof
        oof[va] = p
        test = test + t / folds.n_splits
    return oof, test


def cv_and_private(prep, oof, test) -> tuple[float, float]:
    """The CV mean of OOF predictions (decision fitted on OOF, as `train` does) and the private
    score of the submission built from the test predictions."""
    from kstarter.competition import build_submission, test_positions
    from kstarter.crossval import score_folds
    from kstarter.leaderboards import score_against_key
    from kstarter.metrics import fit_decision
    from kstarter.sources import answer_key

    spec, y = prep.project.spec, prep.y
    decision = fit_decision(prep.metric, y, oof, spec.n_classes)
    rows = [va for _, _, va in prep.folds.splits()]
    cv = score_folds(prep.metric, y, oof, rows, prep.folds.validated, decision).cv_mean
    sample = prep.tables.sample
    order = test_positions(spec, sample, prep.tables.test)
    sub = build_submission(spec, prep.metric, sample, test[order], decision)
    _, private = score_against_key(spec, sub, answer_key(spec.source.split("/", 1)[1]))
    return cv, private


def one(name: str, out: Path, timeout: float) -> dict:
    import shutil

    project = out / name
    shutil.rmtree(project, ignore_errors=True)
    kstarter("init", f"practice/{name}", "--dir", str(project), cwd=out)
    kstarter("train", "-q", cwd=project)
    default_cv, default_private = private_of_newest(project)
    kstarter("tune", "--timeout", str(timeout), cwd=project)
    kstarter("train", "-q", "--params", "tuned", cwd=project)
    tuned_cv, tuned_private = private_of_newest(project)
    lib_cv, lib_private = library_defaults(project)
    metrics = json.loads(sorted((project / "runs").glob("*/metrics.json"))[0].read_text())
    return {
        "competition": name,
        "metric": metrics["metric"],
        "direction": metrics["direction"],
        "default": {"cv": default_cv, "private": default_private},
        "tuned": {"cv": tuned_cv, "private": tuned_private},
        "library_defaults": {"cv": lib_cv, "private": lib_private},
    }


def main() -> None:
    from kstarter.sources import list_practice

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--out", type=Path, default=OUT / "quality")
    args = ap.parse_args()
    args.out = args.out.resolve()  # kstarter runs in other directories
    args.out.mkdir(parents=True, exist_ok=True)
    names = args.only or [p.name for p in list_practice()]
    rows = [one(n, args.out, args.timeout) for n in names]
    print(json.dumps({"machine": machine(), "timeout": args.timeout, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
