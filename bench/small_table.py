"""Seconds on small tables: ``kstarter init`` + ``kstarter train`` against a plain hand loop.

    python bench/small_table.py [--only NAME ...] [--repeats 3] [--kstarter LABEL=PATH ...]
        [--no-profile] [--out DIR]

On each practice competition under 1,000 rows (heart-disease, penguins-species, breast-cancer,
diabetes-progression; ``--only`` picks), each repeat times as whole processes (wall and peak
RSS by wait4, bench/measure.py), in an order that rotates from one repeat to the next:

- for each kstarter (``--kstarter LABEL=PATH`` names the ``kstarter`` command of a venv; by
  default this venv's, labelled ``kstarter``): ``kstarter init practice/NAME`` in a fresh folder,
  then ``kstarter train -q`` there; then ``kstarter train -q --params FILE`` with the hand
  loop's LightGBM parameters, whose fold seconds against the hand loop's own fit seconds show
  kstarter's overhead per round when both train the same model;
- ``bench/hand_small.py``: pandas reads the CSVs, strings become categories, LightGBM per fold
  of the project's folds.csv (learning rate 0.05, 31 leaves, fractions 0.8, early stopping after
  100 rounds, the competition's objective and eval metric, kstarter's threads), OOF score and a
  submission.

The ratio is (init + train) / hand, per repeat (min, median, max). A project made first, before
the repeats, gives the hand loop its folds.csv and warms the disk cache.

With profiling (the default), each kstarter runs init and train twice more, on a project of
their own: once under ``python -X importtime`` (each top-level import's seconds), once under
cProfile after importing every module the first pass imported (their wall seconds are the
``imports`` part), so the parts are the command's own work: for init, building the practice
data, inspection, rendering the files and notebook, the brief check; for train, the config and
model check, reading the data with features and folds, the fits, the predictions, the run files,
importance.png, the report's plots and the rest of the report. cProfile's seconds run slower
than the wall seconds (it times every Python call), so read the parts as shares.

One JSON object on stdout (also OUT/small_table.json).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import HAND_PATIENCE, HERE, KSTARTER, OUT, machine  # noqa: E402
from measure import Measure, measure  # noqa: E402

COMPETITIONS = ("heart-disease", "penguins-species", "breast-cancer", "diabetes-progression")
HAND = HERE / "hand_small.py"
# the hand loop's LightGBM parameters, as kstarter model params (--params FILE): the rest of
# kstarter's defaults set to LightGBM's own, so both loops train the same model
HAND_AS_KSTARTER = {
    "learning_rate": 0.05,
    "num_leaves": 31,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 0.0,
    "deterministic": False,
    "force_row_wise": False,
}

# the parts of each command: name -> the functions (file suffix, name) whose cumulative
# profiled seconds make it, less the raw seconds of the parts named with "-" (those run inside
# it and are reported on their own)
INIT_PARTS = {
    "build the practice data": [("kstarter/sources/_practice.py", "fetch")],
    "inspect": [("kstarter/competition/_inspect.py", "inspect_competition")],
    "render files and notebook": [("kstarter/render.py", "render_project")],
    "brief check": [("kstarter/project.py", "_brief_check")],
}
INIT_TOTAL = ("kstarter/cli.py", "init")
REPORT_PLOTS = [
    ("kstarter/runs/_report.py", "_fold_plot"),
    ("kstarter/runs/_report.py", "_oof_images"),
    ("kstarter/runs/_report.py", "_importance_plot"),
]
TRAIN_PARTS = {
    "config and model check": [
        ("kstarter/config.py", "load_project"),
        ("kstarter/train.py", "resolve_params"),
        ("kstarter/train.py", "check_model"),
    ],
    "read data, features, folds": [("kstarter/crossval.py", "prepare")],
    "fits": [("kstarter/crossval.py", "fit_fold"), ("-", "predictions")],
    "predictions": [("lightgbm/basic.py", "predict")],
    "run files (CSVs, models, log)": [
        ("kstarter/runs/_writer.py", "_write_files"),
        ("-", "importance.png"),
        ("-", "report (HTML, reading the run)"),  # its raw seconds: the whole report
    ],
    "importance.png": [("kstarter/runs/_plots.py", "plot_importance")],
    "report plots": REPORT_PLOTS,
    "report (HTML, reading the run)": [
        ("kstarter/runs/_report.py", "write_report"),
        ("-", "report plots"),
    ],
}
TRAIN_TOTAL = ("kstarter/cli.py", "train")

# run in the profiled child: import what the command imports, then profile the command
_CHILD = r"""
import cProfile, importlib, json, pstats, sys, time
modules, out, args = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3:]
start = time.perf_counter()
for name in modules:
    try:
        importlib.import_module(name)
    except Exception:
        pass
