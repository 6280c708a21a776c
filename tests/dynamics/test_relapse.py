"""mpi.relapse: life tables of re-entry after exit, period relapse rates, composition."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from panel_data import random_panel, random_spec

import mpi
from mpi.dynamics.relapse import relapse
from mpi.errors import DataError, ValidationError
from mpi.kernels import relapse as krl

# --------------------------------------------------------------------------------------
# helpers


def status_panel(P: np.ndarray, years=None, w=None, groups=None) -> xr.Dataset:
    """A panel holding a 0/1/NaN status ``p`` over (unit, time)."""
    n, T = P.shape
    years = np.arange(1, T + 1) if years is None else np.asarray(years)
    data = {"p": (("unit", "time"), np.asarray(P, float))}
    if w is not None:
        data["w"] = ("unit", w)
    if groups is not None:
        data["region"] = ("unit", groups)
    return xr.Dataset(data, coords={"unit": np.arange(n), "time": years})


def exit_spells(state: np.ndarray, years: np.ndarray | None = None):
    """Plain-Python exit spells: (unit, band, t_x, E, event, duration_years) per exit."""
    n, T = state.shape
    years = np.arange(T, dtype=float) if years is None else years
    out = []
    for i in range(n):
        s = state[i]
        for tx in range(1, T):
            if not (s[tx - 1] >= 2 and 0 <= s[tx] < 2):
                continue
            band = 1 if s[tx] == 1 else 0
            e = 1
            while True:
                t = tx + e
                if t >= T or s[t] < 0:  # censored after e - 1 waves at risk
                    out.append((i, band, tx, e - 1, 0, years[tx + e - 1] - years[tx]))
                    break
                if s[t] >= 2:
                    out.append((i, band, tx, e, 1, years[t] - years[tx]))
                    break
                e += 1
    return out


def km_loops(n, d):
    """Kaplan-Meier and Greenwood with plain Python loops."""
    h, s, se = [], [], []
    S, acc = 1.0, 0.0
    for nn, dd in zip(n, d, strict=True):
        if nn <= 0:
            h.append(np.nan), s.append(np.nan), se.append(np.nan)
            continue
        S *= 1.0 - dd / nn
        acc += dd / (nn * (nn - dd)) if nn > dd else 0.0
        h.append(dd / nn), s.append(S), se.append(np.sqrt(S * S * acc))
    return np.array(h), np.array(s), np.array(se)


def km_linearised(n_i, d_i, w):
    """Kaplan-Meier with the linearised (unit-cluster) variance, plain Python loops.

    ``n_i[i, e]`` / ``d_i[i, e]``: unit ``i``'s spells at risk / re-entering at ``e``,
    ``w[i]`` its weight. ``z_i(e) = w_i sum_{u <= e} (d_iu - h_u n_iu) / (n_u - d_u)`` and
    ``Var S(e) = S(e)^2 sum_i z_i(e)^2`` (Binder 1992; a term with n_u = d_u is 0).
    """
    m, E = n_i.shape
    z = np.zeros(m)
    h, s, se = [], [], []
    S = 1.0
    for e in range(E):
        nn = sum(w[i] * n_i[i, e] for i in range(m))
        dd = sum(w[i] * d_i[i, e] for i in range(m))
        if nn <= 0:
            h.append(np.nan), s.append(np.nan), se.append(np.nan)
            continue
        hh = dd / nn
        S *= 1.0 - hh
        if nn > dd:
            for i in range(m):
                z[i] += w[i] * (d_i[i, e] - hh * n_i[i, e]) / (nn - dd)
        h.append(hh), s.append(S), se.append(S * np.sqrt(sum(x * x for x in z)))
    return np.array(h), np.array(s), np.array(se)


def unit_life(ps, cell=None, band=None, taus=None):
    """Per unit (units with a weight) spells at risk / re-entering along ``e = 1 .. T-2``
    or, with ``taus``, along the years since exit; optionally one cell / one band only."""
    state, w = ps.state, ps.weight
    n, T = state.shape
    cols = T - 2 if taus is None else len(taus)
    N, D = np.zeros((n, cols)), np.zeros((n, cols))
    for i, b, _tx, E, ev, dur in exit_spells(state, ps.layout.years):
        if E == 0 or (cell is not None and ps.cell[i] != cell) or (band is not None and b != band):
            continue
        if taus is None:
            N[i, :E] += 1
            D[i, E - 1] += ev
        else:
            N[i, taus <= dur + 1e-9] += 1
            D[i, np.abs(taus - dur) < 1e-9] += ev
    ok = ~np.isnan(w)
    return N[ok], D[ok], w[ok]


def linearised_se(ps, cell=None):
    """Reference ``survival_se`` and ``survival_by_band_se`` of one cell (or all)."""
    tot = km_linearised(*unit_life(ps, cell))[2]
    band = np.array([km_linearised(*unit_life(ps, cell, b))[2] for b in (0, 1)])
    return {"": tot, "_by_band": band}


def reference(ps, d: int):
    """Independent plain-numpy relapse statistics per cell from PanelStates."""
    state, w, cell = ps.state, ps.weight, ps.cell
    n, T = state.shape
    C = ps.n_cells
    life = np.zeros((C, 2, T, 3))  # band, e, (at risk, events, censored)
    period = np.zeros((C, T - 1, 7))
    comp = np.zeros((C, 2 + 2 * d))
    for i, band, _tx, E, ev, _ in exit_spells(state):
        if np.isnan(w[i]):
            continue
        g = cell[i]
        life[g, band, 1 : E + 1, 0] += w[i]
        if ev:
            life[g, band, E, 1] += w[i]
        else:
            life[g, band, E, 2] += w[i]
    for i in range(n):
        if np.isnan(w[i]):
            continue
        g, s = cell[i], state[i]
        exit_at = [t for t in range(1, T) if s[t - 1] >= 2 and 0 <= s[t] < 2]
        # exited by u: observed nonpoor at u after an observed poor wave (gaps bridged)
        out_at = [u for u in range(1, T) if 0 <= s[u] < 2 and (s[:u] >= 2).any()]
        for t in range(1, T):
            exited = any(x <= t - 1 for x in out_at)
            ever_poor = bool((s[:t] >= 2).any())
            if 0 <= s[t - 1] < 2 and s[t] >= 0:
                if exited:
                    period[g, t - 1, 2] += w[i]
                    if s[t] >= 2:
                        period[g, t - 1, 1] += w[i]
                        comp[g, 0] += w[i]
                        comp[g, 1] += w[i] * ps.num[i, t]
                        for j in range(d):
                            now = (int(ps.pattern[i, t]) >> j) & 1
                            before = (int(ps.pattern[i, t - 1]) >> j) & 1
                            comp[g, 2 + j] += w[i] * (now and not before)
                            comp[g, 2 + d + j] += w[i] * now
                if not ever_poor:
                    period[g, t - 1, 4] += w[i]
                    if s[t] >= 2:
                        period[g, t - 1, 3] += w[i]
            if t in exit_at:
                period[g, t - 1, 0] += w[i]
            if any(x <= t for x in out_at) and s[t] >= 0:
                period[g, t - 1, 6] += w[i]
                if s[t] >= 2:
                    period[g, t - 1, 5] += w[i]
    return life, period, comp


def ratio(a, b):
    return np.array([x / y if y > 0 else np.nan for x, y in zip(a, b, strict=True)])


def check_against_reference(ds, life, period, comp, d, denom, se_ref):
    """Compare a result Dataset with the reference sums of one cell (or their total) and
    the reference linearised SEs ``se_ref`` (:func:`linearised_se`)."""
    T = life.shape[1]
    tot = life.sum(0)
    for name, src in (("", tot), ("_by_band", life)):
        n, dd, c = src[..., 1 : T - 1, 0], src[..., 1 : T - 1, 1], src[..., 1 : T - 1, 2]
        np.testing.assert_allclose(ds["at_risk" + name].values, n, rtol=0, atol=1e-12)
        np.testing.assert_allclose(ds["events" + name].values, dd, rtol=0, atol=1e-12)
        np.testing.assert_allclose(ds["censored" + name].values, c, rtol=0, atol=1e-12)
        rows = (
            [km_loops(n, dd)]
            if n.ndim == 1
            else [km_loops(a, b) for a, b in zip(n, dd, strict=True)]
        )
        h, s = (np.array([r[k] for r in rows]) for k in range(2))
        if n.ndim == 1:
            h, s = h[0], s[0]
        np.testing.assert_allclose(ds["hazard" + name].values, h, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ds["survival" + name].values, s, rtol=1e-12, atol=1e-12)
        # weighted data, several spells per unit: the linearised (unit-cluster) variance,
        # not Greenwood's with weighted counts (which scales with the weights)
        np.testing.assert_allclose(
            ds["survival" + name + "_se"].values, se_ref[name], rtol=1e-10, atol=1e-12
        )
        np.testing.assert_allclose(ds["cumulative_relapse" + name].values, 1 - s, atol=1e-12)
    np.testing.assert_allclose(ds["exits"].values, period[:, 0], atol=1e-12)
    rr = ratio(period[:, 1], period[:, 2])
    fe = ratio(period[:, 3], period[:, 4])
    sr = ratio(period[:, 5], period[:, 6])
    np.testing.assert_allclose(ds["relapse_rate"].values, rr, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ds["first_entry_rate"].values, fe, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ds["stock_ratio"].values, sr, rtol=1e-12, atol=1e-12)
    r = comp[0]
    mean = comp[1] / (denom * r) if r > 0 else np.nan
    np.testing.assert_allclose(float(ds["mean_score_at_reentry"]), mean, rtol=1e-12)
    np.testing.assert_allclose(
        ds["reentry_newly_deprived_share"].values, comp[2 : 2 + d] / r, rtol=1e-12
    )
    np.testing.assert_allclose(ds["reentry_deprived_share"].values, comp[2 + d :] / r, rtol=1e-12)


# --------------------------------------------------------------------------------------
# 1. hand-computed fixture (methods.md §3.4)

FIXTURE = np.array([[1, 0, 0, 1, 1], [1, 0, 0, 0, 0], [0, 1, 0, 1, 0]], float)


def test_km_fixture_status():
    ds = relapse(status_panel(FIXTURE), status="p").to_dataset()
    np.testing.assert_array_equal(ds["time_since_exit"].values, [1, 2, 3])
    np.testing.assert_array_equal(ds["at_risk"].values, [3, 2, 1])
    np.testing.assert_array_equal(ds["events"].values, [1, 1, 0])
    np.testing.assert_array_equal(ds["censored"].values, [0, 0, 1])
    np.testing.assert_allclose(ds["survival"].values, [2 / 3, 1 / 3, 1 / 3], rtol=0, atol=1e-15)
    assert abs(float(ds["cumulative_relapse"].sel(time_since_exit=2)) - 2 / 3) < 1e-15
    # Greenwood: S(1)^2 (1/(3*2)), S(2)^2 (1/6 + 1/(2*1))
    se = [np.sqrt((2 / 3) ** 2 / 6), np.sqrt((1 / 3) ** 2 * (1 / 6 + 1 / 2))]
    np.testing.assert_allclose(ds["survival_se"].values[:2], se, rtol=1e-14)
    assert int(ds["n_exits"]) == 4  # A, B, C twice (C's second exit has no follow-up)
    assert float(ds["exits_without_followup"]) == 1
    assert int(ds["n_reentries"]) == 2
    # period rates: wave 4: A and C re-enter among A, B, C; stock at 5: A poor of A, B, C
    np.testing.assert_allclose(ds["relapse_rate"].values, [np.nan, 0, 2 / 3, 0], atol=1e-15)
    np.testing.assert_allclose(ds["first_entry_rate"].values, [1, np.nan, np.nan, np.nan])
    np.testing.assert_allclose(ds["stock_ratio"].values, [0, 0, 2 / 3, 1 / 3], atol=1e-15)
    assert "hazard_by_band" not in ds and "mean_score_at_reentry" not in ds
    assert ds["survival"].attrs["units"] == "1" and "Kaplan" in ds["survival"].attrs["long_name"]


def test_km_fixture_spec_path():
    spec = mpi.Spec([mpi.Indicator("p", weight=1)], k=1, vulnerable="1/2", severe=1)
    panel = status_panel(FIXTURE)
    ds = relapse(panel, spec).to_dataset()
    np.testing.assert_allclose(ds["survival"].values, [2 / 3, 1 / 3, 1 / 3], atol=1e-15)
    np.testing.assert_allclose(ds["survival_by_band"].sel(band_at_exit="clean"), ds["survival"])
    assert np.isnan(ds["hazard_by_band"].sel(band_at_exit="vulnerable")).all()
    # both re-entries newly deprived in the one indicator; score 1 at re-entry
    assert float(ds["mean_score_at_reentry"]) == 1.0
    assert float(ds["reentry_newly_deprived_share"].sel(indicator="p")) == 1.0


# --------------------------------------------------------------------------------------
# 2. plain-numpy reference on random unbalanced panels, weights and groups


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reference_random_unbalanced(seed):
    rng = np.random.default_rng(seed)
    d = 4
    panel = random_panel(rng, n=400, waves=6, d=d, gap_rate=0.1, persistence=0.6)
    w = panel["w"].values.copy()
    w[rng.random(len(w)) < 0.05] = np.nan
    panel["w"] = ("unit", w)
    spec = random_spec(rng, d)
    ps = mpi.panel_states(panel, spec, weight="w", by="region")
    res = relapse(ps)
    life, period, comp = reference(ps, d)
    ds = res.to_dataset()
    se = linearised_se(ps)
    check_against_reference(ds, life.sum(0), period.sum(0), comp.sum(0), d, ps.denom, se)
    assert ds.attrs["n_dropped"] == int(np.isnan(w).sum())
    g = res.by_group()
    for c, lab in enumerate(g["region"].values):
        se = linearised_se(ps, c)
        check_against_reference(g.sel(region=lab), life[c], period[c], comp[c], d, ps.denom, se)


def test_vulnerable_band_reference():
    """A spec with a vulnerable band below k: the two bands split the exit spells."""
    rng = np.random.default_rng(7)
    d = 4
    panel = random_panel(rng, n=600, waves=6, d=d, gap_rate=0.05, persistence=0.5)
    from fractions import Fraction

    inds = [mpi.Indicator(f"i{j}", weight=Fraction(1, 4)) for j in range(d)]
    spec = mpi.Spec(inds, k="1/2", vulnerable="1/4", severe="3/4")
    ps = mpi.panel_states(panel, spec, weight="w")
    ds = relapse(ps).to_dataset()
    life, period, comp = reference(ps, d)
    assert life[0, 1, :, 0].sum() > 0 and life[0, 0, :, 0].sum() > 0
    check_against_reference(ds, life[0], period[0], comp[0], d, ps.denom, linearised_se(ps))
    np.testing.assert_allclose(ds["at_risk_by_band"].sum("band_at_exit"), ds["at_risk"])


# --------------------------------------------------------------------------------------
# 3. a well-kept survival library (statsmodels' Kaplan-Meier, unweighted)


@pytest.mark.parametrize("years", [None, [2010, 2011, 2013, 2014, 2016.5, 2017, 2020]])
def test_statsmodels_kaplan_meier_agreement(years):
    """Survival and Greenwood SE equal statsmodels' SurvfuncRight on the exit spells.

    (lifelines pins pandas < 3, so statsmodels, already a dependency, is the reference.)
    The linearised unit-cluster SE equals Greenwood's when every unit has at most one
    exit spell at risk, so the units with repeated spells (whose spells statsmodels would
    take as independent) are left out here; they are checked against the plain-Python
    linearisation in ``test_reference_random_unbalanced``.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    rng = np.random.default_rng(11)
    panel = random_panel(rng, n=800, waves=7 if years is None else years, gap_rate=0.08)
    spec = random_spec(rng, 4, k="1/3")
    ps = mpi.panel_states(panel, spec)
    per_unit = np.bincount([s[0] for s in exit_spells(ps.state) if s[3] > 0], minlength=800)
    assert (per_unit > 1).sum() > 10  # units with repeated spells are left out
    ps = mpi.panel_states(panel.isel(unit=per_unit <= 1), spec)
    ds = relapse(ps).to_dataset()
    spells = [s for s in exit_spells(ps.state, ps.layout.years) if s[3] > 0]
    if years is None:
        dur = np.array([s[3] for s in spells], float)
        surv, se, coord = ds["survival"], ds["survival_se"], "time_since_exit"
    else:
        dur = np.array([s[5] for s in spells])
        surv, se, coord = ds["survival_years"], ds["survival_years_se"], "years_since_exit"
    ev = np.array([s[4] for s in spells]).astype(int)
    km = SurvfuncRight(dur, ev)
    times = surv[coord].values
    ok = np.isfinite(surv.values)
    # step functions: value at t = the last event time <= t
    idx = np.searchsorted(km.surv_times, times[ok], side="right") - 1
    expected = np.where(idx >= 0, km.surv_prob[np.maximum(idx, 0)], 1.0)
    expected_se = np.where(idx >= 0, km.surv_prob_se[np.maximum(idx, 0)], 0.0)
    assert ok.sum() >= 3 and ev.sum() > 20
    np.testing.assert_allclose(surv.values[ok], expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(se.values[ok], expected_se, rtol=0, atol=1e-10)


def test_even_spacing_years_table_equals_waves_table():
    rng = np.random.default_rng(3)
    panel = random_panel(rng, n=300, waves=[2010, 2012, 2014, 2016, 2018, 2020], gap_rate=0.1)
    ds = relapse(panel, random_spec(rng, 4, k="1/3"), weight="w").to_dataset()
    np.testing.assert_allclose(ds["years_since_exit"].values, 2.0 * ds["time_since_exit"].values)
    for v in ("at_risk", "events", "hazard", "survival"):
        np.testing.assert_allclose(ds[f"{v}_years"].values, ds[v].values, rtol=1e-12)
    np.testing.assert_allclose(ds["survival_years_se"].values, ds["survival_se"].values, rtol=1e-12)
    np.testing.assert_allclose(ds["years"].values, 2.0 * ds["time_since_exit"].values)


# --------------------------------------------------------------------------------------
# 4. simulation with a known relapse hazard


def simulate(rng, n, T, lam, attrition, exit_p=0.4, entry_p=0.05):
    """Status panel: poor units exit w.p. exit_p; after an exit, every non-poor wave ends
    with a relapse w.p. lam; never-poor units enter w.p. entry_p; attrition drops a unit
    for good w.p. ``attrition`` per wave."""
    P = np.full((n, T), np.nan)
    poor = rng.random(n) < 0.5
    exited = np.zeros(n, bool)
    alive = np.ones(n, bool)
    P[:, 0] = poor
    for t in range(1, T):
        alive &= rng.random(n) >= attrition
        u = rng.random(n)
        new = np.where(poor, u >= exit_p, np.where(exited, u < lam, u < entry_p))
        exited |= poor & ~new
        poor = new
        P[:, t] = np.where(alive, poor, np.nan)
    return P


@pytest.mark.parametrize("lam", [0.1, 0.3])
@pytest.mark.parametrize("attrition", [0.0, 0.1])
def test_simulation_covers_true_hazard(lam, attrition):
    rng = np.random.default_rng(int(lam * 100) + int(attrition * 10))
    P = simulate(rng, 20_000, 8, lam, attrition)
    ds = relapse(status_panel(P), status="p").to_dataset()
    h, s, se = ds["hazard"].values, ds["survival"].values, ds["survival_se"].values
    # e = 1: Greenwood SE of S(1) is the binomial SE of lambda(1)
    assert abs(h[0] - lam) < 4 * se[0]
    # every e with enough spells: binomial SE of d/n
    n = ds["at_risk"].values
    for e in range(len(h)):
        if n[e] >= 500:
            sd = np.sqrt(lam * (1 - lam) / n[e])
            assert abs(h[e] - lam) < 4 * sd, (e, h[e], lam)
    # the survival curve follows (1 - lam)^e
    for e in range(3):
        assert abs(s[e] - (1 - lam) ** (e + 1)) < 4 * se[e]


def test_simulation_bootstrap_interval_and_greenwood():
    rng = np.random.default_rng(99)
    lam = 0.3
    P = simulate(rng, 20_000, 6, lam, 0.05)
    ds = relapse(status_panel(P), status="p", bootstrap=150, seed=5).to_dataset()
    for e in range(3):
        assert abs(ds["hazard"].values[e] - lam) < 4 * ds["hazard_se"].values[e]
        lo, hi = ds["hazard_lower"].values[e], ds["hazard_upper"].values[e]
        assert lo < ds["hazard"].values[e] < hi
        # bootstrap SE of S(e) close to Greenwood on unweighted data
        gw, bs = ds["survival_se"].values[e], ds["survival_bse"].values[e]
        assert abs(bs / gw - 1) < 0.2, (e, bs, gw)
    np.testing.assert_allclose(ds["cumulative_relapse_se"], ds["survival_bse"], rtol=1e-12)
    for v in ("relapse_rate_se", "stock_ratio_upper", "hazard_years_se", "survival_years_bse"):
        assert v in ds
    assert ds.attrs["bootstrap"] == 150


def test_bootstrap_seeded_and_grouped():
    rng = np.random.default_rng(4)
    panel = random_panel(rng, n=500, waves=6, gap_rate=0.05)
    spec = random_spec(rng, 4, k="1/3")
    a = relapse(panel, spec, weight="w", by="region", bootstrap=20, seed=3)
    b = relapse(panel, spec, weight="w", by="region", bootstrap=20, seed=3)
    c = relapse(panel, spec, weight="w", by="region", bootstrap=20, seed=4)
    xr.testing.assert_identical(a.to_dataset(), b.to_dataset())
    assert not np.allclose(a["hazard_se"].values, c["hazard_se"].values, equal_nan=True)
    g = a.by_group()
    assert g["hazard_se"].dims == ("region", "time_since_exit")
    assert g["reentry_deprived_share_lower"].dims == ("region", "indicator")
    # no bootstrap: the point estimates are the same
    ds0 = relapse(panel, spec, weight="w").to_dataset()
    np.testing.assert_allclose(ds0["hazard"].values, a["hazard"].values, rtol=1e-13)


# --------------------------------------------------------------------------------------
# 5. chunk additivity, status path, registry panel


def test_chunk_additivity():
    rng = np.random.default_rng(5)
    panel = random_panel(rng, n=700, waves=6, gap_rate=0.1)
    ps = mpi.panel_states(panel, random_spec(rng, 4), weight="w", by="region")
    args = (ps.state, ps.num, ps.pattern, ps.weight, ps.cell)
    whole = krl.relapse_sums(*args, ps.n_cells, 4, True, 3)
    cut = 311
    halves = [
        krl.relapse_sums(*(a[sl] for a in args), ps.n_cells, 4, True, k)
        for sl, k in ((slice(0, cut), 2), (slice(cut, None), 1))
    ]
    for x, y, z in zip(whole, *halves, strict=True):
        np.testing.assert_allclose(x, y + z, rtol=1e-13, atol=1e-12)
    # the number of chunks does not matter
    one = krl.relapse_sums(*args, ps.n_cells, 4, True, 1)
    for x, y in zip(whole, one, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-13, atol=1e-12)


def test_status_path_equals_spec_path():
    rng = np.random.default_rng(6)
    panel = random_panel(rng, n=500, waves=7, gap_rate=0.1)
    spec = random_spec(rng, 4, k="1/3")
    ps = mpi.panel_states(panel, spec, weight="w", by="region")
    flag = np.where(ps.state < 0, np.nan, (ps.state >= 2).astype(float))
    panel2 = panel.assign(af_poor=(("unit", "time"), flag))
    a = relapse(ps).to_dataset()
    b = relapse(panel2, status="af_poor", weight="w", by="region")
    bd = b.to_dataset()
    shared = [v for v in bd.data_vars if v in a.data_vars]
    assert len(shared) > 30
    xr.testing.assert_allclose(a[shared], bd[shared], rtol=1e-14)
    xr.testing.assert_allclose(relapse(ps).by_group()[shared], b.by_group()[shared], rtol=1e-14)
    # a boolean status gives the same (no unobserved waves then)
    full = mpi.panel_states(random_panel(rng, n=200, waves=5), spec)
    panel3 = xr.Dataset(
        {"b": (("unit", "time"), full.state >= 2)},
        coords={"unit": full.layout.units, "time": full.layout.times},
    )
    xr.testing.assert_allclose(
        relapse(full).to_dataset()[["hazard", "relapse_rate"]],
        relapse(panel3, status="b").to_dataset()[["hazard", "relapse_rate"]],
    )


def test_registry_latent_poor(registry_panel):
    res = relapse(registry_panel, status="latent_poor", weight="weight", by="county")
    ds = res.to_dataset()
    assert 0.1 < float(ds["hazard"].sel(time_since_exit=1)) < 0.4
    assert (ds["hazard"].dropna("time_since_exit") < 0.4).all()
    assert int(ds["n_exits"]) > 100
    assert res.by_group()["hazard"].dims == ("county", "time_since_exit")
    assert "Life table" in res.summary() and "n_exits" in repr(res)


def test_registry_spec(registry_panel):
    res = relapse(registry_panel, mpi.presets.china_2b3g(), weight="weight", by="labour_capacity")
    ds = res.to_dataset()
    # china_2b3g: vulnerable == k, so the vulnerable band at exit is empty
    assert float(ds["at_risk_by_band"].sel(band_at_exit="vulnerable").sum()) == 0
    share = ds["reentry_deprived_share"].values
    assert ((share >= 0) & (share <= 1)).all()
    assert (ds["reentry_newly_deprived_share"] <= ds["reentry_deprived_share"] + 1e-15).all()
    assert 0 < float(ds["mean_score_at_reentry"]) <= 1
    assert set(res.to_frame()["measure"]) >= {"hazard", "relapse_rate"}
    assert res.composition_table().shape == (7, 2)


# --------------------------------------------------------------------------------------
# 6. identities (hypothesis)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    waves=st.integers(2, 7),
    gap=st.sampled_from([0.0, 0.1, 0.3]),
)
def test_identities(seed, waves, gap):
    rng = np.random.default_rng(seed)
    panel = random_panel(rng, n=60, waves=waves, gap_rate=gap, persistence=0.5)
    ps = mpi.panel_states(panel, random_spec(rng, 4), weight="w")
    ds = relapse(ps).to_dataset()
    n, d, c = ds["at_risk"].values, ds["events"].values, ds["censored"].values
    # at risk at e = spells ending (event or censoring) at e or later
    np.testing.assert_allclose(n, np.cumsum((d + c)[::-1])[::-1], atol=1e-12)
    np.testing.assert_allclose(ds["cumulative_relapse"], 1 - ds["survival"], atol=1e-15)
    # every exit spell ends exactly once
    total = d.sum() + c.sum() + float(ds["exits_without_followup"])
    np.testing.assert_allclose(total, float(ds["weighted_exits"]), rtol=1e-12)
    # every life-table event is a re-entry; survival is non-increasing
    assert d.sum() <= float(ds["weighted_reentries"]) + 1e-9
    s = ds["survival"].values
    s = s[np.isfinite(s)]
    assert (np.diff(s) <= 1e-15).all()
    np.testing.assert_allclose(ds["reentries"].sum(), ds["weighted_reentries"], rtol=1e-12)


