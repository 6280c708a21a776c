"""targeting_curve (issue 17 point 2, last bullet): weighted ROC/PR curves, AUC against a
plain-numpy Mann-Whitney reference, errors at a budget (top=N, share=) equal to mpi.targeting
on the same list, ties at the cut, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi.errors import MissingDataWarning, ValidationError
from mpi.identification.curves import TargetingCurveResult, targeting_curve

RATES = (
    "inclusion_error", "exclusion_error", "leakage", "undercoverage", "coverage",
    "listed_share", "poor_share", "cgh_indicator", "targeting_differential",
)  # fmt: skip


def _data(seed: int, n: int = 600, ties: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    poor = rng.random(n) < 0.35
    score = rng.normal(0.0, 1.0, n) + 1.2 * poor
    if ties:
        score = np.round(score, 1)  # many tied scores, across poor and non-poor
    return pd.DataFrame({"s": score, "poor": poor.astype(int), "w": rng.uniform(0.2, 5.0, n)})


def _ref_auc(s: np.ndarray, poor: np.ndarray, w: np.ndarray) -> float:
    """Weighted Mann-Whitney probability, pair by pair (ties count one half)."""
    sp, wp = s[poor], w[poor]
    sq, wq = s[~poor], w[~poor]
    gt = (sp[:, None] > sq[None, :]) + 0.5 * (sp[:, None] == sq[None, :])
    return float((wp[:, None] * wq[None, :] * gt).sum() / (wp.sum() * wq.sum()))


def _ref_curve(s: np.ndarray, poor: np.ndarray, w: np.ndarray, t: float) -> tuple[float, ...]:
    lis = s >= t
    tp, fp = w[lis & poor].sum(), w[lis & ~poor].sum()
    return tp / w[poor].sum(), fp / w[~poor].sum(), tp / (tp + fp) if tp + fp else np.nan


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_auc_and_curves_match_plain_numpy(seed: int, weighted: bool) -> None:
    df = _data(seed)
    s, poor = df["s"].to_numpy(), df["poor"].to_numpy() == 1
    w = df["w"].to_numpy() if weighted else np.ones(len(df))
    res = targeting_curve(df, "s", "poor", weight="w" if weighted else None)
    ds = res.to_dataset()
    assert abs(float(ds["auc"]) - _ref_auc(s, poor, w)) < 1e-12
    thresholds = np.sort(np.unique(s))[::-1]
    np.testing.assert_array_equal(ds["threshold"].values, np.r_[np.inf, thresholds])
    assert ds.sizes["threshold"] == thresholds.size + 1  # ties: one step per distinct score
    for i, t in enumerate(thresholds, start=1):
        tpr, fpr, prec = _ref_curve(s, poor, w, t)
        assert abs(ds["tpr"].values[i] - tpr) < 1e-12
        assert abs(ds["fpr"].values[i] - fpr) < 1e-12
        assert abs(ds["precision"].values[i] - prec) < 1e-12
        assert ds["listed_count"].values[i] == int((s >= t).sum())
    assert ds["tpr"].values[0] == 0 and ds["fpr"].values[0] == 0
    assert np.isnan(ds["precision"].values[0])
    assert ds["tpr"].values[-1] == pytest.approx(1, abs=1e-15)
    # Average precision: sum over thresholds of (recall step) x precision.
    rec = ds["tpr"].values
    ap = np.nansum(np.diff(rec) * ds["precision"].values[1:])
    assert abs(float(ds["average_precision"]) - ap) < 1e-12
    # The ROC area by the trapezoidal rule equals the Mann-Whitney probability.
    fpr_v, tpr_v = ds["fpr"].values, ds["tpr"].values
    trap = float(np.sum(np.diff(fpr_v) * (tpr_v[1:] + tpr_v[:-1]) / 2))
    assert abs(float(ds["auc"]) - trap) < 1e-12
    assert abs(float(ds["poor_share"]) - w[poor].sum() / w.sum()) < 1e-12


def test_against_sklearn_if_installed() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    df = _data(5)
    y, s, w = df["poor"].to_numpy(), df["s"].to_numpy(), df["w"].to_numpy()
    ds = targeting_curve(df, "s", "poor", weight="w").to_dataset()
    assert abs(float(ds["auc"]) - metrics.roc_auc_score(y, s, sample_weight=w)) < 1e-12
    ap = metrics.average_precision_score(y, s, sample_weight=w)
    assert abs(float(ds["average_precision"]) - ap) < 1e-12


def test_hand_example_with_ties() -> None:
    df = pd.DataFrame({"risk": [0.9, 0.8, 0.8, 0.3, 0.1], "poor": [1, 1, 0, 1, 0]})
    res = targeting_curve(df, "risk", "poor", top=2)
    ds = res.to_dataset()
    # pairs (poor, non-poor): (0.9,0.8)=1 (0.9,0.1)=1 (0.8,0.8)=.5 (0.8,0.1)=1 (0.3,0.8)=0 (0.3,0.1)=1
    assert float(ds["auc"]) == 4.5 / 6
    assert float(ds["average_precision"]) == pytest.approx((1 + 2 / 3 + 3 / 4) / 3, abs=1e-15)
    # top=2 cuts inside the tie at 0.8: both tied units are listed.
    assert float(ds["cut_score"]) == 0.8 and int(ds["n_listed"]) == 3
    assert ds.attrs["n_tied_extra"] == 1
    assert float(ds["inclusion_error"]) == 1 / 3 and float(ds["exclusion_error"]) == 1 / 3
    assert "1 more than the budget" in str(res.summary())
    assert "top=2 (3 listed)" in repr(res)


@pytest.mark.parametrize("budget", [{"top": 1}, {"top": 150}, {"top": 600}, {"share": 0.2}])
@pytest.mark.parametrize("weighted", [False, True])
def test_budget_errors_equal_mpi_targeting(budget: dict, weighted: bool) -> None:
    df = _data(3)
    wname = "w" if weighted else None
    res = targeting_curve(df, "s", "poor", weight=wname, **budget).to_dataset()
    cut = float(res["cut_score"])
    listed = df["s"] >= cut
    ref = mpi.targeting(df.assign(listed=listed.astype(int)), "listed", "poor", weight=wname)
    rds = ref.to_dataset()
    names = [r for r in RATES if r != "poor_share"]  # poor_share: the whole population's
    for name in (*names, "listed_poor", "listed_nonpoor", "unlisted_poor", "unlisted_nonpoor"):
        assert abs(float(res[name]) - float(rds[name])) < 1e-12, name
    assert int(res["n_listed"]) == int(listed.sum())
    # The cut is the highest score whose list meets the budget; one step higher does not.
    s = df["s"].to_numpy()
    higher = np.unique(s[s > cut])
    w = df["w"].to_numpy() if weighted else np.ones(len(df))
    if "top" in budget:
        assert int(listed.sum()) >= budget["top"]
        if higher.size:
            assert int((s >= higher.min()).sum()) < budget["top"]
    else:
        assert w[listed].sum() >= budget["share"] * w.sum()
        if higher.size:
            assert w[s >= higher.min()].sum() < budget["share"] * w.sum()


def test_budget_shares_match_plain_numpy() -> None:
    df = _data(3)
    ds = targeting_curve(df, "s", "poor", weight="w", top=150).to_dataset()
    s, poor, w = df["s"].to_numpy(), df["poor"].to_numpy() == 1, df["w"].to_numpy()
    listed = s >= float(ds["cut_score"])
    share = w[listed].sum() / w.sum()
    assert abs(float(ds["poor_share"]) - w[poor].sum() / w.sum()) < 1e-12
    assert abs(float(ds["listed_share"]) - share) < 1e-12
    cgh = (w[listed & poor].sum() / w[listed].sum()) / (w[poor].sum() / w.sum())
    assert abs(float(ds["cgh_indicator"]) - cgh) < 1e-12


def test_budget_rates_match_plain_numpy() -> None:
    df = _data(9)
    ds = targeting_curve(df, "s", "poor", weight="w", share=0.25).to_dataset()
    s, poor, w = df["s"].to_numpy(), df["poor"].to_numpy() == 1, df["w"].to_numpy()
    lis = s >= float(ds["cut_score"])
    lp, ln = w[lis & poor].sum(), w[lis & ~poor].sum()
    up, un = w[~lis & poor].sum(), w[~lis & ~poor].sum()
    ref = {
        "inclusion_error": ln / (lp + ln), "exclusion_error": up / (lp + up),
        "leakage": ln / (lp + ln), "undercoverage": up / (lp + up), "coverage": lp / (lp + up),
        "targeting_differential": lp / (lp + up) - ln / (ln + un),
        "listed_poor": lp, "listed_nonpoor": ln, "unlisted_poor": up, "unlisted_nonpoor": un,
    }  # fmt: skip
    for name, value in ref.items():
        assert abs(float(ds[name]) - value) < 1e-12 * max(1.0, abs(value)), name


def test_two_rules_at_the_same_budget() -> None:
    rng = np.random.default_rng(7)
    n = 2000
    poor = rng.random(n) < 0.3
    df = pd.DataFrame(
        {
            "good": poor + rng.normal(0, 0.5, n),
            "bad": poor + rng.normal(0, 3.0, n),
            "poor": poor,
        }
    )
    good = targeting_curve(df, "good", "poor", top=600).to_dataset()
    bad = targeting_curve(df, "bad", "poor", top=600).to_dataset()
    assert int(good["n_listed"]) == int(bad["n_listed"]) == 600  # continuous: no ties
    assert float(good["auc"]) > float(bad["auc"])
    assert float(good["exclusion_error"]) < float(bad["exclusion_error"])
    assert float(good["inclusion_error"]) < float(bad["inclusion_error"])


def test_result_interface() -> None:
    df = _data(4)
    res = targeting_curve(df, "s", "poor", weight="w", share=0.3)
    assert isinstance(res, TargetingCurveResult)
    frame = res.to_frame()
    assert frame["measure"].tolist()[:3] == ["auc", "average_precision", "poor_share"]
    assert frame["measure"].is_unique
    roc = res.to_frame(["fpr", "tpr"])
    assert set(roc.columns) >= {"measure", "threshold", "estimate"}
    curve = res.curve()
    assert list(curve.columns) == ["tpr", "fpr", "precision", "listed_fraction", "listed_count"]
    assert curve.index.name == "threshold" and np.isinf(curve.index[0])
    ds = res.to_dataset()
    ds["auc"] = 0.0
    assert float(res.to_dataset()["auc"]) != 0.0  # a copy
    zh = res.summary(lang="zh")
    assert "ROC 曲线下面积（AUC）" in str(zh) and "错评率（纳入误差）" in str(zh)
    assert "Area under the ROC curve (AUC)" in str(res.summary())
    assert not res.has_inference
    with pytest.raises(ValidationError, match="no standard errors"):
        _ = res.se
    plain = targeting_curve(df, "s", "poor")
    assert not plain.has_budget and "inclusion_error" not in plain.to_dataset()
    assert repr(plain).startswith("<mpi.TargetingCurveResult score='s' poor='poor': auc=")


def test_xarray_input_and_input_not_mutated() -> None:
    df = _data(6)
    before = df.copy()
    a = targeting_curve(df, "s", "poor", weight="w", top=50).to_dataset()
    assert df.equals(before)
    b = targeting_curve(xr.Dataset.from_dataframe(df), "s", "poor", weight="w", top=50)
    assert float(b.to_dataset()["auc"]) == float(a["auc"])


def test_missing_values_dropped_with_warning() -> None:
    df = _data(8)
    df.loc[:4, "s"] = np.nan
    with pytest.warns(MissingDataWarning, match="5 of 600 units dropped"):
        res = targeting_curve(df, "s", "poor")
    ref = targeting_curve(df.iloc[5:], "s", "poor").to_dataset()
    assert res.to_dataset().attrs["n_dropped"] == 5
    assert float(res.to_dataset()["auc"]) == float(ref["auc"])
    assert "5 unit(s) dropped" in str(res.summary())


def test_no_poor_or_all_poor_gives_nan_with_reason() -> None:
    df = pd.DataFrame({"s": [3.0, 2.0, 1.0], "poor": [0, 0, 0]})
    res = targeting_curve(df, "s", "poor", top=1)
    ds = res.to_dataset()
    assert np.isnan(float(ds["auc"])) and np.isnan(float(ds["exclusion_error"]))
    assert float(ds["inclusion_error"]) == 1.0
    assert "No unit is poor" in str(res.summary())
    allp = targeting_curve(df.assign(poor=1), "s", "poor", top=3)  # all listed, all poor
    ds = allp.to_dataset()
    assert np.isnan(float(ds["auc"])) and float(ds["exclusion_error"]) == 0.0
    assert "Every unit is poor" in str(allp.summary())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"top": 0}, "top must be a whole number of units from 1 to 3"),
        ({"top": 4}, "top must be a whole number of units from 1 to 3"),
        ({"top": 1.5}, "top must be"),
        ({"top": True}, "top must be"),
        ({"share": 0}, r"share must be a number in \(0, 1\]"),
        ({"share": 1.5}, "share must be"),
        ({"top": 1, "share": 0.5}, "not both"),
    ],
)
def test_bad_budget(kwargs: dict, match: str) -> None:
    df = pd.DataFrame({"s": [3.0, 2.0, 1.0], "poor": [1, 0, 0]})
    with pytest.raises(ValidationError, match=match):
        targeting_curve(df, "s", "poor", **kwargs)


def test_bad_columns() -> None:
    df = pd.DataFrame({"s": [3.0, 2.0, 1.0], "poor": [1, 2, 0], "t": ["a", "b", "c"]})
    with pytest.raises(ValidationError, match="poor column 'poor' must hold 0/1 flags"):
        targeting_curve(df, "s", "poor")
    with pytest.raises(ValidationError, match="score column 't' must be numeric"):
        targeting_curve(df.assign(poor=1), "t", "poor")
    with pytest.raises(ValidationError, match="infinite"):
        targeting_curve(df.assign(poor=1, s=[np.inf, 1, 2]), "s", "poor")
    with pytest.raises(ValueError, match="not in the data"):
        targeting_curve(df, "nope", "poor")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        with pytest.raises(ValidationError, match="no unit has a score"):
            targeting_curve(df.assign(s=np.nan, poor=1), "s", "poor")


# -- by= and design= (issue 17: curves by group, design-based SEs) -------------------------


def _survey(seed: int, n: int = 900) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = _data(seed, n=n)
    df["stratum"] = rng.integers(0, 4, n)
    df["psu"] = df["stratum"] * 10 + rng.integers(0, 5, n)
    df["region"] = rng.choice(["north", "south", "west"], n)
    return df


def _ref_influence(s: np.ndarray, poor: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted influence values of the AUC, pair by pair (O(n^2))."""
    kern = (s[:, None] > s[None, :]) + 0.5 * (s[:, None] == s[None, :])
    big_p, big_q = w[poor].sum(), w[~poor].sum()
    g = (kern * (w * ~poor)[None, :]).sum(axis=1)  # G(s_k): non-poor scoring below
    h = (kern.T * (w * poor)[None, :]).sum(axis=1)  # H(s_k): poor scoring above
    auc = _ref_auc(s, poor, w)
    return np.where(poor, w * g, w * h) / (big_p * big_q) - auc * np.where(
        poor, w / big_p, w / big_q
    )


