"""Leaks: a feature that is (almost) the target, an id or a row order that predicts it, and
rows of test that are copies of train rows.

A finding needs evidence that holds, not a high score alone (issue 18.10): a strong legitimate
feature (a city for house sales, carat for diamond prices) scores high out of fold because the
table memorises each of its values, and duplicated feature rows are no leak when their targets
differ. So a single column is a leak when it is near perfect on the rows whose value the
training folds never saw (it cannot have memorised them), or when the target determines it; and
test rows copied from train are a leak when rows with identical features in train share their
target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kstarter.checks._findings import Finding
from kstarter.checks._univariate import (
    bins,
    eta_squared,
    exact_bins,
    oof_predict,
    prepare_target,
    score_skill,
    skill,
    splits,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.checks._inputs import CheckInputs

__all__ = [
    "Target",
    "Twins",
    "targets",
    "describe",
    "leak_features",
    "unseen_rows",
    "order_leaks",
    "duplicates",
    "twin_agreement",
]

# a single column this good is "near-perfect" (skills: see _univariate)
NEAR_PERFECT = {"binary": 0.98, "multiclass": 0.97, "regression": 0.9}
FUNCTION_OF_TARGET = 0.98  # eta^2 of a column given the target's classes or bins
# ... or the share of the way from a category's commonest value to perfect that the target gives
# Near perfect must also hold on rows whose exact value the training folds never saw: at least
# this many of them, and this share of the rows scored. A handful of unseen rows are the extremes
# of a rounded measurement (31 of 43,152 for diamonds' carat), where any monotone column scores
# high; a leaked measurement (a noisy copy, a total computed from the target) is unseen on most.
UNSEEN_MIN_ROWS = 30
UNSEEN_MIN_SHARE = 0.2
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
    """A model column that alone predicts a target almost perfectly on rows whose value it
    never saw in training, or that the target almost determines (a copy, a bucketing, a
    post-outcome record)."""
    import numpy as np

    folds = inputs.folds
    found = []
    tgts = targets(inputs)
    for col in inputs.X_train.columns:
        values = inputs.X_train[col]
        codes = bins(values, _max_bins(len(values)))
        if len(np.unique(codes)) < 2:
            continue
        unseen = unseen_rows(exact_bins(values), folds.assignment, folds.time_ordered)
        for t in tgts:
            oof = oof_predict(codes, t.y, t.kind, t.n_classes, folds.assignment,
                              folds.time_ordered)  # fmt: skip
            s = score_skill(oof, t.y, t.kind)
            name = inputs.names.get(col, col)
            if s >= NEAR_PERFECT[t.kind]:
                held = _skill_on(oof, t, unseen)
                if held is not None and held[0] >= NEAR_PERFECT[t.kind]:
                    found.append(_alone_finding(name, t, s, *held))
                    break
            how = _determined(values, codes, t)
            if how is not None:
                found.append(_function_finding(name, t, how, s))
                break
    return found


def unseen_rows(exact: np.ndarray, assignment: np.ndarray, time_ordered: bool) -> np.ndarray:
    """Rows validated on a fold whose training rows never have the row's exact value: what a
    table of the column's values cannot have memorised."""
    import numpy as np

    out = np.zeros(len(exact), dtype=bool)
    n_values = int(exact.max()) + 1 if len(exact) else 0
    for tr, va in splits(assignment, time_ordered):
        seen = np.zeros(n_values, dtype=bool)
        seen[exact[tr]] = True
        out[va] = ~seen[exact[va]]
    return out


def _skill_on(oof: np.ndarray, t: Target, unseen: np.ndarray) -> tuple[float, int] | None:
    """The out-of-fold skill on the unseen rows and their count; None when they are too few to
    be evidence (see UNSEEN_MIN_ROWS)."""
    import numpy as np

    scored = ~np.isnan(oof if oof.ndim == 1 else oof[:, 0])
    rows = scored & unseen
    n = int(rows.sum())
    if n < max(UNSEEN_MIN_ROWS, UNSEEN_MIN_SHARE * int(scored.sum())):
        return None
    s = score_skill(oof[rows], t.y[rows], t.kind)
    return (float(s), n) if np.isfinite(s) else None


@dataclass(frozen=True)
class _Determined:
    """How much of a column the target determines: ``eta`` (a number column's variance
    explained) or ``hit`` (the share of rows whose value the target's class or bin gives, and
    ``base``, the share of its commonest value)."""

    eta: float | None = None
    hit: float | None = None
    base: float | None = None

    @property
    def numbers(self) -> dict[str, float]:
        pairs = (("eta_squared", self.eta), ("target_gives_value", self.hit),
                 ("commonest_value", self.base))  # fmt: skip
        return {k: round(v, 4) for k, v in pairs if v is not None}


