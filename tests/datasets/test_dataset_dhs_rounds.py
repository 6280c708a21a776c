"""Tests of the two-round person-level survey ``dhs_rounds`` (``mpi.datasets``)."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
import mpi.datasets
from mpi.datasets import _dhs_rounds as dhs
from mpi.errors import DataError, MissingDataWarning, ValidationError

NAME = "dhs_rounds"
BUNDLED_N = 3000
BUNDLED_SEED = 2004

HOUSEHOLD_DTYPES = {
    "round": "int16",
    "year": "float64",
    "hh_id": "int64",
    "psu": "int32",
    "stratum": "int8",
    "region": "category",
    "area": "category",
    "urban": "int8",
    "weight": "float64",
    "hh_size": "int8",
    "anthro_subsample": "int8",
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
    "toilet_type": "category",
    "toilet_shared": "float32",
    "water_source": "category",
    "water_time": "float32",
    "floor": "category",
    "roof": "category",
    "walls": "category",
    "radio": "float32",
    "tv": "float32",
    "telephone": "float32",
    "computer": "float32",
    "animal_cart": "float32",
    "bicycle": "float32",
    "motorbike": "float32",
    "refrigerator": "float32",
    "car_truck": "float32",
}
PERSON_OWN_DTYPES = {
    "person_id": "int64",
    "line": "int8",
    "relationship": "category",
    "sex": "category",
    "age": "int8",
    "pregnant": "float32",
    "waz": "float32",
    "haz": "float32",
    "bmi_age_z": "float32",
    "bmi": "float32",
    "years_schooling": "float32",
    "attending_school": "float32",
}
PRESET_VARIABLES = [
    "undernourished",
    "child_deaths_5y",
    "max_schooling",
    "children_out_of_school",
    "cooking_fuel",
    "sanitation",
    "drinking_water",
    "electricity",
    "inadequate_materials",
    "assets",
]
PERSON_DTYPES = {
    **{c: HOUSEHOLD_DTYPES[c] for c in ("round", "year", "hh_id")},
    **PERSON_OWN_DTYPES,
    **{c: HOUSEHOLD_DTYPES[c] for c in dhs._HH_RAW[3:]},
}
SPEC = mpi.presets.global_mpi_2018()


@pytest.fixture(scope="module")
def households() -> pd.DataFrame:
    return mpi.datasets.load(NAME)


@pytest.fixture(scope="module")
def persons() -> pd.DataFrame:
    return mpi.datasets.load(NAME, format="persons")


def _measure(data: pd.DataFrame | xr.Dataset, **kwargs: object) -> mpi.MeasureResult:
    with pytest.warns(MissingDataWarning):
        return mpi.measure(data, SPEC, weight="weight", **kwargs)


# --- registration, loading, codebook ---------------------------------------------------------


def test_registered_and_described() -> None:
    assert NAME in mpi.datasets.list()
    card = mpi.datasets.describe(NAME)
    assert card.startswith("# dhs_rounds")
    for col in [*HOUSEHOLD_DTYPES, *PERSON_OWN_DTYPES]:
        assert f"`{col}`" in card, col
    assert "CC0" in card
    assert f"seed={BUNDLED_SEED}" in card
    assert dhs.BUNDLED_N == BUNDLED_N and dhs.BUNDLED_SEED == BUNDLED_SEED


@pytest.mark.parametrize("fmt", ["households", "persons", "xarray"])
def test_load_is_fast(fmt: str) -> None:
    mpi.datasets.load(NAME, format=fmt)  # warm up imports
    start = time.perf_counter()
    mpi.datasets.load(NAME, format=fmt)
    assert time.perf_counter() - start < 1.0


def test_bundled_files_are_small() -> None:
    from importlib import resources

    data = resources.files("mpi.datasets").joinpath("data")
    sizes = [data.joinpath(f).stat().st_size for f in dhs._FILES]  # type: ignore[attr-defined]
    assert sum(sizes) <= 2.5e6


def test_household_codebook(households: pd.DataFrame) -> None:
    assert list(households.columns) == list(HOUSEHOLD_DTYPES)
    assert {c: str(t) for c, t in households.dtypes.items()} == HOUSEHOLD_DTYPES
    assert isinstance(households.index, pd.RangeIndex)
    assert len(households) == 2 * BUNDLED_N
    for col, cats in dhs.CATEGORIES.items():
        if col in households:
            assert tuple(households[col].cat.categories) == cats, col
    # the preset's category labels are the derived variables' categories
    for ind in SPEC.indicators:
        if ind.deprived_if == "in":
            assert set(ind.cutoff) <= set(households[ind.variable].cat.categories), ind.name


def test_person_codebook(persons: pd.DataFrame) -> None:
    assert list(persons.columns) == list(PERSON_DTYPES)
    assert {c: str(t) for c, t in persons.dtypes.items()} == PERSON_DTYPES
    assert isinstance(persons.index, pd.RangeIndex)
    for round_, size in persons.groupby("round").size().items():
        assert 12_000 < size < 15_000, round_
    assert tuple(persons["sex"].cat.categories) == ("male", "female")


def test_load_default_format_and_pandas_alias(households: pd.DataFrame) -> None:
    assert dhs.FORMATS[0] == "households"
    pd.testing.assert_frame_equal(mpi.datasets.load(NAME, format="pandas"), households)
    with pytest.raises(ValidationError, match="format"):
        mpi.datasets.load(NAME, format="polars")


def test_load_returns_fresh_copies() -> None:
    a = mpi.datasets.load(NAME)
    a.loc[0, "weight"] = -1.0
    assert mpi.datasets.load(NAME).loc[0, "weight"] > 0


def test_xarray(households: pd.DataFrame) -> None:
    ds = mpi.datasets.load(NAME, format="xarray")
    assert isinstance(ds, xr.Dataset)
    assert dict(ds.sizes) == {"unit": 2 * BUNDLED_N}
    assert list(ds.data_vars) == list(HOUSEHOLD_DTYPES)
    for col in HOUSEHOLD_DTYPES:
        assert ds[col].dims == ("unit",)
        assert ds[col].attrs["long_name"]
        if isinstance(households[col].dtype, pd.CategoricalDtype):
            present = households[col].notna().to_numpy()
            values = ds[col].values
            assert values.dtype == object
            np.testing.assert_array_equal(
                values[present], households[col].astype(object).to_numpy()[present]
            )
            assert pd.isna(values[~present]).all()
            assert tuple(ds[col].attrs["categories"]) == dhs.CATEGORIES[col]
        else:
            assert ds[col].dtype == households[col].dtype, col
            np.testing.assert_array_equal(ds[col].values, households[col].to_numpy())
    assert ds.attrs["seed"] == BUNDLED_SEED
    generated = mpi.datasets.generate(NAME, n=500, seed=3, format="xarray")
    assert dict(generated.sizes) == {"unit": 1000}


# --- values, ids and design ------------------------------------------------------------------


def test_person_value_ranges(persons: pd.DataFrame) -> None:
    age = persons["age"].to_numpy()
    assert age.min() == 0 and 80 <= age.max() <= 98
    ranges = {
        "waz": (-6, 5),
        "haz": (-6, 6),
        "bmi_age_z": (-5, 5),
        "bmi": (12, 60),
        "years_schooling": (0, 18),
        "attending_school": (0, 1),
        "pregnant": (0, 1),
    }
    for col, (lo, hi) in ranges.items():
        values = persons[col].dropna()
        assert values.min() >= lo and values.max() <= hi, col
    for col in ("years_schooling", "attending_school", "pregnant"):
        values = persons[col].dropna()
        assert (values == np.round(values)).all(), col
    # age-specific modules
    assert persons.loc[age >= 5, ["waz", "haz"]].isna().all().all()
    assert persons.loc[(age < 5) | (age > 19), "bmi_age_z"].isna().all()
    assert persons.loc[(age < 15) | (age >= 70), "bmi"].isna().all()
    assert persons.loc[age < 5, "years_schooling"].isna().all()
    assert persons.loc[(age < 5) | (age > 24), "attending_school"].isna().all()
    woman = (persons["sex"] == "female").to_numpy() & (age >= 15) & (age <= 49)
    assert persons.loc[~woman, "pregnant"].isna().all()
    assert persons.loc[woman, "pregnant"].notna().all()
    assert persons.loc[persons["pregnant"] == 1, "bmi"].isna().all()
    # children are young; schooling never exceeds what the age allows
    years = persons["years_schooling"].to_numpy()
    assert np.all(np.isnan(years) | (years <= np.maximum(age - 5, 0)))
    # the household roster
    hh = persons.groupby(["round", "hh_id"], sort=False)
    assert (hh.size().to_numpy() == hh["hh_size"].first().to_numpy()).all()
    assert (persons.loc[persons["line"] == 1, "relationship"] == "head").all()
    assert (persons["relationship"] == "head").sum() == 2 * BUNDLED_N
    assert (persons.loc[persons["relationship"] == "head", "age"] >= 15).all()


def test_household_value_ranges(households: pd.DataFrame) -> None:
    ranges = {
        "urban": (0, 1),
        "stratum": (1, 12),
        "hh_size": (1, 15),
        "anthro_subsample": (0, 1),
        "undernourished": (0, 1),
        "child_deaths_5y": (0, 10),
        "max_schooling": (0, 18),
        "children_out_of_school": (0, 12),
        "electricity": (0, 1),
        "inadequate_materials": (0, 3),
        "assets": (0, 8),
        "toilet_shared": (0, 1),
        "water_time": (0, 600),
        **{a: (0, 1) for a in dhs.ASSETS},
    }
    for col, (lo, hi) in ranges.items():
        values = households[col].dropna()
        assert values.min() >= lo and values.max() <= hi, col
        assert (values == np.round(values)).all(), col
    assert (households["weight"] > 0).all()
    assert set(households["assets"].dropna().unique()) == set(range(9))
    assert set(households["inadequate_materials"].dropna().unique()) == {0, 1, 2, 3}
    assert (households["child_deaths_5y"] > 0).mean() > 0.02
    for col in ("region", "area", "cooking_fuel", "sanitation", "drinking_water"):
        assert households[col].nunique() == len(dhs.CATEGORIES[col]), col
    for round_, part in households.groupby("round"):
        year = part["year"].to_numpy()
        assert ((year > round_) & (year < round_ + 1)).all()
        assert 0.9 < part["weight"].mean() < 1.1


def test_unique_ids(households: pd.DataFrame, persons: pd.DataFrame) -> None:
    assert households["hh_id"].is_unique
    assert persons["person_id"].is_unique
    np.testing.assert_array_equal(
        households["hh_id"].to_numpy() // 1_000_000_000, households["round"].to_numpy()
    )
    np.testing.assert_array_equal(
        persons["person_id"].to_numpy(),
        persons["hh_id"].to_numpy() * 100 + persons["line"].to_numpy(),
    )
    assert households["hh_id"].is_monotonic_increasing
    assert households["round"].tolist() == [2015] * BUNDLED_N + [2020] * BUNDLED_N


def test_design(households: pd.DataFrame) -> None:
    np.testing.assert_array_equal(households["urban"], (households["area"] == "urban").astype(int))
    expected = (
        2 * households["region"].cat.codes.to_numpy()
        + 1
        + (households["area"] == "rural").to_numpy()
    )
    np.testing.assert_array_equal(households["stratum"], expected)
    by_cluster = households.groupby(["round", "psu"])
    assert (by_cluster.size() == dhs.HH_PER_PSU).all()
    assert (by_cluster["stratum"].nunique() == 1).all()
    assert (by_cluster["weight"].nunique() == 1).all()
    stratum_means = households.groupby("stratum")["weight"].mean()
    assert stratum_means.max() / stratum_means.min() > 2
    assert households["stratum"].nunique() == 12


def test_psu_overlap(households: pd.DataFrame) -> None:
    first = households[households["round"] == 2015].groupby("psu")["stratum"].first()
    second = households[households["round"] == 2020].groupby("psu")["stratum"].first()
    shared = first.index.intersection(second.index)
    assert 0.35 <= len(shared) / len(second) <= 0.45
    assert len(shared) / len(second) == dhs.REVISIT_SHARE  # 120 clusters: exactly 2 in 5
    # a re-visited cluster is the same enumeration area: same stratum
    assert (first[shared] == second[shared]).all()
    # odd psu numbers were first sampled in 2015, even ones are new in 2020
    assert (first.index % 2 == 1).all()
    assert set(second.index[second.index % 2 == 1]) == set(shared)


def test_psu_overlap_large() -> None:
    hh = mpi.datasets.generate(NAME, n=30_000, seed=8)  # two internal blocks
    psu = {r: set(part["psu"]) for r, part in hh.groupby("round")}
    assert abs(len(psu[2015] & psu[2020]) / len(psu[2020]) - 0.4) < 0.01


def test_missing_values_where_documented(households: pd.DataFrame, persons: pd.DataFrame) -> None:
    rates = households.isna().mean()
    for col in dhs._DESIGN:
        assert rates[col] == 0, col
    assert 0.04 < rates["undernourished"] < 0.15
    assert 0.004 < rates["child_deaths_5y"] < 0.03
    assert 0.05 < rates["toilet_shared"] < 0.15  # no facility: sharing not asked
    assert 0.01 < rates["water_time"] < 0.05
    for col in (
        "max_schooling",
        "children_out_of_school",
        "cooking_fuel",
        "sanitation",
        "drinking_water",
        "electricity",
        "inadequate_materials",
        "assets",
    ):
        assert 0 < rates[col] < 0.015, col
    none = households["toilet_type"] == "none"
    assert households.loc[none, "toilet_shared"].isna().all()
    # persons: anthropometry non-response, men outside the subsample are not measured
    age = persons["age"].to_numpy()
    male = (persons["sex"] == "male").to_numpy()
    sub = persons["anthro_subsample"].to_numpy() == 1
    assert 0.04 < persons.loc[age < 5, "haz"].isna().mean() < 0.15
    assert persons.loc[male & ~sub & (age >= 15), "bmi"].isna().all()
    adults_sub = sub & (age >= 20) & (age < 70)
    assert 0.03 < persons.loc[adults_sub, "bmi"].isna().mean() < 0.15
    assert 0.005 < persons.loc[age >= 10, "years_schooling"].isna().mean() < 0.05
    assert 0 < persons.loc[(age >= 5) & (age <= 24), "attending_school"].isna().mean() < 0.03


# --- to_households -----------------------------------------------------------------------------


def test_bundled_equals_generator(households: pd.DataFrame, persons: pd.DataFrame) -> None:
    gen_p = mpi.datasets.generate(NAME, n=BUNDLED_N, seed=BUNDLED_SEED, format="persons")
    pd.testing.assert_frame_equal(persons, gen_p, check_exact=True)
    gen_h = mpi.datasets.generate(NAME, seed=BUNDLED_SEED)
    pd.testing.assert_frame_equal(households, gen_h, check_exact=True)
    pd.testing.assert_frame_equal(dhs.to_households(persons), households, check_exact=True)


@pytest.mark.parametrize("n", [7, 25_013])  # one partial block; one full block plus a bit
def test_households_equal_aggregated_persons(n: int) -> None:
    p = mpi.datasets.generate(NAME, n=n, seed=42, format="persons")
    h = mpi.datasets.generate(NAME, n=n, seed=42)
    assert len(h) == 2 * n
    pd.testing.assert_frame_equal(dhs.to_households(p), h, check_exact=True)


def test_to_households_accepts_any_order_and_strings(persons: pd.DataFrame) -> None:
    expected = dhs.to_households(persons)
    shuffled = persons.sample(frac=1.0, random_state=1).reset_index(drop=True)
    for col in ("region", "cooking_fuel", "toilet_type", "water_source", "floor"):
        shuffled[col] = shuffled[col].astype(object)
    shuffled = shuffled.drop(columns="person_id").assign(extra=1)
    pd.testing.assert_frame_equal(dhs.to_households(shuffled), expected, check_exact=True)


def test_to_households_errors(persons: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="bmi"):
        dhs.to_households(persons.drop(columns="bmi"))
    bad = persons.head(20).copy()
    bad["floor"] = bad["floor"].astype(object)
    bad.loc[0, "floor"] = "marble"
    with pytest.raises(DataError, match="marble"):
        dhs.to_households(bad)
    with pytest.raises(DataError, match="DataFrame"):
        dhs.to_households(persons.head().to_dict())  # type: ignore[arg-type]
    with pytest.raises(DataError, match="age"):
        dhs.to_households(persons.head(20).assign(age=np.nan))
    empty = dhs.to_households(persons.head(0))
    assert list(empty.columns) == list(HOUSEHOLD_DTYPES) and len(empty) == 0


def _household(persons: pd.DataFrame, size: int) -> pd.DataFrame:
    """A copy of the first bundled household with ``size`` members, as a template."""
    hh_id = persons.loc[persons["hh_size"] == size, "hh_id"].iloc[0]
    return persons[persons["hh_id"] == hh_id].reset_index(drop=True).copy()


def test_to_households_rules(persons: pd.DataFrame) -> None:
    t = _household(persons, 4)
    nan = np.nan
    anthro = ["waz", "haz", "bmi_age_z", "bmi"]

    def derive(**changes: object) -> pd.Series:
        df = t.copy()
        for col, values in changes.items():
            df[col] = pd.Series(values, dtype=df[col].dtype)
        return dhs.to_households(df).iloc[0]

    ages = [40, 35, 3, 12]
    blank = {c: [nan] * 4 for c in anthro}
    # nutrition: no information -> NaN; one undernourished member -> 1
    assert np.isnan(derive(age=ages, **blank)["undernourished"])
    assert derive(age=ages, **{**blank, "haz": [nan, nan, -2.5, nan]})["undernourished"] == 1
    assert derive(age=ages, **{**blank, "waz": [nan, nan, -1.0, nan]})["undernourished"] == 0
    assert derive(age=ages, **{**blank, "bmi_age_z": [nan, nan, nan, -2.1]})["undernourished"] == 1
    assert derive(age=ages, **{**blank, "bmi": [18.4, nan, nan, nan]})["undernourished"] == 1
    assert derive(age=ages, **{**blank, "bmi": [18.5, nan, nan, nan]})["undernourished"] == 0
    # a member aged 70 does not count, nor does an adult's BMI-for-age
    assert np.isnan(
        derive(age=[70, 35, 3, 12], **{**blank, "bmi": [15.0, nan, nan, nan]})["undernourished"]
    )
    assert np.isnan(
        derive(age=ages, **{**blank, "bmi_age_z": [-3.0, nan, nan, nan]})["undernourished"]
    )
    # schooling: the best member aged 10+, NaN if none is known
    years = {"years_schooling": [4, nan, nan, 9]}
    assert derive(age=ages, **years)["max_schooling"] == 9
    assert derive(age=[40, 35, 3, 9], **years)["max_schooling"] == 4
    assert np.isnan(derive(age=ages, years_schooling=[nan, nan, nan, nan])["max_schooling"])
    # attendance: children aged 6-14 not attending
    assert (
        derive(age=[40, 35, 7, 14], attending_school=[nan, nan, 0, 0])["children_out_of_school"]
        == 2
    )
    assert (
        derive(age=[40, 35, 5, 15], attending_school=[nan, nan, 0, 0])["children_out_of_school"]
        == 0
    )
    assert np.isnan(
        derive(age=[40, 35, 7, 3], attending_school=[nan] * 4)["children_out_of_school"]
    )
    # sanitation: improved and shared -> improved_shared; unimproved keeps its type
    assert (
        derive(toilet_type=["vip"] * 4, toilet_shared=[1.0] * 4)["sanitation"] == "improved_shared"
    )
    assert derive(toilet_type=["vip"] * 4, toilet_shared=[nan] * 4)["sanitation"] == "vip"
    assert derive(toilet_type=["bucket"] * 4, toilet_shared=[1.0] * 4)["sanitation"] == "bucket"
    # water: improved and 30+ minutes -> improved_30min_plus; piped sources merge
    assert (
        derive(water_source=["borehole"] * 4, water_time=[30.0] * 4)["drinking_water"]
        == "improved_30min_plus"
    )
    assert (
        derive(water_source=["public_tap"] * 4, water_time=[25.0] * 4)["drinking_water"] == "piped"
    )
    assert (
        derive(water_source=["borehole"] * 4, water_time=[nan] * 4)["drinking_water"] == "borehole"
    )
    assert (
        derive(water_source=["surface_water"] * 4, water_time=[5.0] * 4)["drinking_water"]
        == "surface_water"
    )
    # housing: natural and rudimentary materials count; unknown only if nothing is inadequate
    mats = {"floor": ["earth_sand"] * 4, "roof": ["metal"] * 4, "walls": ["plywood"] * 4}
    assert derive(**mats)["inadequate_materials"] == 2
    assert derive(**{**mats, "floor": [nan] * 4})["inadequate_materials"] == 1
    assert np.isnan(
        derive(**{**mats, "floor": [nan] * 4, "walls": ["bricks"] * 4})["inadequate_materials"]
    )
    # assets: count of the small ones; car or truck owners are 8
    assets = {a: [0.0] * 4 for a in dhs.ASSETS}
    assert derive(**{**assets, "radio": [1.0] * 4, "bicycle": [1.0] * 4})["assets"] == 2
    assert derive(**{**assets, "car_truck": [1.0] * 4})["assets"] == 8
    assert np.isnan(derive(**{**assets, "tv": [nan] * 4})["assets"])


def test_material_classes() -> None:
    for part in ("floor", "roof", "walls"):
        classes = dhs.MATERIAL_CLASS[part]
        assert tuple(classes) == dhs.CATEGORIES[part]
        assert set(classes.values()) == {"natural", "rudimentary", "finished"}


# --- generator ---------------------------------------------------------------------------------


def test_generate_is_deterministic_and_seed_sensitive() -> None:
    a = mpi.datasets.generate(NAME, n=2000, seed=5)
    b = mpi.datasets.generate(NAME, n=2000, seed=5)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    c = mpi.datasets.generate(NAME, n=2000, seed=6)
    assert (a["weight"].to_numpy() != c["weight"].to_numpy()).mean() > 0.5
    assert (a["hh_size"].to_numpy() != c["hh_size"].to_numpy()).mean() > 0.5
    assert {k: str(v) for k, v in c.dtypes.items()} == HOUSEHOLD_DTYPES


def test_generate_prefix_and_chunk_size() -> None:
    small = mpi.datasets.generate(NAME, n=800, seed=9, chunk_size=3)
    big = mpi.datasets.generate(NAME, n=1000, seed=9, chunk_size=10_000_000)
    for r in (2015, 2020):
        pd.testing.assert_frame_equal(
            small[small["round"] == r].reset_index(drop=True),
            big[big["round"] == r].head(800).reset_index(drop=True),
            check_exact=True,
        )


def test_generate_limits() -> None:
    limit = dhs.MAX_N_PERSONS
    with pytest.raises(ValidationError, match=rf"n: .*{limit:,}.*{limit + 1:,}"):
        mpi.datasets.generate(NAME, n=limit + 1, format="persons")
    with pytest.raises(ValidationError, match="n:"):
        mpi.datasets.generate(NAME, n=dhs.MAX_N + 1)
    for bad_n in (0, -5, 1.5, True):
        with pytest.raises(ValidationError, match="n:"):
            mpi.datasets.generate(NAME, n=bad_n)
    with pytest.raises(ValidationError, match="seed"):
        mpi.datasets.generate(NAME, n=10, seed=-1)


# --- the improvement between the rounds --------------------------------------------------------


def test_mpi_falls_between_rounds(households: pd.DataFrame) -> None:
    res = _measure(households, by="round").to_dataset()
    h = res["H"].to_pandas()
    m0 = res["M0"].to_pandas()
    assert 0.30 <= h[2015] <= 0.40
    assert 0.20 <= h[2020] <= 0.30
    assert h[2015] - h[2020] > 0.05
    assert m0[2015] > m0[2020]
    # the xarray format gives the same figures
    ds = mpi.datasets.load(NAME, format="xarray")
    np.testing.assert_allclose(_measure(ds, by="round").to_dataset()["H"].values, h.values)


def test_improvement_is_uneven(households: pd.DataFrame) -> None:
    h = _measure(households, by=["round", "region"]).to_dataset()["H"].to_pandas()
    drop = h.loc[2015] - h.loc[2020]
    assert (drop > 0).sum() >= 5
    assert drop.max() - drop.min() > 0.08
    assert h.loc[2015, "Capital"] < 0.1 and h.loc[2015, "North"] > 0.5
    assert drop["Highlands"] < drop["Central"]


# --- scale -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_generate_large_with_bounded_memory() -> None:
    n = 1_000_000
    mpi.datasets.generate(NAME, n=10, seed=1)  # warm up
    tracemalloc.start()
    try:
        start = time.perf_counter()
        df = mpi.datasets.generate(NAME, n=n, seed=11)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    output = int(df.memory_usage(deep=False).sum())
    assert len(df) == 2 * n
    assert df["hh_id"].is_unique
    assert output < 160 * 2 * n
    assert peak < 3 * output
    assert elapsed < 300
