"""``mpi.identification.identify.identify``: unit-level identification equals mpi.measure."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from panel_data import random_panel

import mpi
from mpi.errors import DataError, MissingDataWarning, ValidationError
from mpi.identification.identify import IdentificationResult, identify

TOL = 1e-12


def quiet(func, *args, **kwargs):
    """Call without the MissingDataWarning of dropped units (checked separately)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        return func(*args, **kwargs)


def aggregate(res: IdentificationResult, data: pd.DataFrame, spec: mpi.Spec, w) -> dict:
    """Plain-numpy AF measures from the unit output: H, A, M0, vulnerable, severe and the
    uncensored and censored headcount ratios (over the units observing the indicator)."""
    ds = res.to_dataset()
    keep = ~ds["missing"].values
    s = np.where(keep, w, 0.0)
    sumw = s.sum()
    score = np.nan_to_num(ds["score"].values)
    poor = ds["poor"].values
    poor = poor if poor.ndim == 2 else poor[:, None]
    out: dict = {}
    out["H"] = (s[:, None] * poor).sum(0) / sumw
    cp = (s[:, None] * poor * score[:, None]).sum(0)
    out["M0"] = cp / sumw
    out["A"] = cp / (s[:, None] * poor).sum(0)
    for band in ("vulnerable", "severe"):
        v = ds[band].values
        out[band] = (s[:, None] * (v if v.ndim == 2 else v[:, None])).sum(0) / sumw
    observed = np.column_stack([data[ind.variable].notna().to_numpy() for ind in spec])
    obs = (s[:, None] * observed).sum(0)
    dep = ds["deprived"].values
    out["uncensored_headcount"] = (s[:, None] * dep).sum(0) / obs
    cens = ds["censored"].values
    cens = cens if cens.ndim == 3 else cens[..., None]
    out["censored_headcount"] = (s[:, None, None] * cens).sum(0) / obs[:, None]
    # censored profile = deprived and poor
    np.testing.assert_array_equal(cens, dep[..., None] & poor[:, None, :])
    return out


def check_against_measure(data, spec, *, weight=None, k=None, missing="drop"):
    res = quiet(identify, data, spec, weight=weight, k=k, missing=missing)
    ref = quiet(mpi.measure, data, spec, weight=weight, k=k, missing=missing).to_dataset()
    w = data[weight].to_numpy(float) if weight else np.ones(len(data))
    agg = aggregate(res, data, spec, w)
    for name in ("H", "A", "M0", "vulnerable", "severe"):
        # measure's severe has no k dim when no cutoff lies above spec.severe
        want = np.broadcast_to(np.atleast_1d(ref[name].values), agg[name].shape)
        np.testing.assert_allclose(agg[name], want, rtol=0, atol=TOL)
    np.testing.assert_allclose(
        agg["uncensored_headcount"], ref["uncensored_headcount"].values, rtol=0, atol=TOL
    )
    cref = ref["censored_headcount"].transpose("indicator", ...).values
    np.testing.assert_allclose(
        agg["censored_headcount"], cref.reshape(len(spec), -1), rtol=0, atol=TOL
    )
    assert int(res.to_dataset()["missing"].sum()) == int(ref["n_dropped"])
    return res, ref


@pytest.fixture(scope="module")
def dhs() -> pd.DataFrame:
    return mpi.datasets.load("dhs_rounds")


@pytest.fixture(scope="module")
def gmpi() -> mpi.Spec:
    return mpi.presets.global_mpi_2018()


@pytest.mark.parametrize("missing", ["drop", "reweight"])
@pytest.mark.parametrize("k", [None, [0.2, Fraction(1, 3), 0.5]])
def test_dhs_rounds_matches_measure(dhs, gmpi, missing, k):
    res, ref = check_against_measure(dhs, gmpi, weight="weight", k=k, missing=missing)
    ds = res.to_dataset()
    assert int(ds["missing"].sum()) > 0  # the data have missing values: the rule matters
    if missing == "reweight":  # some reweighted units have a larger denominator
        den = ds["score_denominator"].values
        assert (den > gmpi.integer_weights[1]).any()


