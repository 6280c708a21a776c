"""Chronic multidimensional poverty (AACY 2017, Apablaza-Yalonetzky) and Foster's (2009)
duration-adjusted FGT: hand fixtures (methods.md §1.2), identities (§7 items 2-4, 8), a
plain-Python reference on random unbalanced panels, chunk additivity and bad inputs."""

from __future__ import annotations

import copy
import math
from fractions import Fraction as F

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from panel_data import random_panel, random_spec

import mpi
from mpi.dynamics.chronic import chronic, duration_adjusted
from mpi.dynamics.states import panel_states
from mpi.errors import DataError, ValidationError
from mpi.kernels import chronic as kc

TOL = 1e-12


def _fixture_panel() -> tuple[xr.Dataset, mpi.Spec]:
    """methods.md §1.2: three units, three indicators (w = 1/3), T = 3."""
    g = np.zeros((3, 3, 3))
    g[0, 0] = [1, 1, 0]
    g[0, 1] = [1, 0, 0]
    g[1, 0] = [1, 1, 1]
    ds = xr.Dataset(
        {f"i{j}": (("unit", "time"), g[:, :, j]) for j in range(3)},
        coords={"unit": [1, 2, 3], "time": [2010, 2011, 2012]},
    )
    ds["grp"] = ("unit", ["a", "a", "b"])
    spec = mpi.Spec([mpi.Indicator(f"i{j}", weight=F(1, 3)) for j in range(3)], k=F(1, 3))
    return ds, spec


# -- plain-Python reference -----------------------------------------------------------------
def _raw(panel: xr.Dataset, spec: mpi.Spec):
    g = np.stack([panel[ind.variable].transpose("unit", "time").values for ind in spec], -1)
    obs = ~np.isnan(g).any(-1)
    gi = np.nan_to_num(g).astype(np.int64)
    wint, denom = spec.integer_weights
    num = (gi * np.asarray(wint)).sum(-1)
    return gi, num, obs, np.asarray(wint), int(denom)


