"""Targeting rates over time and between groups (issue 17, point 2): changes later - earlier
against plain-numpy rate differences, their SEs against a plain-numpy linearisation that
counts the covariance of rounds sharing PSUs (a panel), a replicate design, pairwise
contrasts and Wald tests, summaries in both languages, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mpi
from mpi.errors import ValidationError
from mpi.identification.evaluate_change import TargetingChangeResult

YEARS = (2019, 2020, 2021)
CHANGED = ("inclusion_error", "exclusion_error", "coverage", "leakage", "undercoverage")

#: rate -> (numerator cells, denominator cells) as ratios of weighted totals
RATIOS = {
    "inclusion_error": (("ln",), ("lp", "ln")),
    "leakage": (("ln",), ("lp", "ln")),
    "exclusion_error": (("up",), ("lp", "up")),
    "undercoverage": (("up",), ("lp", "up")),
    "coverage": (("lp",), ("lp", "up")),
    "listed_share": (("lp", "ln"), ("lp", "ln", "up", "un")),
    "poor_share": (("lp", "up"), ("lp", "ln", "up", "un")),
}


def _panel(seed: int, n_hh: int = 600) -> pd.DataFrame:
    """Households observed in three years, each in the same PSU every year; the poverty
    status and the list are persistent (so the years' rates are correlated); a random
    stratified design (2-5 strata, 3-7 PSUs each), weights that vary by year, and a few
    households missing in some years (an unbalanced panel)."""
    rng = np.random.default_rng(seed)
    n_strata = int(rng.integers(2, 6))
    n_psu = rng.integers(3, 8, n_strata)
    stratum = rng.integers(0, n_strata, n_hh)
    psu = stratum * 100 + rng.integers(0, n_psu[stratum])
    county = rng.choice(["A", "B"], n_hh)
    poor0 = rng.random(n_hh) < 0.35
    listed0 = np.where(poor0, rng.random(n_hh) < 0.7, rng.random(n_hh) < 0.2)
    base_w = rng.uniform(0.5, 4.0, n_hh)
    frames = []
    for year in YEARS:
        poor = np.where(rng.random(n_hh) < 0.85, poor0, rng.random(n_hh) < 0.35)
        listed = np.where(rng.random(n_hh) < 0.9, listed0, poor & (rng.random(n_hh) < 0.6))
        frames.append(
            pd.DataFrame(
                {
                    "hh": np.arange(n_hh),
                    "year": year,
                    "county": county,
                    "listed": listed.astype(np.int64),
                    "poor": poor.astype(np.int64),
                    "w": base_w * rng.uniform(0.8, 1.25, n_hh),
                    "stratum": stratum,
                    "psu": psu,
                }
            )  # fmt: skip
        )
    df = pd.concat(frames, ignore_index=True)
    return df[rng.random(len(df)) < 0.95].reset_index(drop=True)


def _cells(df: pd.DataFrame, w: np.ndarray) -> dict[str, np.ndarray]:
    """Each unit's weighted contribution to the four cells."""
    lis, poo = df["listed"].to_numpy() == 1, df["poor"].to_numpy() == 1
    return {
        "lp": w * (lis & poo), "ln": w * (lis & ~poo),
        "up": w * (~lis & poo), "un": w * (~lis & ~poo),
    }  # fmt: skip


def _rate(df: pd.DataFrame, name: str, mask: np.ndarray, w: np.ndarray | None = None) -> float:
    c = _cells(df, (df["w"].to_numpy() if w is None else w) * mask)
    num, den = RATIOS[name]
    return float(sum(c[k].sum() for k in num) / sum(c[k].sum() for k in den))


def _influence(df: pd.DataFrame, name: str, mask: np.ndarray) -> np.ndarray:
    """Linearised influence values of a ratio of weighted totals in a domain, per unit:
    z_i = (y_i - R x_i) / X with y, x the unit's weighted numerator and denominator (0
    outside the domain)."""
    c = _cells(df, df["w"].to_numpy() * mask)
    num, den = RATIOS[name]
    y = sum(c[k] for k in num)
    x = sum(c[k] for k in den)
    ratio = y.sum() / x.sum()
    return (y - ratio * x) / x.sum()


def _strat_var(df: pd.DataFrame, z: np.ndarray) -> float:
    """Stratified with-replacement variance of the PSU totals of z:
    sum_h n_h/(n_h-1) sum_i (z_hi - zbar_h)^2."""
    psus, pos = np.unique(df["psu"].to_numpy(), return_inverse=True)
    tot = np.bincount(pos, weights=z, minlength=len(psus))
    strata = psus // 100
    var = 0.0
    for h in np.unique(strata):
        zh = tot[strata == h]
        var += len(zh) / (len(zh) - 1) * ((zh - zh.mean()) ** 2).sum()
    return var


def _design() -> mpi.Design:
    return mpi.Design("w", strata="stratum", psu="psu")


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_changes_and_se_match_numpy_with_covariance(seed: int) -> None:
    df = _panel(seed)
    res = mpi.targeting(df, listed="listed", poor="poor", by="year", design=_design())
    year = df["year"].to_numpy()
    for kind, pairs in (("total", [(2019, 2021)]), ("insequence", [(2019, 2020), (2020, 2021)])):
        ch = res.change("year", kind=kind, variables=list(RATIOS))
        ds, se = ch.to_dataset(), ch.se
        assert list(ds["period"].values) == [f"{a}-{b}" for a, b in pairs]
        for name in RATIOS:
            for i, (a, b) in enumerate(pairs):
                ma, mb = year == a, year == b
                ref = _rate(df, name, mb) - _rate(df, name, ma)
                assert abs(float(ds[name].isel(period=i)) - ref) <= 1e-12, (name, a, b)
                # the difference of the two rates from the result itself, exactly
                rates = res.to_dataset()[name]
                got = float(rates.sel(year=b) - rates.sel(year=a))
                assert abs(float(ds[name].isel(period=i)) - got) <= 1e-12
                za, zb = _influence(df, name, ma), _influence(df, name, mb)
                var = _strat_var(df, zb - za)  # covariance included
                assert abs(float(se[name].isel(period=i)) - np.sqrt(var)) <= 1e-10, name
                # ... and it matters: the SE without the covariance is clearly different
                naive = np.sqrt(_strat_var(df, za) + _strat_var(df, zb))
                assert abs(naive - np.sqrt(var)) > 1e-3 * naive, name
    assert ch.df == df["psu"].nunique() - df["stratum"].nunique()


def test_changes_per_county_cell() -> None:
    df = _panel(21)
    res = mpi.targeting(df, listed="listed", poor="poor", by=["year", "county"], design=_design())
    ch = res.change("year", kind="insequence", variables=["coverage", "inclusion_error"])
    ds, se = ch.to_dataset(), ch.se
    assert ds["coverage"].dims == ("period", "county")
    year, county = df["year"].to_numpy(), df["county"].to_numpy()
    for c in ("A", "B"):
        for i, (a, b) in enumerate([(2019, 2020), (2020, 2021)]):
            ma, mb = (year == a) & (county == c), (year == b) & (county == c)
            for name in ("coverage", "inclusion_error"):
                ref = _rate(df, name, mb) - _rate(df, name, ma)
                assert abs(float(ds[name].sel(county=c).isel(period=i)) - ref) <= 1e-12
                var = _strat_var(df, _influence(df, name, mb) - _influence(df, name, ma))
                got = float(se[name].sel(county=c).isel(period=i))
                assert abs(got - np.sqrt(var)) <= 1e-10, (name, c, a)
    assert list(ds["start"].values) == [2019, 2020]
    assert list(ds["end"].values) == [2020, 2021]
    levels = ch.levels()
    np.testing.assert_allclose(
        levels["coverage"].sel(endpoint="end") - levels["coverage"].sel(endpoint="start"),
        ds["coverage"], rtol=0, atol=1e-15,
    )  # fmt: skip
    # a difference in differences between the counties, from the changes' estimates
    e = ch.estimate("coverage")
    did = e.sel(county="B") - e.sel(county="A")
    zd = sum(
        s * _influence(df, "coverage", (year == y) & (county == c))
        for s, y, c in [(1, 2020, "B"), (-1, 2019, "B"), (-1, 2020, "A"), (1, 2019, "A")]
    )
    assert abs(float(did.se.isel(period=0)) - np.sqrt(_strat_var(df, zd))) <= 1e-10
    frame = ch.to_frame()
    assert list(frame.columns) == [
        "measure", "county", "period", "estimate", "se", "lower", "upper",
    ]  # fmt: skip
    assert len(frame) == 2 * 2 * 2
    by_group = ch.by_group()
    assert by_group["coverage"].dims == ("county", "period")


def test_pairwise_and_wald_agree_with_change() -> None:
    df = _panel(31)
    res = mpi.targeting(df, listed="listed", poor="poor", by="year", design=_design())
    ch = res.change("year")  # 2019 -> 2021
    pw = res.pairwise("exclusion_error", "year", labels=[2021, 2019], level=0.9)
    assert len(pw) == 1 and pw["a"].iloc[0] == 2021 and pw["b"].iloc[0] == 2019
    change = float(ch.to_dataset()["exclusion_error"].item())
    se = float(ch.se["exclusion_error"].item())
    assert abs(pw["difference"].iloc[0] - change) <= 1e-12
    assert abs(pw["se"].iloc[0] - se) <= 1e-12
    ci = ch.ci(0.9)
    assert (
        abs(pw["lower"].iloc[0] - float(ci["exclusion_error"].sel(bound="lower").item())) <= 1e-12
    )
    assert (
        abs(pw["upper"].iloc[0] - float(ci["exclusion_error"].sel(bound="upper").item())) <= 1e-12
    )
    frame = ch.to_frame(level=0.9)
    row = frame[frame["measure"] == "exclusion_error"].iloc[0]
    assert abs(row["upper"] - pw["upper"].iloc[0]) <= 1e-12
    # default: inclusion_error over the first by variable, all pairs
    every = res.pairwise()
    assert list(zip(every["a"], every["b"], strict=True)) == [
        (2019, 2020), (2019, 2021), (2020, 2021),
    ]  # fmt: skip
    year = df["year"].to_numpy()
    ref = _rate(df, "inclusion_error", year == 2019) - _rate(df, "inclusion_error", year == 2020)
    assert abs(every["difference"].iloc[0] - ref) <= 1e-12
    # two rounds: the F statistic is the squared t of the change
    test = res.wald_test("exclusion_error", "year", labels=[2019, 2021])
    assert abs(test.statistic - (change / se) ** 2) <= 1e-9
    assert test.df1 == 1 and test.df2 == ch.df
    assert 0 < res.wald_test("coverage").p_value < 1
    # select: fix the other by variable
    grouped = mpi.targeting(
        df, listed="listed", poor="poor", by=["year", "county"], design=_design()
    )
    one = grouped.pairwise("coverage", "year", [2021, 2019], county="A")
    per_cell = grouped.change("year", variables=["coverage"])
    assert abs(one["difference"].iloc[0] - float(per_cell.to_dataset()["coverage"].sel(
        county="A").item())) <= 1e-12  # fmt: skip
    assert abs(one["se"].iloc[0] - float(per_cell.se["coverage"].sel(county="A").item())) <= 1e-12
    counties = grouped.pairwise("coverage", "county", year=2020)
    assert list(counties["a"]) == ["A"] and list(counties["b"]) == ["B"]


def test_replicate_design_change_matches_numpy() -> None:
    df = _panel(41, n_hh=300)
    psus = np.unique(df["psu"])
    reps = []
    for r, p in enumerate(psus[:8]):  # delete-one-PSU jackknife weights
        name = f"rw{r}"
        df[name] = np.where(df["psu"] == p, 0.0, df["w"] * len(psus) / (len(psus) - 1))
        reps.append(name)
    res = mpi.targeting(
        df, listed="listed", poor="poor", by="year", design=mpi.ReplicateDesign("w", reps)
    )
    ch = res.change("year", variables=["inclusion_error", "coverage"])
    year = df["year"].to_numpy()
    for name in ("inclusion_error", "coverage"):
        d = np.array(
            [
                _rate(df, name, year == 2021, df[r].to_numpy())
                - _rate(df, name, year == 2019, df[r].to_numpy())
                for r in reps
            ]
        )
        ref = np.sqrt((len(reps) - 1) / len(reps) * ((d - d.mean()) ** 2).sum())
        assert abs(float(ch.se[name].item()) - ref) <= 1e-12, name
        point = _rate(df, name, year == 2021) - _rate(df, name, year == 2019)
        assert abs(float(ch.to_dataset()[name].item()) - point) <= 1e-12
    assert ch.df == len(reps) - 1
    assert "replicate" in ch.summary().text


def test_without_design_point_changes_and_nan_se() -> None:
    df = _panel(51)
    res = mpi.targeting(df, listed="listed", poor="poor", weight="w", by="year")
    ch = res.change("year", kind="insequence")
    year = df["year"].to_numpy()
    ref = _rate(df, "leakage", year == 2021) - _rate(df, "leakage", year == 2020)
    assert abs(float(ch.to_dataset()["leakage"].isel(period=1)) - ref) <= 1e-12
    assert np.isnan(ch.se["leakage"].values).all()
    assert np.isnan(ch.ci()["leakage"].values).all()
    assert "No survey design" in ch.summary().text
    assert "未指定抽样设计" in ch.summary(lang="zh").text
    assert ch.to_frame()["se"].isna().all()
    with pytest.raises(ValidationError, match="no survey design"):
        res.estimate("leakage")
    with pytest.raises(ValidationError, match="no survey design"):
        res.pairwise("leakage")
    with pytest.raises(ValidationError, match="no survey design"):
        ch.estimate("leakage")


def test_undefined_rates_give_nan_changes_with_a_note() -> None:
    df = _panel(61)
    # nobody listed in county B in 2020: its inclusion error is undefined there
    df.loc[(df["year"] == 2020) & (df["county"] == "B"), "listed"] = 0
    res = mpi.targeting(df, listed="listed", poor="poor", by=["year", "county"], design=_design())
    ch = res.change("year", kind="insequence", variables=["inclusion_error", "coverage"])
    ie = ch.to_dataset()["inclusion_error"]
    assert np.isnan(ie.sel(county="B").values).all()
    assert np.isfinite(ie.sel(county="A").values).all()
    assert np.isfinite(ch.se["coverage"].values).all()
    assert "2 change(s) are undefined" in ch.summary().text


def test_summaries_repr_and_the_result_unchanged() -> None:
    df = _panel(71)
    res = mpi.targeting(df, listed="listed", poor="poor", by="year", design=_design())
    before, before_zh = res.summary().text, res.summary(lang="zh").text
    data = res.to_dataset()
    ch = res.change("year")
    res.pairwise("coverage")
    res.wald_test("coverage")
    assert res.summary().text == before and res.summary(lang="zh").text == before_zh
    assert res.to_dataset().identical(data)
    assert isinstance(ch, TargetingChangeResult)
    text = ch.summary().text
    assert text.startswith("Targeting over time: changes in the targeting rates")
    assert "Rounds (year)" in text and "2019, 2021" in text
    assert "Inclusion error" in text and "Cov(a, b)" in text
    zh = ch.summary(lang="zh")
    assert zh.title == "瞄准效果的跨期变化"
    assert "错评率（纳入误差）" in zh.text and "标准误" in zh.text
    assert [t for t, _ in zh.tables] == ["变化量（后期 − 前期）及其标准误与 95% t 置信区间"]
    with pytest.raises(ValidationError, match="lang"):
        ch.summary(lang="fr")
    r = repr(ch)
    assert r.startswith("<mpi.TargetingChangeResult over='year', period(s) 2019-2021")
    assert "inclusion_error" in r and "(se " in r
    ds = ch.to_dataset()
    assert ds["coverage"].attrs["long_name"] == "Change in Coverage of the poor (later - earlier)"
    assert ds.attrs["over"] == "year" and ds.attrs["design_df"] == ch.df
    ds["coverage"][:] = 99.0  # a copy
    assert float(ch.to_dataset()["coverage"].item()) != 99.0
    # round labels that do not sort in time order
    named = df.assign(year=df["year"].map({2019: "baseline", 2020: "midline", 2021: "endline"}))
    res2 = mpi.targeting(named, listed="listed", poor="poor", by="year", design=_design())
    ch2 = res2.change("year", rounds=["baseline", "midline", "endline"], kind="insequence")
    assert list(ch2.to_dataset()["period"].values) == ["baseline-midline", "midline-endline"]
    np.testing.assert_allclose(
        ch2.to_dataset()["coverage"].values,
        res.change("year", kind="insequence").to_dataset()["coverage"].values,
        rtol=0, atol=1e-12,
    )  # fmt: skip


def test_errors() -> None:
    df = _panel(81, n_hh=200)
    design = _design()
    res = mpi.targeting(df, listed="listed", poor="poor", by=["year", "county"], design=design)
    with pytest.raises(ValidationError, match="'gap' is not a rate or total.*inclusion_error"):
        res.estimate("gap")
    with pytest.raises(ValidationError, match="over=.region. is not a by variable"):
        res.pairwise("coverage", over="region")
    with pytest.raises(ValidationError, match="cannot be fixed"):
        res.pairwise("coverage", over="year", region="north")
    with pytest.raises(ValidationError, match="does not pick"):
        res.pairwise("coverage", over="year", county="Z")
    with pytest.raises(ValidationError, match="labels"):
        res.wald_test("coverage", over="year", labels=[2019, 1999])
    with pytest.raises(ValidationError, match="over='county' must be one|over='region' must"):
        res.change("region")
    with pytest.raises(ValidationError, match="kind must be"):
        res.change("year", kind="annual")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="'gap'.*choose from"):
        res.change("year", variables=["coverage", "gap"])
    with pytest.raises(ValidationError, match="rounds=.*1999"):
        res.change("year", rounds=[2019, 1999])
    with pytest.raises(ValidationError, match="two or more rounds"):
        res.change("year", rounds=[2019])
    one_year = mpi.targeting(
        df[df["year"] == 2020], listed="listed", poor="poor", by="year", design=design
    )
    with pytest.raises(ValidationError, match="two or more rounds"):
        one_year.change("year")
    overall = mpi.targeting(df, listed="listed", poor="poor", design=design)
    with pytest.raises(ValidationError, match="by='year'"):
        overall.change("year")
    with pytest.raises(ValidationError, match="comparisons need groups"):
        overall.pairwise("coverage")
    clash = mpi.targeting(
        df.rename(columns={"county": "period"}), listed="listed", poor="poor",
        by=["year", "period"], design=design,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="clash"):
        clash.change("year")
    with pytest.raises(ValidationError, match="level"):
        res.change("year").ci(1.5)
    with pytest.raises(ValidationError, match="no groups besides the rounds 'year'"):
        one_round_only = mpi.targeting(df, listed="listed", poor="poor", by="year", design=design)
        one_round_only.change("year").by_group()


