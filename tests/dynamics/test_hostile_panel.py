"""Hostile panel input (issue 14): scale of the sampling weights in relapse's standard
errors, and bad panel weights reported by unit id in measure."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from panel_data import random_panel, random_spec
from test_relapse import exit_spells, km_linearised, unit_life

import mpi
from mpi.dynamics._relapse_tables import WaveGrid as _Layout
from mpi.errors import DataError
from mpi.kernels import relapse as krl

SE_VARS = ("survival_se", "survival_by_band_se", "survival_years_se")
YEARS = [2010, 2011, 2013, 2014, 2016.5, 2017, 2020]


def status_panel(P, w=None) -> xr.Dataset:
    P = np.asarray(P, float)
    n, T = P.shape
    data = {"p": (("unit", "time"), P)}
    if w is not None:
        data["w"] = ("unit", np.asarray(w, float))
    return xr.Dataset(data, coords={"unit": np.arange(n), "time": np.arange(1, T + 1)})


# --------------------------------------------------------------------------------------
# point 5: relapse's survival SE does not depend on the scale of the weights


@pytest.mark.parametrize("factor", [50.0, 0.01])
def test_relapse_se_invariant_to_weight_scale(factor):
    rng = np.random.default_rng(14)
    panel = random_panel(rng, n=600, waves=YEARS, gap_rate=0.08, persistence=0.5)
    spec = random_spec(rng, 4, k="1/3")
    scaled = panel.assign(w=panel["w"] * factor)
    a = mpi.relapse(panel, spec, weight="w", by="region")
    b = mpi.relapse(scaled, spec, weight="w", by="region")
    for da, db in ((a.to_dataset(), b.to_dataset()), (a.by_group(), b.by_group())):
        for v in SE_VARS:
            assert np.isfinite(da[v].values).sum() >= 3
            np.testing.assert_allclose(db[v].values, da[v].values, rtol=1e-12, atol=0)
        np.testing.assert_allclose(db["survival"].values, da["survival"].values, rtol=1e-12)


FIXTURE = [[1, 0, 0, 1, 1], [1, 0, 0, 0, 0], [0, 1, 0, 1, 0]]  # one exit spell per unit


@pytest.mark.parametrize("w", [None, 1.0, 50.0, 0.01])
def test_relapse_se_is_greenwood_with_one_spell_per_unit(w):
    """Hand-computed Greenwood: n = 3, 2, 1 at risk, d = 1, 1, 0 re-entries."""
    weights = None if w is None else [w] * 3
    ds = mpi.relapse(status_panel(FIXTURE, weights), status="p", weight=weights and "w")
    ds = ds.to_dataset()
    se = [np.sqrt((2 / 3) ** 2 / 6), np.sqrt((1 / 3) ** 2 * (1 / 6 + 1 / 2))]
    np.testing.assert_allclose(ds["survival_se"].values[:2], se, rtol=1e-12)
    np.testing.assert_allclose(ds["survival_se"].values[2], se[1], rtol=1e-12)


def test_relapse_se_clusters_the_spells_of_a_unit():
    """Unit A exits and re-enters twice (two spells), B exits and is censored after 3 waves.

    e = 1: n = 3, d = 2, S = 1/3. Greenwood (spells independent): Var = S^2 2/(3 * 1) = 2/27.
    Linearised over units: z_A = (2 - 2/3 * 2) / (3 - 2) = 2/3, z_B = -2/3, so
    Var = S^2 (4/9 + 4/9) = 8/81: A's two spells are not independent draws.
    """
    P = [[1, 0, 1, 0, 1], [1, 0, 0, 0, 0]]
    for w in (None, [7.0, 7.0]):
        ds = mpi.relapse(status_panel(P, w), status="p", weight=w and "w").to_dataset()
        np.testing.assert_allclose(ds["survival"].values, [1 / 3] * 3, rtol=1e-15)
        np.testing.assert_allclose(ds["survival_se"].values, [np.sqrt(8) / 9] * 3, rtol=1e-12)


def test_relapse_se_years_scale_matches_reference():
    """Uneven spacing, unequal weights, repeated spells: the SE along years since exit equals
    the plain-Python linearisation over the durations in years."""
    rng = np.random.default_rng(21)
    panel = random_panel(rng, n=500, waves=YEARS, gap_rate=0.05, persistence=0.5)
    ps = mpi.panel_states(panel, random_spec(rng, 4, k="1/3"), weight="w")
    ds = mpi.relapse(ps).to_dataset()
    taus = ds["years_since_exit"].values
    h, s, se = km_linearised(*unit_life(ps, taus=taus))
    np.testing.assert_allclose(ds["survival_years"].values, s, rtol=1e-12)
    np.testing.assert_allclose(ds["survival_years_se"].values, se, rtol=1e-10, atol=1e-14)
    per_unit = np.bincount([x[0] for x in exit_spells(ps.state) if x[3] > 0], minlength=500)
    assert (per_unit > 1).sum() > 10


def simulate(rng, n, T, lam, exit_p=0.4):
    """Status panel with repeated exits and re-entries (relapse w.p. lam per wave)."""
    P = np.empty((n, T))
    poor = rng.random(n) < 0.5
    P[:, 0] = poor
    for t in range(1, T):
        u = rng.random(n)
        poor = np.where(poor, u >= exit_p, u < lam)
        P[:, t] = poor
    return P


def test_relapse_se_agrees_with_bootstrap_survey_weights():
    """Survey weights summing to a population (mean 50, unequal): the linearised SE agrees
    with the unit-cluster bootstrap SE within Monte-Carlo error (B = 400: relative error of
    a bootstrap SE about 1/sqrt(2 B) = 3.5%)."""
    rng = np.random.default_rng(2024)
    n = 8000
    P = simulate(rng, n, 7, 0.3)
    w = 50.0 * rng.lognormal(0.0, 0.6, n)
    ds = mpi.relapse(status_panel(P, w), status="p", weight="w", bootstrap=400, seed=8)
    ds = ds.to_dataset()
    lin, boot = ds["survival_se"].values[:4], ds["survival_bse"].values[:4]
    assert np.all(ds["at_risk_count"].values[:4] > 300)
    np.testing.assert_allclose(lin, boot, rtol=0.15)


def test_cross_sums_are_additive_over_units():
    rng = np.random.default_rng(5)
    panel = random_panel(rng, n=700, waves=YEARS, gap_rate=0.1)
    ps = mpi.panel_states(panel, random_spec(rng, 4), weight="w", by="region")
    lay = _Layout(ps.layout.years, None)
    args = (ps.state, ps.weight, ps.cell)
    rest = (ps.n_cells, lay.tau_index, lay.n_taus)
    whole = krl.relapse_cross_sums(*args, *rest, 3)
    cut = 311
    halves = [
        krl.relapse_cross_sums(*(a[sl] for a in args), *rest, k)
        for sl, k in ((slice(0, cut), 2), (slice(cut, None), 1))
    ]
    for x, y, z in zip(whole, *halves, strict=True):
        assert np.abs(x).sum() > 0
        np.testing.assert_allclose(x, y + z, rtol=1e-13, atol=1e-12)


# --------------------------------------------------------------------------------------
# point 13: a bad panel weight in measure is reported by unit id, as in transitions


def _bad_weight(value, i=5):
    rng = np.random.default_rng(3)
    panel = random_panel(rng, n=30, waves=3)
    w = panel["w"].values.copy()
    w[i] = value
    return panel.assign(w=("unit", w)), random_spec(rng, 4, k="1/3"), int(panel["unit"].values[i])


@pytest.mark.parametrize("value", [-1.0, np.inf, -np.inf])
@pytest.mark.parametrize("balance", ["balanced", "observed"])
def test_measure_panel_bad_weight_names_the_unit(value, balance):
    panel, spec, unit = _bad_weight(value)
    before = panel.copy(deep=True)
    with pytest.raises(DataError) as got:
        mpi.measure(panel, spec, weight="w", balance=balance)
    with pytest.raises(DataError) as ref:
        mpi.transitions(panel, spec, weight="w")
    assert f"for unit {unit}" in str(got.value) and "row" not in str(got.value)
    assert str(got.value) == str(ref.value)
    xr.testing.assert_identical(panel, before)


def test_measure_panel_missing_weight_with_missing_raise_names_the_unit():
    panel, spec, unit = _bad_weight(np.nan, i=7)
    with pytest.raises(DataError, match=f"weight variable 'w' is missing .* unit {unit}"):
        mpi.measure(panel, spec, weight="w", missing="raise")
    # other rules drop the unit's waves and count them, as before
    with pytest.warns(mpi.errors.MissingDataWarning):
        ds = mpi.measure(panel, spec, weight="w", balance="observed").to_dataset()
    assert int(ds["n_dropped"].sum()) == panel.sizes["time"]
