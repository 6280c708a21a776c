"""The naive screening rule (USTC: canteen spending < 200 yuan a month): mpi.screening.rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mpi
from mpi.errors import MissingDataWarning, ValidationError
from mpi.screening.features import features
from mpi.screening.rules import canteen_rule, feature_columns, feature_frame


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "canteen_spending": [150.0, 199.99, 200.0, 90.0, 0.0, 250.0],
            "canteen_meals": [40.0, 30.0, 50.0, 10.0, 0.0, 29.0],
        },
        index=pd.Index([11, 12, 13, 14, 15, 16], name="student_id"),
    )


def test_flags_on_a_hand_made_frame() -> None:
    feat = _frame()
    before = feat.copy()
    flag = canteen_rule(feat)
    assert flag.dtype == bool and flag.name == "canteen_rule"
    assert flag.index.equals(feat.index)
    assert flag.tolist() == [True, True, False, True, True, False]  # strict <: 200.0 not
    assert canteen_rule(feat, threshold=150).tolist() == [False, False, False, True, True, False]
    assert canteen_rule(feat, threshold=250.0).tolist() == [True, True, True, True, True, False]
    # eats elsewhere: also >= min_meals canteen meals a month (30 included)
    assert canteen_rule(feat, min_meals=30).tolist() == [True, True, False, False, False, False]
    assert canteen_rule(feat, threshold=300, min_meals=29).tolist() == [
        True,
        True,
        True,
        False,
        False,
        True,
    ]
    assert flag.attrs["n_missing"] == 0
    pd.testing.assert_frame_equal(feat, before)


def test_missing_values_are_not_flagged_and_counted() -> None:
    feat = _frame()
    feat.loc[12, "canteen_spending"] = np.nan
    feat.loc[11, "canteen_meals"] = np.nan
    with pytest.warns(MissingDataWarning, match="1 of 6 students"):
        flag = canteen_rule(feat)
    assert flag.tolist() == [True, False, False, True, True, False]
    assert flag.attrs["n_missing"] == 1
    with pytest.warns(MissingDataWarning, match="2 of 6"):
        flag = canteen_rule(feat, min_meals=5)
    assert flag.tolist() == [False, False, False, True, False, False]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"threshold": -1}, "threshold"),
        ({"threshold": float("nan")}, "threshold"),
        ({"threshold": "200"}, "threshold"),
        ({"threshold": True}, "threshold"),
        ({"min_meals": -3}, "min_meals"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        canteen_rule(_frame(), **kwargs)


def test_bad_features() -> None:
    with pytest.raises(ValidationError, match="canteen_spending"):
        canteen_rule(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(ValidationError, match="canteen_meals"):
        canteen_rule(_frame()[["canteen_spending"]], min_meals=30)
    with pytest.raises(ValidationError, match="feat"):
        canteen_rule([1, 2, 3])
    with pytest.raises(ValidationError, match="no rows"):
        canteen_rule(_frame().iloc[:0])
    with pytest.raises(ValidationError, match="repeated"):
        canteen_rule(pd.concat([_frame(), _frame()]))
    bad = _frame().assign(canteen_spending=["a", "b", "c", "d", "e", "f"])
    with pytest.raises(ValidationError, match="not numeric"):
        canteen_rule(bad)
    with pytest.raises(ValidationError, match="infinite"):
        canteen_rule(_frame().assign(canteen_spending=np.inf))


def test_feature_helpers() -> None:
    feat = _frame()
    assert feature_frame(feat) is feat
    x = feature_columns(feat, ["canteen_meals", "canteen_spending"])
    assert x.shape == (6, 2) and x[3, 0] == 10.0 and x[1, 1] == 199.99


@pytest.fixture(scope="module")
def card() -> dict:
    return mpi.datasets.load("campus_card")


def _errors(flag: pd.Series, truth: pd.DataFrame) -> tuple[float, float]:
    df = truth.set_index("student_id")[["hardship"]].copy()
    df["flag"] = flag.reindex(df.index)
    ds = mpi.targeting(df, listed="flag", poor="hardship").to_dataset()
    return float(ds["inclusion_error"]), float(ds["exclusion_error"])


def test_card_rule_reproduced_on_the_cards_monthly_means(card: dict) -> None:
    # The data card's rule: mean over the four months September-December < 200.
    spend, meals = mpi.datasets.monthly_canteen_spending(card)
    feat = pd.DataFrame(
        {"canteen_spending": spend.mean(axis=1), "canteen_meals": meals.mean(axis=1)}
    )
    flag = canteen_rule(feat)
    pd.testing.assert_series_equal(
        flag, (spend.mean(axis=1) < 200).rename("canteen_rule"), check_names=True
    )
    assert int(flag.sum()) == 90
    inc, exc = _errors(flag, card["truth"])
    assert inc == pytest.approx(34 / 90, abs=1e-12)  # card: 37.8 %
    assert exc == pytest.approx(31 / 87, abs=1e-12)  # card: 35.6 %
    inc, exc = _errors(canteen_rule(feat, min_meals=30), card["truth"])
    assert inc == pytest.approx(0.236, abs=0.001) and exc == pytest.approx(0.368, abs=0.001)


def test_rule_on_the_screening_features(card: dict) -> None:
    # features() rates are per 30.44 days of each student's active span over the whole term
    # (January included), not the card's mean of four calendar months: 5 students change.
    feat = features(card["transactions"], card["students"])
    flag = canteen_rule(feat)
    frame = feat.to_frame()
    pd.testing.assert_series_equal(flag, (frame["canteen_spending"] < 200).rename("canteen_rule"))
    spend, _ = mpi.datasets.monthly_canteen_spending(card)
    card_flag = (spend.mean(axis=1) < 200).reindex(flag.index)
    assert int((flag != card_flag).sum()) == 5
    assert int(flag.sum()) == 87
    inc, exc = _errors(flag, card["truth"])
    assert inc == pytest.approx(33 / 87, abs=1e-12)
    assert exc == pytest.approx(33 / 87, abs=1e-12)
    inc, exc = _errors(canteen_rule(feat, min_meals=30), card["truth"])
    assert inc == pytest.approx(0.28378378378378377, abs=1e-12)
    assert exc == pytest.approx(0.39080459770114945, abs=1e-12)
