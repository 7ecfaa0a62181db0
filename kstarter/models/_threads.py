"""How many threads a model trains with: the user's number, else as many as the table gives
work to, at most the physical cores split between the processes that train at once.

Importing this module (the models package does) sets ``OMP_WAIT_POLICY`` before any OpenMP
library (LightGBM's libgomp) is loaded.
"""

from __future__ import annotations

import math
import os

__all__ = ["FAMILY_WORK_PER_THREAD", "WORK_PER_THREAD", "physical_cores", "resolve_threads"]

# LightGBM's OpenMP threads spin while they wait. On a shared machine, with anything else
# running, spinning threads made a small fit 50x slower here; passive ones stayed within 1.5x.
# Read by libgomp when lightgbm loads it, so it is set before any lightgbm import.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# One more thread pays for itself once a fit has this much work per thread, counted in rows x
# sqrt(features). A passive thread is woken for every parallel region of every split; below
# this, the wake-ups cost more than the histogram work the thread takes over. Measured on 2
# cores (bench/RESULTS.md, "Threads"), one thread against two, whole `kstarter train`s: with
# 10 features (flight-delays' real rows) one thread is 30% faster at 50k rows, 8% at 100k,
# even at 160k and 8% slower at 245k; with 100 generated features 37% faster at 20k rows and
# even at 50k. Both crossovers sit at rows x sqrt(features) = 500,000, where cells alone
# (1.6M against 5M) would not fit both. On more cores the rule gives each thread at least
# half that work: 2 threads at 500,000, 4 at 1M, 8 at 2M, 16 at 4M (273k rows x 20 features:
# 4 threads; 1M x 100: all cores). That extrapolation assumes the wake-up cost per thread
# stays what it is here (a virtual CPU: waking it is slow, so on bare metal it is cautious).
WORK_PER_THREAD = 250_000
# Families whose threads pay off sooner, measured the same way (`python bench/family_cost.py
# --rows 5000 50000 --families lightgbm xgboost catboost --threads 1 2`, one fold, quiet, 100
# generated features): CatBoost ran 1.7x faster with two threads at 5,000 rows and 1.8x at
# 50,000, so it takes the cores at every size (0: no minimum); XGBoost was even at 5,000 rows
# (work 50,000) and 1.3x faster with two at 50,000 (work 500,000), so its second thread comes
# at a fifth of LightGBM's work.
FAMILY_WORK_PER_THREAD = {"catboost": 0, "xgboost": 50_000}


def physical_cores() -> int:
    from joblib import cpu_count

    return max(1, int(cpu_count(only_physical_cores=True)))


def resolve_threads(
    requested: int, rows: int, features: int, workers: int = 1, family: str = "lightgbm"
) -> int:
    """Threads, chosen on purpose: the user's number, else as many as the table gives work to
    (one below rows x sqrt(features) = 2 x the family's work per thread, WORK_PER_THREAD unless
    FAMILY_WORK_PER_THREAD says otherwise), at most the physical cores split between the
    processes that train at once."""
    if requested > 0:
        return requested
    cores = max(1, physical_cores() // max(1, workers))
    per_thread = FAMILY_WORK_PER_THREAD.get(family, WORK_PER_THREAD)
    if per_thread <= 0:
        return cores
    useful = int(rows * math.sqrt(max(1, features)) // per_thread)
    return max(1, min(cores, useful if useful >= 2 else 1))
