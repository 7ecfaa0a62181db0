"""Train/test drift by adversarial validation: a classifier tells test rows from train rows.

Train rows keep their saved fold; test rows are spread over the same number of folds. A
LightGBM classifier on the model matrices (what training sees) is cross-validated on that; its
out-of-fold AUC is about 0.5 when test is drawn like train, and the columns it splits on most
are the ones that give test away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kstarter.checks._findings import Finding
from kstarter.models import resolve_threads  # also sets OMP_WAIT_POLICY before lightgbm loads

if TYPE_CHECKING:
    from kstarter.checks._inputs import CheckInputs, CheckOptions

__all__ = ["adversarial", "drift_finding", "Adversarial"]

MIN_AUC = 0.6  # below this (or within 4 standard errors of 0.5) nothing is reported
WARN_AUC = 0.75
TOP_SHARE = 0.1  # a column with this share of the gain is named


@dataclass(frozen=True)
class Adversarial:
    auc: float  # out-of-fold AUC of telling test rows from train rows
    importance: dict[str, float]  # the user's column -> share of the classifier's gain
    rows: int
    folds: int


def adversarial(inputs: CheckInputs, options: CheckOptions) -> Adversarial | None:
    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    from kstarter.checks._univariate import auc as rank_auc

    n_tr, n_te = len(inputs.X_train), len(inputs.X_test)
    if n_tr < 20 or n_te < 20:
        return None
    X = pd.concat([inputs.X_train, inputs.X_test], ignore_index=True)
    label = np.r_[np.zeros(n_tr), np.ones(n_te)]
    k = int(inputs.folds.assignment.max()) + 1
    rng = np.random.default_rng(inputs.seed)
    train_folds = inputs.folds.assignment.copy()
    missing = train_folds < 0  # time folds: rows only ever trained on
    train_folds[missing] = rng.integers(0, k, int(missing.sum()))
    assignment = np.r_[train_folds, rng.permutation(np.arange(n_te) % k)]
    params = {
        "objective": "binary", "learning_rate": 0.1, "num_leaves": 15,
        "min_child_samples": 20, "feature_fraction": 0.9, "lambda_l2": 1.0, "verbosity": -1,
        "seed": inputs.seed, "deterministic": True, "force_row_wise": True,
        "num_threads": resolve_threads(0, *X.shape), "feature_pre_filter": False, "max_bin": 63,
    }  # fmt: skip
    full = lgb.Dataset(
        X, label=label, params={k_: params[k_] for k_ in ("verbosity", "max_bin", "seed",
                                                           "feature_pre_filter")},
        free_raw_data=False,
    ).construct()  # fmt: skip
    oof = np.full(len(X), np.nan)
    gain: dict[str, float] = {}
    for fold in range(k):
        va = np.flatnonzero(assignment == fold)
        tr = np.flatnonzero(assignment != fold)
        booster = lgb.train(
            params, full.subset(tr.tolist()), num_boost_round=options.rounds,
            valid_sets=[full.subset(va.tolist())],
            callbacks=[lgb.early_stopping(20, verbose=False), lgb.log_evaluation(0)],
        )  # fmt: skip
        best = booster.best_iteration or booster.current_iteration()
        oof[va] = booster.predict(X.iloc[va], num_iteration=best)
        for name, g in zip(
            booster.feature_name(), booster.feature_importance("gain", iteration=best), strict=True
        ):
            gain[name] = gain.get(name, 0.0) + float(g)  # fmt: skip
    total = sum(gain.values()) or 1.0
    importance = {inputs.names.get(c, c): g / total for c, g in gain.items()}
    return Adversarial(rank_auc(label, oof), importance, len(X), k)


def drift_finding(result: Adversarial, inputs: CheckInputs) -> Finding | None:
    import math

    n1, n0 = len(inputs.X_test), len(inputs.X_train)
    se = math.sqrt((n0 + n1 + 1) / (12 * n0 * n1))  # AUC's standard error when there is none
    if result.auc < max(MIN_AUC, 0.5 + 4 * se):
        return None
    top = sorted(result.importance.items(), key=lambda kv: -kv[1])
    named = [(c, s) for c, s in top if s >= TOP_SHARE][:3] or top[:1]
    reverse = {v: k for k, v in inputs.names.items()}
    parts = [f"{c} ({s:.0%} of the gain{_difference(inputs, reverse.get(c, c))})"
             for c, s in named]  # fmt: skip
    return Finding(
        check="drift",
        severity="warning" if result.auc >= WARN_AUC else "info",
        title=f"Train and test differ: a classifier tells a test row from a train row with "
        f"AUC {result.auc:.3f} ({result.folds}-fold, {result.rows} rows; 0.5 = no "
        f"difference). What gives test away: {', '.join(parts)}.",
        meaning="Test is not drawn like train, so CV on train rows measures a population the "
        "leaderboard does not score: CV and the leaderboard can disagree, most where the "
        "named columns matter.",
        action="Look at how those columns differ and why (time, another source, a changed "
        "unit). Drop or transform a column that drifts but predicts little; if the "
        "difference is time, validate on later rows (cv.time in kstarter.yaml); trust CV on "
        "the train rows most like test when choosing between models.",
        columns=tuple(c for c, _ in named),
        numbers={"auc": round(result.auc, 4),
                 "importance": {c: round(s, 4) for c, s in top[:10]}},
    )  # fmt: skip


def _difference(inputs: CheckInputs, col: str) -> str:
    """How a column differs, in a few words: medians, or the value whose share moved most."""
    import pandas as pd

    if col not in inputs.X_train.columns:
        return ""
    a, b = inputs.X_train[col], inputs.X_test[col]
    if isinstance(a.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(a):
        sa = a.astype(str).value_counts(normalize=True)
        sb = b.astype(str).value_counts(normalize=True)
        diff = sb.sub(sa, fill_value=0.0)
        value = diff.abs().idxmax()
        return f"; {value!r} is {sa.get(value, 0.0):.0%} of train, {sb.get(value, 0.0):.0%} of test"
    ma, mb = a.astype(float).median(), b.astype(float).median()
    return f"; median {_num(ma)} in train, {_num(mb)} in test"


def _num(v: float) -> str:
    return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.4g}"
