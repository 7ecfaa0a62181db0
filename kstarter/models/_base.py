"""The model contract: one small abstract base that every model family implements.

A family is one module with a :class:`Model` subclass plus one line in ``_registry.MODELS``;
``tests/models/test_model_contract.py`` then runs it through the same behaviour as the others.

A setup may carry a deadline (a ``time.monotonic()`` value): every family checks it before a
fold and after each boosting round, and raises :class:`OutOfTime` once it has passed. It may
also carry ``fit_seconds``, a softer limit: a fit that has trained that long stops adding rounds
(or trees) and keeps the model it has, as early stopping would.
"""

from __future__ import annotations

import abc
import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self

from kstarter.config import ModelConfig

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from kstarter.metrics import Metric
    from kstarter.prepare import Matrices
    from kstarter.spec import Spec

__all__ = [
    "Model",
    "ModelSetup",
    "FoldData",
    "FoldOutput",
    "OutOfTime",
    "check_deadline",
    "FitTimer",
    "rounds_reported_to",
    "stack_targets",
    "Predictor",
    "StackedPredictor",
]


class OutOfTime(Exception):
    """A model's deadline passed while it trained: the fold stops, and with it the
    cross-validation, so no partial run is written. Not a user error (not a ConfigError): the
    caller that set the deadline (``kstarter auto``'s planner) decides what to do next."""


def check_deadline(deadline: float | None, family: str) -> None:
    """Raise :class:`OutOfTime` if ``deadline`` (a ``time.monotonic()`` value) has passed."""
    if deadline is not None and time.monotonic() >= deadline:
        late = time.monotonic() - deadline
        raise OutOfTime(f"{family} stopped: its deadline passed {late:.1f} s ago.")


# who hears of each boosting round (a terminal's live progress line, ``kstarter train``): set
# for a block of fits with :func:`rounds_reported_to`. A process-local observer, like a
# logging handler, not a model parameter: it never changes what a fit predicts, and a fit in
# another process (a Dask worker) reports to no one.
_ROUND_HOOK: ContextVar[Callable[[int], None] | None] = ContextVar("round_hook", default=None)


@contextlib.contextmanager
def rounds_reported_to(hook: Callable[[int], None] | None) -> Iterator[None]:
    """Every fit started inside the block calls ``hook(rounds so far)`` after each of its
    boosting rounds (or chunk of trees). ``hook`` must be quick: it runs in the training loop."""
    token = _ROUND_HOOK.set(hook)
    try:
        yield
    finally:
        _ROUND_HOOK.reset(token)


@dataclass
class FitTimer:
    """One fit's two time limits: the setup's ``deadline`` (hard: :class:`OutOfTime`, nothing
    kept) and ``fit_seconds`` (soft: stop adding rounds, keep the model so far), and the
    round hook of :func:`rounds_reported_to`. Made just before the fit starts; a family asks
    :meth:`stop` after each round (or chunk of trees) while :attr:`active`."""

    family: str
    deadline: float | None = None
    fit_seconds: float | None = None
    started: float = field(default_factory=time.monotonic)
    stopped: bool = False  # fit_seconds ended the fit
    on_round: Callable[[int], None] | None = field(default_factory=_ROUND_HOOK.get)
    rounds: int = 0  # calls of stop(): the rounds (or chunks) trained so far

    @property
    def active(self) -> bool:
        return self.deadline is not None or self.fit_seconds is not None or bool(self.on_round)

    def stop(self, raise_late: bool = True) -> bool:
        """After a round: raise :class:`OutOfTime` once the deadline has passed (when
        ``raise_late``; a family whose callback cannot raise checks :meth:`late` itself), and
        True from the moment ``fit_seconds`` have passed (remembered in ``stopped``)."""
        self.rounds += 1
        if self.on_round is not None:
            self.on_round(self.rounds)
        now = time.monotonic()
        if self.late(now):
            if raise_late:
                check_deadline(self.deadline, self.family)
            return True
        if self.fit_seconds is not None and now - self.started >= self.fit_seconds:
            self.stopped = True
        return self.stopped

    def late(self, now: float | None = None) -> bool:
        """True once the deadline has passed."""
        now = time.monotonic() if now is None else now
        return self.deadline is not None and now >= self.deadline


