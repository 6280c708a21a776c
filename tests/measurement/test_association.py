"""Indicator association (Cramér's V, phi, redundancy R0) of ``mpi.association``."""

from __future__ import annotations

import importlib
import math
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from reference import as_fraction, deprivations

import mpi
from mpi import DataError, Indicator, Spec, SpecError, ValidationError
from mpi.measurement.association import AssociationResult, association

# the module (``mpi.association`` may also name the function once it is exported)
association_module = importlib.import_module("mpi.measurement.association")

PAIR_VARS = ("cramers_v", "phi", "redundancy", "both_deprived", "n_obs")


# --------------------------------------------------------------------------------------
# Plain loop reference: one unit at a time, exact identification with Fractions
# --------------------------------------------------------------------------------------
def loop_reference(data, spec, *, weight=None, censored=False, k=None, missing="pairwise"):
    """Pair measures from a loop over units (shares from math.fsum of the weights)."""
    g, _ = deprivations(data, spec)  # n x d, NaN = missing
    n, d = g.shape
    if weight is None:
        s = np.ones(n)
    else:
        s = np.asarray(data[weight].values, dtype=float)
    use = [not math.isnan(s[i]) for i in range(n)]
    if censored or missing == "listwise":
        use = [use[i] and not np.isnan(g[i]).any() for i in range(n)]
    if censored:
        kk = as_fraction(spec.k if k is None else k)
        for i in range(n):
            if use[i]:
                score = sum(
                    (Fraction(ind.weight) for ind, gij in zip(spec, g[i], strict=True) if gij == 1),
                    Fraction(0),
                )
                if score < kk:
                    g[i] = 0.0
    out = {name: np.full((d, d), np.nan) for name in PAIR_VARS}
    for j in range(d):
        for l_ in range(d):
            cells: dict[tuple[int, int], list[float]] = {
                (1, 1): [],
                (1, 0): [],
                (0, 1): [],
                (0, 0): [],
            }
            count = 0
            for i in range(n):
                if use[i] and not math.isnan(g[i, j]) and not math.isnan(g[i, l_]):
                    cells[int(g[i, j]), int(g[i, l_])].append(s[i])
                    count += 1
            out["n_obs"][j, l_] = count
            total = math.fsum(x for v in cells.values() for x in v)
            if total == 0:
                continue
            p11, p10, p01, p00 = (math.fsum(cells[c]) / total for c in cells)
            out["both_deprived"][j, l_] = p11
            r1, r0, c1, c0 = p11 + p10, p01 + p00, p11 + p01, p10 + p00
            if min(r1, r0, c1, c0) > 0:
                phi = (p11 * p00 - p10 * p01) / math.sqrt(r1 * r0 * c1 * c0)
                out["phi"][j, l_] = phi
                out["cramers_v"][j, l_] = abs(phi)
            if min(r1, c1) > 0:
                out["redundancy"][j, l_] = p11 / min(r1, c1)
    return out


def assert_matches_reference(res: AssociationResult, ref: dict, atol: float = 1e-12) -> None:
    ds = res.to_dataset()
    for name in PAIR_VARS:
        np.testing.assert_allclose(
            ds[name].values, ref[name], rtol=0, atol=atol, equal_nan=True, err_msg=name
        )


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------
@pytest.fixture
def hand():
    """Five units, sampling weights 1, 2, 3, 1, 3 (total 10); z is missing for unit 2."""
    return pd.DataFrame(
        {
            "x": [1, 1, 0, 0, 1],
            "y": [1, 0, 1, 0, 1],
            "z": [0.0, 1.0, np.nan, 0.0, 1.0],
            "w": [1.0, 2.0, 3.0, 1.0, 3.0],
        }
    )


def hand_spec() -> Spec:
    return Spec.from_dimensions({"a": ["x", "y"], "b": ["z"]}, k="1/2")


