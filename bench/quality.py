"""Quality from evidence: on each practice competition, the private-leaderboard score (the
held-back answer key's private rows, which no model and no choice saw) and the wall seconds of
every contender, one after another on the same machine in one invocation.

    python bench/quality.py [--only NAME ...] [--budgets 60 600] [--contenders ...]

Contenders (``--contenders``; default: all but ``tuned`` and ``library``):

- ``train``: the default ``kstarter train``;
- ``hand``: a plain hand-written LightGBM loop (learning rate 0.05, 31 leaves, feature and
  bagging fractions 0.8 with bagging every round, early stopping after 100 rounds on each fold's
  validation rows) on kstarter's own folds and matrices, with the metric's objective;
- ``auto``: ``kstarter auto --budget B`` in a fresh project, then ``kstarter submit``; reported
  "not available" while the installed kstarter has no ``auto`` command;
- ``ag-medium`` and ``ag-best``: AutoGluon's ``TabularPredictor`` with presets
  ``medium_quality`` / ``best_quality`` and ``time_limit=B``, run by bench/autogluon/run.py in
  AutoGluon's own venv (``bash bench/autogluon/setup.sh``; ``--ag-python``), on the same
  train.csv minus the id, its submission scored with kstarter's practice leaderboard code;
  reported "not available" when that venv is missing;
- ``tuned`` (with ``--timeout T``): ``kstarter tune --timeout T`` then ``train --params tuned``;
- ``library``: LightGBM's library defaults untouched, on kstarter's folds and matrices.

``auto``, ``ag-medium`` and ``ag-best`` run once per budget (``--budgets``, default 60 and 600
seconds). The markdown table is printed and appended to OUT/results.md; every row is kept as
JSON in OUT/results.json (the newest invocation) and appended to OUT/results.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))

if TYPE_CHECKING:
    import pandas as pd

from common import HAND_PARAMS, HAND_PATIENCE, HERE, KSTARTER, OUT, kstarter, machine  # noqa: E402

PER_BUDGET = ("auto", "ag-medium", "ag-best")
ONCE = ("train", "hand", "tuned", "library")
DEFAULT_CONTENDERS = ("train", "hand", "auto", "ag-medium", "ag-best")
AG_PRESETS = {"ag-medium": "medium_quality", "ag-best": "best_quality"}
AG_PYTHON = Path(os.environ.get("KSTARTER_AUTOGLUON_PYTHON", "/work/venvs/autogluon/bin/python"))
AG_RUNNER = HERE / "autogluon" / "run.py"
# kstarter's metric -> AutoGluon's eval_metric. RMSLE is not one of AutoGluon's: the runner
# trains on log1p(y) with RMSE (the metric's target_transform), as kstarter's LightGBM does.
AG_METRICS = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced_accuracy",
    "f1": "f1",
    "f1_macro": "f1_macro",
    "f1_micro": "f1_micro",
    "mcc": "mcc",
    "qwk": "quadratic_kappa",
    "auc": "roc_auc",
    "logloss": "log_loss",
    "mlogloss": "log_loss",
    "rmse": "root_mean_squared_error",
    "rmsle": "root_mean_squared_error",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "smape": "symmetric_mean_absolute_percentage_error",
    "r2": "r2",
}


# ---------------------------------------------------------------------------------------------
# kstarter's own commands


def init(name: str, project: Path) -> Path:
    shutil.rmtree(project, ignore_errors=True)
    project.parent.mkdir(parents=True, exist_ok=True)
    kstarter("init", f"practice/{name}", "--dir", str(project), cwd=project.parent)
    return project


def private_of_newest(project: Path, message: str) -> tuple[float, float]:
    """Submit the newest run to the practice leaderboard: its CV mean and private score."""
    kstarter("submit", "-m", message, cwd=project)
    row = json.loads(kstarter("runs", "--json", "--private", cwd=project))[-1]
    return row["cv_mean"], row["private"]


def timed(fn, *args) -> dict:
    """``fn(*args)`` -> dict, with its wall seconds; a failure is a result, not a crash."""
    start = time.perf_counter()
    try:
        got = fn(*args)
    except Exception as err:  # one contender failing must not lose the others' results
        got = {"status": "error", "detail": " ".join(str(err).split())[-400:]}
    return {"status": "ok", **got, "wall_s": round(time.perf_counter() - start, 1)}


def run_train(project: Path) -> dict:
    kstarter("train", "-q", cwd=project)
    cv, private = private_of_newest(project, "default train")
    return {"cv": cv, "private": private}


def run_tuned(project: Path, timeout: float) -> dict:
    kstarter("tune", "--timeout", str(timeout), cwd=project)
    kstarter("train", "-q", "--params", "tuned", cwd=project)
    cv, private = private_of_newest(project, "tuned")
    return {"cv": cv, "private": private}


def auto_available() -> bool:
    proc = subprocess.run([KSTARTER, "auto", "--help"], capture_output=True, text=True)
    return proc.returncode == 0


def run_auto(name: str, project: Path, budget: float) -> dict:
    if not auto_available():
        return {"status": "not available", "detail": "this kstarter has no `auto` command"}
    init(name, project)
    kstarter("auto", "--budget", f"{budget:g}", "--quiet", cwd=project)
    record = json.loads((project / ".kstarter" / "auto.json").read_text(encoding="utf-8"))
    final = record["final"]
    kstarter("submit", final, "-m", f"auto {budget:g}s", cwd=project)
    rows = json.loads(kstarter("runs", "--json", "--private", cwd=project))
    row = next(r for r in rows if r["run"] == final)
    chosen = next(e for e in record["entries"] if e["run"] == final)
    trained = [e["what"] for e in record["entries"] if e["status"] != "blend"]
    return {
        "cv": row["cv_mean"],
        "private": row["private"],
        "final": chosen["what"],  # what auto chose: a blend or one family
        "honest_cv": chosen["honest"],
        "members": trained,
        "skipped": [s["step"] for s in record["skipped"]],
        "auto_seconds": record["seconds"],
        "loading_seconds": record["loading_seconds"],
    }


# ---------------------------------------------------------------------------------------------
# Loops on kstarter's folds and matrices


def run_hand(project: Path) -> dict:
    from kstarter.config import load_project
    from kstarter.crossval import prepare

    prep = prepare(load_project(project))
    oof, test, rounds = hand_cv(prep)
    cv, private = cv_and_private(prep, oof, test)
    return {"cv": cv, "private": private, "rounds": rounds}


def hand_cv(prep):
    """A plain LightGBM loop: the parameters above, the metric's objective (and log1p target
    for RMSLE), a fresh Dataset per fold, early stopping on the fold's validation rows;
    returns OOF predictions, fold-averaged test predictions and each fold's best round."""
    import lightgbm as lgb
    import numpy as np

    from kstarter.models._threads import resolve_threads

    project, metric, y, folds = prep.project, prep.metric, prep.y, prep.folds
    task, X, X_test = project.spec.task, prep.matrices.X_train, prep.matrices.X_test
    params = {**metric.lightgbm_params(task), **HAND_PARAMS}
    if params.get("objective") in ("multiclass", "multiclassova"):
        params["num_class"] = project.spec.n_classes
    params["num_threads"] = resolve_threads(project.model.threads, *X.shape)
    log = metric.target_transform == "log1p"
    label = np.log1p(y) if log else y
    oof, test, rounds = None, 0.0, []
    for _, tr, va in folds.splits():
        dtrain = lgb.Dataset(X.iloc[tr], label[tr])
        dvalid = lgb.Dataset(X.iloc[va], label[va], reference=dtrain)
        booster = lgb.train(
            params,
            dtrain,
            num_boost_round=project.model.num_boost_round,
            valid_sets=[dvalid],
            callbacks=[lgb.early_stopping(HAND_PATIENCE, verbose=False)],
        )
        p = booster.predict(X.iloc[va], num_iteration=booster.best_iteration)
        t = booster.predict(X_test, num_iteration=booster.best_iteration)
        if log:
            p, t = np.clip(np.expm1(p), 0, None), np.clip(np.expm1(t), 0, None)
        oof = np.full((len(X), *p.shape[1:]), np.nan) if oof is None else oof
        oof[va] = p
        test = test + t / folds.n_splits
        rounds.append(int(booster.best_iteration))
    return oof, test, rounds


