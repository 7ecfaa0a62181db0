"""A finished blend written as a run (``runs/<id>-blend/``, atomically, with its submission), and
what ``kstarter blend`` prints about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kstarter.blend._members import Inputs, skipped_text
from kstarter.paths import RunFiles
from kstarter.runs import Member, RunMetrics, RunOutput, save_run

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from kstarter.config import Project
    from kstarter.metrics import Decision, Metric

__all__ = ["Blended", "BlendResult", "summary_lines", "write_blend"]


@dataclass(frozen=True)
class BlendResult:
    run_id: str
    path: Path
    metrics: RunMetrics  # metrics.nested_cv_mean etc.: the nested estimate of a fitted method
    members: tuple[Member, ...]
    skipped: tuple[tuple[str, str], ...] = ()  # (run, why) when the runs were not named
    picked: bool = False  # the runs were every eligible run of the project


# What the nested estimate held out, by method.
_NESTED_WHY = {
    "weights": "the weights fitted without the fold they score",
    "hillclimb": "the selection made without the fold it scores",
    "stack": "the stacker fitted without the fold it scores",
}


@dataclass(frozen=True)
class Blended:
    """A blend's record and predictions, ready to be written as a run."""

    metrics: RunMetrics
    oof: np.ndarray
    test: np.ndarray
    decision: Decision


def write_blend(project: Project, metric: Metric, inputs: Inputs, b: Blended) -> Path:
    """Everything into a staging folder, then one rename: a killed blend leaves nothing."""
    output = RunOutput(
        metrics=b.metrics,
        oof=_with_preds(inputs.oof, inputs.pred_cols, b.oof),
        test_pred=_with_preds(inputs.test, inputs.pred_cols, b.test),
        submission=_submission(project, metric, inputs, b),
        log_name=RunFiles.BLEND_LOG,
        log_text=_log_text(b.metrics),
    )
    return save_run(project, _new_run_id(project), output)


def _new_run_id(project: Project) -> str:
    base = f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-blend"
    run_id, n = base, 2
    while (project.runs_dir / run_id).exists():
        run_id, n = f"{base}-{n}", n + 1
    return run_id


def _submission(project: Project, metric: Metric, inputs: Inputs, b: Blended) -> pd.DataFrame:
    """The blended test predictions as a submission exactly like the sample, validated."""
    from kstarter.competition import build_submission, test_positions, validate_submission
    from kstarter.prepare import read_sample

    spec = project.spec
    sample = read_sample(project)  # its ids as text: the submission copies them verbatim
    sample_raw = b.test[test_positions(spec, sample, inputs.test)]
    submission = build_submission(spec, metric, sample, sample_raw, b.decision)
    validate_submission(submission, sample, spec)
    return submission


def _with_preds(frame: pd.DataFrame, cols: list[str], values: np.ndarray) -> pd.DataFrame:
    out = frame.copy()
    values = values.reshape(len(out), -1)
    for j, col in enumerate(cols):
        out[col] = values[:, j]
    return out


def _log_text(m: RunMetrics) -> str:
    lines = [f"{m.created}  blend ({m.blend_method})  folds {m.folds_hash}"]
    for member in m.members or ():
        lines.append(
            f"member {member.run}: weight {member.weight:.4f}  CV {member.cv_mean:.6f} "
            f"± {member.cv_std:.6f}  OOF {member.oof_score:.6f}"
        )
    for k, s in enumerate(m.fold_scores):
        lines.append(f"fold {k + 1}: {m.metric} {s:.6f}")
    lines.append(f"CV {m.cv_mean:.6f} ± {m.cv_std:.6f}  OOF {m.oof_score:.6f}  {m.seconds} s")
    if m.nested_cv_mean is not None:
        for k, s in enumerate(m.nested_fold_scores):
            lines.append(f"nested fold {k + 1}: {m.metric} {s:.6f}")
        lines.append(
            f"nested CV {m.nested_cv_mean:.6f} ± {m.nested_cv_std:.6f}  "
            f"OOF {m.nested_oof_score:.6f}  ({_NESTED_WHY.get(m.blend_method or '', '')})"
        )
    return "\n".join(lines) + "\n"


def summary_lines(result: BlendResult) -> list[str]:
    """What `kstarter blend` prints: the runs taken, each member against the blend on the same
    folds, and a fitted blend's nested estimate beside its plain CV."""
    m = result.metrics
    sign = 1.0 if m.direction == "maximize" else -1.0
    best = max((x.oof_score for x in result.members), key=lambda v: sign * v)
    gain = sign * (m.oof_score - best)
    if abs(gain) < 5e-6:
        versus = "OOF the same as the best member's"
    else:
        versus = f"OOF {abs(gain):.5f} {'better' if gain > 0 else 'worse'} than the best member"
    lines = []
    if result.picked:
        skipped = (
            f"; skipped {len(result.skipped)}: {skipped_text(result.skipped)}"
            if result.skipped
            else "; none skipped"
        )
        lines.append(f"Took every eligible run ({len(result.members)}){skipped}")
    weight = "share" if m.blend_method == "stack" else "weight"
    lines += [
        f"Blend {result.run_id}: {m.blend_method} of {len(result.members)} runs on "
        f"folds {m.folds_hash}, {m.metric} ({m.direction})",
        f"  {'run':<30} {weight:>7} {'CV mean ± std':>22} {'OOF':>9}",
    ]
    for x in result.members:
        cv = f"{x.cv_mean:.5f} ± {x.cv_std:.5f}"
        lines.append(f"  {x.run:<30} {x.weight:>7.3f} {cv:>22} {x.oof_score:>9.5f}")
    cv = f"{m.cv_mean:.5f} ± {m.cv_std:.5f}"
    lines.append(f"  {'blend':<30} {'':>7} {cv:>22} {m.oof_score:>9.5f}  ({versus})")
    rows = [*((x.run, x.fold_scores) for x in result.members), ("blend", m.fold_scores)]
    if m.nested_cv_mean is not None and m.nested_oof_score is not None:
        cv = f"{m.nested_cv_mean:.5f} ± {m.nested_cv_std:.5f}"
        why = _NESTED_WHY.get(m.blend_method or "", "fitted without the fold it scores")
        lines.append(f"  {'blend, nested CV':<30} {'':>7} {cv:>22} {m.nested_oof_score:>9.5f}"
                     f"  ({why})")  # fmt: skip
        rows.append(("blend, nested", m.nested_fold_scores))
    folds = range(1, len(m.fold_scores) + 1)
    lines.append(f"  {'fold':<30} " + " ".join(f"{k:>9}" for k in folds))
    for name, scores in rows:
        lines.append(f"  {name:<30} " + " ".join(f"{s:>9.5f}" for s in scores))
    lines.append(f"Submission: {result.path / RunFiles.SUBMISSION} (matches the sample)")
    return lines
