"""What a study leaves in the project: the tuned parameters, a plot, a table of trials.

Tuned parameters belong to their study. The default study of a family (``<competition>-<family>``,
the one ``tune --show`` shows) saves them where ``train --params tuned`` reads them:
``tuned_params.yaml`` for LightGBM, ``tuned_params_<family>.yaml`` for another family. A study
named with ``--study`` saves them beside its plot, ``tuning/<study>.yaml``, which ``train
--params tuning/<study>.yaml`` reads, so it never overwrites the default study's."""

from __future__ import annotations

import io
import re
import sys
import warnings
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter import paths
from kstarter.atomic import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    from collections.abc import Callable

    import optuna
    from matplotlib.axes import Axes
    from optuna.trial import FrozenTrial, TrialState

    from kstarter.config import Project
    from kstarter.crossval import Prepared

__all__ = [
    "after_trial",
    "best_trial",
    "write_tuned_params",
    "plot_study",
    "trial_table",
    "plot_path",
    "params_path",
    "params_option",
]


def after_trial(prep: Prepared, progress: bool) -> Callable[[optuna.Study, FrozenTrial], None]:
    """Per finished trial: save the parameters if it is the new best; a line on stderr."""
    from optuna.trial import TrialState

    def callback(study: optuna.Study, trial: FrozenTrial) -> None:
        best = best_trial(study)
        if trial.state == TrialState.COMPLETE and best is not None and best.number == trial.number:
            write_tuned_params(prep.project, study, best)
        if progress:
            print(_progress_line(study, trial, best, prep), file=sys.stderr, flush=True)

    return callback


def write_tuned_params(
    project: Project, study: optuna.Study, best: optuna.trial.FrozenTrial
) -> Path:
    """Atomically write the best trial's parameters where ``train --model <family> --params
    tuned`` reads them: kstarter.yaml's model.params with the drawn values over them, exactly as
    the trial ran. The family is ``project.model.name`` (the study's, see ``for_model``)."""
    import yaml

    from kstarter.tuning._study import FOLDS, METRIC

    attrs = study.user_attrs
    family = project.model.name
    finished = len(study.get_trials(deepcopy=False, states=_finished_states()))
    params = {**project.model.params, **best.params}
    header = [
        f"# Written by `kstarter tune --model {family}` at "
        f"{datetime.now().isoformat(timespec='seconds')}:",
        f"# best trial {best.number} of study {study.study_name!r} ({finished} finished trials),",
        f"# CV {attrs.get(METRIC, 'score')} {best.value!r} ({study.direction.name.lower()}) "
        f"on folds {attrs.get(FOLDS)}.",
        f"# `kstarter train --model {family} --params tuned` trains with these over "
        f"configs/{family}.yaml.",
    ]
    body = yaml.safe_dump(
        {"model": family, "params": params}, sort_keys=False, default_flow_style=False
    )
    path = params_path(project, study.study_name)
    which = params_option(project, path)
    if which != "tuned":
        header[-1] = f"# `kstarter train --model {family} --params {which}` trains with these "
        header[-1] += f"over configs/{family}.yaml."
    atomic_write_text(path, "\n".join(header) + "\n" + body)
    return path


def params_path(project: Project, study_name: str) -> Path:
    """Where the study ``study_name`` saves its best parameters: ``tuned_params(family)`` for
    the family's default study, ``tuning/<study>.yaml`` for any other."""
    from kstarter.tuning._study import default_study_name

    if study_name == default_study_name(project):
        return project.path(paths.tuned_params(project.model.name))
    return project.path(paths.STUDY_PLOTS) / (_file_stem(study_name) + ".yaml")


def params_option(project: Project, path: Path) -> str:
    """What ``kstarter train --params`` takes to train with the parameters saved in ``path``."""
    if path.name == paths.tuned_params(project.model.name):
        return "tuned"
    try:
        return str(path.relative_to(project.root))
    except ValueError:
        return str(path)


def plot_path(project: Project, study_name: str) -> Path:
    return project.path(paths.STUDY_PLOTS) / (_file_stem(study_name) + ".png")


