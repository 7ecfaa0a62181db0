"""What kstarter's thread choice does when the machine is shared.

    python bench/threads_under_load.py --rows 20000

Trains the same project several ways: kstarter's choice (passive OpenMP threads; one thread
below ``kstarter.models.SMALL_CELLS`` cells, rows x features, else the physical cores), one
thread, one passive thread per physical core whatever the size, and LightGBM's usual setting
(spinning threads, one per physical core: OMP_WAIT_POLICY=ACTIVE, model.threads = the cores).
``--spin-counts 3000 30000`` adds libgomp's own policy (spin GOMP_SPINCOUNT times, then
sleep) with one thread per core. Each runs on a quiet machine and next to a CPU hog (one busy
process per core minus one), as separate processes. Reports the wall times and the slowdown
the hog causes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KSTARTER, OUT, bench_project, machine  # noqa: E402
from make_data import build  # noqa: E402
from measure import measure  # noqa: E402

HOG = "import time\nend = time.time() + 600\nwhile time.time() < end: pass\n"


VARIANTS = ("kstarter_choice", "one_thread", "passive_all_cores", "spinning_all_cores")


def train_once(project: Path, variant: str, cores: int) -> float:
    env = dict(os.environ)
    for key in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):
        env.pop(key, None)  # without OMP_WAIT_POLICY, kstarter sets PASSIVE itself
    cfg = project / "kstarter.yaml"
    text = cfg.read_text()
    if variant != "kstarter_choice":
        threads = 1 if variant == "one_thread" else cores
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


def run(rows: int, out: Path, spin_counts: tuple[int, ...] = ()) -> dict:
    from kstarter.models import physical_cores

    data = out / f"data-binary-{rows}"
    if not (data / "train.csv").exists():
        build(rows, data, "binary")
    project = bench_project(data, out / f"threads-binary-{rows}", "binary", 200, 50)
    cores = physical_cores()
    train_once(project, "kstarter_choice", cores)  # warm the cache: every timed run is a rerun
    result = {"rows": rows, "cores": cores, "machine": machine()}
    variants = VARIANTS + tuple(f"spin_{n}" for n in spin_counts)
    for load in ("quiet", "hog"):
        hogs = [] if load == "quiet" else [
            subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(max(1, cores - 1))
        ]  # fmt: skip
        try:
            result[load] = {f"{v}_s": round(train_once(project, v, cores), 2) for v in variants}
        finally:
            for h in hogs:
                h.kill()
                h.wait()
    for v in variants:
        result[f"slowdown_{v}"] = round(result["hog"][f"{v}_s"] / result["quiet"][f"{v}_s"], 2)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[20_000, 200_000])
    ap.add_argument("--spin-counts", type=int, nargs="*", default=[])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    runs = [run(r, args.out, tuple(args.spin_counts)) for r in args.rows]
    print(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
