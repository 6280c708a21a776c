"""Hostile indicator columns: unknown categories, narrow integer dtypes, complex numbers.

Issue 14, points 2 (a category the column does not have), 7 (narrow integer columns are
read by the kernel as they are, not copied to float64) and 14 (complex values).
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi import DataError, Indicator, Spec
from mpi.errors import CategoryWarning
from mpi.kernels import af

measure_mod = importlib.import_module("mpi.measurement.measure")

N = 10_000  # more than 2 * BLOCK units: several chunks in the kernel
MODES = [af.UNITS, af.PATTERNS, af.DIRECT]


# -- 2: categories the column does not have -----------------------------------------------
def _edu_spec(cats, rule="in") -> Spec:
    return Spec(
        [
            Indicator("edu", weight="1/2", variable="edu", cutoff=cats, deprived_if=rule),
            Indicator("f", weight="1/2", variable="f"),
        ],
        k="1/2",
    )


def _edu_frame(dtype) -> pd.DataFrame:
    edu = ["none", "primary", "secondary", "primary", "none", "secondary"]
    return pd.DataFrame({"edu": pd.Series(edu, dtype=dtype), "f": [1, 0, 1, 1, 0, 1]})


def test_categorical_unknown_category_raises_with_closest_match():
    df = _edu_frame(pd.CategoricalDtype(["none", "primary", "secondary", "higher"]))
    with pytest.raises(DataError) as err:
        mpi.measure(df, _edu_spec(["none", "Primary"]))
    msg = str(err.value)
    for part in ("'edu'", "'Primary'", "'none', 'primary', 'secondary', 'higher'",
                 "did you mean 'primary'"):
        assert part in msg, msg


def test_categorical_unknown_string_equality_and_numeric_categories_raise():
    df = _edu_frame(pd.CategoricalDtype(["none", "primary", "secondary"]))
    with pytest.raises(DataError, match=r"'Secondary'.*did you mean 'secondary'"):
        mpi.measure(df, _edu_spec("Secondary", rule="=="))
    df = pd.DataFrame({"edu": pd.Categorical([1, 2, 3, 2]), "f": [1, 0, 1, 1]})
    with pytest.raises(DataError, match=r"unknown categor.*\b4\b"):
        mpi.measure(df, _edu_spec([1, 4]))


@pytest.mark.parametrize("dtype", [object, "str", "string", "string[pyarrow]"])
def test_string_column_absent_category_warns_with_close_match(dtype):
    df = _edu_frame(dtype)
    with pytest.warns(CategoryWarning, match=r"'Primary'.*did you mean 'primary'") as rec:
        res = mpi.measure(df, _edu_spec(["none", "Primary"]))
    assert rec[0].filename == __file__  # points at the caller, not into mpi
    assert mpi.CategoryWarning is CategoryWarning
    assert "'edu'" in str(rec[0].message)
    # the listed category that does occur is still used: rows 0 and 4 are deprived in edu
    assert float(res.to_dataset()["uncensored_headcount"].sel(indicator="edu")) == 2 / 6


@pytest.mark.parametrize("rule", ["==", "!="])
def test_string_equality_absent_value_warns(rule):
    with pytest.warns(CategoryWarning, match=r"'Higher'"):
        mpi.measure(_edu_frame(object), _edu_spec("Higher", rule=rule))


def test_numeric_category_list_absent_value_warns():
    df = pd.DataFrame({"edu": [1, 2, 3, 2, 1, 3], "f": [1, 0, 1, 1, 0, 1]})
    with pytest.warns(CategoryWarning, match=r"\b7\b.*never occur"):
        mpi.measure(df, _edu_spec([1, 7]))


@pytest.mark.parametrize("dtype", [object, "str", pd.CategoricalDtype(["none", "primary",
                                                                         "secondary"])])
def test_categories_that_occur_are_silent(dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mpi.measure(_edu_frame(dtype), _edu_spec(["none", "primary"]))
        mpi.measure(_edu_frame(dtype), _edu_spec("secondary", rule="!="))


def test_absent_category_warns_through_association():
    with pytest.warns(CategoryWarning, match="'Primary'") as rec:
        mpi.association(_edu_frame(object), _edu_spec(["none", "Primary"]))
    assert rec[0].filename == __file__


# -- 14: complex values ---------------------------------------------------------------------
def _flags_spec() -> Spec:
    return Spec.from_dimensions({"a": ["a1", "a2"], "b": ["b1"]}, k="1/2")


def _flags_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"a1": [0, 1, 1, 0], "a2": [0, 0, 1, 1], "b1": [1, 0, 1, 0], "w": [1.0, 2.0, 1.0, 1.0]}
    )


@pytest.mark.parametrize(
    "values",
    [
        np.array([0, 1, 1, 0], np.complex128),
        np.array([0, 1, 1, 0], np.complex64),
        pd.Series([0j, 1 + 0j, 1 + 2j, 0j], dtype=object),
        pd.Series([0, 1, 1 + 2j, 0], dtype=object),
    ],
)
def test_complex_indicator_is_refused(values):
    df = _flags_frame()
    df["a2"] = values
    with pytest.raises(DataError, match=r"'a2'.*complex.*\.real"):
        mpi.measure(df, _flags_spec())
    spec = Spec(
        [Indicator("a1", weight="1/2"), Indicator("a2", weight="1/2", cutoff=0.5, deprived_if=">")],
        k="1/2",
    )
    with pytest.raises(DataError, match=r"'a2'.*complex.*\.real"):
        mpi.measure(df, spec)


@pytest.mark.parametrize(
    "values",
    [np.array([1, 2, 1, 1], np.complex128), pd.Series([1.0, 2.0, 1j, 1.0], dtype=object)],
)
def test_complex_weight_is_refused(values):
    df = _flags_frame()
    df["w"] = values
    with pytest.raises(DataError, match=r"weight variable 'w'.*complex.*\.real"):
        mpi.measure(df, _flags_spec(), weight="w")


# -- 7: narrow integer columns go to the kernel as int8 -----------------------------------
def _survey(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "f1": (rng.random(N) < 0.3).astype(np.int8),
            "f2": (rng.random(N) < 0.5).astype(np.int8),
            "cnt": rng.integers(-3, 6, N).astype(np.int8),
            "lvl": rng.integers(0, 5, N).astype(np.int8),
            "code": rng.integers(1, 7, N).astype(np.int8),
            "w": rng.uniform(0.5, 2.0, N),
            "region": rng.choice(["n", "s", "e"], N),
            "stratum": (stratum := rng.integers(0, 4, N)),
            "psu": stratum * 100 + rng.integers(0, 10, N),
        }
    )


def _rich_spec() -> Spec:
    """Every kernel rule against float cutoffs on integer columns."""
    return Spec(
        [
            Indicator("f1", weight="1/8", dimension="a"),
            Indicator("f2", weight="1/8", dimension="a"),
            Indicator("lt", weight="1/8", variable="cnt", cutoff=2.5, dimension="a"),  # cardinal
            Indicator("le", weight="1/8", variable="lvl", cutoff=1.5, deprived_if="<=",
                      dimension="a"),
            Indicator("gt", weight="1/8", variable="cnt", cutoff=0.5, deprived_if=">",
                      dimension="b"),
            Indicator("ge", weight="1/16", variable="lvl", cutoff=3, deprived_if=">=",
                      dimension="b"),
            Indicator("eq", weight="1/16", variable="code", cutoff=2, deprived_if="==",
                      dimension="b"),
            Indicator("ne", weight="1/16", variable="lvl", cutoff=4, deprived_if="!=",
                      dimension="b"),
            Indicator("cat", weight="1/32", variable="code", cutoff=[1, 5, 6], deprived_if="in",
                      dimension="b"),
            Indicator("reg", weight="1/32", variable="region", cutoff=["n", "e"],
                      deprived_if="in", dimension="b"),  # a category flag (int8 or float64)
            Indicator("ltc", weight="1/16", variable="lvl", cutoff=2.5, cardinal=False,
                      dimension="b"),
            Indicator("eqx", weight="1/16", variable="code", cutoff=2.5, deprived_if="!=",
                      dimension="b"),
        ],
        k="1/3",
    )


INT_VARS = ["f1", "f2", "cnt", "lvl", "code"]


def _as(df: pd.DataFrame, dtype) -> pd.DataFrame:
    out = df.copy()
    for v in INT_VARS:
        if dtype == "bool":
            continue
        if dtype == "uint8" and v == "cnt":  # negative values: keep int8 for that one
            continue
        out[v] = df[v].astype(dtype)
    if dtype == "bool":
        out["f1"] = df["f1"].astype(bool)
        out["f2"] = df["f2"].astype(bool)
    return out


def _identical(a: mpi.MeasureResult, b: mpi.MeasureResult) -> None:
    da, db = a.to_dataset(), b.to_dataset()
    da.attrs.pop("history", None)
    db.attrs.pop("history", None)
    xr.testing.assert_identical(da, db)


NARROW = ["int8", "bool", "int16", "Int8", "uint8", "int64"]


@pytest.mark.parametrize("dtype", NARROW)
def test_narrow_columns_reach_the_kernel_as_int8(dtype):
    df = _as(_survey(), dtype)
    prep = measure_mod._prepare(
        df, _rich_spec(), weight="w", by="region", k=None, missing="drop", use_patterns=None
    )
    assert all(c.dtype == np.int8 and not c.flags.writeable for c in prep.cols)
    if dtype in ("int8", "bool", "uint8"):  # a view of the input, no copy
        assert np.shares_memory(prep.cols[0], df["f1"].to_numpy())
    pd.testing.assert_frame_equal(df, _as(_survey(), dtype))  # input untouched


@pytest.mark.parametrize("dtype", NARROW)
@pytest.mark.parametrize("mode", MODES)
def test_narrow_statistics_identical_to_float64_in_every_mode(dtype, mode):
    base, spec = _survey(), _rich_spec()
    ref = base.astype({v: np.float64 for v in INT_VARS})
    for by in (None, "region"):
        want = measure_mod.compute_statistics(
            ref, spec, weight="w", by=by, k=["1/3", "1/2"], use_patterns=mode
        )
        got = measure_mod.compute_statistics(
            _as(base, dtype), spec, weight="w", by=by, k=["1/3", "1/2"], use_patterns=mode
        )
        xr.testing.assert_identical(got[0], want[0])


@pytest.mark.parametrize("dtype", NARROW)
def test_narrow_measures_identical_with_groups_and_design(dtype):
    base, spec = _survey(), _rich_spec()
    ref = base.astype({v: np.float64 for v in INT_VARS})
    design = mpi.Design("w", strata="stratum", psu="psu")
    _identical(
        mpi.measure(_as(base, dtype), spec, by="region", design=design),
        mpi.measure(ref, spec, by="region", design=design),
    )
    _identical(
        mpi.measure(_as(base, dtype), spec, weight="w", by=["region", "stratum"]),
        mpi.measure(ref, spec, weight="w", by=["region", "stratum"]),
    )


def test_mixed_dtypes_fall_back_to_float64_identically():
    base, spec = _survey(), _rich_spec()
    ref = base.astype({v: np.float64 for v in INT_VARS})
    cases = {
        "a float column": base.astype({"lvl": np.float64}),
        "out of int8 range": base.assign(cnt=base["cnt"].astype(np.int16).where(
            base["cnt"] != 5, 300)),
        "a missing value": base.astype({"code": "Int8"}).assign(
            code=lambda d: d["code"].mask(d.index == 7)),
    }
    for what, df in cases.items():
        prep = measure_mod._prepare(
            df, spec, weight="w", by=None, k=None, missing="drop", use_patterns=None
        )
        assert all(c.dtype == np.float64 for c in prep.cols), what
        if what == "a float column":
            _identical(mpi.measure(df, spec, weight="w"), mpi.measure(ref, spec, weight="w"))
    big = cases["out of int8 range"]
    _identical(
        mpi.measure(big, spec, weight="w"),
        mpi.measure(big.astype({v: np.float64 for v in INT_VARS}), spec, weight="w"),
    )


def test_category_flags_are_int8_without_missing_values():
    df = pd.DataFrame({"edu": pd.Series(["none", "primary"] * 5000, dtype=object),
                       "f": np.tile(np.array([1, 0, 0, 1], np.int8), 2500)})
    spec = _edu_spec(["none"])
    prep = measure_mod._prepare(df, spec, weight=None, by=None, k=None, missing="drop",
                                use_patterns=None)
    assert [c.dtype for c in prep.cols] == [np.int8, np.int8]
    df.loc[3, "edu"] = None
    with pytest.warns(mpi.MissingDataWarning):
        res = mpi.measure(df, spec)
    prep = measure_mod._prepare(df, spec, weight=None, by=None, k=None, missing="drop",
                                use_patterns=None)
    assert [c.dtype for c in prep.cols] == [np.float64, np.float64]
    assert int(res.to_dataset()["n_dropped"]) == 1


@pytest.mark.parametrize(("dtype", "bad"), [("int8", 2), ("int8", -1), ("uint8", 200),
                                            ("int64", 1000)])
def test_bad_flag_value_in_a_narrow_column_is_reported_exactly(dtype, bad):
    df = _flags_frame().astype({"a1": dtype})
    df.loc[2, "a1"] = bad
    with pytest.raises(DataError, match=rf"'a1'.*found the value {bad}\b"):
        mpi.measure(df, _flags_spec())


def test_narrow_flags_from_xarray_are_read_in_place():
    ds = xr.Dataset({v: ("unit", _survey()[v].to_numpy()) for v in ("f1", "f2")})
    spec = Spec.from_dimensions({"a": ["f1"], "b": ["f2"]}, k="1/2")
    prep = measure_mod._prepare(ds, spec, weight=None, by=None, k=None, missing="drop",
                                use_patterns=None)
    assert np.shares_memory(prep.cols[0], ds["f1"].values)
    ref = ds.astype(np.float64)
    _identical(mpi.measure(ds, spec), mpi.measure(ref, spec))
