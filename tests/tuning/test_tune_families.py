"""``kstarter tune --model NAME`` for every model family: each family's search space (shipped in
configs/, overridden in kstarter.yaml), its own study and its own tuned parameters, which
``kstarter train --model NAME --params tuned`` trains with, and never another family's.

The end-to-end tests run the installed command on a small practice competition (442 rows) with
few boosting rounds, so a CatBoost trial takes a fraction of a second.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import assert_clean_error, copy_project, edit_config, fast_practice

from kstarter.config import CVConfig, ModelConfig, Project, TrainConfig, TuneConfig
from kstarter.errors import ConfigError
from kstarter.metrics import get_metric
from kstarter.models import MODELS, ModelSetup, get_model
from kstarter.spec import Spec
from kstarter.train import resolve_params
from kstarter.tuning import load_space

COMP = "diabetes-progression"  # regression, MAE
JOURNAL = ".kstarter/optuna.journal"
FINISHED = ("COMPLETE", "PRUNED")
TASK_METRICS = {"binary": "auc", "multiclass": "mlogloss", "regression": "rmse"}


# ---------------------------------------------------------------- helpers


def _project(root: Path, task: str = "regression", space: Any = None, **model: Any) -> Project:
    """A project in memory (no data): what load_space and resolve_params read."""
    spec = Spec(name="demo", source="demo", task=task, metric=TASK_METRICS[task], targets=("y",))
    return Project(
        root=root,
        spec=spec,
        cv=CVConfig(),
        model=ModelConfig(**model),
        train=TrainConfig(),
        raw={},
        tune=TuneConfig(search_space=space or {}),
    )


def _study(project: Path, name: str):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(project / JOURNAL)))
    return optuna.load_study(study_name=name, storage=storage)


def _runs(project: Path) -> list[dict]:
    runs = sorted(p for p in (project / "runs").iterdir() if not p.name.startswith("."))
    return [json.loads((r / "metrics.json").read_text()) for r in runs]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """One initialised project with few rounds and one thread, copied per test."""
    return fast_practice(tmp_path_factory, COMP)


@pytest.fixture
def project(template, tmp_path) -> Path:
    return copy_project(template, tmp_path)


# ---------------------------------------------------------------- the shipped spaces (fast)


@pytest.mark.parametrize("task", sorted(TASK_METRICS))
@pytest.mark.parametrize("family", sorted(MODELS))
def test_every_shipped_value_reaches_its_family_model(tmp_path, family, task):
    """Each shipped dimension parses, and a value drawn for it is what the family's model
    trains with (its name is the one configs/<family>.yaml uses, so it replaces the default)."""
    space = load_space(_project(tmp_path, task), family)
    assert space, family
    drawn: dict[str, Any] = {}
    for d in space:
        if d.type == "categorical":  # k-NN's weights
            drawn[d.name] = d.choices[-1]
            continue
        low, high = d.bounds()
        drawn[d.name] = int(high) if d.type == "int" else (low + high) / 2
    spec = Spec(name="demo", source="demo", task=task, metric=TASK_METRICS[task],
                targets=("y",), classes=(0, 1, 2) if task == "multiclass" else ())  # fmt: skip
    setup = ModelSetup(spec, get_metric(TASK_METRICS[task]), (100, 5), overrides=drawn)
    params = get_model(family).create(setup).params
    assert {k: params.get(k) for k in drawn} == drawn


@pytest.mark.parametrize(("task", "used", "unused"), [("regression", "alpha", "C"),
                                                       ("binary", "C", "alpha")])  # fmt: skip
def test_linear_space_draws_only_the_strength_its_estimator_uses(tmp_path, task, used, unused):
    names = {d.name for d in load_space(_project(tmp_path, task), "linear")}
    assert used in names and unused not in names
    bad = {"linear": {unused: {"type": "float", "low": 0.1, "high": 1.0}}}
    with pytest.raises(ConfigError, match=f"linear.{unused} is not used .* tune {used}"):
        load_space(_project(tmp_path, task, bad), "linear")


def test_sections_go_to_their_family_and_flat_entries_to_lightgbm(tmp_path):
    space = {
        "num_leaves": {"type": "int", "low": 4, "high": 8},
        "lightgbm": {"lambda_l1": None},
        "xgboost": {"max_depth": {"type": "int", "low": 2, "high": 3}, "reg_alpha": None},
        "catboost": {"depth": {"type": "int", "low": 4, "high": 5}},
    }
    project = _project(tmp_path, space=space)
    by_family = {f: {d.name: d for d in load_space(project, f)} for f in MODELS}
    assert by_family["lightgbm"]["num_leaves"].bounds() == (4, 8)
    assert "lambda_l1" not in by_family["lightgbm"] and "max_depth" not in by_family["lightgbm"]
    assert by_family["xgboost"]["max_depth"].bounds() == (2, 3)
    assert "reg_alpha" not in by_family["xgboost"] and "eta" in by_family["xgboost"]
    assert by_family["catboost"]["depth"].bounds() == (4, 5)
    assert "num_leaves" not in by_family["xgboost"] | by_family["catboost"] | by_family["linear"]


INT = {"type": "int", "low": 1, "high": 9}


@pytest.mark.parametrize(
    ("family", "space", "needles"),
    [
        ("xgboost", {"xgboost": {"learning_rate": INT}}, ("learning_rate", "use eta")),
        ("xgboost", {"xgboost": {"num_leaves": INT}}, ("not among the XGBoost parameters",)),
        ("xgboost", {"xgboost": {"max_dept": INT}}, ("did you mean max_depth?",)),
        ("xgboost", {"xgboost": {"nthread": INT}}, ("nthread cannot be tuned", "cores")),
        ("catboost", {"catboost": {"iterations": INT}}, ("cannot be tuned", "num_boost_round")),
        ("catboost", {"catboost": {"od_type": INT}}, ("cannot be tuned", "fixed:")),
        ("catboost", {"catboost": {"max_depth": INT}}, ("use depth",)),
        ("catboost", {"catboost": {"depth": {"type": "int", "low": 9, "high": 3}}},
         ("depth: low (9) must be less than high",)),
        ("catboost", {"depth": INT}, ("flat entry", "{catboost: {depth: ...}}")),
        ("xgboost", {"xgboost": [1, 2]}, ("tune.search_space.xgboost must be a mapping",)),
        ("lightgbm", {"xgbost": {"eta": INT}}, ("name the section xgboost:",)),
        ("linear", {"linear": {"C": None, "alpha": None, "min_frequency": None}}, ("empty",)),
    ],
)  # fmt: skip
def test_bad_family_entries_are_named_with_the_fix(tmp_path, family, space, needles):
    with pytest.raises(ConfigError) as info:
        load_space(_project(tmp_path, space=space), family)
    for needle in needles:
        assert needle in str(info.value)


# ---------------------------------------------------------------- the tuned file per family (fast)


def test_each_family_reads_only_its_own_tuned_file(tmp_path):
    project = _project(tmp_path, params={"num_leaves": 7})
    # a tuned_params.yaml from before families had their own (no `model:` key): LightGBM's
    (tmp_path / "tuned_params.yaml").write_text("params:\n  learning_rate: 0.1\n")
    assert resolve_params(project, "tuned") == {"num_leaves": 7, "learning_rate": 0.1}
    with pytest.raises(ConfigError, match=r"`kstarter tune --model xgboost`"):
        resolve_params(project, "tuned", "xgboost")
    (tmp_path / "tuned_params_xgboost.yaml").write_text("model: xgboost\nparams: {eta: 0.2}\n")
    assert resolve_params(project, "tuned", "xgboost") == {"num_leaves": 7, "eta": 0.2}
    # a family's tuned file handed to another family is refused, not half applied
    with pytest.raises(ConfigError, match="tuned for xgboost, not catboost"):
        resolve_params(project, str(tmp_path / "tuned_params_xgboost.yaml"), "catboost")


# ---------------------------------------------------------------- end to end (slow)


@pytest.mark.parametrize(("family", "other"), [("xgboost", "catboost"), ("catboost", "xgboost")])
def test_tune_a_family_then_train_it_with_its_tuned_params(ks, project, family, other):
    # prune hard (a trial continues only while it is the best so far) to see it happen
    edit_config(project, {"tune": {"pruner": "percentile", "percentile": 1.0,
                                    "startup_trials": 1, "warmup_folds": 0}})  # fmt: skip
    proc = ks("tune", "--model", family, "--trials", "8", cwd=project)

    name = f"{COMP}-{family}"
    study = _study(project, name)
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == 8 and {t.state.name for t in trials} <= set(FINISHED)
    assert study.user_attrs["kstarter_model"] == family
    shipped = {d.name for d in load_space(_project(project), family)}
    for t in trials:  # the family's own parameters, a running CV reported after every fold
        # trial 0 holds the defaults, without those the defaults leave to the library
        drawn = set(t.user_attrs["kstarter_default"]) if t.number == 0 else shipped
        assert set(t.params) == drawn and drawn <= shipped
        assert sorted(t.intermediate_values) == list(range(1, t.user_attrs["folds_trained"] + 1))
    assert [t for t in trials if t.state.name == "PRUNED"], "nothing pruned in 8 trials"

    best = study.best_trial
    # --params tuned is recommended only when a drawn trial beat the defaults (trial 0)
    recommended = f"run `kstarter train --model {family} --params tuned`" in proc.stdout
    assert recommended == (best.number != 0), proc.stdout
    saved = yaml.safe_load((project / f"tuned_params_{family}.yaml").read_text())
    assert saved == {"model": family, "params": best.params}
    assert not (project / "tuned_params.yaml").exists()  # LightGBM's is untouched

    ks("train", "--model", family, "--params", "tuned", "-q", cwd=project)
    (run,) = _runs(project)
    assert run["model"] == family and run["params_source"] == "tuned"
    assert {k: run["params"][k] for k in best.params} == best.params
    assert run["cv_mean"] == pytest.approx(best.value, abs=1e-12, rel=0)  # the trial, replayed

    shown = ks("tune", "--model", family, "--show", cwd=project).stdout.splitlines()
    assert shown[0].startswith(f"Study '{name}'") and f"(tunes {family})" in shown[0]
    assert shown[0].endswith(
        f"`kstarter train --model {family} --params tuned`"  # its file
        if best.number != 0
        else f"keep `kstarter train --model {family}`"
    )
    rows = [ln.split() for ln in shown if ln.split() and ln.split()[0].isdigit()]
    assert [int(r[0]) for r in rows] == list(range(8))

    # families never tuned: no fallback to another family's values
    no_lgbm = ks("train", "--params", "tuned", cwd=project, check=False)
    assert_clean_error(no_lgbm, "No tuned lightgbm parameters", "`kstarter tune`")
    no_other = ks("train", "--model", other, "--params", "tuned", cwd=project, check=False)
    assert_clean_error(no_other, f"`kstarter tune --model {other}`")
    # and this family's study is not another family's
    wrong = ks("tune", "--model", other, "--study", name, "--trials", "1", cwd=project, check=False)
    assert_clean_error(wrong, f"tunes {family}, not {other}", f"--model {family}")
    assert len(_runs(project)) == 1


def test_kstarter_yaml_space_of_a_family_is_honoured_by_its_workers(ks, project):
    edit_config(project, {"tune": {"search_space": {
        "num_leaves": {"type": "int", "low": 4, "high": 8},  # LightGBM's: not xgboost's concern
        "xgboost": {
            "max_depth": {"type": "int", "low": 2, "high": 3},
            "reg_alpha": None,
            "gamma": {"type": "float", "low": 0.0, "high": 1.0},
        },
    }}})  # fmt: skip
    ks("tune", "--model", "xgboost", "--trials", "4", "--workers", "2", cwd=project)
    trials = _study(project, f"{COMP}-xgboost").get_trials(deepcopy=False)
    done = [t for t in trials if t.state.name in FINISHED]
    assert 4 <= len(done) <= 5 and not [t for t in trials if t.state.name == "RUNNING"]
    for t in done:
        if "kstarter_default" in t.user_attrs:  # trial 0, the defaults: max_depth 6 is
            assert t.number == 0 and set(t.params) == {"eta", "min_child_weight", "subsample",
                                                        "colsample_bytree", "lambda"}  # fmt: skip
            continue  # outside 2..3 and gamma is not set, so both keep their default
        assert t.params["max_depth"] in (2, 3) and 0.0 <= t.params["gamma"] <= 1.0
        assert "reg_alpha" not in t.params and "num_leaves" not in t.params and "eta" in t.params


def test_linear_tunes_and_trains_with_its_tuned_strength(ks, project):
    ks("tune", "--model", "linear", "--trials", "3", cwd=project)
    best = _study(project, f"{COMP}-linear").best_trial
    assert set(best.params) == {"alpha", "min_frequency"}  # ridge: C would never be used
    ks("train", "--model", "linear", "--params", "tuned", "-q", cwd=project)
    (run,) = _runs(project)
    assert run["params"]["alpha"] == best.params["alpha"]
    assert run["cv_mean"] == pytest.approx(best.value, abs=1e-12, rel=0)


def test_a_space_the_library_refuses_stops_with_its_reason(ks, project):
    edit_config(project, {"tune": {"search_space": {
        "xgboost": {"max_depth": {"type": "int", "low": -5, "high": -1}},
    }}})  # fmt: skip
    proc = ks("tune", "--model", "xgboost", "--trials", "3", cwd=project, check=False)
    assert_clean_error(proc, "10 trials in a row failed", "max_depth", "search_space")
    states = [t.state.name for t in _study(project, f"{COMP}-xgboost").get_trials()]
    # trial 0, the defaults, keeps max_depth 6 (outside the space); every drawn one fails
    assert states == ["COMPLETE"] + ["FAIL"] * 10


def test_unknown_family_is_a_clean_error(ks, project):
    assert_clean_error(ks("tune", "--model", "xgbost", cwd=project, check=False),
                       "Unknown model 'xgbost'", "xgboost")  # fmt: skip
    assert not (project / JOURNAL).exists()


def test_a_new_lightgbm_configuration_tunes_with_lightgbm_rules(tmp_path, monkeypatch):
    """A family added later as a LightGBM configuration (a subclass) without a space file of its
    own uses LightGBM's space and names; its kstarter.yaml section is its own."""
    from kstarter.models import LightGBMModel
    from kstarter.paths import tuned_params

    class Deep(LightGBMModel):
        name = "lightgbm_deep"

    monkeypatch.setitem(MODELS, Deep.name, Deep)
    space = {"lightgbm_deep": {"num_leaves": {"type": "int", "low": 64, "high": 128}}}
    dims = {d.name: d for d in load_space(_project(tmp_path, space=space), Deep.name)}
    assert dims["num_leaves"].bounds() == (64, 128) and "lambda_l1" in dims
    bad = {"lightgbm_deep": {"min_data_in_leaf": INT}}  # an alias of min_child_samples
    with pytest.raises(ConfigError, match="use min_child_samples"):
        load_space(_project(tmp_path, space=bad), Deep.name)
    assert tuned_params(Deep.name) == "tuned_params_lightgbm_deep.yaml"


def test_a_family_name_holding_an_entry_is_lightgbms_parameter() -> None:
    """`extra_trees` is both LightGBM's flag and a family: an entry ({type: ...}) under it is
    the LightGBM parameter; a mapping of entries is the family's section."""
    from kstarter.tuning._space import user_entries

    flag = {"type": "categorical", "choices": [True, False]}
    section = {"min_samples_leaf": {"type": "int", "low": 1, "high": 8}}
    space = {"extra_trees": flag}
    assert user_entries(space, "lightgbm", "kstarter.yaml") == {"extra_trees": flag}
    assert user_entries(space, "extra_trees", "kstarter.yaml") == {}
    space = {"extra_trees": section}
    assert user_entries(space, "extra_trees", "kstarter.yaml") == section
    assert user_entries(space, "lightgbm", "kstarter.yaml") == {}
