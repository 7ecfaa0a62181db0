"""Run records: the typed record (metrics.json, submissions.json), the one writer of a run
folder, the ``runs.csv`` index, a run's tables, plots and report."""

from __future__ import annotations

from kstarter.runs._ledger import (
    INDEX_COLUMNS,
    RunRecord,
    ensure_recordable,
    get_run,
    list_runs,
    rebuild_index,
    record_submission,
    write_run,
)
from kstarter.runs._listing import RunLine, current_folds, run_lines, runs_table
from kstarter.runs._plots import (
    LedgerPlot,
    importance_frame,
    plot_importance,
    plot_ledger,
    prediction_frames,
)
from kstarter.runs._record import (
    LOCAL,
    Member,
    RunMetrics,
    SubmissionEntry,
    read_metrics,
    read_submissions,
    write_metrics,
    write_submissions,
)
from kstarter.runs._report import write_report
from kstarter.runs._writer import RunOutput, save_run

__all__ = [
    "LOCAL",
    "RunMetrics",
    "Member",
    "SubmissionEntry",
    "read_metrics",
    "write_metrics",
    "read_submissions",
    "write_submissions",
    "RunOutput",
    "save_run",
    "RunRecord",
    "list_runs",
    "get_run",
    "rebuild_index",
    "record_submission",
    "INDEX_COLUMNS",
    "write_run",
    "ensure_recordable",
    "RunLine",
    "run_lines",
    "runs_table",
    "current_folds",
    "prediction_frames",
    "importance_frame",
    "plot_importance",
    "LedgerPlot",
    "plot_ledger",
    "write_report",
]
