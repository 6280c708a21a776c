"""Tests of the ``campus_card`` dataset (synthetic university campus-card transactions)."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pandas as pd
import pytest

import mpi
import mpi.datasets
from mpi.datasets import _campus_card as cc
from mpi.errors import ValidationError

NAME = "campus_card"
BUNDLED_N = 800
BUNDLED_SEED = 2023
BUNDLED_TRANSACTIONS = 336_313

EXPECTED_DTYPES = {
    "students": {
        "student_id": "int32",
        "college": "category",
        "grade": "int8",
        "sex": "category",
        "hometown_province": "category",
        "rural": "int8",
        "registered_poor": "int8",
        "aid": "category",
        "off_campus_eater": "int8",
    },
    "transactions": {
        "student_id": "int32",
        "time": "datetime64[s]",
        "kind": "category",
        "meal": "category",
        "amount": "float64",
    },
    "truth": {
        "student_id": "int32",
        "hardship": "int8",
        "monthly_budget": "float64",
        "days_on_campus": "int16",
        "lost_card_days": "int16",
    },
}

# Targeting errors of the naive rule "average canteen spending < 200 yuan a month", as stated
# in the data card: the bundled file exactly, and a large draw (n=100,000, seed=0).
BUNDLED_RULE = {"hardship_share": 0.1088, "flagged_share": 0.1125, "inclusion_error": 0.3778,
                "exclusion_error": 0.3563}  # fmt: skip
POPULATION_RULE = {"hardship_share": 0.119, "flagged_share": 0.127, "inclusion_error": 0.357,
                   "exclusion_error": 0.317}  # fmt: skip
BUNDLED_AID = {"inclusion_error": 0.372, "exclusion_error": 0.379}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return mpi.datasets.load(NAME)


@pytest.fixture(scope="module")
def medium() -> dict[str, pd.DataFrame]:
    """A larger draw for properties of the model rather than of the bundled sample."""
    return mpi.datasets.generate(NAME, n=6000, seed=1)


def hardship(t: dict[str, pd.DataFrame]) -> np.ndarray:
    return t["truth"]["hardship"].to_numpy().astype(bool)


def canteen_rule(
    t: dict[str, pd.DataFrame], threshold: float = 200.0, min_meals: int = 0
) -> pd.Series:
    """The card's naive rule, written as the docs write it (user code, not in the package):
    average monthly canteen spending over September-December below ``threshold`` yuan
    (strict ``<``; no canteen transaction counts as 0), optionally with at least
    ``min_meals`` canteen meals a month on average."""
    spend, meals = mpi.datasets.monthly_canteen_spending(t)
    flag = spend.mean(axis=1) < threshold
    if min_meals:
        flag &= meals.mean(axis=1) >= min_meals
    return flag.rename("flag")


def targeting_errors(flag: pd.Series | np.ndarray, truth: pd.Series | np.ndarray) -> dict:
    """The rule's errors by :func:`mpi.targeting` (unweighted), under the names of the card."""
    df = pd.DataFrame({"listed": np.asarray(flag, bool), "poor": np.asarray(truth, bool)})
    ds = mpi.targeting(df, "listed", "poor").to_dataset()
    n = float(ds["n_units"])
    return {
        "hardship_share": (float(ds["listed_poor"]) + float(ds["unlisted_poor"])) / n,
        "flagged_share": (float(ds["listed_poor"]) + float(ds["listed_nonpoor"])) / n,
        "inclusion_error": float(ds["inclusion_error"]),
        "exclusion_error": float(ds["exclusion_error"]),
    }


def removed_helper(flag: np.ndarray, truth: np.ndarray) -> dict:
    """The formulas of the removed ``datasets._campus_card.targeting_errors`` (reference)."""
    f, t = np.asarray(flag, dtype=bool), np.asarray(truth, dtype=bool)
    return {
        "hardship_share": float(t.mean()),
        "flagged_share": float(f.mean()),
        "inclusion_error": float((f & ~t).sum() / max(f.sum(), 1)),
        "exclusion_error": float((t & ~f).sum() / max(t.sum(), 1)),
    }


