"""The one-pass kernel of screening features (mpi.kernels.screening.card_statistics) against
plain Python loops over random sorted transactions: counts, sums, active days, gaps, weekly
Welford moments, price quantiles, duplicates, transactions outside the term and top-ups
(counted with their yuan, neither spending nor presence)."""

from __future__ import annotations

import numpy as np
import pytest

from mpi.kernels import screening as ks

DAY = 86400
HOURS = np.array([[6 * 3600 + 1800, 9 * 3600 + 1800], [10 * 3600 + 2700, 13 * 3600 + 1800],
                  [16 * 3600 + 2700, 20 * 3600]], np.int64)  # fmt: skip
ROLE = np.array(
    [ks.CANTEEN, ks.SUPERMARKET, ks.SHOWER, ks.LIBRARY, -1, ks.TOPUP, ks.LAUNDRY], np.int8
)
MEAL = np.array([0, 1, 2], np.int8)


def _random(seed: int, n_students: int = 12, n_days: int = 40):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(200, 600))
    student = np.sort(rng.integers(0, n_students, n))
    t = rng.integers(-2 * DAY, (n_days + 2) * DAY, n)  # some outside the term
    t[rng.random(n) < 0.05] = t[0]  # same seconds: duplicate candidates
    order = np.lexsort((t, student))
    student, t = student[order].astype(np.int64), t[order].astype(np.int64)
    kind = rng.integers(0, len(ROLE), n).astype(np.int32)
    meal = np.where(kind == 0, rng.integers(0, 3, n), -1).astype(np.int32)
    amount = np.round(rng.uniform(0, 20, n), 1)
    amount[kind == 3] = 0.0
    dup = rng.random(n) < 0.05  # copy the previous transaction
    for i in np.flatnonzero(dup)[1:]:
        if student[i] == student[i - 1]:
            t[i], kind[i], meal[i], amount[i] = t[i - 1], kind[i - 1], meal[i - 1], amount[i - 1]
    return student, t, kind, meal, amount


