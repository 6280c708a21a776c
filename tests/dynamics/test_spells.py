"""Spells and Bane-Ellwood durations (methods.md §3.2-3.4): fixtures, reference, identities."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from panel_data import random_panel, random_spec

import mpi
from mpi.dynamics.spells import spells
from mpi.dynamics.states import panel_states
from mpi.errors import DataError, ValidationError
from mpi.kernels import transitions as ktr

TOL = 1e-12
ONE = mpi.Spec([mpi.Indicator("a", weight=Fraction(1))], k=Fraction(1), name="one")


def fixture_panel() -> xr.Dataset:
    nan = np.nan
    a = np.array([[1, 1, 0, 0], [0, 1, 1, nan], [0, 0, 0, 1], [1, 0, 1, 1]], float)
    return xr.Dataset(
        {
            "a": (("unit", "time"), a),
            "w": ("unit", [1.0, 2.0, 1.0, 3.0]),
            "g": ("unit", ["x", "x", "y", "y"]),
        },
        coords={"unit": ["u1", "u2", "u3", "u4"], "time": [2010, 2011, 2013, 2016]},
    )


def test_fixture_table_exact():
    res = spells(fixture_panel(), ONE, weight="w", by="g")
    tab = res.table()
    expected = pd.DataFrame(
        {
            "unit": ["u1", "u1", "u2", "u2", "u3", "u3", "u4", "u4", "u4"],
            "spell": [0, 1, 0, 1, 0, 1, 0, 1, 2],
            "state": [
                "poor",
                "nonpoor",
                "nonpoor",
                "poor",
                "nonpoor",
                "poor",
                "poor",
                "nonpoor",
                "poor",
            ],
            "start": [2010, 2013, 2010, 2011, 2010, 2016, 2010, 2011, 2013],
            "end": [2011, 2016, 2010, 2013, 2013, 2016, 2010, 2011, 2016],
            "length": [2, 2, 1, 2, 3, 1, 1, 1, 2],
            "duration_years": [1.0, 3, 0, 2, 3, 0, 0, 0, 3],
            "length_years": [3.0, nan_(), 1, nan_(), 6, nan_(), 1, 2, nan_()],
            "left_censored": [True, False, True, False, True, False, True, False, False],
            "right_censored": [False, True, False, True, False, True, False, False, True],
            "weight": [1.0, 1, 2, 2, 1, 1, 3, 3, 3],
            "g": ["x", "x", "x", "x", "y", "y", "y", "y", "y"],
        }
    )
    got = tab.assign(state=tab["state"].astype(str), g=tab["g"].astype(str))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert isinstance(tab["state"].dtype, pd.CategoricalDtype)
    assert isinstance(tab["g"].dtype, pd.CategoricalDtype)  # group columns are categorical
    ds = res.to_dataset()
    # poverty spells begun in the panel: u2 (w2, L2, RC), u3 (w1, L1, RC), u4 (w3, L2, RC)
    np.testing.assert_allclose(ds["at_risk"].sel(state="poor").values[:1], [5.0])
    assert float(ds["exit_hazard"].sel(duration=1)) == 0.0
    assert np.isnan(ds["exit_hazard"].sel(duration=2))
    assert float(ds["restricted_mean_length"].sel(state="poor")) == 1.0
    assert np.isnan(ds["expected_length"].sel(state="poor"))
    # non-poor spells begun: u1 (w1, L2, RC), u4 (w3, L1, completed): h(1) = 3/4
    assert abs(float(ds["reentry_hazard"].sel(duration=1)) - 3 / 4) < TOL
    assert abs(float(ds["survival"].sel(state="nonpoor", duration=1)) - 1 / 4) < TOL
    # units by number of poverty spells: 1 spell: u1, u2, u3 (w 4); 2 spells: u4 (w 3)
    np.testing.assert_allclose(ds["units_by_poverty_spells"].values, [0, 4, 3])
    assert abs(float(ds["mean_poverty_spells"]) - 10 / 7) < TOL
    assert int(ds["n_units"]) == 4
    # weighted spells by (state, length, left, right)
    assert (
        float(ds["spells"].sel(state="poor", length=2, left_censored=False, right_censored=True))
        == 5.0
    )
    assert int(ds["spell_count"].sum()) == 9
    g = res.by_group()
    np.testing.assert_allclose(g["spells"].sum("g").values, ds["spells"].values)
    assert abs(float(g["mean_poverty_spells"].sel(g="y")) - 7 / 4) < TOL
    assert ds.attrs["gap_policy"] == "break" and ds.attrs["n_spells"] == 9
    assert ds["hazard"].attrs["units"] == "1" and ds["hazard"].attrs["long_name"]


def nan_():
    return np.nan


def test_balanced_drops_gappy_unit():
    res = spells(fixture_panel(), ONE, weight="w", balance="balanced")
    assert set(res.table()["unit"]) == {"u1", "u3", "u4"}
    assert res.attrs["n_used"] == 3 and res.attrs["n_dropped"] == 1


def test_km_fixture_methods_3_4():
    """methods.md §3.4: re-entry survival S = (2/3, 1/3, 1/3), F(2) = 2/3."""
    a = np.array([[1, 0, 0, 1, 1], [1, 0, 0, 0, 0], [0, 1, 0, 1, 0]], float)
    panel = xr.Dataset(
        {"a": (("unit", "time"), a)}, coords={"unit": ["A", "B", "C"], "time": [1, 2, 3, 4, 5]}
    )
    ds = spells(panel, ONE).to_dataset()
    s = ds["survival"].sel(state="nonpoor").values
    np.testing.assert_allclose(s[:3], [2 / 3, 1 / 3, 1 / 3], atol=TOL)
    np.testing.assert_allclose(ds["at_risk"].sel(state="nonpoor").values[:3], [3, 2, 1])
    assert abs(1 - s[1] - 2 / 3) < TOL
    f = ds["distribution"].sel(state="nonpoor").values
    np.testing.assert_allclose(f[:3], [1 / 3, 1 / 3, 0], atol=TOL)


def test_expected_length_when_all_spells_end():
    # every poverty spell begun in the panel ends: lengths 1 and 2
    a = np.array([[0, 1, 0, 0], [0, 1, 1, 0]], float)
    panel = xr.Dataset({"a": (("unit", "time"), a)}, coords={"unit": [1, 2], "time": [1, 2, 3, 4]})
    ds = spells(panel, ONE).to_dataset()
    np.testing.assert_allclose(ds["exit_hazard"].values[:2], [1 / 2, 1])
    assert abs(float(ds["expected_length"].sel(state="poor")) - 1.5) < TOL
    np.testing.assert_allclose(ds["distribution"].sel(state="poor").values[:2], [0.5, 0.5])


# -- independent reference -------------------------------------------------------------------
def ref_spells(poor: np.ndarray, w: np.ndarray, balance: str):
    """Pure-Python spells: list of (unit, poor, start, end, left, right)."""
    rows = []
    n, T = poor.shape
    for i in range(n):
        if np.isnan(w[i]):
            continue
        row = poor[i]
        if balance == "balanced" and (row < 0).any():
            continue
        t = 0
        while t < T:
            if row[t] < 0:
                t += 1
                continue
            s = t
            while t + 1 < T and row[t + 1] == row[s]:
                t += 1
            rows.append(
                (i, int(row[s]), s, t, s == 0 or row[s - 1] < 0, t == T - 1 or row[t + 1] < 0)
            )
            t += 1
    return rows


def ref_hazard(rows, w, T, state):
    at = np.zeros(T)
    end = np.zeros(T)
    for i, p, s, e, lc, rc in rows:
        if p != state or lc:
            continue
        L = e - s + 1
        for d in range(1, (L if not rc else L - 1) + 1):
            at[d - 1] += w[i]
        if not rc:
            end[L - 1] += w[i]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(at > 0, end / at, np.nan), at


def poor_codes(panel, spec, weight="w"):
    ps = panel_states(panel, spec, weight=weight, min_waves=1)
    return np.where(ps.state < 0, -1, (ps.state >= 2).astype(np.int64)), ps


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("balance", ["observed", "balanced"])
def test_reference_agreement(seed, balance):
    rng = np.random.default_rng(seed)
    panel = random_panel(rng, n=200, waves=[2010, 2012, 2013, 2015.5, 2018, 2019], gap_rate=0.1)
    w = panel["w"].values.copy()
    w[rng.random(len(w)) < 0.05] = np.nan
    panel["w"] = ("unit", w)
    spec = random_spec(rng, 4)
    res = spells(panel, spec, weight="w", by="region", balance=balance)
    poor, _ = poor_codes(panel, spec)
    rows = ref_spells(poor, w, balance)
    tab = res.table()
    assert len(tab) == len(rows)
    units = panel["unit"].values
    years = panel["time"].values.astype(float)
    np.testing.assert_array_equal(tab["unit"].values, [units[r[0]] for r in rows])
    np.testing.assert_array_equal(
        tab["state"].astype(str).values, ["poor" if r[1] else "nonpoor" for r in rows]
    )
    np.testing.assert_array_equal(tab["start"].values, [years[r[2]] for r in rows])
    np.testing.assert_array_equal(tab["end"].values, [years[r[3]] for r in rows])
    np.testing.assert_array_equal(tab["left_censored"].values, [r[4] for r in rows])
    np.testing.assert_array_equal(tab["right_censored"].values, [r[5] for r in rows])
    np.testing.assert_array_equal(
        tab["region"].values, [panel["region"].values[r[0]] for r in rows]
    )
    ds = res.to_dataset()
    T = len(years)
    for state, name in ((1, "exit_hazard"), (0, "reentry_hazard")):
        h, at = ref_hazard(rows, w, T, state)
        np.testing.assert_allclose(ds[name].values, h, atol=TOL, rtol=0)
        np.testing.assert_allclose(
            ds["at_risk"].sel(state=["nonpoor", "poor"][state]).values, at, atol=TOL, rtol=0
        )
        surv = np.cumprod(1 - np.nan_to_num(h))
        ok = ~np.isnan(h)
        np.testing.assert_allclose(
            ds["survival"].sel(state=["nonpoor", "poor"][state]).values[ok],
            surv[ok],
            atol=TOL,
            rtol=0,
        )
    # weighted spells by (state, length, left, right)
    sp = np.zeros((2, T, 2, 2))
    for i, p, s, e, lc, rc in rows:
        sp[p, e - s, int(lc), int(rc)] += w[i]
    np.testing.assert_allclose(ds["spells"].values, sp, atol=TOL, rtol=0)
    # poverty spells per unit
    npov = {}
    for i, p, *_ in rows:
        npov[i] = npov.get(i, 0) + p
    mean = sum(w[i] * k for i, k in npov.items()) / sum(w[i] for i in npov)
    assert abs(float(ds["mean_poverty_spells"]) - mean) < TOL
    assert ds.attrs["n_used"] == len(npov)


# -- properties -------------------------------------------------------------------------------
panels = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**32 - 1),
        "n": st.integers(3, 60),
        "waves": st.integers(1, 7),
        "gap": st.sampled_from([0.0, 0.15, 0.4]),
    }
)


@settings(max_examples=30, deadline=None)
@given(p=panels)
def test_properties(p):
    rng = np.random.default_rng(p["seed"])
    panel = random_panel(rng, n=p["n"], waves=p["waves"], d=3, gap_rate=p["gap"])
    spec = random_spec(rng, 3)
    try:
        res = spells(panel, spec, weight="w", by="region")
    except DataError:
        return
    tab = res.table()
    poor, ps = poor_codes(panel, spec)
    obs = poor >= 0
    # spells partition each unit's observed waves
    per_unit = tab.groupby("unit")["length"].sum()
    ids = panel["unit"].values
    expect = pd.Series(obs.sum(axis=1), index=ids)
    expect = expect[expect > 0]
    pd.testing.assert_series_equal(
        per_unit.sort_index(), expect.sort_index(), check_names=False, check_dtype=False
    )
    # transitions between adjacent observed waves = spells - 1 - gap breaks (per unit)
    n_sp = tab.groupby("unit").size()
    both = obs[:, 1:] & obs[:, :-1]
    trans = (both & (poor[:, 1:] != poor[:, :-1])).sum(axis=1)
    breaks = np.zeros(len(ids), int)
    for i in range(len(ids)):
        o = np.flatnonzero(obs[i])
        breaks[i] = int((np.diff(o) > 1).sum()) if len(o) else 0
    for i, u in enumerate(ids):
        if obs[i].any():
            assert trans[i] == n_sp[u] - 1 - breaks[i]
    # each spell: constant status over its waves, neighbours differ or are unobserved
    assert (tab["length"] >= 1).all()
    assert (tab["left_censored"] | (tab["spell"] > 0)).all()
    # grouped statistics sum over cells to the overall statistics
    g = res.by_group()
    np.testing.assert_allclose(g["spells"].sum("region").values, res["spells"].values, atol=1e-9)
    np.testing.assert_allclose(
        g["units_by_poverty_spells"].sum("region").values,
        res["units_by_poverty_spells"].values,
        atol=1e-9,
    )
    # weighted spells = sum of table weights
    assert abs(float(res["spells"].sum()) - tab["weight"].sum()) < 1e-9
    # hazards in [0, 1], survival non-increasing
    h = res["hazard"].values
    assert ((h[~np.isnan(h)] >= 0) & (h[~np.isnan(h)] <= 1)).all()
    s = res["survival"].values
    for row in s:
        r = row[~np.isnan(row)]
        assert (np.diff(r) <= 1e-15).all()


# -- kernel: two passes, chunk additivity ------------------------------------------------------
@pytest.mark.parametrize("bal", [ktr.BALANCED, ktr.OBSERVED])
def test_chunk_additivity(bal):
    rng = np.random.default_rng(9)
    n, T = 2500, 7
    st_ = rng.integers(-1, 4, (n, T)).astype(np.int8)
    w = rng.uniform(0, 2, n)
    w[::89] = np.nan
    cell = rng.integers(0, 3, n).astype(np.int64)
    whole = ktr.spells(st_, w, cell, 3, bal, 3)
    one = ktr.spells(st_, w, cell, 3, bal, 1)
    h = 999
    a = ktr.spells(st_[:h], w[:h], cell[:h], 3, bal, 2)
    b = ktr.spells(st_[h:], w[h:], cell[h:], 3, bal, 2)
    for k in range(1, 6):
        np.testing.assert_allclose(whole[k], a[k] + b[k], atol=1e-9, rtol=0)
        np.testing.assert_allclose(whole[k], one[k], atol=1e-9, rtol=0)
    rows_ab = [
        np.concatenate([x, y + (h if j == 0 else 0)])
        for j, (x, y) in enumerate(zip(a[0], b[0], strict=True))
    ]
    for x, y, z in zip(whole[0], rows_ab, one[0], strict=True):
        np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(x, z)


# -- errors, immutability -------------------------------------------------------------------------
def test_bad_inputs():
    panel = fixture_panel()
    with pytest.raises(ValidationError, match="balance"):
        spells(panel, ONE, balance="pairs")
    with pytest.raises(DataError, match="by variable"):
        spells(panel, ONE, by="nope")
    with pytest.raises(ValidationError, match="spec"):
        spells(panel, "spec")
    allgap = panel.copy()
    allgap["a"] = allgap["a"].where(allgap["a"].time == 2011)
    allgap["a"][1, 1] = np.nan
    with pytest.raises(DataError, match="balance='observed'"):
        spells(allgap, ONE, balance="balanced")
    with pytest.raises(ValidationError, match="by="):
        spells(panel, ONE).by_group()


def test_input_not_mutated_and_display():
    panel = fixture_panel()
    before = panel.copy(deep=True)
    res = spells(panel, ONE, weight="w", by="g")
    xr.testing.assert_identical(panel, before)
    text = res.summary()
    assert "Hazards by duration" in text and "mean_poverty_spells" in text
    assert "SpellResult" in repr(res) and len(res) == 9
    assert res.spells_per_unit().to_dict() == {"u1": 2, "u2": 2, "u3": 2, "u4": 3}
    frame = res.to_frame()
    assert {"exit_hazard", "reentry_hazard", "mean_poverty_spells"} <= set(frame["measure"])
