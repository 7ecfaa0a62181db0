"""Shared by the benchmark scripts: machine facts, project set-up, the kstarter command."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
BIN = Path(sys.executable).parent
KSTARTER = str(BIN / "kstarter") if (BIN / "kstarter").exists() else shutil.which("kstarter")

# The plain hand-written LightGBM loop the issues compare kstarter with (bench/hand_small.py,
# quality.py's hand arm): lr 0.05, 31 leaves, feature and bagging fractions 0.8, early
# stopping after 100 rounds.
HAND_PARAMS = {
    "learning_rate": 0.05,
    "num_leaves": 31,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "verbosity": -1,
    "seed": 0,
}
HAND_PATIENCE = 100


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    libs = ", ".join(f"{p} {version(p)}" for p in ("pandas", "lightgbm", "optuna", "numpy"))
    cpu = platform.processor() or platform.machine()
    py = platform.python_version()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; Python {py}; {libs}; load {load}"


def kstarter(*args: str, cwd: Path) -> str:
    proc = subprocess.run([KSTARTER, *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"kstarter {' '.join(args)}: {proc.stderr[-2000:]}")
    return proc.stdout


def bench_project(
    data: Path,
    project: Path,
    task: str,
    rounds: int,
    patience: int,
    lr: float = 0.1,
    num_leaves: int | None = None,
) -> Path:
    """A kstarter project on ``data`` with the benchmark's boosting budget (and, when given,
    ``num_leaves`` instead of the default's)."""
    if project.exists():
        shutil.rmtree(project)
    metric = "auc" if task == "binary" else "rmse"
    kstarter("init", str(data), "--dir", str(project), "--metric", metric, cwd=HERE)
    cfg = project / "kstarter.yaml"
    text = cfg.read_text()
    text = text.replace("num_boost_round: 5000", f"num_boost_round: {rounds}")
    text = text.replace("early_stopping_rounds: 100", f"early_stopping_rounds: {patience}")
    leaves = "" if num_leaves is None else f", num_leaves: {num_leaves}"
    text = text.replace("params: {}", f"params: {{learning_rate: {lr}{leaves}}}")
    cfg.write_text(text)
    return project
