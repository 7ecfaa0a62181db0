"""``runs/<run>/report.html``: one self-contained page per run, readable offline.

The fold scores, the out-of-fold predictions against the target (a calibration curve for
probabilities, predicted vs actual and residuals for numbers, a confusion matrix for labels),
the feature importance, and what ``kstarter check`` finds in the data. Plots are PNGs embedded
as base64, so the file can be mailed, archived or opened from a laptop with no network.

Everything is read from the run folder itself (``metrics.json``, ``config.yaml``, ``oof.csv``,
``importance.csv``, ``submissions.json``), so a report can be written for any run, old or new,
including blends.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter import __version__
from kstarter.atomic import atomic_write_text
from kstarter.errors import MetricError
from kstarter.paths import RunFiles
from kstarter.runs._record import RunMetrics, read_metrics, read_submissions

if TYPE_CHECKING:
    from types import ModuleType

    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure

    from kstarter.checks import CheckReport
    from kstarter.config import Project
    from kstarter.spec import Spec

__all__ = ["write_report"]

_MAX_POINTS = 5000  # scatter points drawn (a fixed sample beyond this)


def write_report(
    run_dir: Path,
    project: Project | None = None,
    check: CheckReport | None = None,
    run_checks: bool = True,
    run_id: str | None = None,
) -> Path:
    """Write ``run_dir/report.html`` and return its path.

    ``check``: findings to show; when None and ``run_checks``, the latest saved findings of a
    check on ``project`` (the folder above ``runs/`` when not given; `kstarter init` and
    `kstarter check` save them). Missing findings are shown as such, never raised: the report
    is advice about a finished run.
    ``run_id`` defaults to the folder's name up to its first dot, so a staging folder
    ``<run-id>.<pid>.<random>`` is named like the run it becomes.
    """
    import jinja2

    from kstarter.resources import templates_dir

    run_dir = Path(run_dir)
    metrics = read_metrics(run_dir / RunFiles.METRICS)
    spec = _spec(run_dir)
    oof = _read(run_dir / RunFiles.OOF)
    check_error = None
    if check is None and run_checks:
        check, check_error = _check(run_dir, project)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / "report")),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
    )
    context = _context(run_dir, metrics, spec, oof, check, check_error)
    context["run_id"] = run_id or run_dir.name.split(".", 1)[0]
    html = env.get_template("run.html.j2").render(**context)
    path = run_dir / RunFiles.REPORT
    atomic_write_text(path, html)
    return path


def _spec(run_dir: Path) -> Spec:
    import yaml

    from kstarter.spec import Spec

    raw = yaml.safe_load((run_dir / RunFiles.CONFIG).read_text(encoding="utf-8")) or {}
    return Spec.from_dict(raw.get("competition") or {})


def _read(path: Path) -> pd.DataFrame | None:
    import pandas as pd

    return pd.read_csv(path) if path.is_file() else None


def _check(run_dir: Path, project: Project | None) -> tuple[CheckReport | None, str | None]:
    """The latest check's findings (init's brief check, or `kstarter check`): running the
    check here would re-read the raw data at the end of every training."""
    from kstarter.checks import saved_report

    root = project.root if project is not None else run_dir.parent.parent
    try:
        report = saved_report(root)
    except (ValueError, TypeError, KeyError) as exc:
        return None, f"the saved check findings are unreadable ({exc}); run `kstarter check`"
    if report is None:
        return None, "no check has run on this project yet: run `kstarter check`"
    return report, None


def _context(
    run_dir: Path,
    metrics: RunMetrics,
    spec: Spec,
    oof: pd.DataFrame | None,
    check: CheckReport | None,
    check_error: str | None,
) -> dict[str, Any]:
    import pandas as pd

    imp = _read(run_dir / RunFiles.IMPORTANCE)
    submissions = read_submissions(run_dir / RunFiles.SUBMISSIONS)
    n_folds = len(metrics.fold_scores)
    iterations = metrics.best_iterations
    seconds = metrics.fold_seconds
    folds = [
        {
            "fold": k + 1,
            "score": s,
            "iteration": iterations[k] if k < len(iterations) else "",
            "seconds": seconds[k] if k < len(seconds) else 0.0,
        }
        for k, s in enumerate(metrics.fold_scores)
    ]
    oof_images, caption = _oof_images(spec, metrics, oof)
    from kstarter.models import family_terms
    from kstarter.runs._plots import read_importance

    imp = read_importance(imp) if isinstance(imp, pd.DataFrame) else imp
    importance = imp.head(30).to_dict("records") if isinstance(imp, pd.DataFrame) else []
    measure, has_rounds = family_terms(metrics.model)
    return {
        "version": __version__,
        "title": spec.title or spec.name,
        "metrics": metrics,
        "rows": metrics.rows or (len(oof) if oof is not None else 0),
        "folds": folds,
        "iterations": has_rounds and bool(iterations) and any(iterations),
        "fold_seconds": bool(seconds),
        "images": {
            "folds": _fold_plot(metrics, n_folds),
            "oof": oof_images,
            "importance": (
                _importance_image(run_dir, imp, measure) if importance and imp is not None else None
            ),
        },
        "oof_caption": caption,
        "importance": importance,
        "importance_label": measure,
        "members": list(metrics.members or ()),
        "findings": list(check.findings) if check is not None else [],
        "check_clean": _clean_text(check),
        "check_error": check_error,
        "check_note": _check_note(check),
        "submissions": submissions,
        "params": json.dumps(metrics.params, indent=2, default=str),
    }


def _clean_text(check: CheckReport | None) -> str:
    if check is None:
        return ""
    auc = check.adversarial_auc
    drift = f"train and test look alike (adversarial AUC {auc:.3f}); " if auc is not None else ""
    return f"{drift}no leak, no duplicate rows, no CV hazard found"


def _check_note(check: CheckReport | None) -> str:
    if check is None:
        return ""
    sample = "a sample of " if check.sampled else ""
    return (
        f"`kstarter check` on {sample}{check.train_rows} train and {check.test_rows} test rows "
        f"when this report was written; run it again after changing features.py or the data."
    )


# ---------------------------------------------------------------- plots


def _png(fig: Figure) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _pyplot() -> ModuleType:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _fold_plot(metrics: RunMetrics, n_folds: int) -> str:
    plt = _pyplot()
    scores = list(metrics.fold_scores)
    fig, ax = plt.subplots(figsize=(7, 2.8))
    x = list(range(1, n_folds + 1))
    ax.bar(x, scores, color="#4c72b0")
    if scores:
        ax.axhline(metrics.cv_mean, color="#dd8452", lw=1.2, label="CV mean")
        lo, hi = min(scores), max(scores)
        pad = (hi - lo) * 0.5 or abs(hi) * 0.05 or 0.05
        ax.set_ylim(lo - pad, hi + pad)
        ax.legend(fontsize=8)
    ax.set_xticks(x)
    ax.set_xlabel("fold")
    ax.set_ylabel(str(metrics.metric))
    ax.set_title("score of each validation fold")
    return _png(fig)


def _importance_image(run_dir: Path, imp: pd.DataFrame, measure: str) -> str:
    """The run's own importance.png when it has one (the run writer draws it just before the
    report): the same picture, not drawn a second time (a quarter of a second of every run)."""
    png = run_dir / RunFiles.IMPORTANCE_PNG
    if png.is_file():
        return base64.b64encode(png.read_bytes()).decode("ascii")
    return _importance_plot(imp, measure)


def _importance_plot(imp: pd.DataFrame, measure: str) -> str:
    from kstarter.runs._plots import MEAN, STD

    plt = _pyplot()
    shown = imp.head(25).iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(shown) + 1.2))
    ax.barh(shown["feature"].astype(str), shown[MEAN], xerr=shown[STD], color="#4c72b0")
    ax.set_xlabel(f"{measure} (mean over folds)")
    ax.set_title("feature importance")
    return _png(fig)


def _img(alt: str, data: str) -> dict[str, str]:
    return {"alt": alt, "data": data}


def _binary_columns(metric_name: Any) -> bool:
    """Whether the run's metric sees each target column as a binary label (mean column-wise
    AUC): its columns are then drawn as calibration curves, not as predicted vs actual. A run
    whose metric the table no longer knows is drawn as numbers."""
    from kstarter.metrics import get_metric

    if not isinstance(metric_name, str):
        return False
    try:
        return get_metric(metric_name).target_kind("multitarget") == "binary"
    except MetricError:
        return False


def _oof_images(
    spec: Spec, metrics: RunMetrics, oof: pd.DataFrame | None
) -> tuple[list[dict], str]:
    import numpy as np

    from kstarter.competition import encode_target
    from kstarter.metrics import Decision

    if oof is None:
        return [], "This run has no oof.csv."
    pred_cols = [c for c in oof.columns if str(c).startswith("pred")]
    valid = oof["fold"].to_numpy() >= 0
    y = encode_target(spec, oof[list(spec.targets)])[valid]
    raw = oof[pred_cols].to_numpy(dtype=float)[valid]
    decision = Decision.from_dict(metrics.decision or {})
    if spec.task == "multitarget":
        binary = _binary_columns(metrics.metric)
        images = []
        for j, target in enumerate(spec.targets[:4]):
            if binary:
                images.append(
                    _img(
                        f"{target}: calibration",
                        _calibration(y[:, j].astype(int), raw[:, j], f"{target}: "),
                    )
                )
            else:
                images.append(
                    _img(
                        f"{target}: predicted vs actual and residuals",
                        _regression(y[:, j], raw[:, j], f"{target}: "),
                    )
                )
        return images, "Each target column against its out-of-fold prediction."
    if spec.task == "regression":
        return [_img("predicted vs actual and residuals", _regression(y, raw[:, 0], ""))], (
            "Predicted against actual (the diagonal is perfect) and the residuals, actual "
            "minus predicted, against the prediction: a trend or a funnel is something the "
            "model misses."
        )
    if spec.task == "binary":
        names = (f"actual {spec.classes[0]}", f"actual {spec.classes[1]}")
        images = [_img("calibration", _calibration(y, raw[:, 0], "", names))]
        if decision.kind != "none":
            labels = decision.apply(raw[:, 0])
            images.append(_img("confusion matrix", _confusion(y, labels, spec.classes)))
        return images, (
            "Calibration: the observed share of the positive class against the predicted "
            "probability, in bins of equal size (the diagonal is perfectly calibrated), and "
            "how the predictions spread for each class."
            + (" Then the confusion matrix of the fitted decision." if images[1:] else "")
        )
    if raw.shape[1] == 1:  # multiclass on a continuous class index (rounding decision)
        labels = decision.apply(raw[:, 0])
        return [_img("class index: predicted vs actual and residuals",
                     _regression(y.astype(float), raw[:, 0], "class index: ")),
                _img("confusion matrix", _confusion(y, labels, spec.classes))], (
            "The continuous prediction of the class index against the true class, and the "
            "confusion matrix after the cut points fitted on OOF."
        )  # fmt: skip
    labels = decision.apply(raw) if decision.kind != "none" else np.argmax(raw, axis=1)
    confidence = raw.max(axis=1)
    correct = (np.argmax(raw, axis=1) == y).astype(int)
    return [_img("top class: calibration",
                 _calibration(correct, confidence, "top class: ", ("wrong", "right"))),
            _img("confusion matrix", _confusion(y, labels, spec.classes))], (
        "Calibration of the most probable class (its probability against how often it is "
        "right), and the confusion matrix of the predicted classes."
    )  # fmt: skip


def _calibration(
    y: np.ndarray, p: np.ndarray, prefix: str, names: tuple[str, str] = ("target 0", "target 1")
) -> str:
    import numpy as np

    plt = _pyplot()
    order = np.argsort(p, kind="stable")
    n_bins = int(min(15, max(3, len(p) // 30)))
    chunks = np.array_split(order, n_bins)
    mean_p = [float(p[c].mean()) for c in chunks if len(c)]
    observed = [float(y[c].mean()) for c in chunks if len(c)]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.plot([0, 1], [0, 1], ls="--", color="grey", lw=0.8, label="perfect")
    left.plot(mean_p, observed, marker="o", color="#4c72b0", label="out-of-fold")
    left.set_xlabel("predicted probability (bin mean)")
    left.set_ylabel("observed share")
    left.set_title(f"{prefix}calibration")
    left.legend(fontsize=8)
    # each group as a share of its own rows, so a rare class (or the few wrong rows of a good
    # model) is as visible as the common one; wrong in red, right in green
    colors = ("#c44e52", "#55a868") if names == ("wrong", "right") else ("#4c72b0", "#dd8452")
    for cls, color in ((0, colors[0]), (1, colors[1])):
        group = p[y == cls]
        if len(group):
            right.hist(group, bins=30, range=(0, 1), alpha=0.6, color=color,
                       weights=np.full(len(group), 1 / len(group)),
                       label=f"{names[cls]} ({len(group)} rows)")  # fmt: skip
    right.set_xlabel("predicted probability")
    right.set_ylabel("share of the group's rows")
    right.set_title(f"{prefix}predictions by true value")
    right.legend(fontsize=8)
    return _png(fig)


def _regression(y: np.ndarray, pred: np.ndarray, prefix: str) -> str:
    import numpy as np

    plt = _pyplot()
    if len(y) > _MAX_POINTS:
        keep = np.random.default_rng(0).choice(len(y), _MAX_POINTS, replace=False)
        y, pred = y[keep], pred[keep]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.scatter(pred, y, s=6, alpha=0.4, color="#4c72b0")
    lo, hi = float(min(y.min(), pred.min())), float(max(y.max(), pred.max()))
    left.plot([lo, hi], [lo, hi], ls="--", color="grey", lw=0.8)
    left.set_xlabel("predicted (out-of-fold)")
    left.set_ylabel("actual")
    left.set_title(f"{prefix}predicted vs actual")
    right.scatter(pred, y - pred, s=6, alpha=0.4, color="#dd8452")
    right.axhline(0, color="grey", lw=0.8)
    right.set_xlabel("predicted (out-of-fold)")
    right.set_ylabel("residual (actual - predicted)")
    right.set_title(f"{prefix}residuals")
    return _png(fig)


def _confusion(y: np.ndarray, labels: np.ndarray, classes: tuple[Any, ...]) -> str:
    import numpy as np

    plt = _pyplot()
    k = max(len(classes), int(max(y.max(), labels.max())) + 1)
    matrix = np.zeros((k, k), dtype=int)
    np.add.at(matrix, (y.astype(int), labels.astype(int)), 1)
    names = [str(c) for c in classes] if len(classes) == k else [str(i) for i in range(k)]
    size = min(9.0, max(4.5, 2.5 + 0.45 * k))
    fig, ax = plt.subplots(figsize=(size, size * 0.85))
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if shares[i, j] > 0.6 else "black")  # fmt: skip
    ax.set_xticks(range(k), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    ax.set_title("confusion matrix (out-of-fold)")
    return _png(fig)
