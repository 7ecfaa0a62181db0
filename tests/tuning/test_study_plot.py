"""The tuning plot's importance panel shows bars only once enough trials completed: with one
or two, any split of the variance "explains" it, so the panel says how many are needed."""

from __future__ import annotations

import warnings

import optuna
import pytest

from kstarter.tuning import _results


def _study(n: int) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("a", 0, 1) + 0.1 * t.suggest_float("b", 0, 1),
                   n_trials=n)  # fmt: skip
    return study


@pytest.mark.parametrize(("trials", "bars"), [(1, False), (2, False), (12, True)])
def test_importance_bars_need_enough_trials(monkeypatch, tmp_path, trials, bars) -> None:
    drawn: list = []
    real = _results._importances

    def spy(ax, study):
        real(ax, study)
        drawn.append(ax)

    monkeypatch.setattr(_results, "_importances", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing leaks to the terminal
        assert _results.plot_study(_study(trials), tmp_path / "t.png") is not None
    (ax,) = drawn
    assert bool(ax.patches) is bars
    texts = [t.get_text() for t in ax.texts]
    assert bars or texts == [f"needs 10 complete trials ({trials} so far)"]