def test_rates_by_decile_change_per_decile() -> None:
    df = _panel(91)
    df["income"] = np.random.default_rng(0).lognormal(size=len(df))
    res = mpi.targeting(
        df, listed="listed", poor="poor", by="year", rank="income", design=_design()
    )
    ch = res.change("year", variables=["coverage", "decile_coverage"])
    ds, rates = ch.to_dataset(), res.to_dataset()
    assert ds["decile_coverage"].dims == ("period", "decile")
    np.testing.assert_allclose(
        ds["decile_coverage"].isel(period=0).values,
        (rates["decile_coverage"].sel(year=2021) - rates["decile_coverage"].sel(year=2019)).values,
        rtol=0, atol=1e-12,
    )  # fmt: skip
    pw = res.pairwise("decile_coverage", "year", [2021, 2019], decile=3)
    got = float(ch.se["decile_coverage"].isel(period=0).sel(decile=3))
    assert abs(pw["se"].iloc[0] - got) <= 1e-12
    deciles = res.pairwise("decile_coverage", "decile", [1, 10], year=2020)
    ref = rates["decile_coverage"].sel(year=2020)
    assert (
        abs(deciles["difference"].iloc[0] - float(ref.sel(decile=1) - ref.sel(decile=10))) < 1e-12
    )
    summary = ch.summary()
    assert len(summary.tables) == 2  # the rates, and the rates by decile
    assert summary.tables[1][1].index.names[-1] == "decile"
