"""Changes over time: identities, delta-method SEs by hand, replicate engine, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mpi

SPEC = mpi.Spec.from_dimensions({"a": ["d1", "d2"], "b": ["d3"]}, k="1/3")


def _rounds(seed: int = 3, n: int = 900, rounds=(2010, 2014.5, 2019)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for r, yr in enumerate(rounds):
        p = 0.45 - 0.08 * r
        df = pd.DataFrame(
            {f"d{j}": (rng.random(n) < p + 0.05 * j).astype(float) for j in (1, 2, 3)}
        )
        df["round"] = yr
        df["stratum"] = rng.integers(0, 6, n)
        df["psu"] = df["stratum"] * 100 + rng.integers(0, 12, n)  # PSUs revisited every round
        df["w"] = rng.uniform(0.5, 2.0, n)
        df["region"] = rng.choice(["N", "S"], n)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


DESIGN = mpi.Design("w", strata="stratum", psu="psu")


@pytest.fixture(scope="module")
def res():
    return mpi.measure(_rounds(), SPEC, by="round", design=DESIGN)


def test_identities_of_the_changes(res):
    ch = res.change("round", kind="insequence")
    ds = ch.to_dataset()
    m0 = res.M0.values
    yrs = np.array([2010, 2014.5, 2019])
    ab = ds.M0.sel(change="absolute").values
    assert ab == pytest.approx(np.diff(m0), abs=1e-15)
    assert ds.M0.sel(change="relative").values == pytest.approx(100 * np.diff(m0) / m0[:-1])
    ann = ds.M0.sel(change="annualized_absolute").values
    assert ann * np.diff(yrs) == pytest.approx(ab, abs=1e-15)
    rel = ds.M0.sel(change="annualized_relative").values
    assert (1 + rel / 100) ** np.diff(yrs) == pytest.approx(m0[1:] / m0[:-1], rel=1e-12)
    # (1 + dM) = (1 + dH)(1 + dA) in relative terms
    d = {v: ds[v].sel(change="relative").values / 100 for v in ("M0", "H", "A")}
    assert 1 + d["M0"] == pytest.approx((1 + d["H"]) * (1 + d["A"]), rel=1e-12)
    total = res.change("round").to_dataset().M0.sel(change="absolute").values
    assert total == pytest.approx(ab.sum(), abs=1e-15)


def test_decomposition_sums_to_the_change(res):
    dec = res.change("round", kind="insequence").decomposition()
    assert (dec.H_part + dec.A_part).values == pytest.approx(dec.delta_M0.values, abs=1e-15)
    assert dec.indicator_part.sum("indicator").values == pytest.approx(
        dec.delta_M0.values, abs=1e-15
    )
    assert (dec.delta_M0_se > 0).all()
    assert (dec.indicator_part_se > 0).all()


def test_change_se_is_the_delta_method_by_hand(res):
    ch = res.change("round")  # 2010 -> 2019
    v = res.vcov("M0").to_numpy()
    x1, x2 = res.M0.values[0], res.M0.values[2]
    i, j = 0, 2
    var_abs = v[i, i] + v[j, j] - 2 * v[i, j]
    se = ch.se.M0.sel(change="absolute").item()
    assert se == pytest.approx(np.sqrt(var_abs), rel=1e-12)
    grad = np.array([-x2 / x1**2, 1 / x1]) * 100  # d/dx1, d/dx2 of 100 (x2 - x1)/x1
    sub = v[np.ix_([i, j], [i, j])]
    assert ch.se.M0.sel(change="relative").item() == pytest.approx(
        np.sqrt(grad @ sub @ grad), rel=1e-12
    )
    span = 9.0
    ratio = x2 / x1
    g = 100 / span * ratio ** (1 / span) * np.array([-1 / x1, 1 / x2])
    assert ch.se.M0.sel(change="annualized_relative").item() == pytest.approx(
        np.sqrt(g @ sub @ g), rel=1e-12
    )
    # treating the first round as fixed (Stata mpitb's annualised relative SE) is smaller
    # or larger but not equal: both rounds are random here
    assert ch.se.M0.sel(change="annualized_relative").item() != pytest.approx(
        abs(g[1]) * np.sqrt(v[j, j]), rel=1e-6
    )


def test_shared_psus_enter_the_covariance(res):
    v = res.vcov("H").to_numpy()
    assert abs(v[0, 1]) > 1e-6  # rounds share PSUs: a nonzero covariance
    naive = np.sqrt(v[0, 0] + v[1, 1])
    ch = res.change("round", kind="insequence")
    assert ch.se.H.sel(change="absolute").values[0] != pytest.approx(naive, rel=1e-3)


def test_changes_by_group_and_ci(res):
    by = mpi.measure(_rounds(), SPEC, by=["round", "region"], design=DESIGN)
    ch = by.change("round")
    ds = ch.to_dataset()
    assert set(ds.M0.dims) == {"period", "change", "region"}
    m0 = by.M0
    expect = m0.sel(round=2019.0) - m0.sel(round=2010.0)
    got = ds.M0.sel(change="absolute").squeeze("period", drop=True)
    assert got.values == pytest.approx(expect.values, abs=1e-15)
    ci = ch.ci(0.9)
    assert (ci.M0.sel(bound="lower") < ds.M0).all() and (ci.M0.sel(bound="upper") > ds.M0).all()
    frame = ch.to_frame()
    assert {"measure", "period", "change", "region", "estimate", "se", "lower", "upper"} <= set(
        frame.columns
    )
    assert "Changes over time" in ch.summary() and "2010" in repr(ch) + ch.summary()


def test_decimal_years_mapping():
    df = _rounds(rounds=("A", "B", "C"))
    res = mpi.measure(df, SPEC, by="round", design=DESIGN)
    ch = res.change("round", years={"A": 2015.5, "B": 2017.25, "C": 2020.0})
    ds = ch.to_dataset()
    assert float(ds.start_year[0]) == 2015.5 and float(ds.end_year[0]) == 2020.0
    with pytest.raises(mpi.ValidationError, match="not years"):
        res.change("round")
    with pytest.raises(mpi.ValidationError, match="no entry"):
        res.change("round", years={"A": 2015})


def test_bootstrap_change_se_matches_replicate_spread():
    df = _rounds()
    res = mpi.measure(df, SPEC, by="round", design=DESIGN.bootstrap(200, seed=7))
    ch = res.change("round")
    e = res.estimate("M0")
    reps = e.pert.values  # (replicates, rounds)
    diff = reps[:, 2] - reps[:, 0]
    assert ch.se.M0.sel(change="absolute").item() == pytest.approx(diff.std(ddof=1), rel=1e-12)
    lin = mpi.measure(df, SPEC, by="round", design=DESIGN).change("round")
    a, b = ch.se.M0.sel(change="absolute").item(), lin.se.M0.sel(change="absolute").item()
    assert abs(a / b - 1) < 0.25  # 200 replicates: Monte Carlo error ~ 1/sqrt(400) = 5%


def test_errors():
    df = _rounds()
    plain = mpi.measure(df, SPEC, by="round", weight="w")
    with pytest.raises(mpi.ValidationError, match="design"):
        plain.change("round")
    res = mpi.measure(df, SPEC, by="region", design=DESIGN)
    with pytest.raises(mpi.ValidationError, match="by variables"):
        res.change("round")
    one = mpi.measure(df[df["round"] == 2010], SPEC, by="round", design=DESIGN)
    with pytest.raises(mpi.ValidationError, match="single round"):
        one.change("round")
    res2 = mpi.measure(df, SPEC, by="round", design=DESIGN)
    with pytest.raises(mpi.ValidationError, match="kind"):
        res2.change("round", kind="chained")


def _kish_cov(df, spec, by_round, design_cols=("stratum", "psu")):
    """Independent numpy: covariance of M0 between two rounds from revisited clusters."""
    s, p = design_cols
    out = {}
    for r in by_round:
        sub = df[df["round"] == r]
        res = mpi.measure(sub, spec, weight="w")
        m0 = float(res.M0)
        dep = np.column_stack([sub[f"d{j}"].to_numpy() for j in (1, 2, 3)])
        c = dep @ np.array([1 / 4, 1 / 4, 1 / 2])
        ck = np.where(c >= 1 / 3 - 1e-12, c, 0.0)
        w = sub["w"].to_numpy()
        u = w * (ck - m0) / w.sum()
        out[r] = pd.Series(u, index=sub.index).groupby([sub[s], sub[p]]).sum()
    a, b = out[by_round[0]], out[by_round[1]]
    both = a.index.intersection(b.index)
    total = 0.0
    for h in both.get_level_values(0).unique():
        idx = [k for k in both if k[0] == h]
        m = len(idx)
        if m < 2:
            continue
        x, y = a.loc[idx].to_numpy(), b.loc[idx].to_numpy()
        total += m / (m - 1) * ((x - x.mean()) * (y - y.mean())).sum()
    return total


def test_rounds_design_separate_samples_with_revisited_clusters():
    df = _rounds(rounds=(2010, 2019))
    # round 2 revisits only part of round 1's clusters: relabel the others as new clusters
    second = df["round"] == 2019
    df.loc[second & (df["psu"] % 3 == 0), "psu"] += 50
    rd = mpi.Design("w", strata="stratum", psu="psu", rounds="round")
    res = mpi.measure(df, SPEC, by="round", design=rd)
    for r in (2010, 2019):  # each round's SE is that of analysing it alone
        alone = mpi.measure(df[df["round"] == r], SPEC, design=DESIGN)
        assert float(res.se.M0.sel(round=r)) == pytest.approx(float(alone.se.M0), rel=1e-12)
    cov = res.vcov("M0").to_numpy()[0, 1]
    assert cov == pytest.approx(_kish_cov(df, SPEC, (2010, 2019)), rel=1e-10)
    e = res.estimate("M0")
    diff = e.sel(round=2019) - e.sel(round=2010)
    v = res.vcov("M0").to_numpy()
    assert float(diff.variance) == pytest.approx(v[0, 0] + v[1, 1] - 2 * v[0, 1], rel=1e-12)
    assert res.df == sum(
        df[df["round"] == r].groupby("stratum")["psu"].nunique().sub(1).sum() for r in (2010, 2019)
    )
    with pytest.raises(mpi.ValidationError, match="rounds="):
        rd.bootstrap(100)


def test_log_interval_for_relative_changes_stays_above_minus_100(res):
    ch = res.change("round")
    wald, logci = ch.ci(0.99), ch.ci(0.99, method="log")
    rel = logci.M0.sel(change="relative")
    assert (rel.sel(bound="lower") > -100).all()
    est = ch.to_dataset().M0.sel(change="relative")
    assert ((rel.sel(bound="lower") < est) & (est < rel.sel(bound="upper"))).all()
    # absolute changes keep the Wald interval
    for c in ("absolute", "annualized_absolute"):
        np.testing.assert_allclose(logci.M0.sel(change=c), wald.M0.sel(change=c))
    # the log interval is the Wald interval of log(1 + delta/100), mapped back
    q = 1 + est / 100
    se_log = ch.se.M0.sel(change="relative") / 100 / q
    from scipy import stats

    t = stats.t.ppf(0.995, res.df)
    np.testing.assert_allclose(
        np.log(1 + rel.sel(bound="upper") / 100), np.log(q) + t * se_log, rtol=1e-12
    )
    with pytest.raises(mpi.ValidationError, match="method must be"):
        ch.ci(method="exact")
