"""The pieces of ``kstarter tune``, one concept a module (optuna is imported inside functions):

- :mod:`~kstarter.tuning.space`: the search space (data in ``configs/search_space.yaml``);
- :mod:`~kstarter.tuning.storage`: where a study lives, and why a journal file by default;
- :mod:`~kstarter.tuning.study`: create once / load and refuse a study made on other folds;
- :mod:`~kstarter.tuning.objective`: a trial is a ``train`` CV, pruned fold by fold;
- :mod:`~kstarter.tuning.workers`: worker processes, the run's budget, trials of dead workers;
- :mod:`~kstarter.tuning.results`: ``tuned_params.yaml``, the plot, the table of trials.
"""

from __future__ import annotations

from kstarter.tuning.space import Dimension, load_space, parse_space, suggest
from kstarter.tuning.storage import DEFAULT_JOURNAL, StorageRef, open_storage, resolve_storage

__all__ = [
    "Dimension",
    "load_space",
    "parse_space",
    "suggest",
    "DEFAULT_JOURNAL",
    "StorageRef",
    "open_storage",
    "resolve_storage",
]
