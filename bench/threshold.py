"""How a binary label metric's threshold should be fitted: a nested estimate of each rule.

A label metric (accuracy, MCC, F1) scores labels, so a run turns P(class 1) into labels with a
threshold fitted on its out-of-fold predictions. On a few hundred rows the best OOF threshold
is partly noise. For each binary practice competition this trains the default LightGBM once
(`kstarter train`), then scores each rule the honest way: for every fold, the threshold is
fitted on the other folds' OOF predictions and scored on that fold (nested), for accuracy, MCC
and F1 alike.

Rules: ``0.5`` (never fitted); ``best`` (the best OOF threshold: kstarter before); ``guarded``
(the best OOF threshold only when its gain over 0.5 is at least ``z`` bootstrap standard errors
of the gain, both scored on the same resampled rows: kstarter now, z = 2).

    python bench/threshold.py
    python bench/threshold.py --only heart-disease breast-cancer
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, kstarter, machine  # noqa: E402

from kstarter.metrics import Decision, _decisions, fit_decision, get_metric  # noqa: E402
from kstarter.sources import list_practice  # noqa: E402

METRICS = ("accuracy", "mcc", "f1")


def rules(metric_name: str) -> dict:
    metric = get_metric(metric_name)

    def half(y: np.ndarray, p: np.ndarray) -> float:
        return 0.5

    def best(y: np.ndarray, p: np.ndarray) -> float:
        return float(fit_decision(metric, y, p, 2, guarded=False).threshold)

    def guarded(z: float) -> Callable[[np.ndarray, np.ndarray], float]:
        def rule(y: np.ndarray, p: np.ndarray) -> float:
            saved, _decisions._GUARD_Z = _decisions._GUARD_Z, z
            try:
                return float(fit_decision(metric, y, p, 2).threshold)
            finally:
                _decisions._GUARD_Z = saved

        return rule

    return {"0.5": half, "best": best, "guarded z=1": guarded(1.0), "guarded z=2": guarded(2.0)}


def nested(metric_name: str, y: np.ndarray, oof: np.ndarray, fold: np.ndarray) -> dict:
    metric = get_metric(metric_name)
    out = {}
    for name, rule in rules(metric_name).items():
        scores = []
        for k in np.unique(fold[fold >= 0]):
            fit, held = (fold >= 0) & (fold != k), fold == k
            t = rule(y[fit], oof[fit])
            scores.append(
                metric.score(y[held], Decision("threshold", threshold=t).apply(oof[held]))
            )
        out[name] = float(np.mean(scores))
    return out


def run(names: list[str], out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": machine(), "competitions": {}}
    for name in names:
        project = out / name
        if project.exists():
            shutil.rmtree(project)
        kstarter("init", f"practice/{name}", "--dir", str(project), cwd=out)
        kstarter("train", "-q", cwd=project)
        run_dir = sorted(p for p in (project / "runs").iterdir() if not p.name.startswith("."))[-1]
        oof = pd.read_csv(run_dir / "oof.csv")
        fold = pd.read_csv(project / "folds.csv")["fold"].to_numpy()
        from kstarter.competition import encode_target
        from kstarter.config import load_project

        proj = load_project(project)
        y = encode_target(proj.spec, pd.read_csv(project / "data" / proj.spec.files.train))
        p = oof["pred"].to_numpy(dtype=float)
        row = {m: nested(m, y, p, fold) for m in METRICS}
        results["competitions"][name] = {"rows": int(len(p)), **row}
        print(name, len(p), json.dumps(row))
    return results


def main() -> None:
    binary = [i.name for i in list_practice(extra=True) if i.task == "binary" and i.rows < 100_000]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=binary)
    parser.add_argument("--out", type=Path, default=OUT / "threshold")
    args = parser.parse_args()
    results = run(args.only, args.out)
    (args.out / "threshold.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
