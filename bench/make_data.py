"""Generate a Kaggle-shaped tabular competition with a fixed seed.

    python bench/make_data.py --rows 1000000 --out bench/out/data-1m [--task regression]
    python bench/make_data.py --rows 1000000 --out bench/out/zipf-1m --shape zipf

Train has ``rows`` rows, test a quarter of that. The default shape ("bench"), about 100
columns: 80 floats, 12 ints with missing values, 8 string categoricals of cardinality 5 to
10,000. The "zipf" shape (issue 17's second 1M-row table), 55 columns: 50 floats written with 6
decimals and 5 string categoricals of cardinality 3, 12, 100, 1,000 and 20,000 whose values
follow Zipf's law. Either has a binary (or regression) target that depends on a few floats and
categoricals, with noise. Written with pyarrow's CSV writer.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

N_FLOAT, N_INT = 80, 12
CARDINALITIES = (5, 10, 50, 100, 500, 1000, 5000, 10000)
SHAPES = ("bench", "zipf")
ZIPF_FLOATS, ZIPF_CARDINALITIES = 50, (3, 12, 100, 1000, 20000)


def frame(rows: int, rng: np.random.Generator, start_id: int) -> pd.DataFrame:
    cols: dict[str, object] = {"id": np.arange(start_id, start_id + rows)}
    floats = rng.standard_normal((rows, N_FLOAT), dtype=np.float32)
    for j in range(N_FLOAT):
        cols[f"f{j}"] = floats[:, j]
    for j in range(N_INT):
        v = pd.array(rng.integers(0, 50 * (j + 1), rows), dtype="Int64")
        v[rng.random(rows) < 0.05 * (1 + j % 4)] = pd.NA
        cols[f"i{j}"] = v
    for j, card in enumerate(CARDINALITIES):
        codes = rng.zipf(1.3, rows) % card
        values = np.array([f"c{j}_{k}" for k in range(card)], dtype=object)[codes]
        s = pd.Series(values, dtype="str")
        s[rng.random(rows) < 0.02] = np.nan
        cols[f"s{j}"] = s
    return pd.DataFrame(cols)


def signal(df: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    z = (
        0.8 * df["f0"] - 0.6 * df["f1"] + 0.5 * df["f2"] * df["f3"]
        + 0.02 * df["i0"].fillna(25).to_numpy(dtype=float)
        + np.where(df["s0"].isin(["c0_1", "c0_3"]), 0.7, 0.0)
        + np.where(df["s5"].str.endswith("7").fillna(False).to_numpy(dtype=bool), 0.4, 0.0)
    )  # fmt: skip
    return z.to_numpy(dtype=float) + rng.standard_normal(len(df))


def zipf_frame(rows: int, rng: np.random.Generator, start_id: int) -> pd.DataFrame:
    """50 floats rounded to 6 decimals, 5 string columns with Zipf-distributed levels."""
    cols: dict[str, object] = {"id": np.arange(start_id, start_id + rows)}
    floats = np.round(rng.standard_normal((rows, ZIPF_FLOATS)), 6)
    for j in range(ZIPF_FLOATS):
        cols[f"x{j}"] = floats[:, j]
    for j, card in enumerate(ZIPF_CARDINALITIES):
        p = 1.0 / np.arange(1, card + 1) ** 1.1  # level k drawn with weight 1 / k^1.1
        codes = rng.choice(card, rows, p=p / p.sum())
        levels = np.array([f"k{j}_{k:05d}" for k in range(card)], dtype=object)
        cols[f"cat{j}"] = pd.Series(levels[codes], dtype="str")
    return pd.DataFrame(cols)


def zipf_signal(df: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """A few floats, an interaction, and a fixed effect per level of three categoricals."""
    effects = np.random.default_rng(12345)  # the same level effects in train and test
    z = 0.7 * df["x0"] - 0.5 * df["x1"] + 0.4 * df["x2"] * df["x3"] + 0.3 * np.abs(df["x4"])
    for j in (0, 2, 4):
        card = ZIPF_CARDINALITIES[j]
        codes = df[f"cat{j}"].str.slice(4).astype(int).to_numpy()
        z = z + effects.normal(0, 0.5, card)[codes]
    return z.to_numpy(dtype=float) + 1.4 * rng.standard_normal(len(df))


def build(rows: int, out: Path, task: str, seed: int = 0, shape: str = "bench") -> Path:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    make, make_signal = (frame, signal) if shape == "bench" else (zipf_frame, zipf_signal)
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    train = make(rows, rng, 0)
    test = make(rows // 4, rng, rows)
    z = make_signal(train, rng)
    target = (z > np.quantile(z, 0.7)).astype(int) if task == "binary" else np.round(10 + 3 * z, 3)
    train["target"] = target
    for name, df in (("train", train), ("test", test)):
        pcsv.write_csv(pa.Table.from_pandas(df, preserve_index=False), out / f"{name}.csv")
    fill = 0.5 if task == "binary" else 0.0
    sample = pd.DataFrame({"id": test["id"], "target": fill})
    sample.to_csv(out / "sample_submission.csv", index=False)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--task", choices=("binary", "regression"), default="binary")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shape", choices=SHAPES, default="bench")
    args = ap.parse_args()
    build(args.rows, args.out, args.task, args.seed, args.shape)
    print(args.out)


if __name__ == "__main__":
    main()