def reference(
    panel,
    spec,
    tau,
    *,
    k=None,
    weight=None,
    by=None,
    balance="balanced",
    min_waves=2,
    order="time_first",
    tau_j=None,
):
    """Loops over units; returns overall measures and per-group M0/H/population share."""
    tau = F(tau)
    kk = F(k) if k is not None else spec.k
    gi, num, obs, wint, denom = _raw(panel, spec)
    N, T, d = gi.shape
    w_all = panel[weight].values if weight else np.ones(N)
    grp = panel[by].values if by else np.zeros(N, int)
    poor = obs & (num * kk.denominator >= kk.numerator * denom)
    acc: dict = {}

    def add(key, value, g=None):
        acc[key] = acc.get(key, 0.0) + value
        if g is not None:
            acc[(key, g)] = acc.get((key, g), 0.0) + value

    n_s = np.zeros(T + 1)
    score_s = np.zeros(T + 1)
    dur_s = np.zeros(T + 1)
    chi_score_s = np.zeros(T + 1)
    hC = np.zeros(d)
    m0_t = np.zeros(T)
    obs_t = np.zeros(T)
    mc_t = np.zeros(T)
    unc = np.zeros(d)
    cen = np.zeros(d)
    used = 0
    for i in range(N):
        w = w_all[i]
        if np.isnan(w):
            continue
        Ti = int(obs[i].sum())
        if (balance == "balanced" and Ti < T) or (balance == "observed" and Ti < min_waves):
            continue
        used += 1
        g = grp[i]
        add("SW", w, g)
        if order == "dimensions_first":
            taus = tau_j or [tau] * d
            gc = [int(gi[i, obs[i], j].sum() >= math.ceil(F(taus[j]) * Ti)) for j in range(d)]
            cc = sum(int(wint[j]) * gc[j] for j in range(d))
            p = cc * kk.denominator >= kk.numerator * denom
            add("POOR", w * p, g)
            add("SCORE", w * p * cc / denom, g)
            unc += w * np.array(gc)
            cen += w * p * np.array(gc)
            continue
        P = int(poor[i].sum())
        chi = P >= math.ceil(tau * Ti)
        cp = float((num[i] * poor[i]).sum()) / denom
        add("CHI", w * chi, g)
        add("CHI_DUR", w * chi * P / Ti, g)
        add("CHI_SCORE", w * chi * cp / Ti, g)
        add("TR", w * (not chi) * (P > 0), g)
        add("TR_DUR", w * (not chi) * P / Ti, g)
        add("TR_SCORE", w * (not chi) * cp / Ti, g)
        hC += w * chi * (gi[i] * poor[i][:, None]).sum(0) / Ti
        n_s[P] += w
        score_s[P] += w * cp / Ti
        dur_s[P] += w * P / Ti
        chi_score_s[P] += w * chi * cp / Ti
        for t in range(T):
            if obs[i, t]:
                obs_t[t] += w
                m0_t[t] += w * poor[i, t] * num[i, t] / denom
                mc_t[t] += w * chi * poor[i, t] * num[i, t] / denom
    sw = acc["SW"]
    groups = sorted({k[1] for k in acc if isinstance(k, tuple)})
    if order == "dimensions_first":
        out = {
            "M0": acc["SCORE"] / sw,
            "H": acc["POOR"] / sw,
            "censored_headcount": cen / sw,
            "uncensored_headcount": unc / sw,
            "n_used": used,
        }
        out["M0_g"] = {g: acc.get(("SCORE", g), 0) / acc[("SW", g)] for g in groups}
    else:
        out = {
            "M0": acc["CHI_SCORE"] / sw,
            "H": acc["CHI"] / sw,
            "D": acc["CHI_DUR"] / acc["CHI"] if acc["CHI"] else np.nan,
            "M0_transient": acc["TR_SCORE"] / sw,
            "H_transient": acc["TR"] / sw,
            "D_transient": acc["TR_DUR"] / acc["TR"] if acc["TR"] else np.nan,
            "censored_headcount": hC / sw,
            "share_by_periods_poor": n_s / sw,
            "contribution_by_periods_poor": chi_score_s / acc["CHI_SCORE"]
            if acc["CHI_SCORE"]
            else np.full(T + 1, np.nan),
            "M0_cross_section": m0_t / obs_t,
            "n_used": used,
        }
        if balance == "balanced":
            out["M0_period"] = mc_t / sw
        out["M0_g"] = {g: acc.get(("CHI_SCORE", g), 0) / acc[("SW", g)] for g in groups}
    out["H_g"] = {
        g: acc.get(("CHI" if order == "time_first" else "POOR", g), 0) / acc[("SW", g)]
        for g in groups
    }
    out["v_g"] = {g: acc[("SW", g)] / sw for g in groups}
    return out


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=TOL, atol=TOL)


# -- methods.md §1.2 fixture ---------------------------------------------------------------
def test_fixture_aacy():
    panel, spec = _fixture_panel()
    res = chronic(panel, spec, tau="2/3")
    ds = res.to_dataset()
    _close(ds["M0"], 1 / 9)
    _close(ds["H"], 1 / 3)
    _close(ds["D"], 2 / 3)
    _close(ds["A"], 1 / 2)
    _close(ds["censored_headcount"], [2 / 9, 1 / 9, 0])
    _close(ds["M0_transient"], 1 / 9)
    _close(ds["H_transient"], 1 / 3)
    _close(ds["D_transient"], 1 / 3)
    _close(ds["A_transient"], 1)
    _close(ds["M0_cross_section"], [5 / 9, 1 / 9, 0])
    _close(ds["M0_period"], [2 / 9, 1 / 9, 0])
    _close(ds["contribution"], [2 / 3, 1 / 3, 0])
    _close(ds["duration_of_deprivation"], [2 / 3, 1 / 3, 0])
    _close(ds["share_by_periods_poor"], [1 / 3, 1 / 3, 1 / 3, 0])
    _close(ds["duration_by_periods_poor"], [0, 1 / 3, 2 / 3, 1])
    _close(ds["chronic_by_periods_poor"][:3], [0, 0, 1])
    _close(ds["contribution_by_periods_poor"], [0, 0, 1, 0])
    assert ds.attrs["min_poor_waves"] == "2" and ds.attrs["tau"] == "2/3"
    assert ds.attrs["n_used"] == 3 and ds.attrs["n_dropped"] == 0
    assert ds["M0"].attrs["units"] == "1" and "chronic" in ds["M0"].attrs["long_name"]
    # identity §7.3 on the fixture: mean_t M0_t = M^C + M^T = 2/9
    _close(ds["M0_cross_section"].mean(), float(ds["M0"] + ds["M0_transient"]))


