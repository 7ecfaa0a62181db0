"""Tables and plots of a run (OOF and test predictions, feature importance) and of the
ledger of runs (CV against the leaderboard)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from kstarter import paths
from kstarter.errors import ConfigError
from kstarter.runs._ledger import RunRecord, list_runs

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.axes import Axes

    from kstarter.crossval import CVResult
    from kstarter.folds import Folds
    from kstarter.prepare import Tables
    from kstarter.spec import Spec

# importance.csv's columns: each family's own measure (LightGBM's total gain, linear's sum of
# |coefficient|, ...; ``kstarter.models.family_terms`` names it), its mean and spread over folds
MEAN, STD = "importance_mean", "importance_std"

__all__ = [
    "read_importance",
    "prediction_frames",
    "importance_frame",
    "plot_importance",
    "LedgerPlot",
    "plot_ledger",
]


def _pred_columns(spec: Spec, width: int) -> list[str]:
    if spec.task == "multitarget":
        return [f"pred_{t}" for t in spec.targets]
    if width > 1:
        return [f"pred_{c}" for c in spec.classes]
    return ["pred"]


def prediction_frames(
    spec: Spec, tables: Tables, cv: CVResult, y: np.ndarray, folds: Folds
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run's oof.csv and test_pred.csv: row, id, fold and target, then the raw predictions."""
    import pandas as pd

    oof = pd.DataFrame({"row": range(len(y))})
    if spec.id is not None and spec.id in tables.train.columns:
        oof[spec.id] = tables.train[spec.id].to_numpy()
    oof["fold"] = folds.assignment
    for t in spec.targets:
        oof[t] = tables.train[t].to_numpy()
    raw = cv.oof.reshape(len(y), -1)
    for j, col in enumerate(_pred_columns(spec, raw.shape[1])):
        oof[col] = raw[:, j]
    test = pd.DataFrame({"row": range(len(tables.test))})
    if spec.id is not None:
        test[spec.id] = tables.test[spec.id].to_numpy()
    traw = cv.test.reshape(len(tables.test), -1)
    for j, col in enumerate(_pred_columns(spec, traw.shape[1])):
        test[col] = traw[:, j]
    return oof, test


