"""Learning rate and leaves by table size: held-back score and boosting cost of each candidate.

    python bench/lr_by_size.py --source flights --sizes 10000 100000 0
    python bench/lr_by_size.py --source generated --sizes 10000 100000 1000000

configs/lightgbm.yaml's defaults (lr 0.05, 15 leaves; up to 5,000 rounds, early stopping 100)
were chosen on small practice tables (bench/defaults.py). On a large table a hard target runs
thousands of rounds at that rate. Each candidate here runs kstarter's own procedure (its five
folds, early stopping on each, the decision fitted on their OOF, the test predicted by the
folds' models as `kstarter train` does) on ``size`` train rows and is scored on rows no model
saw:

- ``flights`` (practice/flight-delays, 245k train rows, AUC): ``size`` train rows drawn at
  random (0: all of them, on the project's own folds; fewer: kstarter's folds made on the
  draw), scored on the whole test set against the practice answer key;
- ``generated`` (bench/make_data.py, binary, AUC): ``size`` / 0.8 rows made, a fifth of them
  held back and the procedure run on the other four fifths (``size`` rows).

Recorded per candidate: the held-back score, the CV score, the boosting rounds trained (sum over
the folds of best iteration + patience, at most the round budget), rounds x leaves (the cost
that does not depend on the machine's load) and the wall seconds (which do). Threads are
kstarter's choice. JSON on stdout; ``--markdown`` also prints the table.
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

# overrides over configs/lightgbm.yaml as shipped (lr 0.05, 15 leaves, min_child_samples 20,
# feature_fraction 0.7, bagging 0.8, lambda_l2 1)
CANDIDATES: dict[str, dict] = {
    "lr0.05-15": {"learning_rate": 0.05, "num_leaves": 15},  # the defaults of issue 6
    "lr0.1-15": {"learning_rate": 0.1, "num_leaves": 15},
    "lr0.1-31": {"learning_rate": 0.1, "num_leaves": 31},
    "lr0.2-31": {"learning_rate": 0.2, "num_leaves": 31},
    # the hand loop of issue 17: lr 0.05, 31 leaves, 0.8 feature and bagging fractions
    "hand": {
        "learning_rate": 0.05, "num_leaves": 31, "feature_fraction": 0.8,
        "bagging_fraction": 0.8, "bagging_freq": 1,
    },
}  # fmt: skip
HOLD = 5  # generated: one fifth held back


def project_for(source: str, size: int, out: Path) -> Path:
    """A kstarter project on the source's rows (the generated table made first)."""
    if source == "flights":
        project = out / "flight-delays"
        if not (project / "kstarter.yaml").is_file():
            kstarter("init", "practice/flight-delays", "--dir", str(project), cwd=out)
        return project
    from make_data import build

    rows = size * HOLD // (HOLD - 1)
    project = out / f"generated-{size}"
    if not (project / "kstarter.yaml").is_file():
        data = build(rows, out / f"data-{size}", "binary")
        kstarter("init", str(data), "--dir", str(project), "--metric", "auc", cwd=out)
        shutil.rmtree(data)
    return project


