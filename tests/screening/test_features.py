"""mpi.screening.features: exact values on a hand-made log, students without transactions,
lost cards, duplicates, clock skew, unsorted input, errors, top-ups and laundry, chunks of
students computed apart, and equality with a plain pandas groupby implementation
(benchmarks/screening_features.py) on the bundled data and on a draw with synthetic top-ups
and laundry."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mpi
from mpi.errors import ValidationError
from mpi.screening.features import features
from mpi.screening.features_catalogue import CATEGORIES, FEATURES, feature_names

CATALOGUE = {f.name: f for f in FEATURES}

ROOT = Path(__file__).resolve().parents[2]
M = 30.44  # days per month
START, END = "2024-03-04", "2024-03-13"  # Monday .. Wednesday: 10 days, weekend 9-10 March
HOLIDAYS = ["2024-03-08"]  # a Friday
OPTIONAL = ("topup_amount", "topup_count", "topup_mean", "laundry_visits")
CARD_HOLIDAYS = [*pd.date_range("2023-09-29", "2023-10-06"),
                 *pd.date_range("2023-12-30", "2024-01-01")]  # fmt: skip


def _bench():
    spec = importlib.util.spec_from_file_location(
        "screening_features_bench", ROOT / "benchmarks" / "screening_features.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reference():
    return _bench().pandas_features


def _log(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["student_id", "time", "kind", "meal", "amount"])
    df["time"] = pd.to_datetime(df["time"]).astype("datetime64[s]")
    df["kind"] = df["kind"].astype("category")
    df["meal"] = df["meal"].astype(pd.CategoricalDtype(["breakfast", "lunch", "dinner"]))
    return df


#: Student 1: 4 active days (Mon 4, Tue 5, Sat 9, Mon 11 March); student 2: Wed 6 - Fri 8.
LOG = [
    (1, "2024-03-04 08:00", "canteen", "breakfast", 3.0),
    (1, "2024-03-04 12:00", "canteen", "lunch", 10.0),
    (1, "2024-03-04 14:00", "library", None, 0.0),
    (1, "2024-03-05 12:00", "canteen", "lunch", 12.0),
    (1, "2024-03-05 15:00", "supermarket", None, 20.0),
    (1, "2024-03-05 21:00", "shower", None, 2.5),
    (1, "2024-03-09 18:00", "canteen", "dinner", 8.0),
    (1, "2024-03-11 07:00", "canteen", "breakfast", 2.0),
    (1, "2024-03-11 22:00", "shower", None, 3.0),
    (2, "2024-03-06 11:00", "canteen", "lunch", 5.0),
    (2, "2024-03-06 17:00", "canteen", "dinner", 4.0),
    (2, "2024-03-07 11:30", "canteen", "lunch", 6.0),
    (2, "2024-03-08 10:00", "library", None, 0.0),
]

STUDENTS = pd.DataFrame({
    "student_id": [1, 2, 3], "rural": [0, 1, 1], "registered_poor": [0, 0, 1],
    "grade": [2, 1, 4], "sex": pd.Categorical(["female", "male", "female"]),
})  # fmt: skip

#: Written by hand from the formulas of FEATURES. Cheap-price cutoffs (20th percentiles):
#: breakfast [2, 3] -> 2.2; lunch [5, 6, 10, 12] -> 5.6; dinner [4, 8] -> 4.8.
#: Weeks start on Monday 4 March: student 1 spends 55.5 and 5.0 yuan (mean 30.25, sd 25.25).
NAN = np.nan
EXPECTED = {
    1: {  # span 4 .. 11 March = 8 days
        "canteen_spending": 35 * M / 8,
        "canteen_meals": 5 * M / 8,
        "price_mean": 7.0,
        "price_median": 8.0,
        "price_p25": 3.0,
        "lunch_price": 11.0,
        "cheap_meal_share": 0.2,
        "supermarket_spending": 20 * M / 8,
        "supermarket_visits": M / 8,
        "spending_volatility": 25.25 / 30.25,
        "total_spending": 60.5 * M / 8,
        "active_days_share": 0.4,
        "breakfast_regularity": 2 / 3,
        "meals_per_active_day": 1.25,
        "shower_visits": 0.5,
        "weekend_presence": 0.5,
        "holiday_presence": 0.0,
        "longest_gap_days": 3.0,
        "library_visits": M / 8,
        "library_days_share": 0.25,
        "topup_amount": NAN,  # the log records no top-up, no laundry
        "topup_count": NAN,
        "topup_mean": NAN,
        "laundry_visits": NAN,
        "rural": 0.0,
        "registered_poor": 0.0,
        "grade": 2.0,
        "female": 1.0,
    },
    2: {  # span 6 .. 8 March = 3 days; Friday 8 March is a holiday
        "canteen_spending": 15 * M / 3,
        "canteen_meals": 3 * M / 3,
        "price_mean": 5.0,
        "price_median": 5.0,
        "price_p25": 4.5,
        "lunch_price": 5.5,
        "cheap_meal_share": 2 / 3,
        "supermarket_spending": 0.0,
        "supermarket_visits": 0.0,
        "spending_volatility": 0.0,
        "total_spending": 15 * M / 3,
        "active_days_share": 0.3,
        "breakfast_regularity": 0.0,
        "meals_per_active_day": 1.0,
        "shower_visits": 0.0,
        "weekend_presence": 0.0,
        "holiday_presence": 1.0,
        "longest_gap_days": 0.0,
        "library_visits": M / 3,
        "library_days_share": 1 / 3,
        "topup_amount": NAN,
        "topup_count": NAN,
        "topup_mean": NAN,
        "laundry_visits": NAN,
        "rural": 1.0,
        "registered_poor": 0.0,
        "grade": 1.0,
        "female": 0.0,
    },
    3: {  # no transactions: rates 0, shares of term days 0, everything per meal/day NaN
        "canteen_spending": 0.0,
        "canteen_meals": 0.0,
        "price_mean": NAN,
        "price_median": NAN,
        "price_p25": NAN,
        "lunch_price": NAN,
        "cheap_meal_share": NAN,
        "supermarket_spending": 0.0,
        "supermarket_visits": 0.0,
        "spending_volatility": NAN,
        "total_spending": 0.0,
        "active_days_share": 0.0,
        "breakfast_regularity": NAN,
        "meals_per_active_day": NAN,
        "shower_visits": NAN,
        "weekend_presence": 0.0,
        "holiday_presence": 0.0,
        "longest_gap_days": NAN,
        "library_visits": 0.0,
        "library_days_share": NAN,
        "topup_amount": NAN,
        "topup_count": NAN,
        "topup_mean": NAN,
        "laundry_visits": NAN,
        "rural": 1.0,
        "registered_poor": 1.0,
        "grade": 4.0,
        "female": 1.0,
    },
}


def _hand(**kw) -> mpi.screening.features_result.ScreeningFeatures:
    return features(_log(LOG), STUDENTS, start=START, end=END, holidays=HOLIDAYS, **kw)


def test_catalogue_has_the_contract_features_in_four_categories():
    assert {f.category for f in FEATURES} == set(CATEGORIES)
    assert all(f.direction in (-1, 0, 1) and f.units and f.description for f in FEATURES)
    for name in (
        "canteen_spending",
        "price_p25",
        "cheap_meal_share",
        "spending_volatility",
        "holiday_presence",
        "longest_gap_days",
        "library_days_share",
        "female",
    ):
        assert name in feature_names()
    for name in ("topup_amount", "topup_count", "topup_mean"):
        assert CATALOGUE[name].category == "consumption" and CATALOGUE[name].direction == 0
    assert CATALOGUE["laundry_visits"].category == "living"
    assert CATALOGUE["laundry_visits"].direction == 0
    assert len(set(feature_names())) == len(FEATURES) == 28


def test_hand_made_log_exact_values():
    res = _hand()
    frame = res.to_frame()
    assert list(frame.columns) == list(feature_names())
    assert (frame.dtypes == np.float64).all()
    expected = pd.DataFrame.from_dict(EXPECTED, orient="index")[frame.columns]
    expected.index.name = "student_id"
    pd.testing.assert_frame_equal(frame, expected, rtol=1e-12, atol=1e-12)
    assert res.no_transactions.tolist() == [False, False, True]
    assert res.counts["n_no_transactions"] == 1 and res.counts["n_students"] == 3
    assert res.counts["n_used"] == len(LOG) and res.counts["n_duplicates"] == 0
    ds = res.to_dataset()
    np.testing.assert_allclose(ds["cheap_cutoff"].values, [2.2, 5.6, 4.8], rtol=1e-12)
    assert ds["span_days"].values.tolist() == [8, 3, 0]
    assert ds["active_days"].values.tolist() == [4, 3, 0]
    assert "3 without" not in str(res) and "(1 without transactions)" in str(res)


def test_without_holidays_holiday_presence_is_nan_and_friday_is_a_weekday():
    frame = features(_log(LOG), STUDENTS, start=START, end=END).to_frame()
    assert frame["holiday_presence"].isna().all()
    # student 2: Wed, Thu, Fri now weekdays, no breakfast; student 1 unchanged (inactive Fri)
    assert frame.loc[2, "breakfast_regularity"] == 0.0
    assert frame.loc[1, "breakfast_regularity"] == pytest.approx(2 / 3, rel=1e-15)


def test_students_none_gives_the_ids_of_the_transactions_and_no_background():
    frame = features(_log(LOG), start=START, end=END).to_frame()
    assert frame.index.tolist() == [1, 2]
    assert "rural" not in frame.columns and len(frame.columns) == 24


def test_default_term_is_the_first_and_last_day_with_a_transaction():
    ds = features(_log(LOG)).to_dataset()
    assert (ds.attrs["start"], ds.attrs["end"]) == ("2024-03-04", "2024-03-11")


def test_lost_card_mid_term():
    rows = [(7, f"2024-03-{d:02d} 12:00", "canteen", "lunch", 8.0) for d in (1, 2, 3)]
    rows += [(7, f"2024-03-{d:02d} 12:00", "canteen", "lunch", 8.0) for d in range(21, 27)]
    res = features(_log(rows), start="2024-03-01", end="2024-03-31")
    row = res.to_frame().loc[7]
    assert row["longest_gap_days"] == 17.0  # 4 .. 20 March without the card
    assert row["active_days_share"] == pytest.approx(9 / 31, rel=1e-15)
    # rates over the span 1 .. 26 March (26 days): the lost days count
    assert row["canteen_meals"] == pytest.approx(9 * M / 26, rel=1e-15)
    assert row["canteen_spending"] == pytest.approx(72 * M / 26, rel=1e-15)


def test_duplicates_counted_and_not_double_counted():
    base = _hand().to_frame()
    dup = _log(LOG + [LOG[1], LOG[4], LOG[1]])  # a lunch twice more, a supermarket basket
    res = features(dup, STUDENTS, start=START, end=END, holidays=HOLIDAYS)
    assert res.counts["n_duplicates"] == 3 and res.counts["n_used"] == len(LOG)
    pd.testing.assert_frame_equal(res.to_frame(), base)
    kept = features(dup, STUDENTS, start=START, end=END, holidays=HOLIDAYS, duplicates="keep")
    assert kept.counts["n_duplicates"] == 3 and kept.counts["n_used"] == len(LOG) + 3
    assert kept.to_frame().loc[1, "canteen_meals"] == pytest.approx(7 * M / 8, rel=1e-15)
    with pytest.raises(
        ValidationError, match=r"duplicates='error': 3 transactions .*first at row 13"
    ):
        features(dup, STUDENTS, start=START, end=END, duplicates="error")
    # same second, different amount or kind: not a duplicate
    near = _log(LOG + [(1, "2024-03-04 12:00", "canteen", "lunch", 10.5)])
    assert features(near, start=START, end=END).counts["n_duplicates"] == 0


def test_non_adjacent_duplicates_in_the_same_second_are_found():
    rows = [
        (1, "2024-03-04 12:00", "canteen", "lunch", 10.0),
        (1, "2024-03-04 12:00", "supermarket", None, 3.0),
        (1, "2024-03-04 12:00", "canteen", "lunch", 10.0),
    ]
    res = features(_log(rows))
    assert res.counts["n_duplicates"] == 1
    assert res.to_frame().loc[1, "price_mean"] == 10.0


def test_clock_skew_outside_term_left_out_and_off_hours_kept():
    skewed = LOG + [
        (1, "2030-01-01 12:00", "canteen", "lunch", 99.0),  # the future of end
        (2, "2024-03-03 23:59", "supermarket", None, 50.0),  # before start
        (2, "2024-03-14 00:00", "shower", None, 2.0),  # the first second after end
    ]
    res = features(_log(skewed), STUDENTS, start=START, end=END, holidays=HOLIDAYS)
    assert res.counts["n_outside_term"] == 3 and res.counts["n_used"] == len(LOG)
    pd.testing.assert_frame_equal(res.to_frame(), _hand().to_frame())
    off = LOG + [
        (2, "2024-03-07 05:00", "canteen", "breakfast", 3.0),  # before 06:30
        (2, "2024-03-07 13:31", "canteen", "lunch", 6.5),
    ]  # after 13:30 (and 13:30 ok)
    res = features(_log(off), STUDENTS, start=START, end=END, holidays=HOLIDAYS)
    assert res.to_dataset()["n_off_hours"].values.tolist() == [1, 1, 0]
    assert res.to_frame().loc[2, "canteen_meals"] == pytest.approx(5 * M / 3, rel=1e-15)
    later = features(_log(off), start=START, end=END, meal_hours={"breakfast": ("04:30", "9:30")})
    assert later.to_dataset()["n_off_hours"].values.tolist() == [0, 1, 0]


def test_unsorted_input_gives_the_same_result_and_nothing_is_mutated():
    log = _log(LOG)
    shuffled = log.sample(frac=1.0, random_state=3)
    before = shuffled.copy(deep=True)
    students = STUDENTS.iloc[::-1].copy()
    students_before = students.copy(deep=True)
    a = features(shuffled, students, start=START, end=END, holidays=HOLIDAYS).to_frame()
    pd.testing.assert_frame_equal(shuffled, before)
    pd.testing.assert_frame_equal(students, students_before)
    b = _hand().to_frame()
    pd.testing.assert_frame_equal(a.loc[b.index], b)  # same values, rows in students' order
    assert a.index.tolist() == [3, 2, 1]


def test_kinds_mapping_other_and_ignored():
    log = _log(LOG + [(1, "2024-03-12 09:00", "laundry", None, 4.0),
                      (2, "2024-03-12 09:00", "top-up", None, 100.0)])  # fmt: skip
    with pytest.raises(ValidationError, match=r"unknown kinds \['top-up'\].*kinds="):
        features(log, start=START, end=END)
    res = features(log, STUDENTS, start=START, end=END, holidays=HOLIDAYS,
                   kinds={"laundry": "other", "top-up": None})  # fmt: skip
    assert res.counts["n_ignored_kind"] == 1
    row = res.to_frame().loc[1]  # span now 4 .. 12 March = 9 days, 5 active days
    assert row["total_spending"] == pytest.approx(64.5 * M / 9, rel=1e-14)
    assert row["active_days_share"] == 0.5
    assert res.to_frame().loc[2, "total_spending"] == pytest.approx(15 * M / 3, rel=1e-14)
    # laundry mapped to "other", the top-up ignored: neither kind is recorded as such
    assert res.to_frame()[["topup_amount", "laundry_visits"]].isna().all().all()
    # the same rows through the default roles: laundry is laundry, "top-up" a top-up
    res = features(log, STUDENTS, start=START, end=END, kinds={"top-up": "topup"})
    row = res.to_frame().loc[1]
    assert row["total_spending"] == pytest.approx(64.5 * M / 9, rel=1e-14)
    assert row["laundry_visits"] == pytest.approx(M / 9, rel=1e-14)
    assert row["topup_count"] == 0.0 and np.isnan(row["topup_mean"])
    assert res.to_frame().loc[2, "topup_amount"] == pytest.approx(100 * M / 3, rel=1e-14)
    assert res.to_frame().loc[2, "total_spending"] == pytest.approx(15 * M / 3, rel=1e-14)


def test_monthly_rows_for_every_student_and_month():
    rows = LOG + [(2, "2024-04-02 12:00", "canteen", "lunch", 7.0)]
    res = features(_log(rows), STUDENTS, period="month", start="2024-03-04", end="2024-04-05")
    frame = res.to_frame()
    assert frame.index.names == ["student_id", "period"]
    assert frame.index.tolist() == [(s, p) for s in (1, 2, 3) for p in ("2024-03", "2024-04")]
    assert frame.loc[(1, "2024-04"), "canteen_spending"] == 0.0
    assert frame.loc[(2, "2024-04"), "canteen_spending"] == pytest.approx(7 * M, rel=1e-15)
    assert frame.loc[(2, "2024-04"), "active_days_share"] == pytest.approx(1 / 5, rel=1e-15)
    assert res.no_transactions.tolist() == [False, True, False, False, True, True]
    assert res.counts["n_no_transactions"] == 1


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.assign(meal=d["meal"].where(d.index != 1)), r"meal: 1 canteen .* row 1"),
        (
            lambda d: d.assign(amount=d["amount"].where(d.index != 4, -2.0)),
            r"amount: .* negative .* -2\.0 at row 4",
        ),
        (lambda d: d.assign(time=d["time"].astype(str)), r"time: .* not a datetime"),
        (lambda d: d.drop(columns="kind"), r"kind='kind' is not a column"),
        (
            lambda d: d.assign(meal=d["meal"].astype(object).where(d.index != 0, "brunch")),
            r"unknown meal types \['brunch'\]",
        ),
    ],
)
def test_bad_input_is_a_clear_error(change, match):
    with pytest.raises(ValidationError, match=match):
        features(change(_log(LOG)))


def test_bad_arguments_are_clear_errors():
    log = _log(LOG)
    with pytest.raises(ValidationError, match="period='week'"):
        features(log, period="week")
    with pytest.raises(ValidationError, match="duplicates='first'"):
        features(log, duplicates="first")
    with pytest.raises(ValidationError, match="end=2024-03-01 is before start"):
        features(log, start=START, end="2024-03-01")
    with pytest.raises(ValidationError, match="repeated ids"):
        features(log, pd.concat([STUDENTS, STUDENTS]))
    with pytest.raises(ValidationError, match="kinds="):
        features(log, kinds={"laundry": "washing"})


def test_transactions_of_unknown_students_left_out_and_counted():
    res = features(_log(LOG), STUDENTS.iloc[[1]], start=START, end=END, holidays=HOLIDAYS)
    assert res.counts["n_not_in_students"] == 9
    assert res.to_frame().index.tolist() == [2]
    pd.testing.assert_series_equal(res.to_frame().loc[2], _hand().to_frame().loc[2])


def test_summary_in_both_languages():
    res = _hand()
    en, zh = res.summary(), res.summary(lang="zh")
    assert "Canteen spending (yuan per month)" in en and "30.44" in en
    assert "食堂月消费额" in zh and "Canteen" not in zh
    assert res.to_frame(["price_mean"]).columns.tolist() == ["price_mean"]
    with pytest.raises(ValidationError, match="not features"):
        res.to_frame(["nope"])


@pytest.fixture(scope="module")
def card():
    return mpi.datasets.load("campus_card")


@pytest.mark.parametrize("period", ["term", "month"])
def test_kernel_equals_a_pandas_groupby_on_the_bundled_data(card, period):
    holidays = [
        *pd.date_range("2023-09-29", "2023-10-06"),
        *pd.date_range("2023-12-30", "2024-01-01"),
    ]
    tx, st = card["transactions"], card["students"]
    got = features(tx, st, period=period, holidays=holidays).to_frame()
    ref = _reference()(tx, st, period=period, holidays=holidays)
    assert got.index.equals(ref.index)
    assert got.shape == (800 * (1 if period == "term" else 5), 28)
    for name in got.columns:
        np.testing.assert_allclose(got[name], ref[name], rtol=1e-12, atol=1e-12, err_msg=name)
    # the card data record no top-up and no laundry: those features are NaN (and left out)
    assert got[list(OPTIONAL)].isna().all().all()
    assert not got.drop(columns=["holiday_presence", *OPTIONAL]).isna().all().any()


def test_bundled_data_counts(card):
    res = features(card["transactions"], card["students"])
    c = res.counts
    assert c["n_input"] == 336_313 and c["n_students"] == 800 and c["n_no_transactions"] == 0
    assert c["n_used"] + c["n_duplicates"] == c["n_input"] and c["n_outside_term"] == 0
    # 23 pairs of library entries clipped to the opening second 07:30:00 by the generator
    assert c["n_duplicates"] == 23
    assert res.to_dataset()["n_off_hours"].values.tolist() == [0, 0, 0]  # hours of the card


#: Top-ups and laundry added to LOG. Student 1: top-ups on Mon 4 (an active day) and Tue 12
#: March (not active: top-ups are not presence, the span stays 4 .. 11 March); student 2: a
#: laundry visit on Thu 7 March (active already); student 3: one top-up and nothing else.
EXTRA = [
    (1, "2024-03-04 07:50", "topup", None, 100.0),
    (1, "2024-03-12 09:00", "topup", None, 50.0),
    (2, "2024-03-07 20:00", "laundry", None, 4.0),
    (3, "2024-03-05 10:00", "topup", None, 200.0),
]


def test_topups_and_laundry_exact_values():
    res = features(_log(LOG + EXTRA), STUDENTS, start=START, end=END, holidays=HOLIDAYS)
    frame = res.to_frame()
    expected = pd.DataFrame.from_dict(EXPECTED, orient="index")[frame.columns]
    expected.index.name = "student_id"
    expected.loc[1, ["topup_amount", "topup_count", "topup_mean"]] = [150 * M / 8, 2 * M / 8, 75]
    expected.loc[1, "laundry_visits"] = 0.0
    expected.loc[2, ["topup_amount", "topup_count", "topup_mean"]] = [0.0, 0.0, NAN]
    expected.loc[2, "laundry_visits"] = M / 3  # span 6 .. 8 March
    expected.loc[2, "total_spending"] = 19 * M / 3  # laundry is spending
    # student 3: a top-up but no active day (no span): rates 0, the mean top-up known
    expected.loc[3, ["topup_amount", "topup_count", "topup_mean"]] = [0.0, 0.0, 200.0]
    expected.loc[3, "laundry_visits"] = 0.0
    pd.testing.assert_frame_equal(frame, expected, rtol=1e-12, atol=1e-12)
    assert res.counts["n_used"] == len(LOG) + 4 and res.counts["n_no_transactions"] == 0
    assert res.to_dataset()["active_days"].values.tolist() == [4, 3, 0]
    assert res.to_dataset()["span_days"].values.tolist() == [8, 3, 0]
    assert "records no" not in res.summary()


def test_topups_change_no_spending_canteen_or_presence_feature():
    base = _hand().to_frame()
    topups = [r for r in EXTRA if r[2] == "topup"]
    frame = features(_log(LOG + topups), STUDENTS, start=START, end=END,
                     holidays=HOLIDAYS).to_frame()  # fmt: skip
    others = [c for c in base.columns if c not in OPTIONAL]
    pd.testing.assert_frame_equal(frame[others], base[others], check_exact=True)
    assert frame.loc[1, "total_spending"] == pytest.approx(60.5 * M / 8, rel=1e-15)
    assert frame.loc[1, "topup_amount"] == pytest.approx(150 * M / 8, rel=1e-15)
    assert frame["laundry_visits"].isna().all()  # laundry still not recorded
    # monthly rows: a top-up alone in a month makes no presence there
    res = features(_log(LOG + [(1, "2024-04-02 09:00", "topup", None, 80.0)]),
                   period="month", start=START, end="2024-04-05")  # fmt: skip
    april = res.to_frame().loc[(1, "2024-04")]
    assert april["topup_count"] == 0.0 and april["topup_mean"] == 80.0
    assert april["total_spending"] == 0.0 and april["active_days_share"] == 0.0


def test_a_declared_category_records_the_kind_without_rows():
    log = _log(LOG)
    log["kind"] = log["kind"].cat.add_categories(["topup", "laundry"])
    frame = features(log, STUDENTS, start=START, end=END).to_frame()
    assert frame["topup_amount"].tolist() == [0.0, 0.0, 0.0]
    assert frame["laundry_visits"].tolist() == [0.0, 0.0, 0.0]
    assert frame["topup_mean"].isna().all()
    # an object column without any top-up: not recorded
    obj = _log(LOG).assign(kind=lambda d: d["kind"].astype(object))
    res = features(obj, STUDENTS, start=START, end=END)
    assert res.to_frame()[list(OPTIONAL)].isna().all().all()
    assert "The input records no top-ups, laundry" in res.summary()
    assert "输入数据没有充值、洗衣记录" in res.summary(lang="zh")


def test_given_cheap_cutoffs():
    res = _hand()
    assert res.cheap_cutoffs == pytest.approx({"breakfast": 2.2, "lunch": 5.6, "dinner": 4.8},
                                              rel=1e-12)  # fmt: skip
    assert res.to_dataset().attrs["cheap_cutoffs"] == "input"
    # the same cutoffs given: the same features
    same = _hand(cheap_cutoffs=res.cheap_cutoffs)
    pd.testing.assert_frame_equal(same.to_frame(), res.to_frame(), check_exact=True)
    assert same.to_dataset().attrs["cheap_cutoffs"] == "given"
    assert "below the given cutoffs (breakfast 2.20" in same.summary()
    # lunches below 10 yuan cheap: student 1 has lunches 10, 12, breakfasts 3, 2 (< 2.5)
    other = _hand(cheap_cutoffs={"breakfast": 2.5, "lunch": 10.0, "dinner": np.nan})
    assert other.cheap_cutoffs["lunch"] == 10.0 and np.isnan(other.cheap_cutoffs["dinner"])
    frame = other.to_frame()
    assert frame.loc[1, "cheap_meal_share"] == 0.2  # the breakfast of 2 yuan
    assert frame.loc[2, "cheap_meal_share"] == 2 / 3  # lunches 5 and 6, not the dinner


@pytest.mark.parametrize(
    ("cutoffs", "match"),
    [
        ([2.0, 5.0, 4.0], r"cheap_cutoffs must be a mapping .* got list"),
        ({"breakfast": 2.0, "lunch": 5.0}, r"missing: \['dinner'\]"),
        ({"breakfast": 2.0, "lunch": 5.0, "dinner": 4.0, "brunch": 1.0}, r"\['brunch'\]"),
        ({"breakfast": -1.0, "lunch": 5.0, "dinner": 4.0}, r"cheap_cutoffs\['breakfast'\]=-1.0"),
        ({"breakfast": "low", "lunch": 5.0, "dinner": 4.0}, r"cheap_cutoffs\['breakfast'\]"),
    ],
)
def test_bad_cheap_cutoffs_are_clear_errors(cutoffs, match):
    with pytest.raises(ValidationError, match=match):
        _hand(cheap_cutoffs=cutoffs)


def _chunks_equal_whole(tx, st, **kw):
    whole = features(tx, st, **kw)
    cut = whole.cheap_cutoffs
    groups = np.array_split(st["student_id"].to_numpy(), 3)
    parts = [
        features(tx[tx["student_id"].isin(g)], st[st["student_id"].isin(g)],
                 cheap_cutoffs=cut, **kw)
        for g in groups
    ]  # fmt: skip
    got = pd.concat([p.to_frame() for p in parts])
    want = whole.to_frame()
    assert got.index.equals(want.index)
    for name in want.columns:
        a, b = got[name].to_numpy(), want[name].to_numpy()
        assert (np.isnan(a) == np.isnan(b)).all(), name
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=name)
    for key, value in whole.counts.items():
        assert sum(p.counts[key] for p in parts) == value, key
    ds = [p.to_dataset() for p in parts]
    assert sum(d["n_off_hours"].values for d in ds).tolist() == (
        whole.to_dataset()["n_off_hours"].values.tolist()
    )
    for var in ("n_transactions", "active_days", "span_days", "no_transactions"):
        joined = np.concatenate([d[var].values for d in ds])
        assert (joined == whole.to_dataset()[var].values).all(), var
    # without the whole table's cutoffs a chunk's own percentiles differ (the recipe matters)
    own = features(tx[tx["student_id"].isin(groups[0])], **{k: v for k, v in kw.items()})
    assert own.cheap_cutoffs != cut
    return whole


def test_chunks_of_students_equal_the_whole_table(card):
    tx, st = card["transactions"], card["students"]
    kw = {"start": "2023-09-01", "end": "2024-01-14", "holidays": CARD_HOLIDAYS}
    whole = _chunks_equal_whole(tx, st, **kw)
    assert whole.counts["n_duplicates"] == 23
    _chunks_equal_whole(tx, st, period="month", **kw)


def test_chunks_with_topups_and_laundry(card):
    tx = _bench().add_topups_and_laundry(card["transactions"], seed=4)
    st = card["students"]
    kw = {"start": "2023-09-01", "end": "2024-01-14", "holidays": CARD_HOLIDAYS}
    whole = _chunks_equal_whole(tx, st, **kw)
    frame = whole.to_frame()
    assert frame[list(OPTIONAL)].notna().any().all()
    assert (frame["topup_amount"] > 0).mean() > 0.9


def test_pandas_reference_with_topups_and_laundry():
    bench = _bench()
    card = mpi.datasets.generate("campus_card", n=150, seed=7)
    tx = bench.add_topups_and_laundry(card["transactions"], seed=2)
    st = card["students"]
    assert (tx["kind"] == "topup").sum() > 300 and (tx["kind"] == "laundry").sum() > 500
    for period in ("term", "month"):
        got = features(tx, st, period=period, holidays=CARD_HOLIDAYS).to_frame()
        ref = bench.pandas_features(tx, st, period=period, holidays=CARD_HOLIDAYS)
        assert got.index.equals(ref.index) and got.shape[1] == 28
        for name in got.columns:
            np.testing.assert_allclose(got[name], ref[name], rtol=1e-12, atol=1e-12,
                                       err_msg=name)  # fmt: skip
        assert not got.drop(columns="topup_mean").isna().all().any()
    # the top-ups are not spending: the same features as without them, but the four
    plain = features(card["transactions"], st, holidays=CARD_HOLIDAYS).to_frame()
    both = features(tx[tx["kind"] != "laundry"], st, holidays=CARD_HOLIDAYS).to_frame()
    others = [c for c in plain.columns if c not in OPTIONAL]
    pd.testing.assert_frame_equal(both[others], plain[others], check_exact=True)