def run_library(project: Path) -> dict:
    from kstarter.config import load_project
    from kstarter.crossval import prepare

    prep = prepare(load_project(project))
    spec, matrices = prep.project.spec, prep.matrices
    oof, test = library_cv(spec, matrices.X_train, prep.y, prep.folds, matrices.X_test)
    cv, private = cv_and_private(prep, oof, test)
    return {"cv": cv, "private": private}


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
    from kstarter.metrics import fit_decision

    spec, y = prep.project.spec, prep.y
    decision = fit_decision(prep.metric, y, oof, spec.n_classes)
    rows = [va for _, _, va in prep.folds.splits()]
    cv = score_folds(prep.metric, y, oof, rows, prep.folds.validated, decision).cv_mean
    sample = prep.tables.sample
    order = test_positions(spec, sample, prep.tables.test)
    sub = build_submission(spec, prep.metric, sample, test[order], decision)
    return cv, private_score(spec, sub)


def private_score(spec, sub) -> float:
    """The practice leaderboard's private score of a submission frame."""
    from kstarter.leaderboards import score_against_key
    from kstarter.sources import answer_key, practice_name

    return score_against_key(spec, sub, answer_key(practice_name(spec.source)))[1]


# ---------------------------------------------------------------------------------------------
# AutoGluon, in its own venv