@dataclass(frozen=True)
class ModelSetup:
    """What a model is built for: one competition and its metric, the train matrix's size (the
    thread policy reads it), kstarter.yaml's ``model:`` section, the user's parameters, one
    seed and an optional deadline."""

    spec: Spec
    metric: Metric
    shape: tuple[int, int]  # (rows, features) of the train matrix
    config: ModelConfig = field(default_factory=ModelConfig)  # threads, rounds, early stopping
    # the user's parameters: kstarter.yaml's model.params with a --params file over them
    # (``train.resolve_params``); config.params is not read again
    overrides: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    # a time.monotonic() value: training raises OutOfTime once it has passed (checked before a
    # fold and after every boosting round); None trains to the end. Not a parameter: the
    # predictions of a model that finishes in time are the same with or without one.
    deadline: float | None = None
    # seconds one fit (a fold's model: one target, one seed) may train: past them a family
    # stops adding boosting rounds (or trees) and keeps the model so far, its best iteration
    # on the validation rows so far, and says so in FoldOutput.stopped_by_time. None: no
    # limit. ``kstarter auto`` sets it so a first run fits a short budget on a large table.
    fit_seconds: float | None = None


@dataclass(frozen=True)
class FoldData:
    """One fold: the full matrices (with their per-process cache), targets and row indices."""

    matrices: Matrices
    y: np.ndarray
    train_idx: np.ndarray
    valid_idx: np.ndarray
    # whether fit_fold serialises its model into FoldOutput.fitted (a run that saves its
    # models); tuning trials and unsaved runs skip it: LightGBM's model text alone takes about
    # 94 ms for a 1000-round fold (measured)
    keep_fitted: bool = True
    # per row of ``y`` (the original dataset's rows weighed by ``original.weight``); None: all
    # rows weigh the same. Families that take no weights refuse a fold that has them.
    weight: np.ndarray | None = None


@dataclass
class FoldOutput:
    valid_pred: np.ndarray
    test_pred: np.ndarray
    best_iteration: int  # boosting rounds used; 0 for a family without rounds
    importance: dict[str, float]  # per matrix column (summed over targets); {} if none
    stopped_by_time: bool = False  # setup.fit_seconds ended the fit before early stopping did
    # the fitted models, one a seed (several after average_outputs), each predicting the test
    # rows as test_pred does: what a run saves for `kstarter kernel build`; () for a family
    # that keeps none
    fitted: tuple[Predictor, ...] = ()


class Predictor(abc.ABC):
    """A fold's fitted model (one seed, every target), kept to predict new matrix rows:
    :meth:`predict` on the fold's test matrix gives the fold's ``test_pred``. :meth:`save`
    writes it in its library's own format (``<stem>.<ext>``) and returns the entry of
    ``models.json`` that :func:`~kstarter.models.load_predictor` reads it back from."""

    format: ClassVar[str]

    @abc.abstractmethod
    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predictions for these matrix rows, on the scale of FoldOutput.test_pred."""

    @abc.abstractmethod
    def save(self, folder: Path, stem: str) -> dict[str, Any]:
        """Write the model into ``folder``; its models.json entry (with "format")."""

    @classmethod
    @abc.abstractmethod
    def load(cls, folder: Path, entry: dict[str, Any]) -> Predictor:
        """The model :meth:`save` wrote."""


@dataclass(frozen=True)
class StackedPredictor(Predictor):
    """A multitarget fold: one predictor a target, their predictions as columns."""

    format: ClassVar[str] = "stacked"
    parts: tuple[Predictor, ...]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        import numpy as np

        return np.column_stack([p.predict(X) for p in self.parts])

    def save(self, folder: Path, stem: str) -> dict[str, Any]:
        parts = [p.save(folder, f"{stem}-target{j}") for j, p in enumerate(self.parts)]
        return {"format": self.format, "parts": parts}

    @classmethod
    def load(cls, folder: Path, entry: dict[str, Any]) -> Predictor:
        """Only :func:`~kstarter.models.load_predictor` reads a stacked entry: it knows the
        format of every part."""
        raise TypeError("read a stacked entry with kstarter.models.load_predictor")


class Model(abc.ABC):
    """A model family, built for one :class:`ModelSetup` and trained one fold at a time.

    The contract:

    - :meth:`create` resolves the parameters the model trains with: the family's own
      ``configs/<name>.yaml``, then what the metric asks of this family (LightGBM: the metric
      table's objective and eval metric), then ``setup.overrides``, whose values win for the
      family's own keys. No parameters of another family are built, and a family that knows
      its own names ignores the other keys (linear keeps its seven; LightGBM hands every key
      to LightGBM, which knows its many aliases). A bad value raises
      :class:`~kstarter.errors.ConfigError`.
    - ``params`` are the parameters it really trains with (recorded in the run) and
      ``threads`` the threads it trains with.
    - :meth:`fit_fold` learns from ``data.train_idx`` only (early stopping on
      ``data.valid_idx`` where the family has it; nothing else is fitted on those rows) and
      predicts the validation rows and the test rows on the scale the metric's decision
      expects: P(class 1) of shape (n,) for binary; (n, k) class probabilities, rows summing
      to 1, for multiclass; the class index as a continuous value, (n,), for a ``rounding``
      decision (ordinal classes, QWK); values on the target's own scale for regression,
      back-transformed from the metric's ``target_transform`` (``log1p``: expm1, clipped at
      0); (n, t) for multitarget, each column as for binary or regression. It reports the
      importance of each matrix column if the family has one. The same setup and data give
      the same predictions, bit for bit.
    - With ``setup.deadline`` set, :meth:`fit_fold` raises :class:`OutOfTime` as soon as it
      has passed: checked before the fold's training (and each target's) and after every
      boosting round. A deadline that does not pass changes nothing in the predictions.
    - With ``setup.fit_seconds`` set, a family that trains in rounds (or trees) stops adding
      them once one fit has trained that long, keeps the model so far (at its best iteration
      on the validation rows so far) and sets ``FoldOutput.stopped_by_time``; a family with
      one closed-form fit (linear) ignores it. A limit that is not reached changes nothing.
    - Whatever is built once from all train rows may be kept in ``data.matrices.cache``
      (per process, keyed by the family's name) and files in ``data.matrices.store`` (LightGBM
      keeps its binned Dataset there). One fold's model is alive at a time.
    """

    name: ClassVar[str]
    # whether a run keeps this family's fitted fold models (runs/<run>/models/): False for
    # the families whose models are large (forests, k-NN keep their training rows); kernel
    # build refits those from the run's parameters on the same folds instead
    keeps_fitted: ClassVar[bool] = True
    # how the run's report and files name it: what its importance measures, and whether it
    # trains in rounds (a best iteration per fold)
    importance_name: ClassVar[str] = "total gain"
    has_rounds: ClassVar[bool] = True
    # whether fit_fold honours ``FoldData.weight`` (original rows weighed by original.weight)
    takes_weights: ClassVar[bool] = False
    params: dict[str, Any]
    threads: int
    # set over the resolved parameters when the user's are tried on a few made-up rows
    # (``check_params``): a family whose size is a parameter (a forest's trees) grows less
    quick_params: ClassVar[dict[str, Any]] = {}

    @classmethod
    def known_params(cls) -> frozenset[str]:
        """Every parameter name the family's library accepts, aliases included (read from the
        library where it lists them): a key of the user's parameters that no family knows is
        refused as a typo (``check_params``). Empty: the family cannot tell, nothing is refused.
        """
        return frozenset()

    @classmethod
    @abc.abstractmethod
    def create(cls, setup: ModelSetup) -> Self:
        """This family's model for ``setup``, its parameters resolved."""

    @abc.abstractmethod
    def fit_fold(self, data: FoldData) -> FoldOutput:
        """Train on one fold; predictions for its validation rows and for the test rows."""

    def with_rounds(self, rounds: int) -> Model:
        """This model trained for exactly ``rounds`` boosting rounds (early stopping cannot
        end it first): the refit on all train rows of a time split, at the rounds its folds
        found. A family without rounds is returned as it is."""
        return self


