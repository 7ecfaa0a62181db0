"""What one fold of each model family costs, for `kstarter auto`'s planner.

    python bench/family_cost.py [--rows 10000 50000 200000] [--tasks binary regression]
                                [--families lightgbm lightgbm-xt xgboost catboost linear]
                                [--threads 0] [--warm]

On generated data (``bench/make_data.py``: about 100 columns, 8 of them string categoricals),
each family's default configuration trains the first of the project's five folds (four fifths
of the rows; early stopping on the fifth, kstarter.yaml's 5,000 rounds and patience 100) in a
process of its own, threads as kstarter chooses (``model.threads: 0``). The fold is timed from
a cold start of the family: what it builds once per run (LightGBM's binned Dataset, XGBoost's
DMatrix, CatBoost's converted frames) is in the first fold, and LightGBM's saved Dataset is not
reused from an earlier process. Loading the prepared tables is timed apart (``load_s``, the
same for every family). ``--warm`` trains the same fold once more (``warm_fold_s``), now
without those one-off costs: a five-fold run costs about ``fold_s + 4 * warm_fold_s``.

Reported per task and size: seconds of the fold, rounds it kept, threads, the process's peak
RSS and the ratio of the fold's seconds to LightGBM's; for the boosters also the milliseconds
per boosting round trained and its ratio to LightGBM's, since a fold's cost is mostly its
number of rounds, which early stopping takes from the data.

``--threads 1 2`` trains every family at each of those thread counts (``model.threads``; 0, the
default, is kstarter's own choice), one table row per count, so a family's thread rule can be
read from whole fold times: the ratio of each count's fold seconds to the first count's is
``thread_ratio``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import OUT, kstarter, machine  # noqa: E402
from make_data import build  # noqa: E402
from measure import measure  # noqa: E402

FAMILIES = ("lightgbm", "lightgbm-xt", "xgboost", "catboost", "linear")
METRICS = {"binary": "auc", "regression": "rmse"}


def child(family: str, project: Path, warm: bool, threads: int = 0) -> dict:
    """In this process: load the project, train ``family`` on its first fold (and, ``warm``,
    the same fold again) with ``threads`` (0: kstarter's choice); seconds, rounds, threads."""
    from dataclasses import replace

    from kstarter.config import load_project
    from kstarter.crossval import build_model, prepare
    from kstarter.models import FoldData

    start = time.perf_counter()
    prep = prepare(load_project(project))
    load_s = time.perf_counter() - start
    # no saved binned Dataset: each LightGBM configuration bins as on a project's first run
    prep = replace(prep, matrices=replace(prep.matrices, store=None))
    model_config = replace(prep.project.model, threads=threads)
    prep = replace(prep, project=replace(prep.project, model=model_config))
    model = build_model(prep, {}, prep.project.train.seed, family)
    out: dict = {"family": family, "load_s": round(load_s, 2), "threads": model.threads}
    _, tr, va = next(prep.folds.splits())
    out["train_rows"] = len(tr)
    for label in ("fold_s", "warm_fold_s")[: 2 if warm else 1]:
        start = time.perf_counter()
        fold = model.fit_fold(FoldData(prep.matrices, prep.y, tr, va))
        out[label] = round(time.perf_counter() - start, 2)
        out["rounds"] = fold.best_iteration
    out["peak_mb_self"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def project_for(rows: int, task: str, out: Path) -> Path:
    """The generated competition (made once) and a fresh kstarter project on it."""
    data = out / f"data-{task}-{rows}"
    if not (data / "train.csv").exists():
        build(rows, data, task)
    project = out / f"project-{task}-{rows}"
    shutil.rmtree(project, ignore_errors=True)
    kstarter("init", str(data), "--dir", str(project), "--metric", METRICS[task], cwd=out)
    from kstarter.config import load_project
    from kstarter.crossval import prepare

    prepare(load_project(project))  # the folds and the parsed tables, saved for every family
    return project


def run(
    sizes: list[int],
    tasks: list[str],
    families: list[str],
    out: Path,
    warm: bool,
    thread_counts: tuple[int, ...] = (0,),
) -> dict:
    started = machine()
    table = []
    for task in tasks:
        for rows in sizes:
            project = project_for(rows, task, out)
            first: dict[str, float] = {}
            for threads in thread_counts:
                got = {}
                for family in families:
                    cmd = [sys.executable, __file__, "--child", family, str(project)]
                    cmd += ["--threads", str(threads)] + (["--warm"] if warm else [])
                    m = measure(cmd, cwd=str(out))
                    got[family] = {**json.loads(m.stdout), "process_s": round(m.seconds, 2),
                                   "peak_mb": round(m.peak_mb)}  # fmt: skip
                    first.setdefault(family, got[family]["fold_s"])
                    got[family]["thread_ratio"] = round(got[family]["fold_s"] / first[family], 2)
                    print(f"{task} {rows} {threads} {family}: {got[family]}", file=sys.stderr)
                row = {"task": task, "rows": rows, "threads": threads, "families": ratios(got)}
                table.append(row)
    return {"machine": started, "machine_end": machine(), "warm": warm, "table": table}


def ratios(got: dict[str, dict]) -> dict[str, dict]:
    """Each family's fold seconds over LightGBM's (``ratio``), and per boosting round trained
    (``ms_per_round``: the rounds kept plus the early-stopping patience, at most the cap;
    ``round_ratio`` over LightGBM's): the fold's cost hangs on how many rounds the data asks."""
    from kstarter.config import ModelConfig

    cap, patience = ModelConfig().num_boost_round, ModelConfig().early_stopping_rounds
    for g in got.values():
        if g["rounds"] > 0:
            g["ms_per_round"] = round(1000 * g["fold_s"] / min(g["rounds"] + patience, cap), 1)
    base = got.get("lightgbm", {})
    for g in got.values():
        g["ratio"] = round(g["fold_s"] / base["fold_s"], 2) if base else None
        if base and "ms_per_round" in g:
            g["round_ratio"] = round(g["ms_per_round"] / base["ms_per_round"], 2)
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    ap.add_argument("--tasks", nargs="+", choices=tuple(METRICS), default=list(METRICS))
    ap.add_argument("--families", nargs="+", default=list(FAMILIES))
    ap.add_argument("--warm", action="store_true", help="train the fold again, warm")
    ap.add_argument("--threads", type=int, nargs="+", default=[0], help="0: kstarter's choice")
    ap.add_argument("--out", type=Path, default=OUT / "family_cost")
    ap.add_argument("--child", nargs=2, metavar=("FAMILY", "PROJECT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]), args.warm, args.threads[0])))
        return
    args.out = args.out.resolve()  # kstarter runs in other directories
    args.out.mkdir(parents=True, exist_ok=True)
    result = run(args.rows, args.tasks, args.families, args.out, args.warm, tuple(args.threads))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