def _file_stem(study_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", study_name)


def plot_study(study: optuna.Study, path: Path) -> Path | None:
    """Optimisation history and parameter importances as one PNG (plain matplotlib: Optuna's
    matplotlib plots are experimental and warn)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = study.get_trials(deepcopy=False, states=_finished_states())
    if not done:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    try:
        _history(left, study, done)
        _importances(right, study)
        fig.suptitle(f"kstarter tune: {study.study_name}")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
    finally:
        plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path


def _history(ax: Axes, study: optuna.Study, done: list[FrozenTrial]) -> None:
    from optuna.trial import TrialState

    from kstarter.tuning._study import METRIC

    complete = [
        (t.number, t.value)
        for t in done
        if t.state == TrialState.COMPLETE and t.value is not None  # (a complete trial has one)
    ]
    pruned = [t for t in done if t.state == TrialState.PRUNED and t.intermediate_values]
    ax.scatter([n for n, _ in complete], [v for _, v in complete], s=14, label="complete")
    last = [t.intermediate_values[max(t.intermediate_values)] for t in pruned]
    ax.scatter([t.number for t in pruned], last, s=14, marker="x", alpha=0.5, label="pruned")
    if complete:
        pick = max if study.direction.name == "MAXIMIZE" else min
        xs: list[int] = []
        ys: list[float] = []  # the best value so far
        for number, value in complete:
            xs.append(number)
            ys.append(pick(ys[-1], value) if ys else value)
        ax.step(xs, ys, where="post", color="C3", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(f"CV {study.user_attrs.get(METRIC, '')}")
    ax.set_title("optimisation history (pruned: CV when stopped)")
    ax.legend(loc="best", fontsize=8)


# fewer complete trials than this and Optuna's importances are noise (with one or two, any
# split of the variance "explains" it): the panel says how many more are needed instead
MIN_TRIALS_FOR_IMPORTANCE = 10


def _importances(ax: Axes, study: optuna.Study) -> None:
    import optuna
    from optuna.trial import TrialState

    complete = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    ax.set_title("parameter importance")
    if complete < MIN_TRIALS_FOR_IMPORTANCE:
        ax.text(0.5, 0.5, f"needs {MIN_TRIALS_FOR_IMPORTANCE} complete trials ({complete} so far)",
                ha="center", va="center")  # fmt: skip
        ax.set_axis_off()
        return
    imp: dict[str, float] = {}
    drawn = _drawn_params(study)
    for params in [drawn, None] if drawn else [None]:  # a space whose bounds changed mid-study
        try:  # makes Optuna refuse named parameters: then its own choice
            with warnings.catch_warnings():  # "too few trials" (all 0.0): said below
                warnings.simplefilter("ignore", UserWarning)
                imp = optuna.importance.get_param_importances(study, params=params)
            break
        except (ValueError, RuntimeError, ZeroDivisionError):
            imp = {}
    if not any(imp.values()):
        imp = {}
    if not imp:
        ax.text(0.5, 0.5, "needs more complete trials", ha="center", va="center")
        ax.set_axis_off()
        return
    names = list(imp)[:12][::-1]
    ax.barh(names, [imp[n] for n in names])
    ax.set_xlabel("importance (share of CV variation)")


def _drawn_params(study: optuna.Study) -> list[str] | None:
    """The parameters every drawn complete trial has: the default trial leaves out those the
    defaults do not set, and Optuna's own choice (those of all trials) would drop them."""
    from optuna.search_space import intersection_search_space
    from optuna.trial import TrialState

    from kstarter.tuning._default import DEFAULT

    drawn = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if DEFAULT not in t.user_attrs
    ]
    names = sorted(intersection_search_space(drawn)) if drawn else []
    return names or None


def trial_table(study: optuna.Study) -> list[str]:
    """One line per trial: number, state, CV, folds trained, seconds, parameters."""
    from kstarter.tuning._default import DEFAULT
    from kstarter.tuning._objective import FOLDS, SECONDS

    lines = [f"{'trial':>5}  {'state':<8} {'CV':>12} {'folds':>5} {'seconds':>8}  params"]
    for t in study.get_trials(deepcopy=False):
        mark = "  (the default parameters)" if DEFAULT in t.user_attrs else ""
        lines.append(
            f"{t.number:>5}  {t.state.name:<8} {_cv(t):>12} {t.user_attrs.get(FOLDS, '-'):>5} "
            f"{_num(t.user_attrs.get(SECONDS), 1):>8}  {_params(t.params)}{mark}"
        )
    best = best_trial(study)
    if best is not None:
        lines.append(f"best: trial {best.number}, CV {best.value:.6g}, {_params(best.params)}")
    return lines


def _progress_line(
    study: optuna.Study, trial: FrozenTrial, best: FrozenTrial | None, prep: Prepared
) -> str:
    from kstarter.tuning._objective import FOLDS, SECONDS

    n = prep.folds.n_splits
    best_text = f"best {best.value:.6g} (trial {best.number})" if best is not None else ""
    return (
        f"trial {trial.number:>4} {trial.state.name:<8} {prep.metric.name} {_cv(trial):>10}  "
        f"{trial.user_attrs.get(FOLDS, 0)}/{n} folds {_num(trial.user_attrs.get(SECONDS), 1)} s"
        f"  {best_text}"
    )


def _cv(t: FrozenTrial) -> str:
    if t.value is not None:
        return f"{t.value:.6g}"
    if t.intermediate_values:  # a pruned trial: its running CV when it stopped
        return f"({t.intermediate_values[max(t.intermediate_values)]:.6g})"
    return "-"


def _num(v: object, digits: int) -> str:
    return f"{v:.{digits}f}" if isinstance(v, int | float) else "-"


def _params(params: dict[str, Any]) -> str:
    return " ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )


def best_trial(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    try:
        return study.best_trial
    except ValueError:  # no complete trial yet
        return None


def _finished_states() -> tuple[TrialState, ...]:
    from optuna.trial import TrialState

    return (TrialState.COMPLETE, TrialState.PRUNED)