# --- registry, load, codebook --------------------------------------------------------------------


def test_registered_and_described() -> None:
    assert NAME in mpi.datasets.list()
    card = mpi.datasets.describe(NAME)
    assert card.splitlines()[0].startswith("# campus_card")
    for table in EXPECTED_DTYPES.values():
        for col in table:
            assert f"`{col}`" in card, col
    assert "CC0" in card


def test_load_is_fast() -> None:
    mpi.datasets.load(NAME)
    start = time.perf_counter()
    t = mpi.datasets.load(NAME)
    assert time.perf_counter() - start < 1.0
    assert len(t["students"]) == BUNDLED_N


def test_tables_columns_and_dtypes(tables: dict[str, pd.DataFrame]) -> None:
    assert list(tables) == ["students", "transactions", "truth"]
    for name, dtypes in EXPECTED_DTYPES.items():
        df = tables[name]
        assert list(df.columns) == list(dtypes), name
        assert {c: str(t) for c, t in df.dtypes.items()} == dtypes, name
        assert isinstance(df.index, pd.RangeIndex)
    for name, cats in cc.CATEGORIES.items():
        for col, values in cats.items():
            assert list(tables[name][col].cat.categories) == list(values), col
    assert len(tables["transactions"]) == BUNDLED_TRANSACTIONS
    assert tables["students"]["hometown_province"].cat.categories[0] == "Beijing"


def test_students_and_truth(tables: dict[str, pd.DataFrame]) -> None:
    st, tr = tables["students"], tables["truth"]
    ids = np.arange(1, BUNDLED_N + 1)
    assert (st["student_id"].to_numpy() == ids).all()
    assert (tr["student_id"].to_numpy() == ids).all()
    assert st.notna().all().all() and tr.notna().all().all()
    assert st["grade"].between(1, 4).all()
    for col in ("rural", "registered_poor", "off_campus_eater"):
        assert st[col].isin([0, 1]).all()
    assert (st.loc[st["registered_poor"] == 1, "rural"] == 1).all()
    assert (st.loc[st["registered_poor"] == 1, "aid"] != "none").all()
    # The truth is the latent budget below the documented line.
    assert np.array_equal(hardship(tables), tr["monthly_budget"].to_numpy() < cc.HARDSHIP_BUDGET)
    assert (tr["monthly_budget"] > 0).all()
    assert (tr["monthly_budget"] == tr["monthly_budget"].round()).all()
    assert 0.10 <= hardship(tables).mean() <= 0.15
    assert tr["days_on_campus"].between(1, cc.N_DAYS).all()
    assert (tr["lost_card_days"] <= tr["days_on_campus"]).all()
    assert 0.03 < (tr["lost_card_days"] > 0).mean() < 0.12


def test_transactions_ranges(tables: dict[str, pd.DataFrame]) -> None:
    tx = tables["transactions"]
    assert tx[["student_id", "time", "kind", "amount"]].notna().all().all()
    assert tx["student_id"].isin(tables["students"]["student_id"]).all()
    # Sorted by student, then time.
    key = tx["student_id"].to_numpy().astype(np.int64) * 10**8 + (
        (tx["time"].to_numpy() - cc.SEMESTER_START).astype(np.int64)
    )
    assert (np.diff(key) >= 0).all()
    assert tx["time"].min() >= pd.Timestamp("2023-09-01")
    assert tx["time"].max() < pd.Timestamp("2024-01-15")
    canteen = tx["kind"] == "canteen"
    assert tx.loc[canteen, "meal"].notna().all()
    assert tx.loc[~canteen, "meal"].isna().all()
    assert (tx.loc[tx["kind"] == "library", "amount"] == 0).all()
    assert (tx.loc[tx["kind"] != "library", "amount"] > 0).all()
    cents = tx["amount"].to_numpy() * 100
    assert np.allclose(cents, np.round(cents), atol=1e-6)
    hours = tx["time"].dt.hour + tx["time"].dt.minute / 60
    for meal, (lo, hi) in {"breakfast": (6.5, 9.5), "lunch": (10.75, 13.5),
                           "dinner": (16.75, 20.0)}.items():  # fmt: skip
        h = hours[tx["meal"] == meal]
        assert h.min() >= lo - 1e-9 and h.max() <= hi, meal
    # Distinct active days never exceed the days on campus with a working card.
    active = tx.groupby("student_id")["time"].agg(lambda t: t.dt.normalize().nunique())
    tr = tables["truth"].set_index("student_id")
    usable = (tr["days_on_campus"] - tr["lost_card_days"]).reindex(active.index)
    assert (active <= usable).all()


