"""A bare Optuna loop over a kstarter project's folds and search space (no kstarter code).

    python bench/bare_optuna.py PROJECT_DIR --trials 20 [--prune]

What a Kaggler would write by hand: the reference loop's data and folds, TPE over
configs/search_space.yaml, the project's base parameters, optionally a median pruner fed the
running CV after each fold. Prints trials per minute measured from the trials' own times.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import optuna
import yaml
from reference import cross_validate, load_data, newest_run, score

SPACE = Path(__file__).resolve().parent.parent / "configs" / "search_space.yaml"


def suggest(trial: optuna.Trial, space: dict) -> dict:
    out = {}
    for name, e in space.items():
        if e["type"] == "float":
            out[name] = trial.suggest_float(name, e["low"], e["high"], log=e.get("log", False))
        elif e["type"] == "int":
            out[name] = trial.suggest_int(name, e["low"], e["high"], log=e.get("log", False))
        else:
            out[name] = trial.suggest_categorical(name, e["choices"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("project", type=Path)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--prune", action="store_true")
    args = ap.parse_args()
    base, config = newest_run(args.project)
    train, test, y, _, folds = load_data(args.project)
    space = yaml.safe_load(SPACE.read_text())
    minimize = base.get("objective") != "binary"

    def objective(trial: optuna.Trial) -> float:
        params = {**base, **suggest(trial, space)}

        def report(k, oof, va):
            done = np.isin(folds, np.arange(k + 1))
            trial.report(score(params, y[done], oof[done]), k)
            if args.prune and trial.should_prune():
                raise optuna.TrialPruned()

        oof, _ = cross_validate(
            train, test, y, folds, params, config["num_boost_round"],
            config["early_stopping_rounds"], report,
        )  # fmt: skip
        return score(params, y, oof)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = optuna.pruners.MedianPruner(5, 2) if args.prune else optuna.pruners.NopPruner()
    study = optuna.create_study(
        direction="minimize" if minimize else "maximize",
        sampler=optuna.samplers.TPESampler(seed=0),
        pruner=pruner,
    )
    start = time.perf_counter()
    study.optimize(objective, n_trials=args.trials)
    trials = [t for t in study.trials if t.datetime_complete is not None]
    span = (trials[-1].datetime_complete - trials[0].datetime_start).total_seconds()
    print(
        json.dumps(
            {
                "trials": len(trials),
                "trials_per_min": round(60 * len(trials) / span, 2),
                "best": study.best_value,
                "pruned": sum(t.state.name == "PRUNED" for t in trials),
                "wall": round(time.perf_counter() - start, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
