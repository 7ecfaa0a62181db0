"""``kstarter blend``: combine runs made on the same folds into a new run, as Kaggle top
solutions do, with everything fitted on out-of-fold predictions only (never on a leaderboard).

Methods:

- ``mean``: the plain average of the members' raw predictions;
- ``rank``: the average of the members' predictions turned into ranks in [0, 1] (for metrics
  that score only the order of the predictions: AUC, or a binary label decided by a threshold);
- ``weights``: non-negative weights summing to 1, found by a coordinate search on the OOF score
  that starts from the best single member;
- ``hillclimb``: Caruana's greedy ensemble selection with replacement: from the best member,
  add the member that improves the mean most, while one does (100 picks at most);
- ``stack``: a ridge (numbers) or logistic (probabilities; multinomial for several classes)
  regression on the members' OOF predictions.

``weights`` and ``hillclimb`` never score worse than their best member on OOF. A label metric's
decision (threshold, argmax, cut points) is fitted again on the blended OOF. With no runs named,
every eligible run of the project is blended (:func:`eligible_runs`).

The plain CV of a fitted method (weights, hillclimb, stack) scores predictions whose weights
saw every OOF row, so it flatters the blend, the more so the more runs it has; the nested CV
(``RunMetrics.nested_cv_mean`` ...) fits the method once per fold without that fold's rows and
scores the rows it held out, as a run is scored. The blend is written like any run
(``runs/<id>-blend/``), atomically, with its submission.

Modules: ``_members`` (which runs, read and checked), ``_scoring`` (what searches optimise, the
binned AUC), ``_weights`` (coordinate search, hill climb), ``_stack`` (the stacker), ``_fit``
(a method fitted on some rows; the nested predictions), ``_blend`` (``blend()``), ``_output``
(the run written, the summary printed).
"""

from __future__ import annotations

from kstarter.blend._blend import METHODS, BlendOptions, BlendResult, blend
from kstarter.blend._fit import FITTED_METHODS
from kstarter.blend._members import eligible_runs
from kstarter.blend._output import summary_lines
from kstarter.blend._scoring import fast_auc
from kstarter.runs import Member

__all__ = [
    "METHODS",
    "FITTED_METHODS",
    "BlendOptions",
    "BlendResult",
    "Member",
    "fast_auc",
    "blend",
    "eligible_runs",
    "summary_lines",
]