def test_calendar_patterns(tables: dict[str, pd.DataFrame]) -> None:
    tx = tables["transactions"]
    per_day = tx.groupby(tx["time"].dt.normalize()).size()
    november_weekdays = per_day["2023-11-06":"2023-11-10"].mean()
    golden_week = per_day["2023-10-01":"2023-10-05"].mean()
    assert golden_week < 0.5 * november_weekdays
    library = tx[tx["kind"] == "library"]
    lib = library.groupby(library["time"].dt.normalize()).size()
    assert lib["2024-01-03":"2024-01-11"].mean() > 1.6 * lib["2023-11-06":"2023-11-10"].mean()
    # The last days: most students have gone home.
    assert per_day["2024-01-14"] < 0.5 * november_weekdays
    # Make-up working days (Sat 7 and Sun 8 Oct) look like weekdays, not weekends.
    breakfast = tx[tx["meal"] == "breakfast"]
    b = breakfast.groupby(breakfast["time"].dt.normalize()).size()
    assert b["2023-10-07"] > b["2023-10-14"]


# --- truth consistency ----------------------------------------------------------------------------


def test_hardship_students_spend_less(medium: dict[str, pd.DataFrame]) -> None:
    h = hardship(medium)
    tx = medium["transactions"]
    canteen = tx[tx["kind"] == "canteen"]
    per_meal = (
        canteen.groupby("student_id")["amount"].mean().reindex(medium["students"]["student_id"])
    )
    assert per_meal[h].mean() < 0.6 * per_meal[~h].mean()
    tr = medium["truth"]
    days = np.maximum((tr["days_on_campus"] - tr["lost_card_days"]).to_numpy(), 1)
    meals = canteen.groupby("student_id").size().reindex(tr["student_id"], fill_value=0)
    frequency = meals.to_numpy() / days
    assert frequency[h].mean() < frequency[~h].mean() - 0.1
    spent = mpi.datasets.monthly_canteen_spending(medium)[0].mean(axis=1).to_numpy()
    assert np.median(spent[h]) < 200 < np.median(spent[~h])
    shop = tx[tx["kind"] == "supermarket"].groupby("student_id")["amount"].sum()
    shop = shop.reindex(tr["student_id"], fill_value=0).to_numpy()
    assert shop[h].mean() < shop[~h].mean()


def test_confounders(medium: dict[str, pd.DataFrame]) -> None:
    st = medium["students"]
    h = hardship(medium)
    flag = canteen_rule(medium).to_numpy()
    off = st["off_campus_eater"].to_numpy().astype(bool)
    # Off-campus eaters are rarely in hardship but often flagged.
    assert off[h].mean() < off[~h].mean()
    assert flag[off & ~h].mean() > 5 * flag[~off & ~h].mean()
    # Among the wrongly flagged, off-campus eaters and women are over-represented.
    false_pos = flag & ~h
    assert off[false_pos].mean() > 3 * off.mean()
    female = (st["sex"] == "female").to_numpy()
    assert female[false_pos].mean() > female.mean()
    # Requiring a minimum number of canteen meals removes many of them.
    strict = canteen_rule(medium, min_meals=30).to_numpy()
    assert (
        targeting_errors(strict, h)["inclusion_error"]
        < targeting_errors(flag, h)["inclusion_error"]
    )


