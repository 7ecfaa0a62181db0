"""Leaks: a feature that is (almost) the target, an id or a row order that predicts it, and
rows of test that are copies of train rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kstarter.checks._findings import Finding
from kstarter.checks._univariate import (
    bins,
    eta_squared,
    prepare_target,
    skill,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.checks._inputs import CheckInputs

__all__ = ["Target", "targets", "describe", "leak_features", "order_leaks", "duplicates"]

# a single column this good is "near-perfect" (skills: see _univariate)
NEAR_PERFECT = {"binary": 0.98, "multiclass": 0.97, "regression": 0.9}
FUNCTION_OF_TARGET = 0.98  # eta^2 of a column given the target's classes or bins
ORDER_MIN_SKILL = 0.1  # an id / row order scoring less than this is not reported
ORDER_WARN_SKILL = 0.3
ORDER_Z = 4.0  # ... and it must beat shuffled targets by this many standard deviations
_PERMUTATIONS = 20
_ORDER_BINS = 20


@dataclass(frozen=True)
class Target:
    name: str
    y: np.ndarray  # prepared: class codes, or ranks in [0, 1] for regression
    kind: str  # binary | multiclass | regression
    n_classes: int
    base: float  # majority share (classification), for describing accuracy


def targets(inputs: CheckInputs, y: np.ndarray | None = None) -> list[Target]:
    import numpy as np

    spec = inputs.project.spec
    y = inputs.y if y is None else y
    columns = [y] if y.ndim == 1 else [y[:, j] for j in range(y.shape[1])]
    out = []
    for name, col in zip(spec.targets, columns, strict=True):
        kind = inputs.metric.target_kind(spec.task)
        prepared = prepare_target(col, kind)
        k = spec.n_classes if kind == "multiclass" else 2
        base = float(np.bincount(prepared).max() / len(prepared)) if kind != "regression" else 0
        out.append(Target(str(name), prepared, kind, k, base))
    return out


def describe(target: Target, s: float, short: bool = False) -> str:
    """A skill in the words of its measure."""
    if target.kind == "binary":
        return f"AUC {(s + 1) / 2:.3f}"
    if target.kind == "multiclass":
        acc = target.base + s * (1 - target.base)
        return f"accuracy {acc:.3f}" + (
            "" if short else f" (the majority class alone: {target.base:.3f})"
        )
    return f"R^2 {s:.3f}" + ("" if short else " on the target's ranks")


def _max_bins(n: int) -> int:
    return int(min(64, max(8, n // 20)))


def leak_features(inputs: CheckInputs) -> list[Finding]:
    """A model column that alone predicts a target almost perfectly, or that the target
    almost determines (a copy, a bucketing, a post-outcome record)."""
    import numpy as np

    folds = inputs.folds
    found = []
    tgts = targets(inputs)
    for col in inputs.X_train.columns:
        values = inputs.X_train[col]
        codes = bins(values, _max_bins(len(values)))
        if len(np.unique(codes)) < 2:
            continue
        for t in tgts:
            s = skill(codes, t.y, t.kind, t.n_classes, folds.assignment, folds.time_ordered)
            name = inputs.names.get(col, col)
            if s >= NEAR_PERFECT[t.kind]:
                found.append(_alone_finding(name, t, s))
                break
            eta = _eta(values, t)
            if eta >= FUNCTION_OF_TARGET:
                found.append(_function_finding(name, t, eta, s))
                break
    return found


def _eta(values: pd.Series, t: Target) -> float:
    import numpy as np
    import pandas as pd

    if t.kind == "binary" or isinstance(values.dtype, pd.CategoricalDtype):
        return float("nan")
    if not pd.api.types.is_numeric_dtype(values):
        return float("nan")
    x = values.to_numpy(dtype=float, na_value=np.nan)
    if t.kind == "multiclass":
        groups = t.y
    else:
        n_groups = int(min(32, max(2, len(x) // 30)))
        groups = np.minimum((t.y * n_groups).astype(int), n_groups - 1)
    return eta_squared(x, groups)


def _drop_advice(name: str) -> str:
    return (
        f"Find out where {name!r} comes from. If it is not known when the prediction is made "
        f"(recorded after the outcome, or derived from the target), add {name!r} to "
        "competition.drop in kstarter.yaml (or drop it in features.py). If test carries the "
        "same information, the leaderboard will reward it too: then it is a Kaggle leak, "
        "and using it is a choice to make knowingly."
    )


def _alone_finding(name: str, t: Target, s: float) -> Finding:
    return Finding(
        check="leak_feature",
        severity="warning",
        title=f"Column {name!r} alone predicts {t.name!r} almost perfectly: "
        f"{describe(t, s)} on the folds, with no other column.",
        meaning="A single column this good is rarely a real signal: it is usually the target "
        "leaking in (a copy or transformation of it, or something recorded after the "
        "outcome). The model will lean on it and CV will look excellent, while new data "
        "without the leak scores far lower.",
        action=_drop_advice(name),
        columns=(name,),
        numbers={"skill": round(s, 4), "target": t.name},
    )


def _function_finding(name: str, t: Target, eta: float, s: float) -> Finding:
    return Finding(
        check="leak_feature",
        severity="warning",
        title=f"Column {name!r} is almost a function of the target {t.name!r}: the target "
        f"explains {eta:.1%} of its variance (alone it scores {describe(t, s)}).",
        meaning="A column that the target determines is typically derived from the target "
        "(a bucketing, a flag set after the outcome): it carries the answer into the "
        "features, and CV overstates what the model can do on test.",
        action=_drop_advice(name),
        columns=(name,),
        numbers={"eta_squared": round(eta, 4), "skill": round(s, 4), "target": t.name},
    )


# ---------------------------------------------------------------- id and row order


def order_leaks(inputs: CheckInputs) -> list[Finding]:
    """The id column, or the position of a row in the train file, predicting the target."""
    import numpy as np
    import pandas as pd

    spec = inputs.project.spec
    candidates = []
    if spec.id is not None and spec.id in inputs.train.columns:
        ids = inputs.train[spec.id]
        if not pd.api.types.is_numeric_dtype(ids):  # ids are read as text: numbers by value
            numbers = pd.to_numeric(ids, errors="coerce")
            ids = (
                numbers
                if numbers.notna().all()
                else pd.Series(pd.factorize(ids.astype(str), sort=True)[0])
            )
        candidates.append(("id", ids.to_numpy(dtype=float)))
    candidates.append(("row", inputs.rows.astype(float)))
    rng = np.random.default_rng(inputs.seed)
    found: dict[str, tuple[Target, float, float, float]] = {}
    for what, values in candidates:
        codes = bins(pd.Series(values), _ORDER_BINS)
        for t in targets(inputs):
            s, mu, sd = _with_null(codes, t, inputs, rng)
            if s >= max(ORDER_MIN_SKILL, mu + ORDER_Z * sd):
                found[what] = (t, s, mu, sd)
                break
    if not found:
        return []
    same = "id" in found and "row" in found and _monotone(candidates[0][1])
    if same:
        found.pop("id")
    return [_order_finding(what, *found[what], spec.id, same) for what in found]


def _with_null(
    codes: np.ndarray, t: Target, inputs: CheckInputs, rng: np.random.Generator
) -> tuple[float, float, float]:
    import numpy as np

    a, ordered = inputs.folds.assignment, inputs.folds.time_ordered
    s = skill(codes, t.y, t.kind, t.n_classes, a, ordered)
    if not np.isfinite(s) or s < ORDER_MIN_SKILL:
        return s if np.isfinite(s) else 0.0, 0.0, 0.0
    null = [skill(codes, rng.permutation(t.y), t.kind, t.n_classes, a, ordered)
            for _ in range(_PERMUTATIONS)]  # fmt: skip
    return s, float(np.nanmean(null)), float(np.nanstd(null))


def _monotone(values: np.ndarray) -> bool:
    import numpy as np

    diffs = np.diff(values[np.isfinite(values)])
    return bool(len(diffs)) and (bool((diffs >= 0).all()) or bool((diffs <= 0).all()))


def _order_finding(
    what: str, t: Target, s: float, mu: float, sd: float, id_col: str | None, same: bool
) -> Finding:
    null = f"with the target shuffled: {describe(t, mu, short=True)} ± {sd:.3f}"
    if what == "id":
        subject = f"The id column {id_col!r}"
        cols: tuple[str, ...] = (str(id_col),)
    elif same:
        subject = f"The row order (and the id {id_col!r}, which follows it)"
        cols = (str(id_col),)
    else:
        subject = "The row order of the train file"
        cols = ()
    return Finding(
        check="id_leak" if what == "id" else "row_order",
        severity="warning" if s >= ORDER_WARN_SKILL else "info",
        title=f"{subject} predicts {t.name!r}: alone it scores {describe(t, s)} on the folds "
        f"({null}).",
        meaning="The rows are ordered or numbered by something related to the target: time "
        "(the target drifts), a grouping, or the target itself. kstarter never uses the id "
        "or the row position as a feature, but a feature built from them, or a column that "
        "follows the order, carries it; and random folds hide a drift over time.",
        action="If the order is time, validate on later rows: set cv.time to the time column "
        "in kstarter.yaml and run `kstarter train --refold`. Keep the id and row number out "
        "of features.py, unless test's ids continue the same pattern (then it is a leak the "
        "leaderboard rewards; use it knowingly).",
        columns=cols,
        numbers={"skill": round(s, 4), "null_mean": round(mu, 4), "null_std": round(sd, 4)},
    )


# ---------------------------------------------------------------- duplicates

DUP_MIN_ROWS = 5
DUP_MIN_SHARE = 0.01  # of test rows
DUP_WARN_SHARE = 0.10
TRAIN_DUP_SHARE = 0.05  # of train rows in a group of identical feature rows


def duplicates(inputs: CheckInputs) -> list[Finding]:
    import numpy as np
    import pandas as pd

    train_h, test_h = inputs.hashes
    found = []
    in_train = pd.Index(train_h).isin(test_h) if len(test_h) else np.zeros(len(train_h), bool)
    copies = np.isin(test_h, train_h)
    n, share = int(copies.sum()), float(copies.mean()) if len(copies) else 0.0
    agree = _target_agreement(train_h, inputs.full_y)
    if n >= DUP_MIN_ROWS and share >= DUP_MIN_SHARE:
        agree_text = (
            f"; in train, rows with identical features have the same target {agree:.0%} of the time"
            if agree is not None
            else ""
        )
        found.append(
            Finding(
                check="duplicates",
                severity="warning" if share >= DUP_WARN_SHARE else "info",
                title=f"{n} test rows ({share:.1%}) are exact copies of train rows on every "
                f"feature column ({int(in_train.sum())} train rows are copied){agree_text}.",
                meaning="For these rows the answer may be in train already: a model that "
                "memorises does well on them, and so does the public score, more than on "
                "new data. It also means the competition's data has repeated records.",
                action="Look at a few of them (same source record, or a generated copy?). "
                "Copying the train target for them is a known Kaggle trick, and a leak if the "
                "copies are accidental; at least, compare CV with and without these rows.",
                numbers={
                    "test_copies": n,
                    "test_share": round(share, 4),
                    "target_agreement": agree,
                },
            )  # fmt: skip
        )
    dup_rows = _rows_in_duplicate_groups(train_h)
    if dup_rows >= max(10, TRAIN_DUP_SHARE * len(train_h)):
        found.append(_train_duplicates(dup_rows, len(train_h), agree))
    return found


def _rows_in_duplicate_groups(h: np.ndarray) -> int:
    import pandas as pd

    counts = pd.Series(h).value_counts()
    return int(counts[counts > 1].sum())


def _target_agreement(h: np.ndarray, y: np.ndarray) -> float | None:
    """Among train groups of identical feature rows, the share whose target is the same."""
    import pandas as pd

    frame = pd.DataFrame({"h": h, "y": [tuple(r) for r in y] if y.ndim > 1 else y})
    sizes = frame.groupby("h")["y"].agg(["size", "nunique"])
    groups = sizes[sizes["size"] > 1]
    if groups.empty:
        return None
    return round(float((groups["nunique"] == 1).mean()), 4)


def _train_duplicates(rows: int, n: int, agree: float | None) -> Finding:
    share = rows / n
    agree_text = f"; {agree:.0%} of those groups share one target" if agree is not None else ""
    return Finding(
        check="duplicates",
        severity="warning" if share >= DUP_WARN_SHARE else "info",
        title=f"{rows} train rows ({share:.1%}) have an identical twin in train on every "
        f"feature column{agree_text}.",
        meaning="Random folds put twins in training and validation, so CV partly scores "
        "memory: it will be optimistic if test rows are not twins of train rows.",
        action="Read CV as optimistic by up to the twins' share. If test rows are not "
        "twins of train rows, validate with twins kept together: give them a shared value "
        "in a column of the train file and set cv.groups to it (`kstarter train --refold`).",
        numbers={"train_rows": rows, "train_share": round(share, 4), "target_agreement": agree},
    )
