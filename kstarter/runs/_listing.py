"""`kstarter runs`: every run with what makes two of them comparable or not (issue 18.9).

A CV is comparable with another only on the same folds and metric. After ``--refold`` (or a
metric changed in kstarter.yaml) the older runs stay listed, as the history they are, but marked:
the current folds are those of folds.csv (else the newest run's), the current metric the newest
such run's. The best run is the best CV among the comparable ones, in the metric's direction (a
fitted blend by its nested CV, the honest one). Each line also says where the parameters came
from (default, tuned, a file, a blend's method) and the note given at ``train -m``.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstarter import paths
from kstarter.runs._ledger import RunRecord, list_runs

__all__ = ["RunLine", "run_lines", "runs_table", "current_folds"]


@dataclass(frozen=True)
class RunLine:
    """A run as ``kstarter runs`` shows it. ``other`` says why its CV is not comparable with
    the current runs' ("other folds", "scored with rmse"), empty when it is."""

    record: RunRecord
    other: str
    best: bool
    params: str

    @property
    def comparable(self) -> bool:
        return not self.other

    def to_json(self) -> dict[str, Any]:
        """The run's runs.csv row, then the scores' standard errors, the local score, the
        parameters' origin, the note and the marks."""
        row = self.record.row()
        board, local = self.record.latest_scored, self.record.latest_local
        row.update(
            public_se=board.public_se if board else None,
            private_se=board.private_se if board else None,
            local=local.local if local else None,
            local_se=local.local_se if local else None,
            params=self.params,
            note=self.record.metrics.note,
            comparable=self.comparable,
            other=self.other or None,
            best=self.best,
        )
        return row


def current_folds(root: Path, records: list[RunRecord]) -> str | None:
    """The hash runs record of the folds in folds.csv (as kstarter.folds computes it), else
    the newest run's; None without either."""
    folds = root / paths.FOLDS
    if folds.is_file():
        return hashlib.sha256(folds.read_bytes()).hexdigest()[:16]
    return records[-1].metrics.folds_hash if records else None


def run_lines(root: Path) -> list[RunLine]:
    """Every run of the project, oldest first, marked."""
    records = list_runs(root)
    folds = current_folds(root, records)
    same_folds = [r for r in records if r.metrics.folds_hash == folds]
    metric = same_folds[-1].metrics.metric if same_folds else None
    others = {r.id: _other(r, folds, metric) for r in records}
    best = _best([r for r in records if not others[r.id]])
    return [
        RunLine(r, others[r.id], best is not None and r.id == best.id, _params(r)) for r in records
    ]


def _other(run: RunRecord, folds: str | None, metric: str | None) -> str:
    if run.metrics.folds_hash != folds:
        return "other folds"
    if run.metrics.metric != metric:
        return f"scored with {run.metrics.metric}"
    return ""


def _best(runs: list[RunRecord]) -> RunRecord | None:
    best, best_cv = None, math.nan
    for run in runs:
        cv = run.metrics.honest_cv_mean
        if not isinstance(cv, int | float) or math.isnan(cv):
            continue
        higher = run.metrics.direction == "maximize"
        if best is None or (cv > best_cv if higher else cv < best_cv):
            best, best_cv = run, cv
    return best


def _params(run: RunRecord) -> str:
    """default, tuned, the file's name, or blend:<method>."""
    m = run.metrics
    if m.is_blend:
        return f"blend:{m.blend_method}" if m.blend_method else "blend"
    source = m.params_source or "default"
    if source in ("default", "tuned"):
        return source
    return Path(source).name


def runs_table(lines: list[RunLine], private: bool = False) -> list[str]:
    """The table `kstarter runs` prints, with a line under it for each mark used."""

    def num(v: object, width: int = 9) -> str:
        return f"{v:.5f}".rjust(width) if isinstance(v, float) else "-".rjust(width)

    def with_se(v: object, se: object) -> str:
        shown = num(v).strip() + (f" ± {se:.4f}" if isinstance(se, float) else "")
        return shown.rjust(18)

    local = any(line.record.latest_local for line in lines)
    head = f"  {'run':<28} {'model':<9} {'params':<9} {'metric':<9} {'CV mean ± std':>21}"
    head += f" {'public':>18}" + (f" {'private':>18}" if private else "")
    head += (f" {'local':>18}" if local else "") + f" {'time':>7}  note"
    out = [head]
    for line in lines:
        r = line.record
        m, s, own = r.metrics, r.latest_scored, r.latest_local
        mark = "*" if line.best else ("!" if line.other else " ")
        cv = f"{num(m.cv_mean)} ± {num(m.cv_std, 7).strip():<7}"
        text = f"{mark} {r.id:<28} {str(m.model):<9} {line.params:<9} {str(m.metric):<9} {cv:>21}"
        text += " " + with_se(s.public if s else None, s.public_se if s else None)
        if private:
            text += " " + with_se(s.private if s else None, s.private_se if s else None)
        if local:
            text += " " + with_se(own.local if own else None, own.local_se if own else None)
        out.append((text + f" {m.seconds or 0:>6.1f}s  {m.note or ''}").rstrip())
    best = next((line for line in lines if line.best), None)
    if best is not None:
        better = "higher" if best.record.metrics.direction == "maximize" else "lower"
        out.append(
            f"* best CV on the current folds ({best.record.metrics.metric}, {better} is better)"
        )
    others = [line for line in lines if line.other]
    if others:
        why = sorted({line.other for line in others})
        out.append(
            f"! {len(others)} run(s) not comparable with the current ones ({', '.join(why)}): "
            "their CV cannot be set against the others'"
        )
    return out