def test_naive_rule_errors_match_the_card(tables: dict[str, pd.DataFrame]) -> None:
    errors = targeting_errors(canteen_rule(tables), tables["truth"]["hardship"])
    for key, value in BUNDLED_RULE.items():
        assert errors[key] == pytest.approx(value, abs=0.001), key
    # Both error types are substantial: the rule is measurably imperfect.
    assert errors["inclusion_error"] > 0.2 and errors["exclusion_error"] > 0.2
    # Raising the threshold trades exclusion for inclusion errors.
    loose = targeting_errors(canteen_rule(tables, threshold=300), tables["truth"]["hardship"])
    assert loose["exclusion_error"] < errors["exclusion_error"]
    assert loose["inclusion_error"] > errors["inclusion_error"]


def test_naive_rule_errors_in_a_larger_draw(medium: dict[str, pd.DataFrame]) -> None:
    errors = targeting_errors(canteen_rule(medium), medium["truth"]["hardship"])
    for key, value in POPULATION_RULE.items():
        assert errors[key] == pytest.approx(value, abs=0.04), key


def test_existing_aid_errors(tables: dict[str, pd.DataFrame]) -> None:
    aided = tables["students"]["aid"] != "none"
    errors = targeting_errors(aided, tables["truth"]["hardship"])
    for key, value in BUNDLED_AID.items():
        assert errors[key] == pytest.approx(value, abs=0.001), key


def test_monthly_canteen_spending(tables: dict[str, pd.DataFrame]) -> None:
    before = {k: v.copy() for k, v in tables.items()}
    spent, meals = mpi.datasets.monthly_canteen_spending(tables)
    assert_tables_equal(tables, before)  # inputs untouched
    for frame in (spent, meals):
        assert list(frame.columns) == list(cc.RULE_MONTHS) and frame.columns.name == "month"
        assert frame.index.name == "student_id" and len(frame) == BUNDLED_N
        assert (frame.index.to_numpy() == tables["students"]["student_id"].to_numpy()).all()
    assert str(spent.dtypes.iloc[0]) == "float64" and str(meals.dtypes.iloc[0]) == "int64"
    tx = tables["transactions"]
    first = tx[(tx["student_id"] == 1) & (tx["kind"] == "canteen")]
    in_sept = first["time"] < pd.Timestamp("2023-10-01")
    assert spent.loc[1, "2023-09"] == pytest.approx(first.loc[in_sept, "amount"].sum(), abs=0.005)
    assert meals.loc[1, "2023-09"] == int(in_sept.sum())
    # Totals over all students and months: every canteen transaction of Sept-Dec, once.
    canteen = tx[(tx["kind"] == "canteen") & (tx["time"] < pd.Timestamp("2024-01-01"))]
    assert int(meals.to_numpy().sum()) == len(canteen)
    assert spent.to_numpy().sum() == pytest.approx(canteen["amount"].sum(), abs=0.005 * 4 * 800)
    # Students with no canteen transaction in the period have 0 spending and 0 meals.
    none = ~spent.index.isin(canteen["student_id"].unique())
    assert (spent[none].to_numpy() == 0).all() and (meals[none].to_numpy() == 0).all()
    jan_spent, jan_meals = mpi.datasets.monthly_canteen_spending(tables, months=["2024-01"])
    assert jan_spent.shape == jan_meals.shape == (BUNDLED_N, 1)
    january = tx[(tx["kind"] == "canteen") & (tx["time"] >= pd.Timestamp("2024-01-01"))]
    assert int(jan_meals.to_numpy().sum()) == len(january)
    with pytest.raises(ValidationError, match="months"):
        mpi.datasets.monthly_canteen_spending(tables, months=["September"])
    with pytest.raises(ValidationError, match="months"):
        mpi.datasets.monthly_canteen_spending(tables, months=[])
    with pytest.raises(ValidationError, match="distinct"):
        mpi.datasets.monthly_canteen_spending(tables, months=["2023-09", "2023-09"])


def test_canteen_rule_moved_out_of_the_datasets() -> None:
    # A screening rule is not data: the package has no canteen_rule; the error says what to
    # write instead, and that code is the rule the card documents (the numbers above).
    assert not hasattr(cc, "canteen_rule")
    assert "canteen_rule" not in mpi.datasets.__all__
    assert "monthly_canteen_spending" in mpi.datasets.__all__
    with pytest.raises(AttributeError) as info:
        mpi.datasets.canteen_rule  # noqa: B018
    message = str(info.value)
    for needed in ("monthly_canteen_spending", "spend.mean(axis=1) < 200", "mpi.targeting(",
                   'listed="flag"', 'poor="hardship"', "meals.mean(axis=1) >= 30",
                   "mpi.targeting_curve("):  # fmt: skip
        assert needed in message, needed


