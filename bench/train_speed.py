"""kstarter train vs the hand-written reference loop: wall time and peak RSS, in turn.

    python bench/train_speed.py --rows 1000000 --repeats 3 [--task regression] [--shape zipf]

Each repeat runs, as separate processes: ``kstarter train`` with its cache cleared (first
run), ``kstarter train`` again (rerun, parsed data cached), and ``bench/reference.py`` on the
same folds and parameters. Ratios kstarter/reference are reported as min/median/max.
``--shape zipf`` runs on issue 17's second table (bench/make_data.py: 50 floats, 5 string
categoricals up to 20,000 levels) with 31 leaves, the issue's parameters.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KSTARTER, OUT, bench_project, machine  # noqa: E402
from make_data import SHAPES, build  # noqa: E402
from measure import measure  # noqa: E402

# the parameters each shape was first measured with: the zipf table's in issue 17 had 31 leaves
LEAVES = {"bench": None, "zipf": 31}


def run(rows: int, repeats: int, task: str, rounds: int, out: Path, shape: str = "bench") -> dict:
    name = f"{task}-{rows}" if shape == "bench" else f"{shape}-{task}-{rows}"
    data = out / f"data-{name}"
    if not (data / "train.csv").exists():
        build(rows, data, task, shape=shape)
    project = bench_project(
        data, out / f"project-{name}", task, rounds, 50, num_leaves=LEAVES[shape]
    )
    results = {"first": [], "rerun": [], "reference": []}
    for _ in range(repeats):
        shutil.rmtree(project / ".kstarter" / "cache", ignore_errors=True)
        results["first"].append(measure([KSTARTER, "train", "-q"], cwd=str(project)))
        results["rerun"].append(measure([KSTARTER, "train", "-q"], cwd=str(project)))
        ref = [sys.executable, str(Path(__file__).parent / "reference.py"), str(project)]
        results["reference"].append(measure(ref, cwd=str(project)))
    return summarise(results, rows, task, project, shape)


def summarise(results: dict, rows: int, task: str, project: Path, shape: str = "bench") -> dict:
    ref_s = [m.seconds for m in results["reference"]]
    ref_mb = [m.peak_mb for m in results["reference"]]
    out = {"rows": rows, "task": task, "shape": shape, "machine": machine()}
    for kind in ("first", "rerun"):
        secs = [m.seconds for m in results[kind]]
        mbs = [m.peak_mb for m in results[kind]]
        out[kind] = {
            "seconds": secs,
            "peak_mb": mbs,
            "time_ratio": _spread([a / b for a, b in zip(secs, ref_s, strict=True)]),
            "rss_ratio": _spread([a / b for a, b in zip(mbs, ref_mb, strict=True)]),
        }
    out["reference"] = {"seconds": ref_s, "peak_mb": ref_mb}
    runs = sorted((project / "runs").glob("*/metrics.json"))
    metrics = json.loads(runs[-1].read_text())
    reference = json.loads(results["reference"][-1].stdout)
    out["kstarter_oof"], out["reference_oof"] = metrics["oof_score"], reference["oof"]
    # early stopping's choices: more rounds cost time without being slower per round
    out["kstarter_best_iterations"] = metrics["best_iterations"]
    out["reference_best_iterations"] = reference.get("best_iterations")
    return out


def _spread(values: list[float]) -> dict:
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--task", choices=("binary", "regression"), default="binary")
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--shape", choices=SHAPES, default="bench")
    args = ap.parse_args()
    result = run(args.rows, args.repeats, args.task, args.rounds, args.out, args.shape)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
