"""``--budget``: a duration in seconds (``600``) or with units (``90s``, ``10m``, ``1.5h``,
``1h30m``)."""

from __future__ import annotations

import re

from kstarter.errors import ConfigError
from kstarter.train import format_seconds  # auto's progress lines read like train's

__all__ = ["parse_budget", "format_seconds", "format_budget", "stamp"]

_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([hms]?)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "": 1.0}


def parse_budget(text: str) -> float:
    """Seconds in ``text``; a clear error for anything that is not a positive duration."""
    s = str(text).strip().lower().replace(" ", "")
    total, pos, parts = 0.0, 0, 0
    while pos < len(s):
        m = _PART.match(s, pos)
        if m is None or (m.group(2) == "" and (parts or m.end() != len(s))):
            break
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos, parts = m.end(), parts + 1
    if pos != len(s) or parts == 0 or total <= 0:
        raise ConfigError(
            f"--budget {text!r} is not a duration: give seconds (600) or a number with s, m or "
            "h (90s, 10m, 1.5h, 1h30m)."
        )
    return total


def format_budget(seconds: float) -> str:
    """A budget as ``--budget`` takes it: ``90s``, ``10m``, ``1.5h``."""
    if seconds >= 3600 and seconds % 360 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


def stamp(start: float, budget: float) -> str:
    """``[elapsed | left]`` of a budget that started at ``start`` (time.monotonic())."""
    import time

    elapsed = time.monotonic() - start
    return f"[{format_seconds(elapsed)} | {format_seconds(budget - elapsed)} left]"
