"""Regression tests from the review of the relapse-risk feature (relapse, relapse_risk,
monitoring)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from panel_data import random_panel, random_spec

import mpi
from mpi.errors import DataError, ValidationError

NAN = np.nan


def status_panel(P, years=None, w=None) -> xr.Dataset:
    P = np.asarray(P, float)
    n, T = P.shape
    years = np.arange(1, T + 1) if years is None else np.asarray(years)
    data = {"p": (("unit", "time"), P)}
    if w is not None:
        data["w"] = ("unit", np.asarray(w, float))
    return xr.Dataset(data, coords={"unit": np.arange(n), "time": years})


ONE = mpi.Spec([mpi.Indicator("p", weight=1)], k=1, vulnerable="1/2", severe=1)


def test_exit_across_gap_is_a_reentry_in_period_rates():
    # unit 0: poor, gap, nonpoor, poor -> a re-entry at wave 4 (as decompose_change and
    # relapse_risk say), not silently dropped from both RR_t and FE_t
    P = [[1, NAN, 0, 1], [1, NAN, 0, 0], [0, 0, 0, 1]]
    ds = mpi.relapse(status_panel(P), status="p").to_dataset()
    np.testing.assert_array_equal(ds["reentries"].values, [0, 0, 1])
    np.testing.assert_array_equal(ds["relapse_at_risk"].values, [0, 0, 2])
    np.testing.assert_array_equal(ds["first_entries"].values, [0, 0, 1])
    np.testing.assert_array_equal(ds["first_entry_at_risk"].values, [1, 1, 1])
    np.testing.assert_array_equal(ds["ever_exited"].values, [0, 2, 2])
    # no exit spell: the exit wave is unknown
    assert float(ds["at_risk"].sum()) == 0
    assert int(ds["n_exits"]) == 0


@pytest.mark.parametrize("seed", [0, 1])
def test_reentries_agree_with_decompose_change_with_gaps(seed):
    rng = np.random.default_rng(seed)
    panel = random_panel(rng, n=400, waves=6, d=4, gap_rate=0.15, persistence=0.6)
    spec = random_spec(rng, 4)
    r = mpi.relapse(panel, spec, weight="w").to_dataset()
    dd = mpi.decompose_change(panel, spec, weight="w", chained=True, balance="pairs").to_dataset()
    ps = mpi.panel_states(panel, spec, weight="w")
    both = (ps.state[:, :-1] >= 0) & (ps.state[:, 1:] >= 0)
    S = (both * ps.weight[:, None]).sum(0)
    np.testing.assert_allclose(dd["H_reentry"].values * S, r["reentries"].values, atol=1e-9)
    np.testing.assert_allclose(dd["H_first_entry"].values * S, r["first_entries"].values, atol=1e-9)
    # every entry from an observed nonpoor wave is a re-entry or a first entry
    nonpoor_prev = both & (ps.state[:, :-1] < 2)
    den = (nonpoor_prev * ps.weight[:, None]).sum(0)
    np.testing.assert_allclose(
        r["relapse_at_risk"].values + r["first_entry_at_risk"].values, den, rtol=1e-12
    )


def test_relapse_risk_k_without_spec_in_status_mode_is_an_error():
    P = (np.random.default_rng(0).random((50, 4)) < 0.4).astype(float)
    with pytest.raises(ValidationError, match="k=0.5"):
        mpi.relapse_risk(status_panel(P), status="p", k=0.5, min_count=1)


def test_relapse_risk_horizon_too_long_names_horizon():
    P = (np.random.default_rng(0).random((50, 4)) < 0.4).astype(float)
    with pytest.raises(DataError, match="horizon=4 needs at least 5 waves"):
        mpi.relapse_risk(status_panel(P), status="p", horizon=4)


def test_relapse_risk_rejects_a_huge_max_history():
    rng = np.random.default_rng(5)
    panel = random_panel(rng, n=50, waves=4)
    with pytest.raises(mpi.ValidationError, match="max_history=500"):
        mpi.relapse_risk(panel, random_spec(rng, 4), max_history=500)


@pytest.mark.parametrize("gap_rate", [0.0, 0.1])
def test_relapse_hazard_equals_spells_reentry_hazard(gap_rate):
    """Both count non-poor spells that begin with an exit, censored at a gap or the end."""
    rng = np.random.default_rng(17)
    panel = random_panel(rng, n=600, waves=6, gap_rate=gap_rate)
    states = mpi.panel_states(panel, random_spec(rng, 4, k="1/3"), weight="w")
    rl = mpi.relapse(states).to_dataset()
    sp = mpi.spells(states).to_dataset()
    n = rl.sizes["time_since_exit"]
    ours = rl["hazard"].values
    theirs = sp["reentry_hazard"].values[:n]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        rl["at_risk"].values, sp["at_risk"].sel(state="nonpoor").values[:n], rtol=0, atol=1e-9
    )
