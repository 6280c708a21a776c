"""Tests of the bundled datasets (``mpi.datasets``)."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mpi.datasets
from mpi.errors import DataError, ValidationError

BUNDLED_N = 5000
BUNDLED_SEED = 2018

EXPECTED_DTYPES = {
    "hh_id": "int32",
    "region": "category",
    "area": "category",
    "urban": "int8",
    "stratum": "int8",
    "psu": "int32",
    "weight": "float64",
    "hh_size": "int8",
    "undernourished": "float64",
    "child_deaths_5y": "float64",
    "max_schooling": "float64",
    "children_out_of_school": "float64",
    "cooking_fuel": "category",
    "sanitation": "category",
    "drinking_water": "category",
    "electricity": "float64",
    "inadequate_materials": "float64",
    "assets": "float64",
}

CATEGORIES = {
    "region": ["Central", "North", "East", "West", "South"],
    "area": ["urban", "rural"],
    "cooking_fuel": [
        "electricity",
        "lpg",
        "natural_gas",
        "biogas",
        "kerosene",
        "coal",
        "charcoal",
        "wood",
        "crop_residue",
        "shrubs",
        "dung",
    ],
    "sanitation": [
        "flush_sewer",
        "flush_septic",
        "pit_slab",
        "vip",
        "composting",
        "improved_shared",
        "pit_open",
        "bucket",
        "hanging",
        "other_unimproved",
        "none",
    ],
    "drinking_water": [
        "piped",
        "borehole",
        "protected_well",
        "protected_spring",
        "rainwater",
        "bottled",
        "improved_30min_plus",
        "unprotected_well",
        "unprotected_spring",
        "surface_water",
        "tanker",
    ],
}

#: Inclusive value ranges of the numeric columns (ignoring NaN).
RANGES = {
    "urban": (0, 1),
    "stratum": (1, 10),
    "hh_size": (1, 12),
    "undernourished": (0, 1),
    "child_deaths_5y": (0, 10),
    "max_schooling": (0, 18),
    "children_out_of_school": (0, 11),
    "electricity": (0, 1),
    "inadequate_materials": (0, 3),
    "assets": (0, 8),
}

DESIGN = ["hh_id", "region", "area", "urban", "stratum", "psu", "weight", "hh_size"]
OFTEN_MISSING = ["undernourished", "max_schooling"]
RARELY_MISSING = [
    "child_deaths_5y",
    "children_out_of_school",
    "cooking_fuel",
    "sanitation",
    "drinking_water",
    "electricity",
    "inadequate_materials",
    "assets",
]

# Global MPI 2018 deprivation categories (mpi/presets/global_mpi_2018.yml).
DEPRIVED_FUEL = ["dung", "crop_residue", "shrubs", "wood", "charcoal", "coal"]
DEPRIVED_SANITATION = [
    "pit_open",
    "bucket",
    "hanging",
    "none",
    "other_unimproved",
    "improved_shared",
]
DEPRIVED_WATER = [
    "unprotected_well",
    "unprotected_spring",
    "surface_water",
    "tanker",
    "improved_30min_plus",
]


def score_18ths(df: pd.DataFrame) -> np.ndarray:
    """Global MPI deprivation score in units of 1/18 (missing counts as not deprived)."""
    health_edu = (
        (df["undernourished"] == 1).to_numpy(int)
        + (df["child_deaths_5y"] > 0).to_numpy(int)
        + (df["max_schooling"] < 6).to_numpy(int)
        + (df["children_out_of_school"] > 0).to_numpy(int)
    )
    living = (
        df["cooking_fuel"].isin(DEPRIVED_FUEL).to_numpy(int)
        + df["sanitation"].isin(DEPRIVED_SANITATION).to_numpy(int)
        + df["drinking_water"].isin(DEPRIVED_WATER).to_numpy(int)
        + (df["electricity"] == 0).to_numpy(int)
        + (df["inadequate_materials"] >= 1).to_numpy(int)
        + (df["assets"] < 2).to_numpy(int)
    )
    return 3 * health_edu + living


# --- list / load / describe ------------------------------------------------------------------


def test_list() -> None:
    names = mpi.datasets.list()
    assert "mpi_survey" in names and names == sorted(names)
    for name in names:
        assert mpi.datasets.describe(name).startswith("# ")


def test_load_is_fast() -> None:
    mpi.datasets.load("mpi_survey")  # warm up imports
    start = time.perf_counter()
    df = mpi.datasets.load("mpi_survey")
    assert time.perf_counter() - start < 1.0
    assert len(df) == BUNDLED_N


def test_load_returns_fresh_copies() -> None:
    a = mpi.datasets.load("mpi_survey")
    a.loc[0, "weight"] = -1.0
    assert mpi.datasets.load("mpi_survey").loc[0, "weight"] > 0


def test_columns_and_dtypes(mpi_survey: pd.DataFrame) -> None:
    assert list(mpi_survey.columns) == list(EXPECTED_DTYPES)
    assert {c: str(t) for c, t in mpi_survey.dtypes.items()} == EXPECTED_DTYPES
    for col, cats in CATEGORIES.items():
        assert list(mpi_survey[col].cat.categories) == cats, col
    assert isinstance(mpi_survey.index, pd.RangeIndex)


def test_value_ranges(mpi_survey: pd.DataFrame) -> None:
    for col, (lo, hi) in RANGES.items():
        values = mpi_survey[col].dropna()
        assert values.min() >= lo, col
        assert values.max() <= hi, col
        assert (values == np.round(values)).all(), f"{col} must hold whole numbers"
    assert mpi_survey["undernourished"].dropna().isin([0, 1]).all()
    assert mpi_survey["electricity"].dropna().isin([0, 1]).all()
    assert (mpi_survey["weight"] > 0).all()
    assert np.isfinite(mpi_survey["weight"]).all()
    # Counts are mostly zero, the other levels still occur.
    assert (mpi_survey["child_deaths_5y"] == 0).mean() > 0.8
    assert (mpi_survey["child_deaths_5y"] > 0).any()
    assert set(mpi_survey["assets"].dropna().unique()) == set(range(9))
    assert set(mpi_survey["inadequate_materials"].dropna().unique()) == {0, 1, 2, 3}
    for col in CATEGORIES:
        assert set(mpi_survey[col].dropna().unique()) <= set(CATEGORIES[col]), col


def test_every_category_occurs(mpi_survey: pd.DataFrame) -> None:
    for col, cats in CATEGORIES.items():
        assert set(mpi_survey[col].dropna().unique()) == set(cats), col


def test_ids_and_design(mpi_survey: pd.DataFrame) -> None:
    assert mpi_survey["hh_id"].is_unique
    np.testing.assert_array_equal(mpi_survey["hh_id"], np.arange(1, BUNDLED_N + 1))
    # urban and area agree; the stratum is region x area.
    np.testing.assert_array_equal(mpi_survey["urban"], (mpi_survey["area"] == "urban").astype(int))
    region_index = mpi_survey["region"].cat.codes.to_numpy()
    expected_stratum = 2 * region_index + 1 + (mpi_survey["area"] == "rural").to_numpy()
    np.testing.assert_array_equal(mpi_survey["stratum"], expected_stratum)
    # Clusters of 25 households, nested in strata, each with one weight.
    by_psu = mpi_survey.groupby("psu")
    assert (by_psu.size() == 25).all()
    assert (by_psu["stratum"].nunique() == 1).all()
    assert (by_psu["weight"].nunique() == 1).all()
    assert mpi_survey["psu"].nunique() == BUNDLED_N // 25
    # Weights vary by stratum and average about 1.
    stratum_means = mpi_survey.groupby("stratum")["weight"].mean()
    assert stratum_means.max() / stratum_means.min() > 2
    assert 0.9 < mpi_survey["weight"].mean() < 1.1
    assert mpi_survey["region"].nunique() == 5
    assert mpi_survey["stratum"].nunique() == 10


def test_missing_values_where_documented(mpi_survey: pd.DataFrame) -> None:
    rates = mpi_survey.isna().mean()
    for col in DESIGN:
        assert rates[col] == 0, col
    for col in OFTEN_MISSING:
        assert 0.01 < rates[col] < 0.08, col
    for col in RARELY_MISSING:
        assert 0 < rates[col] < 0.01, col


def test_describe() -> None:
    card = mpi.datasets.describe("mpi_survey")
    assert card.startswith("# ")
    for col in EXPECTED_DTYPES:
        assert f"`{col}`" in card, col
    assert "CC0" in card
    assert "seed=2018" in card


@pytest.mark.parametrize("func", [mpi.datasets.load, mpi.datasets.describe, mpi.datasets.generate])
def test_unknown_name(func: Callable[..., object]) -> None:
    with pytest.raises(DataError, match="mpi_surveyy") as info:
        func("mpi_surveyy")
    assert isinstance(info.value, ValueError)
    assert "'mpi_survey'" in str(info.value)


def test_bad_arguments() -> None:
    with pytest.raises(ValidationError, match="format"):
        mpi.datasets.load("mpi_survey", format="polars")
    for bad_n in (0, -5, 1.5, True, "10"):
        with pytest.raises(ValidationError, match="n:"):
            mpi.datasets.generate("mpi_survey", n=bad_n)
    with pytest.raises(ValidationError, match="seed"):
        mpi.datasets.generate("mpi_survey", n=10, seed=-1)
    with pytest.raises(ValidationError, match="chunk_size"):
        mpi.datasets.generate("mpi_survey", n=10, chunk_size=0)


# --- xarray ----------------------------------------------------------------------------------


def test_load_xarray(mpi_survey: pd.DataFrame) -> None:
    ds = mpi.datasets.load("mpi_survey", format="xarray")
    assert dict(ds.sizes) == {"unit": BUNDLED_N}
    assert list(ds.data_vars) == list(EXPECTED_DTYPES)
    for name, var in ds.data_vars.items():
        assert var.dims == ("unit",), name
    for col in EXPECTED_DTYPES:
        if col in CATEGORIES:
            values = ds[col].values
            assert values.dtype == object
            expected = mpi_survey[col].astype(object).to_numpy()
            present = mpi_survey[col].notna().to_numpy()
            assert all(isinstance(v, str) for v in values[present])
            np.testing.assert_array_equal(values[present], expected[present])
            assert pd.isna(values[~present]).all()
            assert ds[col].attrs["categories"] == CATEGORIES[col]
        else:
            assert ds[col].dtype == mpi_survey[col].dtype, col
            np.testing.assert_array_equal(ds[col].values, mpi_survey[col].to_numpy())
    assert ds["undernourished"].isnull().any()


def test_generate_xarray_matches_pandas() -> None:
    df = mpi.datasets.generate("mpi_survey", n=3000, seed=7)
    ds = mpi.datasets.generate("mpi_survey", n=3000, seed=7, format="xarray")
    assert dict(ds.sizes) == {"unit": 3000}
    np.testing.assert_array_equal(ds["weight"].values, df["weight"].to_numpy())
    np.testing.assert_array_equal(
        ds["region"].values.astype(str), df["region"].astype(str).to_numpy()
    )


# --- generate --------------------------------------------------------------------------------


def test_bundled_file_equals_generator(mpi_survey: pd.DataFrame) -> None:
    generated = mpi.datasets.generate("mpi_survey", n=BUNDLED_N, seed=BUNDLED_SEED)
    pd.testing.assert_frame_equal(mpi_survey, generated, check_exact=True)
    # the default size is the bundled size
    assert len(mpi.datasets.generate("mpi_survey", seed=1)) == BUNDLED_N


def test_generate_is_deterministic() -> None:
    a = mpi.datasets.generate("mpi_survey", n=20_000, seed=3)
    b = mpi.datasets.generate("mpi_survey", n=20_000, seed=3)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    c = mpi.datasets.generate("mpi_survey", n=20_000, seed=4)
    assert not a.equals(c)
    assert (a["weight"].to_numpy() != c["weight"].to_numpy()).mean() > 0.5
    assert {c: str(t) for c, t in a.dtypes.items()} == EXPECTED_DTYPES


def test_generate_does_not_depend_on_chunk_size_or_n() -> None:
    # 120,000 rows span three internal blocks of 51,200 rows.
    small = mpi.datasets.generate("mpi_survey", n=120_000, seed=5, chunk_size=1_000)
    big = mpi.datasets.generate("mpi_survey", n=120_000, seed=5, chunk_size=10_000_000)
    pd.testing.assert_frame_equal(small, big, check_exact=True)
    head = mpi.datasets.generate("mpi_survey", n=60_000, seed=5, chunk_size=7)
    pd.testing.assert_frame_equal(head, big.head(60_000), check_exact=True)
    assert big["hh_id"].is_unique
    assert big["psu"].is_monotonic_increasing
    assert big.groupby("psu")["stratum"].nunique().max() == 1


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(n=st.integers(min_value=1, max_value=2000), seed=st.integers(0, 2**32))
def test_generate_prefix_property(n: int, seed: int) -> None:
    small = mpi.datasets.generate("mpi_survey", n=n, seed=seed)
    assert len(small) == n
    larger = mpi.datasets.generate("mpi_survey", n=n + 37, seed=seed)
    pd.testing.assert_frame_equal(small, larger.head(n), check_exact=True)


# --- calibration targets (documented in the data card) ----------------------------------------


def test_global_mpi_headcounts(mpi_survey: pd.DataFrame) -> None:
    score = score_18ths(mpi_survey)
    poor = score >= 6  # k = 1/3
    w = mpi_survey["weight"].to_numpy()

    def headcount(mask: np.ndarray) -> float:
        return float((poor * w)[mask].sum() / w[mask].sum())

    overall = headcount(np.ones(len(mpi_survey), dtype=bool))
    assert 0.25 <= overall <= 0.40
    regional = {r: headcount((mpi_survey["region"] == r).to_numpy()) for r in CATEGORIES["region"]}
    assert min(regional.values()) < 0.15
    assert max(regional.values()) > 0.50
    urban = (mpi_survey["urban"] == 1).to_numpy()
    assert headcount(~urban) > 2 * headcount(urban)
    # Scores of exactly 1/3 and 1/2 occur (ties for exact identification).
    assert (score == 6).sum() > 50
    assert (score == 9).sum() > 50


def test_deprivations_are_correlated(mpi_survey: pd.DataFrame) -> None:
    schooling = (mpi_survey["max_schooling"] < 6).to_numpy()
    no_power = (mpi_survey["electricity"] == 0).to_numpy()
    solid_fuel = mpi_survey["cooking_fuel"].isin(DEPRIVED_FUEL).to_numpy()
    assert no_power[schooling].mean() > 1.5 * no_power[~schooling].mean()
    assert solid_fuel[no_power].mean() > solid_fuel[~no_power].mean()


# --- scale -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_generate_large_with_modest_memory() -> None:
    n = 2_000_000
    tracemalloc.start()
    try:
        start = time.perf_counter()
        df = mpi.datasets.generate("mpi_survey", n=n, seed=11)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    output = int(df.memory_usage(deep=False).sum())
    assert len(df) == n
    assert df["hh_id"].is_unique
    assert output < 100 * n  # compact dtypes: about 80 bytes per household
    assert peak < 1.5 * output + 100e6
    assert elapsed < 120
