"""``kstarter tune``: an Optuna study of one model family (``--model``) on the project's saved
folds, one concept a module (optuna is imported inside functions):

- ``_space``: the family's search space (data in ``configs/search_space.yaml`` for LightGBM,
  ``configs/search_space_<family>.yaml`` for the others);
- ``_storage``: where a study lives, and why a journal file by default;
- ``_study``: the family tuned, create once / load and refuse a study made on other folds;
- ``_objective``: a trial is a ``train`` CV, pruned fold by fold;
- ``_workers``: worker processes, the run's budget, trials of dead workers
  (``python -m kstarter.tuning`` is one worker);
- ``_results``: the tuned parameters (``tuned_params.yaml``, ``tuned_params_<family>.yaml``),
  the plot, the table of trials;
- ``_tune``: the command itself.
"""

from __future__ import annotations

from kstarter.tuning._objective import Objective, RejectedParams, trial_overrides
from kstarter.tuning._results import (
    after_trial,
    best_trial,
    plot_path,
    plot_study,
    trial_table,
    write_tuned_params,
)
from kstarter.tuning._space import (
    Dimension,
    distribution,
    load_space,
    parse_space,
    space_file,
    suggest,
    user_entries,
)
from kstarter.tuning._storage import (
    DEFAULT_JOURNAL,
    HEARTBEAT,
    StorageRef,
    open_storage,
    resolve_storage,
)
from kstarter.tuning._study import (
    check_attrs,
    check_space,
    create_or_load,
    default_study_name,
    for_model,
    load,
    make_pruner,
    study_attrs,
)
from kstarter.tuning._tune import TuneOptions, TuneResult, show, summary_lines, tune
from kstarter.tuning._workers import (
    WorkerPlan,
    fail_dead_workers,
    run_worker,
    run_workers,
    worker_id,
)

__all__ = [
    "Dimension",
    "load_space",
    "parse_space",
    "user_entries",
    "space_file",
    "suggest",
    "distribution",
    "StorageRef",
    "DEFAULT_JOURNAL",
    "resolve_storage",
    "open_storage",
    "HEARTBEAT",
    "for_model",
    "default_study_name",
    "study_attrs",
    "create_or_load",
    "load",
    "check_attrs",
    "check_space",
    "make_pruner",
    "Objective",
    "RejectedParams",
    "trial_overrides",
    "after_trial",
    "best_trial",
    "write_tuned_params",
    "plot_study",
    "trial_table",
    "plot_path",
    "WorkerPlan",
    "run_worker",
    "run_workers",
    "fail_dead_workers",
    "worker_id",
    "TuneOptions",
    "TuneResult",
    "tune",
    "show",
    "summary_lines",
]