def ag_available(python: Path) -> bool:
    return python.exists() and AG_RUNNER.exists()


def run_autogluon(project: Path, contender: str, budget: float, python: Path) -> dict:
    from kstarter.competition import read_submission
    from kstarter.config import load_project
    from kstarter.metrics import get_metric

    if not ag_available(python):
        return {"status": "not available", "detail": f"no AutoGluon venv at {python}"}
    spec = load_project(project).spec
    metric = get_metric(spec.metric)
    work = project.parent / f"{contender}-{budget:g}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    task = {
        "data": str(project / "data"),
        "train": spec.files.train,
        "test": spec.files.test,
        "sample": spec.files.sample_submission,
        "id": spec.id,
        "sample_id": spec.sample_id,
        "target": spec.targets[0],
        "kind": spec.kind,
        "problem_type": spec.task,
        "eval_metric": AG_METRICS[metric.name],
        "log_target": metric.target_transform == "log1p",
        "preset": AG_PRESETS[contender],
        "time_limit": budget,
        "model_dir": str(work / "models"),
        "submission": str(work / "submission.csv"),
        "report": str(work / "report.json"),
    }
    (work / "task.json").write_text(json.dumps(task, indent=2))
    proc = subprocess.run(
        [str(python), str(AG_RUNNER), str(work / "task.json")], capture_output=True, text=True
    )
    (work / "log.txt").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"AutoGluon failed: {proc.stderr[-1500:]}")
    report = json.loads((work / "report.json").read_text())
    private = private_score(spec, read_submission(work / "submission.csv"))
    shutil.rmtree(work / "models", ignore_errors=True)
    return {"private": private, **report}


# ---------------------------------------------------------------------------------------------
# One competition, the table


def one(name: str, out: Path, args: argparse.Namespace) -> dict:
    from kstarter.config import load_project
    from kstarter.metrics import get_metric
    from kstarter.sources import answer_key, get_practice

    info = get_practice(name)
    project = init(name, out / name / "ks")
    metric = get_metric(load_project(project).spec.metric)
    key = answer_key(name)
    row = {
        "competition": name,
        "rows": info.rows,
        "metric": metric.name,
        "direction": metric.direction,
        "private_rows": int((key["Usage"] == "Private").sum()),
        "load_at_start": [round(x, 1) for x in os.getloadavg()],
        "contenders": {},
    }
    got = row["contenders"]
    for contender in args.contenders:
        if contender == "train":
            got["train"] = timed(run_train, project)
        elif contender == "hand":
            got["hand"] = timed(run_hand, project)
        elif contender == "tuned":
            got["tuned"] = timed(run_tuned, project, args.timeout)
        elif contender == "library":
            got["library"] = timed(run_library, project)
    for budget in args.budgets:
        for contender in (c for c in PER_BUDGET if c in args.contenders):
            key_name = f"{contender}@{budget:g}"
            if contender == "auto":
                got[key_name] = timed(run_auto, name, out / name / f"auto-{budget:g}", budget)
            else:
                got[key_name] = timed(run_autogluon, project, contender, budget, args.ag_python)
            print(f"{name} {key_name}: {_cell(got[key_name])}", file=sys.stderr, flush=True)
    row["auto_vs_best_ag"] = {
        f"{b:g}": _better(row, f"auto@{b:g}", [f"ag-medium@{b:g}", f"ag-best@{b:g}"])
        for b in args.budgets
    }
    row["auto_vs_best_ag_se"] = {f"{b:g}": auto_vs_ag_se(row, out, b) for b in args.budgets}
    row["train_vs_hand"] = _better(row, "train", ["hand"])
    return row