def random_data(seed: int, n: int = 300) -> tuple[pd.DataFrame, Spec]:
    """Mixed rules (numeric, categories, 0/1 flags, '!=') with NaNs and odd weights."""
    rng = np.random.default_rng(seed)
    income = rng.normal(10, 4, n)
    income[rng.random(n) < 0.08] = np.nan
    fuel = rng.choice(["wood", "gas", "dung", "electric"], n).astype(object)
    fuel[rng.random(n) < 0.05] = None
    flag = (rng.random(n) < 0.3).astype(float)
    flag[rng.random(n) < 0.06] = np.nan
    rooms = rng.integers(0, 5, n).astype(float)
    rooms[rng.random(n) < 0.04] = np.nan
    water = rng.integers(0, 3, n).astype(float)
    w = rng.gamma(2.0, 1.5, n)
    w[rng.random(n) < 0.05] = 0.0
    w[rng.random(n) < 0.03] = np.nan
    df = pd.DataFrame(
        {"income": income, "fuel": fuel, "flag": flag, "rooms": rooms, "water": water, "w": w}
    )
    spec = Spec(
        [
            Indicator("income", weight="1/4", dimension="money", cutoff=8),
            Indicator(
                "fuel", weight="1/12", dimension="living", cutoff=["wood", "dung"], deprived_if="in"
            ),
            Indicator("flag", weight="1/4", dimension="health"),
            Indicator("rooms", weight="1/12", dimension="living", cutoff=1, deprived_if="<="),
            Indicator("water", weight="1/12", dimension="living", cutoff=0, deprived_if="!="),
            Indicator(
                "income_hi",
                weight="1/4",
                dimension="other",
                variable="income",
                cutoff=13,
                deprived_if=">=",
            ),
        ],
        k="1/3",
    )
    return df, spec


@pytest.fixture(scope="module")
def survey():
    return mpi.datasets.load("mpi_survey"), mpi.presets.global_mpi_2018()


# --------------------------------------------------------------------------------------
# (1) hand-computed 2x2 tables
# --------------------------------------------------------------------------------------
def test_hand_computed_weighted_pairwise(hand):
    res = association(hand, hand_spec(), weight="w")
    ds = res.to_dataset()

    def at(name, a, b):
        return float(ds[name].sel(indicator=a, indicator2=b))

    # x, y on all 5 units (total weight 10):
    #   p11 = (1 + 3)/10 = 2/5 (units 0, 4), p10 = 2/10 (unit 1), p01 = 3/10 (unit 2),
    #   p00 = 1/10 (unit 3); p1. = 3/5, p0. = 2/5, p.1 = 7/10, p.0 = 3/10
    #   phi = (4/10 * 1/10 - 2/10 * 3/10) / sqrt(6/10 * 4/10 * 7/10 * 3/10)
    #       = (-2/100) / (sqrt(504)/100) = -2/sqrt(504) = -1/(3 sqrt(14))
    #   R0 = (4/10) / min(6/10, 7/10) = 2/3
    assert at("phi", "x", "y") == pytest.approx(-1 / (3 * math.sqrt(14)), abs=1e-15)
    assert at("cramers_v", "x", "y") == pytest.approx(1 / (3 * math.sqrt(14)), abs=1e-15)
    assert at("redundancy", "x", "y") == pytest.approx(2 / 3, abs=1e-15)
    assert at("both_deprived", "x", "y") == pytest.approx(2 / 5, abs=1e-15)
    assert int(ds.n_obs.sel(indicator="x", indicator2="y")) == 5
    # x, z on units 0, 1, 3, 4 (z missing for unit 2; total weight 1 + 2 + 1 + 3 = 7):
    #   x = 1, 1, 0, 1 and z = 0, 1, 0, 1 -> p11 = 5/7, p10 = 1/7, p01 = 0, p00 = 1/7
    #   p1. = 6/7, p0. = 1/7, p.1 = 5/7, p.0 = 2/7
    #   phi = (5/49) / (sqrt(60)/49) = 5/sqrt(60) = sqrt(15)/6; R0 = (5/7)/(5/7) = 1
    assert at("phi", "x", "z") == pytest.approx(math.sqrt(15) / 6, abs=1e-15)
    assert at("redundancy", "x", "z") == 1.0
    assert at("both_deprived", "x", "z") == pytest.approx(5 / 7, abs=1e-15)
    assert int(ds.n_obs.sel(indicator="x", indicator2="z")) == 4
    # y, z on units 0, 1, 3, 4: y = 1, 0, 0, 1 and z = 0, 1, 0, 1
    #   p11 = 3/7 (unit 4), p10 = 1/7 (unit 0), p01 = 2/7 (unit 1), p00 = 1/7 (unit 3)
    #   phi = (3/49 - 2/49) / (sqrt(4 * 3 * 5 * 2)/49) = 1/sqrt(120); R0 = (3/7)/(4/7) = 3/4
    assert at("phi", "y", "z") == pytest.approx(1 / math.sqrt(120), abs=1e-15)
    assert at("redundancy", "y", "z") == pytest.approx(3 / 4, abs=1e-15)
    # headcounts: x 6/10, y 7/10 (all units), z 5/7 (units observing z)
    np.testing.assert_allclose(ds.uncensored_headcount.values, [3 / 5, 7 / 10, 5 / 7], atol=1e-15)
    assert "censored_headcount" not in ds
    assert res.n_dropped == 0 and res.n_units == 5


