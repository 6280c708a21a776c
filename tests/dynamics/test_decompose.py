"""Tests of mpi.decompose: entries / exits / stayers decomposition of poverty change."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from panel_data import random_panel, random_spec

import mpi
from mpi.dynamics.decompose import decompose_change, decomposition_statistics
from mpi.dynamics.states import panel_states
from mpi.errors import DataError, ValidationError
from mpi.kernels import decompose as kd

TOL = 1e-12
TERMS = ("delta_M0", "entry", "reentry", "first_entry", "exit", "stayers")
SCALARS = TERMS + (
    "delta_H", "H1", "H2", "M0_1", "M0_2", "H_entry", "H_reentry", "H_first_entry", "H_exit",
)  # fmt: skip
IND_TERMS = ("delta_h", "entry_h", "reentry_h", "first_entry_h", "exit_h", "stayers_h")


def close(a, b, tol=TOL):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=0, atol=tol)


# --------------------------------------------------------------------------------------
# hand-computed fixture: 2 indicators of weight 1/2, k = 1/2 (poor <=> any deprivation)
# --------------------------------------------------------------------------------------
def hand_panel() -> tuple[xr.Dataset, mpi.Spec]:
    # deprivations (i0, i1) per unit and wave 2010, 2011, 2012
    g = np.array(
        [
            [(1, 0), (0, 0), (1, 1)],  # u0: P N P  -> re-entrant in 2011->2012
            [(0, 0), (0, 0), (1, 0)],  # u1: N N P  -> first-time entrant
            [(1, 1), (1, 1), (1, 0)],  # u2: P P P  -> ongoing poor
            [(0, 0), (0, 1), (0, 0)],  # u3: N P N  -> exiter
            [(0, 0), (0, 0), (0, 0)],  # u4: never poor
            [(np.nan, 0), (1, 0), (1, 0)],  # u5: gap in 2010 -> dropped when balanced
        ],
        dtype=float,
    )
    ds = xr.Dataset(
        {
            "a": (("unit", "time"), g[:, :, 0]),
            "b": (("unit", "time"), g[:, :, 1]),
            "w": ("unit", [1.0, 2.0, 1.0, 1.0, 1.0, 1.0]),
            "flag": ("unit", [False, True, False, False, False, False]),
            "region": ("unit", ["x", "x", "y", "y", "x", "y"]),
        },
        coords={"unit": list("ABCDEF"), "time": [2010, 2011, 2012]},
    )
    half = Fraction(1, 2)
    spec = mpi.Spec(
        [
            mpi.Indicator("a", weight=half, dimension="d1"),
            mpi.Indicator("b", weight=half, dimension="d2"),
        ],
        k=half,
        name="hand",
    )
    return ds, spec


def test_hand_fixture_balanced():
    panel, spec = hand_panel()
    res = decompose_change(panel, spec, start=2011, end=2012, weight="w")
    ds = res.to_dataset()
    expected = {
        "H1": 1 / 3, "H2": 2 / 3, "delta_H": 1 / 3, "M0_1": 1.5 / 6, "M0_2": 2.5 / 6,
        "delta_M0": 1 / 6, "entry": 2 / 6, "reentry": 1 / 6, "first_entry": 1 / 6,
        "exit": 0.5 / 6, "stayers": -0.5 / 6, "P_e": 3 / 4, "P_x": 1 / 2,
        "H_entry": 3 / 6, "H_reentry": 1 / 6, "H_first_entry": 2 / 6, "H_exit": 1 / 6,
        "A1": 0.75, "A2": 0.625, "delta_A": -0.125, "intensity_stayers": -0.125,
        "intensity_composition": -0.25, "intensity_entry": 0.5, "intensity_exit": 0.25,
        "mean_score_reentry": 1.0, "mean_score_first_entry": 0.5,
    }  # fmt: skip
    for name, value in expected.items():
        close(ds[name], value)
    close(ds.share, [1 / 6, 1 / 6, 3 / 6, 1 / 6])
    close(ds.mean_score_t1, [1.0, 0.5, 0.0, 0.0])
    close(ds.mean_score_t2, [0.5, 0.0, 2 / 3, 0.0])
    assert ds.n_obs.values.tolist() == [1, 1, 2, 1]
    close(ds.h_1, [1 / 6, 2 / 6])
    close(ds.h_2, [4 / 6, 1 / 6])
    close(ds.entry_h, [3 / 6, 1 / 6])
    close(ds.reentry_h, [1 / 6, 1 / 6])
    close(ds.first_entry_h, [2 / 6, 0])
    close(ds.exit_h, [0, 1 / 6])
    close(ds.stayers_h, [0, -1 / 6])
    close(ds.delta_h, [3 / 6, -1 / 6])
    assert ds.attrs["n_used"] == 5 and ds.attrs["n_dropped"] == 1
    assert ds.attrs["n_unbalanced"] == 1 and ds.attrs["balance"] == "balanced"
    assert int(ds.n_used) == 5
    assert ds.start.item() == 2011 and ds.end.item() == 2012
    assert ds.share.attrs["units"] == "1" and "long_name" in ds.entry.attrs


def test_hand_fixture_pairs_history_and_chain():
    panel, spec = hand_panel()
    ds = decompose_change(
        panel, spec, start=2011, end=2012, weight="w", balance="pairs"
    ).to_dataset()
    # u5 (poor in 2011 and 2012, score 1/2 both) joins as an ongoing poor: S = 7
    close(ds.H1, 3 / 7)
    close(ds.M0_1, 2 / 7)
    close(ds.stayers, -0.5 / 7)
    close(ds.entry, 2 / 7)
    assert int(ds.n_used) == 6 and ds.attrs["n_dropped"] == 0
    # the registry flag turns u1 into a re-entrant
    ds = decompose_change(
        panel, spec, start=2011, end=2012, weight="w", history="flag"
    ).to_dataset()
    close(ds.reentry, 2 / 6)
    close(ds.first_entry, 0.0)
    close(ds.H_reentry, 3 / 6)
    # chained, balanced: 2010->2011 has u0 exiting, u3 entering for the first time
    ds = decompose_change(panel, spec, weight="w", chained=True).to_dataset()
    assert ds.time.values.tolist() == [2011, 2012]
    assert ds.start.values.tolist() == [2010, 2011]
    close(ds.exit.sel(time=2011), 0.5 / 6)
    close(ds.first_entry.sel(time=2011), 0.5 / 6)
    close(ds.reentry.sel(time=2011), 0.0)
    close(ds.stayers.sel(time=2011), 0.0)
    close(ds.delta_M0.sum(), decompose_change(panel, spec, weight="w").to_dataset().delta_M0)


def test_hand_fixture_by():
    panel, spec = hand_panel()
    res = decompose_change(panel, spec, start=2011, end=2012, weight="w", by="region")
    ds = res.to_dataset()
    assert ds.region.values.tolist() == ["x", "y"]
    # x: u0 (re-entrant), u1 (new, w=2), u4 (NN); y: u2 (PP), u3 (PN); u5 dropped
    close(ds.population_share, [4 / 6, 2 / 6])
    close(ds.entry.sel(region="x"), 2 / 4)
    close(ds.exit.sel(region="y"), 0.25)
    close(ds.stayers.sel(region="y"), -0.25)
    close(res.overall.to_dataset().delta_M0, 1 / 6)
    assert "Change decomposition" in res.summary()
    assert "region" in repr(res)


# --------------------------------------------------------------------------------------
# independent plain-numpy reference
# --------------------------------------------------------------------------------------
def reference(panel, spec, *, start_i, end_i, chained, balance, weight, history=None, cells=None):
    """Terms per pair (list of dicts) from the raw indicator values, with loops over pairs."""
    names = [ind.variable for ind in spec]
    g = np.stack([panel[v].transpose("unit", "time").values for v in names], -1)  # N, T, d
    N, T, d = g.shape
    w_frac = [ind.weight for ind in spec]
    wj = np.array([float(x) for x in w_frac])
    observed = ~np.isnan(g).any(-1)
    gz = np.nan_to_num(g)
    score = gz @ wj
    poor = np.zeros((N, T), bool)
    for i in range(N):
        for t in range(T):
            if observed[i, t]:
                exact = sum((f for f, x in zip(w_frac, gz[i, t], strict=True) if x), Fraction(0))
                poor[i, t] = exact >= spec.k
    s = panel[weight].values.astype(float) if weight else np.ones(N)
    ok = np.isfinite(s)
    if balance == "balanced":
        ok &= observed.all(1)
    if cells is not None:
        ok &= cells
    hist = np.zeros(N, bool) if history is None else np.asarray(history, bool)
    pairs = [(t, t + 1) for t in range(start_i, end_i)] if chained else [(start_i, end_i)]
    out = []
    for a, b in pairs:
        m = ok & observed[:, a] & observed[:, b]
        sw = s[m]
        S = sw.sum()
        pa, pb, ca, cb = poor[m, a], poor[m, b], score[m, a], score[m, b]
        earlier = poor[m, :a].any(1) & observed[m, :a].any(1)
        grp = {
            "PP": pa & pb,
            "PN": pa & ~pb,
            "NP": ~pa & pb,
            "NN": ~pa & ~pb,
        }
        re = grp["NP"] & (earlier | hist[m])
        new = grp["NP"] & ~re

        def tot(mask, x, sw=sw, S=S):
            return float((sw * x * mask).sum()) / S

        r = {
            "H1": tot(pa, 1.0),
            "H2": tot(pb, 1.0),
            "M0_1": tot(pa, ca),
            "M0_2": tot(pb, cb),
            "entry": tot(grp["NP"], cb),
            "reentry": tot(re, cb),
            "first_entry": tot(new, cb),
            "exit": tot(grp["PN"], ca),
            "stayers": tot(grp["PP"], cb - ca),
            "H_entry": tot(grp["NP"], 1.0),
            "H_reentry": tot(re, 1.0),
            "H_first_entry": tot(new, 1.0),
            "H_exit": tot(grp["PN"], 1.0),
            "share": [tot(grp[k], 1.0) for k in ("PP", "PN", "NP", "NN")],
            "n_used": int(m.sum()),
        }
        r["delta_H"] = r["H2"] - r["H1"]
        r["delta_M0"] = r["M0_2"] - r["M0_1"]
        ga, gb = gz[m, a], gz[m, b]
        r["h_1"] = [tot(pa, ga[:, j]) for j in range(d)]
        r["h_2"] = [tot(pb, gb[:, j]) for j in range(d)]
        r["entry_h"] = [tot(grp["NP"], gb[:, j]) for j in range(d)]
        r["reentry_h"] = [tot(re, gb[:, j]) for j in range(d)]
        r["first_entry_h"] = [tot(new, gb[:, j]) for j in range(d)]
        r["exit_h"] = [tot(grp["PN"], ga[:, j]) for j in range(d)]
        r["stayers_h"] = [tot(grp["PP"], gb[:, j] - ga[:, j]) for j in range(d)]
        out.append(r)
    return out


def _compare(ds, ref, chained, dim="time"):
    for p, r in enumerate(ref):
        sel = ds.isel({dim: p}) if chained else ds
        for name, value in r.items():
            if name == "n_used":
                assert int(sel[name]) == value
            else:
                close(sel[name], value)


@pytest.mark.parametrize("balance", ["balanced", "pairs"])
@pytest.mark.parametrize("chained", [False, True])
def test_reference_random_unbalanced(balance, chained):
    rng = np.random.default_rng(7 + chained + 2 * (balance == "pairs"))
    years = [2010, 2011.5, 2013, 2016, 2017]
    panel = random_panel(rng, n=400, waves=years, d=5, gap_rate=0.15)
    spec = random_spec(rng, 5)
    hist = rng.random(400) < 0.2
    panel["hist"] = ("unit", hist)
    res = decompose_change(
        panel, spec, weight="w", by="region", chained=chained, balance=balance, history="hist",
        start=2011.5, end=2017,
    )  # fmt: skip
    ref = reference(
        panel, spec, start_i=1, end_i=4, chained=chained, balance=balance, weight="w", history=hist
    )
    _compare(res.overall.to_dataset(), ref, chained)
    ds = res.to_dataset()
    for r in sorted(np.unique(panel.region.values)):
        cells = panel.region.values == r
        ref_g = reference(
            panel, spec, start_i=1, end_i=4, chained=chained, balance=balance, weight="w",
            history=hist, cells=cells,
        )  # fmt: skip
        _compare(ds.sel(region=r), ref_g, chained)


def test_nan_weight_dropped_and_counted():
    rng = np.random.default_rng(3)
    panel = random_panel(rng, n=120, waves=4, d=3, gap_rate=0.1)
    spec = random_spec(rng, 3)
    w = panel.w.values.copy()
    w[[0, 5, 9]] = np.nan
    panel["w"] = ("unit", w)
    ds = decompose_change(panel, spec, weight="w", balance="pairs").to_dataset()
    assert ds.attrs["n_no_weight"] == 3
    assert ds.attrs["n_used"] + ds.attrs["n_dropped"] == 120
    ref = reference(panel, spec, start_i=0, end_i=3, chained=False, balance="pairs", weight="w")
    _compare(ds, ref, False)
    # without weight: every unit counts once
    ds1 = decompose_change(panel, spec, balance="pairs").to_dataset()
    ref1 = reference(panel, spec, start_i=0, end_i=3, chained=False, balance="pairs", weight=None)
    _compare(ds1, ref1, False)
    assert ds1.attrs["n_no_weight"] == 0


def test_equals_measure_on_each_wave():
    rng = np.random.default_rng(11)
    panel = random_panel(rng, n=300, waves=4, d=4, gap_rate=0.1)
    spec = random_spec(rng, 4)
    for balance in ("balanced", "pairs"):
        ds = decompose_change(panel, spec, weight="w", chained=True, balance=balance).to_dataset()
        # observed unit-waves (unit x time)
        obs = np.stack([~np.isnan(panel[f"i{j}"].values) for j in range(4)], -1).all(-1)
        for p, y2 in enumerate(ds.time.values):
            y1 = ds.start.values[p]
            t1, t2 = int(np.flatnonzero(panel.time.values == y1)[0]), p + 1
            mask = obs[:, t1] & obs[:, t2]
            if balance == "balanced":
                mask &= obs.all(1)
            for y, suffix in ((y1, "1"), (y2, "2")):
                m = mpi.measure(panel.sel(time=y).isel(unit=mask), spec, weight="w").to_dataset()
                pair = ds.isel(time=p)
                close(pair[f"H{suffix}"], m.H)
                close(pair[f"M0_{suffix}"], m.M0)
                close(pair[f"h_{suffix}"], m.censored_headcount.values)


# --------------------------------------------------------------------------------------
# identities (hypothesis)
# --------------------------------------------------------------------------------------
def check_identities(ds):
    close(ds.delta_H, ds.H_entry - ds.H_exit)
    close(ds.H_entry, ds.H_reentry + ds.H_first_entry)
    pe, px, h1 = ds.P_e.fillna(0), ds.P_x.fillna(0), ds.H1
    close(ds.delta_H, (1 - h1) * pe - h1 * px)
    close(ds.delta_M0, ds.entry - ds.exit + ds.stayers)
    close(ds.entry, ds.reentry + ds.first_entry)
    close(ds.share.sum("group"), 1.0)
    close(ds.share.sel(group="NP"), ds.H_entry)
    close(ds.H1, ds.share.sel(group=["PP", "PN"]).sum("group"))
    close(ds.delta_h, ds.entry_h - ds.exit_h + ds.stayers_h)
    close(ds.entry_h, ds.reentry_h + ds.first_entry_h)
    w = ds.indicator_weight
    close((w * ds.delta_h).sum("indicator"), ds.delta_M0)
    for t in ("entry", "reentry", "first_entry", "exit", "stayers"):
        close((w * ds[f"{t}_h"]).sum("indicator"), ds[t])
    defined = np.isfinite(ds.A1) & np.isfinite(ds.A2)
    parts = ds.intensity_stayers + ds.intensity_composition + ds.intensity_entry - ds.intensity_exit
    close(parts.where(defined, 0), ds.delta_A.where(defined, 0), 1e-11)
    close(ds.delta_A.where(defined, 0), (ds.A2 - ds.A1).where(defined, 0))
    # the group-mean form of the M0 terms (empty groups contribute 0)
    a = ds.mean_score_t2.sel(group="NP").fillna(0)
    close(ds.entry, ds.share.sel(group="NP") * a)
    b = ds.mean_score_t1.sel(group="PN").fillna(0)
    close(ds.exit, ds.share.sel(group="PN") * b)
    pp = ds.share.sel(group="PP")
    dA = (ds.mean_score_t2 - ds.mean_score_t1).sel(group="PP").fillna(0)
    close(ds.stayers, pp * dA)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 120),
    waves=st.integers(2, 6),
    d=st.integers(1, 6),
    gap=st.sampled_from([0.0, 0.1, 0.3]),
    balance=st.sampled_from(["balanced", "pairs"]),
    chained=st.booleans(),
    by=st.booleans(),
)
def test_identities_property(seed, n, waves, d, gap, balance, chained, by):
    rng = np.random.default_rng(seed)
    panel = random_panel(rng, n=n, waves=waves, d=d, gap_rate=gap, n_groups=3)
    spec = random_spec(rng, d)
    res = decompose_change(
        panel, spec, weight="w", chained=chained, balance=balance, by="region" if by else None
    )
    ov = res.overall.to_dataset()
    if int(ov.n_used.min()) == 0:
        assert bool(ov.delta_M0.isnull().any())
        return
    check_identities(ov)
    assert ov.attrs["n_used"] + ov.attrs["n_dropped"] == n
    if chained and balance == "balanced":
        total = decompose_change(panel, spec, weight="w").to_dataset()
        close(ov.delta_M0.sum("time"), total.delta_M0)
        close(ov.delta_H.sum("time"), total.delta_H)
        close(ov.H1.isel(time=0), total.H1)
        close(ov.M0_2.isel(time=-1), total.M0_2)
    if by:
        ds = res.to_dataset()
        v = ds.population_share
        close(v.sum("region"), 1.0)  # every unit has a known group
        names = (*TERMS, "delta_H", "H1", "M0_2", "H_exit", "entry_h", "stayers_h", "share")
        for name in names:
            close((v * ds[name].fillna(0)).sum("region"), ov[name])
        # an empty group has NaN terms, a non-empty one satisfies the identities
        present = ds.n_used > 0
        if bool(present.all()):
            check_identities(ds)


# --------------------------------------------------------------------------------------
# kernel: chunk additivity and chunk count invariance
# --------------------------------------------------------------------------------------
def _halves(states, cut):
    from dataclasses import replace

    parts = []
    for sl in (slice(0, cut), slice(cut, None)):
        groups = states.groups
        g2 = replace(groups, codes=np.asarray(groups.codes)[sl])
        lay = replace(states.layout, units=states.layout.units[sl])
        parts.append(
            replace(
                states,
                layout=lay,
                num=states.num[sl],
                pattern=states.pattern[sl],
                state=states.state[sl],
                weight=states.weight[sl],
                groups=g2,
            )  # fmt: skip
        )
    return parts


@pytest.mark.parametrize("balance", ["balanced", "pairs"])
def test_chunk_additivity(balance):
    rng = np.random.default_rng(5)
    panel = random_panel(rng, n=3000, waves=5, d=6, gap_rate=0.1)
    spec = random_spec(rng, 6)
    states = panel_states(panel, spec, weight="w", by="region")
    t1, t2 = np.arange(4), np.arange(1, 5)
    hist = (rng.random(3000) < 0.1).astype(np.uint8)
    whole = decomposition_statistics(states, t1, t2, balance=balance, history=hist)
    a, b = _halves(states, 1234)
    sa = decomposition_statistics(a, t1, t2, balance=balance, history=hist[:1234])
    sb = decomposition_statistics(b, t1, t2, balance=balance, history=hist[1234:])
    np.testing.assert_allclose(sa[0] + sb[0], whole[0], rtol=1e-13, atol=1e-12)
    assert (sa[1] + sb[1] == whole[1]).all()
    assert (sa[2] + sb[2] == whole[2]).all()
    assert whole[1].sum() > 0 and whole[0][..., kd.SUMW].sum() > 0
    # the number of parallel chunks does not matter
    args = (
        states.state, states.num, states.pattern, states.weight, states.cell, hist,
        t1.astype(np.int64), t2.astype(np.int64), balance == "balanced", states.n_cells, 6,
    )  # fmt: skip
    one = kd.decompose_statistics(*args, 1)
    seven = kd.decompose_statistics(*args, 7)
    np.testing.assert_allclose(one[0], seven[0], rtol=1e-13, atol=1e-12)
    assert (one[1] == seven[1]).all() and (one[2] == seven[2]).all()
    assert one[0].shape == (states.n_cells, 4, kd.N_GROUPS, kd.n_stats(6))


# --------------------------------------------------------------------------------------
# real-ish data, inputs, errors
# --------------------------------------------------------------------------------------
def test_registry_panel():
    panel = mpi.datasets.load("registry_panel", format="xarray")
    spec = mpi.presets.china_2b3g()
    before = panel.copy(deep=True)
    res = decompose_change(panel, spec, weight="weight", by="labour_capacity", chained=True)
    assert panel.identical(before)
    ov = res.overall.to_dataset()
    check_identities(ov)
    assert ov.sizes["time"] == 7
    assert float(ov.reentry.sum()) > 0  # the synthetic registry has relapses
    total = decompose_change(panel, spec, weight="weight").to_dataset()
    close(ov.delta_M0.sum("time"), total.delta_M0)
    assert "All units" in res.summary()
    assert "<div>" in res._repr_html_()
    frame = res.to_frame()
    assert {"measure", "estimate", "time"} <= set(frame.columns)


def test_input_not_mutated():
    panel, spec = hand_panel()
    before = panel.copy(deep=True)
    decompose_change(
        panel, spec, weight="w", by="region", history="flag", chained=True, balance="pairs"
    )
    assert panel.identical(before)


def test_history_integer_flags_equal_boolean():
    panel, spec = hand_panel()
    a = decompose_change(panel, spec, start=2011, weight="w", history="flag").to_dataset()
    panel["flag01"] = ("unit", panel.flag.values.astype(int))
    b = decompose_change(panel, spec, start=2011, weight="w", history="flag01").to_dataset()
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"start": 2009}, ValidationError, "start=2009 is not a wave"),
        ({"end": "x"}, ValidationError, "end must be a wave's year"),
        ({"start": 2012, "end": 2011}, ValidationError, "earlier wave than end"),
        ({"start": 2011, "end": 2011}, ValidationError, "earlier wave than end"),
        ({"balance": "observed"}, ValidationError, "balance must be one of"),
        ({"chained": "yes"}, ValidationError, "chained must be True or False"),
        ({"history": "nope"}, DataError, "history variable 'nope' is not in the panel"),
        ({"history": "half"}, DataError, "must be boolean"),
        ({"history": "label"}, DataError, "must be boolean"),
        ({"history": "a"}, DataError, "must be fixed over time"),
        ({"by": "group"}, ValidationError, "clash"),
        ({"weight": "missing"}, DataError, "not in the panel"),
    ],
)
def test_bad_inputs(kwargs, err, match):
    panel, spec = hand_panel()
    panel["half"] = ("unit", [0, 0.5, 1, 0, 0, 0])
    panel["label"] = ("unit", list("abcdef"))
    panel["group"] = ("unit", [0, 1, 0, 1, 0, 1])
    with pytest.raises(err, match=match):
        decompose_change(panel, spec, **kwargs)


def test_bad_panel_and_spec():
    panel, spec = hand_panel()
    with pytest.raises(DataError):
        decompose_change(panel.isel(time=[0]), spec)
    with pytest.raises(ValidationError, match="spec must be"):
        decompose_change(panel, "spec")
    with pytest.raises(DataError, match="DataFrame"):
        decompose_change(panel.to_dataframe(), spec)