def cuts(prep, source: str, size: int, seed: int = 0):
    """(the Prepared that trains on ``size`` rows, a scorer of its test predictions)."""
    import numpy as np

    from kstarter.folds import Folds, make_assignment
    from kstarter.prepare import Matrices

    project, y, X = prep.project, prep.y, prep.matrices.X_train
    rng = np.random.default_rng(seed)
    if source == "flights":
        from quality import cv_and_private

        if size and size < len(y):
            rows = np.sort(rng.choice(len(y), size, replace=False))
            assignment, ordered = make_assignment(project, prep.tables.train.iloc[rows], y[rows])
            matrices = Matrices(X.iloc[rows], prep.matrices.X_test, prep.matrices.names)
            folds = Folds(assignment, ordered, hash="")
            prep = replace(prep, y=y[rows], matrices=matrices, folds=folds)

        def private(sub, oof, test, decision):
            return cv_and_private(sub, oof, test)[1]

        return prep, private
    # generated: hold back a fifth, train on the rest on kstarter's folds made on it
    order = rng.permutation(len(y))
    hold, inner = np.sort(order[: len(y) // HOLD]), np.sort(order[len(y) // HOLD :])
    assignment, ordered = make_assignment(project, prep.tables.train.iloc[inner], y[inner])
    matrices = Matrices(X.iloc[inner], X.iloc[hold], prep.matrices.names)
    sub = replace(prep, y=y[inner], matrices=matrices, folds=Folds(assignment, ordered, hash=""))

    def held(sub, oof, test, decision):
        return float(prep.metric.score(y[hold], decision.apply(test)))

    return sub, held


def measure(sub, score, candidates: dict[str, dict]) -> dict[str, dict]:
    """Each candidate trained by `kstarter train`'s own ``evaluate`` on ``sub``."""
    from kstarter.crossval import evaluate

    seed = sub.project.train.seed
    out = {}
    for name, params in candidates.items():
        best: list[int] = []
        start = time.perf_counter()

        def done(k, fold, rows, name=name, best=best, start=start) -> None:
            # each fold as it ends: a large table's slow candidate shows its rounds before the end
            best.append(fold.best_iteration)
            try:  # the raw predictions: right for AUC, a guide for other metrics
                score: float | None = round(
                    float(sub.metric.score(sub.y[rows], fold.valid_pred)), 6
                )
            except (ValueError, TypeError):
                score = None
            seconds = round(time.perf_counter() - start, 1)
            line = {"candidate": name, "fold": k, "best_iteration": fold.best_iteration,
                    "fold_score": score, "seconds": seconds}  # fmt: skip
            print(json.dumps(line), file=sys.stderr, flush=True)

        ev = evaluate(sub, params, seed, on_fold=done)
        wall = time.perf_counter() - start
        budget, patience = (
            sub.project.model.num_boost_round,
            sub.project.model.early_stopping_rounds,
        )
        rounds = sum(min(b + patience, budget) for b in best)
        leaves = int(ev.params["num_leaves"])
        out[name] = {
            "holdout": round(score(sub, ev.cv.oof, ev.cv.test, ev.decision), 6),
            "cv": round(float(ev.scores.cv_mean), 6),
            "best_iterations": best,
            "rounds": rounds,
            "rounds_x_leaves": rounds * leaves,
            "wall_s": round(wall, 1),
            "threads": ev.threads,
        }
        print(json.dumps({name: out[name]}), file=sys.stderr, flush=True)
    return out


def run(
    source: str, sizes: list[int], out: Path, candidates: dict[str, dict] | None = None
) -> dict:
    from kstarter.config import load_project
    from kstarter.crossval import prepare

    candidates = candidates or CANDIDATES
    out = out.resolve()  # kstarter runs in other directories
    out.mkdir(parents=True, exist_ok=True)
    result: dict = {"machine": machine(), "source": source, "candidates": candidates, "sizes": []}
    full = None
    for size in sizes:
        project = project_for(source, size, out)
        if source == "flights":
            full = full or prepare(load_project(project))
            prep = full
        else:
            prep = prepare(load_project(project))
        sub, score = cuts(prep, source, size)
        row = {"rows": len(sub.y), "features": sub.matrices.X_train.shape[1],
               "metric": sub.metric.name, "load": machine().rsplit("load ", 1)[1]}  # fmt: skip
        print(json.dumps(row), file=sys.stderr, flush=True)
        row["candidates"] = measure(sub, score, candidates)
        result["sizes"].append(row)
        if source != "flights":
            shutil.rmtree(project)
    return result


def markdown(results: list[dict]) -> str:
    """One line per source, size and candidate."""
    lines = [
        "| data | train rows | candidate | held-back | CV | rounds | rounds x leaves | wall s |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for row in result["sizes"]:
            for name, c in row["candidates"].items():
                lines.append(
                    f"| {result['source']} | {row['rows']:,} | {name} | {c['holdout']:.5f} | "
                    f"{c['cv']:.5f} | {c['rounds']:,} | {c['rounds_x_leaves']:,} | "
                    f"{c['wall_s']:.0f} |"
                )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", choices=("flights", "generated"), required=True)
    ap.add_argument("--sizes", type=int, nargs="+", required=True, help="train rows; 0 = all")
    ap.add_argument("--candidates", nargs="*", help="only these of CANDIDATES, in this order")
    ap.add_argument("--out", type=Path, default=OUT / "lr_by_size")
    ap.add_argument("--markdown", action="store_true", help="also print the table")
    ap.add_argument("--json", type=Path, help="also write the result here")
    args = ap.parse_args()
    unknown = set(args.candidates or ()) - set(CANDIDATES)
    if unknown:
        ap.error(f"unknown candidates {sorted(unknown)}; the candidates are {list(CANDIDATES)}")
    # in the order given: on a large table the cheap ones first
    candidates = {k: CANDIDATES[k] for k in args.candidates or CANDIDATES}
    result = run(args.source, args.sizes, args.out, candidates)
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    if args.markdown:
        print(markdown([result]))


if __name__ == "__main__":
    main()
