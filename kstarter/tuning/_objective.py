"""One trial = one ``kstarter train`` CV on the saved folds, scored through ``evaluate``.

So ``kstarter train --params tuned`` reproduces the best trial's CV exactly: same prepared data,
same folds, same seed, same parameters, same scoring code. After each fold the trial reports
the running CV score (the mean of the fold scores so far, with the metric's decision fitted on
the out-of-fold predictions so far) and stops early when the pruner says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kstarter.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import optuna

    from kstarter.crossval import Prepared
    from kstarter.models import FoldOutput
    from kstarter.tuning._space import Dimension

__all__ = ["Objective", "RejectedParams", "trial_overrides"]

# Trial user attributes (read by `kstarter tune --show` and the benchmark).
SECONDS, FOLDS, WORKER = "seconds", "folds_trained", "worker"
LIBRARIES = ("lightgbm", "xgboost", "catboost")


class RejectedParams(Exception):
    """The model library refused the drawn parameters: that trial fails, the study goes on
    (a family wraps its library's error in a ConfigError for ``train``; here it is one bad
    point of the space, not a broken project)."""


def trial_overrides(prep: Prepared, sampled: dict[str, Any]) -> dict[str, Any]:
    """What ``train --params tuned`` uses for these drawn values: kstarter.yaml's
    model.params with the drawn values over them (``resolve_params`` merges the same way)."""
    return {**prep.project.model.params, **sampled}


@dataclass
class Objective:
    prep: Prepared
    space: list[Dimension]
    worker: str  # "host:pid:start" of this process, to find trials of dead workers
    last_error: str = ""  # why the latest trial the model library refused failed

    def __call__(self, trial: optuna.Trial) -> float:
        from kstarter.crossval import evaluate
        from kstarter.tuning._space import suggest

        trial.set_user_attr(WORKER, self.worker)
        overrides = trial_overrides(self.prep, suggest(trial, _drawn(trial, self.space)))
        fold = _RunningCV(self.prep, trial)
        start = time.perf_counter()
        try:
            ev = evaluate(
                self.prep,
                overrides,
                self.prep.project.train.seed,
                self.prep.project.model.name,
                on_fold=fold.on_fold,
                refit=False,  # a trial is scored on OOF; its test predictions are not kept
            )
        except ConfigError as exc:
            if exc.__cause__ is None or not _from_library(exc.__cause__):
                raise
            self.last_error = _first_line(exc.__cause__)
            raise RejectedParams(str(exc)) from exc
        except Exception as exc:
            if _from_library(exc):  # LightGBM's, unwrapped
                self.last_error = _first_line(exc)
            raise
        finally:  # also for pruned and interrupted trials: the benchmark counts the savings
            trial.set_user_attr(SECONDS, round(time.perf_counter() - start, 3))
            trial.set_user_attr(FOLDS, fold.trained)
        trial.set_user_attr("cv_std", ev.scores.cv_std)
        trial.set_user_attr("oof_score", ev.scores.oof_score)
        trial.set_user_attr("best_iterations", ev.cv.best_iterations)
        return ev.scores.cv_mean


def _drawn(trial: optuna.Trial, space: list[Dimension]) -> list[Dimension]:
    """The dimensions a trial draws: all of them, but in the default trial only those the
    defaults set (the others keep the model's default, as in ``kstarter train``)."""
    from kstarter.tuning._default import DEFAULT

    fixed = trial.user_attrs.get(DEFAULT)
    if not isinstance(fixed, list):
        return space
    return [d for d in space if d.name in fixed]


def _from_library(exc: BaseException) -> bool:
    """Whether ``exc`` is a model library's own error."""
    return type(exc).__module__.split(".")[0] in LIBRARIES


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].rstrip(".") if lines else type(exc).__name__


@dataclass
class _RunningCV:
    prep: Prepared
    trial: optuna.Trial
    trained: int = 0
    oof: np.ndarray | None = None
    seen: list[np.ndarray] = field(default_factory=list)

    def on_fold(self, k: int, out: FoldOutput, va: np.ndarray) -> None:
        import numpy as np
        import optuna

        self.trained += 1
        if self.oof is None:
            self.oof = np.full((len(self.prep.y), *out.valid_pred.shape[1:]), np.nan)
        self.oof[va] = out.valid_pred
        self.seen.append(va)
        self.trial.report(self._mean_so_far(self.oof), step=self.trained)
        if self.trained < self.prep.folds.n_splits and self.trial.should_prune():
            n = self.prep.folds.n_splits
            raise optuna.TrialPruned(f"pruned after {self.trained}/{n} folds")

    def _mean_so_far(self, oof: np.ndarray) -> float:
        """The CV mean over the folds trained so far, scored as ``evaluate`` scores them."""
        import numpy as np

        from kstarter.metrics import fit_decision

        metric, y, spec = self.prep.metric, self.prep.y, self.prep.project.spec
        rows = np.concatenate(self.seen)
        decision = fit_decision(metric, y[rows], oof[rows], spec.n_classes)
        scores = [float(metric.score(y[va], decision.apply(oof[va]))) for va in self.seen]
        return float(np.mean(scores))
