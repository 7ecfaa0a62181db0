"""The user's model parameters checked before any data is read: names against the model
libraries' own parameter lists (aliases included), values by a dry run on a few made-up rows.

The user's parameters (kstarter.yaml's ``model.params``, a ``--params`` file) are shared by every
family (``kstarter auto`` trains several with them), so a name is refused only when no family's
library knows it: ``learning_rat`` is a typo, ``num_leaves`` is LightGBM's even when XGBoost
trains. A value is checked by the family that trains: it is built and fitted on 200 made-up rows
for two rounds (milliseconds for the boosters), and a library's refusal becomes one sentence
that names the parameter, found by trying the user's keys one at a time.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kstarter.errors import ConfigError, warn
from kstarter.models._base import FoldData, Model, ModelSetup, OutOfTime

if TYPE_CHECKING:
    from kstarter.prepare import Matrices

__all__ = ["check_params", "unknown_params", "dropped_params", "refusal"]

_ROWS = 200
# "... at /__w/LightGBM/.../config_auto.cpp, line 352 ." after LightGBM's own sentence
_SOURCE_PLACE = re.compile(r"\s+at\s+\S+,\s+line\s+\d+\s*\.?\s*$")


def unknown_params(params: dict[str, Any], family: type[Model]) -> None:
    """Refuse a name no family's library knows, with the closest known name."""
    from kstarter.models._registry import MODELS

    own = family.known_params()
    for name in params:
        if name in own:
            continue
        lists = [other.known_params() for other in MODELS.values()]
        if not own or not all(lists):  # a library that hides its list: nothing is refused
            return
        every = set(own).union(*lists)
        if name in every:
            continue
        key = str(name)
        close = difflib.get_close_matches(key, sorted(own), n=1, cutoff=0.75)
        close = close or difflib.get_close_matches(key, sorted(every), n=1, cutoff=0.75)
        hint = f": did you mean {close[0]}?" if close else ": check its spelling."
        raise ConfigError(
            f"Model parameter {key!r} (model.params in kstarter.yaml or the --params file) is "
            f"not a parameter of {family.name} nor of any other model family{hint}"
        )


# names of a library's round count: kstarter sets it from model.num_boost_round
_ROUND_NAMES = frozenset({"n_estimators", "num_boost_round", "iterations", "num_iterations"})


def dropped_params(family: type[Model], model: Model, overrides: dict[str, Any]) -> list[str]:
    """The user's keys that ``family``'s library knows but that kstarter does not pass to it
    (a family built from configs/<family>.yaml takes only the keys that file names): each
    said in one warning, since model.params is shared and another family may take them."""
    known = family.known_params()
    dropped = [str(k) for k in overrides if k in known and k not in model.params]
    for key in dropped:
        why = (
            "its rounds are model.num_boost_round, with early stopping on each fold"
            if key in _ROUND_NAMES
            else f"kstarter passes it only the keys named in configs/{family.name}.yaml "
            "(its sections and more_keys)"
        )
        warn(f"model.params {key} does not reach {family.name}: {why}.")
    return dropped


def check_params(family: type[Model], setup: ModelSetup) -> Model:
    """The model ``family`` builds for ``setup``, its parameter names and values checked."""
    unknown_params(setup.overrides, family)
    model = family.create(setup)
    dropped_params(family, model, setup.overrides)
    if not setup.overrides or model.params == family.create(replace(setup, overrides={})).params:
        return model  # none of the user's keys reaches this family
    if _refused(family, setup) is not None:
        for key, value in setup.overrides.items():
            reason = _refused(family, replace(setup, overrides={key: value}))
            if reason is not None:
                raise ConfigError(
                    f"Model parameter {key}: {value!r} is refused by {family.name} ({reason}): "
                    "fix it in model.params of kstarter.yaml or in the --params file."
                )
        _refused(family, setup, raise_it=True)  # only together: say what the library said
    return model


def refusal(family: type[Model], setup: ModelSetup) -> str | None:
    """Why ``family`` cannot train with ``setup``'s parameters (kstarter's own check or the
    library's, in one line), or None when it trains on the made-up rows."""
    try:
        return _refused(family, setup)
    except ConfigError as exc:
        return str(exc).rstrip(".")


def _refused(family: type[Model], setup: ModelSetup, raise_it: bool = False) -> str | None:
    """None when ``family`` trains two rounds on made-up rows with ``setup``, else the
    library's reason in one line."""
    import numpy as np

    quick = replace(
        setup,
        config=replace(setup.config, num_boost_round=2, early_stopping_rounds=1, threads=1),
        shape=(_ROWS, 3),
        deadline=None,
        fit_seconds=None,
    )
    try:
        model = family.create(quick)
        if family.quick_params:
            model = replace(model, params={**model.params, **family.quick_params})  # type: ignore[type-var]
        data = FoldData(_matrices(), _target(quick), np.arange(150), np.arange(150, _ROWS))
        with _silenced(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit_fold(data)
    except (ConfigError, OutOfTime):
        raise
    except Exception as exc:  # the library's own refusal, whatever its type
        if raise_it:
            raise ConfigError(
                f"{family.name} refused the model parameters ({_reason(exc)}): fix model.params "
                "in kstarter.yaml or the --params file."
            ) from None
        return _reason(exc)
    return None


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """Nothing a library prints during the dry run reaches the terminal: Python's streams and
    the process's own stdout and stderr (LightGBM writes its fatal errors to the latter)."""
    import os
    import sys

    saved: list[tuple[int, int]] = []
    try:
        for fd, stream in ((1, sys.stdout), (2, sys.stderr)):
            with contextlib.suppress(AttributeError, OSError, ValueError):
                stream.flush()
            with contextlib.suppress(OSError):  # a process without that descriptor
                saved.append((fd, os.dup(fd)))
        with open(os.devnull, "w") as null:
            for fd, _ in saved:
                os.dup2(null.fileno(), fd)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return _SOURCE_PLACE.sub("", first).rstrip(" .")


def _matrices() -> Matrices:
    import numpy as np
    import pandas as pd

    from kstarter.prepare import Matrices

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(_ROWS + 20, 3)), columns=["a", "b", "c"])
    train, test = X.iloc[:_ROWS].reset_index(drop=True), X.iloc[_ROWS:].reset_index(drop=True)
    return Matrices(train, test, {c: c for c in X.columns})


def _target(setup: ModelSetup) -> Any:
    """Labels the task's model can learn: classes 0..k-1 (each in the train rows), 0/1 for a
    probability target, else positive numbers (a log1p target needs them >= 0)."""
    import numpy as np

    task, metric = setup.spec.task, setup.metric
    i = np.arange(_ROWS)
    numbers = 1.0 + (i % 7) * 0.5
    if task == "multitarget":
        one = (i % 2).astype(float) if metric.needs == "proba" else numbers
        return np.column_stack([one] * max(len(setup.spec.targets), 2))
    if task == "binary":
        return (i % 2).astype(float)
    if task == "multiclass":
        return (i % max(setup.spec.n_classes, 3)).astype(float)
    return numbers
