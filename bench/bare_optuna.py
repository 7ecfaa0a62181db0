"""A bare Optuna loop over a kstarter project's folds and search space (no kstarter code).

    python bench/bare_optuna.py PROJECT_DIR --trials 20 [--prune] [--replay STUDY]

What a Kaggler would write by hand: the reference loop's data and folds, TPE over
configs/search_space.yaml, the project's base parameters, optionally a median pruner fed the
running CV (the mean of the fold scores so far, step = folds trained) after each fold but the
last. Prints trials per minute measured from the trials' own times.

``--replay STUDY`` enqueues the parameters of the finished trials of kstarter's study STUDY
(in the project's journal), in their order, instead of sampling: both loops then train the
very same parameter sets, so their trials per minute differ only by what each loop adds. A
trial's cost depends strongly on its parameters (leaves, rounds to early stopping), so two
TPE runs with different draws are not comparable. With ``--prune`` a replayed trial also stops
after the folds kstarter's trial trained (the pruner still runs, its decision is kstarter's):
the fold scores of the two loops differ in the fourth decimal, enough to flip a decision
near the median and make the two loops train different amounts.
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


def replay_trials(project: Path, name: str) -> list[tuple[dict, int]]:
    """(parameters, folds trained) of the study's finished trials, in the order they started."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    path = str(project / ".kstarter" / "optuna.journal")
    study = optuna.load_study(study_name=name, storage=JournalStorage(JournalFileBackend(path)))
    done = [t for t in study.trials if t.state.name in ("COMPLETE", "PRUNED")]
    done.sort(key=lambda t: t.datetime_start)
    return [(t.params, int(t.user_attrs.get("folds_trained", 0))) for t in done]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("project", type=Path)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--prune", action="store_true")
    ap.add_argument("--replay", metavar="STUDY")
    args = ap.parse_args()
    base, config = newest_run(args.project)
    train, test, y, _, folds = load_data(args.project)
    space = yaml.safe_load(SPACE.read_text())
    minimize = base.get("objective") != "binary"
    n_folds = int(folds.max()) + 1

    def objective(trial: optuna.Trial) -> float:
        drawn = space  # a replayed trial draws what kstarter's drew: its trial 0, the
        if replayed:  # defaults, leaves out what the base parameters leave to LightGBM
            drawn = {k: e for k, e in space.items() if k in replayed[trial.number][0]}
        params = {**base, **suggest(trial, drawn)}

        fold_scores = []

        def report(k, oof, va):
            # the mean of the fold scores so far, as kstarter reports it: a pooled score of
            # the rows done so far stays near its first fold's, which then never gets pruned
            fold_scores.append(score(params, y[va], oof[va]))
            trial.report(float(np.mean(fold_scores)), k + 1)
            trial.set_user_attr("folds_trained", k + 1)
            if not args.prune or k + 1 == n_folds:
                return
            prune = trial.should_prune()  # asked in either case: its cost belongs to the loop
            if replayed:  # kstarter's decision for this trial
                prune = k + 1 >= replayed[trial.number][1]
            if prune:
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
    replayed = replay_trials(args.project, args.replay) if args.replay else []
    for params, _ in replayed:
        study.enqueue_trial(params)
    start = time.perf_counter()
    study.optimize(objective, n_trials=len(replayed) or args.trials)
    trials = [t for t in study.trials if t.datetime_complete is not None]
    span = (trials[-1].datetime_complete - trials[0].datetime_start).total_seconds()
    print(
        json.dumps(
            {
                "trials": len(trials),
                "trials_per_min": round(60 * len(trials) / span, 2),
                "best": study.best_value,
                "pruned": sum(t.state.name == "PRUNED" for t in trials),
                "folds_trained": sum(t.user_attrs.get("folds_trained", 0) for t in trials),
                "wall": round(time.perf_counter() - start, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