def _loops(student, t, kind, meal, amount, n_days, n_students, flag, cutoff, mode):
    """The same statistics by plain Python loops over each student's transactions."""
    ints = np.zeros((n_students, ks.N_INT), np.int64)
    floats = np.zeros((n_students, ks.N_FLOAT))
    floats[:, ks.F_MEDIAN] = floats[:, ks.F_P25] = np.nan
    outside = dups = 0
    seen = set()
    for s in range(n_students):
        days: dict[int, dict] = {}
        weeks: dict[int, float] = {}
        prices = []
        for i in np.flatnonzero(student == s):
            d = int(t[i] // DAY)
            if not 0 <= d < n_days:
                outside += 1
                continue
            if ROLE[kind[i]] < 0:
                continue
            key = (s, int(t[i]), int(kind[i]), float(amount[i]))
            if key in seen:
                dups += 1
                if mode == 0:
                    continue
            seen.add(key)
            role = ROLE[kind[i]]
            ints[s, ks.I_COUNT + role] += 1
            floats[s, ks.F_SUM + role] += amount[i]
            if role == ks.TOPUP:  # neither a day nor a week's spending
                continue
            info = days.setdefault(d, {"bf": False, "lib": False})
            weeks[d // 7] = weeks.get(d // 7, 0.0) + amount[i]
            if role == ks.LIBRARY:
                info["lib"] = True
            if role == ks.CANTEEN:
                mt = meal[i]
                ints[s, ks.I_MEALS + mt] += 1
                floats[s, ks.F_MEAL + mt] += amount[i]
                ints[s, ks.I_CHEAP + mt] += amount[i] < cutoff[mt]
                sec = t[i] - d * DAY
                ints[s, ks.I_OFF + mt] += not HOURS[mt, 0] <= sec <= HOURS[mt, 1]
                info["bf"] |= mt == 0
                prices.append(amount[i])
        if not days:
            continue
        ds = sorted(days)
        ints[s, ks.I_ACTIVE] = len(ds)
        ints[s, ks.I_FIRST], ints[s, ks.I_LAST] = ds[0], ds[-1]
        ints[s, ks.I_GAP] = max([b - a - 1 for a, b in zip(ds, ds[1:], strict=False)] or [0])
        for d in ds:
            ints[s, ks.I_WEEKDAY] += bool(flag[d] & ks.WEEKDAY)
            ints[s, ks.I_BREAKFAST] += bool(flag[d] & ks.WEEKDAY) and days[d]["bf"]
            ints[s, ks.I_WEEKEND] += bool(flag[d] & ks.WEEKEND)
            ints[s, ks.I_HOLIDAY] += bool(flag[d] & ks.HOLIDAY)
            ints[s, ks.I_LIBDAYS] += days[d]["lib"]
        w = np.array([weeks.get(k, 0.0) for k in range(ds[0] // 7, ds[-1] // 7 + 1)])
        ints[s, ks.I_WEEKS] = w.size
        floats[s, ks.F_WMEAN] = w.mean()
        floats[s, ks.F_WM2] = ((w - w.mean()) ** 2).sum()
        if prices:
            floats[s, ks.F_MEDIAN] = np.percentile(prices, 50)
            floats[s, ks.F_P25] = np.percentile(prices, 25)
    return ints, floats, outside, dups


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", [0, 1])
def test_kernel_equals_plain_loops(seed, mode):
    n_days, n_students = 40, 12
    student, t, kind, meal, amount = _random(seed, n_students, n_days)
    rng = np.random.default_rng(100 + seed)
    flag = np.where(np.arange(n_days) % 7 >= 5, ks.WEEKEND, ks.WEEKDAY).astype(np.uint8)
    flag[rng.integers(0, n_days, 3)] = ks.HOLIDAY
    cutoff = np.array([3.0, 8.0, 6.5])
    buf = np.empty(len(t))
    ints, floats, report = ks.card_statistics(
        student, t, kind, meal, amount, ROLE, MEAL, 0, flag, np.zeros(n_days, np.int64),
        1, n_students, HOURS, cutoff, mode, buf,
    )  # fmt: skip
    e_ints, e_floats, outside, dups = _loops(
        student, t, kind, meal, amount, n_days, n_students, flag, cutoff, mode
    )
    assert report[ks.R_OUTSIDE] == outside and report[ks.R_DUPLICATES] == dups
    assert dups > 0 and outside > 0  # the random data exercise both
    np.testing.assert_array_equal(ints, e_ints)
    np.testing.assert_allclose(floats, e_floats, rtol=1e-12, atol=1e-9)
    assert report[ks.R_NO_MEAL] == 0 and report[ks.R_FIRST_NO_MEAL] == -1


def test_periods_split_rows_and_missing_meal_is_reported():
    # one student, days 0, 1 (period 0) and 3 (period 1); a canteen row without meal type
    t = np.array([0, DAY + 8 * 3600, 3 * DAY + 12 * 3600, 3 * DAY + 13 * 3600], np.int64)
    kind = np.array([3, 0, 0, 0], np.int32)
    meal = np.array([-1, 0, 1, -1], np.int32)
    amount = np.array([0.0, 2.0, 9.0, 5.0])
    flag = np.full(4, ks.WEEKDAY, np.uint8)
    ints, floats, report = ks.card_statistics(
        np.zeros(4, np.int64), t, kind, meal, amount, ROLE, MEAL, 0, flag,
        np.array([0, 0, 1, 1], np.int64), 2, 2, HOURS, np.full(3, 5.0), 0, np.empty(4),
    )  # fmt: skip
    assert report[ks.R_NO_MEAL] == 1 and report[ks.R_FIRST_NO_MEAL] == 3
    assert ints[:, ks.I_ACTIVE].tolist() == [2, 1]
    assert ints[:, ks.I_FIRST].tolist() == [0, 3] and ints[:, ks.I_LAST].tolist() == [1, 3]
    assert ints[:, ks.I_BREAKFAST].tolist() == [1, 0]
    assert floats[0, ks.F_MEDIAN] == 2.0 and floats[1, ks.F_MEDIAN] == 9.0
    assert ints[0, ks.I_CHEAP] == 1 and ints[1, ks.I_CHEAP + 1] == 0


def test_no_transactions():
    e = np.zeros(0, np.int64)
    ints, floats, report = ks.card_statistics(
        e, e, e.astype(np.int32), e.astype(np.int32), e.astype(float), ROLE, MEAL, 0,
        np.full(3, ks.WEEKDAY, np.uint8), np.zeros(3, np.int64), 1, 2, HOURS,
        np.full(3, np.nan), 0, np.empty(1),
    )  # fmt: skip
    assert (ints == 0).all() and np.isnan(floats[:, ks.F_MEDIAN]).all()
    assert report.tolist() == [0, 0, -1, 0, -1]


def test_topups_are_counted_but_are_neither_presence_nor_spending():
    # one student: a lunch on day 1, top-ups on days 0, 1 and 9 (alone), laundry on day 2
    t = np.array([0, DAY, DAY + 12 * 3600, 2 * DAY + 3600, 9 * DAY], np.int64)
    kind = np.array([5, 5, 0, 6, 5], np.int32)
    meal = np.array([-1, -1, 1, -1, -1], np.int32)
    amount = np.array([100.0, 50.0, 9.0, 4.0, 200.0])
    flag = np.full(10, ks.WEEKDAY, np.uint8)
    ints, floats, report = ks.card_statistics(
        np.zeros(5, np.int64), t, kind, meal, amount, ROLE, MEAL, 0, flag,
        np.zeros(10, np.int64), 1, 1, HOURS, np.full(3, 5.0), 0, np.empty(5),
    )  # fmt: skip
    assert ints[0, ks.I_COUNT + ks.TOPUP] == 3 and floats[0, ks.F_SUM + ks.TOPUP] == 350.0
    assert ints[0, ks.I_COUNT + ks.LAUNDRY] == 1 and floats[0, ks.F_SUM + ks.LAUNDRY] == 4.0
    assert ints[0, ks.I_ACTIVE] == 2  # days 1 and 2: not day 0 nor day 9
    assert (ints[0, ks.I_FIRST], ints[0, ks.I_LAST], ints[0, ks.I_GAP]) == (1, 2, 0)
    assert ints[0, ks.I_WEEKS] == 1 and floats[0, ks.F_WMEAN] == 13.0  # no top-up yuan
    # a row with top-ups only: counted, no active day, no week
    ints, floats, _ = ks.card_statistics(
        np.array([0, 1], np.int64), np.array([0, DAY], np.int64), np.array([0, 5], np.int32),
        np.array([1, -1], np.int32), np.array([9.0, 80.0]), ROLE, MEAL, 0, flag,
        np.zeros(10, np.int64), 1, 2, HOURS, np.full(3, 5.0), 0, np.empty(2),
    )  # fmt: skip
    assert ints[1, ks.I_COUNT + ks.TOPUP] == 1 and floats[1, ks.F_SUM + ks.TOPUP] == 80.0
    assert ints[1, ks.I_ACTIVE] == 0 and ints[1, ks.I_WEEKS] == 0
    assert ints[0, ks.I_ACTIVE] == 1 and ints[0, ks.I_WEEKS] == 1


def test_price_quantiles_of_long_rows_with_ties_are_numpys_bits():
    """The in-kernel sort (heapsort) gives numpy's percentiles exactly, ties included."""
    rng = np.random.default_rng(7)
    n = 2001
    # lunch time of days 0 .. 29 (inside the term and the opening hours), sorted
    t = np.sort(rng.integers(0, 30, n) * DAY + 11 * 3600 + rng.integers(0, 3600, n))
    amount = np.round(rng.uniform(0, 12, n), 0)  # many ties
    amount[rng.random(n) < 0.1] = 0.5
    student = np.zeros(n, np.int64)
    kind = np.zeros(n, np.int32)
    meal = np.ones(n, np.int32)  # lunch
    _, floats, report = ks.card_statistics(
        student, t, kind, meal, amount, ROLE, MEAL, 0, np.full(30, ks.WEEKDAY, np.uint8),
        np.zeros(30, np.int64), 1, 1, HOURS, np.array([3.0, 8.0, 6.5]), 1, np.empty(n),
    )  # fmt: skip
    assert report[ks.R_OUTSIDE] == 0  # duplicates are kept (mode 1): every price counts
    assert floats[0, ks.F_MEDIAN] == np.percentile(amount, 50)
    assert floats[0, ks.F_P25] == np.percentile(amount, 25)


def test_one_specialisation_whatever_the_callers_arrays():
    """Writable or read-only inputs, int32 or int64 codes: one compiled pass, and the
    caller's arrays are neither modified nor made read-only."""
    import numba

    student, t, kind, meal, amount = _random(3)
    flag = np.full(40, ks.WEEKDAY, np.uint8)
    args = (ROLE, MEAL, 0, flag, np.zeros(40, np.int64), 1, 12, HOURS, np.array([3.0, 8, 6]))
    a = ks.card_statistics(student, t, kind, meal, amount, *args, 1, np.empty(len(t)))
    frozen = [x.copy() for x in (student, t, kind, meal, amount)]
    for x in frozen:
        x.flags.writeable = False
    b = ks.card_statistics(frozen[0].astype(np.int32), *frozen[1:], *args, 1, np.empty(len(t)))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert student.flags.writeable and amount.flags.writeable
    compiled = {
        k: len(v.signatures)
        for k, v in vars(ks).items()
        if isinstance(v, numba.core.registry.CPUDispatcher) and v.signatures
    }
    assert compiled and all(n == 1 for n in compiled.values()), compiled