def _strat_se(u: np.ndarray, stratum_of_psu: np.ndarray) -> float:
    var = 0.0
    for h in np.unique(stratum_of_psu):
        x = u[stratum_of_psu == h]
        var += x.size / (x.size - 1) * ((x - x.mean()) ** 2).sum()
    return float(np.sqrt(var))


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_auc_se_matches_plain_numpy_linearisation(seed: int) -> None:
    df = _survey(seed)
    design = mpi.Design("w", strata="stratum", psu="psu")
    res = targeting_curve(df, "s", "poor", design=design)
    res_by = targeting_curve(df, "s", "poor", design=design, by="region")
    s, poor, w = df["s"].to_numpy(), df["poor"].to_numpy() == 1, df["w"].to_numpy()
    psus = np.unique(df["psu"])
    stratum_of_psu = psus // 10
    code = np.searchsorted(psus, df["psu"].to_numpy())

    def se_of(mask: np.ndarray) -> float:
        z = np.zeros(len(df))
        z[mask] = _ref_influence(s[mask], poor[mask], w[mask])  # 0 outside: domain by zeroing
        return _strat_se(np.bincount(code, weights=z, minlength=psus.size), stratum_of_psu)

    assert abs(float(res.se["auc"]) - se_of(np.ones(len(df), bool))) < 1e-10
    for region in ("north", "south", "west"):
        mask = (df["region"] == region).to_numpy()
        assert abs(float(res_by.se["auc"].sel(region=region)) - se_of(mask)) < 1e-10, region
        assert abs(float(res_by.to_dataset()["auc"].sel(region=region))
                   - _ref_auc(s[mask], poor[mask], w[mask])) < 1e-12  # fmt: skip
    assert res.to_dataset().attrs["df"] == psus.size - 4
    # t on the design's df, logit-transformed (the AUC is a share), as mpi.targeting's ci
    from scipy import stats

    t = stats.t.ppf(0.975, psus.size - 4)
    auc, se_auc = float(res.to_dataset()["auc"]), float(res.se["auc"])
    upper = 1 / (1 + np.exp(-(np.log(auc / (1 - auc)) + t * se_auc / (auc * (1 - auc)))))
    assert abs(float(res.ci(0.95)["auc"].sel(bound="upper")) - upper) < 1e-12
    wald = float(res.ci(0.95, method="wald")["auc"].sel(bound="upper"))
    assert abs(wald - (auc + t * se_auc)) < 1e-12


