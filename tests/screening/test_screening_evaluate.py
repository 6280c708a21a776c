"""Screening evaluation (issue 20): rules and scores at one flagged share, the numbers of
mpi.targeting / mpi.targeting_curve, bootstrap percentile intervals, budgets and the errors per
group (the fairness check)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi.errors import MissingDataWarning, ValidationError
from mpi.screening.evaluate import evaluate_screening
from mpi.screening.evaluate_result import ScreeningEvaluation

CJK = re.compile(r"[\u3400-\u9fff]")
IDS = pd.Index(range(1, 11), name="student_id")


def hand() -> tuple[dict[str, pd.Series], pd.Series, pd.DataFrame]:
    truth = pd.Series([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], index=IDS)
    rule = pd.Series([1, 1, 0, 0, 1, 0, 0, 0, 0, 0], index=IDS).astype(bool)
    score = pd.Series([0.9, 0.8, 0.1, 0.7, 0.7, 0.2, 0.3, 0.05, 0.4, 0.5], index=IDS)
    sex = pd.DataFrame({"sex": list("FMFMFFMMFM")}, index=IDS)
    return {"rule": rule, "score": score}, truth, sex


@pytest.fixture(scope="module")
def card() -> dict:
    return mpi.datasets.load("campus_card")


@pytest.fixture(scope="module")
def inputs(card: dict) -> tuple[dict[str, pd.Series], pd.Series, pd.DataFrame]:
    spend, _ = mpi.datasets.monthly_canteen_spending(card)
    truth = card["truth"].set_index("student_id")
    rng = np.random.default_rng(7)
    noisy = -(truth["monthly_budget"] * np.exp(rng.normal(0, 0.2, len(truth))))
    scores = {
        "naive": spend.mean(axis=1) < 200,
        "spending": -spend.mean(axis=1),
        "noisy_budget": noisy,
    }
    groups = card["students"].set_index("student_id")[["college", "grade", "sex"]]
    return scores, truth["hardship"], groups


@pytest.fixture(scope="module")
def evaluation(inputs: tuple) -> ScreeningEvaluation:
    scores, truth, groups = inputs
    return evaluate_screening(scores, truth, groups=groups, subsidy=150, bootstrap=200, seed=3)


# -- the hand-made example ---------------------------------------------------------------
def test_ten_students_exact_rates() -> None:
    scores, truth, sex = hand()
    res = evaluate_screening(scores, truth, groups=sex, subsidy=100, months=4, bootstrap=0)
    ds = res.to_dataset()
    assert ds["kind"].values.tolist() == ["rule", "score"]
    # the rule flags 1, 2, 5: the common budget is 3 students; the score lists 1, 2 and the
    # two students tied at 0.7 (4 and 5)
    assert ds["n_flagged"].values.tolist() == [3, 4]
    assert ds["flagged_share"].values.tolist() == [0.3, 0.4]
    assert ds["inclusion_error"].values.tolist() == [1 / 3, 1 / 4]
    assert ds["exclusion_error"].values.tolist() == [0.5, 0.25]
    assert ds["coverage"].values.tolist() == [0.5, 0.75]
    np.testing.assert_allclose(ds["auc"].values, [16 / 24, 18.5 / 24], rtol=0, atol=1e-15)
    assert np.isnan(ds["cut_score"].values[0]) and ds["cut_score"].values[1] == 0.7
    assert ds["n_tied_extra"].values.tolist() == [0, 1]
    assert ds["budget"].values.tolist() == [1200.0, 1600.0]
    assert (ds.attrs["common_n"], ds.attrs["share_source"]) == (3, "rule")
    g = res.by_group()
    female = np.flatnonzero(g["group_value"].values == "F")[0]
    male = np.flatnonzero(g["group_value"].values == "M")[0]
    rule = g.sel(rule="rule")
    assert rule["inclusion_error"].values[[female, male]].tolist() == [0.5, 0.0]
    assert rule["exclusion_error"].values[[female, male]].tolist() == [0.5, 0.5]
    assert rule["false_positive_rate"].values[[female, male]].tolist() == [1 / 3, 0.0]
    assert rule["n_listed"].values[[female, male]].tolist() == [2.0, 1.0]
    assert not res.has_inference
    with pytest.raises(ValidationError, match="bootstrap"):
        res.ci()


def test_share_and_n_set_the_budget() -> None:
    scores, truth, _ = hand()
    by_share = evaluate_screening(scores, truth, share=0.2, bootstrap=0).to_dataset()
    assert by_share["n_flagged"].values.tolist() == [3, 2]  # the rule keeps its own flags
    assert by_share.attrs["share_source"] == "share"
    by_n = evaluate_screening({"score": scores["score"]}, truth, n=2, bootstrap=0).to_dataset()
    assert by_n["inclusion_error"].values.tolist() == [0.0]
    assert by_n["exclusion_error"].values.tolist() == [0.5]
    res = evaluate_screening(scores, truth, share=0.2, bootstrap=0)
    assert "The rule rule flags 30.00%, not the common share" in res.summary().text


# -- the numbers of mpi.targeting and mpi.targeting_curve ---------------------------------
def test_equal_to_targeting_and_targeting_curve(inputs: tuple, evaluation) -> None:
    scores, truth, groups = inputs
    ds = evaluation.to_dataset()
    df = pd.DataFrame({k: v.astype(float) for k, v in scores.items()}).assign(poor=truth)
    df = df.join(groups)
    naive = mpi.targeting(df, listed="naive", poor="poor").to_dataset()
    top = int(df["naive"].sum())
    assert top == 90 and ds.attrs["common_n"] == 90
    for name in ("inclusion_error", "exclusion_error", "coverage", "listed_share"):
        mine = "flagged_share" if name == "listed_share" else name
        assert abs(ds[mine].sel(rule="naive").item() - float(naive[name])) <= 1e-12
    assert abs(ds["auc"].sel(rule="naive").item() - float(
        mpi.targeting_curve(df, "naive", "poor").to_dataset()["auc"])) <= 1e-12  # fmt: skip
    for score in ("spending", "noisy_budget"):
        curve = mpi.targeting_curve(df, score, "poor", top=top).to_dataset()
        for name in ("inclusion_error", "exclusion_error", "coverage", "auc", "cut_score"):
            assert abs(ds[name].sel(rule=score).item() - float(curve[name])) <= 1e-12
        assert ds["n_flagged"].sel(rule=score).item() == int(curve["n_listed"])
    # the data card's bundled figures
    assert round(ds["inclusion_error"].sel(rule="naive").item(), 3) == 0.378
    assert round(ds["auc"].sel(rule="spending").item(), 3) == 0.944
    # per group: mpi.targeting with by=, on the national lists
    g = evaluation.by_group()
    for var in ("sex", "college"):
        cut = float(ds["cut_score"].sel(rule="spending"))
        flags = df.assign(listed=(df["spending"] >= cut).astype(int))
        want = mpi.targeting(flags, listed="listed", poor="poor", by=var).to_dataset()
        sel = g["group_variable"].values == var
        got = g.sel(rule="spending").isel(group=np.flatnonzero(sel))
        assert got["group_value"].values.tolist() == [str(v) for v in want[var].values]
        for name in ("inclusion_error", "exclusion_error", "coverage", "n_units"):
            np.testing.assert_allclose(got[name].values, want[name].values, rtol=0, atol=1e-12)


def test_fairness_the_naive_rule_over_flags_women(evaluation) -> None:
    g = evaluation.by_group()
    sex = g.isel(group=np.flatnonzero(g["group_variable"].values == "sex"))
    naive = sex.sel(rule="naive")
    fpr = dict(zip(naive["group_value"].values, naive["false_positive_rate"].values, strict=True))
    assert fpr["female"] > 2 * fpr["male"]
    budget = sex.sel(rule="noisy_budget")
    fpr_b = dict(zip(budget["group_value"].values, budget["false_positive_rate"].values,
                     strict=True))  # fmt: skip
    assert fpr_b["female"] < fpr["female"]
    assert "Errors by sex" in evaluation.summary().text


def test_budget_in_yuan(evaluation) -> None:
    ds = evaluation.to_dataset()
    np.testing.assert_array_equal(ds["budget"].values, ds["n_flagged"].values * 150.0 * 4)
    assert ds["budget"].attrs["units"] == "yuan"


# -- bootstrap ---------------------------------------------------------------------------
def test_bootstrap_intervals_contain_the_estimates(evaluation) -> None:
    ds, ci = evaluation.to_dataset(), evaluation.ci()
    for name in ("inclusion_error", "exclusion_error", "auc"):
        lo, hi = ci[name].sel(bound="lower").values, ci[name].sel(bound="upper").values
        assert (lo <= ds[name].values).all() and (ds[name].values <= hi).all()
        assert (hi - lo > 0.01).all()
    narrow = evaluation.ci(0.5)
    assert (narrow["auc"].sel(bound="upper") < ci["auc"].sel(bound="upper")).all()
    reps = evaluation.replicates()
    np.testing.assert_allclose(
        ci["auc"].sel(bound="lower").values,
        np.percentile(reps["auc"].values, 2.5, axis=1), rtol=0, atol=1e-15,
    )  # fmt: skip
    frame = evaluation.to_frame()
    row = frame[(frame["measure"] == "auc") & (frame["rule"] == "spending")].iloc[0]
    assert row["lower"] == ci["auc"].sel(bound="lower", rule="spending").item()
    assert np.isnan(frame.loc[frame["measure"] == "coverage", "lower"]).all()


def test_a_replicate_is_targeting_curve_on_the_resampled_students(inputs: tuple) -> None:
    scores, truth, _ = inputs
    res = evaluate_screening(scores, truth, bootstrap=2, seed=11)
    reps = res.replicates()
    df = pd.DataFrame({k: v.astype(float) for k, v in scores.items()}).assign(poor=truth)
    rng = np.random.default_rng(11)
    for b in range(2):
        rows = df.iloc[rng.integers(0, len(df), size=len(df))].reset_index(drop=True)
        curve = mpi.targeting_curve(rows, "spending", "poor", top=90).to_dataset()
        rule = mpi.targeting(rows, listed="naive", poor="poor").to_dataset()
        for name in ("inclusion_error", "exclusion_error", "auc"):
            got = reps[name].sel(rule="spending", replicate=b).item()
            assert abs(got - float(curve[name])) <= 1e-12
        for name in ("inclusion_error", "exclusion_error"):
            assert (
                abs(reps[name].sel(rule="naive", replicate=b).item() - float(rule[name])) <= 1e-12
            )


def test_intervals_shrink_with_more_students(inputs: tuple) -> None:
    scores, truth, _ = inputs
    few = truth.index[:200]
    small = evaluate_screening({k: v.loc[few] for k, v in scores.items()}, truth.loc[few], seed=1)
    large = evaluate_screening(scores, truth, seed=1)
    for name in ("inclusion_error", "exclusion_error", "auc"):
        w_small = small.ci()[name].diff("bound").values.ravel()
        w_large = large.ci()[name].diff("bound").values.ravel()
        assert (w_large < w_small).all(), name
    se_small, se_large = small.se["auc"].values, large.se["auc"].values
    assert (se_large < se_small).all()


def test_same_seed_same_intervals(inputs: tuple) -> None:
    scores, truth, _ = inputs
    a = evaluate_screening(scores, truth, bootstrap=30, seed=5).replicates()
    b = evaluate_screening(scores, truth, bootstrap=30, seed=5).replicates()
    c = evaluate_screening(scores, truth, bootstrap=30, seed=6).replicates()
    xr.testing.assert_identical(a, b)
    assert not a.equals(c)


# -- interface, summary, checks ------------------------------------------------------------
def test_tidy_frame_and_summaries(evaluation) -> None:
    frame = evaluation.to_frame()
    assert list(frame.columns) == ["measure", "rule", "estimate", "se", "lower", "upper"]
    assert len(frame) == 3 * 7
    assert set(frame["measure"]) == {
        "flagged_share", "n_flagged", "inclusion_error", "exclusion_error", "coverage", "auc",
        "budget",
    }  # fmt: skip
    en, zh = evaluation.summary(), evaluation.summary(lang="zh")
    assert "90 students, flagged by the rule naive" in en.text
    assert "150.00 yuan per listed student a month, 4 months" in en.text
    assert CJK.search(zh.title) and all(CJK.search(k) for k, _ in zh.header)
    assert len(zh.tables) == len(en.tables) == 2 + 3
    for (_, f_en), (_, f_zh) in zip(en.tables, zh.tables, strict=True):
        assert pd.DataFrame(f_en.to_numpy()).equals(pd.DataFrame(f_zh.to_numpy()))
    assert "由规则 naive 认定" in zh.text


def test_missing_values_drop_students_from_every_screen() -> None:
    scores, truth, _ = hand()
    s = scores["score"].copy()
    s.iloc[9] = np.nan
    with pytest.warns(MissingDataWarning, match="1 of 10 students dropped"):
        res = evaluate_screening({**scores, "score": s}, truth, bootstrap=0)
    assert res.to_dataset().attrs["n_units"] == 9
    assert res.to_dataset().attrs["n_dropped"] == 1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"share": 0.1, "n": 2}, "not both"),
        ({"share": 0}, r"\(0, 1\]"),
        ({"n": 11}, "from 1 to 10"),
        ({"subsidy": -1}, "subsidy"),
        ({"months": 0}, "months"),
        ({"bootstrap": -1}, "bootstrap"),
        ({"seed": -2}, "seed"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    scores, truth, _ = hand()
    with pytest.raises(ValidationError, match=match):
        evaluate_screening(scores, truth, **kwargs)


def test_bad_inputs() -> None:
    scores, truth, sex = hand()
    with pytest.raises(ValidationError, match="non-empty mapping"):
        evaluate_screening({}, truth)
    with pytest.raises(ValidationError, match="include a 0/1 rule"):
        evaluate_screening({"score": scores["score"]}, truth)
    with pytest.raises(ValidationError, match="flags no student"):
        evaluate_screening({"rule": scores["rule"] & False}, truth)
    with pytest.raises(ValidationError, match="truth must be 0/1"):
        evaluate_screening(scores, truth * 2)
    extra = pd.concat([scores["score"], pd.Series([0.5], index=[99])])
    with pytest.raises(ValidationError, match="without a truth value"):
        evaluate_screening({"s": extra}, truth, n=2)
    with pytest.raises(ValidationError, match="pseudonymous"):
        evaluate_screening(scores, truth, groups=sex.assign(姓名="张三"))
    with pytest.raises(ValidationError, match="by_group"):
        evaluate_screening(scores, truth, bootstrap=0).by_group()


def test_inputs_are_not_mutated() -> None:
    scores, truth, sex = hand()
    before = {k: v.copy() for k, v in scores.items()}, truth.copy(), sex.copy()
    evaluate_screening(scores, truth, groups=sex, bootstrap=5)
    for k, v in scores.items():
        pd.testing.assert_series_equal(v, before[0][k])
    pd.testing.assert_series_equal(truth, before[1])
    pd.testing.assert_frame_equal(sex, before[2])
