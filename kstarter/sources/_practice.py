"""Practice competitions: real datasets shipped inside installed packages, laid out like Kaggle.

``build(name, dest)`` writes ``train.csv``, ``test.csv``, a sample submission and
``description.md`` into ``dest``, exactly as a Kaggle download looks. The true answers for the
test rows are held back, like Kaggle's solution file: ``answer_key(name)`` returns them with a
``Usage`` column (``Public``/``Private``) and ``build`` never writes them.

How a competition is made from the source table (all driven by one ``numpy`` Generator seeded
with ``seed``, so the same seed gives the same files byte for byte):

1. rows are shuffled;
2. a quarter of them go to test, per class for classification (stratified);
3. ids number train rows ``0..n_train-1`` and then test rows, in shuffled order;
4. about 30% of the test rows are marked ``Public`` in the answer key, the rest ``Private``.

The answer key holds the sample's id column, the true target(s) and ``Usage``. Its target
column is the sample's prediction column holding the true label in train's encoding (``label``
and ``value`` submissions, and ``proba`` ones, whose targets are 0/1), except for ``class_proba``
submissions (one probability column per class), where it is the train's target column holding
the class name. ``answer_key_columns(name)`` gives those columns without loading any data.

Nothing downloads: every file is read from an installed package (mglearn, scikit-lego,
palmerpenguins, scikit-learn). pandas and numpy are imported only when data is built, so
``list_practice()`` is cheap.
"""

from __future__ import annotations

import importlib.util
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter.errors import SourceError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "PracticeInfo",
    "list_practice",
    "get_practice",
    "build",
    "answer_key",
    "answer_key_columns",
    "TEST_FRACTION",
    "PUBLIC_FRACTION",
]

TEST_FRACTION = 0.25  # share of rows in test (per class for classification)
PUBLIC_FRACTION = 0.3  # share of test rows on the public leaderboard


@dataclass(frozen=True)
class PracticeInfo:
    name: str  # e.g. "adult-income"
    title: str
    task: str  # binary | multiclass | regression
    metric: str  # Kaggle display name of the metric
    rows: int  # train + test rows
    summary: str  # one line for `kstarter practice`
    source: str  # package, file, origin and licence


@dataclass(frozen=True)
class _Competition:
    """How to build one practice competition; ``load`` returns the whole table, target encoded."""

    info: PracticeInfo
    load: Callable[[], pd.DataFrame]
    target: str
    kind: str  # label | proba | class_proba | value (see kstarter.spec)
    about: str  # overview paragraph of description.md
    id_col: str | None = "id"  # None: train and test have no id (Digit Recognizer)
    sample_id: str | None = None  # the sample's id column; defaults to id_col
    sample_target: str | None = None  # the sample's prediction column; defaults to target
    sample_name: str = "sample_submission.csv"

    @property
    def sub_id(self) -> str:
        return self.sample_id or self.id_col or "id"

    @property
    def sub_target(self) -> str:
        return self.sample_target or self.target


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

_AUC = "Area Under Receiver Operating Characteristic Curve"
_ACCURACY = "Categorization Accuracy"

_METRIC_TEXT = {
    _AUC: "the area under the ROC curve between the predicted probability and the observed "
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
}


