"""CV hazards: groups and time that random folds leak across, and class imbalance."""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import TYPE_CHECKING

from kstarter.checks._findings import Finding
from kstarter.checks._leaks import Target, describe, targets
from kstarter.checks._univariate import bins, exact_bins, skill

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.checks._inputs import CheckInputs
    from kstarter.metrics import Metric

__all__ = ["group_hazards", "time_hazards", "imbalance"]

GROUP_MIN_VALUES = 10  # fewer distinct values is a category, not a group id
GROUP_MAX_UNIQUE = 0.8  # of train rows: more distinct values hardly repeat
GROUP_MIN_REPEATED = 0.5  # of train rows in a value that repeats
GROUP_MIN_UNSEEN = 0.5  # of test rows whose value never occurs in train
GROUP_MIN_GAIN = 0.1  # skill random folds give over held-out groups
LATER_SHARE = 0.9  # of test rows after the last train time
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?")


def group_hazards(inputs: CheckInputs) -> list[Finding]:
    """A column whose values repeat (users, stores, patients), whose test rows are mostly new
    values, and which random folds let a model memorise."""

    spec, cv = inputs.project.spec, inputs.project.cv
    skip = {*spec.targets, spec.id, spec.sample_id, cv.groups, cv.time}
    if cv.time is not None or cv.groups is not None:
        return []  # the folds already hold groups or time apart
    found = []
    for col in inputs.full_train.columns:
        if col in skip or col not in inputs.full_test.columns:
            continue
        values = inputs.full_train[col]
        if _as_time(values) is not None:
            continue  # dates: see time_hazards
        counts = values.value_counts(dropna=True)
        n = len(values)
        if not GROUP_MIN_VALUES <= len(counts) <= GROUP_MAX_UNIQUE * n:
            continue
        repeated = float(counts[counts > 1].sum()) / n
        test_values = inputs.full_test[col].dropna()
        unseen = float((~test_values.isin(counts.index)).mean()) if len(test_values) else 0.0
        if repeated < GROUP_MIN_REPEATED or unseen < GROUP_MIN_UNSEEN:
            continue
        result = _memorisation(inputs, col)
        if result is not None:
            t, s_random, s_group = result
            found.append(_group_finding(col, len(counts), repeated, unseen, t, s_random, s_group,
                                        inputs.task))  # fmt: skip
    return found


def _memorisation(inputs: CheckInputs, col: Hashable) -> tuple[Target, float, float] | None:
    """Skill of the column's exact values on the folds vs on folds that hold whole values
    out; for numbers, exact values must also beat value ranges (a measurement is smooth,
    an id is not)."""
    import numpy as np
    import pandas as pd

    sampled = inputs.train[col]
    codes = exact_bins(sampled)
    folds = inputs.folds
    k = int(folds.assignment.max()) + 1
    rng = np.random.default_rng(inputs.seed)
    grouped = rng.permutation(int(codes.max()) + 1)[codes] % k
    numeric = pd.api.types.is_numeric_dtype(sampled) and not pd.api.types.is_bool_dtype(sampled)
    for t in targets(inputs):
        s_random = skill(codes, t.y, t.kind, t.n_classes, folds.assignment, folds.time_ordered)
        s_group = skill(codes, t.y, t.kind, t.n_classes, grouped, False)
        if not np.isfinite(s_random) or s_random - max(s_group, 0.0) < GROUP_MIN_GAIN:
            continue
        if numeric:
            ranged = bins(sampled, 32)
            s_ranged = skill(ranged, t.y, t.kind, t.n_classes, folds.assignment, False)
            if s_random - s_ranged < GROUP_MIN_GAIN / 2:
                continue
        return t, s_random, s_group
    return None


def _group_finding(
    col: Hashable,
    n_values: int,
    repeated: float,
    unseen: float,
    t: Target,
    s_random: float,
    s_group: float,
    task: str,
) -> Finding:
    splitter = "StratifiedGroupKFold" if task in ("binary", "multiclass") else "GroupKFold"
    return Finding(
        check="groups",
        severity="warning",
        title=f"Column {col!r} looks like a group (a user, store, patient...): its "
        f"{n_values} values repeat over {repeated:.0%} of train rows, {unseen:.0%} of test "
        f"rows have a value train never has, and alone it scores {describe(t, s_random)} on "
        f"random folds but {describe(t, max(s_group, 0.0))} when whole groups are held out.",
        meaning="Random folds put rows of one group in training and in validation, so CV "
        "rewards memorising groups; test is mostly new groups, where that memory is worth "
        "nothing. CV will be optimistic, and anything that identifies the group will look "
        "better than it is.",
        action=f"Validate on unseen groups: set cv.groups: {col} in kstarter.yaml (kstarter "
        f"then splits with {splitter}) and run `kstarter train --refold`; consider dropping "
        f"{col!r} itself as a feature (competition.drop).",
        columns=(str(col),),
        numbers={"values": n_values, "repeated_share": round(repeated, 4),
                 "test_unseen_share": round(unseen, 4), "skill_random_folds": round(s_random, 4),
                 "skill_group_folds": round(s_group, 4)},
    )  # fmt: skip


