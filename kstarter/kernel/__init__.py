"""``kstarter kernel``: code competitions. ``build`` writes the artifacts dataset and the
notebook a Kaggle rerun needs (``_build``, ``_notebook``); ``check`` runs that notebook
offline on a Kaggle-shaped copy of the data and reports in Kaggle's error classes
(``_check``, ``_execute``); ``push`` puts the dataset and the notebook on Kaggle and follows the
run, or runs it here for a practice competition (``_push``); ``_runtime`` is what the notebook
itself calls on Kaggle.
"""

from __future__ import annotations

from kstarter.kernel._build import BuildOptions, BuildResult, build_kernel, load_image
from kstarter.kernel._check import CheckOptions, CheckResult, check_kernel
from kstarter.kernel._push import Pushed, PushOptions, push_notebook, pushed_output, read_pushed
from kstarter.kernel._runtime import ARTIFACTS_MARKER, ROOT_ENV, find_artifacts, predict_submission

__all__ = [
    "BuildOptions",
    "BuildResult",
    "build_kernel",
    "load_image",
    "CheckOptions",
    "CheckResult",
    "check_kernel",
    "PushOptions",
    "Pushed",
    "push_notebook",
    "pushed_output",
    "read_pushed",
    "ARTIFACTS_MARKER",
    "ROOT_ENV",
    "find_artifacts",
    "predict_submission",
]