# --------------------------------------------------------------------------------------
# 7. bad inputs, input not mutated


def test_bad_inputs(registry_panel):
    spec = mpi.presets.china_2b3g()
    with pytest.raises(ValidationError, match="leave out spec"):
        relapse(registry_panel, spec, status="latent_poor")
    with pytest.raises(ValidationError, match="bootstrap"):
        relapse(registry_panel, status="latent_poor", bootstrap=1)
    with pytest.raises(ValidationError, match="bootstrap"):
        relapse(registry_panel, status="latent_poor", bootstrap=True)
    with pytest.raises(ValidationError, match="seed"):
        relapse(registry_panel, status="latent_poor", bootstrap=5, seed="x")
    with pytest.raises(DataError, match="not in the panel"):
        relapse(registry_panel, status="no_such_var")
    with pytest.raises(DataError, match="dims"):
        relapse(registry_panel, status="weight")
    with pytest.raises(DataError, match="must be boolean or numeric"):
        relapse(registry_panel, status="housing_grade")
    bad = registry_panel.assign(s=registry_panel["latent_poor"] * 2)
    with pytest.raises(DataError, match="found the value 2"):
        relapse(bad, status="s")
    with pytest.raises(ValidationError, match="spec must be an mpi.Spec"):
        relapse(registry_panel)
    states = mpi.panel_states(registry_panel, spec)
    with pytest.raises(ValidationError, match="not PanelStates"):
        relapse(states, status="latent_poor")
    with pytest.raises(ValidationError, match="clash"):
        relapse(registry_panel.rename(county="indicator"), spec, by="indicator")
    nw = registry_panel.assign(weight=registry_panel["weight"] * np.nan)
    with pytest.raises(DataError, match="missing"):
        relapse(nw, status="latent_poor", weight="weight")
    with pytest.raises(DataError, match="at least 2"):
        relapse(registry_panel.isel(time=[0]), status="latent_poor")
    with pytest.raises(ValidationError, match="by_group"):
        relapse(registry_panel, status="latent_poor").by_group()


def test_input_not_mutated():
    rng = np.random.default_rng(8)
    panel = random_panel(rng, n=200, waves=5, gap_rate=0.1)
    spec = random_spec(rng, 4)
    ps = mpi.panel_states(panel, spec, weight="w", by="region")
    panel["flag"] = (("unit", "time"), np.where(ps.state < 0, np.nan, ps.state >= 2))
    before = panel.copy(deep=True)
    state = ps.state.copy()
    relapse(panel, spec, weight="w", by="region", bootstrap=3, seed=1)
    relapse(panel, status="flag", weight="w", bootstrap=3, seed=1)
    relapse(ps)
    xr.testing.assert_identical(panel, before)
    np.testing.assert_array_equal(ps.state, state)
