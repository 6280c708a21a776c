"""Tests of the ``county_lsi`` dataset (synthetic UNDP China 2016 big-data Living Standard Index)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi.datasets
import mpi.presets
from mpi.composites.compute import composite
from mpi.datasets import _county_lsi as lsi_mod
from mpi.datasets._county_lsi import INDICATORS, PROVINCES
from mpi.errors import MissingDataWarning, ValidationError

NAME = "county_lsi"
BUNDLED_N = 2284
BUNDLED_SEED = 2016

EXPECTED_DTYPES = {
    "county_id": "int32",
    "county_name": "str",
    "province": "category",
    "province_code": "int8",
    "region": "category",
    "type": "category",
    "population": "int32",
    "area_km2": "float64",
    **{ind: "float64" for ind in INDICATORS},
    "development": "float64",
    "lsi": "float64",
    "lsi_geometric": "float64",
}

# Counties per provincial unit, as documented in the data card.
COUNTS = {
    "Beijing": 16, "Tianjin": 16, "Hebei": 138, "Shanxi": 104, "Inner Mongolia": 88,
    "Liaoning": 62, "Jilin": 46, "Heilongjiang": 86, "Shanghai": 16, "Jiangsu": 62,
    "Zhejiang": 66, "Anhui": 77, "Fujian": 66, "Jiangxi": 83, "Shandong": 102, "Henan": 125,
    "Hubei": 78, "Hunan": 99, "Guangdong": 80, "Guangxi": 85, "Hainan": 18, "Chongqing": 38,
    "Sichuan": 149, "Guizhou": 78, "Yunnan": 119, "Tibet": 71, "Shaanxi": 88, "Gansu": 75,
    "Qinghai": 40, "Ningxia": 16, "Xinjiang": 97,
}  # fmt: skip
PUBLISHED = {"Zhejiang": 75.1, "Jiangsu": 73.7, "Beijing": 71.8, "Shanghai": 71.7, "Tianjin": 66.5}
EAST_COAST = {
    "Beijing", "Tianjin", "Hebei", "Liaoning", "Shanghai", "Jiangsu", "Zhejiang", "Fujian",
    "Shandong", "Guangdong", "Hainan",
}  # fmt: skip
# Tolerances stated in the data card.
TOL_PUBLISHED_BUNDLED = 0.5  # province means of the bundled file vs published values
TOL_NATIONAL = 1.0  # national mean vs 61.3 (any seed)
TOL_PUBLISHED_ANY_SEED = 1.0


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return mpi.datasets.load(NAME)


def province_means(df: pd.DataFrame, col: str = "lsi") -> pd.Series:
    return df.groupby("province", observed=True)[col].mean()


def lsi(table: pd.DataFrame | xr.Dataset, method: str = "arithmetic") -> np.ndarray:
    """The index of the preset (what the removed ``lsi()`` gave), through mpi.composite."""
    res = composite(table, mpi.presets.undp_china_lsi_2016(method))  # type: ignore[arg-type]
    return res.to_dataset()["index"].to_numpy()


def dimension_indices(table: pd.DataFrame) -> pd.DataFrame:
    """The eight goalpost indices of the preset (what the removed ``dimension_indices`` gave)."""
    res = composite(table, mpi.presets.undp_china_lsi_2016())
    return res.to_dataset()["indicator_score"].to_pandas()


# --- registry, load, codebook --------------------------------------------------------------------


def test_registered_and_described() -> None:
    assert NAME in mpi.datasets.list()
    card = mpi.datasets.describe(NAME)
    assert card.splitlines()[0].startswith("# county_lsi")
    for col in EXPECTED_DTYPES:
        assert f"`{col}`" in card, col
    assert "CC0" in card


def test_load_is_fast() -> None:
    mpi.datasets.load(NAME)
    start = time.perf_counter()
    df = mpi.datasets.load(NAME)
    assert time.perf_counter() - start < 1.0
    assert len(df) == BUNDLED_N


def test_columns_and_dtypes(table: pd.DataFrame) -> None:
    assert list(table.columns) == list(EXPECTED_DTYPES)
    assert {c: str(t) for c, t in table.dtypes.items()} == EXPECTED_DTYPES
    assert list(table["province"].cat.categories) == list(PROVINCES)
    assert list(table["region"].cat.categories) == ["east", "central", "west", "northeast"]
    assert list(table["type"].cat.categories) == ["district", "city", "county"]
    assert isinstance(table.index, pd.RangeIndex)
    assert table.notna().all().all()


def test_ids_names_and_provinces(table: pd.DataFrame) -> None:
    assert (table["county_id"].to_numpy() == np.arange(1, BUNDLED_N + 1)).all()
    assert table["county_name"].is_unique
    assert table["county_name"].iloc[0] == "县0001"
    assert table["county_name"].iloc[-1] == "县2284"
    counts = table["province"].value_counts()
    assert counts.to_dict() == COUNTS
    assert sum(COUNTS.values()) == BUNDLED_N
    # One code and one region per province, codes ascending with the rows.
    per = table.groupby("province", observed=True)[["province_code", "region"]].nunique()
    assert (per == 1).all().all()
    assert table["province_code"].is_monotonic_increasing
    assert table.loc[table["province"] == "Chongqing", "province_code"].iloc[0] == 50
    regions = table.groupby("province", observed=True)["region"].first()
    assert regions["Liaoning"] == "northeast" and regions["Anhui"] == "central"
    assert regions["Ningxia"] == "west" and regions["Hainan"] == "east"
    municipalities = table[table["province"].isin(["Beijing", "Tianjin", "Shanghai"])]
    assert (municipalities["type"] == "district").all()


def test_value_ranges(table: pd.DataFrame) -> None:
    for ind in INDICATORS[:4]:
        assert table[ind].between(0, 1).all(), ind
    for ind in INDICATORS[4:]:
        assert (table[ind] > 0).all(), ind
    assert (table["population"] >= 1000).all()
    assert (table["area_km2"] >= 1).all()
    for col in ("lsi", "lsi_geometric"):
        assert table[col].between(0, 100).all()
    # Shares have four decimals.
    for ind in INDICATORS[:4]:
        assert np.allclose(table[ind], table[ind].round(4), rtol=0, atol=1e-12)


def test_goalposts_in_attrs(table: pd.DataFrame) -> None:
    posts = table.attrs["goalposts"]
    assert posts["night_light"] == [0.01, 50.0, "log"]
    assert posts["sanitary_toilet"] == [0.0, 1.0, "linear"]
    assert list(posts) == list(INDICATORS)
    assert table.attrs["geometric_floor"] == 0.01
    # the attrs are the preset's goalposts (the one place of the recipe)
    spec = mpi.presets.undp_china_lsi_2016()
    assert spec.indicator_names == INDICATORS
    for ind in spec.indicators:
        assert posts[ind.name] == [*ind.goalposts, ind.transform or "linear"], ind.name


# --- the index ------------------------------------------------------------------------------------


def test_stored_lsi_is_the_preset(table: pd.DataFrame) -> None:
    assert np.array_equal(lsi(table), table["lsi"].to_numpy())
    assert np.array_equal(lsi(table, "geometric"), table["lsi_geometric"].to_numpy())
    # Arithmetic >= geometric whenever no index sits below the floor.
    idx = dimension_indices(table)
    assert list(idx.columns) == list(INDICATORS)
    ok = (idx >= 0.01).all(axis=1).to_numpy()
    assert (table.loc[ok, "lsi"] >= table.loc[ok, "lsi_geometric"] - 1e-9).all()
    assert ((idx >= 0) & (idx <= 1)).all().all()


def test_lsi_by_hand() -> None:
    row = pd.DataFrame(
        {
            "sanitary_toilet": [0.5],
            "indoor_kitchen": [1.0],
            "piped_water": [0.25],
            "mobile_internet": [0.75],
            "living_services": [np.sqrt(500.0)],  # halfway between 1 and 500 on a log scale
            "road_density": [5.0],  # upper goalpost
            "night_light": [100.0],  # above the upper goalpost: capped at 1
            "financial_services": [0.1],  # below the lower goalpost: 0
        }
    )
    expected = 100 * (0.5 + 1.0 + 0.25 + 0.75 + 0.5 + 1.0 + 1.0 + 0.0) / 8
    assert lsi(row)[0] == pytest.approx(expected, abs=1e-12)
    geo = 100 * np.exp(np.mean(np.log([0.5, 1.0, 0.25, 0.75, 0.5, 1.0, 1.0, 0.01])))
    assert lsi(row, "geometric")[0] == pytest.approx(geo, abs=1e-12)
    row.loc[0, "piped_water"] = np.nan
    with pytest.warns(MissingDataWarning):
        assert np.isnan(lsi(row)[0])


def test_lsi_on_xarray(table: pd.DataFrame) -> None:
    ds = mpi.datasets.load(NAME, format="xarray")
    res = composite(ds, mpi.presets.undp_china_lsi_2016())
    out = res.to_dataset()["index"]
    np.testing.assert_array_equal(out["unit"].to_numpy(), ds["county"].to_numpy())
    np.testing.assert_array_equal(out.to_numpy(), table["lsi"].to_numpy())


def test_index_moved_out_of_the_dataset() -> None:
    with pytest.raises(
        AttributeError, match=r"mpi\.composite\(df, mpi\.presets\.undp_china_lsi_2016"
    ):
        mpi.datasets.lsi  # noqa: B018
    assert "lsi" not in mpi.datasets.__all__
    for name in ("lsi", "dimension_indices", "goalposts_frame", "GOALPOSTS", "GEOMETRIC_FLOOR"):
        assert name not in lsi_mod.__all__
        with pytest.raises(AttributeError, match="undp_china_lsi_2016"):
            getattr(lsi_mod, name)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        lsi_mod.nothing  # noqa: B018


def test_bad_method() -> None:
    with pytest.raises(ValidationError, match="method"):
        mpi.presets.undp_china_lsi_2016("harmonic")  # type: ignore[arg-type]


# --- calibration against the published report -----------------------------------------------------


def test_published_province_means(table: pd.DataFrame) -> None:
    means = province_means(table)
    for province, value in PUBLISHED.items():
        assert means[province] == pytest.approx(value, abs=TOL_PUBLISHED_BUNDLED), province
    top5 = means.sort_values(ascending=False).index[:5]
    assert list(top5) == list(PUBLISHED)
    # Every province near its target of the card (published or assumed).
    targets = pd.Series(lsi_mod.TARGET, index=PROVINCES)
    assert (means - targets[means.index]).abs().max() < TOL_PUBLISHED_BUNDLED


def test_national_structure(table: pd.DataFrame) -> None:
    national = table["lsi"].mean()
    assert national == pytest.approx(61.3, abs=0.2)
    means = province_means(table)
    above = set(means.index[means > national])
    assert len(above) == 19
    assert EAST_COAST <= above
    assert "Chongqing" not in above
    ranks = means.rank(ascending=False)
    assert ranks["Ningxia"] == 11
    autonomous = {"Inner Mongolia", "Guangxi", "Tibet", "Ningxia", "Xinjiang"}
    assert above & autonomous == {"Ningxia"}
    assert means.idxmin() == "Tibet"


def test_chongqing_low_mobile_and_night_lights(table: pd.DataFrame) -> None:
    idx = dimension_indices(table)
    national = idx.mean()
    cq = idx[table["province"] == "Chongqing"].mean()
    for ind in ("mobile_internet", "night_light"):
        assert cq[ind] < national[ind] - 0.05, ind
    for ind in set(INDICATORS) - {"mobile_internet", "night_light"}:
        assert cq[ind] > national[ind], ind


def test_development_drives_the_index(table: pd.DataFrame) -> None:
    assert np.corrcoef(table["lsi"], table["development"])[0, 1] > 0.9
    by_type = table.groupby("type", observed=True)["lsi"].mean()
    assert by_type["district"] > by_type["city"] > by_type["county"]
    by_region = table.groupby("region", observed=True)["lsi"].mean()
    assert by_region.idxmax() == "east" and by_region.idxmin() == "west"


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_calibration_holds_for_other_seeds(seed: int) -> None:
    df = mpi.datasets.generate(NAME, seed=seed)
    national = df["lsi"].mean()
    assert national == pytest.approx(61.3, abs=TOL_NATIONAL)
    means = province_means(df)
    for province, value in PUBLISHED.items():
        assert means[province] == pytest.approx(value, abs=TOL_PUBLISHED_ANY_SEED), province
    assert (means > national).sum() == 19
    assert means["Chongqing"] < national


# --- generation -----------------------------------------------------------------------------------


def test_bundled_file_equals_generator(table: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(table, mpi.datasets.generate(NAME, seed=BUNDLED_SEED))


def test_regenerated_file_is_byte_identical(tmp_path: Path) -> None:
    """What ``python -m mpi.datasets._county_lsi`` writes equals the bundled file byte for byte."""
    target = tmp_path / lsi_mod.FILE
    df = lsi_mod.to_pandas(lsi_mod.generate_columns(BUNDLED_N, BUNDLED_SEED))
    lsi_mod.write_csv(df, target)
    bundled = Path(lsi_mod.__file__).with_name("data") / lsi_mod.FILE
    assert target.read_bytes() == bundled.read_bytes()


def test_deterministic_and_seed_sensitive() -> None:
    a = mpi.datasets.generate(NAME, n=500, seed=3)
    b = mpi.datasets.generate(NAME, n=500, seed=3, chunk_size=7)
    c = mpi.datasets.generate(NAME, n=500, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["lsi"], c["lsi"])
    assert a["province"].equals(c["province"])  # the allocation depends on n only


@pytest.mark.parametrize("n", [1, 31, 100, 5000, 12_345])
def test_other_sizes(n: int) -> None:
    df = mpi.datasets.generate(NAME, n=n, seed=5)
    assert len(df) == n
    assert (df["county_id"].to_numpy() == np.arange(1, n + 1)).all()
    assert df["county_name"].is_unique
    assert {c: str(t) for c, t in df.dtypes.items()} == EXPECTED_DTYPES
    assert df["lsi"].between(0, 100).all()
    counts = df["province"].value_counts()
    expected = pd.Series(COUNTS) * n / BUNDLED_N
    assert (counts.reindex(expected.index, fill_value=0) - expected).abs().max() < 1
    if n >= 5000:
        assert df["lsi"].mean() == pytest.approx(61.3, abs=TOL_NATIONAL)


def test_xarray_format(table: pd.DataFrame) -> None:
    ds = mpi.datasets.load(NAME, format="xarray")
    assert isinstance(ds, xr.Dataset)
    assert ds.sizes["county"] == BUNDLED_N
    assert ds["county"].dtype == np.int32
    assert ds["province"].dtype == object and ds["province"].values[0] == "Beijing"
    assert ds["night_light"].attrs["goalpost_max"] == 50.0
    assert ds["night_light"].attrs["transform"] == "log"
    assert ds["lsi"].attrs["units"] == "0-100"
    np.testing.assert_array_equal(ds["lsi"].values, table["lsi"].to_numpy())
    gen = mpi.datasets.generate(NAME, n=300, seed=2, format="xarray")
    assert gen.sizes["county"] == 300


def test_bad_format_and_size() -> None:
    with pytest.raises(ValidationError, match="format"):
        mpi.datasets.load(NAME, format="tables")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="at most"):
        lsi_mod.generate(n=lsi_mod.MAX_N + 1)


@pytest.mark.slow
def test_generate_one_million_counties() -> None:
    start = time.perf_counter()
    df = mpi.datasets.generate(NAME, n=1_000_000, seed=9)
    assert time.perf_counter() - start < 30
    assert len(df) == 1_000_000 and df["county_id"].is_unique
    means = province_means(df)
    for province, value in PUBLISHED.items():
        assert means[province] == pytest.approx(value, abs=0.3), province
    assert df["lsi"].mean() == pytest.approx(61.3, abs=0.1)
