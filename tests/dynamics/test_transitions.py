"""Transition matrices (methods.md §3.1): fixtures, reference agreement, identities."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from panel_data import random_panel, random_spec

import mpi
from mpi.dynamics.states import panel_states
from mpi.dynamics.transitions import transitions
from mpi.errors import DataError, ValidationError
from mpi.kernels import transitions as ktr

TOL = 1e-12


# -- hand-built fixture ------------------------------------------------------------------
def fixture_panel() -> tuple[xr.Dataset, mpi.Spec]:
    spec = mpi.Spec([mpi.Indicator("a", weight=Fraction(1))], k=Fraction(1), name="one")
    nan = np.nan
    a = np.array([[1, 1, 0, 0], [0, 1, 1, nan], [0, 0, 0, 1], [1, 0, 1, 1]], float)
    panel = xr.Dataset(
        {
            "a": (("unit", "time"), a),
            "w": ("unit", [1.0, 2.0, 1.0, 3.0]),
            "g": ("unit", ["x", "x", "y", "y"]),
        },
        coords={"unit": ["u1", "u2", "u3", "u4"], "time": [2010, 2011, 2013, 2016]},
    )
    return panel, spec


def test_fixture_balanced_exact():
    panel, spec = fixture_panel()
    res = transitions(panel, spec, weight="w")
    ds = res.to_dataset()
    expected = np.array(
        [[[1, 0], [3 / 4, 1 / 4]], [[1 / 4, 3 / 4], [1, 0]], [[1 / 2, 1 / 2], [0, 1]]]
    )
    np.testing.assert_allclose(ds["probability"].values, expected, atol=TOL, rtol=0)
    np.testing.assert_array_equal(ds["time"].values, [2011, 2013, 2016])
    np.testing.assert_array_equal(ds["from_time"].values, [2010, 2011, 2013])
    np.testing.assert_allclose(ds["interval"].values, [1, 2, 3])
    np.testing.assert_allclose(ds["entry_rate"].values, [0, 3 / 4, 1 / 2], atol=TOL)
    np.testing.assert_allclose(ds["exit_rate"].values, [3 / 4, 1, 0], atol=TOL)
    np.testing.assert_allclose(ds["persistence"].values, [1 / 4, 0, 1], atol=TOL)
    np.testing.assert_allclose(
        ds["entry_rate_annual"].values, [0, 1 - (1 / 4) ** 0.5, 1 - 0.5 ** (1 / 3)], atol=TOL
    )
    np.testing.assert_array_equal(ds["n_units"].values, [3, 3, 3])
    np.testing.assert_array_equal(ds["count"].sum(("from_state", "to_state")).values, [3, 3, 3])
    assert ds.attrs["n_used"] == 3 and ds.attrs["n_dropped"] == 1
    assert ds.attrs["n_unbalanced"] == 1 and ds.attrs["balance"] == "balanced"
    # pooled flows NN=3 NP=4 PN=4 PP=4: e = 4/7, x = 1/2
    e, x = 4 / 7, 1 / 2
    assert abs(float(ds["pooled_entry_rate"]) - e) < TOL
    assert abs(float(ds["pooled_exit_rate"]) - x) < TOL
    assert abs(float(ds["stationary_poverty_rate"]) - 8 / 15) < TOL
    np.testing.assert_allclose(ds["stationary"].values, [7 / 15, 8 / 15], atol=TOL)
    assert abs(float(ds["expected_poverty_spell"]) - 2) < TOL
    assert abs(float(ds["expected_nonpoor_spell"]) - 7 / 4) < TOL
    # uneven spacing: annualised with the from-state-mass weighted interval
    assert abs(float(ds["pooled_entry_rate_annual"]) - (1 - (3 / 7) ** (7 / 15))) < TOL
    assert abs(float(ds["pooled_exit_rate_annual"]) - (1 - 0.5 ** (8 / 15))) < TOL
    x_ann = 1 - 0.5 ** (8 / 15)
    assert abs(float(ds["expected_poverty_spell_years"]) - 1 / x_ann) < TOL
    # Delta H = entries - exits (balanced)
    np.testing.assert_allclose(ds["poverty_rate_start"].values, [4 / 5, 1 / 5, 3 / 5], atol=TOL)
    np.testing.assert_allclose(
        ds["entries"].values - ds["exits"].values, [-3 / 5, 2 / 5, 1 / 5], atol=TOL
    )
    for name in ("probability", "entry_rate", "flow", "stationary_poverty_rate"):
        assert ds[name].attrs["units"] == "1" and ds[name].attrs["long_name"]
    assert ds["interval"].attrs["units"] == "years"


def test_fixture_pairs_and_pooled():
    panel, spec = fixture_panel()
    ds = transitions(panel, spec, weight="w", balance="pairs").to_dataset()
    expected = np.array(
        [
            [[1 / 3, 2 / 3], [3 / 4, 1 / 4]],
            [[1 / 4, 3 / 4], [1 / 3, 2 / 3]],
            [[1 / 2, 1 / 2], [0, 1]],
        ]
    )
    np.testing.assert_allclose(ds["probability"].values, expected, atol=TOL, rtol=0)
    np.testing.assert_array_equal(ds["n_units"].values, [4, 4, 3])
    assert ds.attrs["n_used"] == 4 and ds.attrs["n_dropped"] == 0
    pooled = transitions(panel, spec, weight="w", pooled=True)
    pds = pooled.to_dataset()
    assert "time" not in pds.dims
    np.testing.assert_allclose(
        pds["probability"].values, [[3 / 7, 4 / 7], [1 / 2, 1 / 2]], atol=TOL
    )
    np.testing.assert_allclose(
        pooled.steps(2).values, np.linalg.matrix_power(pds["probability"].values, 2), atol=TOL
    )
    np.testing.assert_allclose(pooled.steps(0).values, np.eye(2))


def test_fixture_groups_and_summary():
    panel, spec = fixture_panel()
    res = transitions(panel, spec, weight="w", by="g", balance="pairs")
    g = res.by_group()
    assert g["flow"].dims[0] == "g"
    np.testing.assert_allclose(g["flow"].sum("g").values, res["flow"].values, atol=TOL)
    # group x: u1 (w1), u2 (w2); pair 1: u1 P->P, u2 N->P
    np.testing.assert_allclose(
        g["probability"].sel(g="x").isel(time=0).values, [[0, 1], [0, 1]], atol=TOL
    )
    text = res.summary()
    assert "Entry and exit rates by wave" in text and "Transition probabilities" in text
    assert "TransitionResult" in repr(res)
    tab = res.transition_table()
    assert list(tab.columns) == ["nonpoor", "poor"] and len(tab) == 6
    frame = res.to_frame()
    assert set(frame["measure"]) >= {"entry_rate", "exit_rate", "stationary_poverty_rate"}
    with pytest.raises(ValidationError, match="by="):
        transitions(panel, spec, weight="w").by_group()


def test_bands_fixture():
    """3 indicators, weights 1/3: score 0 nonpoor, 1/3 vulnerable (k=1/2), 2/3 poor, 1 severe
    (severe = 1)."""
    inds = [mpi.Indicator(f"i{j}", weight=Fraction(1, 3)) for j in range(3)]
    spec = mpi.Spec(inds, k=Fraction(1, 2), vulnerable=Fraction(1, 3), severe=Fraction(1), name="b")
    # unit scores over 3 waves (number deprived)
    n_dep = np.array([[0, 1, 2], [1, 3, 0], [2, 2, 3], [3, 0, 1]])
    data = {f"i{j}": (("unit", "time"), (n_dep > j).astype(float)) for j in range(3)}
    panel = xr.Dataset(data, coords={"unit": [1, 2, 3, 4], "time": [2000, 2002, 2004]})
    res = transitions(panel, spec, states="bands")
    ds = res.to_dataset()
    # states: u1 N V P ; u2 V S N ; u3 P P S ; u4 S N V
    flow = ds["flow"].values
    assert flow[0, 0, 1] == 1 and flow[0, 1, 3] == 1 and flow[0, 2, 2] == 1 and flow[0, 3, 0] == 1
    assert flow[1, 1, 2] == 1 and flow[1, 3, 0] == 1 and flow[1, 2, 3] == 1 and flow[1, 0, 1] == 1
    np.testing.assert_allclose(ds["entry_rate"].values, [1 / 2, 1 / 2])
    np.testing.assert_allclose(ds["exit_rate"].values, [1 / 2, 1 / 2])
    np.testing.assert_allclose(ds["probability"].sum("to_state").values, 1.0)
    # stationary distribution is a left eigenvector of the pooled matrix
    pi = ds["stationary"].values
    P = ds["pooled_probability"].values
    np.testing.assert_allclose(pi @ P, pi, atol=TOL)
    assert abs(pi.sum() - 1) < TOL
    assert abs(float(ds["stationary_poverty_rate"]) - pi[2:].sum()) < TOL
    assert float(ds["expected_poverty_spell_years"]) == pytest.approx(
        2 * float(ds["expected_poverty_spell"]), abs=TOL
    )


# -- independent reference -----------------------------------------------------------------
def ref_states(panel: xr.Dataset, spec: mpi.Spec, bands: bool) -> np.ndarray:
    """Status per unit-wave from the raw flags with Fractions (-1 unobserved)."""
    n, T = panel.sizes["unit"], panel.sizes["time"]
    out = np.full((n, T), -1, np.int64)
    for i in range(n):
        for t in range(T):
            vals = [float(panel[ind.variable].values[i, t]) for ind in spec]
            if any(np.isnan(v) for v in vals):
                continue
            c = sum(
                (Fraction(ind.weight) * int(v) for ind, v in zip(spec, vals, strict=True)),
                Fraction(0),
            )
            if c >= spec.k:
                s = 3 if (bands and c >= spec.severe) else (2 if bands else 1)
            else:
                s = 1 if (bands and c >= spec.vulnerable) else 0
            out[i, t] = s
    return out


def ref_flows(st_: np.ndarray, w: np.ndarray, balance: str, S: int):
    n, T = st_.shape
    flow = np.zeros((T - 1, S, S))
    count = np.zeros((T - 1, S, S), np.int64)
    for i in range(n):
        if np.isnan(w[i]):
            continue
        if balance == "balanced" and (st_[i] < 0).any():
            continue
        for t in range(1, T):
            a, b = st_[i, t - 1], st_[i, t]
            if a >= 0 and b >= 0:
                flow[t - 1, a, b] += w[i]
                count[t - 1, a, b] += 1
    return flow, count


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("balance", ["balanced", "pairs"])
@pytest.mark.parametrize("states", ["poverty", "bands"])
def test_reference_agreement(seed, balance, states):
    rng = np.random.default_rng(seed)
    years = [2010, 2011.5, 2013, 2016, 2017] if seed % 2 else 5
    panel = random_panel(rng, n=150, waves=years, d=4, gap_rate=0.08)
    w = panel["w"].values.copy()
    w[rng.random(len(w)) < 0.05] = np.nan
    panel["w"] = ("unit", w)
    spec = random_spec(rng, 4)
    res = transitions(panel, spec, weight="w", by="region", balance=balance, states=states)
    ds = res.to_dataset()
    S = 4 if states == "bands" else 2
    st_ = ref_states(panel, spec, bands=states == "bands")
    flow, count = ref_flows(st_, w, balance, S)
    np.testing.assert_allclose(ds["flow"].values, flow, atol=TOL, rtol=0)
    np.testing.assert_array_equal(ds["count"].values, count)
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = flow / flow.sum(axis=2, keepdims=True)
    np.testing.assert_allclose(ds["probability"].values, prob, atol=TOL, rtol=0)
    poor = slice(2, 4) if S == 4 else slice(1, 2)
    nonp = slice(0, 2) if S == 4 else slice(0, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = flow[:, nonp, poor].sum((1, 2)) / flow[:, nonp, :].sum((1, 2))
        x = flow[:, poor, nonp].sum((1, 2)) / flow[:, poor, :].sum((1, 2))
    np.testing.assert_allclose(ds["entry_rate"].values, e, atol=TOL, rtol=0)
    np.testing.assert_allclose(ds["exit_rate"].values, x, atol=TOL, rtol=0)
    n_nan = int(np.isnan(w).sum())
    assert ds.attrs["n_no_weight"] == n_nan
    used = [i for i in range(len(w)) if not np.isnan(w[i]) and count_used(st_[i], balance)]
    assert ds.attrs["n_used"] == len(used)
    # groups: per region reference
    g = res.by_group()
    for r in g["region"].values:
        mask = panel["region"].values == r
        fr, _ = ref_flows(st_[mask], w[mask], balance, S)
        np.testing.assert_allclose(g["flow"].sel(region=r).values, fr, atol=TOL, rtol=0)


def count_used(row, balance):
    if balance == "balanced":
        return (row >= 0).all()
    return ((row[1:] >= 0) & (row[:-1] >= 0)).any()


# -- properties ------------------------------------------------------------------------------
panels = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**32 - 1),
        "n": st.integers(5, 80),
        "waves": st.integers(2, 6),
        "gap": st.sampled_from([0.0, 0.1, 0.3]),
    }
)


@settings(max_examples=30, deadline=None)
@given(
    p=panels,
    states=st.sampled_from(["poverty", "bands"]),
    balance=st.sampled_from(["balanced", "pairs"]),
)
def test_properties(p, states, balance):
    rng = np.random.default_rng(p["seed"])
    panel = random_panel(rng, n=p["n"], waves=p["waves"], d=3, gap_rate=p["gap"])
    spec = random_spec(rng, 3)
    try:
        res = transitions(panel, spec, weight="w", by="region", states=states, balance=balance)
    except DataError:
        return  # no usable unit
    ds = res.to_dataset()
    prob = ds["probability"]
    mass = ds["flow"].sum("to_state")
    rows = prob.sum("to_state", skipna=False)
    # rows sum to 1 where there is mass, NaN otherwise
    assert np.allclose(rows.values[mass.values > 0], 1.0, atol=1e-12)
    assert np.isnan(rows.values[mass.values == 0]).all()
    # flows out of `from` = weighted units in `from` at t-1 among the pair's units
    ps = panel_states(panel, spec, weight="w")
    code = ps.state if states == "bands" else (ps.state >= 2).astype(np.int8)
    code = np.where(ps.state < 0, -1, code)
    w = ps.weight
    T = code.shape[1]
    full = (code >= 0).all(axis=1)
    for t in range(1, T):
        both = (code[:, t - 1] >= 0) & (code[:, t] >= 0)
        if balance == "balanced":
            both &= full
        for a in range(prob.sizes["from_state"]):
            m = (w * (both & (code[:, t - 1] == a))).sum()
            assert abs(float(mass.isel(time=t - 1, from_state=a)) - m) < 1e-9
    # pooled = sum of flows
    pooled = transitions(panel, spec, weight="w", states=states, balance=balance, pooled=True)
    np.testing.assert_allclose(pooled["flow"].values, ds["flow"].sum("time").values, atol=1e-12)
    np.testing.assert_allclose(ds["pooled_flow"].values, ds["flow"].sum("time").values)
    # grouped flows sum over cells to the overall flows (no missing groups here)
    np.testing.assert_allclose(
        res.by_group()["flow"].sum("region").values, ds["flow"].values, atol=1e-9
    )
    # Delta H = pi_NP - pi_PN on a balanced panel
    if balance == "balanced":
        poor = (code >= (2 if states == "bands" else 1)) & full[:, None]
        wf = w * full
        H = (wf[:, None] * poor).sum(axis=0) / wf.sum()
        dH = np.diff(H)
        np.testing.assert_allclose(ds["entries"].values - ds["exits"].values, dH, atol=1e-12)
        np.testing.assert_allclose(ds["poverty_rate_end"].values, H[1:], atol=1e-12)
        # H2 = H1 (1 - x) + (1 - H1) e where both rates are defined
        h1, e, x = H[:-1], ds["entry_rate"].values, ds["exit_rate"].values
        ok = np.isfinite(e) & np.isfinite(x)
        np.testing.assert_allclose((h1 * (1 - x) + (1 - h1) * e)[ok], H[1:][ok], atol=1e-12)


# -- kernel: chunk additivity, performance shape --------------------------------------------
@pytest.mark.parametrize("mode", [ktr.POVERTY, ktr.BANDS])
@pytest.mark.parametrize("bal", [ktr.BALANCED, ktr.PAIRS])
def test_chunk_additivity(mode, bal):
    rng = np.random.default_rng(5)
    n, T = 3000, 6
    st_ = rng.integers(-1, 4, (n, T)).astype(np.int8)
    w = rng.uniform(0, 2, n)
    w[::97] = np.nan
    cell = rng.integers(0, 4, n).astype(np.int64)
    whole = ktr.transition_flows(st_, w, cell, 4, mode, bal, 3)
    one = ktr.transition_flows(st_, w, cell, 4, mode, bal, 1)
    h = 1234
    a = ktr.transition_flows(st_[:h], w[:h], cell[:h], 4, mode, bal, 2)
    b = ktr.transition_flows(st_[h:], w[h:], cell[h:], 4, mode, bal, 2)
    for x, y, z, o in zip(whole, a, b, one, strict=True):
        np.testing.assert_allclose(x, y + z, atol=1e-9, rtol=0)
        np.testing.assert_allclose(x, o, atol=1e-9, rtol=0)
    assert whole[2].sum() == n


# -- errors, immutability -------------------------------------------------------------------
def test_bad_inputs():
    panel, spec = fixture_panel()
    with pytest.raises(ValidationError, match="states"):
        transitions(panel, spec, states="three")
    with pytest.raises(ValidationError, match="balance"):
        transitions(panel, spec, balance="observed")
    with pytest.raises(ValidationError, match="pooled"):
        transitions(panel, spec, pooled="yes")
    with pytest.raises(DataError, match="weight"):
        transitions(panel, spec, weight="nope")
    with pytest.raises(DataError, match="at least 2"):
        transitions(panel.isel(time=[0]), spec)
    gappy = panel.copy()
    gappy["a"] = gappy["a"].where(gappy["a"].time != 2013)
    with pytest.raises(DataError, match="balance='pairs'"):
        transitions(gappy, spec)
    res = transitions(panel, spec)
    with pytest.raises(ValidationError, match="non-negative"):
        res.steps(-1)


def test_input_not_mutated():
    panel, spec = fixture_panel()
    before = panel.copy(deep=True)
    transitions(panel, spec, weight="w", by="g", balance="pairs", states="bands")
    xr.testing.assert_identical(panel, before)


def test_time_dim_name_and_registry_panel():
    panel, spec = fixture_panel()
    p2 = panel.rename(time="wave")
    ds = transitions(p2, spec, time="wave").to_dataset()
    assert "wave" in ds.dims and "time" not in ds.dims


@pytest.mark.slow
def test_registry_panel_runs():
    panel = mpi.datasets.load("registry_panel", format="xarray")
    res = transitions(
        panel, mpi.presets.china_2b3g(), weight="weight", by="county", balance="pairs"
    )
    ds = res.to_dataset()
    assert np.isfinite(ds["exit_rate"].values).all()
