"""What a check reports: findings as data, and the lines a person reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["SEVERITIES", "Finding", "CheckReport", "report_lines", "brief_lines"]

# warning: likely to cost you (a leak, a split that lies); info: worth knowing, acts on nothing
SEVERITIES = ("warning", "info")


@dataclass(frozen=True)
class Finding:
    """One thing a check found, with the numbers behind it.

    ``check`` names the check (drift, id_leak, row_order, leak_feature, duplicates, groups,
    time, imbalance); ``title`` is one sentence with the numbers; ``meaning`` says why it
    matters and ``action`` what to do about it.
    """

    check: str
    severity: str
    title: str
    meaning: str
    action: str
    columns: tuple[str, ...] = ()
    numbers: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["columns"] = list(self.columns)
        d["numbers"] = dict(self.numbers)
        return d


@dataclass(frozen=True)
class CheckReport:
    findings: tuple[Finding, ...]
    train_rows: int  # rows the checks used (a sample in the brief check)
    test_rows: int
    sampled: bool
    folds: str  # "folds.csv" or how the folds were made for the check
    adversarial_auc: float | None
    checked: tuple[str, ...]  # the checks that ran
    skipped: tuple[str, ...] = ()  # "check: why" for checks that could not run
    seconds: float = 0.0

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["findings"] = [f.to_dict() for f in self.findings]
        d["checked"] = list(self.checked)
        d["skipped"] = list(self.skipped)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckReport:
        findings = tuple(
            Finding(**{**f, "columns": tuple(f.get("columns", ()))}) for f in d["findings"]
        )
        rest = {k: v for k, v in d.items() if k != "findings"}
        rest["checked"] = tuple(rest.get("checked", ()))
        rest["skipped"] = tuple(rest.get("skipped", ()))
        return cls(findings=findings, **rest)


def _clean_line(report: CheckReport) -> str:
    auc = report.adversarial_auc
    drift = f"train and test look alike (adversarial AUC {auc:.3f})" if auc is not None else ""
    rest = "no leak, no duplicate rows, no CV hazard found"
    return f"{drift}; {rest}" if drift else rest


def report_lines(report: CheckReport, name: str) -> list[str]:
    """The full report of `kstarter check`."""
    sample = " (a sample)" if report.sampled else ""
    lines = [
        f"kstarter check: {name}: {report.train_rows} train and {report.test_rows} test rows"
        f"{sample}, folds from {report.folds}, {report.seconds:.1f} s"
    ]
    if not report.findings:
        lines.append(f"Nothing alarming: {_clean_line(report)}.")
    for f in sorted(report.findings, key=lambda f: SEVERITIES.index(f.severity)):
        lines += ["", f"[{f.severity}] {f.title}", f"  What it means: {f.meaning}",
                  f"  What to do: {f.action}"]  # fmt: skip
    for s in report.skipped:
        lines.append(f"(not checked: {s})")
    return lines


def brief_lines(report: CheckReport) -> list[str]:
    """A few lines for the end of `kstarter init`."""
    skipped = "".join(f"; not checked: {s}" for s in report.skipped)
    if not report.findings:
        return [f"  check      nothing alarming: {_clean_line(report)}{skipped}"]
    n = len(report.findings)
    them = "them" if n > 1 else "it"
    lines = [f"  check      {n} finding{'s' if n > 1 else ''}; `kstarter check` explains {them}:"]
    for f in sorted(report.findings, key=lambda f: SEVERITIES.index(f.severity)):
        lines.append(f"  check: [{f.severity}] {f.title}")
        lines.append(f"         {f.action}")
    return lines