def test_hand_computed_listwise(hand):
    res = association(hand, hand_spec(), weight="w", missing="listwise")
    ds = res.to_dataset()
    # only units 0, 1, 3, 4 (weight 7); x = 1, 1, 0, 1 and y = 1, 0, 0, 1:
    #   p11 = 4/7, p10 = 2/7, p01 = 0, p00 = 1/7; p1. = 6/7, p0. = 1/7, p.1 = 4/7, p.0 = 3/7
    #   phi = (4/49) / (sqrt(6 * 1 * 4 * 3)/49) = 4/sqrt(72) = sqrt(2)/3; R0 = 1
    pair = dict(indicator="x", indicator2="y")
    assert float(ds.phi.sel(pair)) == pytest.approx(math.sqrt(2) / 3, abs=1e-15)
    assert float(ds.redundancy.sel(pair)) == 1.0
    assert (ds.n_obs.values == 4).all()
    assert res.n_dropped == 1
    assert ds.attrs["n_dropped"] == 1 and ds.attrs["missing"] == "listwise"


def test_xarray_input_gives_the_same(hand):
    xds = xr.Dataset({c: ("hh", hand[c].to_numpy()) for c in hand.columns})
    a = association(hand, hand_spec(), weight="w").to_dataset()
    b = association(xds, hand_spec(), weight="w").to_dataset()
    for name in PAIR_VARS:
        np.testing.assert_array_equal(a[name].values, b[name].values)


def test_undefined_when_a_margin_is_zero():
    df = pd.DataFrame({"x": [1, 0, 1, 0], "y": [0, 0, 0, 0], "z": [1, 1, 1, 1]})
    ds = association(df, Spec.from_dimensions({"a": ["x", "y", "z"]}, k=1)).to_dataset()
    v, r = ds.cramers_v.to_pandas(), ds.redundancy.to_pandas()
    # nobody is deprived in y: V and R0 undefined in its row and column, the diagonal too
    assert v.loc["y"].isna().all() and v["y"].isna().all()
    assert r.loc["y"].isna().all() and r["y"].isna().all()
    # everybody is deprived in z: V undefined (p.0 = 0) but R0 = p11 / p1. defined
    assert np.isnan(v.loc["x", "z"]) and r.loc["x", "z"] == 1.0 and r.loc["z", "z"] == 1.0
    assert v.loc["x", "x"] == 1.0
    np.testing.assert_array_equal(ds.uncensored_headcount.values, [0.5, 0.0, 1.0])


# --------------------------------------------------------------------------------------
# (2) agreement with the loop reference
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_loop_reference(seed, missing, monkeypatch):
    df, spec = random_data(seed)
    monkeypatch.setattr(association_module, "BLOCK", 37)  # many blocks and a ragged last one
    res = association(df, spec, weight="w", missing=missing)
    assert_matches_reference(res, loop_reference(df, spec, weight="w", missing=missing))
    unweighted = association(df, spec, missing=missing)
    assert_matches_reference(unweighted, loop_reference(df, spec, missing=missing))


