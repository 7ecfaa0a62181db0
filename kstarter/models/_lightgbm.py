"""LightGBM, a :class:`~kstarter.models.Model`: gradient-boosted trees on one binned Dataset.

Parameters: ``configs/<name>.yaml`` (common, then the task's section), then the metric
table's LightGBM objective and eval metric, then the seed and threads, then the user's
overrides. Each fold trains with early stopping on its own validation rows.

Two configurations share this machinery, each its own model name and parameter file:
``lightgbm`` (configs/lightgbm.yaml) and ``lightgbm-xt`` (configs/lightgbm-xt.yaml,
:class:`LightGBMXTModel`). Their binning parameters are the same, so they share one binned
Dataset per process and one saved copy in the project's cache.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Self

from kstarter.errors import ConfigError
from kstarter.models._base import (
    FitTimer,
    FoldData,
    FoldOutput,
    Model,
    ModelSetup,
    Predictor,
    check_deadline,
    from_log1p,
    stack_targets,
)
from kstarter.models._threads import resolve_threads

if TYPE_CHECKING:
    from pathlib import Path

    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    from kstarter.metrics import Metric
    from kstarter.prepare import Matrices

__all__ = ["LightGBMModel", "LightGBMXTModel", "LightGBMPredictor", "lightgbm_aliases"]

# Parameters that shape LightGBM's binned Dataset: a Dataset is reused across folds (and
# tuning trials) only while these are the same.
DATASET_PARAMS = frozenset(
    {
        "max_bin", "max_bin_by_feature", "min_data_in_bin", "bin_construct_sample_cnt",
        "data_random_seed", "seed", "random_seed", "random_state", "feature_pre_filter",
        "is_enable_sparse", "enable_bundle", "use_missing", "zero_as_missing",
        "categorical_feature", "forcedbins_filename", "linear_tree", "max_cat_threshold",
        "verbosity", "verbose",
    }
)  # fmt: skip


_SEEDS = frozenset({"data_random_seed", "seed", "random_seed", "random_state"})


def _unseeded(shape: tuple[tuple[str, Any], ...]) -> tuple[tuple[str, Any], ...]:
    return tuple(item for item in shape if item[0] not in _SEEDS)


@dataclass(frozen=True)
class LightGBMModel(Model):
    """LightGBM on one binned Dataset of all train rows, made once per process and per set of
    dataset parameters; each fold trains on ``subset``s of it. Binning once instead of per
    fold is most of what makes kstarter faster than a hand-written loop."""

    takes_weights: ClassVar[bool] = True

    name: ClassVar[str] = "lightgbm"  # and its parameter file, configs/<name>.yaml
    metric: Metric
    params: dict[str, Any]
    threads: int
    num_boost_round: int
    early_stopping_rounds: int
    deadline: float | None = None  # time.monotonic(); see ModelSetup.deadline
    fit_seconds: float | None = None  # see ModelSetup.fit_seconds

    @classmethod
    def known_params(cls) -> frozenset[str]:
        return frozenset(lightgbm_aliases())

    @classmethod
    def create(cls, setup: ModelSetup) -> Self:
        """configs/<name>.yaml (common + task) <- the metric's objective <- seed and
        threads <- the user's overrides."""
        from kstarter.resources import load_config_yaml

        spec, metric = setup.spec, setup.metric
        table = load_config_yaml(f"{cls.name}.yaml")
        params: dict[str, Any] = {**table.get("common", {}), **(table.get(spec.task) or {})}
        params.update(by_rows(table, setup.shape[0], f"configs/{cls.name}.yaml"))
        params.update(metric.lightgbm_params(spec.task))
        if spec.task == "multiclass" and params.get("objective") in ("multiclass", "multiclassova"):
            params["num_class"] = spec.n_classes
        threads = resolve_threads(setup.config.threads, *setup.shape)
        params.update({"seed": setup.seed, "num_threads": threads})
        params.update(setup.overrides)
        return cls(
            metric,
            params,
            int(params["num_threads"]),
            setup.config.num_boost_round,
            setup.config.early_stopping_rounds,
            setup.deadline,
            setup.fit_seconds,
        )

    def with_rounds(self, rounds: int) -> Self:
        return replace(self, num_boost_round=rounds, early_stopping_rounds=rounds + 1)

    def fit_fold(self, data: FoldData) -> FoldOutput:
        if data.y.ndim == 1:
            return self._fit_one(data, data.y, 0)
        return stack_targets([self._fit_one(data, data.y[:, j], j) for j in range(data.y.shape[1])])

    def _full_dataset(self, data: FoldData, y: np.ndarray, j: int) -> lgb.Dataset:
        import numpy as np

        shape = {k: v for k, v in self.params.items() if k in DATASET_PARAMS}
        # "lightgbm", not self.name: every LightGBM configuration with the same binning
        # parameters shares the Dataset
        key: tuple[Any, ...] = (
            "lightgbm",
            j,
            self.metric.target_transform,
            tuple(sorted(shape.items())),
        )
        if data.weight is not None:  # the original rows weighed: a Dataset of its own
            key += ("weighted",)
        cache = data.matrices.cache
        if key not in cache:
            # one binned copy per target and set of binning parameters: a tuning trial that
            # changes max_bin evicts the last one; the seeds of `--seeds N` (which seed the
            # binning sample) keep theirs, else every fold would bin N times
            for old in [k for k in cache if k[:2] == ("lightgbm", j)]:
                if _unseeded(old[3]) != _unseeded(key[3]):
                    del cache[old]
            label = y
            if self.metric.target_transform == "log1p":
                if (y < 0).any():
                    raise ConfigError("RMSLE needs a target >= 0, but train has negative values.")
                label = np.log1p(y)
            cache[key] = _binned(data.matrices, label, shape, key, data.weight)
        return cache[key]

    def _fit_one(self, data: FoldData, y: np.ndarray, j: int) -> FoldOutput:
        import lightgbm as lgb
        import numpy as np

        check_deadline(self.deadline, self.name)
        full = self._full_dataset(data, y, j)
        # lightgbm annotates a list; it sorts any sequence of row indices
        dtrain = full.subset(data.train_idx)  # type: ignore[arg-type]
        dvalid = full.subset(data.valid_idx)  # type: ignore[arg-type]
        callbacks: list[Callable[[Any], None]] = [
            lgb.early_stopping(self.early_stopping_rounds, verbose=False),
            lgb.log_evaluation(0),
        ]
        best_valid = _BestValid(self.params)
        callbacks.append(best_valid)
        timer = FitTimer(self.name, self.deadline, self.fit_seconds)
        if timer.active:
            callbacks.append(_stop_at(timer, best_valid))
        booster = lgb.train(
            self.params,
            dtrain,
            num_boost_round=self.num_boost_round,
            valid_sets=[dvalid],
            valid_names=["valid"],
            callbacks=callbacks,
            # lgb.train would otherwise turn the booster into its model text and parse it
            # back before returning (to free the training data): on a small table that runs
            # thousands of rounds that round trip is slow (1 to 2.5 s of 6.5 to 9 s over
            # penguins-species' five folds, under load); the text is made once below, cut at
            # the best round, and the predictions are the same bit for bit
            keep_training_booster=True,
        )
        best = booster.best_iteration or booster.current_iteration()
        valid_pred = best_valid.at(best)
        if valid_pred is None:
            X_valid = data.matrices.X_train.iloc[data.valid_idx]
            valid_pred = np.asarray(booster.predict(X_valid, num_iteration=best))
        test_pred = np.asarray(booster.predict(data.matrices.X_test, num_iteration=best))
        if self.metric.target_transform == "log1p":
            valid_pred, test_pred = from_log1p(valid_pred), from_log1p(test_pred)
        gains = booster.feature_importance(importance_type="gain", iteration=best)
        importance = dict(zip(booster.feature_name(), map(float, gains), strict=True))
        log1p = self.metric.target_transform == "log1p"
        fitted = (
            (LightGBMPredictor(booster.model_to_string(num_iteration=best), log1p),)
            if data.keep_fitted
            else ()
        )
        del booster, dtrain, dvalid
        return FoldOutput(valid_pred, test_pred, int(best), importance, timer.stopped, fitted)