def test_fixture_groups_and_tau_limits():
    panel, spec = _fixture_panel()
    ds = chronic(panel, spec, tau="2/3", by="grp").to_dataset()
    _close(ds["population_share"], [2 / 3, 1 / 3])
    _close(ds["M0_by_group"], [1 / 6, 0])
    _close(ds["group_contribution"], [1, 0])
    assert ds["n_used_by_group"].values.tolist() == [2, 1]
    assert ds["M0"].dims == ()  # overall variables carry no group dims
    res = chronic(panel, spec, tau="2/3", by="grp")
    assert "M0" in res.by_group() and "population_share" in res.by_group()
    # tau = 1/T: everyone ever poor is chronic, M^T = 0
    ds = chronic(panel, spec, tau=F(1, 3)).to_dataset()
    _close(ds["M0"], 2 / 9)
    _close(ds["M0_transient"], 0)
    # tau = 1: nobody is poor in all three waves
    ds = chronic(panel, spec, tau=1).to_dataset()
    _close(ds["M0"], 0)
    assert np.isnan(float(ds["A"])) and np.isnan(float(ds["D"]))


def test_tau_float_is_exact():
    panel, spec = _fixture_panel()
    # 0.7 * 3 = 2.1 -> m = 3 (a float ceil of 2.0999... would give the same, but 2/3 as a
    # float 0.6666666666666666 must give m = 2, not 2 = ceil(1.9999999999999998))
    a = chronic(panel, spec, tau=0.7)
    assert a.attrs["min_poor_waves"] == "3" and a.attrs["tau"] == "7/10"
    b = chronic(panel, spec, tau=2 / 3)
    assert b.attrs["min_poor_waves"] == "2"
    _close(b["M0"], 1 / 9)
    res = chronic(panel, spec, tau=0.5)  # ceil(1.5) = 2
    assert res.attrs["min_poor_waves"] == "2"


def test_dimensions_first_fixture():
    panel, spec = _fixture_panel()
    ds = chronic(panel, spec, tau="2/3", order="dimensions_first").to_dataset()
    # unit 1 deprived in i0 in 2 of 3 waves (chronic), i1 once; cC = 1/3 >= k -> poor
    _close(ds["H"], 1 / 3)
    _close(ds["M0"], 1 / 9)
    _close(ds["A"], 1 / 3)
    _close(ds["censored_headcount"], [1 / 3, 0, 0])
    ds = chronic(
        panel, spec, tau="2/3", order="dimensions_first", tau_indicator={"i1": "1/3"}
    ).to_dataset()
    # i1 chronic for units 1 and 2 now (>= 1 wave); unit 2: i1 only -> 1/3 poor too
    _close(ds["H"], 2 / 3)
    _close(ds["uncensored_headcount"], [1 / 3, 2 / 3, 0])
    _close(ds["tau_indicator"], [2 / 3, 1 / 3, 2 / 3])


# -- reference agreement on random unbalanced panels ----------------------------------------
@pytest.mark.parametrize("balance", ["balanced", "observed"])
@pytest.mark.parametrize("order", ["time_first", "dimensions_first"])
@pytest.mark.parametrize("seed", [1, 2])
def test_reference_random_unbalanced(balance, order, seed):
    rng = np.random.default_rng(seed)
    d = 4
    panel = random_panel(rng, n=300, waves=[2010, 2012, 2014.5, 2016, 2018], d=d, gap_rate=0.08)
    panel["w"][::17] = np.nan  # units without a weight are dropped and counted
    spec = random_spec(rng, d)
    tau = F(int(rng.integers(1, 6)), 5)
    mw = 3 if balance == "observed" else None
    res = chronic(
        panel, spec, tau=tau, weight="w", by="region", balance=balance, min_waves=mw, order=order
    )
    ds = res.to_dataset()
    ref = reference(
        panel, spec, tau, weight="w", by="region", balance=balance, min_waves=mw or 2, order=order
    )
    for name, val in ref.items():
        if name in ("M0_g", "H_g", "v_g"):
            target = {"M0_g": "M0_by_group", "H_g": "H_by_group", "v_g": "population_share"}
            for g, v in val.items():
                _close(ds[target[name]].sel(region=g), v)
        elif name == "n_used":
            assert ds.attrs["n_used"] == val
        else:
            _close(ds[name], val)
    assert ds.attrs["n_dropped_weight"] == int(np.isnan(panel["w"].values).sum())
    assert ds.attrs["n_used"] + ds.attrs["n_dropped"] == panel.sizes["unit"]
    if balance == "observed" and order == "time_first":
        assert np.isnan(ds["M0_period"]).all()
    used = res.used_units() if order == "time_first" else None
    if used is not None:
        assert int(used.sum()) == ds.attrs["n_used"]


