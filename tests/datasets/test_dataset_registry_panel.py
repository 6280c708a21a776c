"""Tests of the ``registry_panel`` dataset (multi-source poverty registry panel)."""

from __future__ import annotations

import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
import mpi.datasets
from mpi.errors import ValidationError

NAME = "registry_panel"
BUNDLED_N = 5000
BUNDLED_SEED = 2015
YEARS = list(range(2015, 2023))
LARGE_N = 200_000

REC = {"record_id": "int32", "hh_id": "int32", "year": "int16"}
EXPECTED_DTYPES: dict[str, dict[str, str]] = {
    "households": {
        "hh_id": "int32",
        "county": "category",
        "township": "int16",
        "village": "int32",
        "hh_size": "int8",
        "head_age": "int8",
        "head_sex": "category",
        "labour_capacity": "category",
        "death_year": "Int16",
    },
    "poverty_office": {
        **REC,
        "registered_poor": "int8",
        "registration_year": "Int16",
        "exit_year": "Int16",
        "poverty_status": "category",
        "monitoring": "category",
        "income_per_capita": "float64",
        "food_insecure": "int8",
        "clothing_insecure": "int8",
    },
    "civil_affairs": {
        **REC,
        "applied": "int8",
        "assistance": "category",
        "hh_size": "int8",
        "income_assessed": "float64",
        "allowance": "float64",
    },
    "health": {
        **REC,
        "insured_members": "int8",
        "medical_insured": "int8",
        "chronic_members": "int8",
        "large_medical_spending": "int8",
        "oop_spending": "float64",
    },
    "education": {**REC, "school_age_children": "int8", "dropout_children": "int8"},
    "housing": {**REC, "housing_grade": "category", "renovated": "int8", "disaster_damage": "int8"},
    "water": {
        **REC,
        "piped": "int8",
        "water_quantity_lpd": "float64",
        "water_quality_ok": "int8",
        "fetch_minutes": "float64",
        "interruption_days": "int16",
        "safe_water": "int8",
    },
    "disability": {**REC, "disabled_members": "int8", "max_disability_grade": "int8"},
    "employment": {
        **REC,
        "working_age_members": "int8",
        "local_employed": "int8",
        "migrant_workers": "int8",
        "lost_job": "int8",
        "public_welfare_job": "int8",
    },
    "business": {
        "business_id": "int32",
        "hh_id": "int32",
        "business_type": "category",
        "registration_year": "int16",
        "deregistration_year": "Int16",
        "registered_capital": "float64",
    },
    "vehicles": {
        "vehicle_id": "int32",
        "hh_id": "int32",
        "vehicle_type": "category",
        "registration_year": "int16",
        "scrapped_year": "Int16",
    },
    "payments": {
        "payment_id": "int32",
        "hh_id": "int32",
        "year": "int16",
        "programme": "category",
        "department": "category",
        "amount": "float64",
    },
    "village_list": {
        "hh_id": "int32",
        "year": "int16",
        "village": "int32",
        "voters": "int16",
        "votes_for": "int16",
        "listed": "int8",
    },
    "truth": {
        "hh_id": "int32",
        "year": "int16",
        "latent_poor": "int8",
        "shock_illness": "int8",
        "shock_disaster": "int8",
        "shock_job_loss": "int8",
        "risk_set": "category",
        "years_since_exit": "int8",
        "base_hazard": "float64",
        "hazard": "float64",
        "exit": "int8",
        "relapse": "int8",
        "entry": "int8",
        "near_poor": "int8",
        "connected": "int8",
        "applied": "int8",
        "listed": "int8",
        "p_listed": "float64",
        "list_error": "category",
        "education_attrited": "int8",
        "employment_attrited": "int8",
    },
    "anomalies": {
        "kind": "category",
        "payment_id": "int32",
        "hh_id": "int32",
        "year": "int16",
        "programme": "category",
    },
    "data_issues": {
        "kind": "category",
        "table": "category",
        "record_id": "int32",
        "hh_id": "int32",
        "year": "int16",
        "column": "category",
        "value_true": "float64",
        "value_false": "float64",
    },
}

PROGRAMMES = [
    "dibao",
    "tekun",
    "disability_subsidy",
    "education_grant",
    "medical_assistance",
    "housing_renovation",
    "industry_subsidy",
    "public_welfare_job",
]
CATEGORIES = {
    ("households", "county"): ["Qingshan", "Baihe", "Shiqiao", "Liujiang", "Yunling", "Hongyan"],
    ("households", "head_sex"): ["male", "female"],
    ("households", "labour_capacity"): ["full", "partial", "none"],
    ("poverty_office", "poverty_status"): ["not_registered", "poor", "exited"],
    ("poverty_office", "monitoring"): [
        "none",
        "unstable_exited",
        "marginal",
        "sudden_hardship",
        "risk_eliminated",
    ],
    ("civil_affairs", "assistance"): ["none", "rejected", "dibao", "tekun"],
    ("housing", "housing_grade"): ["A", "B", "C", "D"],
    ("business", "business_type"): ["individual", "company"],
    ("vehicles", "vehicle_type"): ["car", "truck", "motorcycle", "tricycle"],
    ("payments", "programme"): PROGRAMMES,
    ("truth", "risk_set"): ["initial", "exit", "relapse", "entry"],
    ("truth", "list_error"): ["none", "inclusion", "exclusion"],
    ("anomalies", "kind"): [
        "payment_after_death",
        "duplicate_claim",
        "business_owner",
        "vehicle_owner",
    ],
}

