"""Kaggle through the official ``kaggle`` client: download a competition, submit a file and
wait for its score; for a code competition, push the artifacts dataset and the notebook, follow
the notebook's run, and submit its output.

This is the only package that touches the client and its exceptions. Every call to it runs
inside :func:`_core._calling`, the one place that turns what the client raises (``requests``
errors, ``SystemExit`` from ``authenticate()``, unreadable answers) into a
:class:`~kstarter.errors.KaggleError` sentence, and that keeps the client's own chatter (auth
help, progress bars, chmod warnings) off kstarter's stdout and stderr.

It speaks Kaggle, not kstarter: it takes a competition's slug, a folder or a kernel's id and
plain options and returns plain records (:class:`CompetitionInfo`, :class:`SubmissionResult`,
:class:`KernelRun`). What a project makes of them is :class:`kstarter.sources.KaggleSource`
(init), :class:`kstarter.leaderboards.KaggleLeaderboard` (submit) and :mod:`kstarter.kernel`
(push).

The API key is never printed, logged or written: messages are built from status codes and
Kaggle's own error text, with any secret and any URL query or user-info removed.

The client is imported lazily and without running ``kaggle/__init__.py``, which authenticates
at import time (printing help or calling the network): see :func:`_core._import_client`.
"""

from __future__ import annotations

from kstarter.kaggle_client._competitions import (
    CompetitionInfo,
    KaggleSubmissionError,
    KernelOutput,
    SubmissionResult,
    UploadOptions,
    download_competition,
    submit_code,
    submit_file,
)
from kstarter.kaggle_client._core import MAX_WAIT_SECONDS, competition_url, rules_url
from kstarter.kaggle_client._kernels import (
    DatasetPush,
    KernelRun,
    PushWait,
    follow_kernel,
    push_dataset,
    push_kernel,
)

__all__ = [
    "CompetitionInfo",
    "download_competition",
    "UploadOptions",
    "SubmissionResult",
    "KaggleSubmissionError",
    "submit_file",
    "submit_code",
    "KernelOutput",
    "competition_url",
    "rules_url",
    "MAX_WAIT_SECONDS",
    "DatasetPush",
    "KernelRun",
    "PushWait",
    "push_dataset",
    "push_kernel",
    "follow_kernel",
]