def test_cross_section_equals_measure():
    rng = np.random.default_rng(7)
    panel = random_panel(rng, n=250, waves=4, d=4, gap_rate=0.05)
    spec = random_spec(rng, 4)
    for balance in ("balanced", "observed"):
        res = chronic(panel, spec, tau="1/2", weight="w", balance=balance)
        used = res.used_units().values
        for y in panel["time"].values:
            wave = panel.sel(time=y)
            obs = ~np.isnan(np.stack([wave[ind.variable].values for ind in spec])).any(0)
            m = mpi.measure(wave.isel(unit=np.flatnonzero(used & obs)), spec, weight="w")
            _close(res["M0_cross_section"].sel(time=y), float(m.M0))
            _close(res["H_cross_section"].sel(time=y), float(m.H))


# -- identities (hypothesis) ----------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), waves=st.integers(2, 6), tau_num=st.integers(1, 6))
def test_identity_chain(seed, waves, tau_num):
    rng = np.random.default_rng(seed)
    panel = random_panel(rng, n=80, waves=waves, d=3, gap_rate=0.05)
    spec = random_spec(rng, 3)
    tau = F(min(tau_num, waves), waves)
    ds = chronic(panel, spec, tau=tau, weight="w", by="region").to_dataset()
    m = float(ds["M0"])
    w = spec.weights
    m_s = int(ds.attrs["min_poor_waves"])
    s = ds["periods_poor"].values
    tab = (
        ds["share_by_periods_poor"]
        * ds["duration_by_periods_poor"]
        * ds["intensity_by_periods_poor"].fillna(0)
    )
    checks = [
        float(ds["H"] * ds["D"] * ds["A"]) if float(ds["H"]) > 0 else 0.0,
        float((w * ds["censored_headcount"]).sum()),
        float(tab.values[s >= m_s].sum()),
        float(ds["M0_period"].mean()),
        float((ds["population_share"] * ds["M0_by_group"].fillna(0)).sum()),
    ]
    _close(checks, [m] * len(checks))
    # §7.3: mean_t M0_t = M^C + M^T on a balanced panel
    _close(ds["M0_cross_section"].mean(), m + float(ds["M0_transient"]))
    mt = float(ds["M0_transient"])
    if float(ds["H_transient"]) > 0:
        _close(ds["H_transient"] * ds["D_transient"] * ds["A_transient"], mt)
    assert abs(float(ds["contribution"].sum()) - 1) < 1e-12 if m > 0 else True
    # tau = 1/T: M^T = 0 and M^C = mean_t M0_t
    d1 = chronic(panel, spec, tau=F(1, waves), weight="w").to_dataset()
    _close(d1["M0_transient"], 0)
    _close(d1["M0"], float(d1["M0_cross_section"].mean()))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), balance=st.sampled_from(["balanced", "observed"]))
def test_monotone_in_tau_and_k(seed, balance):
    rng = np.random.default_rng(seed)
    panel = random_panel(rng, n=60, waves=4, d=3, gap_rate=0.1)
    spec = random_spec(rng, 3, k="1/6")
    mw = 2 if balance == "observed" else None
    prev = np.inf
    for tau in ("1/4", "1/2", "3/4", "1"):
        m = float(chronic(panel, spec, tau=tau, weight="w", balance=balance, min_waves=mw)["M0"])
        assert m <= prev + 1e-15
        prev = m
    prev = np.inf
    for k in ("1/6", "1/3", "1/2", "2/3", "1"):
        m = float(
            chronic(panel, spec, tau="1/2", k=k, weight="w", balance=balance, min_waves=mw)["M0"]
        )
        assert m <= prev + 1e-15
        prev = m