#: Inclusive ranges of numeric columns (ignoring missing values).
RANGES = {
    ("households", "hh_size"): (1, 7),
    ("households", "head_age"): (22, 90),
    ("households", "death_year"): (2015, 2022),
    ("poverty_office", "income_per_capita"): (300, 1e7),
    ("poverty_office", "registration_year"): (2014, 2019),
    ("poverty_office", "exit_year"): (2014, 2020),
    ("civil_affairs", "hh_size"): (1, 9),
    ("civil_affairs", "allowance"): (0, 1e5),
    ("health", "insured_members"): (0, 7),
    ("health", "oop_spending"): (0, 1e7),
    ("education", "school_age_children"): (0, 3),
    ("education", "dropout_children"): (0, 3),
    ("water", "water_quantity_lpd"): (1, 1000),
    ("water", "fetch_minutes"): (0, 600),
    ("water", "interruption_days"): (0, 365),
    ("disability", "disabled_members"): (1, 7),
    ("disability", "max_disability_grade"): (1, 4),
    ("employment", "working_age_members"): (1, 7),
    ("business", "registration_year"): (2005, 2022),
    ("vehicles", "registration_year"): (2006, 2022),
    ("payments", "amount"): (1, 1e5),
    ("truth", "years_since_exit"): (0, 10),
    ("truth", "base_hazard"): (0.0, 1.0),
    ("truth", "hazard"): (0.0, 0.95),
    ("truth", "p_listed"): (0.0, 1.0),
}

#: 0/1 columns (each value occurs in the bundled file).
BINARY = {
    "registered_poor",
    "food_insecure",
    "clothing_insecure",
    "applied",
    "medical_insured",
    "large_medical_spending",
    "renovated",
    "disaster_damage",
    "piped",
    "water_quality_ok",
    "safe_water",
    "lost_job",
    "public_welfare_job",
    "listed",
    "latent_poor",
    "shock_illness",
    "shock_disaster",
    "shock_job_loss",
    "exit",
    "relapse",
    "entry",
    "near_poor",
    "connected",
    "education_attrited",
    "employment_attrited",
}

#: Planted problems in the bundled file (documented in the data card).
BUNDLED_DUPLICATES = {"poverty_office": 15, "health": 25, "housing": 31}
BUNDLED_ISSUES = {
    ("duplicate_key", "poverty_office"): 15,
    ("duplicate_key", "health"): 25,
    ("duplicate_key", "housing"): 31,
    ("conflict_hh_size", "civil_affairs"): 67,
    ("conflict_income", "civil_affairs"): 42,
    ("record_after_death", "health"): 16,
}
BUNDLED_ANOMALIES = {
    "payment_after_death": 12,
    "duplicate_claim": 35,
    "business_owner": 60,
    "vehicle_owner": 87,
}
BUNDLED_ROWS = {
    "households": 5000,
    "poverty_office": 38678,
    "civil_affairs": 12046,
    "health": 39023,
    "education": 38016,
    "housing": 38925,
    "water": 38874,
    "disability": 3442,
    "employment": 28029,
    "business": 265,
    "vehicles": 3673,
    "payments": 11953,
    "village_list": 6264,
    "truth": 39599,
    "anomalies": 194,
    "data_issues": 196,
}
DEPARTMENTS = [
    "poverty_office",
    "civil_affairs",
    "health",
    "education",
    "housing",
    "water",
    "disability",
    "employment",
]
SPEC_VARIABLES = [
    "income_per_capita",
    "food_insecure",
    "clothing_insecure",
    "dropout_children",
    "medical_insured",
    "housing_grade",
    "safe_water",
]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return mpi.datasets.load(NAME)


@pytest.fixture(scope="module")
def panel() -> xr.Dataset:
    return mpi.datasets.load(NAME, format="xarray")


@pytest.fixture(scope="module")
def large() -> dict[str, pd.DataFrame]:
    return mpi.datasets.generate(NAME, n=LARGE_N, seed=11)


def _within(successes: float, trials: float, p: float, z: float = 4.0) -> bool:
    se = np.sqrt(p * (1 - p) / trials)
    return abs(successes / trials - p) <= z * se + 1e-12


def _alive_years(households: pd.DataFrame) -> pd.DataFrame:
    """All household-years while the household exists."""
    death = households["death_year"].fillna(9999).to_numpy(dtype=np.int64)
    hh = np.repeat(households["hh_id"].to_numpy(), len(YEARS))
    year = np.tile(YEARS, len(households))
    keep = year <= np.repeat(death, len(YEARS))
    return pd.DataFrame({"hh_id": hh[keep], "year": year[keep]})