@pytest.mark.parametrize("missing", ["drop", "reweight"])
def test_dhs_rounds_by_group_matches_measure(dhs, gmpi, missing):
    res = quiet(identify, dhs, gmpi, weight="weight", missing=missing)
    ref = quiet(mpi.measure, dhs, gmpi, weight="weight", by="region", missing=missing)
    frame = dhs[["region", "weight"]].join(res.to_frame())
    kept = frame[~frame["missing"]]
    for region, part in kept.groupby("region"):
        w = part["weight"].to_numpy()
        h = (w * part["poor"]).sum() / w.sum()
        m0 = (w * part["poor"] * part["score"]).sum() / w.sum()
        r = ref.to_dataset().sel(region=region)
        assert abs(h - float(r["H"])) <= TOL
        assert abs(m0 - float(r["M0"])) <= TOL


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("missing", ["drop", "reweight"])
def test_random_data_matches_measure(seed, missing):
    rng = np.random.default_rng(seed)
    n, d = 3000, 7
    raw = rng.integers(1, 5, size=d)
    inds = [
        mpi.Indicator(f"x{j}", weight=Fraction(int(raw[j]), int(raw.sum())), dimension=f"d{j % 3}")
        for j in range(d)
    ]
    spec = mpi.Spec(inds, k=Fraction(1, 3), vulnerable=Fraction(1, 5), severe=Fraction(1, 2))
    g = (rng.random((n, d)) < 0.3).astype(float)
    g[rng.random((n, d)) < 0.03] = np.nan
    df = pd.DataFrame(g, columns=[f"x{j}" for j in range(d)])
    df["w"] = rng.uniform(0.2, 4.0, n)
    check_against_measure(df, spec, weight="w", k=[0.2, 1 / 3, 0.6], missing=missing)
    check_against_measure(df, spec, missing=missing)


def test_tie_at_k_is_poor():
    # weights 1/6 (x3) and 1/18 (x9): 1/6 + 1/6 = 1/3 and 1/6 + 3/18 = 1/3 exactly
    inds = [mpi.Indicator(f"a{j}", weight=Fraction(1, 6), dimension="a") for j in range(3)]
    inds += [mpi.Indicator(f"b{j}", weight=Fraction(1, 18), dimension="b") for j in range(9)]
    spec = mpi.Spec(inds, k=Fraction(1, 3))
    rows = np.zeros((4, 12))
    rows[0, [0, 1]] = 1  # 1/3
    rows[1, [0, 3, 4, 5]] = 1  # 1/6 + 3/18 = 1/3
    rows[2, [0, 3, 4]] = 1  # 1/6 + 2/18 < 1/3
    rows[3, [3, 4, 5, 6, 7, 8]] = 1  # 6/18 = 1/3
    df = pd.DataFrame(rows, columns=spec.names)
    res = identify(df, spec)
    frame = res.to_frame()
    assert frame["poor"].tolist() == [True, True, False, True]
    num, den = frame["score_numerator"], frame["score_denominator"]
    assert [Fraction(int(a), int(b)) for a, b in zip(num, den, strict=True)] == [
        Fraction(1, 3),
        Fraction(1, 3),
        Fraction(5, 18),
        Fraction(1, 3),
    ]
    assert float(quiet(mpi.measure, df, spec)["H"]) == 0.75


def test_panel_per_wave_equals_measure_per_wave():
    rng = np.random.default_rng(5)
    panel = random_panel(rng, n=300, waves=3, d=4, gap_rate=0.1)
    spec = mpi.Spec(
        [mpi.Indicator(f"i{j}", weight=Fraction(1, 4), dimension=f"d{j % 2}") for j in range(4)],
        k=Fraction(1, 2),
    )
    for missing in ("drop", "reweight"):
        res = quiet(identify, panel, spec, weight="w", missing=missing)
        ds = res.to_dataset()
        assert ds["score"].dims == ("unit", "time")
        assert ds["deprived"].dims == ("unit", "time", "indicator")
        for t in panel["time"].values:
            wave = panel.sel(time=t)
            ref = quiet(mpi.measure, wave, spec, weight="w", missing=missing)
            one = quiet(identify, wave, spec, weight="w", missing=missing).to_dataset()
            sub = ds.sel(time=t, drop=True)
            xr.testing.assert_equal(sub["poor"], one["poor"])
            xr.testing.assert_equal(sub["score_numerator"], one["score_numerator"])
            w = np.where(sub["missing"].values, 0.0, panel["w"].values)
            h = (w * sub["poor"].values).sum() / w.sum()
            assert abs(h - float(ref["H"])) <= TOL
    frame = quiet(identify, panel, spec, weight="w").to_frame()
    assert frame.index.names == ["unit", "time"]
    assert len(frame) == 300 * 3


