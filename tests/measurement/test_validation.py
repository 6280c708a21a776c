"""Bad input gets a clear error naming the argument, the value and the fix (one test each)."""

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi import DataError, Indicator, Spec, SpecError, ValidationError


def flags_spec(k="1/2"):
    return Spec.from_dimensions({"a": ["a1", "a2"], "b": ["b1", "b2"]}, k=k)


@pytest.fixture
def df():
    return pd.DataFrame(
        {
            "a1": [0, 1, 1, 0],
            "a2": [0, 0, 1, 1],
            "b1": [0, 0, 1, 0],
            "b2": [0, 1, 1, 0],
            "w": [1.0, 2.0, 1.0, 1.0],
            "region": ["n", "s", "n", "s"],
        }
    )


# -- spec -------------------------------------------------------------------------------
def test_weight_not_positive():
    with pytest.raises(SpecError, match=r"weight of indicator 'x' must be positive; got 0"):
        Indicator("x", weight=0)
    with pytest.raises(SpecError, match=r"must be positive; got -0.5"):
        Indicator("x", weight=-0.5)


def test_weights_not_summing_to_one():
    inds = [Indicator("a", weight=0.5), Indicator("b", weight=0.4)]
    with pytest.raises(SpecError, match=r"weights must sum to 1 across indicators; got 0.9 "):
        Spec(inds, k=0.5, name="demo")


def test_weights_rounded_decimals_are_rejected_with_fix():
    with pytest.raises(SpecError, match=r"0.1666667 is not within 1e-09 of a fraction.*'1/18'"):
        Indicator("a", weight=0.1666667)


def test_weight_as_string_fraction_and_bool():
    assert Indicator("a", weight="1/18").weight == Fraction(1, 18)
    with pytest.raises(SpecError, match="must be a number, got the boolean True"):
        Indicator("a", weight=True)
    with pytest.raises(SpecError, match=r"fraction such as '1/18'; got 'a third'"):
        Indicator("a", weight="a third")


def test_duplicate_names():
    inds = [Indicator("a", weight=0.5), Indicator("a", weight=0.5, variable="b")]
    with pytest.raises(SpecError, match=r"duplicate indicator names \['a'\]"):
        Spec(inds, k=0.5)


@pytest.mark.parametrize("k", [0, -0.1, 1.5, "3/2"])
def test_k_outside_unit_interval(k):
    with pytest.raises(SpecError, match=r"k must be in \(0, 1\]; got"):
        flags_spec(k=k)


def test_k_override_outside_unit_interval(df):
    with pytest.raises(SpecError, match=r"k must be in \(0, 1\]; got 1.5"):
        mpi.measure(df, flags_spec(), k=1.5)


def test_k_not_representable():
    with pytest.raises(SpecError, match=r"k = 0.123456789123 is not within 1e-09"):
        flags_spec(k=0.123456789123)


def test_unknown_rule():
    with pytest.raises(SpecError, match=r"deprived_if of indicator 'x' must be one of <, <=, >"):
        Indicator("x", weight=1, cutoff=3, deprived_if="less")


def test_cutoff_type_not_matching_rule():
    with pytest.raises(SpecError, match=r"uses deprived_if='<', which needs a numeric cutoff"):
        Indicator("x", weight=1, cutoff="wood")
    with pytest.raises(SpecError, match=r"deprived_if='in', so cutoff must be a list"):
        Indicator("x", weight=1, cutoff="wood", deprived_if="in")
    with pytest.raises(SpecError, match=r"needs a single value; got \['a', 'b'\]"):
        Indicator("x", weight=1, cutoff=["a", "b"], deprived_if="==")
    with pytest.raises(SpecError, match=r"list of categories for 'in' is empty"):
        Indicator("x", weight=1, cutoff=[], deprived_if="in")


