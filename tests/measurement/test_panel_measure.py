"""mpi.measure on panels and the per unit-wave states behind every dynamic estimator."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
import xarray as xr
from panel_data import random_panel, random_spec

import mpi
from mpi import kernels
from mpi._common.panel_layout import check_panel
from mpi.dynamics.states import panel_states


@pytest.fixture
def panel():
    return random_panel(
        np.random.default_rng(3), n=300, waves=[2010, 2012, 2015.5, 2016], gap_rate=0.08
    )


@pytest.fixture
def spec():
    return random_spec(np.random.default_rng(4), d=4)


def _cross_section(panel, spec, year, units, **kw):
    sub = panel.sel(time=year).sel(unit=units)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        return mpi.measure(sub, spec, **kw).to_dataset()


def test_panel_measure_equals_cross_sections_balanced(panel, spec):
    with pytest.warns(mpi.MissingDataWarning, match="excluded"):
        res = mpi.measure(panel, spec, weight="w", by="region")
    ds = res.to_dataset()
    assert ds.M0.dims == ("region", "time")
    complete = np.asarray(
        [
            all(panel[v].sel(unit=u).notnull().all() for v in spec.variables)
            for u in panel.unit.values
        ]
    )
    assert res.to_dataset().attrs["n_excluded"] == int((~complete).sum()) > 0
    units = panel.unit.values[complete]
    for y in panel.time.values:
        ref = _cross_section(panel, spec, y, units, weight="w", by="region")
        for v in ("H", "A", "M0", "M1", "M2", "vulnerable", "severe", "population_share"):
            np.testing.assert_allclose(ds[v].sel(time=y).values, ref[v].values, rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            ds.censored_headcount.sel(time=y).values, ref.censored_headcount.values, atol=1e-12
        )
        ov = res.overall.to_dataset().sel(time=y)
        ref_all = _cross_section(panel, spec, y, units, weight="w")
        for v in ("H", "M0", "A"):
            assert abs(float(ov[v]) - float(ref_all[v])) < 1e-12
    # population shares sum to one within each wave, not across waves
    np.testing.assert_allclose(ds.population_share.sum("region").values, 1.0, atol=1e-12)


def test_panel_measure_observed_policy(panel, spec):
    with pytest.warns(mpi.MissingDataWarning, match="dropped for missing"):
        res = mpi.measure(panel, spec, weight="w", balance="observed")
    ds = res.to_dataset()
    assert ds.M0.dims == ("time",)
    for y in panel.time.values:
        ref = _cross_section(panel, spec, y, panel.unit.values, weight="w")
        for v in ("H", "M0", "n_obs", "n_dropped"):
            assert abs(float(ds[v].sel(time=y)) - float(ref[v])) < 1e-12
    gaps = ~np.isfinite(np.stack([panel[v].values for v in spec.variables])).all(axis=0)
    assert int(ds.n_dropped.sum()) == int(gaps.sum()) > 0


def test_panel_measure_frames_and_marginals(panel, spec):
    panel = panel.assign(sex=("unit", np.where(panel.unit.values % 2, "f", "m")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        res = mpi.measure(panel, spec, weight="w", by=["region", "sex"], balance="observed")
        direct = mpi.measure(panel, spec, weight="w", by="sex", balance="observed").to_dataset()
    m = res.marginal("sex").to_dataset()
    np.testing.assert_allclose(m.M0.values, direct.M0.values, atol=1e-12)
    df = res.to_frame()
    assert "time" in df.columns and df["time"].notna().all()
    text = res.summary()
    assert "Waves" in text and "2015.5" in text
    assert "4 waves" in repr(res)
    with pytest.raises(KeyError, match="wave dimension"):
        res.marginal("time")


def test_panel_measure_errors(panel, spec):
    with pytest.raises(mpi.ValidationError, match="design"):
        mpi.measure(panel, spec, design=mpi.Design("w"))
    with pytest.raises(mpi.DataError, match="fixed over time"):
        mpi.measure(panel.assign(w2=panel.i0 * 0 + 1), spec, weight="w2")
    with pytest.raises(mpi.ValidationError, match="balance"):
        mpi.measure(panel, spec, balance="all")
    unsorted = panel.isel(time=[1, 0, 2, 3])
    with pytest.raises(mpi.DataError, match="not sorted"):
        mpi.measure(unsorted, spec)
    dup = panel.assign_coords(time=[2010, 2012, 2012, 2016])
    with pytest.raises(mpi.DataError, match="repeats"):
        mpi.measure(dup, spec)
    with pytest.raises(mpi.DataError, match="missing values"):
        mpi.measure(panel, spec, missing="raise")


def test_panel_measure_does_not_mutate(panel, spec):
    before = panel.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        mpi.measure(panel, spec, weight="w", by="region")
    xr.testing.assert_identical(panel, before)


# -- panel_states ----------------------------------------------------------------------


def test_states_exact_at_cutoff():
    # weights 1/6 and 1/18 (global MPI style): two 1/6 deprivations = 1/3 exactly -> poor
    inds = [mpi.Indicator(f"h{j}", weight="1/6", dimension="h") for j in range(2)]
    inds += [mpi.Indicator(f"l{j}", weight="1/18", dimension="l") for j in range(12)]
    spec = mpi.Spec(inds, k="1/3", vulnerable="1/5", severe="1/2")
    rows = np.zeros((3, 14))
    rows[0, :2] = 1  # 1/3: poor
    rows[1, 2:8] = 1  # 6/18 = 1/3: poor
    rows[2, 2:7] = 1  # 5/18: vulnerable
    data = {s.name: (("unit", "time"), rows[:, j].reshape(3, 1)) for j, s in enumerate(spec)}
    panel = xr.Dataset(data, coords={"unit": [1, 2, 3], "time": [2020]})
    st = panel_states(panel, spec, min_waves=1)
    assert st.state[:, 0].tolist() == [
        kernels.panel.POOR,
        kernels.panel.POOR,
        kernels.panel.VULNERABLE,
    ]
    assert st.num[:, 0].tolist() == [6, 6, 5] and st.denom == 18


def test_states_against_numpy(panel, spec):
    st = panel_states(panel, spec, weight="w", by="region")
    g = np.stack([panel[v].transpose("unit", "time").values for v in spec.variables], axis=-1)
    wint, denom = spec.integer_weights
    obs = np.isfinite(g).all(axis=-1)
    num = np.where(obs, (np.nan_to_num(g) * wint).sum(-1), -1).astype(int)
    assert (st.num == num).all()
    pat = (np.nan_to_num(g).astype(np.int64) << np.arange(len(spec))).sum(-1)
    assert (st.pattern == np.where(obs, pat, 0)).all()
    k, v, s = spec.k, spec.vulnerable, spec.severe
    poor = num * k.denominator >= k.numerator * denom
    sev = poor & (num * s.denominator >= s.numerator * denom)
    vul = ~poor & (num * v.denominator >= v.numerator * denom)
    expect = np.where(~obs, -1, np.where(sev, 3, np.where(poor, 2, np.where(vul, 1, 0))))
    assert (st.state == expect).all()
    assert st.n_unobserved == int((~obs).sum()) > 0
    assert (st.cell == panel.region.values).all()


def test_states_independent_of_chunks(panel, spec):
    layout = check_panel(panel)
    st = panel_states(panel, spec)
    cols = [
        np.ascontiguousarray(panel[v].transpose("unit", "time").values.reshape(-1))
        for v in spec.variables
    ]
    wint, denom = spec.integer_weights
    n = len(cols[0])
    for n_chunks, dtype in ((1, np.int16), (3, np.int32), (7, np.int64)):
        num, pattern, state = np.empty(n, dtype), np.empty(n, dtype), np.empty(n, np.int8)
        kernels.panel.panel_scores(
            cols, np.zeros(len(spec), np.int64), np.zeros(len(spec)), wint, denom,
            layout.n_waves, spec.k.numerator, spec.k.denominator, 1, 5, 1, 2, n_chunks,
            num, pattern, state,
        )  # fmt: skip
        assert (num.reshape(st.num.shape) == st.num).all()
        assert (state.reshape(st.state.shape) == st.state).all()


def test_states_errors(panel, spec):
    with pytest.raises(mpi.DataError, match="0/1"):
        panel_states(panel.assign(i0=panel.i0 * 2), spec)
    with pytest.raises(mpi.DataError, match="non-negative"):
        panel_states(panel.assign(w=-panel.w), spec, weight="w")
    with pytest.raises(mpi.DataError, match="pandas DataFrame"):
        panel_states(panel.to_dataframe(), spec)
    with pytest.raises(mpi.DataError, match="duplicate unit ids"):
        panel_states(panel.assign_coords(unit=np.zeros(panel.sizes["unit"], int)), spec)
    with pytest.raises(mpi.DataError, match="calendar years"):
        panel_states(panel.assign_coords(time=["a", "b", "c", "d"]), spec)
    with pytest.raises(mpi.DataError, match="at least 2"):
        panel_states(panel.isel(time=[0]), spec)
    with pytest.raises(mpi.DataError, match="no unit dimension 'person'"):
        panel_states(panel, spec, unit="person")
    assert Fraction(spec.k) == spec.k


def test_panel_overall_keeps_units_with_missing_group(panel, spec):
    region = panel.region.values.astype(float)
    region[::7] = np.nan
    panel = panel.assign(
        region=("unit", region), sex=("unit", np.where(panel.unit.values % 3, "f", "m"))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        res = mpi.measure(panel, spec, weight="w", by=["region", "sex"])
        plain = mpi.measure(panel, spec, weight="w").to_dataset()
        by_sex = mpi.measure(panel, spec, weight="w", by="sex").to_dataset()
    ov = res.overall.to_dataset()
    for v in ("H", "M0", "A", "n_obs"):
        np.testing.assert_allclose(ov[v].values, plain[v].values, atol=1e-12)
    np.testing.assert_allclose(
        res.marginal("sex").to_dataset().M0.values, by_sex.M0.values, atol=1e-12
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        obs = mpi.measure(panel, spec, weight="w", by=["region", "sex"], balance="observed")
    for y in panel.time.values:
        ref = _cross_section(panel, spec, y, panel.unit.values, weight="w", by=["region", "sex"])
        got = obs.to_dataset().sel(time=y)
        for v in ("group_contribution", "population_share", "M0"):
            np.testing.assert_allclose(got[v].values, ref[v].values, atol=1e-12)
        ref_ov = _cross_section(panel, spec, y, panel.unit.values, weight="w")
        assert abs(float(obs.overall.to_dataset().M0.sel(time=y)) - float(ref_ov.M0)) < 1e-12


def test_trend_chart(panel, spec):
    import matplotlib

    matplotlib.use("Agg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        res = mpi.measure(panel, spec, weight="w", by="region", balance="observed")
    ax = mpi.plot.trend(res, "H", group="region")
    lines = ax.get_lines()
    assert len(lines) == panel.region.to_series().nunique() + 1
    overall = res.overall.to_dataset().H.values
    np.testing.assert_allclose(lines[-1].get_ydata(), overall)
    np.testing.assert_allclose(lines[-1].get_xdata(), panel.time.values.astype(float))
    with pytest.raises(mpi.ValidationError, match="panel result"):
        mpi.plot.trend(mpi.measure(panel.sel(time=2010).dropna("unit"), spec))
    with pytest.raises(mpi.ValidationError, match="by variable"):
        mpi.plot.trend(res, group="sex")


def test_states_reused_by_every_estimator(panel, spec):
    st = mpi.panel_states(panel, spec, weight="w", by="region")
    assert "PanelStates" in repr(st)
    pairs = dict(balance="pairs")
    a = mpi.transitions(st, **pairs).to_dataset()
    b = mpi.transitions(panel, spec, weight="w", by="region", **pairs).to_dataset()
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
    a = mpi.decompose_change(st, **pairs).overall.to_dataset()
    b = mpi.decompose_change(panel, spec, weight="w", by="region", **pairs).overall.to_dataset()
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
    assert mpi.spells(st).table().equals(mpi.spells(panel, spec, weight="w", by="region").table())
    # the same arguments may be repeated; different ones are refused
    mpi.transitions(st, spec, weight="w", by="region", **pairs)
    other_k = Fraction(1, 100) if spec.k != Fraction(1, 100) else Fraction(1, 2)
    for kw, match in [({"by": "sex"}, "by="), ({"k": other_k}, "k="), ({"weight": "v"}, "weight=")]:
        with pytest.raises(mpi.ValidationError, match=match):
            mpi.transitions(st, **kw, **pairs)
    with pytest.raises(mpi.ValidationError, match="spec="):
        mpi.transitions(st, random_spec(np.random.default_rng(99), d=5), **pairs)
    with pytest.raises(mpi.ValidationError, match="history"):
        mpi.decompose_change(st, history="region")
    with pytest.raises(mpi.ValidationError, match="PanelStates"):
        mpi.transitions(panel)


def test_states_of_a_dask_panel_equal_in_memory(panel, spec):
    pytest.importorskip("dask")
    st = mpi.panel_states(panel, spec, weight="w", by="region")
    chunked = panel.chunk(unit=37)
    sd = mpi.panel_states(chunked, spec, weight="w", by="region")
    for name in ("num", "pattern", "state", "weight", "cell"):
        assert (
            (getattr(sd, name) == getattr(st, name)).all()
            or name == "weight"
            and np.allclose(sd.weight, st.weight)
        )
    a = mpi.transitions(sd, balance="pairs").to_dataset()
    b = mpi.transitions(st, balance="pairs").to_dataset()
    # the dask path adds each block's weighted sums (issue 21): float sums agree to 1e-12
    # (another order of addition), counts and attributes exactly
    xr.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert a.attrs == b.attrs
    for name, var in b.data_vars.items():
        if var.dtype.kind in "iub":
            assert (a[name] == var).all(), name


@pytest.mark.parametrize("d", [3, 15, 16, 20])
def test_states_lean_and_wide_paths_agree_with_numpy(d):
    """d <= 15 uses pattern tables, wider specs the per-indicator path: same states."""
    rng = np.random.default_rng(d)
    panel = random_panel(rng, n=150, waves=3, d=d, gap_rate=0.1)
    spec = random_spec(rng, d=d)
    st = panel_states(panel, spec)
    g = np.stack([panel[v].transpose("unit", "time").values for v in spec.variables], axis=-1)
    wint, denom = spec.integer_weights
    obs = np.isfinite(g).all(axis=-1)
    num = np.where(obs, (np.nan_to_num(g) * wint).sum(-1), -1).astype(int)
    assert (st.num == num).all()
    poor = obs & (num * spec.k.denominator >= spec.k.numerator * denom)
    assert ((st.state >= kernels.panel.POOR) == poor).all()
    pat = (np.nan_to_num(g).astype(np.int64) << np.arange(d)).sum(-1)
    assert (st.pattern == np.where(obs, pat, 0)).all()