# -- chunk additivity, inputs untouched -----------------------------------------------------
def test_chunk_additivity():
    rng = np.random.default_rng(11)
    panel = random_panel(rng, n=3000, waves=5, d=4, gap_rate=0.05)
    spec = random_spec(rng, 4)
    s = panel_states(panel, spec, weight="w", by="region")
    h = 1234

    def tf(sl, n_chunks):
        return kc.chronic_time_first(
            s.state[sl],
            s.num[sl],
            s.pattern[sl],
            s.weight[sl],
            s.cell[sl],
            s.n_cells,
            4,
            True,
            2,
            1,
            2,
            n_chunks,
        )

    full = tf(slice(None), 2)
    parts = [tf(slice(0, h), 1), tf(slice(h, None), 3)]
    for a, b, c in zip(full, *parts, strict=True):
        np.testing.assert_allclose(a, b + c, rtol=1e-13, atol=1e-12)
    wint, denom = spec.integer_weights

    def dfirst(sl, n_chunks):
        return kc.chronic_dims_first(
            s.state[sl],
            s.pattern[sl],
            s.weight[sl],
            s.cell[sl],
            s.n_cells,
            False,
            5,
            np.full(4, 1, np.int64),
            np.full(4, 2, np.int64),
            np.asarray(wint, np.int64),
            int(denom),
            s.k.numerator,
            s.k.denominator,
            n_chunks,
        )

    full = dfirst(slice(None), 2)
    for a, b, c in zip(full, dfirst(slice(0, h), 1), dfirst(slice(h, None), 2), strict=True):
        np.testing.assert_allclose(a, b + c, rtol=1e-13, atol=1e-12)
    y = rng.lognormal(8, 1, (3000, 5))
    y[rng.random(y.shape) < 0.05] = np.nan
    z = np.full(5, 3000.0)
    al = np.array([0.0, 1.0, 2.0])

    def fos(sl, n_chunks):
        return kc.duration_adjusted_stats(
            y[sl], z, s.weight[sl], s.cell[sl], s.n_cells, False, 5, 1, 2, al, n_chunks
        )

    full = fos(slice(None), 2)
    for a, b, c in zip(full, fos(slice(0, h), 1), fos(slice(h, None), 2), strict=True):
        np.testing.assert_allclose(a, b + c, rtol=1e-13, atol=1e-12)


def test_inputs_not_mutated():
    rng = np.random.default_rng(3)
    panel = random_panel(rng, n=100, waves=4, d=3, gap_rate=0.1)
    panel["inc"] = (("unit", "time"), rng.lognormal(8, 1, (100, 4)))
    spec = random_spec(rng, 3)
    before = copy.deepcopy(panel)
    chronic(panel, spec, tau="1/2", weight="w", by="region", balance="observed")
    chronic(panel, spec, tau="1/2", weight="w", order="dimensions_first")
    line = np.full(4, 3000.0)
    duration_adjusted(panel, "inc", line=line, tau="1/2", weight="w", by="region")
    xr.testing.assert_identical(panel, before)
    assert (line == 3000.0).all()


