"""The transparent multi-signal score: mpi.screening.signals (a composite spec over features)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import mpi
from mpi.composites.spec import CompositeIndicator, CompositeSpec, Dimension
from mpi.errors import MissingDataWarning, SpecError, ValidationError
from mpi.screening.features import features
from mpi.screening.features_catalogue import FEATURES
from mpi.screening.rules import canteen_rule
from mpi.screening.signals import SignalScore, available_spec, default_signals, signal_score

CATALOGUE = {f.name: f for f in FEATURES}


@pytest.fixture(scope="module")
def bundled() -> pd.DataFrame:
    card = mpi.datasets.load("campus_card")
    return features(card["transactions"], card["students"]).to_frame()


def _spec() -> CompositeSpec:
    return CompositeSpec(
        "demo",
        [
            CompositeIndicator("canteen_spending", "consumption", "1/2", "-"),
            CompositeIndicator("cheap_meal_share", "consumption", "1/2", "+"),
            CompositeIndicator("rural", "background", 1, "+"),
        ],
        [Dimension("consumption", "3/4"), Dimension("background", "1/4")],
        normalisation="rank",
        missing="reweight",
    )


def test_hand_made_scores_exact() -> None:
    feat = pd.DataFrame(
        {
            "canteen_spending": [150.0, 400.0, 300.0, 100.0],
            "cheap_meal_share": [0.5, 0.1, 0.2, np.nan],
            "rural": [1.0, 0.0, 0.0, 1.0],
        },
        index=pd.Index([1, 2, 3, 4], name="student_id"),
    )
    before = feat.copy()
    res = signal_score(feat, _spec())
    # ranks of -spending: 4 (100) > 1 (150) > 3 (300) > 2 (400): 2/3, 0, 1/3, 1
    # cheap share (3 values): 1, 0, 1/2, NaN -> student 4's consumption = spending rank only
    # rural ranks (average ties): 5/6 for rural, 1/6 for urban
    cons = np.array([(2 / 3 + 1) / 2, 0.0, (1 / 3 + 0.5) / 2, 1.0])
    back = np.array([5 / 6, 1 / 6, 1 / 6, 5 / 6])
    np.testing.assert_allclose(res.scores.to_numpy(), 0.75 * cons + 0.25 * back, atol=1e-15)
    np.testing.assert_allclose(res.contributions.sum(axis=1), res.scores, atol=1e-15)
    assert res.contributions.loc[4, "cheap_meal_share"] == 0.0
    assert res.scores.name == "signal_score" and res.scores.index.equals(feat.index)
    pd.testing.assert_frame_equal(feat, before)


def test_default_spec_is_the_shipped_data_with_catalogue_directions() -> None:
    spec = default_signals()
    assert spec.normalisation == "rank" and spec.missing == "reweight"
    assert spec.mean == "arithmetic" and all(d.mean == "arithmetic" for d in spec.dimensions)
    assert spec.dimension_names == ("consumption", "living", "study", "background")
    assert [d.weight for d in spec.dimensions] == [
        Fraction(3, 5),
        Fraction(3, 20),
        Fraction(1, 20),
        Fraction(1, 5),
    ]
    for ind in spec.indicators:
        feature = CATALOGUE[ind.name]
        assert ind.dimension == feature.category, ind.name
        assert feature.direction != 0 and ind.direction == feature.direction, ind.name
    # one dimension per category of the catalogue (UESTC's four)
    assert set(spec.dimension_names) == {f.category for f in FEATURES}


def test_equals_mpi_composite_on_the_same_spec(bundled: pd.DataFrame) -> None:
    res = signal_score(bundled)
    # holidays were not given: holiday_presence is all missing and left out
    assert res.left_out == ("holiday_presence",)
    assert "holiday_presence" not in res.spec.indicator_names
    living = [i.weight for i in res.spec.indicators if i.dimension == "living"]
    assert living == [Fraction(1, 3)] * 3
    direct = mpi.composite(bundled, res.spec)
    np.testing.assert_allclose(res.scores.to_numpy(), direct.index.to_numpy(), rtol=0, atol=1e-12)
    contrib = direct.to_frame([f"contribution_{n}" for n in res.spec.indicator_names])
    np.testing.assert_allclose(res.contributions.to_numpy(), contrib.to_numpy(), atol=1e-12)
    np.testing.assert_allclose(res.contributions.sum(axis=1), res.scores, atol=1e-12)
    assert res.composite.spec is res.spec
    assert res.scores.notna().all() and len(res.scores) == 800
    # higher = more likely in hardship
    assert res.scores.corr(bundled["canteen_spending"], method="spearman") < -0.5


def test_user_spec_runs_as_given_and_from_yaml(bundled: pd.DataFrame) -> None:
    spec = _spec()
    a = signal_score(bundled, spec)
    b = signal_score(bundled, spec.to_yaml())
    pd.testing.assert_series_equal(a.scores, b.scores)
    assert a.left_out == ()
    with pytest.raises(ValidationError, match="holiday_presence"):
        # a spec you give is not trimmed: its all-missing feature drops every student
        spec2 = CompositeSpec("h", [CompositeIndicator("nope", "living")], normalisation="rank")
        signal_score(
            bundled, spec2.replace(indicators=(CompositeIndicator("holiday_presence", "living"),))
        )


def test_available_spec_renormalises() -> None:
    frame = pd.DataFrame({"canteen_spending": [1.0, 2.0], "rural": [np.nan, np.nan]})
    spec, left = available_spec(default_signals(), frame)
    assert spec.indicator_names == ("canteen_spending",)
    assert [d.weight for d in spec.dimensions] == [Fraction(1)]
    assert "rural" in left and "price_median" in left
    with pytest.raises(ValidationError, match="none of the features"):
        available_spec(default_signals(), pd.DataFrame({"x": [1.0]}))


def test_students_without_a_category_value_are_counted(bundled: pd.DataFrame) -> None:
    feat = bundled.copy()
    feat.loc[feat.index[:3], ["rural", "registered_poor"]] = np.nan
    with pytest.warns(MissingDataWarning, match="3 of 800"):
        res = signal_score(feat)
    assert res.scores.isna().sum() == 3
    assert res.to_dataset().attrs["n_without_score"] == 3


def test_result_interface(bundled: pd.DataFrame) -> None:
    res = signal_score(bundled)
    assert isinstance(res, SignalScore)
    frame = res.to_frame()
    assert list(frame.columns)[:2] == ["signal_score", "contribution_canteen_spending"]
    assert res.to_frame(["signal_score"]).shape == (800, 1)
    with pytest.raises(ValidationError, match="not columns"):
        res.to_frame(["nope"])
    ds = res.to_dataset()
    assert set(ds.data_vars) == {"score", "contribution", "category_score"}
    assert ds.sizes == {"student": 800, "feature": 10, "category": 4}
    for lang in ("en", "zh"):
        s = res.summary(lang=lang)
        assert "holiday_presence" in s.notes[-1]
        table = s.tables[0][1]
        assert table.shape == (10, 4)
    en = res.summary().tables[0][1]
    assert en["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    top = res.scores.sort_values(ascending=False, kind="stable").index[:80]
    np.testing.assert_allclose(
        en["mean_contribution"], res.contributions.loc[top].mean(), rtol=1e-12
    )
    assert en.loc["canteen_spending", "weight"] == pytest.approx(3 / 5 / 4, abs=1e-15)
    assert "综合" not in res.summary().text and "多信号" in res.summary(lang="zh").text
    assert "800 students" in repr(res)
    with pytest.raises(ValidationError, match="no by argument"):
        res.by_group()


def test_bad_spec_and_features() -> None:
    with pytest.raises(ValidationError, match="feat"):
        signal_score("features")
    with pytest.raises(SpecError):
        signal_score(pd.DataFrame({"x": [1.0, 2.0]}), {"name": "x", "indicators": []})


def test_out_of_sample_beats_the_naive_rule() -> None:
    card = mpi.datasets.generate("campus_card", n=6000, seed=7)
    feat = features(card["transactions"], card["students"])
    frame = feat.to_frame()
    df = card["truth"].set_index("student_id")[["hardship"]].reindex(frame.index)
    flag = canteen_rule(feat)
    share = float(flag.mean())
    df["rule_score"] = -frame["canteen_spending"]  # the naive rule's ranking
    df["signal"] = signal_score(feat).scores
    rule = mpi.targeting_curve(df, score="rule_score", poor="hardship", share=share).to_dataset()
    sig = mpi.targeting_curve(df, score="signal", poor="hardship", share=share).to_dataset()
    df["flag"] = flag
    listed = mpi.targeting(df, listed="flag", poor="hardship").to_dataset()
    # the rule's own list is the rule score's list at its share
    assert int(rule["n_listed"]) == int(flag.sum()) == 677
    assert float(rule["inclusion_error"]) == pytest.approx(float(listed["inclusion_error"]))
    assert float(rule["auc"]) == pytest.approx(0.9519, abs=1e-4)
    assert float(sig["auc"]) == pytest.approx(0.9756, abs=1e-4)
    assert float(sig["auc"]) - float(rule["auc"]) > 0.02
    inc_rule, exc_rule = float(rule["inclusion_error"]), float(rule["exclusion_error"])
    inc_sig, exc_sig = float(sig["inclusion_error"]), float(sig["exclusion_error"])
    assert inc_rule == pytest.approx(0.3383, abs=1e-4) and exc_rule == pytest.approx(
        0.3383, abs=1e-4
    )
    assert inc_sig == pytest.approx(0.2334, abs=1e-4) and exc_sig == pytest.approx(0.2334, abs=1e-4)
    assert inc_rule - inc_sig > 0.10 and exc_rule - exc_sig > 0.10


def test_a_student_without_transactions_has_no_score() -> None:
    card = mpi.datasets.load("campus_card")
    extra = card["students"].iloc[[0]].assign(student_id=9999)
    feat = features(card["transactions"], pd.concat([card["students"], extra], ignore_index=True))
    with pytest.warns(MissingDataWarning, match="1 of 801"):
        res = signal_score(feat)
    assert np.isnan(res.scores.loc[9999]) and res.scores.drop(9999).notna().all()
    assert res.to_dataset().attrs["n_without_score"] == 1