def importance_frame(importance: dict[str, list[float]], names: dict[str, Any]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    rows = [
        {"feature": names.get(k, k), MEAN: float(np.mean(v)), STD: float(np.std(v))}
        for k, v in importance.items()
    ]
    frame = pd.DataFrame(rows, columns=["feature", MEAN, STD])
    frame = frame.sort_values([MEAN, "feature"], ascending=[False, True], kind="stable")
    return frame.reset_index(drop=True)


def read_importance(frame: pd.DataFrame) -> pd.DataFrame:
    """importance.csv as read: older runs named its columns gain_mean and gain_std."""
    return frame.rename(columns={"gain_mean": MEAN, "gain_std": STD})


def plot_importance(
    frame: pd.DataFrame, path: Path, title: str, measure: str, top: int = 30
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = frame.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(shown) + 1.2))
    ax.barh(shown["feature"].astype(str), shown[MEAN], xerr=shown[STD], color="#4c72b0")
    ax.set_xlabel(f"{measure} (mean over folds)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


@dataclass(frozen=True)
class LedgerPlot:
    path: Path
    points: int  # runs with a public score
    pearson: float | None  # None below three points, or when either score is constant
    spearman: float | None


def plot_ledger(root: Path, private: bool = False, path: Path | None = None) -> LedgerPlot:
    """A PNG of CV against the public score over the scored runs, with their correlation:
    when the public score climbs and CV does not, the public board is being overfitted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kstarter.atomic import atomic_write_bytes

    runs = list_runs(root)
    scored = [(r, p) for r in runs if (p := _scored_point(r)) is not None]
    if not scored:
        raise ConfigError(
            "No run has a public score yet: submit one with `kstarter submit -m MESSAGE`, "
            "then plot CV against the public score."
        )
    cv = [p[0] for _, p in scored]
    public = [p[1] for _, p in scored]
    priv = [p[2] for _, p in scored] if private else []
    pearson, spearman = _correlations(cv, public)
    metric = scored[0][0].metrics.metric
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    _scatter(left, cv, public, priv, metric, pearson, spearman)
    lower = scored[0][0].metrics.direction == "minimize"
    _timeline(right, [r.id for r, _ in scored], cv, public, priv, metric, lower)
    fig.tight_layout()
    out = path or root / paths.LEDGER_PNG
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(out, buf.getvalue())
    return LedgerPlot(out, len(scored), pearson, spearman)


def _scored_point(run: RunRecord) -> tuple[float, float, float | None] | None:
    """A run's CV, public and private score, when it has a CV and a public score."""
    cv, entry = run.metrics.cv_mean, run.latest_scored
    if entry is None or not _number(cv) or not _number(entry.public):
        return None
    return float(cv), float(entry.public), entry.private


def _number(v: object) -> TypeGuard[float]:
    """A finite number (not a bool): something to plot."""
    import math

    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _correlations(a: list[float], b: list[float]) -> tuple[float | None, float | None]:
    import numpy as np

    if len(a) < 3 or np.std(a) == 0 or np.std(b) == 0:
        return None, None
    import pandas as pd

    pearson = float(np.corrcoef(a, b)[0, 1])
    spearman = float(pd.Series(a).corr(pd.Series(b), method="spearman"))
    return pearson, spearman


def _scatter(
    ax: Axes,
    cv: list[float],
    public: list[float],
    private: list[float | None],
    metric: str,
    pearson: float | None,
    spearman: float | None,
) -> None:
    ax.scatter(cv, public, color="#4c72b0", label="public", zorder=3)
    for i, (x, y) in enumerate(zip(cv, public, strict=True)):
        ax.annotate(str(i + 1), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    if private and any(_number(p) for p in private):
        pts = [(x, p) for x, p in zip(cv, private, strict=True) if _number(p)]
        ax.scatter(*zip(*pts, strict=True), color="#dd8452", marker="s", label="private", zorder=3)
    lo = min(min(cv), min(public))
    hi = max(max(cv), max(public))
    ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, ls="--", label="CV = LB")
    corr = "n/a (fewer than 3 runs)" if pearson is None else f"{pearson:.2f}"
    if spearman is not None:
        corr += f", Spearman {spearman:.2f}"
    ax.set_title(f"CV vs leaderboard ({metric}); Pearson r = {corr}", fontsize=10)
    ax.set_xlabel(f"CV {metric} (mean over folds)")
    ax.set_ylabel(f"leaderboard {metric}")
    ax.legend(fontsize=8)


def _timeline(
    ax: Axes,
    ids: list[str],
    cv: list[float],
    public: list[float],
    private: list[float | None],
    metric: str,
    lower_is_better: bool,
) -> None:
    """Scores over submitted runs. The y label says which way is better, so "improving" reads
    right for a loss (falling) as for a score (rising)."""
    x = list(range(1, len(ids) + 1))
    ax.plot(x, cv, marker="o", label="CV", color="#55a868")
    ax.plot(x, public, marker="o", label="public", color="#4c72b0")
    if private and any(_number(p) for p in private):
        ax.plot(x, [p if _number(p) else float("nan") for p in private], marker="s",
                label="private", color="#dd8452")  # fmt: skip
    ax.set_xticks(x)
    ax.set_xlabel("submitted run (oldest first; numbers as on the left)")
    ax.set_ylabel(f"{metric} ({'lower' if lower_is_better else 'higher'} is better)")
    ax.set_title("over runs: public improving while CV does not = overfitting the board",
                 fontsize=10)  # fmt: skip
    ax.legend(fontsize=8)
