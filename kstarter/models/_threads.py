"""How many threads a model trains with: the user's number, else one for small tables, else the
physical cores split between the processes that train at once.

Importing this module (the models package does) sets ``OMP_WAIT_POLICY`` before any OpenMP
library (LightGBM's libgomp) is loaded.
"""

from __future__ import annotations

import os

__all__ = ["SMALL_CELLS", "physical_cores", "resolve_threads"]

# LightGBM's OpenMP threads spin while they wait. On a shared machine, with anything else
# running, spinning threads made a small fit 50x slower here; passive ones stayed within 1.5x.
# Read by libgomp when lightgbm loads it, so it is set before any lightgbm import.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Below this many cells (rows x features) one thread is as fast as several: with passive
# threads, waking them at every split costs as much as the histogram work they share. Measured
# on 2 cores with 100 features: one thread 7.9 s vs two 10.8 s at 20k rows, 17.8 vs 18.8 s at
# 50k, 42 vs 37-43 s at 200k (bench/RESULTS.md, "Threads").
SMALL_CELLS = 10_000_000


def physical_cores() -> int:
    from joblib import cpu_count

    return max(1, int(cpu_count(only_physical_cores=True)))


def resolve_threads(requested: int, rows: int, features: int, workers: int = 1) -> int:
    """Threads, chosen on purpose: the user's number, else one for small tables, else the
    physical cores split between the processes that train at once."""
    if requested > 0:
        return requested
    if rows * max(1, features) < SMALL_CELLS:
        return 1
    return max(1, physical_cores() // max(1, workers))
