"""A real competition of a few hundred thousand rows: default ``kstarter train`` against a plain
hand loop, as whole processes, with the score of each on held-back rows.

    python bench/real_table.py [--practice flight-delays] [--repeats 1] [--hand-threads 0]
        [--candidate LABEL=JSON ...] [--out DIR]

``kstarter init practice/NAME`` makes the project once (its folds.csv is the hand loop's too).
Then each repeat runs, as separate processes, in an order that rotates from one repeat to the
next:

- ``default``: ``kstarter train -q`` with the prepared-data cache cleared first, as a user's first
  ``train`` after ``init`` (kstarter's defaults: its threads, rate, leaves and rounds);
- each ``--candidate LABEL='{"learning_rate": 0.1}'``: the same with those model parameters
  (``train --params``), to compare a possible default on the same folds (``--no-default``
  times only these and the hand loop);
- ``hand``: ``bench/hand_small.py``, what a Kaggler writes by hand: pandas reads the CSVs,
  strings become categories, LightGBM per fold of folds.csv with learning rate 0.05, 31 leaves,
  feature and bagging fractions 0.8, early stopping after 100 rounds, and ``--hand-threads``
  (default 0: LightGBM's own default, every core the machine shows).

Each side's submission is scored against the practice answer key, which no model saw: the
public and private parts (about 30% and 70% of the test rows). The time ratio is each side's
wall over the hand loop's in the same repeat (min, median, max). One JSON object on stdout
(also OUT/real_table.json).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KSTARTER, OUT, machine  # noqa: E402
from measure import Measure, measure  # noqa: E402
from small_table import hand_command, newest_run, spread  # noqa: E402


def held_back(project: Path, submission: Path) -> dict[str, float]:
    """The submission's scores on the answer key's public and private parts."""
    import pandas as pd

    from kstarter.config import load_project
    from kstarter.leaderboards import score_against_key
    from kstarter.sources import answer_key, practice_name

    spec = load_project(project).spec
    key = answer_key(practice_name(spec.source))
    sub = pd.read_csv(submission)
    public, private = score_against_key(spec, sub, key)
    return {"public": round(public, 6), "private": round(private, 6)}


def kstarter_side(project: Path, params: Path | None) -> dict:
    shutil.rmtree(project / ".kstarter" / "cache", ignore_errors=True)
    args = [KSTARTER, "train", "-q"] + ([] if params is None else ["--params", str(params)])
    m = measure(args, cwd=str(project))
    newest = max((project / "runs").glob("*/metrics.json"), key=lambda p: p.stat().st_mtime)
    run, folder = json.loads(newest.read_text()), newest.parent
    return {
        "m": m,
        "oof": run["oof_score"],
        "cv": run["cv_mean"],
        "rounds": list(run["best_iterations"]),
        "threads": run["threads"],
        "fit_s": round(sum(run["fold_seconds"]), 3),
        "held_back": held_back(project, folder / "submission.csv"),
    }


def hand_side(project: Path, threads: int) -> dict:
    m: Measure = measure(hand_command(project, threads), cwd=str(project))
    got = json.loads(m.stdout)
    return {
        "m": m,
        "oof": got["oof"],
        "rounds": got["rounds"],
        "threads": threads,
        "fit_s": got["fit_seconds"],
        "held_back": held_back(project, project / "hand_submission.csv"),
    }


def run(
    name: str,
    repeats: int,
    hand_threads: int,
    candidates: dict[str, dict],
    out: Path,
    default: bool = True,
):
    out.mkdir(parents=True, exist_ok=True)
    project = out / name
    shutil.rmtree(project, ignore_errors=True)
    init = measure([KSTARTER, "init", f"practice/{name}", "--dir", project.name], cwd=str(out))
    files: dict[str, Path | None] = {"default": None} if default else {}
    for label, params in candidates.items():
        files[label] = out / f"{label}.yaml"
        files[label].write_text(json.dumps(params))  # JSON is YAML
    sides = [*files, "hand"]
    got: dict[str, list[dict]] = {side: [] for side in sides}
    for r in range(repeats):
        for side in sides[r % len(sides) :] + sides[: r % len(sides)]:
            if side == "hand":
                got[side].append(hand_side(project, hand_threads))
            else:
                got[side].append(kstarter_side(project, files[side]))
            print(side, json.dumps(_row(got[side][-1])), file=sys.stderr)
    hand_s = [h["m"].seconds for h in got["hand"]]
    result: dict = {
        "machine": machine(),
        "competition": name,
        "rows": newest_run(project)["rows"],
        "metric": newest_run(project)["metric"],
        "init_s": round(init.seconds, 3),
        "candidates": candidates,
        "sides": {},
    }
    for side in sides:
        rows = [_row(g) for g in got[side]]
        entry = {"repeats": rows}
        if side != "hand":
            ratios = [g["m"].seconds / h for g, h in zip(got[side], hand_s, strict=True)]
            entry["time_ratio"] = spread(ratios)
        result["sides"][side] = entry
    result["load_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def _row(side: dict) -> dict:
    m = side["m"]
    out = {k: v for k, v in side.items() if k != "m"}
    return {"seconds": round(m.seconds, 3), "peak_mb": round(m.peak_mb, 1), **out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--practice", default="flight-delays")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--hand-threads", type=int, default=0)
    ap.add_argument(
        "--candidate", nargs="*", default=[], metavar="LABEL=JSON",
        help="kstarter model parameters to time beside the defaults, e.g. "
        "lr01='{\"learning_rate\": 0.1}'",
    )  # fmt: skip
    ap.add_argument("--no-default", action="store_true", help="time the candidates only")
    ap.add_argument("--out", type=Path, default=OUT / "real_table")
    args = ap.parse_args()
    candidates = {}
    for item in args.candidate:
        label, _, params = item.partition("=")
        if label in ("default", "hand") or not params:
            ap.error(f"--candidate {item!r}: give LABEL=JSON, LABEL not default or hand")
        candidates[label] = json.loads(params)
    result = run(
        args.practice, args.repeats, args.hand_threads, candidates, args.out, not args.no_default
    )
    text = json.dumps(result, indent=2)
    (args.out / "real_table.json").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