@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_survey_agrees_with_loop_reference(survey, missing):
    df, spec = survey
    res = association(df, spec, weight="weight", missing=missing)
    assert_matches_reference(res, loop_reference(df, spec, weight="weight", missing=missing))
    assert res.headcount.name == "uncensored_headcount"


# --------------------------------------------------------------------------------------
# (3) censored: exact identification
# --------------------------------------------------------------------------------------
def test_censored_score_equal_to_k_is_poor():
    spec = Spec.from_dimensions({"a": ["a1"], "b": ["b1"], "c": ["c1"]}, k="1/3")
    df = pd.DataFrame(
        {"a1": [1, 0, 0, 1, 0, 1], "b1": [0, 1, 0, 1, 0, 0], "c1": [0, 0, 0, 0, 1, np.nan]}
    )
    res = association(df, spec, censored=True)
    ds = res.to_dataset()
    # unit 5 is dropped (c1 missing); every other unit with one deprivation has score 1/3 = k
    # and is poor, so censoring changes nothing: a1 = 1, 0, 0, 1, 0 -> headcount 2/5
    np.testing.assert_allclose(ds.censored_headcount.values, [2 / 5, 2 / 5, 1 / 5], atol=1e-15)
    assert res.n_dropped == 1 and (ds.n_obs.values == 5).all()
    assert_matches_reference(res, loop_reference(df, spec, censored=True))


def test_censored_exact_where_float_sums_fail():
    # six weights of 1/6 add up to 0.9999999999999999 in floating point; with k = 1 a unit
    # deprived in all six must still be poor
    names = [f"i{j}" for j in range(6)]
    spec = Spec.from_dimensions({n: [n] for n in names}, k=1)
    rows = np.array([[1] * 6, [1] * 6, [1, 1, 1, 1, 1, 0], [0] * 6, [1, 0, 1, 0, 1, 0]])
    df = pd.DataFrame(rows, columns=names)
    assert sum([1 / 6] * 6) < 1  # the trap
    res = association(df, spec, censored=True)
    np.testing.assert_allclose(res.headcount.values, [2 / 5] * 6, atol=1e-15)
    # censored deprivations are identical across indicators: V = R0 = 1 for every pair
    assert (res.to_frame()[["cramers_v", "redundancy"]] == 1.0).all().all()
    assert_matches_reference(res, loop_reference(df, spec, censored=True))


@pytest.mark.parametrize("k", [None, "1/4", 0.5, Fraction(7, 12)])
def test_censored_agrees_with_loop_reference(k, monkeypatch):
    df, spec = random_data(7)
    monkeypatch.setattr(association_module, "BLOCK", 64)
    res = association(df, spec, weight="w", censored=True, k=k)
    assert_matches_reference(res, loop_reference(df, spec, weight="w", censored=True, k=k))
    assert res.k == (spec.k if k is None else as_fraction(k))
    assert res.missing == "listwise"


def test_headcounts_agree_with_measure(survey):
    df, spec = survey
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        ms = mpi.measure(df, spec, weight="weight").to_dataset()
    cens = association(df, spec, weight="weight", censored=True)
    unc = association(df, spec, weight="weight", missing="listwise")
    np.testing.assert_allclose(cens.headcount.values, ms.censored_headcount.values, atol=1e-12)
    np.testing.assert_allclose(unc.headcount.values, ms.uncensored_headcount.values, atol=1e-12)
    assert cens.n_dropped == unc.n_dropped == int(ms.n_dropped) > 0
    assert_matches_reference(cens, loop_reference(df, spec, weight="weight", censored=True))


