"""Candidate defaults for configs/lightgbm.yaml, compared on every practice competition.

    python bench/defaults.py [--repeats 3] [--jobs 2] [--only heart-disease]
    python bench/defaults.py --partners [--repeats 2] [--jobs 1] [--candidates xt-15 xt-63]

The defaults must do well where a submission is judged: on rows nobody trained or early-stopped
on, which is what a private leaderboard scores. The ordinary CV of an early-stopped model is not
a fair judge of that: each fold picks its best round on the very rows it is then scored on, an
optimism that a fixed number of rounds (LightGBM's library defaults) does not get. So each
candidate is judged by **nested cross-validation on the train rows**: the rows are cut into
outer folds, and for each one kstarter's whole procedure runs on the other rows (its own five
folds, early stopping on each, the decision rule fitted on their OOF, predictions averaged over
the five models) and predicts the held-out fold, exactly as a submission predicts the test.
Repeated with ``--repeats`` seeds for the outer and inner cuts.

The holdout score (mean over outer folds and repeats) chooses; also reported per competition,
the ordinary CV and the private-board score of the candidate trained on the project's folds
(the check, never the choice) and the seconds.

``--partners`` judges candidates for a second LightGBM configuration (PARTNERS) by what it is
for: blended with the default. On the same outer folds, each candidate's 50/50 average with the
default (its decision fitted on the average's inner OOF, as a blend's is) is scored on the
held-out rows (``blend_holdout``), beside the correlation of the two models' held-out
predictions. The baseline to beat is ``default-seed2``, the default with another seed: the same
compute spent on `--seeds 2`. A competition whose test set holds whole groups (crash-deaths)
gets kstarter.yaml's ``cv: groups:`` set, and its outer folds keep groups whole too.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import OUT, kstarter, machine  # noqa: E402
from quality import cv_and_private, library_cv  # noqa: E402

OUTER = 5
# the defaults before session 2; the other kstarter candidates say how they differ from them
BASE = {
    "learning_rate": 0.05, "num_leaves": 31, "min_child_samples": 20, "feature_fraction": 0.8,
    "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l1": 0.0, "lambda_l2": 1.0,
}  # fmt: skip
LIBRARY = None  # LGBMClassifier() / LGBMRegressor() untouched: 100 rounds, no early stopping
CANDIDATES: dict[str, dict | None] = {
    "library": LIBRARY,
    # LightGBM's own values, with kstarter's early stopping
    "library-es": {
        **BASE, "learning_rate": 0.1, "feature_fraction": 1.0, "bagging_fraction": 1.0,
        "bagging_freq": 0, "lambda_l2": 0.0,
    },
    "lr0.05-31": BASE,
    "lr0.05-15": {**BASE, "num_leaves": 15, "min_child_samples": 10, "feature_fraction": 0.7},
    "lr0.05-7": {**BASE, "num_leaves": 7, "min_child_samples": 10, "feature_fraction": 0.7},
    "lr0.05-15-mcs20": {**BASE, "num_leaves": 15, "feature_fraction": 0.7},
    "lr0.05-15-ff0.5": {
        **BASE, "num_leaves": 15, "min_child_samples": 10, "feature_fraction": 0.5,
        "lambda_l2": 3.0,
    },
    "lr0.05-31-reg": {**BASE, "feature_fraction": 0.5, "lambda_l1": 0.1, "lambda_l2": 5.0},
    "lr0.02-15": {**BASE, "learning_rate": 0.02, "num_leaves": 15, "min_child_samples": 10,
                  "feature_fraction": 0.7},
    "lr0.1-15": {**BASE, "learning_rate": 0.1, "num_leaves": 15, "min_child_samples": 10,
                 "feature_fraction": 0.7},
}  # fmt: skip

# Second-configuration candidates: overrides over configs/lightgbm.yaml as shipped (lr 0.05,
# 15 leaves, min_child_samples 20, feature_fraction 0.7, bagging 0.8, lambda_l2 1). DART is not
# here: LightGBM's early stopping does nothing in DART mode, so every fold would run all
# model.num_boost_round (5,000) rounds, each dropping and re-adding trees.
DEFAULT = "default"
PARTNERS: dict[str, dict | None] = {
    DEFAULT: {},
    "default-seed2": {"seed": 43},  # the second model of `--seeds 2` (train.seed 42 + 1)
    # deeper trees, each leaf held back harder
    "deep-reg": {
        "num_leaves": 127, "min_child_samples": 50, "lambda_l2": 10.0, "feature_fraction": 0.5,
    },
    "deep63-reg": {
        "num_leaves": 63, "min_child_samples": 50, "lambda_l2": 10.0, "feature_fraction": 0.5,
    },
    # extremely randomised trees: one random threshold per feature and split
    "xt-15": {"extra_trees": True},
    "xt-31": {"extra_trees": True, "num_leaves": 31},
    "xt-63": {"extra_trees": True, "num_leaves": 63, "min_child_samples": 10},
    "goss": {"data_sample_strategy": "goss", "bagging_fraction": 1.0, "bagging_freq": 0},
    "shallow": {"num_leaves": 4, "max_depth": 2, "min_child_samples": 10, "learning_rate": 0.1},
}  # fmt: skip
# Nor linear trees (linear_tree: true): LightGBM refuses them with the regression_l1 objective
# ("Cannot use regression_l1 objective when fitting linear trees"), which MAE asks for.


def predict(prep, params: dict | None, seed: int):
    """(OOF, fold-averaged test predictions) of one candidate on ``prep``'s folds and
    matrices: trained by `kstarter train`'s own ``evaluate``, or as the untouched library
    defaults."""
    from kstarter.crossval import evaluate

    if params is LIBRARY:
        m = prep.matrices
        return library_cv(prep.project.spec, m.X_train, prep.y, prep.folds, m.X_test)
    ev = evaluate(prep, params, seed)
    return ev.cv.oof, ev.cv.test


def outer_cuts(prep, r: int):
    """The outer (train rows, held-out rows) pairs of repeat ``r``, stratified for classes. They
    keep the project's groups whole (crash-deaths: the occupants of one crash), as its test set
    does, else the held-out rows share groups with the rows trained on and reward memorising
    them. The inner cut is kstarter's own, from the project's cv: section."""
    import numpy as np
    from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold

    project, y = prep.project, prep.y
    if project.cv.time is not None:
        raise SystemExit(f"{project.spec.name}: nested CV over a time column is not done here")
    classify = project.spec.task in ("binary", "multiclass")
    if project.cv.groups is None:
        plain = (StratifiedKFold if classify else KFold)(OUTER, shuffle=True, random_state=r)
        return plain.split(np.zeros(len(y)), y if classify else None)
    groups = prep.tables.train[project.cv.groups].to_numpy()
    grouped = (StratifiedGroupKFold if classify else GroupKFold)(
        OUTER, shuffle=True, random_state=r
    )
    return grouped.split(np.zeros(len(y)), y if classify else None, groups)


def holdout_scores(
    prep, candidates: dict, repeats: int, partner_of: str | None = None
) -> dict[str, dict]:
    """Each candidate's nested-CV score: for every repeat and outer fold, kstarter's procedure
    on the other rows predicts the outer fold; scores and seconds per candidate. With
    ``partner_of`` (a candidate's name), also each other candidate's 50/50 average with that
    one on the same outer fold (``blend``) and the correlation of their holdout predictions."""
    import numpy as np

    from kstarter.folds import Folds, make_assignment
    from kstarter.metrics import fit_decision
    from kstarter.prepare import Matrices

    project, metric, y = prep.project, prep.metric, prep.y
    spec, X = project.spec, prep.matrices.X_train
    got = {c: {"scores": [], "seconds": 0.0, "blend": [], "corr": []} for c in candidates}
    for r in range(repeats):
        inner_project = replace(project, cv=replace(project.cv, seed=1000 + r))
        for inner, hold in outer_cuts(prep, r):
            assignment, ordered = make_assignment(
                inner_project, prep.tables.train.iloc[inner], y[inner]
            )
            folds = Folds(assignment, ordered, hash="")
            # fresh matrices (and so a fresh binned Dataset) per outer fold: the held-out rows
            # must not shape the bins, as the test rows do not in kstarter
            matrices = Matrices(X.iloc[inner], X.iloc[hold], prep.matrices.names)
            sub = replace(prep, y=y[inner], matrices=matrices, folds=folds)
            valid = folds.validated
            preds = {}
            for name, params in candidates.items():
                start = time.perf_counter()
                oof, test = preds[name] = predict(sub, params, project.train.seed)
                decision = fit_decision(metric, y[inner][valid], oof[valid], spec.n_classes)
                got[name]["scores"].append(float(metric.score(y[hold], decision.apply(test))))
                got[name]["seconds"] += time.perf_counter() - start
            if partner_of is None:
                continue
            base_oof, base_test = preds[partner_of]
            for name, (oof, test) in preds.items():
                if name == partner_of:
                    continue
                # the average's decision is fitted on the average's inner OOF, as a blend's is
                both_oof, both_test = (base_oof + oof) / 2, (base_test + test) / 2
                decision = fit_decision(metric, y[inner][valid], both_oof[valid], spec.n_classes)
                got[name]["blend"].append(float(metric.score(y[hold], decision.apply(both_test))))
                got[name]["corr"].append(float(np.corrcoef(base_test.ravel(), test.ravel())[0, 1]))
    out = {}
    for name, g in got.items():
        out[name] = {
            "holdout": float(np.mean(g["scores"])),
            "holdout_scores": [round(s, 6) for s in g["scores"]],
            "seconds": round(g["seconds"], 2),
        }
        if g["blend"]:
            out[name]["blend_holdout"] = float(np.mean(g["blend"]))
            out[name]["blend_holdout_scores"] = [round(s, 6) for s in g["blend"]]
            out[name]["corr"] = round(float(np.mean(g["corr"])), 4)
    return out


def pick(partners: bool, names: list[str] | None = None) -> dict[str, dict | None]:
    """CANDIDATES or PARTNERS, only ``names`` of them if given (PARTNERS keeps its default)."""
    table = PARTNERS if partners else CANDIDATES
    if not names:
        return table
    keep = [DEFAULT, *names] if partners else names
    return {name: params for name, params in table.items() if name in keep}


def one(
    name: str, out: Path, repeats: int, partners: bool = False, names: list[str] | None = None
) -> dict:
    from kstarter.config import load_project
    from kstarter.crossval import prepare
    from kstarter.sources._catalog import find_competition

    project = out / name
    shutil.rmtree(project, ignore_errors=True)
    kstarter("init", f"practice/{name}", "--dir", str(project), cwd=out)
    group = find_competition(name).group
    if group is not None:  # the folds a careful user makes: the test set holds whole groups
        config = project / "kstarter.yaml"
        text = config.read_text()
        assert "  groups: null" in text, "kstarter.yaml's cv: section changed"
        config.write_text(text.replace("  groups: null", f"  groups: {group}", 1))
    prep = prepare(load_project(project))
    row = {"competition": name, "metric": prep.metric.name, "direction": prep.metric.direction,
           "task": prep.project.spec.task, "rows": len(prep.y)}  # fmt: skip
    candidates = pick(partners, names)
    nested = holdout_scores(prep, candidates, repeats, DEFAULT if partners else None)
    preds = {}
    for cand, params in candidates.items():
        oof, test = preds[cand] = predict(prep, params, prep.project.train.seed)
        cv, private = cv_and_private(prep, oof, test)
        row[cand] = {**nested[cand], "cv": cv, "private": private}
        if partners and cand != DEFAULT:  # the 50/50 average with the default, the check
            base_oof, base_test = preds[DEFAULT]
            cv, private = cv_and_private(prep, (base_oof + oof) / 2, (base_test + test) / 2)
            row[cand].update({"blend_cv": cv, "blend_private": private})
    print(json.dumps(row), file=sys.stderr)  # each competition's row as soon as it is done
    return row


def ranks(rows: list[dict], key: str) -> dict[str, float]:
    """Each candidate's mean rank (1 = best) by ``key`` over the competitions; ties share.
    Candidates without ``key`` (the default has no blend with itself) are not ranked."""
    names = [c for c in rows[0] if isinstance(rows[0][c], dict) and key in rows[0][c]]
    total = dict.fromkeys(names, 0.0)
    for row in rows:
        sign = -1 if row["direction"] == "maximize" else 1
        values = {c: sign * row[c][key] for c in names}
        for c, v in values.items():
            better = sum(w < v for w in values.values())
            equal = sum(w == v for w in values.values())
            total[c] += better + (equal + 1) / 2
    return {c: round(t / len(rows), 2) for c, t in total.items()}


def wins(rows: list[dict], key: str, against: str = "library") -> dict[str, list[int]]:
    """[wins, ties, losses] of each candidate against ``against`` by ``key``."""
    out = {}
    names = [c for c in rows[0] if isinstance(rows[0][c], dict) and key in rows[0][c]]
    for cand in (c for c in names if c != against):
        tally = [0, 0, 0]
        for row in rows:
            sign = 1 if row["direction"] == "maximize" else -1
            diff = sign * (row[cand][key] - row[against][key])
            tally[0 if diff > 0 else 1 if diff == 0 else 2] += 1
        out[cand] = tally
    return out


def _tally(rows: list[dict], cand: str, key: str, other: str, other_key: str) -> list[int]:
    """[wins, ties, losses] of ``cand``'s ``key`` against ``other``'s ``other_key``."""
    tally = [0, 0, 0]
    for row in rows:
        sign = 1 if row["direction"] == "maximize" else -1
        diff = sign * (row[cand][key] - row[other][other_key])
        tally[0 if diff > 0 else 1 if diff == 0 else 2] += 1
    return tally


def main() -> None:
    from concurrent.futures import ProcessPoolExecutor

    from kstarter.sources import list_practice

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--repeats", type=int, default=3, help="seeds of the nested CV")
    ap.add_argument("--jobs", type=int, default=1, help="competitions run at once")
    ap.add_argument("--out", type=Path, default=OUT / "defaults")
    ap.add_argument(
        "--partners", action="store_true", help="second-configuration candidates (PARTNERS)"
    )
    ap.add_argument("--candidates", nargs="*", help="only these candidates (and the default)")
    args = ap.parse_args()
    args.out = args.out.resolve()  # kstarter runs in other directories
    args.out.mkdir(parents=True, exist_ok=True)
    names = args.only or [p.name for p in list_practice()]
    candidates = pick(args.partners, args.candidates)
    started = machine()
    n = len(names)
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(
            pool.map(one, names, [args.out] * n, [args.repeats] * n, [args.partners] * n,
                     [args.candidates] * n)
        )  # fmt: skip
    result = {
        "machine": started,
        "repeats": args.repeats,
        "jobs": args.jobs,
        "candidates": candidates,
        "rows": rows,
        **{f"mean_rank_{key}": ranks(rows, key) for key in ("holdout", "cv", "private")},
    }
    if args.partners:
        # as partners: the average with the default against the default alone and against
        # the default's own second seed (what `--seeds 2` buys for the same compute)
        for key in ("holdout", "private"):
            result[f"mean_rank_blend_{key}"] = ranks(rows, f"blend_{key}")
            if "default-seed2" in candidates:
                result[f"blend_vs_seed2_{key}"] = wins(rows, f"blend_{key}", "default-seed2")
            result[f"blend_vs_default_{key}"] = {
                c: _tally(rows, c, f"blend_{key}", DEFAULT, key) for c in candidates if c != DEFAULT
            }
        result["mean_corr"] = {
            c: round(sum(r[c]["corr"] for r in rows) / len(rows), 4)
            for c in candidates
            if c != DEFAULT
        }
    else:
        for key in ("holdout", "cv", "private"):
            result[f"vs_library_{key}"] = wins(rows, key)
    result["seconds"] = {c: round(sum(r[c]["seconds"] for r in rows), 1) for c in candidates}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
