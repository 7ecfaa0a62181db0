"""kstarter tune vs a bare Optuna loop over the same folds and search space.

    python bench/tune_speed.py --rows 20000 --trials 20

Trials per minute (from the trials' own start and end times, so start-up is left out) of
kstarter tune without pruning, with the median pruner, and with 2 workers; after each, the
bare loop (bench/bare_optuna.py, one process) replays the very parameters kstarter's trials
drew, with the same pruner, so each ratio compares the two loops on identical work. Also the
trials pruned, the folds trained (the compute pruning saves) and the best CV each found.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import HERE, OUT, bench_project, kstarter, machine  # noqa: E402
from make_data import build  # noqa: E402


def bare(project: Path, replay: str, prune: bool) -> dict:
    cmd = [sys.executable, str(HERE / "bare_optuna.py"), str(project), "--replay", replay]
    out = subprocess.run(cmd + (["--prune"] if prune else []), capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout)


def kstarter_tune(project: Path, trials: int, pruner: str, workers: int) -> dict:
    cfg = project / "kstarter.yaml"
    text = cfg.read_text().split("\n# bench\n")[0]
    cfg.write_text(text + f"\n# bench\ntune:\n  pruner: {pruner}\n")
    study = f"{pruner}-w{workers}"
    args = ["tune", "--trials", str(trials), "--study", study, "--workers", str(workers)]
    kstarter(*args, cwd=project)
    return {"study": study, **_study_figures(project, study)}


def _study_figures(project: Path, name: str) -> dict:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    storage = JournalStorage(JournalFileBackend(str(project / ".kstarter" / "optuna.journal")))
    study = optuna.load_study(study_name=name, storage=storage)
    done = [t for t in study.trials if t.state.name in ("COMPLETE", "PRUNED")]
    start = min(t.datetime_start for t in done)
    span = (max(t.datetime_complete for t in done) - start).total_seconds()
    return {
        "trials": len(done),
        "trials_per_min": round(60 * len(done) / span, 2),
        "best": study.best_value,
        "pruned": sum(t.state.name == "PRUNED" for t in done),
        "folds_trained": sum(int(t.user_attrs.get("folds_trained", 0)) for t in done),
    }


def run(rows: int, trials: int, out: Path) -> dict:
    data = out / f"data-binary-{rows}"
    if not (data / "train.csv").exists():
        build(rows, data, "binary")
    project = bench_project(data, out / f"tune-binary-{rows}", "binary", 200, 50)
    kstarter("train", "-q", cwd=project)  # folds and the base parameters
    result = {"rows": rows, "trials": trials, "machine": machine()}
    variants = {"": ("none", 1), "_pruned": ("median", 1), "_2_workers": ("none", 2)}
    for suffix, (pruner, workers) in variants.items():
        ks = result[f"kstarter{suffix}"] = kstarter_tune(project, trials, pruner, workers)
        base = result[f"bare{suffix}"] = bare(project, ks["study"], prune=pruner != "none")
        result[f"ratio{suffix}"] = round(ks["trials_per_min"] / base["trials_per_min"], 3)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    print(json.dumps(run(args.rows, args.trials, args.out), indent=2))


if __name__ == "__main__":
    main()
