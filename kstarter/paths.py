"""Every file of a generated project, named once.

A project folder (``kstarter init`` makes it) and a run folder (``kstarter train`` and
``kstarter blend`` make them) hold the files below, relative to the project root or to the run
folder. Every module reads the names from here, so a file is renamed in one place::

    <project>/
      kstarter.yaml            CONFIG        the spec and the pipeline config
      features.py              FEATURES      make_features(train, test[, extra])
      README.md                README
      notebooks/eda.ipynb      NOTEBOOK
      data/                    DATA          the raw competition files, untouched
      folds.csv                FOLDS         made once, reused by every run and trial
      runs.csv                 RUNS_INDEX    one row a run, rebuilt from runs/
      runs/<run>/              RUNS          see RunFiles (and RunModels: its models/)
      tuned_params.yaml        TUNED_PARAMS  the best LightGBM trial's parameters
      tuned_params_<m>.yaml    TUNED_PARAMS_FAMILY  another family's (xgboost, catboost, linear)
      tuning/<study>.png       STUDY_PLOTS   one plot a study
      cv_vs_public.png         LEDGER_PNG    ``kstarter runs --plot``
      .kstarter/               STATE         kstarter's own state, never edited by hand
        folds.json             FOLDS_META    the cv settings the folds were made with
        check.json             CHECK         the latest ``kstarter check`` findings
        auto.json              AUTO_RECORD   the last ``kstarter auto``: members, blends, final
        optuna.journal         JOURNAL       the default tuning study
        cache/                 CACHE         parsed inputs, keyed by what they depend on
        staging/               STAGING       runs being written (renamed into runs/)
"""

from __future__ import annotations

__all__ = [
    "CONFIG",
    "FEATURES",
    "README",
    "NOTEBOOK",
    "DATA",
    "FOLDS",
    "RUNS_INDEX",
    "RUNS",
    "TUNED_PARAMS",
    "TUNED_PARAMS_FAMILY",
    "LEDGER_PNG",
    "STATE",
    "FOLDS_META",
    "CHECK",
    "AUTO_RECORD",
    "JOURNAL",
    "STUDY_PLOTS",
    "CACHE",
    "STAGING",
    "RunFiles",
    "RunModels",
]

CONFIG = "kstarter.yaml"
FEATURES = "features.py"
README = "README.md"
NOTEBOOK = "notebooks/eda.ipynb"
DATA = "data"
FOLDS = "folds.csv"
RUNS_INDEX = "runs.csv"
RUNS = "runs"
TUNED_PARAMS = "tuned_params.yaml"  # LightGBM's (its name from before other families tuned)
TUNED_PARAMS_FAMILY = "tuned_params_{model}.yaml"  # another family's: see tuned_params()
LEDGER_PNG = "cv_vs_public.png"
STATE = ".kstarter"
FOLDS_META = f"{STATE}/folds.json"
CHECK = f"{STATE}/check.json"
AUTO_RECORD = f"{STATE}/auto.json"
JOURNAL = f"{STATE}/optuna.journal"
STUDY_PLOTS = "tuning"
CACHE = f"{STATE}/cache"
STAGING = f"{STATE}/staging"


def tuned_params(model: str) -> str:
    """Where ``kstarter tune --model MODEL`` saves its best parameters and ``kstarter train
    --model MODEL --params tuned`` reads them: one file per family, so a family never trains
    with another's tuned values."""
    return TUNED_PARAMS if model == "lightgbm" else TUNED_PARAMS_FAMILY.format(model=model)


class RunFiles:
    """The files of one ``runs/<run>/`` folder."""

    CONFIG = "config.yaml"  # kstarter.yaml as the run saw it
    FEATURES = "features.py"  # features.py as the run saw it (when the project has one)
    METRICS = "metrics.json"  # the run record: scores, parameters, hashes, timings
    SUBMISSION = "submission.csv"  # exactly like the sample submission
    OOF = "oof.csv"  # out-of-fold predictions, raw model output
    TEST_PRED = "test_pred.csv"  # test predictions averaged over folds, raw model output
    IMPORTANCE = "importance.csv"
    IMPORTANCE_PNG = "importance.png"
    TRAIN_LOG = "train.log"
    BLEND_LOG = "blend.log"
    REPORT = "report.html"
    SUBMISSIONS = "submissions.json"  # every submission of this run and its score


class RunModels:
    """The ``models/`` folder of a trained run: its fitted fold models (``models.json`` lists
    them, in their libraries' formats) and the feature recipe, for ``kstarter kernel build``."""

    FOLDER = "models"
    INDEX = "models.json"
    RECIPE = "recipe.joblib"  # how features.py's output becomes the model matrix
