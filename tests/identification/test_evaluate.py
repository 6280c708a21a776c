"""mpi.targeting evaluation (issue 17 point 2): rates against plain numpy, design-based SEs
against a plain-numpy linearisation of ratios of totals from PSU totals, edge cases."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi.errors import MissingDataWarning, ValidationError
from mpi.identification.evaluate import TargetingResult, evaluate_targeting

RATES = (
    "inclusion_error", "exclusion_error", "leakage", "undercoverage", "coverage",
    "listed_share", "poor_share", "cgh_indicator", "targeting_differential",
)  # fmt: skip


def _data(seed: int, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    strata = rng.integers(0, 4, n)
    psu = strata * 100 + rng.integers(0, 8, n)  # 8 PSUs per stratum, labels unique
    poor = rng.random(n) < 0.3
    listed = np.where(poor, rng.random(n) < 0.7, rng.random(n) < 0.15)
    return pd.DataFrame(
        {
            "listed": listed.astype(np.int64),
            "poor": poor.astype(float),
            "w": rng.uniform(0.5, 4.0, n),
            "region": rng.choice(["north", "south", "west"], n),
            "year": rng.choice([2019, 2020], n),
            "stratum": strata,
            "psu": psu,
        }
    )


def _cells(df: pd.DataFrame, w: np.ndarray) -> dict[str, float]:
    lis, poo = df["listed"].to_numpy() == 1, df["poor"].to_numpy() == 1
    return {
        "lp": float(w[lis & poo].sum()), "ln": float(w[lis & ~poo].sum()),
        "up": float(w[~lis & poo].sum()), "un": float(w[~lis & ~poo].sum()),
    }  # fmt: skip


def _ref_rates(c: dict[str, float]) -> dict[str, float]:
    lp, ln, up, un = c["lp"], c["ln"], c["up"], c["un"]
    L, P, Q = lp + ln, lp + up, ln + un
    N = P + Q
    return {
        "inclusion_error": ln / L, "exclusion_error": up / P, "leakage": ln / L,
        "undercoverage": up / P, "coverage": lp / P, "listed_share": L / N,
        "poor_share": P / N, "cgh_indicator": (lp / L) / (P / N),
        "targeting_differential": lp / P - ln / Q,
    }  # fmt: skip


def test_rates_match_numpy_overall_and_by_group() -> None:
    df = _data(1)
    res = evaluate_targeting(df, "listed", "poor", weight="w")
    ds = res.to_dataset()
    ref = _ref_rates(_cells(df, df["w"].to_numpy()))
    for name in RATES:
        assert abs(float(ds[name]) - ref[name]) <= 1e-12, name
    assert int(ds.attrs["n_units"]) == len(df)
    grouped = evaluate_targeting(df, "listed", "poor", weight="w", by=["region", "year"])
    gds = grouped.to_dataset()
    assert gds["inclusion_error"].dims == ("region", "year")
    for (region, year), sub in df.groupby(["region", "year"]):
        ref = _ref_rates(_cells(sub, sub["w"].to_numpy()))
        for name in RATES:
            got = float(gds[name].sel(region=region, year=year))
            assert abs(got - ref[name]) <= 1e-12, (name, region, year)
        assert int(gds["n_units"].sel(region=region, year=year)) == len(sub)
        assert abs(float(gds["listed_poor"].sel(region=region, year=year)) - _cells(
            sub, sub["w"].to_numpy())["lp"]) <= 1e-9  # fmt: skip
    # unweighted: every unit weighs 1
    unw = evaluate_targeting(df, "listed", "poor").to_dataset()
    ref = _ref_rates(_cells(df, np.ones(len(df))))
    assert abs(float(unw["exclusion_error"]) - ref["exclusion_error"]) <= 1e-12


def _lin_se(df: pd.DataFrame, mask: np.ndarray) -> dict[str, float]:
    """Plain-numpy SEs of every rate in a domain (mask): ratio linearisation from PSU
    totals, stratified with-replacement PSU variance (n_h/(n_h-1)) sum (z_hi - zbar_h)^2."""
    w = df["w"].to_numpy() * mask
    lis, poo = df["listed"].to_numpy() == 1, df["poor"].to_numpy() == 1
    cols = {"lp": lis & poo, "ln": lis & ~poo, "up": ~lis & poo, "un": ~lis & ~poo}
    psus = np.unique(df["psu"])
    stratum_of = {p: p // 100 for p in psus}
    pos = np.searchsorted(psus, df["psu"].to_numpy())
    tot = {k: np.bincount(pos, weights=w * v, minlength=len(psus)) for k, v in cols.items()}
    T = {k: v.sum() for k, v in tot.items()}
    L, P, Q = T["lp"] + T["ln"], T["lp"] + T["up"], T["ln"] + T["un"]
    N = P + Q
    lt, pt, qt = tot["lp"] + tot["ln"], tot["lp"] + tot["up"], tot["ln"] + tot["un"]
    nt = pt + qt

    def ratio_z(a: np.ndarray, A: float, b: np.ndarray, B: float) -> np.ndarray:
        return (a - A / B * b) / B

    cgh = T["lp"] * N / (L * P)
    z = {
        "inclusion_error": ratio_z(tot["ln"], T["ln"], lt, L),
        "exclusion_error": ratio_z(tot["up"], T["up"], pt, P),
        "coverage": ratio_z(tot["lp"], T["lp"], pt, P),
        "listed_share": ratio_z(lt, L, nt, N),
        "poor_share": ratio_z(pt, P, nt, N),
        "cgh_indicator": cgh * (tot["lp"] / T["lp"] + nt / N - lt / L - pt / P),
        "targeting_differential": ratio_z(tot["lp"], T["lp"], pt, P)
        - ratio_z(tot["ln"], T["ln"], qt, Q),
    }
    z["leakage"], z["undercoverage"] = z["inclusion_error"], z["exclusion_error"]
    strata = np.array([stratum_of[p] for p in psus])
    out = {}
    for name, zz in z.items():
        var = 0.0
        for h in np.unique(strata):
            zh = zz[strata == h]
            var += len(zh) / (len(zh) - 1) * ((zh - zh.mean()) ** 2).sum()
        out[name] = float(np.sqrt(var))
    out["listed_poor"] = float(
        np.sqrt(
            sum(
                (strata == h).sum()
                / ((strata == h).sum() - 1)
                * ((tot["lp"][strata == h] - tot["lp"][strata == h].mean()) ** 2).sum()
                for h in np.unique(strata)
            )
        )
    )
    return out


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_design_se_match_numpy_linearisation(seed: int) -> None:
    df = _data(seed, n=1500)
    design = mpi.Design("w", strata="stratum", psu="psu")
    res = evaluate_targeting(df, "listed", "poor", design=design)
    se = res.se
    ref = _lin_se(df, np.ones(len(df)))
    for name, value in ref.items():
        assert abs(float(se[name]) - value) <= 1e-10, name
    assert res.to_dataset().attrs["df"] == df["psu"].nunique() - df["stratum"].nunique()
    by = evaluate_targeting(df, "listed", "poor", design=design, by="region")
    for region in ("north", "south", "west"):
        ref = _lin_se(df, (df["region"] == region).to_numpy())
        for name, value in ref.items():
            assert abs(float(by.se[name].sel(region=region)) - value) <= 1e-10, (name, region)
    # t intervals on the design's df (PSUs - strata), logit for shares, as MeasureResult.ci
    from scipy import stats

    t = stats.t.ppf(0.95, res.to_dataset().attrs["df"])
    ci = by.ci(0.9)
    est, se_cov = by.to_dataset()["coverage"], by.se["coverage"]
    logit = np.log(est / (1 - est)) + t * se_cov / (est * (1 - est))
    np.testing.assert_allclose(
        ci["coverage"].sel(bound="upper"), 1 / (1 + np.exp(-logit)), rtol=0, atol=1e-12
    )
    wald = by.ci(0.9, method="wald")
    np.testing.assert_allclose(
        wald["coverage"].sel(bound="upper"), est + t * se_cov, rtol=0, atol=1e-12
    )
    cgh = by.to_dataset()["cgh_indicator"] - t * by.se["cgh_indicator"]  # a ratio: never logit
    np.testing.assert_allclose(ci["cgh_indicator"].sel(bound="lower"), cgh, rtol=0, atol=1e-12)
    t50 = stats.t.ppf(0.95, 50)
    np.testing.assert_allclose(
        by.ci(0.9, "wald", df=50)["coverage"].sel(bound="lower"), est - t50 * se_cov,
        rtol=0, atol=1e-12,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="df must be"):
        by.ci(df=0)
    frame = by.to_frame()
    assert list(frame.columns) == ["measure", "region", "estimate", "se", "lower", "upper"]
    assert len(frame) == len(RATES) * 3


def test_replicate_design_se_match_numpy() -> None:
    df = _data(6, n=600)
    rng = np.random.default_rng(0)
    reps = [f"rw{r}" for r in range(5)]
    for r in reps:
        df[r] = df["w"] * rng.uniform(0.5, 1.5, len(df))
    res = evaluate_targeting(df, "listed", "poor", design=mpi.ReplicateDesign("w", reps))
    thetas = np.array([_ref_rates(_cells(df, df[r].to_numpy()))["inclusion_error"] for r in reps])
    ref = np.sqrt((len(reps) - 1) / len(reps) * ((thetas - thetas.mean()) ** 2).sum())
    assert abs(float(res.se["inclusion_error"]) - ref) <= 1e-12
    boot = evaluate_targeting(
        df,
        "listed",
        "poor",
        design=mpi.Design("w", strata="stratum", psu="psu").bootstrap(200, seed=1),
    )
    assert 0 < float(boot.se["coverage"]) < 1


def test_no_poor_and_all_listed_are_defined() -> None:
    df = pd.DataFrame({"listed": [1, 0, 1, 0], "poor": [0, 0, 0, 0], "g": ["a", "a", "b", "b"]})
    res = evaluate_targeting(df, "listed", "poor")
    ds = res.to_dataset()
    for name in ("exclusion_error", "undercoverage", "coverage", "cgh_indicator",
                 "targeting_differential"):  # fmt: skip
        assert np.isnan(float(ds[name])), name
    assert float(ds["inclusion_error"]) == 1.0
    assert float(ds["poor_share"]) == 0.0
    assert "No unit is poor" in ds.attrs["undefined"]
    text = res.summary().text
    assert "No unit is poor: Exclusion error" in text
    assert "没有任何贫困单位" in res.summary(lang="zh").text
    df2 = pd.DataFrame({"listed": [1, 1, 1, 1], "poor": [1, 0, 1, 1], "g": ["a", "a", "b", "b"]})
    ds2 = evaluate_targeting(df2, "listed", "poor", by="g").to_dataset()
    assert ds2["exclusion_error"].values.tolist() == [0.0, 0.0]
    assert ds2["inclusion_error"].values.tolist() == [0.5, 0.0]
    assert ds2["coverage"].values.tolist() == [1.0, 1.0]
    # group b: every unit poor, the differential has no non-poor to compare
    assert np.isnan(float(ds2["targeting_differential"].sel(g="b")))
    assert float(ds2["targeting_differential"].sel(g="a")) == 0.0
    res3 = evaluate_targeting(df2, "listed", "poor", by="g")
    assert "Every unit is poor in g=b" in res3.summary().text
    none = evaluate_targeting(df2.assign(listed=0), "listed", "poor").to_dataset()
    assert np.isnan(float(none["inclusion_error"])) and float(none["coverage"]) == 0.0


@pytest.mark.parametrize(
    "values, shown",
    [([1, 2, 0], "2"), (["yes", "no", "yes"], "'no'"), ([0.5, 1.0, 0.0], "0.5")],
)
def test_not_zero_one_is_an_error(values: list, shown: str) -> None:
    df = pd.DataFrame({"village_list": values, "poor": [1, 0, 1]})
    with pytest.raises(ValidationError, match="listed column 'village_list'") as err:
        evaluate_targeting(df, "village_list", "poor")
    assert shown in str(err.value) and "Recode" in str(err.value)
    with pytest.raises(ValidationError, match="poor column 'village_list'"):
        evaluate_targeting(df, "poor", "village_list")


def test_missing_values_are_counted_and_dropped() -> None:
    df = _data(7, n=400)
    df["listed"] = df["listed"].astype(float)
    df.loc[[3, 10, 11], "listed"] = np.nan
    df.loc[[20], "poor"] = np.nan
    df.loc[[30], "w"] = np.nan
    before = df.copy(deep=True)
    with pytest.warns(MissingDataWarning, match="5 of 400 units dropped"):
        res = evaluate_targeting(df, "listed", "poor", weight="w")
    pd.testing.assert_frame_equal(df, before)  # the input is not mutated
    ds = res.to_dataset()
    assert ds.attrs["n_dropped"] == 5 and ds.attrs["n_units"] == 395
    kept = df.dropna(subset=["listed", "poor", "w"])
    ref = _ref_rates(_cells(kept, kept["w"].to_numpy()))
    for name in RATES:
        assert abs(float(ds[name]) - ref[name]) <= 1e-12
    assert "5 unit(s) dropped" in res.summary().text


def test_bool_nullable_and_xarray_inputs() -> None:
    df = _data(8, n=300)
    base = evaluate_targeting(df, "listed", "poor", weight="w").to_dataset()
    as_bool = df.assign(listed=df["listed"] == 1, poor=(df["poor"] == 1).astype("boolean"))
    got = evaluate_targeting(as_bool, "listed", "poor", weight="w").to_dataset()
    xr.testing.assert_identical(got[list(RATES)], base[list(RATES)])
    ds_in = xr.Dataset({c: ("hh", df[c].to_numpy()) for c in ("listed", "poor", "w")})
    got_x = evaluate_targeting(ds_in, "listed", "poor", weight="w").to_dataset()
    xr.testing.assert_identical(got_x[list(RATES)], base[list(RATES)])
    obj = df.assign(listed=df["listed"].astype(object))
    got_o = evaluate_targeting(obj, "listed", "poor", weight="w").to_dataset()
    xr.testing.assert_identical(got_o[list(RATES)], base[list(RATES)])


def test_argument_errors() -> None:
    df = _data(9, n=50)
    with pytest.raises(ValidationError, match="differs from the design's weight"):
        evaluate_targeting(df, "listed", "poor", weight="listed", design=mpi.Design("w"))
    with pytest.raises(ValidationError, match="negative"):
        evaluate_targeting(df.assign(w=-df["w"]), "listed", "poor", weight="w")
    with pytest.raises(ValidationError, match="'nope' is not in the data"):
        evaluate_targeting(df, "nope", "poor")
    with pytest.raises(ValidationError, match="design must be"):
        evaluate_targeting(df, "listed", "poor", design="w")
    with pytest.raises(ValidationError, match="no standard errors"):
        _ = evaluate_targeting(df, "listed", "poor").se


def test_missing_group_and_result_interface() -> None:
    df = _data(10, n=200)
    df["region"] = df["region"].where(df.index % 50 != 0)  # 4 missing groups
    with pytest.warns(MissingDataWarning, match="4 unit"):
        res = evaluate_targeting(df, "listed", "poor", weight="w", by="region")
    assert isinstance(res, TargetingResult)
    assert res.to_dataset().attrs["n_missing_group"] == 4
    assert int(res.to_dataset()["n_units"].sum()) == 196
    assert repr(res).startswith("<mpi.TargetingResult listed='listed' poor='poor' by region: 3")
    assert set(res.by_group().data_vars) >= set(RATES)
    zh = res.summary(lang="zh")
    assert zh.title.startswith("瞄准评估") and "错评率（纳入误差）" in zh.text
    one = evaluate_targeting(df, "listed", "poor")
    assert "inclusion_error=" in repr(one)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = one.summary()
    assert s.tables[0][1].shape == (len(RATES), 1)
    assert s.tables[1][1].shape == (2, 2)


def test_registry_panel_village_list_against_truth() -> None:
    """The bundled registry panel labels each household-year's list error itself
    (``truth.list_error``): the rates per year must reproduce those labels exactly."""
    import mpi.datasets

    truth = mpi.datasets.load("registry_panel")["truth"]
    ds = evaluate_targeting(truth, "listed", "latent_poor", by="year").to_dataset()
    for year, rows in truth.groupby("year"):
        n_listed = int((rows["listed"] == 1).sum())
        n_poor = int((rows["latent_poor"] == 1).sum())
        inclusion = int((rows["list_error"] == "inclusion").sum()) / n_listed
        exclusion = int((rows["list_error"] == "exclusion").sum()) / n_poor
        assert abs(float(ds["inclusion_error"].sel(year=year)) - inclusion) <= 1e-12
        assert abs(float(ds["exclusion_error"].sel(year=year)) - exclusion) <= 1e-12
        assert int(ds["n_units"].sel(year=year)) == len(rows)


def test_against_the_poor_measured_with_a_spec() -> None:
    """spec= compares the list with the poor of mpi.identify: the same numbers as passing that
    status as a column; units identify drops count as dropped; bad combinations are errors."""
    df = mpi.datasets.load("dhs_rounds").query("round == 2020").reset_index(drop=True)
    spec = mpi.presets.global_mpi_2018()
    df = df.assign(listed=(df["hh_id"] % 3 == 0).astype(int))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        status = mpi.identify(df, spec).to_frame()
        by_spec = mpi.targeting(df, "listed", spec=spec, weight="weight", by="region")
        measured = df.assign(p=status["poor"].astype(float).where(~status["missing"]))
        by_column = mpi.targeting(measured, "listed", "p", weight="weight", by="region")
    a, b = by_spec.to_dataset(), by_column.to_dataset()
    for name in ("inclusion_error", "exclusion_error", "coverage", "listed_poor", "n_units"):
        np.testing.assert_array_equal(a[name].values, b[name].values)
    assert a.attrs["n_dropped"] == int(status["missing"].sum()) > 0
    with pytest.raises(mpi.ValidationError, match="not both or neither"):
        mpi.targeting(df, "listed")
    with pytest.raises(mpi.ValidationError, match="not both or neither"):
        mpi.targeting(df, "listed", "listed", spec=spec)
    with pytest.raises(mpi.ValidationError, match="spec= only"):
        mpi.targeting(df, "listed", "listed", k="1/3")


def _same_numbers(a: TargetingResult, b: TargetingResult) -> None:
    da, db = a.to_dataset(), b.to_dataset()
    assert list(da.data_vars) == list(db.data_vars)
    for name in da.data_vars:
        np.testing.assert_array_equal(da[name].values, db[name].values, err_msg=name)
    if a.has_inference:
        for name in a.se.data_vars:
            np.testing.assert_array_equal(a.se[name].values, b.se[name].values, err_msg=name)


def test_listed_as_unit_ids_equals_the_column() -> None:
    df = _data(11, n=800)
    df["hh"] = np.arange(800) * 7 + 1000
    ids = df.loc[df["listed"] == 1, "hh"]
    design = mpi.Design("w", strata="stratum", psu="psu")
    by_col = evaluate_targeting(df, "listed", "poor", design=design, by="region")
    for given in (ids, ids.tolist(), ids.to_numpy(), pd.Index(ids), set(ids), tuple(ids)):
        got = evaluate_targeting(df, given, "poor", design=design, by="region", id="hh")
        _same_numbers(got, by_col)
        assert got.to_dataset().attrs["listed"] == f"list of {len(ids):,} ids"
    assert len(ids) > 100 and f"list of {len(ids):,} ids" in evaluate_targeting(
        df, ids, "poor", id="hh").summary().text  # fmt: skip
    # id=None: the DataFrame's index, or the Dataset's unit coordinate
    indexed = df.set_index("hh")
    _same_numbers(evaluate_targeting(indexed, ids, "poor", design=design, by="region"), by_col)
    ds_in = xr.Dataset({c: ("hh", df[c].to_numpy()) for c in ("listed", "poor", "w")},
                       coords={"hh": df["hh"].to_numpy()})  # fmt: skip
    _same_numbers(evaluate_targeting(ds_in, ids, "poor", weight="w"),
                  evaluate_targeting(df, "listed", "poor", weight="w"))  # fmt: skip
    # string ids; an empty list lists nobody
    sid = df.assign(hh=df["hh"].map(lambda v: f"H{v:05d}"))
    got = evaluate_targeting(sid, [f"H{v:05d}" for v in ids], "poor", weight="w", id="hh")
    _same_numbers(got, evaluate_targeting(df, "listed", "poor", weight="w"))
    none = evaluate_targeting(df, [], "poor", id="hh").to_dataset()
    assert float(none["coverage"]) == 0.0 and none.attrs["listed"] == "list of 0 ids"


def test_listed_ids_errors() -> None:
    df = _data(12, n=60).assign(hh=np.arange(60) + 1)
    with pytest.raises(ValidationError, match=r"^3 listed ids are not in the data, e\.g\. "
                       r"999, 1000, 1001: check the id column or the list"):  # fmt: skip
        evaluate_targeting(df, [1, 2, 999, 1000, 1001], "poor", id="hh")
    with pytest.raises(ValidationError, match=r"\(the list holds string values, id column "
                       r"'hh' integer values\)"):  # fmt: skip
        evaluate_targeting(df, ["1", "2"], "poor", id="hh")
    with pytest.raises(
        ValidationError,
        match=r"listed, a list of 5 ids, names 2 id\(s\) more "
        r"than once \(e\.g\. 3, 5\)\. Deduplicate the list .* audit the roll",
    ):
        evaluate_targeting(df, [3, 3, 5, 5, 7], "poor", id="hh")
    dup = df.assign(hh=np.where(df.index < 2, 8, df["hh"]))
    with pytest.raises(ValidationError, match=r"id column 'hh' holds 1 id\(s\) more than once "
                       r"\(e\.g\. 8\)"):  # fmt: skip
        evaluate_targeting(dup, [3], "poor", id="hh")
    with pytest.raises(ValidationError, match=r"the DataFrame's index holds 1 id"):
        evaluate_targeting(dup.set_index("hh"), [3], "poor")
    with pytest.raises(ValidationError, match=r"id column 'hh' has 1 missing value"):
        evaluate_targeting(df.assign(hh=df["hh"].where(df.index != 4)), [3], "poor", id="hh")
    with pytest.raises(ValidationError, match=r"id='hh' names the data's id column .* "
                       r"listed='listed' is a 0/1 column"):  # fmt: skip
        evaluate_targeting(df, "listed", "poor", id="hh")
    with pytest.raises(ValidationError, match=r"id variable 'nope' is not in the data"):
        evaluate_targeting(df, [3], "poor", id="nope")
    with pytest.raises(ValidationError, match="one-dimensional"):
        evaluate_targeting(df, np.array([[1, 2]]), "poor", id="hh")
    ds_in = xr.Dataset({c: ("hh", df[c].to_numpy()) for c in ("listed", "poor")})
    with pytest.raises(ValidationError, match=r"unit dimension 'hh'.*has none; give the id"):
        evaluate_targeting(ds_in, [3], "poor")


def test_ids_and_rank_with_a_spec() -> None:
    """spec= passes the list of ids and rank= through: same numbers as the 0/1 column."""
    df = mpi.datasets.load("dhs_rounds").query("round == 2020").reset_index(drop=True)
    spec = mpi.presets.global_mpi_2018()
    df = df.assign(listed=(df["hh_id"] % 3 == 0).astype(int), income=df["hh_id"] % 97)
    ids = df.loc[df["listed"] == 1, "hh_id"].tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        a = mpi.targeting(df, ids, spec=spec, weight="weight", id="hh_id", rank="income")
        b = mpi.targeting(df, "listed", spec=spec, weight="weight", rank="income")
    _same_numbers(a, b)
    assert a.to_dataset()["decile_coverage"].dims == ("decile",)
