"""mpi.targeting(..., rank=...): coverage and incidence by national weighted decile (issue 17,
coverage of the poorest deciles) against plain numpy, and their design-based SEs against a
plain-numpy linearisation (ratio of two totals from PSU totals, stratified with replacement)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mpi
from mpi.errors import MissingDataWarning, ValidationError
from mpi.identification.evaluate import evaluate_targeting
from mpi.identification.evaluate_deciles import weighted_deciles


def _ref_deciles(x: np.ndarray, w: np.ndarray, descending: bool = False) -> np.ndarray:
    """Plain numpy: t_d = smallest value v with F(v) >= d/10, decile = 1 + #{d: x > t_d}."""
    v = -x if descending else x
    total = w.sum()
    values = np.unique(v)
    share = np.array([w[v <= u].sum() for u in values])
    t = np.array([values[np.nonzero(10 * share >= d * total)[0][0]] for d in range(1, 10)])
    return 1 + (v[:, None] > t[None, :]).sum(axis=1)


def _data(seed: int, n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    strata = rng.integers(0, 4, n)
    income = rng.lognormal(8, 1, n)
    poor = income < np.quantile(income, 0.3)
    listed = np.where(poor, rng.random(n) < 0.6, rng.random(n) < 0.2)
    return pd.DataFrame(
        {
            "listed": listed.astype(np.int64),
            "poor": poor.astype(np.int64),
            "income": income,
            "score": rng.integers(0, 6, n).astype(float),  # many ties
            "w": rng.uniform(0.5, 4.0, n),
            "region": rng.choice(["north", "south", "west"], n),
            "stratum": strata,
            "psu": strata * 100 + rng.integers(0, 8, n),
        }
    )


def test_decile_assignment_matches_numpy_weighted_ties_descending() -> None:
    # unweighted 1..20: two units per decile, as Stata's xtile
    x = np.arange(1.0, 21.0)
    assert weighted_deciles(x, np.ones(20)).tolist() == [d for d in range(1, 11) for _ in (0, 1)]
    # five equal units: xtile's 1, 3, 5, 7, 9 (the thresholds reach d/10 exactly)
    assert weighted_deciles(np.array([3.0, 1, 5, 2, 4]), np.ones(5)).tolist() == [5, 1, 9, 3, 7]
    rng = np.random.default_rng(11)
    for _ in range(20):
        n = int(rng.integers(1, 300))
        cont = rng.normal(size=n)
        w = rng.uniform(0, 5, n)
        np.testing.assert_array_equal(weighted_deciles(cont, w), _ref_deciles(cont, w))
        ties = rng.integers(0, 7, n).astype(float)  # ties, integer weights: exact shares
        wi = rng.integers(0, 4, n).astype(float) + (np.arange(n) == 0)
        np.testing.assert_array_equal(weighted_deciles(ties, wi), _ref_deciles(ties, wi))
        np.testing.assert_array_equal(weighted_deciles(-ties, wi), _ref_deciles(ties, wi, True))
    # equal values share a decile: a value with 35% of the weight takes one decile
    v = np.array([1.0, 1, 1, 1, 1, 1, 1, 2, 3, 4])
    w = np.array([1.0, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    assert weighted_deciles(v, w).tolist() == [1] * 7 + [8, 9, 10]


def _ref_decile_rates(df: pd.DataFrame, dec: np.ndarray, w: np.ndarray) -> tuple:
    listed = df["listed"].to_numpy() == 1
    cov = np.full(10, np.nan)
    inc = np.full(10, np.nan)
    total_listed = w[listed].sum()
    for d in range(1, 11):
        m = dec == d
        if w[m].sum() > 0:
            cov[d - 1] = w[m & listed].sum() / w[m].sum()
        inc[d - 1] = w[m & listed].sum() / total_listed
    return cov, inc


@pytest.mark.parametrize("rank, descending", [("income", False), ("score", True)])
def test_coverage_and_incidence_match_numpy(rank: str, descending: bool) -> None:
    df = _data(1)
    w = df["w"].to_numpy()
    res = evaluate_targeting(df, "listed", "poor", weight="w", rank=rank, descending=descending)
    ds = res.to_dataset()
    dec = _ref_deciles(df[rank].to_numpy(), w, descending)
    cov, inc = _ref_decile_rates(df, dec, w)
    assert ds["decile_coverage"].dims == ("decile",)
    assert ds["decile"].values.tolist() == list(range(1, 11))
    np.testing.assert_allclose(ds["decile_coverage"].values, cov, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds["decile_incidence"].values, inc, rtol=0, atol=1e-12)
    assert abs(float(ds["decile_incidence"].sum()) - 1) <= 1e-12
    assert ds.attrs["rank"] == rank and ds.attrs["descending"] == int(descending)
    assert ds["decile_coverage"].attrs["long_name"] == "Coverage of the decile"
    assert ds["decile"].attrs["units"] == "1"
    # by group: deciles stay national, shares are within the group
    gds = evaluate_targeting(df, "listed", "poor", weight="w", rank=rank,
                             descending=descending, by="region").to_dataset()  # fmt: skip
    assert gds["decile_incidence"].dims == ("region", "decile")
    for region in ("north", "south", "west"):
        m = (df["region"] == region).to_numpy()
        cov, inc = _ref_decile_rates(df[m], dec[m], w[m])
        got = gds.sel(region=region)
        np.testing.assert_allclose(got["decile_coverage"].values, cov, rtol=0, atol=1e-12)
        np.testing.assert_allclose(got["decile_incidence"].values, inc, rtol=0, atol=1e-12)
    # the other rates do not move
    plain = evaluate_targeting(df, "listed", "poor", weight="w", by="region").to_dataset()
    assert "decile" not in plain.dims and "decile_coverage" not in plain
    for name in ("inclusion_error", "exclusion_error", "listed_poor", "n_units"):
        np.testing.assert_array_equal(gds[name].values, plain[name].values)


def _strat_var(z: np.ndarray, strata: np.ndarray) -> float:
    var = 0.0
    for h in np.unique(strata):
        zh = z[strata == h]
        var += len(zh) / (len(zh) - 1) * ((zh - zh.mean()) ** 2).sum()
    return float(var)


def _lin_ratio_se(df: pd.DataFrame, num: np.ndarray, den: np.ndarray) -> float:
    """SE of sum(w num) / sum(w den), linearised from PSU totals, stratified WR variance."""
    w = df["w"].to_numpy()
    psus = np.unique(df["psu"])
    pos = np.searchsorted(psus, df["psu"].to_numpy())
    a = np.bincount(pos, weights=w * num, minlength=len(psus))
    b = np.bincount(pos, weights=w * den, minlength=len(psus))
    A, B = a.sum(), b.sum()
    return float(np.sqrt(_strat_var((a - A / B * b) / B, psus // 100)))


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_design_se_match_numpy_linearisation(seed: int) -> None:
    df = _data(seed, n=1500)
    design = mpi.Design("w", strata="stratum", psu="psu")
    res = evaluate_targeting(df, "listed", "poor", design=design, rank="income", by="region")
    dec = _ref_deciles(df["income"].to_numpy(), df["w"].to_numpy())
    listed = (df["listed"] == 1).to_numpy().astype(float)
    for region in ("north", "south", "west"):
        g = (df["region"] == region).to_numpy().astype(float)
        for d in range(1, 11):
            m = g * (dec == d)
            cov = _lin_ratio_se(df, listed * m, m)
            inc = _lin_ratio_se(df, listed * m, listed * g)
            got = res.se.sel(region=region, decile=d)
            assert abs(float(got["decile_coverage"]) - cov) <= 1e-10, (region, d)
            assert abs(float(got["decile_incidence"]) - inc) <= 1e-10, (region, d)
    ci = res.ci(0.95)
    assert ci["decile_coverage"].dims == ("bound", "region", "decile")
    ests = res._estimates  # the design estimates handed to TargetingResult (for contrasts)
    for name in ("decile_coverage", "decile_incidence", "coverage"):
        assert ests[name].dims == (("region", "decile") if "decile" in name else ("region",))
    np.testing.assert_allclose(ests["decile_incidence"].se.values,
                               res.se["decile_incidence"].values, rtol=1e-12)  # fmt: skip
    # the rates and totals SEs are those without rank (the deciles add variables only)
    plain = evaluate_targeting(df, "listed", "poor", design=design, by="region")
    np.testing.assert_array_equal(res.se["coverage"].values, plain.se["coverage"].values)
    boot = evaluate_targeting(df, "listed", "poor", rank="income",
                              design=design.bootstrap(50, seed=2))  # fmt: skip
    assert ((boot.se["decile_coverage"] > 0) & (boot.se["decile_coverage"] < 1)).all()


def test_replicate_design_se_match_numpy() -> None:
    df = _data(6, n=600)
    rng = np.random.default_rng(0)
    reps = [f"rw{r}" for r in range(5)]
    for r in reps:
        df[r] = df["w"] * rng.uniform(0.5, 1.5, len(df))
    res = evaluate_targeting(df, "listed", "poor", rank="income",
                             design=mpi.ReplicateDesign("w", reps))  # fmt: skip
    dec = _ref_deciles(df["income"].to_numpy(), df["w"].to_numpy())  # fixed boundaries
    cov_r = np.array([_ref_decile_rates(df, dec, df[r].to_numpy())[0] for r in reps])
    inc_r = np.array([_ref_decile_rates(df, dec, df[r].to_numpy())[1] for r in reps])
    factor = (len(reps) - 1) / len(reps)
    ref_cov = np.sqrt(factor * ((cov_r - cov_r.mean(axis=0)) ** 2).sum(axis=0))
    ref_inc = np.sqrt(factor * ((inc_r - inc_r.mean(axis=0)) ** 2).sum(axis=0))
    np.testing.assert_allclose(res.se["decile_coverage"].values, ref_cov, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.se["decile_incidence"].values, ref_inc, rtol=0, atol=1e-12)


def test_missing_rank_is_dropped_and_counted() -> None:
    df = _data(7, n=300)
    df.loc[[2, 5, 9], "income"] = np.nan
    df.loc[[4], "listed"] = np.nan
    with pytest.warns(MissingDataWarning, match=r"4 of 300 units dropped.*rank 'income': 3"):
        res = evaluate_targeting(df, "listed", "poor", weight="w", rank="income")
    ds = res.to_dataset()
    assert ds.attrs["n_dropped"] == 4 and ds.attrs["n_units"] == 296
    kept = df.dropna(subset=["income", "listed"])
    w = kept["w"].to_numpy()
    cov, inc = _ref_decile_rates(kept, _ref_deciles(kept["income"].to_numpy(), w), w)
    np.testing.assert_allclose(ds["decile_coverage"].values, cov, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds["decile_incidence"].values, inc, rtol=0, atol=1e-12)


def test_empty_decile_is_nan_and_summary_works() -> None:
    df = pd.DataFrame({"listed": [1, 0, 1, 0, 1], "poor": [1, 1, 0, 0, 1],
                       "income": [10, 40, 20, 50, 30], "g": ["a", "a", "b", "b", "b"]})  # fmt: skip
    ds = evaluate_targeting(df, "listed", "poor", rank="income").to_dataset()
    cov = ds["decile_coverage"].values
    assert np.isnan(cov[[1, 3, 5, 7, 9]]).all()
    assert cov[[0, 2, 4, 6, 8]].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert ds["decile_incidence"].values[[0, 2, 4]].tolist() == [1 / 3, 1 / 3, 1 / 3]
    res = evaluate_targeting(df, "listed", "poor", rank="income", by="g")
    assert "Inclusion error" in res.summary().text and res.summary(lang="zh").text
    assert len(res.to_frame()) == 9 * 2  # the tidy frame keeps the rates


def test_rank_errors() -> None:
    df = _data(8, n=40)
    with pytest.raises(ValidationError, match="rank column 'region' must be numeric"):
        evaluate_targeting(df, "listed", "poor", rank="region")
    with pytest.raises(ValidationError, match="descending must be True or False"):
        evaluate_targeting(df, "listed", "poor", rank="income", descending="yes")
    with pytest.raises(ValidationError, match="1 infinite value"):
        evaluate_targeting(df.assign(income=df["income"].where(df.index != 3, np.inf)),
                           "listed", "poor", rank="income")  # fmt: skip
    with pytest.raises(ValidationError, match="rank variable 'nope' is not in the data"):
        evaluate_targeting(df, "listed", "poor", rank="nope")
    with pytest.raises(ValidationError, match="descending=True orders the rank= column"):
        evaluate_targeting(df, "listed", "poor", descending=True)