# --------------------------------------------------------------------------------------
# (4) properties
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("censored", [False, True])
def test_symmetry_diagonal_and_ranges(survey, censored):
    df, spec = survey
    ds = association(df, spec, weight="weight", censored=censored).to_dataset()
    for name in PAIR_VARS:
        np.testing.assert_array_equal(ds[name].values, ds[name].values.T, err_msg=name)
    assert (np.diagonal(ds.cramers_v.values) == 1.0).all()
    assert (np.diagonal(ds.phi.values) == 1.0).all()
    assert (np.diagonal(ds.redundancy.values) == 1.0).all()
    v, r = ds.cramers_v.values, ds.redundancy.values
    assert np.isfinite(v).all() and np.isfinite(r).all()
    assert ((v >= 0) & (v <= 1)).all() and ((r >= 0) & (r <= 1)).all()
    np.testing.assert_array_equal(v, np.abs(ds.phi.values))
    # p11 <= min(p1., p.1) and R0 >= p11
    head = np.diagonal(ds.both_deprived.values)
    assert (r >= ds.both_deprived.values - 1e-15).all()
    np.testing.assert_array_equal(
        head, ds.censored_headcount if censored else ds.uncensored_headcount
    )
    assert ds.n_obs.dtype == np.int64
    assert ds.attrs["deprivations"].startswith("censored" if censored else "uncensored")


def test_metadata(survey):
    df, spec = survey
    ds = association(df, spec, weight="weight").to_dataset()
    assert ds.cramers_v.dims == ("indicator", "indicator2")
    assert list(ds.indicator.values) == spec.names == list(ds.indicator2.values)
    for name in ds.data_vars:
        assert {"long_name", "description", "units"} <= set(ds[name].attrs), name
    assert "Alkire" in ds.attrs["references"] and "Suppa" in ds.attrs["references"]
    assert "Stata Journal 23(3)" in ds.attrs["references"]
    assert ds.attrs["title"].startswith("Association between deprivation indicators")
    assert ds.attrs["sampling_weight"] == "weight"
    assert "mpi.association(" in ds.attrs["history"]


# --------------------------------------------------------------------------------------
# (5) bad input
# --------------------------------------------------------------------------------------
def test_missing_variable(hand):
    spec = Spec.from_dimensions({"a": ["x", "nope"]}, k="1/2")
    with pytest.raises(DataError, match=r"indicator variable 'nope' is not in the data"):
        association(hand, spec)
    with pytest.raises(DataError, match=r"weight variable 'ww' is not in the data"):
        association(hand, hand_spec(), weight="ww")


def test_negative_weight(hand):
    bad = hand.assign(w=[1.0, -2.0, 1.0, 1.0, 1.0])
    with pytest.raises(DataError, match=r"weight variable 'w' must be non-negative.*found -2 "):
        association(bad, hand_spec(), weight="w")
    inf = hand.assign(w=[1.0, 1.0, np.inf, 1.0, 1.0])
    with pytest.raises(DataError, match=r"weight variable 'w' .* found inf \(row 2\)"):
        association(inf, hand_spec(), weight="w")


def test_bad_missing_value(hand):
    with pytest.raises(
        ValidationError,
        match=r"missing must be one of pairwise, listwise; "
        r"got 'drop'",
    ):
        association(hand, hand_spec(), missing="drop")


def test_bad_k_and_spec(hand):
    with pytest.raises(ValidationError, match=r"k is only used with censored=True.*k=0.5"):
        association(hand, hand_spec(), k=0.5)
    with pytest.raises(SpecError, match=r"k must be in \(0, 1\]; got 2"):
        association(hand, hand_spec(), censored=True, k=2)
    with pytest.raises(ValidationError, match=r"spec must be an mpi.Spec.*got dict"):
        association(hand, {"x": 1})
    with pytest.raises(ValidationError, match=r"censored must be True or False; got 'yes'"):
        association(hand, hand_spec(), censored="yes")


def test_bad_flag_values_and_empty_data(hand):
    with pytest.raises(DataError, match=r"variable 'x' of indicator 'x' must hold 0/1.*value 2"):
        association(hand.assign(x=[0, 2, 1, 0, 1]), hand_spec())
    with pytest.raises(DataError, match=r"data has no units"):
        association(hand.iloc[:0], hand_spec())
    with pytest.raises(DataError, match=r"data must be a pandas.DataFrame or an xarray.Dataset"):
        association(hand.to_numpy(), hand_spec())


