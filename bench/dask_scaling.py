"""Fold fits on a Dask cluster (``--cluster``): fits per minute with 1, 2 and 4 worker processes
on one machine, against the same fits in one process, and the overhead per task.

    python bench/dask_scaling.py [--rows 20000] [--seeds 4] [--workers 1 2 4] [--rounds 200]

On generated data (``bench/make_data.py``), a kstarter project is trained once (its cache and
folds made); then ``--seeds`` LightGBM configurations (seeds 0..N-1) x its five folds are fitted:

- ``local``: one after another in this process (:func:`kstarter.crossval.fit_fold`, the loop of
  ``kstarter train``), each fit timed;
- ``dask N``: a ``dask scheduler`` and N ``dask worker --nthreads 1`` processes on 127.0.0.1,
  every fit sent at once as a task (what ``train``/``auto --cluster`` send), timed from the first
  submit to the last result, after each worker's first task (which reads the prepared data and
  imports LightGBM, timed apart: ``first_task_on_a_worker_s``).

Fits per minute are the fits over that wall time. The overhead per task is the wall time of one
worker less the seconds its fits took (measured inside the task), over the tasks: scheduling,
sending the arguments and the results. One thread per
fit everywhere, as kstarter chooses below 10M cells. Predictions of each fit are checked equal to
the local ones.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "cluster"))

from common import OUT, bench_project, kstarter, machine  # noqa: E402
from make_data import build  # noqa: E402


def make_project(rows: int, rounds: int, out: Path) -> Path:
    data = out / f"data-binary-{rows}"
    if not (data / "train.csv").exists():
        build(rows, data, "binary")
    project = bench_project(data, out / f"dask-project-{rows}", "binary", rounds, 20)
    kstarter("train", "-q", cwd=project)  # the cache entry and folds.csv the workers read
    return project


def local(project: Path, seeds: int) -> dict:
    from kstarter.config import load_project
    from kstarter.crossval import build_models, fit_fold, prepare

    prep = prepare(load_project(project))
    fits, preds = [], {}
    start = time.perf_counter()
    for seed in range(seeds):
        models = build_models(prep, {}, seed, "lightgbm")
        for k, tr, va in prep.folds.splits():
            t = time.perf_counter()
            out = fit_fold(prep.matrices, prep.y, prep.folds, models, tr, va, prep.encoder)
            fits.append(time.perf_counter() - t)
            preds[(seed, k)] = out.valid_pred
    wall = time.perf_counter() - start
    return {"wall_s": wall, "fit_s": sum(fits), "fits": len(fits), "preds": preds}


def on_cluster(project: Path, seeds: int, workers: int, logs: Path) -> dict:
    from dask_local import local_cluster

    from kstarter.cluster import connect, fit_task
    from kstarter.config import load_project
    from kstarter.crossval import prepare

    prep = prepare(load_project(project))
    with local_cluster(logs, workers=workers) as c, connect(c.address) as cluster:
        cluster.check_project(prep)
        jobs = [cluster.job(prep, model="lightgbm", overrides={}, seed=s) for s in range(seeds)]
        client, n = cluster.client, prep.folds.n_splits
        # each worker's first task reads the prepared data and imports LightGBM: timed apart
        start = time.perf_counter()
        warm = [
            client.submit(fit_task, jobs[0], 0, workers=[a], pure=False, allow_other_workers=False)
            for a in cluster.threads
        ]
        cold = [f.result()[1] for f in warm]
        warm_wall = time.perf_counter() - start
        start = time.perf_counter()
        futures = {
            (s, k): client.submit(fit_task, jobs[s], k, pure=False)
            for s in range(seeds)
            for k in range(n)
        }
        results = {key: f.result() for key, f in futures.items()}
        wall = time.perf_counter() - start
    preds = {key: r[0].valid_pred for key, r in results.items()}
    return {
        "wall_s": wall,
        "fit_s": sum(r[1] for r in results.values()),
        "fits": len(results),
        "preds": preds,
        "first_task_s": round(max(cold), 2),
        "warm_up_wall_s": round(warm_wall, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    print(json.dumps(run(args.rows, args.seeds, args.workers, args.rounds, args.out), indent=2))


def run(rows: int, seeds: int, workers: list[int], rounds: int, out: Path) -> dict:
    import numpy as np

    out.mkdir(parents=True, exist_ok=True)
    result: dict = {"machine": machine(), "rows": rows, "seeds": seeds, "rounds": rounds}
    project = make_project(rows, rounds, out)
    base = local(project, seeds)
    rows_out = [_row("local (one process)", base, base["wall_s"])]
    for n in workers:
        with tempfile.TemporaryDirectory() as logs:
            got = on_cluster(project, seeds, n, Path(logs))
        same = all(np.array_equal(got["preds"][k], base["preds"][k]) for k in base["preds"])
        row = _row(f"dask, {n} worker(s)", got, base["wall_s"])
        row["bit_for_bit"] = same
        row["first_task_on_a_worker_s"] = got["first_task_s"]
        if n == 1:
            result["overhead_per_task_s"] = round((got["wall_s"] - got["fit_s"]) / got["fits"], 3)
        rows_out.append(row)
    result["table"] = rows_out
    (out / "dask_scaling.json").write_text(json.dumps(result, indent=2))
    return result


def _row(what: str, got: dict, local_wall: float) -> dict:
    return {
        "what": what,
        "fits": got["fits"],
        "wall_s": round(got["wall_s"], 2),
        "fit_s": round(got["fit_s"], 2),
        "fits_per_min": round(got["fits"] / got["wall_s"] * 60, 1),
        "speedup": round(local_wall / got["wall_s"], 2),
    }


if __name__ == "__main__":
    main()