def test_card_code_gives_the_card_numbers(tables: dict[str, pd.DataFrame]) -> None:
    """The code shown in the data card (datasets/cards/campus_card.md) runs and gives the
    bundled figures of its table, through mpi.targeting and mpi.targeting_curve."""
    card = mpi.datasets.describe(NAME)
    code = card.split("```python\n", 1)[1].split("```", 1)[0]
    code = code.replace("n=100_000, seed=1", "n=3, seed=1")  # keep the test fast
    scope: dict = {}
    exec(compile(code, "campus_card.md", "exec"), scope)  # noqa: S102
    ds = scope["res"].to_dataset()
    assert round(float(ds["inclusion_error"]), 3) == 0.378
    assert round(float(ds["exclusion_error"]), 3) == 0.356
    assert int(ds["listed_nonpoor"]) == 34 and int(ds["unlisted_poor"]) == 31
    aid = scope["aid"].to_dataset()
    assert round(float(aid["inclusion_error"]), 3) == 0.372
    assert round(float(aid["exclusion_error"]), 3) == 0.379
    # The lowest spenders at the aid office's budget (86 places; no tie at the cut).
    same = scope["same_budget"].to_dataset()
    assert int(same["n_listed"]) == int(scope["df"]["aided"].sum()) == 86
    assert round(float(same["inclusion_error"]), 3) == 0.384
    assert round(float(same["exclusion_error"]), 3) == 0.391
    assert round(float(same["auc"]), 3) == 0.944
    assert len(scope["big"]["students"]) == 3


def test_rule_at_its_own_budget_is_the_top_of_the_score(tables: dict[str, pd.DataFrame]) -> None:
    # "spending < 200" lists the 90 lowest spenders: targeting_curve(score=-spending, top=90)
    # is the same list, hence the same errors, bit for bit.
    spend = mpi.datasets.monthly_canteen_spending(tables)[0].mean(axis=1)
    df = tables["truth"].set_index("student_id")[["hardship"]]
    df["flag"], df["score"] = spend < 200, -spend
    rule = mpi.targeting(df, listed="flag", poor="hardship").to_dataset()
    top = mpi.targeting_curve(df, score="score", poor="hardship", top=90).to_dataset()
    assert int(df["flag"].sum()) == int(top["n_listed"]) == 90
    for name in ("inclusion_error", "exclusion_error", "leakage", "undercoverage"):
        assert float(top[name]) == float(rule[name]), name


def test_mpi_targeting_equals_the_removed_helper(
    tables: dict[str, pd.DataFrame], medium: dict[str, pd.DataFrame]
) -> None:
    # The campus docs use mpi.targeting in place of the removed targeting_errors helper:
    # unweighted, its numbers are the helper's exactly (bit for bit) whenever someone is flagged.
    for t in (tables, medium):
        h = hardship(t)
        flags = [
            canteen_rule(t),
            canteen_rule(t, threshold=300),
            canteen_rule(t, min_meals=30),
            t["students"]["aid"] != "none",
        ]
        for flag in flags:
            assert targeting_errors(flag, h) == removed_helper(flag, h)
    # Nobody flagged: the helper said 0 inclusion error; mpi.targeting says NaN, with a reason.
    nobody = canteen_rule(tables, threshold=0.0)
    assert not nobody.any()
    res = mpi.targeting(
        pd.DataFrame({"listed": nobody.to_numpy(), "poor": hardship(tables)}), "listed", "poor"
    )
    assert np.isnan(float(res.to_dataset()["inclusion_error"]))
    assert float(res.to_dataset()["exclusion_error"]) == 1.0
    assert "No unit is listed" in str(res.summary())


