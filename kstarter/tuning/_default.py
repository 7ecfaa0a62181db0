"""The default parameters as trial 0 of a new study, and the score a study must beat.

A study that does not know how the default parameters score can recommend parameters that are
worse than them (one trial drawn at random, CV 47.2 against the default run's 44.5). So the
process that creates a study enqueues the defaults as its first trial, and the end of a run
compares the best trial with the defaults: the default trial's CV, or the project's own
default run of the family on the same folds and set-up.

The default trial trains exactly what ``kstarter train --model FAMILY`` trains. It holds the
value of each search-space dimension that the family's resolved defaults (``configs/<family>.yaml``
with kstarter.yaml's ``model.params`` over them) set to a value the dimension can draw. A
dimension the defaults leave to the library (LightGBM's ``lambda_l1``) or set outside the space
(a string such as ``max_features: sqrt`` in a numeric range, a number beyond the bounds or off
the step) is not drawn in that trial, so the model keeps its default: clipping it into the
range would score parameters that are not the defaults and make the comparison wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kstarter.errors import KstarterError

if TYPE_CHECKING:
    import optuna
    from optuna.trial import FrozenTrial

    from kstarter.crossval import Prepared
    from kstarter.tuning._space import Dimension

__all__ = [
    "DEFAULT",
    "default_values",
    "default_trial_params",
    "default_trial",
    "default_run",
    "Defaults",
    "compare",
]

DEFAULT = "kstarter_default"  # trial user attribute: the names the default trial fixed
_MISSING = object()


def default_values(prep: Prepared) -> dict[str, Any]:
    """The parameters ``kstarter train`` trains the study's family with by default."""
    from kstarter.crossval import build_model

    project = prep.project
    model = build_model(prep, dict(project.model.params), project.train.seed, project.model.name)
    return dict(model.params)


def default_trial_params(defaults: dict[str, Any], space: list[Dimension]) -> dict[str, Any]:
    """Each dimension's default value, for the dimensions that can draw it exactly."""
    out = {}
    for d in space:
        value = _fitting(d, defaults.get(d.name, _MISSING))
        if value is not _MISSING:
            out[d.name] = value
    return out


def _fitting(d: Dimension, value: Any) -> Any:
    """``value`` as dimension ``d`` draws it, or _MISSING if ``d`` cannot draw it."""
    if value is _MISSING or value is None:
        return _MISSING
    if d.type == "categorical":  # the same type too: True is not the choice 1
        same = [c for c in d.choices if type(c) is type(value) and c == value]
        return same[0] if same else _MISSING
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _MISSING
    low, high = d.bounds()
    if not low <= value <= high:
        return _MISSING
    if d.type == "int":
        if isinstance(value, float) and not value.is_integer():
            return _MISSING
        step = int(d.step or 1)
        return int(value) if (int(value) - int(low)) % step == 0 else _MISSING
    if d.step is not None:  # on the grid, with Optuna's own tolerance
        k = (value - low) / d.step
        if abs(k - round(k)) >= 1.0e-8:
            return _MISSING
    return float(value)


def enqueue_default(study: optuna.Study, params: dict[str, Any]) -> None:
    """The default parameters as the study's next trial (called once, by its creator)."""
    study.enqueue_trial(params, user_attrs={DEFAULT: sorted(params)})


def default_trial(study: optuna.Study) -> FrozenTrial | None:
    """The study's default trial (its first, when kstarter created the study), any state."""
    for t in study.get_trials(deepcopy=False):
        if DEFAULT in t.user_attrs:
            return t
    return None


def default_run(prep: Prepared, defaults: dict[str, Any]) -> tuple[str, float] | None:
    """(run id, CV mean) of the project's newest run that is the study's default trial made by
    ``kstarter train``: the same family, default parameters (the same ones, resolved), one
    seed (the project's), the same folds, metric, kstarter.yaml, rows and features, no time
    limit. None if there is none (or the runs cannot be read: the summary then does without)."""
    from kstarter.runs import list_runs

    project = prep.project
    try:
        runs = list_runs(project.root)
    except (KstarterError, OSError, ValueError):
        return None
    want = _plain(defaults)
    shape = prep.matrices.X_train.shape
    for r in reversed(runs):
        m = r.metrics
        if (
            m.model == project.model.name
            and m.params_source == "default"
            and m.seeds is None
            and m.seed == project.train.seed
            and m.fit_seconds is None
            and m.folds_hash == prep.folds.hash
            and m.metric == prep.metric.name
            and m.config_hash == project.config_hash()
            and (m.rows, m.n_features) == (len(prep.y), shape[1])
            and _plain(m.params or {}) == want
        ):
            return r.id, float(m.cv_mean)
    return None


def _plain(params: dict[str, Any]) -> Any:
    """Parameters as JSON reads them back (tuples become lists), to compare with a run's."""
    return json.loads(json.dumps(params, sort_keys=True, default=str))


@dataclass(frozen=True)
class Defaults:
    """How the default parameters scored, and whether the best trial beats them."""

    trial: int | None  # the study's default trial, if it has one
    score: float | None  # the score compared with: the default run's, else the trial's
    source: str | None  # where that score comes from: "run <id>" or "trial <n>"
    beaten: bool | None  # the best trial is better than every default score; None: no score

    def gain(self, best: float, greater_is_better: bool) -> float | None:
        """How much better ``best`` is than the defaults (> 0: better), in the metric's units."""
        if self.score is None:
            return None
        return best - self.score if greater_is_better else self.score - best


def compare(
    study: optuna.Study, best: FrozenTrial | None, run: tuple[str, float] | None
) -> Defaults:
    """The defaults against the study's best trial: the default trial and the default run."""
    from optuna.study import StudyDirection
    from optuna.trial import TrialState

    found = default_trial(study)
    scores: list[tuple[str, float]] = []
    if run is not None:
        scores.append((f"run {run[0]}", run[1]))
    if found is not None and found.state == TrialState.COMPLETE and found.value is not None:
        scores.append((f"trial {found.number}", found.value))
    number = found.number if found is not None else None
    if not scores:
        return Defaults(number, None, None, None)
    source, score = scores[0]
    if best is None or best.value is None:
        return Defaults(number, score, source, False)
    up = study.direction == StudyDirection.MAXIMIZE
    better = all((best.value > s) if up else (best.value < s) for _, s in scores)
    return Defaults(number, score, source, better and best.number != number)