_ALL = (
    _Competition(
        info=PracticeInfo(
            name="adult-income",
            title="Adult Census Income",
            task="binary",
            metric=_AUC,
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
    _Competition(
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
    _Competition(
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
    _Competition(
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
    _Competition(
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
    _Competition(
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
    _Competition(
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
_COMPETITIONS = {c.info.name: c for c in _ALL}
assert len(_COMPETITIONS) == len(_ALL), "duplicate practice competition name"


def list_practice() -> list[PracticeInfo]:
    """Every practice competition, in a fixed order."""
    return [c.info for c in _COMPETITIONS.values()]


def _get(name: str) -> _Competition:
    try:
        return _COMPETITIONS[name]
    except KeyError:
        names = ", ".join(_COMPETITIONS)
        raise SourceError(
            f"Unknown practice competition {name!r}: choose one of {names} "
            "(run `kstarter practice` to list them with a summary)."
        ) from None


def get_practice(name: str) -> PracticeInfo:
    return _get(name).info


def answer_key_columns(name: str) -> tuple[str, ...]:
    """The columns of ``answer_key(name)``: the sample's id, the true target(s), ``Usage``."""
    comp = _get(name)
    truth = comp.target if comp.kind == "class_proba" else comp.sub_target
    return (comp.sub_id, truth, "Usage")


# ---------------------------------------------------------------------------------------------
# Building: split, ids, sample, answer key, description.


@dataclass(frozen=True)
class _Frames:
    train: pd.DataFrame
    test: pd.DataFrame
    sample: pd.DataFrame
    solution: pd.DataFrame


def _check_seed(seed: int) -> int:
    try:
        value = operator.index(seed)
    except TypeError:
        value = -1
    if isinstance(seed, bool) or value < 0:
        raise SourceError(f"The practice seed must be a non-negative integer, got {seed!r}.")
    return value


def _integral_to_int(df: pd.DataFrame) -> pd.DataFrame:
    """Write whole-number float columns as integers (``181``, not ``181.0``), keeping NAs."""
    import numpy as np

    out = df.copy()
    for col in out.columns:
        values = out[col]
        if values.dtype.kind == "f" and np.all(np.mod(values.dropna(), 1) == 0):
            out[col] = values.astype("int64" if values.notna().all() else "Int64")
    return out


def _test_mask(comp: _Competition, df: pd.DataFrame) -> np.ndarray:
    """Pick the test rows of an already shuffled table: the first quarter of each class."""
    import numpy as np

    mask = np.zeros(len(df), dtype=bool)
    if comp.info.task == "regression":
        groups = [np.arange(len(df))]
    else:
        y = df[comp.target].to_numpy()
        groups = [np.flatnonzero(y == cls) for cls in sorted(set(y.tolist()))]
    for rows in groups:
        mask[rows[: round(len(rows) * TEST_FRACTION)]] = True
    return mask


def _split(comp: _Competition, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, np.random.Generator]:
    """Shuffle, split and number the rows; returns train, test (with target) and the Generator."""
    import numpy as np

    rng = np.random.default_rng(seed)
    df = _integral_to_int(comp.load())
    df = df.iloc[rng.permutation(len(df))].reset_index(drop=True)
    mask = _test_mask(comp, df)
    train = df[~mask].reset_index(drop=True)
    test = df[mask].reset_index(drop=True)
    if comp.id_col is not None:
        train.insert(0, comp.id_col, np.arange(len(train), dtype="int64"))
        test.insert(0, comp.id_col, np.arange(len(train), len(df), dtype="int64"))
    return train, test, rng


def _sample(comp: _Competition, ids: np.ndarray, classes: list[Any]) -> pd.DataFrame:
    """Kaggle's placeholder: 0.5 / 0.0 / the first class / 1/k for each class column."""
    import pandas as pd

    sample = pd.DataFrame({comp.sub_id: ids})
    if comp.kind == "class_proba":
        for cls in classes:
            sample[str(cls)] = 1 / len(classes)
    elif comp.kind == "proba":
        sample[comp.sub_target] = 0.5
    elif comp.kind == "value":
        sample[comp.sub_target] = 0.0
    else:
        sample[comp.sub_target] = classes[0]
    return sample


def _frames(comp: _Competition, seed: int) -> _Frames:
    import numpy as np
    import pandas as pd

    train, test, rng = _split(comp, _check_seed(seed))
    if comp.id_col is None:
        ids = np.arange(1, len(test) + 1, dtype="int64")
    else:
        ids = test[comp.id_col].to_numpy()
    classes = [] if comp.kind == "value" else sorted(set(train[comp.target].tolist()))
    truth_col = answer_key_columns(comp.info.name)[1]
    public = np.zeros(len(test), dtype=bool)
    public[rng.permutation(len(test))[: round(len(test) * PUBLIC_FRACTION)]] = True
    solution = pd.DataFrame(
        {
            comp.sub_id: ids,
            truth_col: test[comp.target].to_numpy(),
            "Usage": np.where(public, "Public", "Private"),
        }
    )
    return _Frames(
        train=train,
        test=test.drop(columns=comp.target),
        sample=_sample(comp, ids, classes),
        solution=solution,
    )


def answer_key(name: str, seed: int = 0) -> pd.DataFrame:
    """The held-back solution for ``build(name, dest, seed)``'s test rows, in sample order."""
    return _frames(_get(name), seed).solution


def build(name: str, dest: Path, seed: int = 0) -> PracticeInfo:
    """Write train.csv, test.csv, the sample submission and description.md into ``dest``."""
    comp = _get(name)
    frames = _frames(comp, seed)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for file_name, frame in (
        ("train.csv", frames.train),
        ("test.csv", frames.test),
        (comp.sample_name, frames.sample),
    ):
        frame.to_csv(dest / file_name, index=False, lineterminator="\n", encoding="utf-8")
    text = _description(comp, frames)
    (dest / "description.md").write_text(text, encoding="utf-8", newline="\n")
    return comp.info


# ---------------------------------------------------------------------------------------------
# description.md


def _submission_sentence(comp: _Competition, frames: _Frames) -> str:
    cols = [str(c) for c in frames.sample.columns[1:]]
    if comp.kind == "proba":
        return (
            f"For each `{comp.sub_id}` in the test set, predict the probability that "
            f"`{cols[0]}` is 1."
        )
    if comp.kind == "class_proba":
        names = ", ".join(f"`{c}`" for c in cols)
        return (
            f"For each `{comp.sub_id}` in the test set, predict a probability for each "
            f"`{comp.target}` ({names}), one column per class."
        )
    if comp.kind == "value":
        return f"For each `{comp.sub_id}` in the test set, predict the value of `{cols[0]}`."
    labels = sorted({str(v) for v in frames.solution.iloc[:, 1]})
    return (
        f"For each `{comp.sub_id}` in the test set, predict `{cols[0]}`, written as in "
        f"train.csv ({', '.join(labels)})."
    )


def _data_section(comp: _Competition, frames: _Frames) -> str:
    n_features = frames.test.shape[1] - (comp.id_col is not None)
    id_text = f"the id `{comp.id_col}`, " if comp.id_col else "no id column, "
    return (
        "## Data\n\n"
        f"- `train.csv`: {len(frames.train)} rows with {id_text}{n_features} feature columns "
        f"and the target `{comp.target}`.\n"
        f"- `test.csv`: {len(frames.test)} rows, the same columns without the target.\n"
        f"- `{comp.sample_name}`: a sample submission in the correct format.\n"
    )


def _description(comp: _Competition, frames: _Frames) -> str:
    info = comp.info
    example = frames.sample.head(3).to_csv(index=False, lineterminator="\n")
    return (
        f"# {info.title}\n\n{info.summary}\n\n## Overview\n\n{comp.about}\n\n"
        f"{_data_section(comp, frames)}\n"
        "## Evaluation\n\n"
        f"Submissions are evaluated on **{info.metric}**, {_METRIC_TEXT[info.metric]}.\n\n"
        f"{_submission_sentence(comp, frames)} The file has a header and one row per test "
        f"row, like `{comp.sample_name}`:\n\n"
        f"```\n{example}...\n```\n\n"
        "The true answers are held back, as on Kaggle: about 30% of the test rows make the "
        "public score and the rest the private score.\n\n"
        "## Source and licence\n\n"
        f"{info.source}. A kstarter practice competition: built offline from the data file "
        "shipped in that package, shuffled and split with a fixed seed.\n"
    )