def test_auc_influence_is_the_derivative_in_each_psu() -> None:
    """The PSU totals of the influence values equal d AUC / d eps with the PSU's weights
    scaled by (1 + eps): a finite-difference check of the formula itself."""
    from mpi.identification.curves_core import auc_influence, bin_totals, ranking, score_bins

    df = _survey(14, n=300)
    s, poor, w = df["s"].to_numpy(), df["poor"].to_numpy() == 1, df["w"].to_numpy()
    bins = score_bins(s)
    group = np.zeros(len(df), np.int64)
    p, q, _ = bin_totals(bins, group, 1, poor, w)
    auc = ranking(p, q)["auc"]
    z = auc_influence(bins, group, poor, w, p, q, auc)
    assert abs(z.sum()) < 1e-12  # an influence function sums to 0
    eps = 1e-6
    for psu in np.unique(df["psu"])[:8]:
        bump = 1 + eps * (df["psu"] == psu).to_numpy()
        up, down = _ref_auc(s, poor, w * bump), _ref_auc(s, poor, w * (2 - bump))
        deriv = (up - down) / (2 * eps)
        assert abs(z[(df["psu"] == psu).to_numpy()].sum() - deriv) < 1e-8


@pytest.mark.parametrize("budget", [{"top": 250}, {"share": 0.3}])
def test_budget_se_equal_mpi_targeting_on_the_list(budget: dict) -> None:
    df = _survey(15)
    rng = np.random.default_rng(1)
    reps = [f"rw{r}" for r in range(6)]
    for r in reps:
        df[r] = df["w"] * rng.uniform(0.5, 1.5, len(df))
    base = mpi.Design("w", strata="stratum", psu="psu")
    designs = [base, base.bootstrap(40, seed=3), mpi.ReplicateDesign("w", reps)]
    names = [*RATES, "listed_poor", "listed_nonpoor", "unlisted_poor", "unlisted_nonpoor"]
    for design in designs:
        for by in (None, "region"):
            res = targeting_curve(df, "s", "poor", design=design, by=by, **budget)
            listed = (df["s"] >= float(res.to_dataset()["cut_score"])).astype(int)
            ref = mpi.targeting(df.assign(listed=listed), "listed", "poor", design=design, by=by)
            for name in names:
                got, want = res.se[name].values, ref.se[name].values
                np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=name)
            assert res.to_dataset().attrs["df"] == ref.to_dataset().attrs["df"]