# --------------------------------------------------------------------------------------
# (6) inputs are not mutated
# --------------------------------------------------------------------------------------
def test_inputs_not_mutated():
    df, spec = random_data(3)
    before_df, before_spec = df.copy(deep=True), spec.to_dict()
    xds = xr.Dataset({c: ("unit", df[c].to_numpy()) for c in df.columns if c != "fuel"})
    xds["fuel"] = ("unit", df["fuel"].to_numpy())
    before_x = xds.copy(deep=True)
    for kw in ({}, {"censored": True}, {"missing": "listwise"}):
        association(df, spec, weight="w", **kw)
        association(xds, spec, weight="w", **kw)
    pd.testing.assert_frame_equal(df, before_df)
    xr.testing.assert_identical(xds, before_x)
    assert spec.to_dict() == before_spec


def test_to_dataset_is_a_copy(hand):
    res = association(hand, hand_spec())
    ds = res.to_dataset()
    ds["cramers_v"][:] = -1.0
    ds.attrs["title"] = "changed"
    again = res.to_dataset()
    assert (again.cramers_v.values >= 0).all() and again.attrs["title"] != "changed"


# --------------------------------------------------------------------------------------
# (7) presentation
# --------------------------------------------------------------------------------------
def test_to_frame_summary_repr(survey):
    df, spec = survey
    res = association(df, spec, weight="weight")
    ds = res.to_dataset()
    frame = res.to_frame()
    assert list(frame.columns) == [
        "indicator",
        "indicator2",
        "cramers_v",
        "phi",
        "redundancy",
        "both_deprived",
        "n_obs",
    ]
    assert len(frame) == 45  # 10 * 9 / 2 pairs, j < l in spec order
    assert frame.iloc[0][["indicator", "indicator2"]].tolist() == ["nutrition", "child_mortality"]
    assert frame.n_obs.dtype == np.int64
    for row in frame.itertuples():
        pair = dict(indicator=row.indicator, indicator2=row.indicator2)
        assert spec.names.index(row.indicator) < spec.names.index(row.indicator2)
        assert row.cramers_v == float(ds.cramers_v.sel(pair))
        assert row.redundancy == float(ds.redundancy.sel(pair))
        assert row.n_obs == int(ds.n_obs.sel(pair))

    best = frame.loc[frame.cramers_v.idxmax()]
    best_r = frame.loc[frame.redundancy.idxmax()]
    text = res.summary()
    assert str(res) == text
    assert "Cramér's V" in text and "global_mpi_2018" in text and "pairwise" in text
    assert f"{best.cramers_v:.4f}" in text and "Units dropped" in text
    # the pair with the largest V comes first in the sorted pair table
    first_pair = text.split("Pairs by Cramér's V")[1].splitlines()[4]
    assert first_pair.split()[:2] == [best.indicator, best.indicator2]
    for name in spec.names:
        assert name in text

    r = repr(res)
    assert r.startswith("<mpi.AssociationResult spec='global_mpi_2018', uncensored")
    assert "10 indicators" in r and "n=5,000" in r
    assert f"max V={best.cramers_v:.4f} ({best.indicator}/{best.indicator2})" in r
    assert f"max R0={best_r.redundancy:.4f} ({best_r.indicator}/{best_r.indicator2})" in r

    page = res._repr_html_()
    assert page.count("<table") == 3 and "max" not in page and best.indicator in page

    cens = association(df, spec, weight="weight", censored=True)
    assert "censored k=1/3" in repr(cens) and f"n={5000 - cens.n_dropped:,}" in repr(cens)
    assert "Censored headcount ratios" in cens.summary()


def test_single_indicator_repr():
    spec = Spec.from_dimensions({"a": ["x"]}, k=1)
    res = association(pd.DataFrame({"x": [0, 1, 1]}), spec)
    assert res.to_frame().empty
    assert "max V=nan" in repr(res)
    assert float(res["cramers_v"].squeeze()) == 1.0
