"""Tables and plots of a run: OOF and test predictions, feature importance."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["prediction_frames", "importance_frame", "plot_importance"]


def _pred_columns(spec, width: int) -> list[str]:
    if spec.task == "multitarget":
        return [f"pred_{t}" for t in spec.targets]
    if width > 1:
        return [f"pred_{c}" for c in spec.classes]
    return ["pred"]


def prediction_frames(spec, tables, cv, y: np.ndarray, folds) -> tuple[pd.DataFrame, pd.DataFrame]:
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
        {"feature": names.get(k, k), "gain_mean": float(np.mean(v)), "gain_std": float(np.std(v))}
        for k, v in importance.items()
    ]
    frame = pd.DataFrame(rows, columns=["feature", "gain_mean", "gain_std"])
    frame = frame.sort_values(["gain_mean", "feature"], ascending=[False, True], kind="stable")
    return frame.reset_index(drop=True)


def plot_importance(frame: pd.DataFrame, path: Path, title: str, top: int = 30) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = frame.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(shown) + 1.2))
    ax.barh(
        shown["feature"].astype(str), shown["gain_mean"], xerr=shown["gain_std"], color="#4c72b0"
    )
    ax.set_xlabel("total gain (mean over folds)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