def _present(table: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
    """Whether each (hh_id, year) of ``keys`` has a record in ``table``."""
    got = table[["hh_id", "year"]].drop_duplicates().astype("int64")
    got["present"] = True
    merged = keys.astype("int64").merge(got, on=["hh_id", "year"], how="left")
    return merged["present"].fillna(False).to_numpy(dtype=bool)


# --- catalogue, loading, layout ------------------------------------------------------------
def test_listed_and_described() -> None:
    assert NAME in mpi.datasets.list()
    card = mpi.datasets.describe(NAME)
    assert card.splitlines()[0].startswith("# registry_panel")
    for table in EXPECTED_DTYPES:
        assert f"`{table}`" in card


def test_load_is_fast() -> None:
    for fmt in ("tables", "xarray"):
        start = time.perf_counter()
        mpi.datasets.load(NAME, format=fmt)
        assert time.perf_counter() - start < 1.0, fmt


def test_tables_columns_and_dtypes(tables: dict[str, pd.DataFrame]) -> None:
    assert list(tables) == list(EXPECTED_DTYPES)
    for name, dtypes in EXPECTED_DTYPES.items():
        df = tables[name]
        assert list(df.columns) == list(dtypes), name
        assert {c: str(t) for c, t in df.dtypes.items()} == dtypes, name
        assert len(df) == BUNDLED_ROWS[name], name
    for (name, col), cats in CATEGORIES.items():
        assert list(tables[name][col].cat.categories) == cats, (name, col)
    for name, col in [("payments", "department"), ("data_issues", "table")]:
        assert set(tables[name][col].cat.categories) <= set(DEPARTMENTS)


def test_value_ranges(tables: dict[str, pd.DataFrame]) -> None:
    for (name, col), (lo, hi) in RANGES.items():
        s = tables[name][col].dropna()
        assert s.min() >= lo and s.max() <= hi, (name, col, s.min(), s.max())
    for name, df in tables.items():
        for col in df.columns:
            if col in BINARY:
                assert set(np.unique(df[col])) == {0, 1}, (name, col)
        if "year" in df:
            assert df["year"].between(2015, 2022).all(), name
        for col in df.columns:
            if str(df[col].dtype) == "category" and name != "data_issues":
                assert not df[col].isna().any(), (name, col)
    for name in ("poverty_office", "civil_affairs", "health", "water"):
        for col in tables[name].select_dtypes("float64"):
            assert tables[name][col].notna().all(), (name, col)
    po = tables["poverty_office"]
    assert (po["income_per_capita"] % 10 == 0).all()
    water = tables["water"]
    thr_ok = (water["water_quality_ok"] == 1) & (water["fetch_minutes"] <= 20)
    thr_ok &= water["interruption_days"] <= 36
    assert (water["safe_water"] <= thr_ok.astype(int)).all()
    assert ((water["piped"] == 1) <= (water["fetch_minutes"] == 0)).all()


def test_household_master(tables: dict[str, pd.DataFrame]) -> None:
    hh = tables["households"]
    assert (hh["hh_id"].to_numpy() == np.arange(1, BUNDLED_N + 1)).all()
    county_of_village = hh.groupby("village", observed=True)["county"].nunique()
    assert (county_of_village == 1).all()
    assert set(hh["county"].unique()) == set(CATEGORIES[("households", "county")])
    assert ((hh["township"] // 100) - 1 == hh["county"].cat.codes).all()


def test_record_ids_and_keys(tables: dict[str, pd.DataFrame]) -> None:
    issues = tables["data_issues"]
    dups = issues[issues["kind"] == "duplicate_key"]
    for name in DEPARTMENTS:
        df = tables[name]
        assert (df["record_id"].to_numpy() == np.arange(1, len(df) + 1)).all(), name
        key = df["hh_id"].astype("int64") * 10_000 + df["year"]
        assert key.is_monotonic_increasing, name
        duplicated = df[df.duplicated(["hh_id", "year"], keep=False)]
        planted = dups[dups["table"] == name]
        assert duplicated.groupby(["hh_id", "year"]).size().eq(2).all(), name
        assert len(duplicated) == 2 * len(planted) == 2 * BUNDLED_DUPLICATES.get(name, 0), name
        got = set(zip(duplicated["hh_id"], duplicated["year"], strict=True))
        assert got == set(zip(planted["hh_id"], planted["year"], strict=True)), name
    for name, key in [
        ("truth", ["hh_id", "year"]),
        ("village_list", ["hh_id", "year"]),
        ("payments", ["hh_id", "year", "programme"]),
        ("households", ["hh_id"]),
    ]:
        assert not tables[name].duplicated(key).any(), name
    for name, col in [
        ("payments", "payment_id"),
        ("business", "business_id"),
        ("vehicles", "vehicle_id"),
    ]:
        ids = tables[name][col].to_numpy()
        assert (ids == np.arange(1, len(ids) + 1)).all(), name
    for name in tables:
        if "hh_id" in tables[name]:
            assert tables[name]["hh_id"].between(1, BUNDLED_N).all(), name


def test_duplicates_carry_the_documented_values(tables: dict[str, pd.DataFrame]) -> None:
    issues = tables["data_issues"]
    dups = issues[issues["kind"] == "duplicate_key"]
    column = {
        "poverty_office": "income_per_capita",
        "health": "medical_insured",
        "housing": "housing_grade",
    }
    for name, col in column.items():
        df = tables[name].set_index("record_id")
        planted = dups[dups["table"] == name]
        assert (planted["column"] == col).all()
        values = df.loc[planted["record_id"], col]
        if col == "housing_grade":
            values = values.cat.codes + 1
        assert (values.to_numpy(dtype=float) == planted["value_false"].to_numpy()).all(), name
        assert (planted["value_true"] != planted["value_false"]).all()
        both = df[df.duplicated(["hh_id", "year"], keep=False)].reset_index()
        other = both[~both["record_id"].isin(planted["record_id"])]
        other_values = other[col].cat.codes + 1 if col == "housing_grade" else other[col]
        truth = planted.set_index(["hh_id", "year"])["value_true"]
        got = pd.Series(
            other_values.to_numpy(dtype=float),
            index=pd.MultiIndex.from_frame(other[["hh_id", "year"]]),
        )
        assert (got.sort_index() == truth.sort_index().to_numpy()).all(), name


def test_bundled_issue_and_anomaly_counts(tables: dict[str, pd.DataFrame]) -> None:
    issues = tables["data_issues"].groupby(["kind", "table"], observed=True).size()
    assert issues.to_dict() == BUNDLED_ISSUES
    anomalies = tables["anomalies"]["kind"].value_counts()
    assert anomalies.to_dict() == BUNDLED_ANOMALIES


def test_no_records_after_death_except_planted(tables: dict[str, pd.DataFrame]) -> None:
    death = tables["households"].set_index("hh_id")["death_year"].astype("float64")
    issues = tables["data_issues"]
    stale = issues[issues["kind"] == "record_after_death"]
    for name in [*DEPARTMENTS, "village_list", "truth", "payments"]:
        df = tables[name]
        after = df["year"].to_numpy() > death.reindex(df["hh_id"]).fillna(9999).to_numpy()
        if name == "health":
            assert set(df.loc[after, "record_id"]) == set(stale["record_id"])
            assert (df.loc[after, "year"].to_numpy() == stale["year"].to_numpy()).all()
        elif name == "payments":
            planted = tables["anomalies"]
            planted = planted[planted["kind"] == "payment_after_death"]
            assert set(df.loc[after, "payment_id"]) == set(planted["payment_id"])
        else:
            assert not after.any(), name


def test_conflicts_between_sources_match_truth(tables: dict[str, pd.DataFrame]) -> None:
    ca, hh, po = tables["civil_affairs"], tables["households"], tables["poverty_office"]
    issues = tables["data_issues"]
    size = hh.set_index("hh_id")["hh_size"].reindex(ca["hh_id"]).to_numpy()
    size_conflict = ca.loc[ca["hh_size"].to_numpy() != size, "record_id"]
    planted = issues[issues["kind"] == "conflict_hh_size"]
    assert set(size_conflict) == set(planted["record_id"])
    unique_po = po[~po.duplicated(["hh_id", "year"], keep=False)]
    both = ca.merge(unique_po[["hh_id", "year", "income_per_capita"]], on=["hh_id", "year"])
    ratio = both["income_assessed"] / both["income_per_capita"]
    income_conflict = both.loc[(ratio < 0.8) | (ratio > 1.25), "record_id"]
    planted = issues[issues["kind"] == "conflict_income"]
    assert set(income_conflict) == set(planted["record_id"])
    rows = ca.set_index("record_id").loc[planted["record_id"], "income_assessed"]
    assert (rows.to_numpy() == planted["value_false"].to_numpy()).all()


def _detect_anomalies(t: dict[str, pd.DataFrame]) -> dict[str, set[int]]:
    """Rule-based detection of the four benefit anomalies from the tables alone."""
    pay = t["payments"]
    death = t["households"].set_index("hh_id")["death_year"].astype("float64")
    after = pay["year"].to_numpy() > death.reindex(pay["hh_id"]).fillna(9999).to_numpy()
    allowance = pay[pay["programme"].isin(["dibao", "tekun"])]
    counts = allowance.groupby(["hh_id", "year"]).size()
    both = counts[counts == 2].index
    tekun = allowance[allowance["programme"] == "tekun"]
    dup = tekun.set_index(["hh_id", "year"]).index.isin(both)

    def owners(table: pd.DataFrame, types: list[str] | None, end: str) -> set[int]:
        if types is not None:
            table = table[table["vehicle_type"].isin(types)]
        m = allowance.merge(table[["hh_id", "registration_year", end]], on="hh_id")
        active = (m["registration_year"] <= m["year"]) & ~(m[end].astype("float64") <= m["year"])
        return set(m.loc[active, "payment_id"])

    return {
        "payment_after_death": set(pay.loc[after, "payment_id"]),
        "duplicate_claim": set(tekun.loc[dup, "payment_id"]),
        "business_owner": owners(t["business"], None, "deregistration_year"),
        "vehicle_owner": owners(t["vehicles"], ["car", "truck"], "scrapped_year"),
    }


@pytest.mark.parametrize("which", ["bundled", "large"])
def test_planted_anomalies_equal_truth_labels(which: str, request: pytest.FixtureRequest) -> None:
    t = request.getfixturevalue("tables" if which == "bundled" else "large")
    found = _detect_anomalies(t)
    truth = t["anomalies"]
    for kind, ids in found.items():
        labelled = set(truth.loc[truth["kind"] == kind, "payment_id"])
        assert ids == labelled, kind
        assert len(labelled) > 0, kind
    pay = t["payments"].set_index("payment_id").loc[truth["payment_id"]]
    assert (pay["hh_id"].to_numpy() == truth["hh_id"].to_numpy()).all()
    assert (pay["programme"].to_numpy() == truth["programme"].to_numpy()).all()


def test_village_list_matches_truth(tables: dict[str, pd.DataFrame]) -> None:
    vl, truth, hh = tables["village_list"], tables["truth"], tables["households"]
    applied = truth[truth["applied"] == 1]
    assert (vl[["hh_id", "year"]].to_numpy() == applied[["hh_id", "year"]].to_numpy()).all()
    assert (vl["listed"].to_numpy() == applied["listed"].to_numpy()).all()
    assert ((vl["votes_for"] > vl["voters"] / 2) == (vl["listed"] == 1)).all()
    assert (vl["votes_for"] <= vl["voters"]).all()
    assert (
        vl["village"].to_numpy() == hh.set_index("hh_id")["village"].loc[vl["hh_id"]].to_numpy()
    ).all()
    assert (truth["listed"] <= truth["applied"]).all()
    expected = np.where(
        (truth["listed"] == 1) & (truth["latent_poor"] == 0),
        "inclusion",
        np.where((truth["listed"] == 0) & (truth["latent_poor"] == 1), "exclusion", "none"),
    )
    assert (truth["list_error"].astype(str).to_numpy() == expected).all()


def test_truth_is_consistent(tables: dict[str, pd.DataFrame]) -> None:
    from mpi.datasets import _registry_panel as rp

    t = tables["truth"].sort_values(["hh_id", "year"])
    prev = t.groupby("hh_id")["latent_poor"].shift()
    first = t["year"] == 2015
    assert (t.loc[first, "risk_set"] == "initial").all()
    assert t.loc[first, "hazard"].isna().all() and t.loc[~first, "hazard"].notna().all()
    later = t[~first]
    p = prev[~first]
    assert ((later["risk_set"] == "exit") == (p == 1)).all()
    poor = later["latent_poor"].to_numpy()
    assert (later["exit"].to_numpy() == ((p == 1) & (poor == 0))).all()
    assert (later["relapse"].to_numpy() == ((later["risk_set"] == "relapse") & (poor == 1))).all()
    assert (later["entry"].to_numpy() == ((later["risk_set"] == "entry") & (poor == 1))).all()
    # the hazard formula, recomputed exactly
    rel = later["risk_set"] == "relapse"
    cap = tables["households"].set_index("hh_id")["labour_capacity"].loc[later["hh_id"]].astype(str)
    base = np.where(
        later["risk_set"] == "exit",
        later["year"].map(rp.EXIT_HAZARD),
        np.where(
            rel,
            np.minimum(later["years_since_exit"], 3).map(rp.RELAPSE_HAZARD),
            cap.map(rp.ENTRY_HAZARD).to_numpy(),
        ),
    )
    assert (later["base_hazard"].to_numpy() == base).all()
    for is_exit in (True, False):
        mult = rp.EXIT_MULTIPLIER if is_exit else rp.RISK_MULTIPLIER
        sel = (later["risk_set"] == "exit") == is_exit
        rows = later[sel]
        factor = (
            np.where(rows["shock_illness"] == 1, mult["illness"], 1.0)
            * np.where(rows["shock_disaster"] == 1, mult["disaster"], 1.0)
            * np.where(rows["shock_job_loss"] == 1, mult["job_loss"], 1.0)
        )
        expected = np.minimum(rp.HAZARD_CAP, rows["base_hazard"].to_numpy() * factor)
        assert (rows["hazard"].to_numpy() == expected).all()
    # years since exit: the year minus the last exit year, while non-poor since
    assert (later.loc[rel, "years_since_exit"] >= 1).all()
    assert (later.loc[~rel, "years_since_exit"] == 0).all()
    attrs = tables["truth"].attrs
    assert attrs["relapse_hazard"] == {1: 0.15, 2: 0.09, 3: 0.05}
    assert attrs["exit_hazard"][2020] == 0.5


def test_registry_status_follows_the_list(tables: dict[str, pd.DataFrame]) -> None:
    po = tables["poverty_office"].drop_duplicates(["hh_id", "year"])
    registered = po["registration_year"].notna()
    assert (po["registered_poor"] == registered.astype(int)).all()
    assert (po.loc[registered, "registration_year"] <= po.loc[registered, "year"]).all()
    exited = po["exit_year"].notna()
    assert ((po["poverty_status"] == "exited") == exited).all()
    assert ((po["poverty_status"] == "not_registered") == ~registered).all()
    assert (po.loc[po["year"] >= 2020, "poverty_status"] != "poor").all()  # all exited by 2020
    assert (po.loc[po["year"] < 2020, "monitoring"] == "none").all()
    first_listed = (
        tables["village_list"].query("listed == 1 and year <= 2019").groupby("hh_id")["year"].min()
    )
    reg = (
        po.loc[registered & (po["registration_year"] >= 2015)]
        .groupby("hh_id")["registration_year"]
        .first()
    )
    assert (reg == first_listed.reindex(reg.index)).all()


# --- xarray format ------------------------------------------------------------------------------
def test_xarray_layout(panel: xr.Dataset) -> None:
    assert dict(panel.sizes) == {"unit": BUNDLED_N, "time": 8}
    assert panel["time"].values.tolist() == YEARS
    assert (panel["unit"].values == np.arange(1, BUNDLED_N + 1)).all()
    for var in SPEC_VARIABLES:
        assert panel[var].dims == ("unit", "time"), var
    for var in ("county", "weight", "hh_size", "labour_capacity"):
        assert panel[var].dims == ("unit",)
    assert (panel["weight"] == 1).all()
    one = panel.sel(time=2020)
    for var in [*SPEC_VARIABLES, "county", "weight", "latent_poor"]:
        assert one[var].dims == ("unit",), var
    assert panel.attrs["relapse_hazard"] == [0.15, 0.09, 0.05]
    assert set(
        np.unique(panel["housing_grade"].values[panel["housing_grade"].notnull().values])
    ) <= set("ABCD")
    dead = panel["alive"].values == 0
    assert np.isnan(panel["latent_poor"].values[dead]).all()
    assert np.isnan(panel["income_per_capita"].values[dead]).all()


def test_xarray_follows_the_merge_rule(panel: xr.Dataset, tables: dict[str, pd.DataFrame]) -> None:
    for var, table, col in [
        ("income_per_capita", "poverty_office", "income_per_capita"),
        ("medical_insured", "health", "medical_insured"),
        ("housing_grade", "housing", "housing_grade"),
        ("safe_water", "water", "safe_water"),
        ("dropout_children", "education", "dropout_children"),
    ]:
        df = tables[table]
        death = tables["households"].set_index("hh_id")["death_year"].astype("float64")
        df = df[df["year"].to_numpy() <= death.reindex(df["hh_id"]).fillna(9999).to_numpy()]
        last = df.sort_values("record_id").drop_duplicates(["hh_id", "year"], keep="last")
        wide = last.pivot(index="hh_id", columns="year", values=col)
        wide = wide.reindex(index=range(1, BUNDLED_N + 1), columns=YEARS)
        got = panel[var].values
        if col == "housing_grade":
            expected = wide.astype(object).to_numpy()
            missing = pd.isna(expected)
            assert (pd.isna(got) == missing).all()
            assert (got[~missing] == expected[~missing].astype(str)).all()
        else:
            assert np.array_equal(
                got.astype("float64"), wide.to_numpy(dtype="float64"), equal_nan=True
            )
    truth = tables["truth"].pivot(index="hh_id", columns="year", values="latent_poor")
    truth = truth.reindex(index=range(1, BUNDLED_N + 1), columns=YEARS)
    assert np.array_equal(
        panel["latent_poor"].values, truth.to_numpy(dtype="float64"), equal_nan=True
    )


def test_measure_china_2b3g_on_one_wave(panel: xr.Dataset) -> None:
    spec = mpi.presets.china_2b3g()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        res = mpi.measure(panel.sel(time=2020), spec, by="county", weight="weight")
    ds = res.to_dataset()
    assert 0.05 < float(res.overall["H"]) < 0.3
    assert ds.sizes["county"] == 6


def test_af_poverty_tracks_the_latent_state(panel: xr.Dataset) -> None:
    one = panel.sel(time=2020)
    complete = np.ones(one.sizes["unit"], bool)
    for var in SPEC_VARIABLES:
        complete &= one[var].notnull().values
    grade = one["housing_grade"].values
    deprived = (
        (one["income_per_capita"].values < 4000)
        | (one["food_insecure"].values == 1)
        | (one["clothing_insecure"].values == 1)
        | (one["dropout_children"].values > 0)
        | (one["medical_insured"].values == 0)
        | np.isin(grade, ["C", "D"])
        | (one["safe_water"].values == 0)
    )[complete]
    latent = one["latent_poor"].values[complete] == 1
    assert deprived[latent].mean() > 0.85  # sensitivity
    assert deprived[~latent].mean() < 0.12  # false-positive rate
    assert complete.mean() > 0.75


# --- generation ------------------------------------------------------------------------------------
def test_bundled_equals_generator(tables: dict[str, pd.DataFrame], panel: xr.Dataset) -> None:
    gen = mpi.datasets.generate(NAME, n=BUNDLED_N, seed=BUNDLED_SEED)
    for name in EXPECTED_DTYPES:
        pd.testing.assert_frame_equal(tables[name], gen[name], check_exact=True)
    gen_x = mpi.datasets.generate(NAME, n=BUNDLED_N, seed=BUNDLED_SEED, format="xarray")
    xr.testing.assert_identical(panel, gen_x)


def test_generate_is_deterministic_and_seed_sensitive() -> None:
    a = mpi.datasets.generate(NAME, n=700, seed=5)
    b = mpi.datasets.generate(NAME, n=700, seed=5, chunk_size=13)
    c = mpi.datasets.generate(NAME, n=700, seed=6)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)
    assert not a["truth"]["latent_poor"].equals(c["truth"]["latent_poor"])
    assert not a["poverty_office"]["income_per_capita"].equals(
        c["poverty_office"]["income_per_capita"]
    )


def test_generate_prefix_property(tables: dict[str, pd.DataFrame]) -> None:
    small = mpi.datasets.generate(NAME, n=300, seed=BUNDLED_SEED)
    for name, df in small.items():
        big = tables[name]
        head = big[big["hh_id"] <= 300].reset_index(drop=True)
        pd.testing.assert_frame_equal(df, head, check_exact=True)


def test_generate_across_blocks() -> None:
    n = 16_384 + 100
    ds = mpi.datasets.generate(NAME, n=n, seed=2, format="xarray")
    t = mpi.datasets.generate(NAME, n=n, seed=2)
    assert ds.sizes["unit"] == n and len(t["households"]) == n
    assert t["households"]["village"].max() > 64  # village ids run on across blocks
    assert (t["payments"]["payment_id"].to_numpy() == np.arange(1, len(t["payments"]) + 1)).all()
    found = _detect_anomalies(t)
    for kind, ids in found.items():
        assert ids == set(t["anomalies"].loc[t["anomalies"]["kind"] == kind, "payment_id"])
    issues = t["data_issues"]
    po = t["poverty_office"].set_index("record_id")
    planted = issues[(issues["table"] == "poverty_office") & (issues["kind"] == "duplicate_key")]
    assert (
        po.loc[planted["record_id"], "income_per_capita"].to_numpy()
        == planted["value_false"].to_numpy()
    ).all()
    last = t["truth"][t["truth"]["hh_id"] == n]
    assert np.array_equal(
        ds["latent_poor"].sel(unit=n).values[: len(last)], last["latent_poor"].to_numpy()
    )


def test_bad_arguments() -> None:
    with pytest.raises(ValidationError):
        mpi.datasets.generate(NAME, n=0)
    with pytest.raises(ValidationError):
        mpi.datasets.generate(NAME, n=10**9)
    with pytest.raises(ValidationError):
        mpi.datasets.load(NAME, format="parquet")


# --- statistical properties of a large panel -------------------------------------------------------
def test_relapse_hazard_matches_stored(large: dict[str, pd.DataFrame]) -> None:
    t = large["truth"]
    no_shock = (t["shock_illness"] == 0) & (t["shock_disaster"] == 0) & (t["shock_job_loss"] == 0)
    at_risk = t[(t["risk_set"] == "relapse") & no_shock]
    tau = np.minimum(at_risk["years_since_exit"], 3)
    for k, h in {1: 0.15, 2: 0.09, 3: 0.05}.items():
        rows = at_risk[tau == k]
        assert len(rows) > 20_000
        assert _within(rows["relapse"].sum(), len(rows), h), (k, rows["relapse"].mean())
    # with shocks: events against the sum of the stored household-year hazards
    everyone = t[t["risk_set"] == "relapse"]
    for k in (1, 2, 3):
        rows = everyone[np.minimum(everyone["years_since_exit"], 3) == k]
        hz = rows["hazard"].to_numpy()
        z = (rows["relapse"].sum() - hz.sum()) / np.sqrt((hz * (1 - hz)).sum())
        assert abs(z) < 4, (k, z)


def test_exit_hazard_matches_stored(large: dict[str, pd.DataFrame]) -> None:
    t = large["truth"]
    no_shock = (t["shock_illness"] == 0) & (t["shock_disaster"] == 0) & (t["shock_job_loss"] == 0)
    at_risk = t[(t["risk_set"] == "exit") & no_shock]
    hazards = large["truth"].attrs["exit_hazard"]
    for year, h in hazards.items():
        rows = at_risk[at_risk["year"] == year]
        assert len(rows) > 5_000
        assert _within(rows["exit"].sum(), len(rows), h), (year, rows["exit"].mean())
    rows = t[t["risk_set"] == "exit"]
    hz = rows["hazard"].to_numpy()
    z = (rows["exit"].sum() - hz.sum()) / np.sqrt((hz * (1 - hz)).sum())
    assert abs(z) < 4


def test_village_list_error_rates(large: dict[str, pd.DataFrame]) -> None:
    from mpi.datasets import _registry_panel as rp

    t = large["truth"]
    cell = np.where(
        t["latent_poor"] == 1,
        "poor",
        np.where(
            t["connected"] == 1, "connected", np.where(t["near_poor"] == 1, "near_poor", "other")
        ),
    )
    for name in ("poor", "connected", "near_poor", "other"):
        rows = t[cell == name]
        p_apply, p_approve = rp.LIST_APPLY[name], rp.LIST_APPROVE[name]
        assert (rows["p_listed"] == p_apply * p_approve).all()
        assert _within(rows["applied"].sum(), len(rows), p_apply), name
        assert _within(rows["listed"].sum(), len(rows), p_apply * p_approve), name
    poor = t[t["latent_poor"] == 1]
    assert _within((poor["list_error"] == "exclusion").sum(), len(poor), 1 - 0.8 * 0.85)


def test_missing_waves_and_attrition(large: dict[str, pd.DataFrame]) -> None:
    from mpi.datasets import _registry_panel as rp

    q = rp.QUIRKS
    t = large
    keys = _alive_years(t["households"])
    truth = t["truth"]
    assert (truth[["hh_id", "year"]].to_numpy() == keys.to_numpy()).all()

    # health: 1 % missing waves, and no 2018 records in Hongyan (system migration)
    county = t["households"].set_index("hh_id")["county"].astype(str)
    gap = (county.loc[keys["hh_id"]].to_numpy() == "Hongyan") & (keys["year"].to_numpy() == 2018)
    present = _present(t["health"], keys)
    assert not present[gap].any()
    assert _within((~present[~gap]).sum(), (~gap).sum(), q["health_missing"])

    # education: attrition hazard and missing waves among those still on the roster
    attr = truth["education_attrited"].to_numpy() == 1
    present = _present(t["education"], keys)
    assert not present[attr].any()
    assert _within((~present[~attr]).sum(), (~attr).sum(), q["education_missing"])
    prev = truth.groupby("hh_id")["education_attrited"].shift()
    at_risk = (prev == 0).to_numpy()
    assert _within(attr[at_risk].sum(), at_risk.sum(), q["education_attrition"])

    # employment: households with labour; 30 % of the 2015 wave missing, 3 % later; attrition.
    # Scope is not in the master table: households seen in 2016 (hence in scope and not yet
    # attrited in 2015) give the 2015 rate, households seen in 2015 the later rates.
    emp = t["employment"]
    attr = truth["employment_attrited"].to_numpy() == 1
    present = _present(emp, keys)
    assert not present[attr].any()
    first = keys["year"].to_numpy() == 2015
    seen_2016 = keys["hh_id"].isin(emp.loc[emp["year"] == 2016, "hh_id"]).to_numpy()
    sel = seen_2016 & first
    assert _within((~present[sel]).sum(), sel.sum(), q["employment_missing_2015"])
    seen_2015 = keys["hh_id"].isin(emp.loc[emp["year"] == 2015, "hh_id"]).to_numpy()
    sel = seen_2015 & ~attr & ~first
    assert _within((~present[sel]).sum(), sel.sum(), q["employment_missing"])
    prev = truth.groupby("hh_id")["employment_attrited"].shift()
    at_risk = (prev == 0).to_numpy() & seen_2015
    assert _within(attr[at_risk].sum(), at_risk.sum(), q["employment_attrition"])

    # poverty office: 1 % missing for registered households, 3 % for the others
    po = t["poverty_office"]
    reg_year = po.groupby("hh_id")["registration_year"].min()
    ry = reg_year.reindex(keys["hh_id"]).astype("float64").fillna(9999).to_numpy()
    registered = keys["year"].to_numpy() >= ry
    present = _present(po, keys)
    # a household registered but never seen after registration is counted as unregistered: rare
    assert _within(
        (~present[registered]).sum(), registered.sum(), q["poverty_office_missing_registered"], z=5
    )
    assert _within(
        (~present[~registered]).sum(), (~registered).sum(), q["poverty_office_missing_other"], z=5
    )

    # water: whole village-years missing (1 %) and 1 % of the other household-years
    village = t["households"].set_index("hh_id")["village"].loc[keys["hh_id"]].to_numpy()
    present = _present(t["water"], keys)
    vy = pd.DataFrame({"village": village, "year": keys["year"], "present": present})
    by_village = vy.groupby(["village", "year"])["present"].agg(["sum", "size"])
    by_village = by_village[by_village["size"] >= 30]
    empty = by_village["sum"] == 0
    assert _within(empty.sum(), len(by_village), q["water_village_missing"])
    kept = by_village[~empty]
    assert _within((kept["size"] - kept["sum"]).sum(), kept["size"].sum(), q["water_missing"])

    # civil affairs and disability: missing waves after the first record
    for name, rate in [
        ("civil_affairs", q["civil_affairs_missing"]),
        ("disability", q["disability_missing"]),
    ]:
        first_year = t[name].groupby("hh_id")["year"].min()
        fy = first_year.reindex(keys["hh_id"]).astype("float64").fillna(9999).to_numpy()
        after = keys["year"].to_numpy() > fy
        present = _present(t[name], keys)
        assert _within((~present[after]).sum(), after.sum(), rate), name

    # housing: registered poor households (before their exit) are always appraised
    exit_year = po.groupby("hh_id")["exit_year"].max().reindex(keys["hh_id"]).astype("float64")
    ex = exit_year.fillna(9999).to_numpy()
    in_register = registered & (keys["year"].to_numpy() < ex)
    present = _present(t["housing"], keys)
    assert present[in_register].mean() > 0.995
    assert _within((~present[~registered]).sum(), (~registered).sum(), q["housing_missing"], z=5)


@pytest.mark.slow
def test_generate_million_households_with_modest_memory() -> None:
    tracemalloc.start()
    try:
        ds = mpi.datasets.generate(NAME, n=1_000_000, seed=1, format="xarray")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ds.sizes == {"unit": 1_000_000, "time": 8}
    assert peak < 1.6 * ds.nbytes