def test_aligned_with_input_index_and_unit_column(dhs, gmpi):
    sample = dhs.iloc[::7].copy()
    sample.index = sample.index * 3 + 11  # a non-default index
    res = quiet(identify, sample, gmpi, weight="weight")
    frame = res.to_frame()
    assert frame.index.equals(sample.index)
    joined = sample.join(frame)
    assert joined["poor"].dtype == bool
    cols = [c for c in frame.columns if c.startswith("deprived_")]
    assert cols == [f"deprived_{name}" for name in gmpi.names]
    by_id = quiet(identify, sample, gmpi, weight="weight", unit="hh_id")
    f2 = by_id.to_frame()
    assert f2.index.name == "hh_id"
    np.testing.assert_array_equal(f2.index.to_numpy(), sample["hh_id"].to_numpy())
    np.testing.assert_array_equal(f2["poor"].to_numpy(), frame["poor"].to_numpy())
    assert set(frame.columns) >= {"score", "poor", "vulnerable", "severe", "missing"}


def test_compact_dtypes_and_dropped_units(dhs, gmpi):
    with pytest.warns(MissingDataWarning, match="units dropped for missing values"):
        res = identify(dhs, gmpi, weight="weight")
    ds = res.to_dataset()
    assert ds["deprived"].dtype == bool and ds["censored"].dtype == bool
    assert ds["poor"].dtype == bool
    assert ds["score_numerator"].dtype == np.int64
    assert ds["n_missing_indicators"].dtype == np.int16
    dropped = ds["missing"].values
    assert np.isnan(ds["score"].values[dropped]).all()
    assert not ds["poor"].values[dropped].any()
    assert (ds["n_missing_indicators"].values[dropped] > 0).all()
    expected = dhs[gmpi.variables].isna().sum(axis=1).to_numpy()
    np.testing.assert_array_equal(ds["n_missing_indicators"].values, expected)
    assert ds.attrs["n_dropped"] == int(dropped.sum())
    with pytest.raises(DataError, match="missing='raise'"):
        identify(dhs, gmpi, missing="raise")


def test_inputs_not_mutated(dhs, gmpi):
    before = dhs.copy(deep=True)
    quiet(identify, dhs, gmpi, weight="weight", missing="reweight", unit="hh_id")
    pd.testing.assert_frame_equal(dhs, before)
    rng = np.random.default_rng(1)
    panel = random_panel(rng, n=50, waves=2, gap_rate=0.1)
    pbefore = panel.copy(deep=True)
    spec = mpi.Spec([mpi.Indicator(f"i{j}", weight=Fraction(1, 4)) for j in range(4)], k=0.5)
    quiet(identify, panel, spec, weight="w")
    xr.testing.assert_identical(panel, pbefore)


def test_summary_repr_and_to_frame_k(dhs, gmpi):
    res = quiet(identify, dhs, gmpi, weight="weight", k=[Fraction(1, 3), 0.5])
    ref = quiet(mpi.measure, dhs, gmpi, weight="weight", k=[Fraction(1, 3), 0.5])
    np.testing.assert_allclose(res.shares()["H"].values, ref["H"].values, rtol=0, atol=TOL)
    text = str(res.summary())
    assert "Headline measures" in text and "1/3" in text
    assert "主要指标" in str(res.summary(lang="zh"))
    assert repr(res).startswith("<IdentificationResult (unit: 6000")
    long = res.to_frame()
    assert long.index.names == [None, "k"] and len(long) == 2 * len(dhs)
    one = res.to_frame(k="1/3")
    assert len(one) == len(dhs)
    np.testing.assert_array_equal(one["poor"].to_numpy(), res["poor"].sel(k=1 / 3).to_numpy())
    with pytest.raises(ValidationError, match="not a cutoff"):
        res.to_frame(k=0.4)


def test_bad_input(dhs, gmpi):
    with pytest.raises(ValidationError, match="unit='household'.*not a column"):
        identify(dhs, gmpi, unit="household")
    dup = dhs.iloc[[0, 1, 1]]
    with pytest.raises(ValidationError, match="duplicate ids"):
        quiet(identify, dup, gmpi, unit="hh_id")
    with pytest.raises(ValidationError, match="duplicate ids"):
        quiet(identify, dup, gmpi)
    with pytest.raises(ValidationError, match="missing must be one of"):
        identify(dhs, gmpi, missing="impute")
    with pytest.raises(ValidationError, match="spec must be an mpi.Spec"):
        identify(dhs, {"a": 1})
    with pytest.raises(DataError, match="not in the data"):
        identify(dhs, gmpi, weight="wgt")
    bad = dhs.assign(weight=-dhs["weight"])
    with pytest.raises(DataError, match="non-negative"):
        quiet(identify, bad, gmpi, weight="weight")
    flags = pd.DataFrame({"a": [0, 2], "b": [1, 0]})
    spec = mpi.Spec([mpi.Indicator("a", weight=0.5), mpi.Indicator("b", weight=0.5)], k=0.5)
    with pytest.raises(DataError, match="found the value 2"):
        identify(flags, spec)