def test_replicate_and_bootstrap_auc_se_recompute_the_auc() -> None:
    from mpi._common.table import as_table
    from mpi.survey.bootstrap import rao_wu_factors
    from mpi.survey.design import encode_design

    df = _survey(16, n=500)
    s, poor, w = df["s"].to_numpy(), df["poor"].to_numpy() == 1, df["w"].to_numpy()
    rng = np.random.default_rng(2)
    reps = [f"rw{r}" for r in range(5)]
    for r in reps:
        df[r] = w * rng.uniform(0.5, 1.5, len(df))
    res = targeting_curve(df, "s", "poor", design=mpi.ReplicateDesign("w", reps))
    thetas = np.array([_ref_auc(s, poor, df[r].to_numpy()) for r in reps])
    ref = np.sqrt((len(reps) - 1) / len(reps) * ((thetas - thetas.mean()) ** 2).sum())
    assert abs(float(res.se["auc"]) - ref) < 1e-12
    design = mpi.Design("w", strata="stratum", psu="psu")
    boot = targeting_curve(df, "s", "poor", design=design.bootstrap(30, seed=5))
    enc = encode_design(as_table(df, []), design)
    factors = rao_wu_factors(enc.n_h, enc.starts, enc.fpc_factor, 30, 5, n_psu=enc.n_psu)
    thetas = np.array([_ref_auc(s, poor, w * f[enc.psu]) for f in factors])
    ref = np.sqrt(((thetas - thetas.mean()) ** 2).sum() / 29)
    assert abs(float(boot.se["auc"]) - ref) < 1e-12
    assert "Rao-Wu" in str(boot.summary()) or "bootstrap" in str(boot.summary()).lower()