def by_rows(table: dict[str, Any], rows: int, file: str) -> dict[str, Any]:
    """The parameters a ``by_rows:`` section of a family's file gives a table of ``rows`` train
    rows: the entry of the largest row count it reaches (none below the smallest)."""
    section = table.get("by_rows") or {}
    counts = [n for n in section if type(n) is int and n >= 0] if isinstance(section, dict) else []
    if not isinstance(section, dict) or len(counts) != len(section):
        raise ConfigError(f"{file}: by_rows must map row counts (whole numbers) to parameters.")
    for n in counts:
        if not isinstance(section[n], dict):
            raise ConfigError(f"{file}: by_rows.{n} must be a mapping of parameters.")
    reached = [n for n in counts if rows >= n]
    return dict(section[max(reached)]) if reached else {}


@dataclass(frozen=True)
class LightGBMPredictor(Predictor):
    """A fold's booster as LightGBM's model text, cut at its best iteration (the text keeps
    the pandas categories it was trained with)."""

    format: ClassVar[str] = "lightgbm-text-gzip"
    model: str
    log1p: bool = False

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        import lightgbm as lgb
        import numpy as np

        pred = np.asarray(lgb.Booster(model_str=self.model).predict(X))
        return from_log1p(pred, self.log1p)

    def save(self, folder: Path, stem: str) -> dict[str, Any]:
        import gzip

        # gzipped: a fold of thousands of rounds is megabytes of text, a quarter of it zipped
        (folder / f"{stem}.txt.gz").write_bytes(gzip.compress(self.model.encode(), 6))
        return {"format": self.format, "file": f"{stem}.txt.gz", "log1p": self.log1p}

    @classmethod
    def load(cls, folder: Path, entry: dict[str, Any]) -> Predictor:
        import gzip

        text = gzip.decompress((folder / entry["file"]).read_bytes()).decode()
        return cls(text, bool(entry["log1p"]))