imports = time.perf_counter() - start
from kstarter.cli import main
sys.argv = ["kstarter", *args]
profile = cProfile.Profile()
profile.enable()
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
profile.disable()
stats = pstats.Stats(profile).stats
functions = {}
for (file, line, name), (_, _, _, cum, _) in stats.items():
    if "kstarter/" in file or "lightgbm/" in file:
        functions[f"{file}:{line}::{name}"] = cum
json.dump({"imports": imports, "code": code, "functions": functions}, open(out, "w"))
"""


def spread(values: list[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
    }


def python_of(command: str) -> str:
    """The interpreter of the venv a ``kstarter`` command belongs to."""
    here = Path(command).parent / "python"
    return str(here) if here.exists() else sys.executable


# ---------------------------------------------------------------------------------------------
# the two sides


def ks(command: str, *args: str, cwd: Path) -> Measure:
    return measure([command, *args], cwd=str(cwd))


def kstarter_side(command: str, name: str, project: Path, params: Path) -> dict:
    """init + train in a fresh folder, then a train with the hand loop's parameters."""
    shutil.rmtree(project, ignore_errors=True)
    init = ks(command, "init", f"practice/{name}", "--dir", project.name, cwd=project.parent)
    train = ks(command, "train", "-q", cwd=project)
    default = newest_run(project)
    ks(command, "train", "-q", "--params", str(params), cwd=project)
    same = newest_run(project)
    return {
        "init": init,
        "train": train,
        "cv": default["cv_mean"],
        "oof": default["oof_score"],
        "fit_s": round(sum(default["fold_seconds"]), 3),
        "run_s": default["seconds"],
        "rounds": list(default["best_iterations"]),
        "same_fit_s": round(sum(same["fold_seconds"]), 3),
        "same_rounds": list(same["best_iterations"]),
    }


