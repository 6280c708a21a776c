"""Tests of mpi.panel_build: panel_from_long, merge_sources and MergeReport."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi.datasets
from mpi.dynamics.build import MergeReport, merge_sources, panel_from_long
from mpi.errors import DataError, ValidationError

DEPARTMENTS = ["poverty_office", "civil_affairs", "health", "education", "housing", "water"]
LAST_RECORD = ("last", "record_id")


# --- fixtures -----------------------------------------------------------------------------------
@pytest.fixture()
def long_df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [3, 1, 1, 3, 2],
            "year": [2016, 2015, 2016, 2015, 2015],
            "income": [10.0, 20.0, 30.0, 40.0, 50.0],
            "n": np.array([1, 2, 3, 4, 5], dtype="int16"),
            "flag": [True, False, True, True, False],
            "grade": pd.Categorical(["A", "B", None, "C", "A"]),
            "weight": [1.5, 2.0, np.nan, 1.5, 3.0],
            "region": ["s", "n", "n", None, "e"],
        }
    )


@pytest.fixture(scope="module")
def bundled_panel() -> xr.Dataset:
    return mpi.datasets.load("registry_panel", format="xarray")


def _sources(registry_tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    src = {"households": registry_tables["households"], **{d: registry_tables[d] for d in DEPARTMENTS}}
    src["civil_affairs"] = src["civil_affairs"].rename(
        columns={"income_assessed": "income_per_capita"}
    )
    return src


@pytest.fixture(scope="module")
def registry_merge(registry_tables) -> tuple[xr.Dataset, MergeReport]:
    return merge_sources(
        _sources(registry_tables),
        unit="hh_id",
        duplicates=LAST_RECORD,
        rules={"hh_size": "first", "income_per_capita": "first"},
        rtol={"income_per_capita": 0.1},
    )


def _keys(frame: pd.DataFrame, unit: str = "unit", time: str = "time") -> set[tuple[int, int]]:
    return {(int(u), int(t)) for u, t in zip(frame[unit], frame[time], strict=True)}


# --- panel_from_long ----------------------------------------------------------------------------
def test_panel_from_long_shape_values_and_observed(long_df):
    ds = panel_from_long(long_df, unit="id", time="year", static=["weight", "region"])
    assert ds["unit"].values.tolist() == [1, 2, 3]
    assert ds["time"].values.tolist() == [2015, 2016]
    assert ds["time"].dtype == np.int64
    assert ds["income"].dims == ("unit", "time")
    np.testing.assert_array_equal(ds["income"].values, [[20, 30], [50, np.nan], [40, 10]])
    assert ds["observed"].values.tolist() == [[True, True], [True, False], [True, True]]
    assert ds["weight"].dims == ("unit",)
    # unit 1 has weight 2.0 and NaN: filled from its other row
    np.testing.assert_array_equal(ds["weight"].values, [2.0, 3.0, 1.5])
    assert ds["region"].values.tolist() == ["n", "e", "s"]
    assert ds.attrs["duplicates_dropped"] == 0
    assert "panel_from_long" in ds.attrs["history"]


def test_panel_from_long_dtypes(long_df):
    ds = panel_from_long(long_df, unit="id", time="year", static=["weight", "region"])
    # gaps: int and bool become float64 with NaN
    assert ds["n"].dtype == np.float64
    assert np.isnan(ds["n"].values[1, 1])
    assert ds["flag"].dtype == np.float64
    np.testing.assert_array_equal(ds["flag"].values, [[0, 1], [0, np.nan], [1, 1]])
    assert ds["grade"].dtype == object
    assert ds["grade"].values[0, 0] == "B"
    assert pd.isna(ds["grade"].values[0, 1]) and pd.isna(ds["grade"].values[1, 1])
    # complete: dtypes kept
    full = long_df[long_df["id"] != 2]
    ds = panel_from_long(full, unit="id", time="year", variables=["n", "flag"])
    assert ds["n"].dtype == np.int16 and ds["flag"].dtype == bool
    assert set(ds.data_vars) == {"n", "flag", "observed"}


def test_panel_from_long_decimal_and_uneven_years():
    df = pd.DataFrame({"id": ["b", "a", "a"], "t": [2017.5, 2015.0, 2020.0], "x": [1, 2, 3]})
    ds = panel_from_long(df, unit="id", time="t")
    assert ds["time"].dtype == np.float64
    assert ds["time"].values.tolist() == [2015.0, 2017.5, 2020.0]
    assert ds["unit"].values.tolist() == ["a", "b"]
    integral = df.assign(t=[2017.0, 2015.0, 2020.0])
    assert panel_from_long(integral, unit="id", time="t")["time"].dtype == np.int64


def test_panel_from_long_keeps_integer_time_dtype():
    df = pd.DataFrame({"id": [1, 2], "year": np.array([2015, 2016], dtype="int16"), "x": [1, 2]})
    assert panel_from_long(df, unit="id", time="year")["time"].dtype == np.int16


def test_panel_from_long_static_conflict(long_df):
    df = long_df.assign(weight=[1.5, 2.0, 9.0, 1.5, 3.0])
    with pytest.raises(DataError, match=r"'weight'.*1 unit\(s\).*unit 1 has \[2\.0, 9\.0\]"):
        panel_from_long(df, unit="id", time="year", static=["weight"])


@pytest.mark.parametrize(
    ("rule", "expected", "dropped"),
    [
        ("first", 20.0, 1),
        ("last", 99.0, 1),
        (("first", "seq"), 99.0, 1),
        (("last", "seq"), 20.0, 1),
    ],
)
def test_panel_from_long_duplicates(long_df, rule, expected, dropped):
    df = pd.concat([long_df, long_df.iloc[[1]].assign(income=99.0)], ignore_index=True)
    df["seq"] = [5, 9, 5, 5, 5, 1]
    ds = panel_from_long(df, unit="id", time="year", variables=["income"], duplicates=rule)
    assert ds["income"].sel(unit=1, time=2015).item() == expected
    assert ds.attrs["duplicates_dropped"] == dropped
    assert ds["income"].sel(unit=3, time=2016).item() == 10.0


def test_panel_from_long_duplicates_raise(long_df):
    df = pd.concat([long_df, long_df.iloc[[1, 1, 2]]], ignore_index=True)
    with pytest.raises(DataError, match=r"2 duplicated key\(s\) \(5 rows\).*\(1, 2015\)"):
        panel_from_long(df, unit="id", time="year")
    with pytest.raises(ValidationError, match="duplicates"):
        panel_from_long(df, unit="id", time="year", duplicates="newest")


def test_panel_from_long_bad_time_and_ids(long_df):
    dated = long_df.assign(year=pd.to_datetime(long_df["year"].astype(str)))
    with pytest.raises(DataError, match=r"\.dt\.year"):
        panel_from_long(dated, unit="id", time="year")
    with pytest.raises(DataError, match="pd.to_numeric"):
        panel_from_long(long_df.assign(year=long_df["year"].astype(str)), unit="id", time="year")
    with pytest.raises(DataError, match=r"2 row\(s\).*missing time"):
        panel_from_long(long_df.assign(year=[2015, None, None, 2016, 2015]), unit="id", time="year")
    with pytest.raises(DataError, match=r"1 row\(s\).*missing unit id"):
        panel_from_long(long_df.assign(id=[1, 2, None, 3, 3]), unit="id", time="year")
    with pytest.raises(DataError, match="'yr' is not in df"):
        panel_from_long(long_df, unit="id", time="yr")
    with pytest.raises(ValidationError, match="both list"):
        panel_from_long(long_df, unit="id", time="year", variables=["n"], static=["n"])


def test_panel_from_long_does_not_mutate(long_df):
    before = long_df.copy(deep=True)
    dtypes = long_df.dtypes.copy()
    panel_from_long(long_df, unit="id", time="year", static=["weight", "region"])
    pd.testing.assert_frame_equal(long_df, before)
    pd.testing.assert_series_equal(long_df.dtypes, dtypes)


def test_panel_from_long_million_rows_is_fast():
    rng = np.random.default_rng(1)
    n_u, n_t = 125_000, 8
    df = pd.DataFrame(
        {
            "id": np.repeat(rng.permutation(n_u) * 7, n_t),
            "year": np.tile(np.arange(2015, 2015 + n_t), n_u),
            "x": rng.normal(size=n_u * n_t),
            "k": rng.integers(0, 3, n_u * n_t).astype("int8"),
            "w": np.repeat(rng.random(n_u), n_t),
        }
    )
    df = df.sample(frac=1.0, random_state=2)
    start = time.perf_counter()
    ds = panel_from_long(df, unit="id", time="year", static=["w"])
    elapsed = time.perf_counter() - start
    assert ds.sizes == {"unit": n_u, "time": n_t}
    assert bool(ds["observed"].all())
    assert ds["k"].dtype == np.int8
    row = df.iloc[123]
    assert ds["x"].sel(unit=row["id"], time=row["year"]).item() == row["x"]
    assert elapsed < 10, elapsed


# --- merge_sources: synthetic -------------------------------------------------------------------
@pytest.fixture()
def small_sources() -> dict[str, pd.DataFrame]:
    master = pd.DataFrame({"hh": [1, 2, 3, 9], "size": [3, 4, 2, 1], "region": list("nnsn")})
    health = pd.DataFrame(
        {
            "record_id": [1, 2, 3, 4],
            "hh": [1, 1, 2, 3],
            "year": [2020, 2021, 2020, 2020],
            "insured": [1, 0, 1, 1],
            "size": [3, 3, 5, 2],
            "income": [100.0, 110.0, 200.0, np.nan],
        }
    )
    civil = pd.DataFrame(
        {
            "record_id": [1, 2, 3],
            "hh": [1, 2, 4],
            "year": [2020, 2021, 2021],
            "income": [104.0, 250.0, 80.0],
            "size": [2, 4, 6],
        }
    )
    return {"master": master, "health": health, "civil": civil}


def test_merge_structure_and_report(small_sources):
    ds, rep = merge_sources(small_sources, unit="hh", rules={"size": "first", "income": "first"})
    assert ds["unit"].values.tolist() == [1, 2, 3, 4, 9]
    assert ds["time"].values.tolist() == [2020, 2021]
    assert ds["region"].dims == ("unit",) and ds["insured"].dims == ("unit", "time")
    assert "record_id" not in ds
    assert ds["observed"].values.tolist() == [
        [True, True],
        [True, True],
        [True, False],
        [False, True],
        [False, False],
    ]
    # a static source fills the observed waves of a variable that also varies over time
    np.testing.assert_array_equal(
        ds["size"].values, [[3, 3], [4, 4], [2, np.nan], [np.nan, 6], [np.nan, np.nan]]
    )
    assert rep.sources.loc["master", "kind"] == "static"
    assert rep.sources["units"].to_dict() == {"master": 4, "health": 3, "civil": 3}
    assert rep.coverage.loc["health"].tolist() == [3, 1]
    assert rep.coverage.loc["civil"].tolist() == [1, 2]
    assert rep.coverage.loc["any"].tolist() == [3, 3]
    assert rep.only_in["civil"].tolist() == [4]
    assert rep.only_in["master"].tolist() == [9]
    assert rep.only_in["health"].tolist() == []
    assert rep.units_by_n_sources.to_dict() == {1: 2, 2: 1, 3: 2}
    # size: unit 2 in 2020 (4 vs 5) and unit 1 in 2020 (3, 3 vs 2)
    size = rep.conflicts[rep.conflicts["variable"] == "size"]
    assert _keys(size) == {(1, 2020), (2, 2020)}
    assert rep.variables.loc["size", "compared"] == 5
    assert rep.conflict_counts.to_dict() == {"size": 2, "income": 1}
    assert "MergeReport" in repr(rep) and "conflicts: 3" in rep.summary()
    frame = rep.to_frame()  # tidy counts: one row per source, variable, wave
    units = frame[frame["measure"] == "units"].set_index("source")["estimate"]
    assert units.to_dict() == rep.sources["units"].to_dict()
    conflicts = frame[frame["measure"] == "conflicts"].set_index("variable")["estimate"]
    assert conflicts.to_dict() == rep.conflict_counts.to_dict()
    assert int(rep.to_dataset()["n_conflicts"]) == 3


def test_merge_conflict_error_lists_conflicts(small_sources):
    with pytest.raises(DataError, match=r"'size': 2 conflict\(s\).*unit 1 in 2020") as info:
        merge_sources(small_sources, unit="hh", rules={"income": "first"})
    report = info.value.report
    assert isinstance(report, MergeReport)
    assert report.conflict_counts["size"] == 2


@pytest.mark.parametrize(
    ("rule", "order", "expected"),
    [
        ("first", None, 100.0),
        ("latest", None, 104.0),
        ("first", ["civil", "health", "master"], 104.0),
        ("latest", ["civil", "health", "master"], 100.0),
        ("max", None, 104.0),
        ("min", None, 100.0),
    ],
)
def test_merge_conflict_rules(small_sources, rule, order, expected):
    ds, rep = merge_sources(
        small_sources, unit="hh", rules={"size": "first", "income": rule}, order=order
    )
    assert ds["income"].sel(unit=1, time=2020).item() == expected
    row = rep.conflicts[rep.conflicts["variable"] == "income"].iloc[0]
    assert (row["health"], row["civil"], row["kept"]) == (100.0, 104.0, expected)
    # keys with one value are never conflicts and keep it
    assert ds["income"].sel(unit=2, time=2021).item() == 250.0
    assert np.isnan(ds["income"].sel(unit=3, time=2020).item())


def test_merge_rtol_and_object_rules(small_sources):
    ds, rep = merge_sources(small_sources, unit="hh", rules={"size": "max"}, rtol={"income": 0.05})
    assert rep.variables.loc["income", "conflicts"] == 0
    assert rep.variables.loc["income", "differing"] == 1
    assert ds["income"].sel(unit=1, time=2020).item() == 100.0  # "error" keeps the first
    assert ds["size"].sel(unit=2, time=2020).item() == 5
    src = dict(small_sources)
    src["civil"] = src["civil"].assign(region=["n", "s", "e"])
    ds, rep = merge_sources(src, unit="hh", default_rule="min")
    assert ds["region"].dims == ("unit", "time")
    assert ds["region"].sel(unit=2, time=2021).item() == "n"  # min("n", "s")
    conflict = rep.conflicts[rep.conflicts["variable"] == "region"]
    assert conflict[["master", "civil", "kept"]].values.tolist() == [["n", "s", "n"]]


def test_merge_duplicates_per_source(small_sources):
    src = dict(small_sources)
    extra = pd.DataFrame(
        {"record_id": [0, 7], "hh": [1, 1], "year": [2020, 2020], "insured": [0, 0]}
    )
    src["health"] = pd.concat([src["health"], extra], ignore_index=True)
    with pytest.raises(DataError, match=r"source 'health' has 1 duplicated key.*\(1, 2020\)"):
        merge_sources(src, unit="hh", default_rule="first")
    expected = {"first": 1, "last": 0, LAST_RECORD: 0, ("first", "record_id"): 0}
    for rule, insured in expected.items():
        ds, rep = merge_sources(src, unit="hh", default_rule="first", duplicates={"health": rule})
        assert ds["insured"].sel(unit=1, time=2020).item() == insured
        assert rep.sources.loc["health", "rows_dropped"] == 2
        dup = rep.duplicates
        assert dup[["source", "unit", "time", "rows"]].values.tolist() == [["health", 1, 2020, 3]]
    kept = {"first": 0, "last": 5, LAST_RECORD: 5, ("first", "record_id"): 4}
    for rule, index in kept.items():
        _, rep = merge_sources(src, unit="hh", default_rule="first", duplicates={"health": rule})
        assert rep.duplicates["kept_index"].tolist() == [index]
    with pytest.raises(ValidationError, match="unknown source"):
        merge_sources(src, unit="hh", duplicates={"heath": "first"})


def test_merge_static_sources_and_forced_static(small_sources):
    src = {"master": small_sources["master"], "health": small_sources["health"]}
    src["survey"] = pd.DataFrame({"hh": [1, 2], "year": [1990, 1991], "built": [1, 0]})
    ds, rep = merge_sources(src, unit="hh", static=["survey"], default_rule="first")
    assert ds["year"].dims == ("unit",)  # the forced-static table's time column is a variable
    assert ds["time"].values.tolist() == [2020, 2021]
    assert rep.sources.loc["survey", "kind"] == "static"
    assert "survey" not in rep.coverage.index
    with pytest.raises(DataError, match="no source has the time column"):
        merge_sources({"master": small_sources["master"]}, unit="hh")


def test_merge_id_kinds_and_missing_columns(small_sources):
    src = dict(small_sources)
    src["civil"] = src["civil"].assign(hh=src["civil"]["hh"].astype(str))
    with pytest.raises(DataError, match=r"numbers in some sources and strings.*civil: string"):
        merge_sources(src, unit="hh", default_rule="first")
    src = dict(small_sources)
    src["civil"] = src["civil"].rename(columns={"hh": "household"})
    with pytest.raises(DataError, match=r"column 'hh' is not in source 'civil'"):
        merge_sources(src, unit="hh", default_rule="first")
    src = dict(small_sources)
    src["civil"] = src["civil"].assign(year=["2020", "2021", "2021"])
    with pytest.raises(DataError, match=r"'year' of source 'civil'.*pd.to_numeric"):
        merge_sources(src, unit="hh", default_rule="first")
    with pytest.raises(ValidationError, match="rules names variable"):
        merge_sources(small_sources, unit="hh", rules={"sise": "first"})
    with pytest.raises(ValidationError, match="rtol names variable"):
        merge_sources(small_sources, unit="hh", default_rule="first", rtol={"incme": 0.1})
    with pytest.raises(ValidationError, match=r"rtol\['income'\] must be a number"):
        merge_sources(small_sources, unit="hh", default_rule="first", rtol={"income": 5})
    with pytest.raises(ValidationError, match="must be one of"):
        merge_sources(small_sources, unit="hh", rules={"size": "newest"})
    with pytest.raises(ValidationError, match="order must list every source"):
        merge_sources(small_sources, unit="hh", order=["master", "health"])


def test_merge_string_ids_and_float_ids(small_sources):
    src = {k: v.assign(hh=v["hh"].map(lambda i: f"h{i:02d}")) for k, v in small_sources.items()}
    ds, _ = merge_sources(src, unit="hh", default_rule="first")
    assert ds["unit"].values.tolist() == ["h01", "h02", "h03", "h04", "h09"]
    src = dict(small_sources)
    src["civil"] = src["civil"].assign(hh=src["civil"]["hh"].astype(float))
    ds, _ = merge_sources(src, unit="hh", default_rule="first")
    assert ds["unit"].values.tolist() == [1, 2, 3, 4, 9]


def test_merge_does_not_mutate(small_sources):
    before = {k: v.copy(deep=True) for k, v in small_sources.items()}
    merge_sources(small_sources, unit="hh", default_rule="latest", duplicates="first")
    for k, v in small_sources.items():
        pd.testing.assert_frame_equal(v, before[k])


# --- merge_sources: bundled registry ------------------------------------------------------------
def test_registry_duplicates_are_the_planted_ones(registry_tables, registry_merge):
    _, rep = registry_merge
    issues = registry_tables["data_issues"]
    planted = issues[issues["kind"] == "duplicate_key"]
    found = rep.duplicates
    assert set(found["source"]) == set(planted["table"].astype(str))
    for table in DEPARTMENTS:
        expected = _keys(planted[planted["table"] == table], "hh_id", "year")
        assert _keys(found[found["source"] == table]) == expected, table
        assert rep.sources.loc[table, "duplicated_keys"] == len(expected)
    # ("last", "record_id"): every kept row is its key's highest record_id
    for row in found.itertuples(index=False):
        df = registry_tables[row.source]
        kept = df.loc[row.kept_index]
        same = df[(df["hh_id"] == row.unit) & (df["year"] == row.time)]
        assert kept["record_id"] == same["record_id"].max()


def test_registry_hh_size_conflicts_are_the_planted_ones(registry_tables, registry_merge):
    ds, rep = registry_merge
    issues = registry_tables["data_issues"]
    planted = issues[issues["kind"] == "conflict_hh_size"]
    found = rep.conflicts[rep.conflicts["variable"] == "hh_size"]
    assert len(found) == len(planted) == 67
    assert _keys(found) == _keys(planted, "hh_id", "year")
    merged = found.merge(planted, left_on=["unit", "time"], right_on=["hh_id", "year"])
    np.testing.assert_array_equal(merged["households"], merged["value_true"])
    np.testing.assert_array_equal(merged["civil_affairs"], merged["value_false"])
    np.testing.assert_array_equal(merged["kept"], merged["value_true"])  # rule "first"
    assert rep.variables.loc["hh_size", "compared"] == len(registry_tables["civil_affairs"])


def test_registry_income_conflicts(registry_tables, registry_merge):
    """civil_affairs.income_assessed is within ±8 % (plus rounding) of the poverty office's
    income, so equality flags almost every shared key; with rtol=0.1 the conflicts are the
    planted ones plus the keys where the poverty office's false duplicate (kept by the
    ("last", "record_id") rule) meets a civil-affairs record."""
    _, rep = registry_merge
    issues = registry_tables["data_issues"]
    planted = _keys(issues[issues["kind"] == "conflict_income"], "hh_id", "year")
    po = registry_tables["poverty_office"]
    dups = issues[(issues["kind"] == "duplicate_key") & (issues["table"] == "poverty_office")]
    winners = po.sort_values("record_id").drop_duplicates(["hh_id", "year"], keep="last")
    false_kept = winners[winners["record_id"].isin(dups["record_id"])]
    civil = _keys(registry_tables["civil_affairs"], "hh_id", "year")
    expected = planted | (_keys(false_kept, "hh_id", "year") & civil)
    assert len(expected) > len(planted)
    found = rep.conflicts[rep.conflicts["variable"] == "income_per_capita"]
    assert _keys(found) == expected
    assert rep.variables.loc["income_per_capita", "differing"] > 10 * len(expected)

    src = _sources(registry_tables)
    _, exact = merge_sources(
        {k: src[k] for k in ("poverty_office", "civil_affairs")},
        unit="hh_id",
        duplicates=LAST_RECORD,
        default_rule="first",
    )
    n_exact = exact.variables.loc["income_per_capita", "conflicts"]
    assert n_exact > 0.9 * exact.variables.loc["income_per_capita", "compared"]


def _drop_after_death(df: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    death = households.set_index("hh_id")["death_year"].astype("float64")
    after = df["year"].to_numpy() > death.reindex(df["hh_id"]).to_numpy()
    return df[~after]


BUNDLED_VARS = {
    "income_per_capita": "poverty_office",
    "food_insecure": "poverty_office",
    "clothing_insecure": "poverty_office",
    "registered_poor": "poverty_office",
    "poverty_status": "poverty_office",
    "monitoring": "poverty_office",
    "medical_insured": "health",
    "dropout_children": "education",
    "housing_grade": "housing",
    "safe_water": "water",
}


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = pd.Series(a.ravel()), pd.Series(b.ravel())
    both_missing = a.isna() & b.isna()
    equal = (a.astype(object) == b.astype(object)) & a.notna()
    return (both_missing | equal).to_numpy().reshape(-1)


def test_registry_merge_reproduces_bundled_panel(registry_tables, bundled_panel):
    households = registry_tables["households"]
    tabs = {"poverty_office", "health", "education", "housing", "water"}
    src = {t: _drop_after_death(registry_tables[t], households) for t in sorted(tabs)}
    ds, rep = merge_sources(src, unit="hh_id", duplicates=LAST_RECORD)
    assert rep.n_conflicts == 0 and len(rep.variables) == 0
    ds = ds.reindex(unit=bundled_panel["unit"].values, time=bundled_panel["time"].values)
    for var in BUNDLED_VARS:
        ok = _same(ds[var].values, bundled_panel[var].values)
        assert ok.all(), f"{var}: {int((~ok).sum())} cells differ"


def test_registry_records_after_death_are_the_only_difference(registry_tables, bundled_panel):
    """Without the documented preprocessing the health records after death survive."""
    ds, _ = merge_sources({"health": registry_tables["health"]}, unit="hh_id", duplicates=LAST_RECORD)
    ds = ds.reindex(unit=bundled_panel["unit"].values, time=bundled_panel["time"].values)
    ok = _same(ds["medical_insured"].values, bundled_panel["medical_insured"].values)
    bad = np.flatnonzero(~ok)
    n_t = ds.sizes["time"]
    units, times = ds["unit"].values, ds["time"].values
    found = {(int(units[k // n_t]), int(times[k % n_t])) for k in bad}
    issues = registry_tables["data_issues"]
    after = _keys(issues[issues["kind"] == "record_after_death"], "hh_id", "year")
    assert found == after and len(after) == 16