@dataclass(frozen=True)
class LightGBMXTModel(LightGBMModel):
    """LightGBM's second configuration, extremely randomised trees (configs/lightgbm-xt.yaml,
    the default's values plus ``extra_trees``): a blend partner for ``lightgbm``, chosen by
    ``bench/defaults.py --partners`` (bench/RESULTS.md)."""

    name: ClassVar[str] = "lightgbm-xt"


class _BestValid:
    """A LightGBM callback that follows the best round so far on the validation rows (the first
    metric, judged as early stopping judges it) and keeps the fold's validation predictions at
    that round, as LightGBM already holds them for early stopping (the validation set's scores,
    with the objective's output transform), so the fold's rows need not be predicted again: at
    thousands of rounds predicting them took a fifth of a fold (bench/RESULTS.md, "A real
    245k-row competition"). They are the numbers ``predict(X_valid, num_iteration=best)``
    gives, bit for bit (the model contract suite checks every task); ``at`` answers only for
    the round it kept, so any other best round (another metric stopped the fit) predicts as
    before. No predictions are kept for DART or random forests, whose earlier trees change or
    average later. :func:`_stop_at` reads the best round from here."""

    order = 20  # before early stopping (30), which ends the fit before later callbacks run

    def __init__(self, params: dict[str, Any]) -> None:
        boosting = next(
            (params[k] for k in ("boosting", "boosting_type", "boost") if k in params), "gbdt"
        )
        self.usable = boosting in ("gbdt", "gbrt")
        self.value: float | None = None
        self.iteration: int | None = None  # 0-based, as LightGBM's callbacks count
        self.results: list[Any] = []
        self.pred: np.ndarray | None = None

    def __call__(self, env: Any) -> None:
        if not env.evaluation_result_list:
            return
        _, _, value, higher = env.evaluation_result_list[0]  # (data, metric, value, higher)
        if self.iteration is not None and not (
            value > self.value if higher else value < self.value
        ):
            return
        self.value, self.iteration, self.results = value, env.iteration, env.evaluation_result_list
        if self.usable:
            try:
                self.pred = env.model._Booster__inner_predict(data_idx=1).copy()
            except (AttributeError, TypeError, ValueError):  # another LightGBM: predict instead
                self.usable = False

    def at(self, rounds: int) -> np.ndarray | None:
        """The validation predictions of the first ``rounds`` trees, if kept."""
        if not self.usable or self.pred is None or self.iteration != rounds - 1:
            return None
        return self.pred