def test_cardinal_requires_strict_less_than_positive_cutoff():
    with pytest.raises(SpecError, match=r"cannot be cardinal.*Pass cardinal=False"):
        Indicator("x", weight=1, cutoff=3, deprived_if="<=", cardinal=True)
    assert Indicator("x", weight=1, cutoff=3).cardinal
    assert not Indicator("x", weight=1, cutoff=0).cardinal
    assert not Indicator("x", weight=1, cutoff=3, cardinal=False).cardinal


def test_common_denominator_too_large():
    # each weight is a simple fraction, but together they need 2 * 1009 * 1013 > 1e6
    weights = [Fraction(1, 2018), Fraction(504, 1009), Fraction(1, 2026), Fraction(506, 1013)]
    inds = [Indicator(f"x{i}", weight=w) for i, w in enumerate(weights)]
    with pytest.raises(SpecError, match=r"weights need a common denominator of 2044234, above"):
        Spec(inds, k=0.5)


def test_spec_needs_indicators():
    with pytest.raises(SpecError, match="indicators is empty"):
        Spec([], k=0.5)
    with pytest.raises(SpecError, match="must be mpi.Indicator objects; got str"):
        Spec(["a"], k=0.5)


# -- data -------------------------------------------------------------------------------
def test_missing_variable_is_named(df):
    spec = Spec.from_dimensions({"a": ["a1", "a2"], "b": ["b1", "B2"]}, k=0.5)
    with pytest.raises(DataError, match=r"indicator variable 'B2' is not in the data. Did you mean 'b2'"):
        mpi.measure(df, spec)


def test_missing_weight_and_group_variables(df):
    with pytest.raises(DataError, match=r"weight variable 'wt' is not in the data"):
        mpi.measure(df, flags_spec(), weight="wt")
    with pytest.raises(DataError, match=r"by variable 'province' is not in the data"):
        mpi.measure(df, flags_spec(), by="province")


def test_negative_weights(df):
    bad = df.assign(w=[1.0, -2.0, 1.0, 1.0])
    with pytest.raises(DataError, match=r"weight variable 'w' must be non-negative and finite; found -2"):
        mpi.measure(bad, flags_spec(), weight="w")


def test_infinite_weights(df):
    bad = df.assign(w=[1.0, np.inf, 1.0, 1.0])
    with pytest.raises(DataError, match=r"must be non-negative and finite; found inf"):
        mpi.measure(bad, flags_spec(), weight="w")


def test_weight_wrong_dtype(df):
    bad = df.assign(w=["1", "2", "1", "1"])
    with pytest.raises(DataError, match=r"weight variable 'w' must be numeric; got dtype"):
        mpi.measure(bad, flags_spec(), weight="w")


def test_all_zero_weights_raise(df):
    # issue 14 point 9: zero total weight made every measure NaN silently; now a DataError
    with pytest.raises(DataError, match=r"weight variable 'w'\) sum to 0 over the 4 units"):
        mpi.measure(df.assign(w=0.0), flags_spec(), weight="w")


def test_flag_variable_with_other_values(df):
    bad = df.assign(a1=[0, 2, 1, 0])
    with pytest.raises(DataError, match=r"variable 'a1' of indicator 'a1' must hold 0/1.*found the value 2"):
        mpi.measure(bad, flags_spec())


def test_flag_variable_wrong_dtype(df):
    bad = df.assign(a1=["no", "yes", "yes", "no"])
    with pytest.raises(DataError, match=r"must hold 0/1 or booleans.*got dtype"):
        mpi.measure(bad, flags_spec())


def test_order_rule_on_text(df):
    spec = Spec([Indicator("region", weight=1, cutoff=3)], k=1)
    with pytest.raises(DataError, match=r"non-numeric dtype .* the rule '<' 3 needs numbers"):
        mpi.measure(df, spec)


def test_category_type_mismatch(df):
    spec = Spec([Indicator("a1", weight=1, cutoff=["x"], deprived_if="in")], k=1)
    with pytest.raises(DataError, match=r"is numeric .* but the categories \['x'\] are strings"):
        mpi.measure(df, spec)
    spec = Spec([Indicator("region", weight=1, cutoff=[1], deprived_if="in")], k=1)
    with pytest.raises(DataError, match=r"holds text .* but the categories \[1\] are numbers"):
        mpi.measure(df, spec)


