"""``kstarter check``: the classic first-competition mistakes, found before they cost a week.

Each check looks at the project's data as training sees it (the model matrices after
``features.py``, the saved folds) and reports a :class:`Finding` only when there is something
to act on, with the numbers behind it:

- drift: adversarial validation, a classifier telling test rows from train rows;
- leaks: a column that alone predicts the target almost perfectly or that the target
  determines, an id or row order that predicts the target, test rows copied from train;
- CV hazards: a group-like column or a time order that random folds leak across;
- class imbalance, and what the competition's metric does with it.

``run_check(dir)`` runs them all; ``run_check(dir, BRIEF)`` caps the rows and the rounds for
the summary at the end of ``kstarter init``. A check never writes folds.csv; it keeps its
latest findings in ``.kstarter/check.json``, which every run's report shows (a training does
not run the check again: at a million rows that would re-read the CSVs).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from kstarter import paths
from kstarter.checks._findings import SEVERITIES, CheckReport, Finding, brief_lines, report_lines
from kstarter.checks._inputs import BRIEF, CheckOptions

if TYPE_CHECKING:
    from kstarter.checks._drift import Adversarial
    from kstarter.config import Project

__all__ = [
    "SEVERITIES",
    "BRIEF",
    "CheckOptions",
    "CheckReport",
    "Finding",
    "run_check",
    "check_project",
    "report_lines",
    "brief_lines",
    "saved_report",
]


def run_check(
    project_dir: Path | str | None = None, options: CheckOptions | None = None
) -> CheckReport:
    """Every check on the project in ``project_dir``; a :class:`CheckReport`."""
    from kstarter.config import load_project

    return check_project(load_project(project_dir), options)


def check_project(project: Project, options: CheckOptions | None = None) -> CheckReport:
    """Every check on a loaded project (see the module's docstring for what they look at)."""
    from kstarter.checks import _drift, _hazards, _leaks
    from kstarter.checks._inputs import load_inputs

    options = options or CheckOptions()
    started = time.perf_counter()
    inputs = load_inputs(project, options)
    findings: list[Finding] = []
    adv = _drift.adversarial(inputs, options)
    if adv is not None:
        drift = _drift.drift_finding(adv, inputs)
        findings += [drift] if drift is not None else []
    findings += _leaks.leak_features(inputs)
    findings += _leaks.order_leaks(inputs)
    findings += _leaks.duplicates(inputs)
    findings += _hazards.group_hazards(inputs)
    findings += _hazards.time_hazards(inputs)
    findings = _explain_drift(findings, adv)
    findings += _hazards.imbalance(inputs)
    checked = ("drift", "leak_feature", "id_leak", "row_order", "duplicates", "groups", "time",
               "imbalance")  # fmt: skip
    skipped = () if adv is not None else ("drift: fewer than 20 train or test rows",)
    report = CheckReport(
        findings=tuple(findings),
        train_rows=len(inputs.X_train),
        test_rows=len(inputs.X_test),
        sampled=inputs.sampled,
        folds=inputs.folds_source,
        adversarial_auc=None if adv is None else round(adv.auc, 4),
        checked=checked,
        skipped=skipped,
        seconds=round(time.perf_counter() - started, 2),
    )
    _save(project, report)
    return report


def _save(project: Project, report: CheckReport) -> None:
    import json

    from kstarter.atomic import atomic_write_text
    from kstarter.errors import disk_error, warn

    path = project.path(paths.CHECK)
    try:
        atomic_write_text(path, json.dumps(report.to_dict(), indent=2, default=str))
    except OSError as exc:  # a read-only or full disk: the findings are still shown
        warn(f"{disk_error(exc, path)} (The findings below are not kept for the runs' reports.)")


def saved_report(project_root: Path) -> CheckReport | None:
    """The findings of the latest check on this project, if one ran."""
    import json

    path = Path(project_root) / paths.CHECK
    if not path.is_file():
        return None
    return CheckReport.from_dict(json.loads(path.read_text()))


def _explain_drift(findings: list[Finding], adv: Adversarial | None) -> list[Finding]:
    """New groups or a later period in test also let a classifier tell test apart: when
    those columns carry most of its gain, the drift is that finding's, not a second one."""
    from dataclasses import replace

    drift = next((f for f in findings if f.check == "drift"), None)
    if drift is None or adv is None:
        return findings
    for f in findings:
        if f.check in ("groups", "time"):
            share = sum(
                v for k, v in adv.importance.items() if any(_part_of(k, c) for c in f.columns)
            )
            if share >= 0.5:
                numbers = {**f.numbers, "adversarial_auc": drift.numbers["auc"]}
                title = (
                    f"{f.title} (It is also what tells test rows from train rows: adversarial "
                    f"AUC {drift.numbers['auc']:.3f}, {share:.0%} of the gain.)"
                )
                merged = replace(f, title=title, numbers=numbers)
                return [merged if g is f else g for g in findings if g is not drift]
    return findings


def _part_of(feature: str, column: str) -> bool:
    """A model column made from a raw column: itself, or one of its parts (``date_year``)."""
    return feature == column or feature.startswith(f"{column}_")