def _stop_at(timer: FitTimer, best: _BestValid) -> Callable[[Any], None]:
    """A LightGBM callback, after early stopping's: :class:`~kstarter.models.OutOfTime` after
    the first boosting round that ends past the deadline (lgb.train lets any exception but
    early stopping's through); once the fit has trained ``fit_seconds``, early stopping's own
    exception at ``best``'s round on the validation rows so far, so the model is kept as early
    stopping would keep it."""
    import lightgbm as lgb

    def check(env: Any) -> None:
        if timer.stop():
            at = env.iteration if best.iteration is None else best.iteration
            raise lgb.callback.EarlyStopException(at, best.results)

    check.order = 40  # type: ignore[attr-defined]  # after early stopping (30)
    return check


def _binned(
    matrices: Matrices,
    label: np.ndarray,
    shape: dict[str, Any],
    key: tuple[Any, ...],
    weight: np.ndarray | None = None,
) -> lgb.Dataset:
    """The binned Dataset of all train rows: read from the project's cache entry when a
    previous run saved it with the same dataset parameters, else built and saved there. Row
    weights (the original dataset's rows) are never saved: the weighted matrices have no
    cache entry, and ``key`` does not name the weight."""
    import hashlib
    import json

    import lightgbm as lgb

    if matrices.store is None or weight is not None:
        full = lgb.Dataset(
            matrices.X_train, label=label, weight=weight, params=shape, free_raw_data=True
        )
        return full.construct()
    stem = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
    path, meta = matrices.store / f"lgb-{stem}.bin", matrices.store / f"lgb-{stem}.json"
    if path.exists() and meta.exists():
        try:
            full = lgb.Dataset(str(path), params=shape, free_raw_data=True).construct()
            full.pandas_categorical = json.loads(meta.read_text())  # as pandas would set it
            return full
        except (lgb.basic.LightGBMError, OSError, ValueError):
            # a damaged cache file (cut short, edited): only a cache, so built again below
            path.unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
    full = lgb.Dataset(matrices.X_train, label=label, params=shape, free_raw_data=True)
    full.construct()
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        full.save_binary(str(tmp))
        meta.write_text(json.dumps(full.pandas_categorical))
        os.replace(tmp, path)
    except (lgb.basic.LightGBMError, OSError):
        meta.unlink(missing_ok=True)  # a full disk: the run goes on without this cache entry
    finally:
        tmp.unlink(missing_ok=True)
    return full


def lightgbm_aliases() -> dict[str, str]:
    """Every LightGBM parameter name and alias -> its main name; {} if LightGBM hides them."""
    try:
        from lightgbm.basic import _ConfigAliases

        table = _ConfigAliases._get_all_param_aliases()
    except (ImportError, AttributeError):  # a private helper: skip the name check if it moves
        return {}
    out = {main: main for main in table}
    for main, names in table.items():
        for alias in names:
            out.setdefault(alias, main)
    return out