def test_by_group_curves_and_the_national_budget() -> None:
    df = _survey(17)
    res = targeting_curve(df, "s", "poor", weight="w", by="region", top=300)
    nat = targeting_curve(df, "s", "poor", weight="w", top=300).to_dataset()
    ds = res.to_dataset()
    # One national list: the cut of the ungrouped call; its errors reported per region.
    assert float(ds["cut_score"]) == float(nat["cut_score"])
    assert int(ds["n_listed"].sum()) == int(nat["n_listed"]) == ds.attrs["n_listed_total"]
    listed = (df["s"] >= float(ds["cut_score"])).astype(int)
    ref = mpi.targeting(df.assign(listed=listed), "listed", "poor", weight="w", by="region")
    rds = ref.to_dataset()
    for name in [r for r in RATES if r != "poor_share"]:
        np.testing.assert_allclose(ds[name].values, rds[name].values, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ds["threshold"].values, nat["threshold"].values)
    assert res.by == ["region"] and res.by_group()["auc"].dims == ("region",)
    assert "Groups                            region" in str(res.summary())
    for region in ("north", "south", "west"):
        part = df[df["region"] == region]
        own = targeting_curve(part, "s", "poor", weight="w").to_dataset()
        g = ds.sel(region=region)
        for name in ("auc", "average_precision", "poor_share"):
            assert abs(float(g[name]) - float(own[name])) < 1e-12, (region, name)
        assert int(g["n_units"]) == len(part)
        # On the national grid the group's curve passes through its own points.
        at = g.sel(threshold=own["threshold"].values)
        for name in ("tpr", "fpr", "precision", "listed_count"):
            np.testing.assert_allclose(at[name].values, own[name].values, rtol=0, atol=1e-12)
    with pytest.raises(ValidationError, match="by names a variable twice"):
        targeting_curve(df, "s", "poor", by=["region", "region"])