def test_mpi_targeting_shares_equal_the_removed_helper(tables: dict[str, pd.DataFrame]) -> None:
    flag, h = canteen_rule(tables), hardship(tables)
    ref = removed_helper(flag, h)
    df = pd.DataFrame({"listed": flag.to_numpy(), "poor": h})
    ds = mpi.targeting(df, "listed", "poor").to_dataset()
    assert float(ds["listed_share"]) == ref["flagged_share"]
    assert float(ds["poor_share"]) == ref["hardship_share"]


# --- generation -----------------------------------------------------------------------------------


def assert_tables_equal(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    """Same keys, columns, dtypes and values (``DataFrame.equals`` is fast on 300k rows)."""
    assert list(a) == list(b)
    for name in a:
        assert a[name].dtypes.to_dict() == b[name].dtypes.to_dict(), name
        assert a[name].equals(b[name]), name


def test_bundled_files_equal_generator(tables: dict[str, pd.DataFrame]) -> None:
    assert_tables_equal(tables, mpi.datasets.generate(NAME, seed=BUNDLED_SEED))


def test_deterministic_seed_sensitive_and_prefix() -> None:
    a = mpi.datasets.generate(NAME, n=40, seed=5)
    b = mpi.datasets.generate(NAME, n=40, seed=5, chunk_size=3)
    c = mpi.datasets.generate(NAME, n=40, seed=6)
    assert_tables_equal(a, b)
    assert not a["truth"]["monthly_budget"].equals(c["truth"]["monthly_budget"])
    assert len(a["transactions"]) != len(c["transactions"])
    # Across a block boundary: the first students of a larger draw are the smaller draw.
    big = mpi.datasets.generate(NAME, n=cc.BLOCK_STUDENTS + 30, seed=5)
    head = big["transactions"][big["transactions"]["student_id"] <= 40].reset_index(drop=True)
    prefix = {"students": big["students"].head(40), "transactions": head,
              "truth": big["truth"].head(40)}  # fmt: skip
    assert_tables_equal(prefix, a)
    assert big["students"]["student_id"].is_unique
    assert big["transactions"]["student_id"].max() == cc.BLOCK_STUDENTS + 30


def test_format_and_size_checks() -> None:
    assert isinstance(mpi.datasets.generate(NAME, n=3, format="pandas"), dict)
    with pytest.raises(ValidationError, match="format"):
        mpi.datasets.load(NAME, format="xarray")
    with pytest.raises(ValidationError, match="at most"):
        cc.generate(n=cc.MAX_N + 1)


@pytest.mark.slow
def test_generate_100k_students_with_modest_memory() -> None:
    n = 100_000
    tracemalloc.start()
    try:
        start = time.perf_counter()
        t = mpi.datasets.generate(NAME, n=n, seed=0)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    output = sum(int(df.memory_usage(deep=False).sum()) for df in t.values())
    assert len(t["students"]) == n and t["students"]["student_id"].is_unique
    assert 380 * n < len(t["transactions"]) < 460 * n
    assert output < 25 * len(t["transactions"]) + 100 * n
    assert peak < 2.5 * output + 100e6
    assert elapsed < 120
    errors = targeting_errors(canteen_rule(t), t["truth"]["hardship"])
    for key, value in POPULATION_RULE.items():
        assert errors[key] == pytest.approx(value, abs=0.005), key
    # The card's same-budget comparison: lowest spenders vs existing aid, population column.
    spend = mpi.datasets.monthly_canteen_spending(t)[0].mean(axis=1)
    df = t["truth"].set_index("student_id")[["hardship"]]
    df["aided"] = t["students"].set_index("student_id")["aid"] != "none"
    df["score"] = -spend
    aid = mpi.targeting(df, listed="aided", poor="hardship").to_dataset()
    assert round(float(aid["inclusion_error"]), 3) == 0.376
    assert round(float(aid["exclusion_error"]), 3) == 0.411
    same = mpi.targeting_curve(
        df, score="score", poor="hardship", top=int(df["aided"].sum())
    ).to_dataset()
    assert round(float(same["inclusion_error"]), 3) == 0.330
    assert round(float(same["exclusion_error"]), 3) == 0.367
    assert round(float(same["auc"]), 3) == 0.950
