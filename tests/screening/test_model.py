"""The supervised screening score: mpi.screening.fit_screening (statsmodels logit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import special

import mpi
from mpi.errors import MissingDataWarning, ValidationError
from mpi.screening.features import features
from mpi.screening.model import DEFAULT_FEATURES, fit_screening
from mpi.screening.model_result import ScreeningModel
from mpi.screening.rules import canteen_rule
from mpi.screening.signals import signal_score


def _draw(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    card = mpi.datasets.generate("campus_card", n=n, seed=seed)
    frame = features(card["transactions"], card["students"]).to_frame()
    truth = card["truth"].set_index("student_id")["hardship"]
    return frame, truth


@pytest.fixture(scope="module")
def bundled() -> tuple[pd.DataFrame, pd.Series]:
    card = mpi.datasets.load("campus_card")
    frame = features(card["transactions"], card["students"]).to_frame()
    return frame, card["truth"].set_index("student_id")["hardship"]


@pytest.fixture(scope="module")
def model(bundled: tuple[pd.DataFrame, pd.Series]) -> ScreeningModel:
    return fit_screening(*bundled)


def _direct(frame: pd.DataFrame, y: pd.Series, names: tuple[str, ...]) -> tuple:
    x = frame[list(names)]
    m, s = x.mean(), x.std(ddof=1)
    design = sm.add_constant((x - m) / s)
    return sm.Logit(y.reindex(frame.index).to_numpy(), design).fit(disp=0), m, s


def test_coefficients_equal_statsmodels(bundled, model: ScreeningModel) -> None:
    frame, y = bundled
    before = frame.copy()
    direct, m, s = _direct(frame, y, DEFAULT_FEATURES)
    coef = model.coefficients
    assert list(coef.index) == ["const", *DEFAULT_FEATURES]
    np.testing.assert_allclose(coef["coef"], direct.params, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(coef["std_err"], direct.bse, rtol=1e-8)
    np.testing.assert_allclose(coef["p_value"], direct.pvalues, rtol=1e-6, atol=1e-12)
    ci = direct.conf_int()
    np.testing.assert_allclose(coef["lower"], ci[0], rtol=1e-8)
    np.testing.assert_allclose(coef["mean"].iloc[1:], m, rtol=1e-14)
    np.testing.assert_allclose(coef["sd"].iloc[1:], s, rtol=1e-14)
    attrs = model.to_dataset().attrs
    assert attrs["log_likelihood"] == pytest.approx(direct.llf, rel=1e-10)
    assert attrs["pseudo_r2"] == pytest.approx(direct.prsquared, rel=1e-10)
    assert model.n_fitted == 800 and attrs["n_hardship"] == 87
    # the default features are not collinear
    assert 10 < model.condition_number < 30
    np.testing.assert_allclose(
        model.predict(frame),
        direct.predict(sm.add_constant((frame[list(DEFAULT_FEATURES)] - m) / s)),
        rtol=1e-9,
        atol=1e-12,
    )
    pd.testing.assert_frame_equal(frame, before)


def test_explain_sums_to_the_linear_predictor(bundled, model: ScreeningModel) -> None:
    frame, _ = bundled
    reasons = model.explain(frame)
    assert list(reasons.columns) == list(DEFAULT_FEATURES)
    eta = model.linear_predictor(frame)
    np.testing.assert_allclose(reasons.sum(axis=1), eta - model.intercept, rtol=0, atol=1e-10)
    np.testing.assert_allclose(special.logit(model.predict(frame)), eta, atol=1e-8)
    coef = model.coefficients
    j = "female"
    expected = coef.loc[j, "coef"] * (frame[j] - coef.loc[j, "mean"]) / coef.loc[j, "sd"]
    np.testing.assert_allclose(reasons[j], expected, rtol=1e-14, atol=1e-14)


def test_missing_values_dropped_and_counted(bundled) -> None:
    frame, y = bundled
    feat = frame.copy()
    feat.loc[feat.index[:4], "price_median"] = np.nan
    labels = y.copy()
    labels.iloc[10:12] = np.nan
    with pytest.warns(MissingDataWarning, match="6 of 800 students"):
        m = fit_screening(feat, labels)
    a = m.to_dataset().attrs
    assert (a["n_missing_features"], a["n_missing_labels"], a["n_fitted"]) == (4, 2, 794)
    keep = feat.index.difference(feat.index[:4]).difference(labels.index[10:12])
    direct, _, _ = _direct(feat.loc[keep], y, DEFAULT_FEATURES)
    np.testing.assert_allclose(m.coefficients["coef"], direct.params, rtol=1e-9, atol=1e-10)
    with pytest.warns(MissingDataWarning, match="4 of 800"):
        p = m.predict(feat)
    assert p.isna().sum() == 4 and p.attrs["n_missing"] == 4
    with pytest.warns(MissingDataWarning):
        assert m.explain(feat).iloc[:4].isna().all().all()
    # labels for only some students: the others are left out and counted
    with pytest.warns(MissingDataWarning, match="without a label"):
        m2 = fit_screening(frame, y.iloc[:500])
    assert m2.to_dataset().attrs["n_missing_labels"] == 300


def test_perfect_and_quasi_separation_refused() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    z = rng.normal(size=300)
    idx = pd.RangeIndex(300, name="student_id")
    feat = pd.DataFrame({"x": x, "z": z}, index=idx)
    y = pd.Series((x > 0).astype(int), index=idx)
    with pytest.raises(ValidationError, match="separated.*'x'.*regularisation"):
        fit_screening(feat, y, features=["x", "z"])
    xr_ = np.round(x)  # quasi: x = 0 mixed, the rest separated
    yq = (xr_ > 0).astype(int)
    yq[xr_ == 0] = rng.integers(0, 2, int((xr_ == 0).sum()))
    feat_q = pd.DataFrame({"x": xr_, "z": z}, index=idx)
    with pytest.raises(ValidationError, match="fewer features"):
        fit_screening(feat_q, pd.Series(yq, index=idx), features=["x", "z"])
    # a penalty gives finite coefficients
    m = fit_screening(feat, y, features=["x", "z"], regularisation=("l2", 0.01))
    assert np.isfinite(m.coefficients["coef"]).all() and m.coefficients.loc["x", "coef"] > 1
    assert m.coefficients["std_err"].isna().all()


def test_regularised_fits_equal_statsmodels(bundled) -> None:
    frame, y = bundled
    names = ("canteen_spending", "price_median", "supermarket_spending", "rural", "female")
    x = frame[list(names)]
    design = sm.add_constant((x - x.mean()) / x.std(ddof=1))
    alpha = np.r_[0.0, np.full(len(names), 0.01)]
    m = fit_screening(frame, y, features=names, regularisation=("l2", 0.01))
    direct = sm.GLM(y.to_numpy(), design, family=sm.families.Binomial()).fit_regularized(
        alpha=alpha, L1_wt=0.0, maxiter=1000
    )
    np.testing.assert_allclose(m.coefficients["coef"], direct.params, rtol=1e-10, atol=1e-12)
    m1 = fit_screening(frame, y, features=names, regularisation="l1")
    direct1 = sm.Logit(y.to_numpy(), design).fit_regularized(
        method="l1",
        alpha=alpha * 800,
        disp=0,
        maxiter=1000,
        trim_mode="size",
        size_trim_tol=1e-8,
    )
    np.testing.assert_allclose(m1.coefficients["coef"], direct1.params, rtol=1e-10, atol=1e-12)
    assert m1.to_dataset().attrs["penalty"] == "l1"
    assert "alpha = 0.01" in m1.summary().text


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "probit"}, "method"),
        ({"regularisation": "l3"}, "penalty"),
        ({"regularisation": ("l2", 0)}, "alpha"),
        ({"regularisation": 5}, "regularisation"),
        ({"features": "canteen_spending"}, "features"),
        ({"features": []}, "features"),
        ({"features": ["rural", "rural"]}, "more than once"),
        ({"features": ["nope"]}, "nope"),
    ],
)
def test_bad_arguments(bundled, kwargs: dict, match: str) -> None:
    frame, y = bundled
    with pytest.raises(ValidationError, match=match):
        fit_screening(frame, y, **kwargs)


def test_bad_labels(bundled) -> None:
    frame, y = bundled
    with pytest.raises(ValidationError, match="0/1"):
        fit_screening(frame, y * 2)
    with pytest.raises(ValidationError, match="hardship \\(1\\) and not"):
        fit_screening(frame, y * 0)
    with pytest.raises(ValidationError, match="no student id"):
        fit_screening(frame, y.set_axis(y.index + 10_000))
    with pytest.raises(ValidationError, match="Series"):
        fit_screening(frame, y.to_numpy())
    with pytest.raises(ValidationError, match="constant"):
        fit_screening(frame.assign(rural=1.0), y)
    with pytest.raises(ValidationError, match="fewer than"):
        fit_screening(frame.iloc[:5], y)
    named = frame.assign(hardship=y.reindex(frame.index).astype(bool))
    m = fit_screening(named, "hardship", features=["price_median", "rural"])
    assert m.n_fitted == 800


def test_summary_and_interface(model: ScreeningModel) -> None:
    s = model.summary()
    assert s.tables[0][1].shape == (12, 8)
    assert "Condition number" in s.text and "800 (87 in hardship)" in s.text
    zh = model.summary(lang="zh")
    assert "系数" in zh.text and "p 值" in zh.tables[0][1].columns
    assert "11 features" in repr(model)
    assert model.fitted_ids.size == 800
    assert not model.has_inference


def test_out_of_sample_beats_the_naive_rule() -> None:
    fit_frame, fit_truth = _draw(6000, 1)
    test_frame, test_truth = _draw(6000, 7)
    model = fit_screening(fit_frame, fit_truth)
    df = test_truth.reindex(test_frame.index).to_frame()
    flag = canteen_rule(test_frame)
    share = float(flag.mean())
    df["rule_score"] = -test_frame["canteen_spending"]
    df["logit"] = model.predict(test_frame)
    df["signal"] = signal_score(test_frame).scores
    out = {
        c: mpi.targeting_curve(df, score=c, poor="hardship", share=share).to_dataset()
        for c in ("rule_score", "logit", "signal")
    }
    rule, logit = out["rule_score"], out["logit"]
    assert int(rule["n_listed"]) == int(logit["n_listed"]) == 677
    assert float(rule["auc"]) == pytest.approx(0.9519, abs=1e-4)
    assert float(logit["auc"]) == pytest.approx(0.9896, abs=1e-4)
    assert float(logit["auc"]) - float(rule["auc"]) > 0.03
    assert float(logit["inclusion_error"]) == pytest.approx(0.1551, abs=1e-4)
    assert float(logit["exclusion_error"]) == pytest.approx(0.1551, abs=1e-4)
    for err in ("inclusion_error", "exclusion_error"):
        assert float(rule[err]) - float(logit[err]) > 0.15
        assert float(out["signal"][err]) - float(logit[err]) > 0.05  # the fit adds to the signals
    # fitted on the bundled 800 students, still better than the rule on the other draw
    card = mpi.datasets.load("campus_card")
    small = fit_screening(
        features(card["transactions"], card["students"]),
        card["truth"].set_index("student_id")["hardship"],
    )
    df["small"] = small.predict(test_frame)
    res = mpi.targeting_curve(df, score="small", poor="hardship", share=share).to_dataset()
    assert float(res["auc"]) == pytest.approx(0.9871, abs=1e-4)
    assert float(res["inclusion_error"]) == pytest.approx(0.1713, abs=1e-4)


def test_a_student_without_transactions(bundled) -> None:
    card = mpi.datasets.load("campus_card")
    extra = card["students"].iloc[[0]].assign(student_id=9999)
    students = pd.concat([card["students"], extra], ignore_index=True)
    feat = features(card["transactions"], students)
    truth = card["truth"].set_index("student_id")["hardship"]
    with pytest.warns(MissingDataWarning, match="1 without a label"):
        model = fit_screening(feat, truth)
    assert model.n_fitted == 800
    np.testing.assert_allclose(
        model.coefficients["coef"], fit_screening(*bundled).coefficients["coef"], rtol=1e-12
    )
    with pytest.warns(MissingDataWarning, match="1 of 801"):
        p = model.predict(feat)
    assert np.isnan(p.loc[9999]) and p.drop(9999).notna().all()
    assert bool(canteen_rule(feat).loc[9999])  # 0 yuan of canteen spending: flagged
