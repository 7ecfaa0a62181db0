"""The one error path: the library raises these, the CLI prints ``Error: <message>`` and exits."""

from __future__ import annotations

__all__ = [
    "KstarterError",
    "SourceError",
    "SpecError",
    "ConfigError",
    "MetricError",
    "SubmissionError",
    "TrainError",
    "KaggleError",
]


class KstarterError(Exception):
    """A foreseeable problem: the message says what went wrong, what was found and what to do."""

    exit_code = 1


class SourceError(KstarterError):
    """The competition's files could not be obtained (missing path, bad archive, unsafe entry)."""


class SpecError(KstarterError):
    """The competition's files could not be understood (no train/test/sample, unknown column)."""


class ConfigError(KstarterError):
    """kstarter.yaml or a configs/ file is invalid, or the command ran outside a project."""


class MetricError(KstarterError):
    """An unknown metric name, or a metric that does not fit the task."""


class SubmissionError(KstarterError):
    """A submission that does not match the sample, or one that cannot be scored or uploaded."""


class TrainError(KstarterError):
    """Training cannot go on: bad features, a one-class target, mismatched columns."""


class KaggleError(KstarterError):
    """The Kaggle API refused or failed: credentials, rules, unknown competition, rate limit."""
