"""What kstarter's thread choice does when the machine is shared.

    python bench/threads_under_load.py --rows 20000
    python bench/threads_under_load.py --practice flight-delays --rows 20000 100000 0 \
        --threads 1 2 --loads quiet

Trains the same project several ways: kstarter's choice (passive OpenMP threads; threads by
``kstarter.models.resolve_threads``: one below rows x sqrt(features) = 500,000, more above), one
thread, one passive thread per physical core whatever the size, and LightGBM's usual setting
(spinning threads, one per physical core: OMP_WAIT_POLICY=ACTIVE, model.threads = the cores).
``--spin-counts 3000 30000`` adds libgomp's own policy (spin GOMP_SPINCOUNT times, then
sleep) with one thread per core. Each runs on a quiet machine and next to a CPU hog (one busy
process per core minus one), as separate processes. Reports the wall times and the slowdown
the hog causes. ``--practice NAME`` trains on a practice competition's real rows instead
(the first N train rows, 0 = all of them), ``--threads 1 2 4`` adds fixed passive thread
counts, ``--loads quiet`` skips the hog.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KSTARTER, OUT, bench_project, kstarter, machine  # noqa: E402
from make_data import build  # noqa: E402
from measure import measure  # noqa: E402

HOG = "import time\nend = time.time() + 600\nwhile time.time() < end: pass\n"


VARIANTS = ("kstarter_choice", "one_thread", "passive_all_cores", "spinning_all_cores")


def practice_data(name: str, rows: int, out: Path) -> Path:
    """The practice competition's files, its train rows cut to the first ``rows`` (0 = all)."""
    import pandas as pd

    full = out / f"practice-{name}"
    if not (full / "data" / "train.csv").exists():
        kstarter("init", f"practice/{name}", "--dir", str(full), cwd=out)
    data = out / f"data-{name}-{rows or 'all'}"
    data.mkdir(parents=True, exist_ok=True)
    train = pd.read_csv(full / "data" / "train.csv")
    (train.head(rows) if rows else train).to_csv(data / "train.csv", index=False)
    for f in ("test.csv", "sample_submission.csv"):
        shutil.copyfile(full / "data" / f, data / f)
    return data


def train_once(project: Path, variant: str, cores: int) -> float:
    env = dict(os.environ)
    for key in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):
        env.pop(key, None)  # without OMP_WAIT_POLICY, kstarter sets PASSIVE itself
    cfg = project / "kstarter.yaml"
    text = cfg.read_text()
    if variant != "kstarter_choice":
        threads = (
            int(variant.removeprefix("passive_"))
            if variant.startswith("passive_") and variant != "passive_all_cores"
            else 1
            if variant == "one_thread"
            else cores
        )
        cfg.write_text(text.replace("threads: 0", f"threads: {threads}"))
    if variant == "spinning_all_cores":
        env["OMP_WAIT_POLICY"] = "ACTIVE"
    if variant.startswith("spin_"):
        # an empty OMP_WAIT_POLICY is libgomp's own default (kstarter keeps a set value)
        env["OMP_WAIT_POLICY"] = ""
        env["GOMP_SPINCOUNT"] = variant.removeprefix("spin_")
    try:
        return measure([KSTARTER, "train", "-q"], cwd=str(project), env=env).seconds
    finally:
        cfg.write_text(text)


def run(
    rows: int,
    out: Path,
    spin_counts: tuple[int, ...] = (),
    practice: str | None = None,
    threads: tuple[int, ...] = (),
    loads: tuple[str, ...] = ("quiet", "hog"),
) -> dict:
    from kstarter.models import physical_cores

    out.mkdir(parents=True, exist_ok=True)
    if practice:
        data = practice_data(practice, rows, out)
        name = f"threads-{practice}-{rows or 'all'}"
    else:
        data = out / f"data-binary-{rows}"
        if not (data / "train.csv").exists():
            build(rows, data, "binary")
        name = f"threads-binary-{rows}"
    project = bench_project(data, out / name, "binary", 200, 50)
    cores = physical_cores()
    train_once(project, "kstarter_choice", cores)  # warm the cache: every timed run is a rerun
    record = json.loads(sorted((project / "runs").glob("*/metrics.json"))[-1].read_text())
    result = {
        "data": practice or "generated",
        "rows": rows,
        "features": record.get("n_features"),
        "kstarter_threads": record.get("threads"),
        "cores": cores,
        "machine": machine(),
    }
    variants = (
        VARIANTS + tuple(f"spin_{n}" for n in spin_counts) + tuple(f"passive_{n}" for n in threads)
    )
    for load in loads:
        hogs = [] if load == "quiet" else [
            subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(max(1, cores - 1))
        ]  # fmt: skip
        try:
            result[load] = {f"{v}_s": round(train_once(project, v, cores), 2) for v in variants}
        finally:
            for h in hogs:
                h.kill()
                h.wait()
    for v in variants if "hog" in loads and "quiet" in loads else ():
        result[f"slowdown_{v}"] = round(result["hog"][f"{v}_s"] / result["quiet"][f"{v}_s"], 2)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[20_000, 200_000])
    ap.add_argument("--spin-counts", type=int, nargs="*", default=[])
    ap.add_argument("--practice", help="a practice competition's real rows, e.g. flight-delays")
    ap.add_argument("--threads", type=int, nargs="*", default=[], help="fixed passive counts")
    ap.add_argument("--loads", nargs="+", choices=("quiet", "hog"), default=["quiet", "hog"])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    runs = []
    for r in args.rows:
        runs.append(
            run(r, args.out, tuple(args.spin_counts), args.practice, tuple(args.threads),
                tuple(args.loads))
        )  # fmt: skip
        print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    print(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
