"""Regression tests for bugs found in a review of the panel-dynamics estimators."""

from __future__ import annotations

import numpy as np
import pytest
from panel_data import random_panel, random_spec

import mpi
from mpi.errors import DataError, ValidationError


def _panel(seed: int = 0, **kw):
    rng = np.random.default_rng(seed)
    spec = random_spec(rng)
    return random_panel(rng, **kw), spec


@pytest.mark.parametrize("states", ["poverty", "bands"])
def test_pooled_transitions_with_renamed_time_dim(states):
    # pooled=True drops the time dim; renaming it to the panel's time name crashed
    panel, spec = _panel(1, n=120, waves=4, gap_rate=0.1)
    renamed = panel.rename(unit="hh", time="wave")
    kw = {"weight": "w", "by": "region", "pooled": True, "states": states}
    got = mpi.transitions(renamed, spec, unit="hh", time="wave", **kw)
    ref = mpi.transitions(panel, spec, **kw)
    ds, ref_ds = got.to_dataset(), ref.to_dataset()
    assert "wave" not in ds.dims and "time" not in ds.dims
    np.testing.assert_allclose(ds["probability"].values, ref_ds["probability"].values)
    np.testing.assert_allclose(
        got.by_group()["entry_rate"].values, ref.by_group()["entry_rate"].values
    )
    # the per-pair result still carries the renamed dim
    per_pair = mpi.transitions(renamed, spec, unit="hh", time="wave", weight="w").to_dataset()
    assert "wave" in per_pair.dims and "time" not in per_pair.dims


def test_transitions_all_weights_missing_names_the_weight():
    # the error blamed the balance policy and advised balance='pairs', which cannot help
    panel, spec = _panel(2, n=30, waves=3)
    panel["w"][:] = np.nan
    for balance in ("balanced", "pairs"):
        with pytest.raises(DataError, match="'w' is missing") as info:
            mpi.transitions(panel, spec, weight="w", balance=balance)
        assert "balance='pairs'" not in str(info.value)


@pytest.mark.parametrize("fill", [np.nan, 0.0])
def test_chronic_weight_errors_name_the_cause(fill):
    # all-NaN weights were blamed on the balance policy; all-zero weights were reported as
    # "N used with positive total weight" with the advice to use balance='observed'
    panel, spec = _panel(3, n=30, waves=3)
    panel["w"][:] = fill
    panel["inc"] = panel["i0"] * 100.0
    calls = [
        lambda: mpi.chronic(panel, spec, tau="1/2", weight="w"),
        lambda: mpi.duration_adjusted(panel, "inc", line=50.0, tau="1/2", weight="w"),
    ]
    for call in calls:
        with pytest.raises(DataError, match="weight") as info:
            call()
        msg = str(info.value)
        assert "balance='observed'" not in msg
        assert "positive total weight" not in msg


@pytest.mark.parametrize(
    ("estimator", "name"),
    [
        ("transitions", "state"),
        ("transitions", "from_state"),
        ("spells", "state"),
        ("spells", "duration"),
        ("spells", "length"),
        ("chronic", "periods_poor"),
        ("chronic", "indicator"),
        ("duration_adjusted", "alpha"),
    ],
)
def test_by_named_like_a_result_dim_is_rejected(estimator, name):
    # a group variable called e.g. "state" crashed deep inside xarray, and "duration" or
    # "periods_poor" were silently merged with the result's own dimension
    panel, spec = _panel(4, n=60, waves=3)
    panel = panel.rename(region=name)
    panel["inc"] = panel["i0"] * 100.0
    calls = {
        "transitions": lambda: mpi.transitions(panel, spec, by=name),
        "spells": lambda: mpi.spells(panel, spec, by=name),
        "chronic": lambda: mpi.chronic(panel, spec, tau="1/2", by=name),
        "duration_adjusted": lambda: mpi.duration_adjusted(
            panel, "inc", line=50.0, tau="1/2", by=name
        ),
    }
    with pytest.raises(ValidationError, match=rf"by variable\(s\) \['{name}'\] clash"):
        calls[estimator]()
    # the same groups under another name work
    ok = panel.rename({name: "grp"})
    calls2 = {
        "transitions": lambda: mpi.transitions(ok, spec, by="grp").by_group(),
        "spells": lambda: mpi.spells(ok, spec, by="grp").by_group(),
        "chronic": lambda: mpi.chronic(ok, spec, tau="1/2", by="grp").by_group(),
        "duration_adjusted": lambda: (
            mpi.duration_adjusted(ok, "inc", line=50.0, tau="1/2", by="grp").by_group()
        ),
    }
    assert calls2[estimator]().sizes["grp"] == 3


def test_panel_measure_summary_shows_per_wave_count_range():
    # the header printed the largest wave's count as "Units used per wave" even when the
    # waves of an unbalanced panel (balance="observed") use different numbers of units
    panel, spec = _panel(5, n=200, waves=3, gap_rate=0.2)
    with pytest.warns(mpi.MissingDataWarning):
        res = mpi.measure(panel, spec, weight="w", balance="observed")
    n_obs = res.to_dataset()["n_obs"].values
    n_drop = res.to_dataset()["n_dropped"].values
    assert n_obs.min() < n_obs.max()
    text = res.summary()
    assert f"Units used per wave     {n_obs.min():,}-{n_obs.max():,}" in text
    assert f"Units dropped (missing) {n_drop.min():,}-{n_drop.max():,}" in text
