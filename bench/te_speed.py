"""The feature pack's cost at scale (issue 15.5): target encoding of 8 categoricals and their 28
pairs over 5 folds, and the fold-independent columns (count encoding of the columns and of the
28 crosses, missing indicators), on generated data of the given size.

Times kstarter's own functions as ``crossval`` calls them: :func:`fold_encoder` once (value codes
of every column and cross), :meth:`FoldEncoder.encode` once a fold (each fold's training rows
get the statistics of the other folds, its validation rows and the test those of its training
rows), and :func:`add_fixed` once. The peak memory is the process's.

    python bench/te_speed.py --rows 1000000 --test-rows 250000
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

from kstarter.featurepack import FeaturePack, add_fixed, fold_encoder  # noqa: E402
from kstarter.metrics import get_metric  # noqa: E402
from kstarter.spec import Spec  # noqa: E402

# 8 categoricals: 28 pairs; cardinalities as a Kaggle table has them (a few small, a few large)
CARDINALITIES = (3, 5, 8, 12, 20, 50, 200, 1000)
FOLDS = 5


def make(rows: int, test_rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Train and test matrices (8 Zipf-distributed categoricals, 4 floats with 5 % missing) and
    a binary target that follows two of the categoricals and a float."""
    rng = np.random.default_rng(seed)
    n = rows + test_rows
    cols: dict[str, pd.Series | np.ndarray] = {}
    latent = np.zeros(n)
    for j, card in enumerate(CARDINALITIES):
        weights = 1 / np.arange(1, card + 1)
        codes = rng.choice(card, n, p=weights / weights.sum())
        cols[f"c{j}"] = pd.Categorical.from_codes(codes, [f"v{i}" for i in range(card)])
        if j in (3, 6):
            latent += rng.normal(size=card)[codes]
    for j in range(4):
        x = rng.normal(size=n)
        latent += 0.3 * x if j == 0 else 0
        x[rng.random(n) < 0.05] = np.nan
        cols[f"x{j}"] = x
    both = pd.DataFrame(cols)
    y = (latent[:rows] + rng.normal(size=rows) > 0).astype(int)
    return both.iloc[:rows].reset_index(drop=True), both.iloc[rows:].reset_index(drop=True), y


def run(rows: int, test_rows: int) -> dict:
    X_train, X_test, y = make(rows, test_rows)
    spec = Spec(name="te", source="te", task="binary", metric="auc", targets=("y",), classes=(0, 1))
    metric = get_metric("auc")
    big = 10**9  # every pair crossed
    target = FeaturePack(target_encoding=True, crosses=True, cross_encode="target",
                         max_cardinality=big, max_pairs=28)  # fmt: skip
    fixed = FeaturePack(count_encoding=True, missing=True, crosses=True, cross_encode="count",
                        max_cardinality=big, max_pairs=28)  # fmt: skip
    assignment = np.arange(rows) % FOLDS
    np.random.default_rng(1).shuffle(assignment)

    start = time.perf_counter()
    encoder = fold_encoder(target, spec, metric, X_train, X_test, y)
    codes_s = time.perf_counter() - start
    assert encoder is not None and len(encoder.sources) == 8 + 28, encoder and encoder.sources
    per_fold = []
    for k in range(FOLDS):
        train_idx = np.flatnonzero(assignment != k)
        valid_idx = np.flatnonzero(assignment == k)
        start = time.perf_counter()
        te_train, te_test = encoder.encode(assignment, train_idx, valid_idx)
        per_fold.append(time.perf_counter() - start)
        assert not te_train.isna().to_numpy().any(), "every train row encoded"
    start = time.perf_counter()
    out_train, _ = add_fixed(fixed, X_train, X_test)
    fixed_s = time.perf_counter() - start
    return {
        "machine": machine(),
        "rows": rows,
        "test_rows": test_rows,
        "sources": len(encoder.sources),
        "columns_per_fold": te_train.shape[1],
        "codes_s": round(codes_s, 2),
        "encode_per_fold_s": [round(s, 2) for s in per_fold],
        "encode_total_s": round(sum(per_fold), 2),
        "fixed_columns": out_train.shape[1] - X_train.shape[1],
        "fixed_s": round(fixed_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--test-rows", type=int, default=250_000)
    args = parser.parse_args()
    print(json.dumps(run(args.rows, args.test_rows), indent=2))


if __name__ == "__main__":
    main()