def _as_time(values: pd.Series) -> pd.Series | None:
    """The column as datetimes, when it holds dates (a datetime dtype or ISO date text)."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    if isinstance(values.dtype, pd.CategoricalDtype):
        return None
    head = values.dropna().astype(str).head(50)
    if head.empty or not head.map(lambda v: bool(_ISO_DATE.match(v))).all():
        return None
    parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
    return parsed if parsed.notna().mean() >= 0.9 * values.notna().mean() else None


def time_hazards(inputs: CheckInputs) -> list[Finding]:
    """A date column by which test comes after train: random folds train on the future."""
    spec, cv = inputs.project.spec, inputs.project.cv
    if cv.time is not None:
        return []
    for col in inputs.full_train.columns:
        if col in spec.targets or col not in inputs.full_test.columns:
            continue
        train_t = _as_time(inputs.full_train[col])
        if train_t is None:
            continue
        test_t = _as_time(inputs.full_test[col])
        if test_t is None or test_t.dropna().empty or train_t.dropna().empty:
            continue
        last = train_t.max()
        later = float((test_t.dropna() > last).mean())
        if later >= LATER_SHARE:
            return [_time_finding(col, train_t, test_t, later)]
    return []


def _time_finding(col: Hashable, train_t: pd.Series, test_t: pd.Series, later: float) -> Finding:
    def day(ts: pd.Timestamp) -> str:
        return ts.strftime("%Y-%m-%d")

    return Finding(
        check="time",
        severity="warning",
        title=f"Test comes after train in time: {later:.0%} of test rows are dated after the "
        f"last train row by {col!r} (train {day(train_t.min())} to {day(train_t.max())}, test "
        f"{day(test_t.min())} to {day(test_t.max())}).",
        meaning="Random folds validate on the same period they train on, with the future in "
        "training; the leaderboard asks about a later period. When anything drifts over "
        "time, CV is optimistic and picks models that do not hold up.",
        action=f"Set cv.time: {col} in kstarter.yaml and run `kstarter train --refold`: each "
        "fold then validates on rows later than the ones it trains on, as test is.",
        columns=(str(col),),
        numbers={"test_later_share": round(later, 4)},
    )


# ---------------------------------------------------------------- imbalance

BINARY_RARE = 0.10  # minority share below which a binary target counts as imbalanced
MULTICLASS_RARE = 0.05


def imbalance(inputs: CheckInputs) -> list[Finding]:
    import numpy as np

    spec = inputs.project.spec
    if spec.task not in ("binary", "multiclass"):
        return []
    counts = np.bincount(inputs.full_y.astype(int), minlength=spec.n_classes)
    shares = counts / counts.sum()
    rare = int(np.argmin(shares))
    limit = BINARY_RARE if spec.task == "binary" else MULTICLASS_RARE
    if shares[rare] >= limit:
        return []
    per_fold = int(counts[rare] // inputs.project.cv.n_splits)
    name = spec.classes[rare]
    majority = float(shares.max())
    return [
        Finding(
            check="imbalance",
            severity="info",
            title=f"The classes are imbalanced: class {name!r} is {shares[rare]:.1%} of train "
            f"({counts[rare]} rows, about {per_fold} per validation fold); the largest class "
            f"is {majority:.1%}.",
            meaning=_metric_text(inputs.metric, majority, shares),
            action="Keep the folds stratified (kstarter's default for classes) and judge scores "
            "against the baseline above; watch the fold-to-fold spread, since few rare rows "
            "per fold make each fold's score noisy.",
            numbers={
                "rare_share": round(float(shares[rare]), 4),
                "shares": [round(float(s), 4) for s in shares],
            },
        )  # fmt: skip
    ]


def _metric_text(metric: Metric, majority: float, shares: np.ndarray) -> str:
    """The metric's own advice from the table, or a general word when its entry has none."""
    import numpy as np

    prior_loss = float(-(shares * np.log(np.clip(shares, 1e-15, 1))).sum())
    return metric.advice_on_imbalance(majority, prior_loss) or (
        f"Check what the metric does with the imbalance; the largest class is "
        f"{majority:.1%} of the rows."
    )
