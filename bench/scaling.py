"""kstarter train wall time and peak memory as the rows grow; a table and a PNG plot.

python bench/scaling.py --rows 100000 300000 1000000 3000000
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KSTARTER, OUT, bench_project, machine  # noqa: E402
from make_data import build  # noqa: E402
from measure import measure  # noqa: E402


def run(rows_list: list[int], out: Path, rounds: int) -> dict:
    points = []
    for rows in rows_list:
        data = out / f"data-binary-{rows}"
        if not (data / "train.csv").exists():
            build(rows, data, "binary")
        project = bench_project(data, out / f"scaling-binary-{rows}", "binary", rounds, 50)
        m = measure([KSTARTER, "train", "-q"], cwd=str(project))
        points.append({"rows": rows, "seconds": round(m.seconds, 1), "peak_mb": round(m.peak_mb)})
    plot(points, out / "scaling.png")
    return {"machine": machine(), "rounds": rounds, "points": points}


def plot(points: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [p["rows"] for p in points]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(rows, [p["seconds"] for p in points], "o-", color="#4c72b0", label="wall time (s)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("train rows (test = rows / 4), ~100 columns")
    ax.set_ylabel("seconds", color="#4c72b0")
    ax2 = ax.twinx()
    ax2.plot(rows, [p["peak_mb"] for p in points], "s--", color="#dd8452", label="peak RSS (MB)")
    ax2.set_yscale("log")
    ax2.set_ylabel("peak RSS (MB)", color="#dd8452")
    ax.set_title("kstarter train: 5 folds, LightGBM, early stopping")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000, 300_000, 1_000_000, 3_000_000])
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    print(json.dumps(run(args.rows, args.out, args.rounds), indent=2))


if __name__ == "__main__":
    main()