def submission_path(out: Path, name: str, contender: str, budget: float) -> Path | None:
    """Where a per-budget contender left its submission: auto's final run's, AutoGluon's."""
    if contender == "auto":
        project = out / name / f"auto-{budget:g}"
        try:
            final = json.loads((project / ".kstarter" / "auto.json").read_text())["final"]
        except (OSError, ValueError, KeyError):
            return None
        path = project / "runs" / str(final) / "submission.csv"
    else:
        path = out / name / f"{contender}-{budget:g}" / "submission.csv"
    return path if path.exists() else None


def paired_se(project: Path, a: Path, b: Path, key: pd.DataFrame | None = None) -> float | None:
    """The bootstrap standard error of score(a) - score(b) on the private rows of ``key``
    (default: the practice competition's answer key), both submissions scored on the same
    resampled rows: whether a difference is more than the private board's rows can tell
    apart."""
    import numpy as np

    from kstarter.competition import read_submission
    from kstarter.config import load_project
    from kstarter.leaderboards import key_rows
    from kstarter.metrics import bootstrap_se, get_metric
    from kstarter.sources import answer_key, practice_name

    spec = load_project(project).spec
    metric = get_metric(spec.metric)
    if key is None:
        key = answer_key(practice_name(spec.source))
    truth, pred_a, usage = key_rows(spec, read_submission(a), key)
    _, pred_b, _ = key_rows(spec, read_submission(b), key)
    private = usage == "Private"
    width = 1 if pred_a.ndim == 1 else pred_a.shape[1]
    both = np.column_stack([pred_a.reshape(len(pred_a), -1), pred_b.reshape(len(pred_b), -1)])

    def difference(t: np.ndarray, p: np.ndarray) -> float:
        left, right = p[:, :width], p[:, width:]
        if width == 1:
            left, right = left[:, 0], right[:, 0]
        return float(metric.score(t, left) - metric.score(t, right))

    return bootstrap_se(difference, truth[private], both[private])


def auto_vs_ag_se(row: dict, out: Path, budget: float) -> float | None:
    """paired_se of auto's final submission against the better AutoGluon preset's."""
    sign = 1.0 if row["direction"] == "maximize" else -1.0
    presets = [c for c in AG_PRESETS if _private(row, f"{c}@{budget:g}") is not None]
    if _private(row, f"auto@{budget:g}") is None or not presets:
        return None
    best = max(presets, key=lambda c: sign * _private(row, f"{c}@{budget:g}"))
    name = row["competition"]
    a = submission_path(out, name, "auto", budget)
    b = submission_path(out, name, best, budget)
    if a is None or b is None:
        return None
    return paired_se(out / name / "ks", a, b)


def _private(row: dict, contender: str) -> float | None:
    got = row["contenders"].get(contender, {})
    return got.get("private") if got.get("status") == "ok" else None


def _better(row: dict, mine: str, theirs: list[str]) -> float | None:
    """How much ``mine`` beats the best of ``theirs`` on the private board (+ = better)."""
    sign = 1.0 if row["direction"] == "maximize" else -1.0
    a = _private(row, mine)
    others = [s for s in (_private(row, t) for t in theirs) if s is not None]
    if a is None or not others:
        return None
    return sign * (a - (max(others) if sign > 0 else min(others)))


def _cell(got: dict) -> str:
    if got.get("status") != "ok":
        return got.get("status", "-")
    return f"{got['private']:.4g} ({got['wall_s']:.0f} s)"


