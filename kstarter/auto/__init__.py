"""``kstarter auto --budget``: the families of ``configs/auto.yaml`` on the saved folds, seed
bags while time lasts, every run an ordinary one, blended at the end; the final run is the one
with the best honest CV.

``_budget`` parses the duration, ``_plan`` reads the steps and estimates their cost, ``_run``
trains and blends, ``_report`` prints the leaderboard and what to try next.
"""

from __future__ import annotations

from kstarter.auto._budget import format_seconds, parse_budget
from kstarter.auto._plan import AutoSettings, CostModel, Step, load_settings, settings_from
from kstarter.auto._report import summary_lines
from kstarter.auto._run import AutoOptions, AutoResult, Entry, auto

__all__ = [
    "auto",
    "AutoOptions",
    "AutoResult",
    "Entry",
    "parse_budget",
    "format_seconds",
    "Step",
    "AutoSettings",
    "CostModel",
    "load_settings",
    "settings_from",
    "summary_lines",
]
