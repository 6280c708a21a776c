"""Tests of mpi.relapse_risk (issue 6, early warning)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from panel_data import random_panel, random_spec

import mpi
from mpi._common.result import Summary
from mpi.dynamics.risk import auc_score, brier_score, calibration_table, relapse_risk
from mpi.errors import DataError, ValidationError
from mpi.kernels import risk as krisk


# ------------------------------------------------------------------ plain-python reference
def ref_features(state: np.ndarray, n_bands: int, max_history: int = 2) -> pd.DataFrame:
    """Features per observed unit-wave by plain loops (the definitions of the docstring)."""
    rows = []
    n, T = state.shape
    for i in range(n):
        past = 0
        last_exit = None
        prev = None
        for t in range(T):
            s = int(state[i, t])
            if s < 0:
                continue
            p = int(s >= 2)
            if prev == 1 and p == 0:
                last_exit = t
            band = s if n_bands == 4 else p
            tse = 0 if (p == 1 or last_exit is None) else min(t - last_exit + 1, 3)
            rows.append(
                dict(
                    i=i,
                    t=t,
                    band=band,
                    hist=min(past, max_history),
                    tse=tse,
                    exited=int(last_exit is not None),
                )
            )
            past += p
            prev = p
    return pd.DataFrame(rows)


def ref_transitions(df, state, weight, horizon, years, fit_until):
    T = state.shape[1]
    df = df[df.t + horizon < T].copy()
    df["s2"] = state[df.i, df.t + horizon]
    df = df[(df.s2 >= 0) & np.isfinite(weight[df.i])]
    df["y"] = (df.s2 >= 2).astype(float)
    df["w"] = weight[df.i]
    df["fit"] = years[df.t + horizon] <= fit_until
    return df


def _rate(g):
    return (g.w * g.y).sum() / g.w.sum()


# ------------------------------------------------------------------ nonparametric vs pandas
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nonparametric_equals_groupby(seed):
    rng = np.random.default_rng(seed)
    panel = random_panel(rng, n=400, waves=6, d=4, gap_rate=0.1)
    spec = random_spec(rng, 4)
    panel["w"][:5] = np.nan  # units without weight: not fitted, still scored
    res = relapse_risk(panel, spec, weight="w", fit_until=2013, min_count=1)
    ps = mpi.panel_states(panel, spec, weight="w")
    feats = ref_features(ps.state, 4)
    years = ps.layout.years
    tr = ref_transitions(feats, ps.state, ps.weight, 1, years, 2013)
    fit = tr[tr.fit]
    ref = fit.groupby(["band", "hist", "tse"]).apply(_rate, include_groups=False)
    ds = res.to_dataset()
    prob = ds["cell_probability"].values
    for (b, h, e), v in ref.items():
        assert abs(prob[b, h, e] - v) < 1e-12
    # every observed unit-wave in a non-empty cell gets its cell's rate (min_count=1)
    risk = ds["risk"].values
    m = feats.merge(ref.rename("p").reset_index(), on=["band", "hist", "tse"])
    np.testing.assert_allclose(risk[m.i, m.t], m.p, rtol=0, atol=1e-12)
    # features agree
    np.testing.assert_array_equal(ds["current_band"].values[feats.i, feats.t], feats.band)
    np.testing.assert_array_equal(ds["poor_history"].values[feats.i, feats.t], feats["hist"])
    np.testing.assert_array_equal(ds["waves_since_exit"].values[feats.i, feats.t], feats.tse)
    assert (ds["current_band"].values[ps.state < 0] == -1).all()
    assert np.isnan(risk[ps.state < 0]).all()
    assert int(ds["fit_count"]) == len(fit)
    assert ds.attrs["n_no_weight"] == 5
    # naive rule = groupby (band, exited)
    nv = fit.groupby(["band", "exited"]).apply(_rate, include_groups=False)
    for (b, x), v in nv.items():
        assert abs(ds["naive_probability"].values[b, x] - v) < 1e-12


def test_fallback_hierarchy_matches_pandas():
    rng = np.random.default_rng(7)
    panel = random_panel(rng, n=300, waves=5, d=4, gap_rate=0.05)
    spec = random_spec(rng, 4)
    mc = 25
    res = relapse_risk(panel, spec, weight="w", min_count=mc)
    ps = mpi.panel_states(panel, spec, weight="w")
    tr = ref_transitions(ref_features(ps.state, 4), ps.state, ps.weight, 1, ps.layout.years, 1e9)
    tr["ever"] = np.minimum(tr["hist"], 1)
    keys = [["band", "hist", "tse"], ["band", "ever", "tse"], ["band", "tse"], ["band"]]
    ds = res.to_dataset()
    for b in range(4):
        for h in range(3):
            for e in range(4):
                cell = dict(band=b, hist=h, ever=min(h, 1), tse=e)
                expect, level = _rate(tr), 4
                for lv, key in enumerate(keys):
                    g = tr[np.logical_and.reduce([tr[c] == cell[c] for c in key])]
                    if len(g) >= mc and g.w.sum() > 0:
                        expect, level = _rate(g), lv
                        break
                assert abs(ds["probability"].values[b, h, e] - expect) < 1e-12
                assert int(ds["fallback_level"].values[b, h, e]) == level
    # a huge min_count: everything falls back to the overall rate
    res2 = relapse_risk(panel, spec, weight="w", min_count=10**9)
    p2 = res2.to_dataset()["probability"].values
    assert np.allclose(p2, _rate(tr), atol=1e-12, rtol=0)


def test_status_mode_and_horizon():
    rng = np.random.default_rng(3)
    n, T = 300, 6
    stat = (rng.random((n, T)) < 0.3).astype(float)
    stat[rng.random((n, T)) < 0.1] = np.nan
    panel = xr.Dataset(
        {"poor": (("unit", "time"), stat), "w": ("unit", rng.uniform(0.5, 2, n))},
        coords={"unit": np.arange(n), "time": np.arange(2000, 2000 + T)},
    )
    res = relapse_risk(panel, weight="w", status="poor", horizon=2, min_count=1)
    state = np.where(np.isnan(stat), -1, np.where(stat == 1, 2, 0)).astype(np.int8)
    feats = ref_features(state, 2)
    tr = ref_transitions(feats, state, panel["w"].values, 2, panel["time"].values, 1e9)
    ref = tr.groupby(["band", "hist", "tse"]).apply(_rate, include_groups=False)
    prob = res.to_dataset()["cell_probability"].values
    assert prob.shape == (2, 3, 4)
    for (b, h, e), v in ref.items():
        assert abs(prob[b, h, e] - v) < 1e-12
    assert list(res.to_dataset()["band"].values) == ["nonpoor", "poor"]


# ------------------------------------------------------------------ kernel additivity
def test_kernel_chunk_additivity():
    rng = np.random.default_rng(11)
    ps = mpi.panel_states(
        random_panel(rng, n=500, waves=5, gap_rate=0.1), random_spec(rng), weight="w"
    )
    st_, w = np.ascontiguousarray(ps.state), ps.weight
    code, sw, sn, units = krisk.risk_counts(st_, w, 4, 2, 1, 3)
    a = krisk.risk_counts(np.ascontiguousarray(st_[:217]), w[:217], 4, 2, 1, 2)
    b = krisk.risk_counts(np.ascontiguousarray(st_[217:]), w[217:], 4, 2, 1, 1)
    np.testing.assert_allclose(a[1] + b[1], sw, rtol=1e-14, atol=1e-12)
    np.testing.assert_array_equal(a[2] + b[2], sn)
    np.testing.assert_array_equal(np.vstack([a[0], b[0]]), code)
    np.testing.assert_array_equal(a[3] + b[3], units)
    single = krisk.risk_counts(st_, w, 4, 2, 1, 1)
    np.testing.assert_allclose(single[1], sw, rtol=1e-14, atol=1e-12)


# ------------------------------------------------------------------ logit
def test_logit_equals_direct_statsmodels():
    rng = np.random.default_rng(5)
    panel = random_panel(rng, n=600, waves=6, d=4, gap_rate=0.05)
    spec = random_spec(rng, 4)
    n = panel.sizes["unit"]
    panel["x_num"] = (("unit", "time"), rng.normal(size=(n, 6)))
    panel["x_cat"] = ("unit", rng.choice(np.array(["a", "b", "c"], dtype=object), n))
    res = relapse_risk(
        panel, spec, weight="w", method="logit", covariates=["x_num", "x_cat"], fit_until=2014
    )
    ps = mpi.panel_states(panel, spec, weight="w")
    feats = ref_features(ps.state, 4)
    tr = ref_transitions(feats, ps.state, ps.weight, 1, ps.layout.years, 2014)
    fit = tr[tr.fit]
    X = pd.DataFrame({"const": 1.0}, index=fit.index)
    for b, name in enumerate(["vulnerable", "poor", "severe"], start=1):
        X[f"band[{name}]"] = (fit.band == b).astype(float)
    X["history[1]"] = (fit["hist"] == 1).astype(float)
    X["history[2+]"] = (fit["hist"] == 2).astype(float)
    for e, name in enumerate(["1", "2", "3+"], start=1):
        X[f"time_since_exit[{name}]"] = (fit.tse == e).astype(float)
    X["score"] = ps.num[fit.i, fit.t] / ps.denom
    X["x_num"] = panel["x_num"].values[fit.i, fit.t]
    X["x_cat[b]"] = (panel["x_cat"].values[fit.i] == "b").astype(float)
    X["x_cat[c]"] = (panel["x_cat"].values[fit.i] == "c").astype(float)
    X = X.loc[:, (X.std() > 0) | (X.columns == "const")]
    direct = sm.GLM(fit.y, X, family=sm.families.Binomial(), freq_weights=fit.w).fit()
    ds = res.to_dataset()
    assert list(ds["term"].values) == list(X.columns)
    np.testing.assert_allclose(ds["coef"].values, direct.params.values, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ds["std_err"].values, direct.bse.values, rtol=1e-6)
    # scoring = the logistic of the linear predictor
    Xall = X.iloc[:5]
    eta = Xall.values @ direct.params.values
    got = ds["risk"].values[fit.i.values[:5], fit.t.values[:5]]
    np.testing.assert_allclose(got, 1 / (1 + np.exp(-eta)), rtol=1e-7)
    wl = res.watch_list(top=10)
    assert "drivers" in wl and len(wl) == 10
    assert (np.diff(wl.risk.values) <= 0).all()


# ------------------------------------------------------------------ metrics
def brute_auc(y, s, w):
    num = den = 0.0
    for i in range(len(y)):
        for j in range(len(y)):
            if y[i] and not y[j]:
                den += w[i] * w[j]
                num += w[i] * w[j] * (1.0 if s[i] > s[j] else 0.5 if s[i] == s[j] else 0.0)
    return num / den


@pytest.mark.parametrize("seed", range(4))
def test_auc_bruteforce(seed):
    rng = np.random.default_rng(seed)
    n = 60
    y = rng.random(n) < 0.4
    s = rng.integers(0, 6, n) / 5  # many ties
    w = rng.uniform(0.1, 3, n)
    assert abs(auc_score(y, s, w) - brute_auc(y, s, w)) < 1e-12
    assert abs(auc_score(y, np.full(n, 0.3), w) - 0.5) < 1e-15
    assert abs(auc_score(y, y.astype(float), w) - 1.0) < 1e-15
    assert np.isnan(auc_score(np.ones(n, bool), s, w))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 40))
def test_auc_properties(seed, n):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.5
    s = rng.integers(0, 4, n).astype(float)
    w = rng.uniform(0.1, 2, n)
    a = auc_score(y, s, w)
    if y.all() or not y.any():
        assert np.isnan(a)
        return
    assert abs(a + auc_score(~y, s, w) - 1) < 1e-12  # swapping the classes
    assert abs(a - auc_score(y, np.exp(s) * 3 - 1, w)) < 1e-12  # monotone invariance
    assert abs(a + auc_score(y, -s, w) - 1) < 1e-12  # reversed scores
    assert abs(a - auc_score(y, s, w * 7.0)) < 1e-12  # weights' scale


def test_brier_and_calibration():
    rng = np.random.default_rng(9)
    n = 1000
    p = np.round(rng.random(n), 2)
    y = rng.random(n) < p
    w = rng.uniform(0.2, 2, n)
    assert abs(brier_score(y, p, w) - np.sum(w * (p - y) ** 2) / w.sum()) < 1e-15
    cal = calibration_table(y, p, w)
    assert len(cal) == 10 and cal["count"].sum() == n
    assert abs(cal["weight"].sum() - w.sum()) < 1e-9
    ok = cal["count"] > 0
    assert abs((cal.predicted[ok] * cal.weight[ok]).sum() - (w * p).sum()) < 1e-9
    assert abs((cal.observed[ok] * cal.weight[ok]).sum() - (w * y).sum()) < 1e-9
    assert (np.diff(cal.predicted[ok].values) > 0).all()
    # roughly equal-weight deciles
    assert cal.weight.max() < 0.15 * w.sum()
    # ties stay in one bin
    cal2 = calibration_table(y, np.zeros(n), w)
    assert (cal2["count"] > 0).sum() == 1


# ------------------------------------------------------------------ out of time
def test_no_leakage_after_fit_until():
    rng = np.random.default_rng(21)
    panel = random_panel(rng, n=400, waves=7, d=4, gap_rate=0.05)
    spec = random_spec(rng, 4)
    fu = 2013  # targets <= 2013 fitted; waves 2014.. held out
    a = relapse_risk(panel, spec, weight="w", fit_until=fu, min_count=5)
    changed = panel.copy(deep=True)
    late = changed["time"].values > fu
    for v in ["i0", "i1", "i2", "i3"]:
        vals = changed[v].values
        vals[:, late] = rng.random((vals.shape[0], late.sum())) < 0.5
    b = relapse_risk(changed, spec, weight="w", fit_until=fu, min_count=5)
    da, db = a.to_dataset(), b.to_dataset()
    for name in ["probability", "cell_probability", "cell_weight", "naive_probability"]:
        np.testing.assert_array_equal(da[name].values, db[name].values)
    early = ~late
    np.testing.assert_array_equal(da["risk"].values[:, early], db["risk"].values[:, early])
    assert not np.array_equal(
        da["risk"].values[:, late], db["risk"].values[:, late], equal_nan=True
    )
    # logit too
    kw = dict(weight="w", fit_until=fu, method="logit")
    la, lb = relapse_risk(panel, spec, **kw), relapse_risk(changed, spec, **kw)
    np.testing.assert_array_equal(la["coef"].values, lb["coef"].values)
    # the evaluation uses only held-out waves
    ev = a.evaluate()
    assert ev.attrs["evaluated_waves"] == "2013, 2014, 2015"
    with pytest.raises(ValidationError, match="used to fit"):
        a.evaluate(wave=2011)


def test_registry_beats_naive(registry_panel):
    spec = mpi.presets.china_2b3g()
    covs = ["labour_capacity", "hh_size", "shock_illness", "shock_disaster", "shock_job_loss"]
    out = {}
    for label, kw in {
        "af nonparametric": dict(),
        "af logit": dict(method="logit", covariates=covs),
    }.items():
        res = relapse_risk(registry_panel, spec, weight="weight", fit_until=2020, **kw)
        ev = res.evaluate(wave=2021)  # score 2021 -> 2022
        out[label] = ev["auc"].values
        assert ev.attrs["evaluated_waves"] == "2021"
        cal = ev["calibration_weight"].sum("bin").values
        np.testing.assert_allclose(cal, float(ev["eval_weight"]))
    res = relapse_risk(registry_panel, None, weight="weight", status="latent_poor", fit_until=2020)
    out["latent_poor nonparametric"] = res.evaluate(wave=2021)["auc"].values
    for label, (model, naive) in out.items():
        print(f"{label}: AUC model {model:.4f} vs naive band-at-exit {naive:.4f}")
        assert model > naive, label
    wl = res.watch_list(top=20)
    assert len(wl) == 20 and (wl.band == "nonpoor").all()
    assert (wl.time == 2022).all()


# ------------------------------------------------------------------ bad input, no mutation
def test_bad_inputs(registry_panel):
    spec = mpi.presets.china_2b3g()
    small = registry_panel.isel(unit=slice(0, 300))
    with pytest.raises(ValidationError, match="method"):
        relapse_risk(small, spec, method="probit")
    with pytest.raises(ValidationError, match="horizon"):
        relapse_risk(small, spec, horizon=0)
    with pytest.raises(ValidationError, match="min_count"):
        relapse_risk(small, spec, min_count=0)
    with pytest.raises(ValidationError, match="covariates"):
        relapse_risk(small, spec, covariates=["hh_size"])
    with pytest.raises(ValidationError, match="fit_until"):
        relapse_risk(small, spec, fit_until=2015)
    with pytest.raises(ValidationError, match="fit_until"):
        relapse_risk(small, spec, fit_until="2020")
    with pytest.raises(DataError, match="status"):
        relapse_risk(small, status="poverty_status")
    with pytest.raises(DataError, match="0/1"):
        relapse_risk(small, status="income_per_capita")
    with pytest.raises(DataError, match="covariate"):
        relapse_risk(small, spec, method="logit", covariates=["nope"])
    with pytest.raises(DataError, match="wave"):
        relapse_risk(small.isel(time=[0]), spec)
    with pytest.raises(ValidationError, match="spec"):
        relapse_risk(small)
    res = relapse_risk(small, spec)
    with pytest.raises(ValidationError, match="held-out"):
        res.evaluate()
    with pytest.raises(ValidationError, match="wave"):
        res.watch_list(wave=1999)


def test_input_not_mutated(registry_panel):
    spec = mpi.presets.china_2b3g()
    small = registry_panel.isel(unit=slice(0, 400)).copy(deep=True)
    before = small.copy(deep=True)
    res = relapse_risk(
        small,
        spec,
        weight="weight",
        method="logit",
        covariates=["labour_capacity"],
        fit_until=2020,
    )
    res.watch_list()
    res.evaluate()
    xr.testing.assert_identical(small, before)
    ds = res.to_dataset()
    for name, var in ds.data_vars.items():
        assert "long_name" in var.attrs and var.attrs["units"] == "1", name
    assert isinstance(res.summary(), str) and "auc" in repr(res)


# ------------------------------------------------------------------ the public names
def test_public_names_are_the_risk_package():
    from mpi.dynamics import risk

    assert mpi.RiskResult is risk.RiskResult and mpi.relapse_risk is relapse_risk


def test_logit_inference_and_tidy_frame():
    rng = np.random.default_rng(5)
    panel = random_panel(rng, n=400, waves=6, d=4, gap_rate=0.05)
    spec = random_spec(rng, 4)
    res = relapse_risk(panel, spec, weight="w", method="logit", fit_until=2013)
    ds = res.to_dataset()
    assert res.has_inference
    np.testing.assert_array_equal(res.se["coef"].values, ds["std_err"].values)
    ci = res.ci(0.9)["coef"]
    z = 1.6448536269514722
    np.testing.assert_allclose(
        ci.sel(bound="upper").values, ds["coef"].values + z * ds["std_err"].values, rtol=1e-12
    )
    fr = res.to_frame()
    assert list(fr["measure"].unique()) == ["auc", "brier", "coef"]
    coef = fr[fr["measure"] == "coef"]
    np.testing.assert_array_equal(coef["estimate"].values, ds["coef"].values)
    np.testing.assert_array_equal(coef["se"].values, ds["std_err"].values)
    assert fr.loc[fr["measure"] == "auc", "se"].isna().all()
    assert isinstance(res.summary(), Summary)
    assert "Logit coefficients" in res.summary()


def test_nonparametric_has_no_inference_and_no_groups():
    rng = np.random.default_rng(2)
    panel = random_panel(rng, n=300, waves=5, d=4)
    res = relapse_risk(panel, random_spec(rng, 4), weight="w", fit_until=2012)
    assert not res.has_inference
    with pytest.raises(ValidationError, match="logit"):
        _ = res.se
    with pytest.raises(ValidationError, match="by_group"):
        res.by_group()
    fr = res.to_frame()
    assert list(fr["measure"].unique()) == ["auc", "brier", "probability"]
    prob = res.to_dataset()["probability"]
    np.testing.assert_array_equal(
        fr.loc[fr["measure"] == "probability", "estimate"].values, prob.values.ravel()
    )
    # without a held-out period: the model only
    full = relapse_risk(panel, random_spec(rng, 4), weight="w")
    assert list(full.to_frame()["measure"].unique()) == ["probability"]
    assert full.default_evaluation is None and "auc" not in full