def table(rows: list[dict], contenders: list[str], budgets: list[float]) -> str:
    columns = [c for c in ONCE if c in contenders]
    columns += [f"{c}@{b:g}" for b in budgets for c in PER_BUDGET if c in contenders]
    head = ["competition", "rows", "metric", *columns]
    if {"train", "hand"} <= set(contenders):
        head.append("train − hand")
    if "auto" in contenders:
        head += [f"auto − best AG @{b:g}" for b in budgets]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        arrow = "↑" if row["direction"] == "maximize" else "↓"
        cells = [row["competition"], f"{row['rows']:,}", f"{row['metric']} {arrow}"]
        cells += [_cell(row["contenders"].get(c, {})) for c in columns]
        diffs = []
        if {"train", "hand"} <= set(contenders):
            diffs.append(row["train_vs_hand"])
        cells += ["–" if d is None else f"{d:+.4g}" for d in diffs]
        if "auto" in contenders:
            for b in budgets:
                d = row["auto_vs_best_ag"][f"{b:g}"]
                se = row.get("auto_vs_best_ag_se", {}).get(f"{b:g}")
                cells.append(
                    "–" if d is None else f"{d:+.4g}" + ("" if se is None else f" ± {se:.2g}")
                )
        lines.append("| " + " | ".join(cells) + " |")
    note = (
        "Private-board score (wall seconds); differences are signed so that + means the first "
        "is better; ± is the paired bootstrap standard error of auto's difference over the "
        "private rows."
    )
    return "\n".join([*lines, "", note]) + "\n"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="competitions (default: all, extras included)")
    ap.add_argument("--budgets", nargs="+", type=float, default=[60, 600])
    ap.add_argument(
        "--contenders", nargs="+", default=list(DEFAULT_CONTENDERS),
        choices=[*ONCE, *PER_BUDGET],
    )  # fmt: skip
    ap.add_argument("--timeout", type=float, default=60, help="tune's timeout for `tuned`")
    ap.add_argument("--ag-python", type=Path, default=AG_PYTHON, help="AutoGluon venv's python")
    ap.add_argument("--out", type=Path, default=OUT / "quality")
    ap.add_argument(
        "--rescore", action="store_true",
        help="train nothing: add the paired standard errors to OUT/results.json and print the "
        "table again",
    )  # fmt: skip
    args = ap.parse_args(argv)
    args.out = args.out.resolve()  # kstarter runs in other directories
    return args


def main(argv: list[str] | None = None) -> None:
    from kstarter.sources import list_practice, missing_install

    args = parse(argv)
    if args.rescore:
        rescore(args.out)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    every = list_practice(extra=True)
    missing = {p.name: need for p in every if (need := missing_install(p))}
    names = args.only or [p.name for p in every if p.name not in missing]
    if missing and not args.only:
        print(f"left out: {', '.join(missing)}: {set(missing.values())}", file=sys.stderr)
    header = {
        "machine": machine(),
        "nproc": os.cpu_count(),
        "command": " ".join(["python bench/quality.py", *(argv or sys.argv[1:])]),
        "budgets": args.budgets,
        "contenders": args.contenders,
        "autogluon_python": str(args.ag_python) if ag_available(args.ag_python) else None,
        "auto_available": auto_available(),
    }
    rows = []
    for name in names:
        rows.append(one(name, args.out, args))
        result = {**header, "rows": rows}
        (args.out / "results.json").write_text(json.dumps(result, indent=2))
    with (args.out / "results.jsonl").open("a") as f:
        f.write(json.dumps({**header, "rows": rows}) + "\n")
    text = table(rows, args.contenders, args.budgets)
    stamp = time.strftime("%Y-%m-%d %H:%M")
    with (args.out / "results.md").open("a") as f:
        f.write(f"\n## {stamp}: `{header['command']}`\n\n{header['machine']}\n\n{text}")
    print(text)


def rescore(out: Path) -> None:
    """The paired standard errors for an earlier invocation's results.json, from the
    submissions it left in OUT; the table printed again."""
    result = json.loads((out / "results.json").read_text())
    for row in result["rows"]:
        row["auto_vs_best_ag_se"] = {
            f"{b:g}": auto_vs_ag_se(row, out, b) for b in result["budgets"]
        }
    (out / "results.json").write_text(json.dumps(result, indent=2))
    print(table(result["rows"], result["contenders"], result["budgets"]))


if __name__ == "__main__":
    main()