def test_by_group_result_interface_and_undefined_groups() -> None:
    df = _survey(18, n=400)
    df.loc[df["region"] == "west", "poor"] = 0  # no poor in the west: AUC undefined there
    df.loc[:2, "region"] = None
    design = mpi.Design("w", strata="stratum", psu="psu")
    with pytest.warns(MissingDataWarning, match="3 unit"):
        res = targeting_curve(df, "s", "poor", design=design, by="region", share=0.2)
    ds = res.to_dataset()
    assert np.isnan(float(ds["auc"].sel(region="west")))
    assert np.isnan(float(res.se["auc"].sel(region="west")))
    assert np.isfinite(res.se["auc"].sel(region="north"))
    assert ds.attrs["n_missing_group"] == 3
    assert res.by == ["region"] and res.has_inference
    assert repr(res).startswith("<mpi.TargetingCurveResult score='s' poor='poor' by region: 3")
    text = str(res.summary())
    assert "No unit is poor in region=west" in text and "The budget is national" in text
    assert "3 unit(s) with a missing group value" in text
    zh = str(res.summary(lang="zh"))
    assert "全国统一名额" in zh and "标准误" in zh
    frame = res.to_frame()
    assert list(frame.columns) == ["measure", "region", "estimate", "se", "lower", "upper"]
    auc_rows = frame[frame["measure"] == "auc"]
    assert auc_rows["region"].tolist() == ["north", "south", "west"]
    np.testing.assert_array_equal(auc_rows["se"].to_numpy(), res.se["auc"].values)
    assert res.by_group()["auc"].dims == ("region",)
    assert res.curve().index.names == ["threshold", "region"]
    plain = targeting_curve(_data(1), "s", "poor")
    with pytest.raises(ValidationError, match="needs groups"):
        plain.by_group()


def test_design_arguments_are_checked() -> None:
    df = _survey(19, n=200)
    with pytest.raises(ValidationError, match="design must be an mpi.Design"):
        targeting_curve(df, "s", "poor", design="w")
    with pytest.raises(ValidationError, match="differs from the design's weight"):
        targeting_curve(df, "s", "poor", weight="s", design=mpi.Design("w"))
    same = targeting_curve(df, "s", "poor", weight="w", design=mpi.Design("w"))
    assert same.to_dataset().attrs["weight"] == "w"
    with pytest.raises(ValidationError, match="by must be a variable name"):
        targeting_curve(df, "s", "poor", by=[["region"]])