def from_log1p(pred: np.ndarray, log1p: bool = True) -> np.ndarray:
    """Predictions made on log1p(target) back on the target's scale: expm1, clipped at 0 (the
    metric's ``target_transform``); ``pred`` itself when ``log1p`` is False."""
    import numpy as np

    return np.clip(np.expm1(pred), 0, None) if log1p else pred


def stack_targets(outs: list[FoldOutput]) -> FoldOutput:
    """One fold of a multitarget task: each target's model output as a column, importance
    summed over the targets, the mean best iteration."""
    import numpy as np

    fitted: tuple[Predictor, ...] = ()
    if all(len(o.fitted) == 1 for o in outs):
        fitted = (StackedPredictor(tuple(o.fitted[0] for o in outs)),)
    return FoldOutput(
        np.column_stack([o.valid_pred for o in outs]),
        np.column_stack([o.test_pred for o in outs]),
        int(round(float(np.mean([o.best_iteration for o in outs])))),
        summed_importance(outs),
        any(o.stopped_by_time for o in outs),
        fitted,
    )


def summed_importance(outs: Sequence[FoldOutput]) -> dict[str, float]:
    """Each feature's importance summed over ``outs`` (features some outputs lack count 0)."""
    total: dict[str, float] = {}
    for o in outs:
        for name, gain in o.importance.items():
            total[name] = total.get(name, 0.0) + gain
    return total


def class_columns(proba: np.ndarray, classes: np.ndarray, kind: str, known: int) -> np.ndarray:
    """A scikit-learn classifier's ``predict_proba`` over the classes its fold saw, as the
    metric's decision expects: P(class 1) for binary (0 when the fold saw no 1), else a column
    for every class up to ``known`` (those the fold's targets span), 0 for the ones it missed."""
    import numpy as np

    classes = np.asarray(classes).astype(int)
    if kind == "binary":
        return proba[:, list(classes).index(1)] if 1 in classes else np.zeros(len(proba))
    k = int(max(known - 1, classes.max())) + 1
    full = np.zeros((len(proba), k))
    full[:, classes] = proba
    return full