def test_category_typo_in_categorical(df):
    cat = df.assign(region=df["region"].astype("category"))
    spec = Spec([Indicator("region", weight=1, cutoff=["north"], deprived_if="in")], k=1)
    with pytest.raises(DataError, match=r"none of the categories \['north'\].*check the spelling"):
        mpi.measure(cat, spec)


def test_missing_raise_names_variables(df):
    bad = df.astype({"a2": float})
    bad.loc[2, "a2"] = np.nan
    with pytest.raises(DataError, match=r"missing values in 1 unit\(s\) with missing='raise': .*a2: 1"):
        mpi.measure(bad, flags_spec(), missing="raise")


def test_missing_policy_unknown(df):
    with pytest.raises(ValidationError, match=r"missing must be one of drop, reweight, raise; got 'zero'"):
        mpi.measure(df, flags_spec(), missing="zero")


def test_data_wrong_type(df):
    with pytest.raises(DataError, match=r"must be a pandas.DataFrame or an xarray.Dataset; got ndarray"):
        mpi.measure(df.to_numpy(), flags_spec())
    with pytest.raises(DataError, match="pass an xarray.Dataset"):
        mpi.measure(xr.DataArray(df[["a1", "a2"]].to_numpy()), flags_spec())


def test_dataset_with_two_dims():
    ds = xr.Dataset({v: (("unit", "wave"), np.zeros((3, 2))) for v in ["a1", "a2", "b1", "b2"]})
    with pytest.raises(DataError, match=r"exactly one unit dimension .* \['unit', 'wave'\]"):
        mpi.measure(ds, flags_spec())
    # a (unit, time) panel needs the waves' years as the time coordinate
    panel = ds.rename(wave="time")
    with pytest.raises(DataError, match="no coordinate along 'time'"):
        mpi.measure(panel, flags_spec())
    res = mpi.measure(panel.assign_coords(time=[2019, 2021]), flags_spec())
    assert res.to_dataset().M0.dims == ("time",)


def test_empty_data(df):
    with pytest.raises(DataError, match=r"data has no units \(0 rows\)"):
        mpi.measure(df.iloc[:0], flags_spec())


def test_spec_wrong_type(df):
    with pytest.raises(ValidationError, match="spec must be an mpi.Spec"):
        mpi.measure(df, {"k": 0.5})


def test_k_sequence_problems(df):
    with pytest.raises(ValidationError, match="k is an empty sequence"):
        mpi.measure(df, flags_spec(), k=[])
    with pytest.raises(ValidationError, match="k has repeated values"):
        mpi.measure(df, flags_spec(), k=[0.5, "1/2"])


def test_by_problems(df):
    with pytest.raises(ValidationError, match="by names a variable twice"):
        mpi.measure(df, flags_spec(), by=["region", "region"])
    with pytest.raises(ValidationError, match=r"clash with result dimensions"):
        mpi.measure(df.assign(k=1), flags_spec(), by="k")


def test_duplicated_columns(df):
    dup = pd.concat([df, df[["a1"]]], axis=1)
    with pytest.raises(DataError, match=r"duplicated column names \['a1'\]"):
        mpi.measure(dup, flags_spec())


def test_datetime_variable(df):
    spec = Spec([Indicator("t", weight=1, cutoff=3)], k=1)
    with pytest.raises(DataError, match="has dtype datetime64"):
        mpi.measure(df.assign(t=pd.Timestamp("2020-01-01")), spec)


def test_unknown_preset():
    with pytest.raises(SpecError, match=r"unknown preset 'global'; available presets are"):
        mpi.presets.load("global")


def test_spec_table_missing_columns():
    with pytest.raises(SpecError, match=r"lacks columns \['rule'\]"):
        Spec.from_table(pd.DataFrame({"indicator": ["a"], "weight": ["1"]}), k=1)
