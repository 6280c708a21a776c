"""Survey designs: bad input, lonely PSUs, fpc, replicate weights, result API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mpi

SPEC = mpi.Spec.from_dimensions({"a": ["d1", "d2"], "b": ["d3"]}, k="1/3")


def _df(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({f"d{j}": (rng.random(n) < 0.4).astype(float) for j in (1, 2, 3)})
    df["stratum"] = rng.integers(0, 4, n)
    df["psu"] = df["stratum"] * 10 + rng.integers(0, 5, n)
    df["w"] = rng.uniform(0.5, 2.0, n)
    df["g"] = rng.choice(["x", "y", "z"], n)
    return df


def test_design_arguments_are_checked():
    with pytest.raises(mpi.ValidationError, match="lonely_psu must be one of"):
        mpi.Design("w", lonely_psu="drop")
    with pytest.raises(mpi.ValidationError, match="psu must be the name of one variable"):
        mpi.Design("w", psu=["a", "b"])
    with pytest.raises(mpi.ValidationError, match="replicates must be an integer >= 2"):
        mpi.Design("w").bootstrap(1)
    with pytest.raises(mpi.ValidationError, match="single string"):
        mpi.ReplicateDesign("w", "rw")
    with pytest.raises(mpi.ValidationError, match="at least 2"):
        mpi.ReplicateDesign("w", ["rw1"])
    with pytest.raises(mpi.ValidationError, match="type must be one of"):
        mpi.ReplicateDesign("w", ["a", "b"], type="jackknife")
    with pytest.raises(mpi.ValidationError, match="rho in"):
        mpi.ReplicateDesign("w", ["a", "b"], type="Fay")
    with pytest.raises(mpi.ValidationError, match="needs rscales"):
        mpi.ReplicateDesign("w", ["a", "b"], type="JKn")
    with pytest.raises(mpi.ValidationError, match="rscales has 3 values"):
        mpi.ReplicateDesign("w", ["a", "b"], type="JKn", rscales=[1, 1, 1])


def test_design_data_errors():
    df = _df()
    with pytest.raises(mpi.ValidationError, match="design must be an mpi.Design"):
        mpi.measure(df, SPEC, design="w")
    with pytest.raises(mpi.ValidationError, match="differs from the design's weight"):
        mpi.measure(df, SPEC, weight="d1", design=mpi.Design("w"))
    with pytest.raises(mpi.DataError, match="psu variable 'clusterx' is not in the data"):
        mpi.measure(df, SPEC, design=mpi.Design("w", psu="clusterx"))
    bad = df.assign(psu=df["psu"] % 5)  # PSU labels repeat across strata
    with pytest.raises(mpi.DataError, match="nest=True"):
        mpi.measure(bad, SPEC, design=mpi.Design("w", strata="stratum", psu="psu"))
    nested = mpi.measure(bad, SPEC, design=mpi.Design("w", strata="stratum", psu="psu", nest=True))
    plain = mpi.measure(df, SPEC, design=mpi.Design("w", strata="stratum", psu="psu"))
    assert float(nested.se.H) == pytest.approx(float(plain.se.H), rel=1e-12)
    miss = df.assign(psu=df["psu"].astype(float).where(df.index != 3))
    with pytest.raises(mpi.DataError, match="psu variable 'psu' has 1 missing value"):
        mpi.measure(miss, SPEC, design=mpi.Design("w", psu="psu"))
    lonely = df.assign(stratum=np.where(df["psu"] == 0, 99, df["stratum"]))
    with pytest.raises(mpi.DataError, match="single PSU .*lonely_psu="):
        mpi.measure(lonely, SPEC, design=mpi.Design("w", strata="stratum", psu="psu"))
    with pytest.raises(mpi.DataError, match="constant within each stratum"):
        mpi.measure(
            df.assign(N=np.arange(len(df)) + 100.0),
            SPEC,
            design=mpi.Design("w", strata="stratum", psu="psu", fpc="N"),
        )
    with pytest.raises(mpi.DataError, match="population of 2"):
        mpi.measure(
            df.assign(N=2.0), SPEC, design=mpi.Design("w", strata="stratum", psu="psu", fpc="N")
        )


def test_lonely_psu_policies_differ_as_documented():
    df = _df()
    lonely = df.assign(stratum=np.where(df["psu"] == 0, 99, df["stratum"]))
    se = {}
    for pol in ("adjust", "average", "remove", "certainty"):
        d = mpi.Design("w", strata="stratum", psu="psu", lonely_psu=pol)
        se[pol] = float(mpi.measure(lonely, SPEC, design=d).se.M0)
    assert se["remove"] == se["certainty"]
    assert se["average"] > se["remove"]  # other strata scaled up by 5/4
    assert se["adjust"] > se["remove"]  # the lone PSU adds its deviation


def test_fpc_shrinks_the_variance_exactly():
    df = _df()
    base = mpi.measure(df, SPEC, design=mpi.Design("w", strata="stratum", psu="psu"))
    n_h = df.groupby("stratum")["psu"].nunique()
    frac = 0.25
    with_fpc = mpi.measure(
        df.assign(f=frac), SPEC, design=mpi.Design("w", strata="stratum", psu="psu", fpc="f")
    )
    assert float(with_fpc.se.H) ** 2 == pytest.approx((1 - frac) * float(base.se.H) ** 2, rel=1e-12)
    counts = df["stratum"].map(n_h / frac)  # population PSU counts give the same fraction
    same = mpi.measure(
        df.assign(N=counts), SPEC, design=mpi.Design("w", strata="stratum", psu="psu", fpc="N")
    )
    assert float(same.se.H) == pytest.approx(float(with_fpc.se.H), rel=1e-12)
    census = mpi.measure(
        df.assign(f=1.0), SPEC, design=mpi.Design("w", strata="stratum", psu="psu", fpc="f")
    )
    assert float(census.se.H) == 0.0


def test_results_without_design_say_how_to_get_ses():
    res = mpi.measure(_df(), SPEC, weight="w")
    assert not res.has_design
    for call in (lambda: res.se, lambda: res.ci(), lambda: res.vcov(), lambda: res.df):
        with pytest.raises(mpi.ValidationError, match="design=mpi.Design"):
            call()


def test_result_inference_api():
    df = _df()
    res = mpi.measure(
        df, SPEC, by="g", k=["1/3", "2/3"], design=mpi.Design("w", strata="stratum", psu="psu")
    )
    ds, se = res.to_dataset(), res.se
    for name in se.data_vars:
        assert se[name].dims == ds[name].dims, name
    assert set(se.data_vars) >= {
        "H",
        "A",
        "M0",
        "censored_headcount",
        "population_share",
        "group_contribution",
    }
    ci = res.ci(0.9)
    assert ci.H.dims[0] == "bound"
    assert ((ci.H.sel(bound="lower") <= ds.H) & (ds.H <= ci.H.sel(bound="upper"))).all()
    wald = res.ci(0.9, "wald")
    assert float((wald.M0.sel(bound="upper") - ds.M0).max()) == pytest.approx(
        float((ds.M0 - wald.M0.sel(bound="lower")).max())
    )
    dom = res.ci(df="domain")
    assert dom.H.sizes == ci.H.sizes
    v = res.vcov(["H", "M0"])
    assert v.shape == (12, 12)
    assert np.allclose(v.to_numpy(), v.to_numpy().T)
    assert np.sqrt(np.diag(v.to_numpy()))[:6] == pytest.approx(
        se.H.transpose("g", "k").values.reshape(-1), rel=1e-12
    )
    assert res.overall.se.H.shape == (2,)
    with pytest.raises(mpi.ValidationError, match="level must be in"):
        res.ci(1.5)
    with pytest.raises(mpi.ValidationError, match="method must be"):
        res.ci(method="exact")
    with pytest.raises(mpi.ValidationError, match="df must be"):
        res.ci(df=-1)
    with pytest.raises(mpi.ValidationError, match="not estimands"):
        res.vcov(["Q"])
    with pytest.raises(mpi.ValidationError, match="not values of"):
        res.wald_test("M0", over="g", labels=["x", "nowhere"])
    t = res.wald_test("M0", over="g", k=1 / 3)
    assert t.df1 == 2 and t.df2 == res.df and 0 <= t.p_value <= 1
    adj = res.wald_test("M0", over="g", k=1 / 3, method="adjusted")
    assert adj.df2 == res.df - 1 and adj.statistic == pytest.approx(
        t.wald * (res.df - 1) / (res.df * 2)
    )
    assert "WaldTest" in repr(t)


def test_replicate_weights_bad_values():
    df = _df().assign(r1=1.0, r2=np.nan)
    with pytest.raises(mpi.DataError, match="replicate weight 'r2' has"):
        mpi.measure(df, SPEC, design=mpi.ReplicateDesign("w", ["r1", "r2"], type="BRR"))


def test_bootstrap_is_seeded_and_close_to_linearised():
    df = _df(4000, seed=3)
    d = mpi.Design("w", strata="stratum", psu="psu")
    a = mpi.measure(df, SPEC, design=d.bootstrap(400, seed=11)).se
    b = mpi.measure(df, SPEC, design=d.bootstrap(400, seed=11)).se
    c = mpi.measure(df, SPEC, design=d.bootstrap(400, seed=12)).se
    lin = mpi.measure(df, SPEC, design=d).se
    assert float(a.M0) == float(b.M0)
    assert float(a.M0) != float(c.M0)
    # 400 replicates: relative MC error of an SE ~ 1/sqrt(800) = 3.5%; 4 sigma
    assert abs(float(a.M0) / float(lin.M0) - 1) < 0.15


def test_input_not_mutated_and_row_order_irrelevant():
    df = _df()
    copy = df.copy()
    d = mpi.Design("w", strata="stratum", psu="psu")
    r1 = mpi.measure(df, SPEC, by="g", design=d)
    pd.testing.assert_frame_equal(df, copy)
    r2 = mpi.measure(df.sample(frac=1.0, random_state=1), SPEC, by="g", design=d)
    for name in ("H", "M0", "A", "censored_headcount"):
        assert r1.se[name].values == pytest.approx(r2.se[name].values, rel=1e-12)


def test_ci_plots_return_axes_and_check_input():
    import matplotlib

    matplotlib.use("Agg")
    df = _df().assign(rnd=lambda d: np.where(d.index % 2 == 0, 2015, 2020))
    d = mpi.Design("w", strata="stratum", psu="psu")
    res = mpi.measure(df, SPEC, by="g", design=d)
    ax = mpi.plot.estimates(res, "M0")
    assert len(ax.get_yticklabels()) == 3
    lines = ax.collections  # the error bars
    assert lines, "confidence intervals drawn"
    # without a design the ranking chart draws the points only, and says so
    plain = mpi.plot.estimates(mpi.measure(df, SPEC, by="g", weight="w"))
    assert not plain.collections and "no confidence intervals" in plain.get_xlabel()
    ch = mpi.measure(df, SPEC, by="rnd", design=d).change("rnd")
    ax = mpi.plot.changes(ch, measures=("M0", "H"), kind="relative")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["M0  2015-2020", "H  2015-2020"]
    assert "%" in ax.get_xlabel()
    with pytest.raises(mpi.ValidationError, match="not in the change result"):
        mpi.plot.changes(ch, measures=("Q",))


def test_summary_and_frame_show_the_design():
    res = mpi.measure(_df(), SPEC, by="g", design=mpi.Design("w", strata="stratum", psu="psu"))
    text = res.summary()
    assert "Survey design" in text and "4 strata, 20 PSUs" in text and "df = 16" in text
    assert "Standard errors (design-based)" in text
    assert "Standard errors" in res._repr_html_()
    fr = res.to_frame()
    h = fr[(fr.measure == "H") & (fr.g == "x")].iloc[0]
    assert h["se"] == pytest.approx(float(res.se.H.sel(g="x")), rel=1e-12)
    assert h["lower"] < h["estimate"] < h["upper"]  # issue 15: "value" is now "estimate"
    assert fr.loc[fr.measure == "n_obs", "se"].isna().all()
    plain = mpi.measure(_df(), SPEC, by="g", weight="w")
    assert "se" not in plain.to_frame().columns and "Survey design" not in plain.summary()


def test_replicates_drop_units_without_a_full_sample_weight():
    df = _df().assign(r1=lambda d: d.w * 1.1, r2=lambda d: d.w * 0.9)
    df.loc[df.index[:7], "w"] = np.nan
    with pytest.warns(mpi.MissingDataWarning, match="7 of 400 units dropped"):
        res = mpi.measure(df, SPEC, design=mpi.ReplicateDesign("w", ["r1", "r2"], type="BRR"))
    # replicates are the full-sample weights scaled by 1.1 and 0.9: ratios are unchanged
    assert float(res.se.H) == pytest.approx(0.0, abs=1e-15)


def test_bootstrap_agrees_with_linearisation_on_a_large_generated_survey():
    """200,000 households in 8,000 clusters and 10 strata (the bundled generator), by region:
    the Rao-Wu bootstrap SE (B = 2000) of H, M0, A and every censored headcount is within
    Monte Carlo error of the linearised SE. The relative SD of a bootstrap SE is about
    1/sqrt(2B) = 1.6%; each of the 65 ratios must be within 4.5 SD, their mean within 1%."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        df = mpi.datasets.generate("mpi_survey", n=200_000, seed=5)
        spec = mpi.presets.global_mpi_2018()
        d = mpi.Design("weight", strata="stratum", psu="psu")
        lin = mpi.measure(df, spec, by="region", design=d).se
        boot = mpi.measure(df, spec, by="region", design=d.bootstrap(2000, seed=3)).se
    ratios = np.concatenate(
        [(boot[v] / lin[v]).values.ravel() for v in ("H", "M0", "A", "censored_headcount")]
    )
    assert ratios.size == 65
    tol = 4.5 / np.sqrt(2 * 2000)
    assert np.abs(ratios - 1).max() < tol, ratios
    assert abs(ratios.mean() - 1) < 0.01