def newest_run(project: Path) -> dict:
    runs = sorted((project / "runs").glob("*/metrics.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(runs[-1].read_text())


def hand_command(project: Path, threads: int | None = None) -> list[str]:
    """bench/hand_small.py's arguments for a kstarter project: its columns and task, the
    LightGBM objective and eval metric of its metric, ``threads`` (by default the threads its
    newest run used; 0 is LightGBM's own default, OpenMP's: every logical core)."""
    import yaml

    from kstarter.metrics import get_metric

    spec = yaml.safe_load((project / "kstarter.yaml").read_text())["competition"]
    task, metric = spec["task"], spec["metric"]
    lgb = get_metric(metric).lightgbm_params(task)
    if threads is None:
        threads = newest_run(project)["threads"]
    return [
        sys.executable, str(HAND), str(project), "--target", spec["targets"][0],
        "--id", spec["id"], "--task", task, "--objective", lgb["objective"],
        "--eval-metric", lgb["metric"], "--metric", metric, "--threads", str(threads),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# the profile


def imports_of(command: str, args: list[str], cwd: Path) -> tuple[list[str], dict[str, float]]:
    """The top-level imports of one command (``-X importtime``), in order, with seconds."""
    proc = subprocess.run(
        [python_of(command), "-X", "importtime", "-m", "kstarter", *args],
        cwd=cwd, capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"kstarter {' '.join(args)}: {proc.stderr[-2000:]}")
    modules: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if name.startswith(" ") and not name.startswith("  "):  # one space: top level
            try:
                modules[name.strip()] = int(cumulative) / 1e6
            except ValueError:  # the header line
                continue
    skip = {"__main__", "kstarter.__main__"}
    return [m for m in modules if m not in skip], modules


def profiled(command: str, modules: list[str], args: list[str], cwd: Path, out: Path) -> dict:
    result = out / "profile.json"
    proc = subprocess.run(
        [python_of(command), "-c", _CHILD, json.dumps(modules), str(result), *args],
        cwd=cwd, capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0 or not result.exists():
        raise RuntimeError(f"profiling kstarter {' '.join(args)}: {proc.stderr[-2000:]}")
    got = json.loads(result.read_text())
    result.unlink()
    if got["code"] not in (0, None):
        raise RuntimeError(f"profiling kstarter {' '.join(args)}: exit {got['code']}")
    return got


def cumulative(functions: dict[str, float], file: str, name: str) -> float:
    """The cumulative seconds of function ``name`` of ``file``; of several of that name in
    the file (LightGBM's Booster.predict calls its predictor's predict), the outermost."""
    found = []
    for key, seconds in functions.items():
        where, _, function = key.rpartition("::")
        if function == name and where.rpartition(":")[0].endswith(file):
            found.append(seconds)
    return max(found, default=0.0)


def parts(profile: dict, spec: dict, total: tuple[str, str]) -> dict[str, float]:
    """Profiled seconds by part; ``other`` is the command's rest, ``imports`` the wall seconds
    of its imports (made before the profile started)."""
    fns = profile["functions"]
    raw = {
        part: sum(cumulative(fns, f, n) for f, n in members if f != "-")
        for part, members in spec.items()
    }
    out = {}
    for part, members in spec.items():
        minus = sum(raw[n] for f, n in members if f == "-")
        out[part] = round(max(raw[part] - minus, 0.0), 3)
    whole = cumulative(fns, *total)
    out["other"] = round(max(whole - sum(out.values()), 0.0), 3)
    out["imports (wall)"] = round(profile["imports"], 3)
    out["profiled total"] = round(whole, 3)
    return out


def profile_command(command: str, name: str, where: Path) -> dict:
    """Init and train, once for the imports, once under cProfile; parts of each."""
    where.mkdir(parents=True, exist_ok=True)
    result = {}
    for label in ("importtime", "profile"):
        project = where / f"{label}-{name}"
        shutil.rmtree(project, ignore_errors=True)
        init_args = ["init", f"practice/{name}", "--dir", project.name]
        train_args = ["train", "-q"]
        if label == "importtime":
            init_mods, init_imports = imports_of(command, init_args, where)
            train_mods, train_imports = imports_of(command, train_args, project)
            result["imports"] = {"init": _top(init_imports), "train": _top(train_imports)}
            continue
        init = profiled(command, init_mods, init_args, where, where)
        train = profiled(command, train_mods, train_args, project, where)
        result["init"] = parts(init, INIT_PARTS, INIT_TOTAL)
        result["train"] = parts(train, TRAIN_PARTS, TRAIN_TOTAL)
    return result


def _top(imports: dict[str, float], n: int = 8) -> dict[str, float]:
    """The slowest top-level imports and the total of all of them."""
    top = sorted(imports.items(), key=lambda kv: -kv[1])[:n]
    return {"total": round(sum(imports.values()), 3), **{k: round(v, 3) for k, v in top}}


# ---------------------------------------------------------------------------------------------


def run(names: list[str], repeats: int, commands: dict[str, str], out: Path, profile: bool):
    out.mkdir(parents=True, exist_ok=True)
    params = out / "hand_params.yaml"
    params.write_text(json.dumps(HAND_AS_KSTARTER))  # JSON is YAML
    result = {"machine": machine(), "repeats": repeats, "competitions": []}
    for name in names:
        where = out / name
        where.mkdir(parents=True, exist_ok=True)
        first = next(iter(commands.values()))
        setup = where / "setup"
        kstarter_side(first, name, setup, params)  # folds.csv for the hand loop; warm caches
        sides = [*commands, "hand"]
        got: dict[str, list] = {side: [] for side in sides}
        for r in range(repeats):
            for side in sides[r % len(sides) :] + sides[: r % len(sides)]:
                if side == "hand":
                    m = measure(hand_command(setup), cwd=str(setup))
                    got[side].append({"m": m, **json.loads(m.stdout)})
                else:
                    project = where / f"{side}-{r}"
                    got[side].append(kstarter_side(commands[side], name, project, params))
                    shutil.rmtree(project, ignore_errors=True)
        row = summarise(name, setup, got, commands)
        if profile:
            row["profile"] = {
                label: profile_command(cmd, name, where / f"profile-{label}")
                for label, cmd in commands.items()
            }
        result["competitions"].append(row)
        print(json.dumps(row), file=sys.stderr)
    result["load_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def summarise(name: str, setup: Path, got: dict[str, list], commands: dict[str, str]) -> dict:
    hand = got["hand"]
    hand_s = [h["m"].seconds for h in hand]
    row: dict = {
        "competition": name,
        "rows": newest_run(setup)["rows"],
        "metric": newest_run(setup)["metric"],
        "hand": {
            "seconds": [round(s, 3) for s in hand_s],
            "peak_mb": [round(h["m"].peak_mb, 1) for h in hand],
            "fit_s": [h["fit_seconds"] for h in hand],
            "oof": hand[-1]["oof"],
            "rounds": hand[-1]["rounds"],
        },
    }
    for label in commands:
        sides = got[label]
        init_s = [s["init"].seconds for s in sides]
        train_s = [s["train"].seconds for s in sides]
        total = [a + b for a, b in zip(init_s, train_s, strict=True)]
        same = [s["same_fit_s"] for s in sides]
        row[label] = {
            "init_s": [round(s, 3) for s in init_s],
            "train_s": [round(s, 3) for s in train_s],
            "total_s": [round(s, 3) for s in total],
            "init_mb": [round(s["init"].peak_mb, 1) for s in sides],
            "train_mb": [round(s["train"].peak_mb, 1) for s in sides],
            "run_s": [s["run_s"] for s in sides],
            "fit_s": [s["fit_s"] for s in sides],
            "oof": sides[-1]["oof"],
            "rounds": sides[-1]["rounds"],
            "ratio": spread([t / h for t, h in zip(total, hand_s, strict=True)]),
            # the same model as the hand loop's: kstarter's fold seconds over the hand loop's
            # fit seconds, and over the rounds each trained (best + patience, per fold)
            "same_params": {
                "fit_s": same,
                "rounds": sides[-1]["same_rounds"],
                "fit_ratio": spread(
                    [k / h["fit_seconds"] for k, h in zip(same, hand, strict=True)]
                ),
                "ms_per_round": round(1000 * statistics.median(same) / _trained(sides[-1]), 3),
                "hand_ms_per_round": round(
                    1000 * statistics.median(h["fit_seconds"] for h in hand) / _trained(hand[-1]),
                    3,
                ),
            },
        }
    return row


def _trained(side: dict, cap: int = 5000) -> int:
    """The rounds a run trained: each fold's best round and the patience after it."""
    rounds = side.get("same_rounds", side.get("rounds"))
    return sum(min(r + HAND_PATIENCE, cap) for r in rounds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=COMPETITIONS, default=list(COMPETITIONS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--kstarter", nargs="+", default=[f"kstarter={KSTARTER}"], metavar="LABEL=PATH",
        help="kstarter commands to time, each labelled (e.g. before=/venv-a/bin/kstarter)",
    )  # fmt: skip
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT / "small_table")
    args = ap.parse_args()
    commands = dict(item.split("=", 1) for item in args.kstarter)
    result = run(args.only, args.repeats, commands, args.out, not args.no_profile)
    text = json.dumps(result, indent=2)
    (args.out / "small_table.json").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