# -- the OPHI reweighting kernel shared with mpi.measure (mpi.kernels.reweight) ----------
def _one_unit(missing: list[int], deprived: list[int], d: int) -> tuple[np.ndarray, np.ndarray]:
    miss = np.zeros((d, 1), np.uint8)
    dep = np.zeros((d, 1), np.uint8)
    miss[missing, 0] = 1
    dep[deprived, 0] = 1
    return miss, dep


def test_reweighted_score_hand_example():
    from mpi.kernels.reweight import EMPTY, OK, reweighted_score

    # global-MPI integer weights over L = 18: education x0 x1, health x2 x3, living x4 .. x9
    wint = np.array([3, 3, 3, 3, 1, 1, 1, 1, 1, 1], np.int64)
    dim_of = np.array([0, 0, 1, 1, 2, 2, 2, 2, 2, 2], np.int64)
    dim_w = np.array([6, 6, 6], np.int64)
    a, b = np.zeros(3, np.int64), np.zeros(3, np.int64)
    # x1 and x4 missing; deprived in x0, x2, x5, x6:
    # education 6*3/(3*18) = 1/3, health 3/18 = 1/6, living 6*2/(5*18) = 2/15 -> 19/30
    miss, dep = _one_unit([1, 4], [0, 2, 5, 6], 10)
    num, den, status = reweighted_score(wint, dim_of, dim_w, 18, miss, dep, 0, a, b)
    assert status == OK
    assert Fraction(int(num), int(den)) == Fraction(19, 30)
    assert int(den) == 18 * 15  # L * lcm(3, 5)
    assert a.tolist() == [3, 3, 2] and b.tolist() == [3, 6, 5]
    # both health indicators missing: a whole dimension unobserved, the unit is dropped
    miss, dep = _one_unit([2, 3], [0], 10)
    assert reweighted_score(wint, dim_of, dim_w, 18, miss, dep, 0, a, b)[2] == EMPTY


def _big_denominator_spec() -> mpi.Spec:
    # observed dimension weights 1009, 1013, 997 (primes): lcm ~ 1.02e9 > 1e6
    big = [1009, 1013, 997]
    total = sum(big) + 3
    inds = []
    for q, w in enumerate(big):
        inds.append(mpi.Indicator(f"a{q}", weight=Fraction(w, total), dimension=f"d{q}"))
        inds.append(mpi.Indicator(f"b{q}", weight=Fraction(1, total), dimension=f"d{q}"))
    return mpi.Spec(inds, k=Fraction(1, 3))


def test_reweighted_denominator_too_large_matches_measure():
    from mpi.kernels.reweight import TOO_BIG, reweighted_score

    spec = _big_denominator_spec()
    wint, denom = spec.integer_weights
    dim_of = spec.dimension_index
    dim_w = np.bincount(dim_of, weights=wint).astype(np.int64)
    a, b = np.zeros(3, np.int64), np.zeros(3, np.int64)
    miss, dep = _one_unit([1, 3, 5], [0], 6)
    num, den, status = reweighted_score(wint, dim_of, dim_w, denom, miss, dep, 0, a, b)
    assert status == TOO_BIG and int(den) == 1009 * 1013 * 997
    df = pd.DataFrame({name: [1.0, 0.0] for name in spec.names})
    df.loc[0, ["b0", "b1", "b2"]] = np.nan  # unit 0 needs the huge denominator
    match = rf"common denominator \({1009 * 1013 * 997}\) is too large"
    with pytest.raises(DataError, match=match):
        identify(df, spec, missing="reweight")
    with pytest.raises(DataError, match=match):
        mpi.measure(df, spec, missing="reweight")
    # one missing value per unit only in one dimension: an exact reweighted score
    df.loc[0, ["b1", "b2"]] = 0.0
    res = quiet(identify, df, spec, missing="reweight").to_frame()
    num0, den0 = int(res["score_numerator"].iloc[0]), int(res["score_denominator"].iloc[0])
    # deprived in a0, a1, a2: d0 (b0 missing) carries its whole weight 1010 / 3022 through
    # a0, d1 and d2 (observed) add 1013 / 3022 and 997 / 3022
    assert Fraction(num0, den0) == Fraction(1010 + 1013 + 997, int(sum(wint)))
    check_against_measure(df, spec, missing="reweight")
