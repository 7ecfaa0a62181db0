"""kstarter train vs the hand-written reference loop: wall time and peak RSS, in turn.

    python bench/train_speed.py --rows 1000000 --repeats 3 [--task regression]

Each repeat runs, as separate processes: ``kstarter train`` with its cache cleared (first
run), ``kstarter train`` again (rerun, parsed data cached), and ``bench/reference.py`` on the
same folds and parameters. Ratios kstarter/reference are reported as min/median/max.
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
from make_data import build  # noqa: E402
from measure import measure  # noqa: E402


def run(rows: int, repeats: int, task: str, rounds: int, out: Path) -> dict:
    data = out / f"data-{task}-{rows}"
    if not (data / "train.csv").exists():
        build(rows, data, task)
    project = bench_project(data, out / f"project-{task}-{rows}", task, rounds, 50)
    results = {"first": [], "rerun": [], "reference": []}
    for _ in range(repeats):
        shutil.rmtree(project / ".kstarter" / "cache", ignore_errors=True)
        results["first"].append(measure([KSTARTER, "train", "-q"], cwd=str(project)))
        results["rerun"].append(measure([KSTARTER, "train", "-q"], cwd=str(project)))
        ref = [sys.executable, str(Path(__file__).parent / "reference.py"), str(project)]
        results["reference"].append(measure(ref, cwd=str(project)))
    return summarise(results, rows, task, project)


def summarise(results: dict, rows: int, task: str, project: Path) -> dict:
    ref_s = [m.seconds for m in results["reference"]]
    ref_mb = [m.peak_mb for m in results["reference"]]
    out = {"rows": rows, "task": task, "machine": machine()}
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
    out["kstarter_oof"] = json.loads(runs[-1].read_text())["oof_score"]
    out["reference_oof"] = json.loads(results["reference"][-1].stdout)["oof"]
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
    args = ap.parse_args()
    result = run(args.rows, args.repeats, args.task, args.rounds, args.out)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