# -- bad inputs ------------------------------------------------------------------------------
def test_bad_inputs():
    panel, spec = _fixture_panel()
    for tau in (0, "0", 1.5, -0.2, "4/3", None, "abc", True):
        with pytest.raises(ValidationError, match="tau"):
            chronic(panel, spec, tau=tau)
    with pytest.raises(ValidationError, match="order"):
        chronic(panel, spec, tau="1/2", order="dims")
    with pytest.raises(ValidationError, match="balance"):
        chronic(panel, spec, tau="1/2", balance="unbalanced")
    with pytest.raises(ValidationError, match="min_waves"):
        chronic(panel, spec, tau="1/2", min_waves=2)
    with pytest.raises(ValidationError, match="min_waves"):
        chronic(panel, spec, tau="1/2", balance="observed", min_waves=4)
    with pytest.raises(ValidationError, match="min_waves"):
        chronic(panel, spec, tau="1/2", balance="observed", min_waves=0)
    with pytest.raises(ValidationError, match="tau_indicator"):
        chronic(panel, spec, tau="1/2", tau_indicator={"i0": "1/2"})
    with pytest.raises(ValidationError, match="nope"):
        chronic(panel, spec, tau="1/2", order="dimensions_first", tau_indicator={"nope": 1})
    with pytest.raises(ValidationError, match="tau_indicator"):
        chronic(panel, spec, tau="1/2", order="dimensions_first", tau_indicator={"i0": 2})
    gappy = panel.copy(deep=True)
    gappy["i0"][:, 1] = np.nan  # nobody observed in every wave
    with pytest.raises(DataError, match="balance='observed'"):
        chronic(gappy, spec, tau="1/2")
    ds = chronic(gappy, spec, tau="1/2", balance="observed").to_dataset()
    assert ds.attrs["n_used"] == 3 and ds.attrs["min_poor_waves"].startswith("ceil")
    with pytest.raises(DataError):
        chronic(panel.to_dataframe(), spec, tau="1/2")
    inc = panel.assign(inc=(("unit", "time"), np.full((3, 3), 5.0)))
    with pytest.raises(ValidationError, match="alpha"):
        duration_adjusted(inc, "inc", line=10, tau=1, alpha=-1)
    with pytest.raises(ValidationError, match="line"):
        duration_adjusted(inc, "inc", line=0, tau=1)
    with pytest.raises(ValidationError, match="line"):
        duration_adjusted(inc, "inc", line=[1, 2], tau=1)
    with pytest.raises(DataError, match="line"):
        duration_adjusted(inc, "inc", line="nope", tau=1)
    with pytest.raises(ValidationError, match="tau"):
        duration_adjusted(inc, "inc", line=10, tau=0)
    inc["inc"][0, 0] = np.inf
    with pytest.raises(DataError, match="infinite"):
        duration_adjusted(inc, "inc", line=10, tau=1)


# -- Foster (2009) ---------------------------------------------------------------------------
def _income_panel(y, years=(2010, 2011)):
    y = np.asarray(y, float)
    return xr.Dataset(
        {"y": (("unit", "time"), y), "g": ("unit", np.arange(len(y)) % 2)},
        coords={"unit": np.arange(len(y)), "time": list(years)},
    )


def test_foster_hand_example():
    # unit 0 poor in both waves (gaps .5, .2); unit 1 poor in wave 2 only (negative
    # income: gap capped to 1); unit 2 exactly at the line (not poor: strict) and above
    panel = _income_panel([[5, 8], [12, -3], [10, 11]])
    ds = duration_adjusted(panel, "y", line=10, tau=1, alpha=(0, 1, 2)).to_dataset()
    _close(ds["H"], 1 / 3)
    _close(ds["D"], 1)
    _close(ds["K"], [1 / 3, 0.35 / 3, 0.145 / 3])
    _close(ds["G"], [1, 0.35, 0.145])
    _close(ds["H_cross_section"], [1 / 3, 2 / 3])
    ds = duration_adjusted(panel, "y", line=10, tau="1/2", alpha=(0, 1, 2)).to_dataset()
    _close(ds["H"], 2 / 3)
    _close(ds["D"], 0.75)
    _close(ds["K"], [0.5, (0.35 + 0.5) / 3, (0.145 + 0.5) / 3])
    _close(ds["K"], ds["H"] * ds["D"] * ds["G"])
    _close(ds["K"].sel(alpha=0), float(ds["H_cross_section"].mean()))
    _close(ds["K"], ds["FGT_cross_section"].mean("time"))
    assert ds.attrs["min_poor_waves"] == "1" and ds["K"].attrs["units"] == "1"


def test_foster_line_per_wave_and_groups():
    panel = _income_panel([[5, 8], [12, -3], [10, 11], [np.nan, 1]])
    panel["z"] = ("time", [10.0, 12.0])
    a = duration_adjusted(panel, "y", line="z", tau=1, by="g", balance="observed", min_waves=1)
    b = duration_adjusted(
        panel, "y", line=[10.0, 12.0], tau=1, by="g", balance="observed", min_waves=1
    )
    xr.testing.assert_allclose(a.to_dataset(), b.to_dataset())
    ds = a.to_dataset()
    # unit 0: gaps .5, 4/12 both poor; unit 1: 12 vs 10 not poor, then poor (gap 1);
    # unit 2: 10 == 10 not poor, 11 < 12 poor; unit 3: one observed wave, poor (gap 11/12)
    # tau = 1: chronic = units 0 and 3
    _close(ds["H"], 1 / 2)
    _close(ds["K"].sel(alpha=1), ((0.5 + 4 / 12) / 2 + 11 / 12) / 4)
    _close((ds["population_share"] * ds["K_by_group"]).sum("g"), ds["K"])
    _close(ds["group_contribution"].sum("g"), [1, 1, 1])
    assert ds.attrs["n_used"] == 4 and ds.attrs["n_dropped"] == 0
    c = duration_adjusted(panel, "y", line="z", tau=1)  # balanced drops unit 3
    assert c.attrs["n_used"] == 3 and c.attrs["n_dropped_waves"] == 1
    assert "K0=" in repr(c) and "Duration-adjusted" in c.summary()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), waves=st.integers(2, 6), tau_num=st.integers(1, 6))