def _determined(values: pd.Series, codes: np.ndarray, t: Target) -> _Determined | None:
    """The column as a function of the target, when it is almost one (FUNCTION_OF_TARGET)."""
    eta = _eta(values, t)
    if eta == eta:  # a number column and a multiclass or regression target
        return _Determined(eta=eta) if eta >= FUNCTION_OF_TARGET else None
    hit, base = _target_gives_value(codes, t)
    if base < 1 and (hit - base) / (1 - base) >= FUNCTION_OF_TARGET:
        return _Determined(hit=hit, base=base)
    return None


def _target_groups(t: Target) -> np.ndarray:
    import numpy as np

    if t.kind != "regression":
        return t.y
    return np.minimum((t.y * _TARGET_BINS).astype(int), _TARGET_BINS - 1)


_TARGET_BINS = 32


def _target_gives_value(codes: np.ndarray, t: Target) -> tuple[float, float]:
    """The share of rows whose value (bin) is the commonest one of their target class or bin,
    and the share of the column's commonest value: equal when the target says nothing about
    the column, the first 1 when the target determines it."""
    import numpy as np

    groups = _target_groups(t)
    n_codes = int(codes.max()) + 1
    cells = np.bincount(groups * n_codes + codes, minlength=(int(groups.max()) + 1) * n_codes)
    table = cells.reshape(-1, n_codes)
    n = float(len(codes))
    return float(table.max(axis=1).sum()) / n, float(table.sum(axis=0).max()) / n


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
        n_groups = int(min(_TARGET_BINS, max(2, len(x) // 30)))
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


def _alone_finding(name: str, t: Target, s: float, held: float, unseen: int) -> Finding:
    return Finding(
        check="leak_feature",
        severity="warning",
        title=f"Column {name!r} alone predicts {t.name!r} almost perfectly: "
        f"{describe(t, s)} on the folds, with no other column, and {describe(t, held, True)} "
        f"on the {unseen} rows whose value the other folds never had (so not from memorising "
        "its values).",
        meaning="A single column this good is rarely a real signal: it is usually the target "
        "leaking in (a copy or transformation of it, or something recorded after the "
        "outcome). The model will lean on it and CV will look excellent, while new data "
        "without the leak scores far lower.",
        action=_drop_advice(name),
        columns=(name,),
        numbers={"skill": round(s, 4), "skill_unseen_values": round(held, 4),
                 "unseen_rows": unseen, "target": t.name},
    )  # fmt: skip


def _function_finding(name: str, t: Target, how: _Determined, s: float) -> Finding:
    if how.eta is not None:
        said = f"the target explains {how.eta:.1%} of its variance"
    else:
        said = (
            f"the target's {'class' if t.kind != 'regression' else 'range'} gives its value "
            f"for {how.hit:.1%} of rows (its commonest value alone: {how.base:.1%})"
        )
    return Finding(
        check="leak_feature",
        severity="warning",
        title=f"Column {name!r} is almost a function of the target {t.name!r}: {said} "
        f"(alone it scores {describe(t, s)}).",
        meaning="A column that the target determines is typically derived from the target "
        "(a bucketing, a flag set after the outcome): it carries the answer into the "
        "features, and CV overstates what the model can do on test.",
        action=_drop_advice(name),
        columns=(name,),
        numbers={**how.numbers, "skill": round(s, 4), "target": t.name},
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
# Copies are a leak only when identical features mean an identical target: a train row's twins'
# target, as its prediction, must score this skill (see _univariate) over at least this many
# groups of twins. Measured: 0.99 for diamonds' repeated records; 0.32 for cps-wages, whose
# 87% twins are people who share education, experience and region but not a wage.
TWIN_AGREEMENT = 0.8
TWIN_MIN_GROUPS = 5


@dataclass(frozen=True)
class Twins:
    """Train rows with identical features: how well a row's twins' target predicts its own
    (``skill``, the worst over the targets, with ``target`` the one it is measured on), over
    ``groups`` groups of ``rows`` rows; ``same`` is the share of groups with one target."""

    skill: float
    target: Target
    groups: int
    rows: int
    same: float | None

    @property
    def agree(self) -> bool:
        return self.groups >= TWIN_MIN_GROUPS and self.skill >= TWIN_AGREEMENT

    def text(self) -> str:
        return (
            f"a twin's target predicts the row's with {describe(self.target, self.skill, True)}"
            f" ({self.groups} groups of twins)"
        )

    @property
    def numbers(self) -> dict[str, Any]:
        return {"twin_skill": round(self.skill, 4), "twin_groups": self.groups,
                "target_agreement": self.same}  # fmt: skip


def duplicates(inputs: CheckInputs) -> list[Finding]:
    """Test rows copied from train, and twins within train, when twins share their target."""
    import numpy as np
    import pandas as pd

    train_h, test_h = inputs.hashes
    twins = twin_agreement(train_h, inputs)
    if twins is None or not twins.agree:
        return []  # no evidence that identical features mean an identical target
    found = []
    in_train = pd.Index(train_h).isin(test_h) if len(test_h) else np.zeros(len(train_h), bool)
    copies = np.isin(test_h, train_h)
    n, share = int(copies.sum()), float(copies.mean()) if len(copies) else 0.0
    if n >= DUP_MIN_ROWS and share >= DUP_MIN_SHARE:
        found.append(
            Finding(
                check="duplicates",
                severity="warning" if share >= DUP_WARN_SHARE else "info",
                title=f"{n} test rows ({share:.1%}) are exact copies of train rows on every "
                f"feature column ({int(in_train.sum())} train rows are copied), and in train, "
                f"rows with identical features share their target: {twins.text()}.",
                meaning="For these rows the answer is very likely in train already: a model "
                "that memorises does well on them, and so does the public score, more than on "
                "new data. It also means the competition's data has repeated records.",
                action="Look at a few of them (same source record, or a generated copy?). "
                "Copying the train target for them is a known Kaggle trick, and a leak if the "
                "copies are accidental; at least, compare CV with and without these rows.",
                numbers={"test_copies": n, "test_share": round(share, 4), **twins.numbers},
            )  # fmt: skip
        )
    if twins.rows >= max(10, TRAIN_DUP_SHARE * len(train_h)):
        found.append(_train_duplicates(twins, len(train_h)))
    return found


def twin_agreement(h: np.ndarray, inputs: CheckInputs) -> Twins | None:
    """How much train rows with identical features (hashes ``h``) agree on their targets:
    each row in a group of twins is predicted by the mean target of the others in its group
    (class shares, or the target's ranks), scored as a skill; None without twins."""
    import numpy as np
    import pandas as pd

    codes, _ = pd.factorize(h)
    sizes = np.bincount(codes)
    twin = sizes[codes] > 1
    if not twin.any():
        return None
    worst: tuple[float, Target] | None = None
    for t in targets(inputs, inputs.full_y):
        s = score_skill(_twins_mean(codes[twin], t.y[twin], t), t.y[twin], t.kind)
        s = float(s) if np.isfinite(s) else 0.0  # one target value among twins: no evidence
        if worst is None or s < worst[0]:
            worst = (s, t)
    assert worst is not None
    return Twins(worst[0], worst[1], int((sizes > 1).sum()), int(twin.sum()),
                 _target_agreement(h, inputs.full_y))  # fmt: skip


def _twins_mean(codes: np.ndarray, y: np.ndarray, t: Target) -> np.ndarray:
    """Each row's leave-one-out mean target over its group (every group has two rows or more)."""
    import numpy as np

    if t.kind == "multiclass":
        target = np.zeros((len(y), t.n_classes))
        target[np.arange(len(y)), y] = 1.0
    else:
        target = y.astype(float).reshape(-1, 1)
    n_groups = int(codes.max()) + 1
    sums = np.stack(
        [np.bincount(codes, weights=target[:, j], minlength=n_groups)
         for j in range(target.shape[1])], axis=1,
    )  # fmt: skip
    counts = np.bincount(codes, minlength=n_groups).astype(float)
    loo = (sums[codes] - target) / (counts[codes] - 1)[:, None]
    return loo if loo.shape[1] > 1 else loo[:, 0]


def _target_agreement(h: np.ndarray, y: np.ndarray) -> float | None:
    """Among train groups of identical feature rows, the share whose target is the same."""
    import pandas as pd

    frame = pd.DataFrame({"h": h, "y": [tuple(r) for r in y] if y.ndim > 1 else y})
    sizes = frame.groupby("h")["y"].agg(["size", "nunique"])
    groups = sizes[sizes["size"] > 1]
    if groups.empty:
        return None
    return round(float((groups["nunique"] == 1).mean()), 4)


def _train_duplicates(twins: Twins, n: int) -> Finding:
    rows = twins.rows
    share = rows / n
    return Finding(
        check="duplicates",
        severity="warning" if share >= DUP_WARN_SHARE else "info",
        title=f"{rows} train rows ({share:.1%}) have an identical twin in train on every "
        f"feature column, and twins share their target: {twins.text()}.",
        meaning="Random folds put twins in training and validation, so CV partly scores "
        "memory: it will be optimistic if test rows are not twins of train rows.",
        action="Read CV as optimistic by up to the twins' share. If test rows are not "
        "twins of train rows, validate with twins kept together: give them a shared value "
        "in a column of the train file and set cv.groups to it (`kstarter train --refold`).",
        numbers={"train_rows": rows, "train_share": round(share, 4), **twins.numbers},
    )
