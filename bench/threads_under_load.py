"""What kstarter's thread choice does when the machine is shared.

    python bench/threads_under_load.py --rows 20000

Trains the same project with kstarter's choice (passive OpenMP threads; one thread under
50,000 rows, else the physical cores) and with LightGBM's usual setting (spinning threads,
one per physical core: OMP_WAIT_POLICY=ACTIVE and model.threads set to the cores), each on
a quiet machine and next to a CPU hog (one busy process per core minus one), as separate
processes. Reports the wall times and the slowdown the hog causes.
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


def train_once(project: Path, spinning: bool, cores: int) -> float:
    env = dict(os.environ)
    cfg = project / "kstarter.yaml"
    text = cfg.read_text()
    if spinning:
        env["OMP_WAIT_POLICY"] = "ACTIVE"
        cfg.write_text(text.replace("threads: 0", f"threads: {cores}"))
    else:
        env.pop("OMP_WAIT_POLICY", None)
    try:
        return measure([KSTARTER, "train", "-q"], cwd=str(project), env=env).seconds
    finally:
        cfg.write_text(text)


def run(rows: int, out: Path) -> dict:
    from kstarter.models import physical_cores

    data = out / f"data-binary-{rows}"
    if not (data / "train.csv").exists():
        build(rows, data, "binary")
    project = bench_project(data, out / f"threads-binary-{rows}", "binary", 200, 50)
    cores = physical_cores()
    train_once(project, False, cores)  # warm the cache: every timed run is a rerun
    result = {"rows": rows, "cores": cores, "machine": machine()}
    for load in ("quiet", "hog"):
        hogs = [] if load == "quiet" else [
            subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(max(1, cores - 1))
        ]  # fmt: skip
        try:
            result[load] = {
                "kstarter_choice_s": round(train_once(project, False, cores), 2),
                "spinning_all_cores_s": round(train_once(project, True, cores), 2),
            }
        finally:
            for h in hogs:
                h.kill()
                h.wait()
    for key in ("kstarter_choice_s", "spinning_all_cores_s"):
        result[f"slowdown_{key[:-2]}"] = round(result["hog"][key] / result["quiet"][key], 2)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[20_000, 200_000])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    print(json.dumps([run(r, args.out) for r in args.rows], indent=2))


if __name__ == "__main__":
    main()