def test_foster_identities(seed, waves, tau_num):
    rng = np.random.default_rng(seed)
    n = 60
    y = rng.lognormal(8, 0.6, (n, waves))
    y[rng.random(y.shape) < 0.03] *= -1
    panel = xr.Dataset(
        {"y": (("unit", "time"), y), "w": ("unit", rng.uniform(0.5, 2, n))},
        coords={"unit": np.arange(n), "time": np.arange(2010, 2010 + waves)},
    )
    z = rng.uniform(2000, 4000, waves)
    tau = F(min(tau_num, waves), waves)
    ds = duration_adjusted(
        panel, "y", line=z, tau=tau, alpha=(0, 0.5, 1, 2), weight="w"
    ).to_dataset()
    if float(ds["H"]) > 0:
        _close(ds["K"], ds["H"] * ds["D"] * ds["G"])
    # reference
    w = panel["w"].values
    poor = y < z
    gap = np.clip((z - y) / z, 0, 1) * poor
    chi = poor.sum(1) >= math.ceil(tau * waves)
    for a in (0, 0.5, 1, 2):
        ga = poor.astype(float) if a == 0 else gap**a
        _close(ds["K"].sel(alpha=a), (w * chi * ga.mean(1)).sum() / w.sum())
    d1 = duration_adjusted(panel, "y", line=z, tau=F(1, waves), weight="w").to_dataset()
    _close(d1["K"].sel(alpha=0), float(d1["H_cross_section"].mean()))
    _close(d1["K"], d1["FGT_cross_section"].mean("time"))


def test_registry_panel_smoke():
    panel = mpi.datasets.load("registry_panel", format="xarray")
    spec = mpi.presets.china_2b3g()
    res = chronic(panel, spec, tau="1/2", weight="weight", by="labour_capacity")
    ds = res.to_dataset()
    _close((ds["population_share"] * ds["M0_by_group"]).sum(), float(ds["M0"]))
    assert ds.attrs["n_used"] + ds.attrs["n_dropped"] == panel.sizes["unit"]
    assert "Chronic" in res.summary() and "M0=" in repr(res)
    fos = duration_adjusted(
        panel,
        "income_per_capita",
        line="poverty_line",
        tau="1/2",
        weight="weight",
        by="county",
        balance="observed",
    )
    assert 0 <= float(fos["K"].sel(alpha=0)) <= 1
    assert "By group" in fos.summary()
    for out in (ds, fos.to_dataset()):
        for name, var in out.data_vars.items():
            assert var.attrs.get("long_name") and var.attrs.get("units") == "1", name
    _close((fos["population_share"] * fos["K_by_group"]).sum("county"), fos["K"])


def test_dim_names_and_cross_classified_groups():
    rng = np.random.default_rng(5)
    panel = random_panel(rng, n=200, waves=4, d=3, gap_rate=0.05)
    panel["x"] = ("unit", rng.integers(0, 2, 200).astype(str))
    spec = random_spec(rng, 3)
    renamed = panel.rename({"unit": "hh", "time": "wave"})
    a = chronic(
        renamed, spec, tau="1/2", unit="hh", time="wave", weight="w", by=["region", "x"]
    ).to_dataset()
    b = chronic(panel, spec, tau="1/2", weight="w").to_dataset()
    assert a["M0_cross_section"].dims == ("wave",)
    assert a["M0_by_group"].dims == ("region", "x")
    for name in ("M0", "H", "D", "A", "M0_transient", "censored_headcount", "M0_period"):
        _close(a[name], b[name].values)
    _close((a["population_share"] * a["M0_by_group"]).sum(), float(a["M0"]))
    _close(a["group_contribution"].sum(), 1)
