"""Sufficient statistics of campus-card transactions per (student, period), in one pass
(numpy + numba only), for :func:`mpi.screening.features.features`.

The transactions come sorted by student, then time (a stable sort, so ties keep their input
order). A row of the output is ``student * n_periods + period_of_day[day]``; rows are
therefore non-decreasing along the data and every per-row state (the current day, the
current week, the canteen prices of the row) lives in local variables that are flushed when
the row changes. One pass accumulates, per row:

- counts and yuan per kind role (:data:`CANTEEN` ... :data:`LAUNDRY`), meals, price sums,
  cheap meals (strictly below the meal type's cutoff) and meals off their opening hours per
  meal type;
- active days (a day with any transaction; days are consecutive in sorted data), active
  weekdays and those with a breakfast, active weekend and holiday days, active days with a
  library entry, the longest gap between consecutive active days, the first and last
  active day;
- the weekly yuan of every kind as a Welford running mean and sum of squared deviations over
  the weeks from the first to the last active week (weeks without spending count 0);
- the median and the 25th percentile of the row's canteen prices (``np.sort`` of the row's
  prices, numpy's linear interpolation).

A top-up (:data:`TOPUP`: money loaded on the card, possibly online or by a parent's bank
transfer) is counted with its yuan and nothing else: it is neither spending (not in the weekly
yuan) nor presence (it makes no day active and opens no row's span).

A transaction outside the term (day index outside ``0 .. n_days - 1``) is counted and
skipped; a duplicate (same student, time, kind code and amount as an earlier transaction of
the same second) is counted and, with ``mode`` 0, skipped. A canteen transaction without a
meal type is counted (the caller refuses the data).
"""

from __future__ import annotations

import numpy as np

from ._config import kernel
from .columns import readonly_view

__all__ = [
    "card_statistics", "CANTEEN", "SUPERMARKET", "SHOWER", "LIBRARY", "OTHER", "TOPUP",
    "LAUNDRY", "N_ROLES",
    "I_COUNT", "I_MEALS", "I_CHEAP", "I_OFF", "I_ACTIVE", "I_WEEKDAY", "I_BREAKFAST",
    "I_WEEKEND", "I_HOLIDAY", "I_GAP", "I_LIBDAYS", "I_FIRST", "I_LAST", "I_WEEKS", "N_INT",
    "F_SUM", "F_MEAL", "F_WMEAN", "F_WM2", "F_MEDIAN", "F_P25", "N_FLOAT",
    "R_OUTSIDE", "R_DUPLICATES", "R_FIRST_DUPLICATE", "R_NO_MEAL", "R_FIRST_NO_MEAL", "N_REPORT",
    "WEEKDAY", "WEEKEND", "HOLIDAY",
]  # fmt: skip

#: Kind roles (``kind_role`` maps a kind's code to one of them; -1 = ignored).
CANTEEN, SUPERMARKET, SHOWER, LIBRARY, OTHER, TOPUP, LAUNDRY = 0, 1, 2, 3, 4, 5, 6
N_ROLES = 7
#: Day flags (``day_flag``): a weekday (Mon-Fri, not a holiday), a Saturday or Sunday, a holiday.
WEEKDAY, WEEKEND, HOLIDAY = 1, 2, 4

# Columns of the integer statistics.
I_COUNT = 0  # .. + N_ROLES: transactions per role
I_MEALS = N_ROLES  # .. + 3: canteen meals per meal type
I_CHEAP = I_MEALS + 3  # .. + 3: cheap meals per meal type
I_OFF = I_CHEAP + 3  # .. + 3: meals outside their opening hours, per meal type
I_ACTIVE = I_OFF + 3
I_WEEKDAY = I_ACTIVE + 1
I_BREAKFAST = I_ACTIVE + 2
I_WEEKEND = I_ACTIVE + 3
I_HOLIDAY = I_ACTIVE + 4
I_GAP = I_ACTIVE + 5
I_LIBDAYS = I_ACTIVE + 6
I_FIRST = I_ACTIVE + 7
I_LAST = I_ACTIVE + 8
I_WEEKS = I_ACTIVE + 9
N_INT = I_ACTIVE + 10
# Columns of the float statistics.
F_SUM = 0  # .. + N_ROLES: yuan per role
F_MEAL = N_ROLES  # .. + 3: yuan per meal type
F_WMEAN = F_MEAL + 3
F_WM2 = F_MEAL + 4
F_MEDIAN = F_MEAL + 5
F_P25 = F_MEAL + 6
N_FLOAT = F_MEAL + 7
# The report (counts over all rows).
R_OUTSIDE = 0
R_DUPLICATES = 1
R_FIRST_DUPLICATE = 2
R_NO_MEAL = 3
R_FIRST_NO_MEAL = 4
N_REPORT = 5


@kernel(inline="always")
def _quantile(x, m, q):
    """numpy's linear-interpolation quantile ``q`` of the sorted ``x[:m]`` (``m >= 1``)."""
    h = (m - 1) * q
    lo = int(np.floor(h))
    if lo >= m - 1:
        return x[m - 1]
    a = x[lo]
    b = x[lo + 1]
    t = h - lo
    if t >= 0.5:  # numpy's _lerp: the nearer end, for exactness at t = 1
        return b - (b - a) * (1.0 - t)
    return a + (b - a) * t


@kernel(inline="always")
def _heapsort(x, m):
    """Sort ``x[:m]`` (finite floats) ascending in place: heapsort, a few lines that compile in
    a fraction of the time of numba's ``np.sort``; the sorted values are the same."""
    for start in range(m // 2 - 1, -1, -1):
        _sift(x, start, m)
    for end in range(m - 1, 0, -1):
        v = x[0]
        x[0] = x[end]
        x[end] = v
        _sift(x, 0, end)


@kernel(inline="always")
def _sift(x, root, end):
    """Sift ``x[root]`` down the max-heap ``x[:end]``."""
    v = x[root]
    while True:
        child = 2 * root + 1
        if child >= end:
            break
        if child + 1 < end and x[child + 1] > x[child]:
            child += 1
        if x[child] <= v:
            break
        x[root] = x[child]
        root = child
    x[root] = v


@kernel(inline="always")
def _welford(floats, ints, r, x):
    """Add one week's yuan ``x`` to row ``r``'s running mean and sum of squared deviations."""
    ints[r, I_WEEKS] += 1
    k = ints[r, I_WEEKS]
    delta = x - floats[r, F_WMEAN]
    floats[r, F_WMEAN] += delta / k
    floats[r, F_WM2] += delta * (x - floats[r, F_WMEAN])


@kernel(inline="always")
def _close_day(ints, r, d, flag, breakfast, library, prev_day):
    """Count the active day ``d`` of row ``r`` (with its flags) and the gap since ``prev_day``."""
    ints[r, I_ACTIVE] += 1
    if flag & WEEKDAY:
        ints[r, I_WEEKDAY] += 1
        if breakfast:
            ints[r, I_BREAKFAST] += 1
    if flag & WEEKEND:
        ints[r, I_WEEKEND] += 1
    if flag & HOLIDAY:
        ints[r, I_HOLIDAY] += 1
    if library:
        ints[r, I_LIBDAYS] += 1
    if prev_day >= 0:
        gap = d - prev_day - 1
        if gap > ints[r, I_GAP]:
            ints[r, I_GAP] = gap
    else:
        ints[r, I_FIRST] = d
    ints[r, I_LAST] = d


def card_statistics(
    student: np.ndarray,
    t: np.ndarray,
    kind: np.ndarray,
    meal: np.ndarray,
    amount: np.ndarray,
    kind_role: np.ndarray,
    meal_type: np.ndarray,
    t0: int,
    day_flag: np.ndarray,
    period_of_day: np.ndarray,
    n_periods: int,
    n_rows: int,
    hours: np.ndarray,
    cutoff: np.ndarray,
    mode: int,
    buf: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row sufficient statistics of sorted transactions (see the module docstring).

    Parameters
    ----------
    student : int64[n]
        Student codes ``0 .. n_students - 1``, sorted (with ``t`` within a student).
    t : int64[n]
        Seconds since 1970-01-01 (naive local time).
    kind, meal : int32[n]
        Codes of the kind and of the meal type (-1: missing).
    amount : float64[n]
        Yuan.
    kind_role : int8[k]
        Role of each kind code (-1: ignored).
    meal_type : int8[m]
        Meal type 0, 1, 2 of each meal code.
    t0 : int
        Seconds of the term's first day at 00:00.
    day_flag : uint8[n_days]
        :data:`WEEKDAY`, :data:`WEEKEND`, :data:`HOLIDAY` bits of every term day.
    period_of_day : int64[n_days]
        Period of every term day.
    n_periods, n_rows : int
        Periods per student; rows (students x periods).
    hours : int64[3, 2]
        Opening hours of each meal type in seconds of the day (both ends included).
    cutoff : float64[3]
        Cheap-price cutoff of each meal type.
    mode : int
        0: skip duplicates; 1: keep them (both only count them).
    buf : float64[>= longest student]
        Scratch for the prices of one row.

    Returns
    -------
    ints : int64[n_rows, N_INT]
    floats : float64[n_rows, N_FLOAT]
    report : int64[N_REPORT]
    """
    ints = np.zeros((n_rows, N_INT), np.int64)
    floats = np.zeros((n_rows, N_FLOAT))
    floats[:, F_MEDIAN] = np.nan
    floats[:, F_P25] = np.nan
    report = np.zeros(N_REPORT, np.int64)
    report[R_FIRST_DUPLICATE] = -1
    report[R_FIRST_NO_MEAL] = -1
    ro = [readonly_view(np.ascontiguousarray(a, dt)) for a, dt in (
        (student, np.int64), (t, np.int64), (kind, np.int32), (meal, np.int32),
        (amount, np.float64), (kind_role, np.int8), (meal_type, np.int8),
        (day_flag, np.uint8), (period_of_day, np.int64), (hours, np.int64),
        (cutoff, np.float64),
    )]  # fmt: skip
    student, t, kind, meal, amount, kind_role, meal_type, day_flag, period_of_day = ro[:9]
    hours, cutoff = ro[9:]
    _card_pass(
        student, t, kind, meal, amount, kind_role, meal_type, int(t0), day_flag, period_of_day,
        int(n_periods), hours, cutoff, int(mode), np.ascontiguousarray(buf, np.float64), ints,
        floats, report,
    )  # fmt: skip
    return ints, floats, report


@kernel(error_model="numpy")
def _card_pass(
    student, t, kind, meal, amount, kind_role, meal_type, t0, day_flag, period_of_day,
    n_periods, hours, cutoff, mode, buf, ints, floats, report,
):  # fmt: skip
    """The one pass of :func:`card_statistics`, into the zeroed ``ints``, ``floats`` (NaN
    quantiles) and ``report`` (first positions -1) allocated by it."""
    n = student.shape[0]
    n_days = day_flag.shape[0]
    row = -1  # the current row, its day, week and their running state
    day = -1
    prev_day = -1
    breakfast = False
    library = False
    week = -1
    week_sum = 0.0
    m = 0  # canteen prices of the row in buf[:m]
    for i in range(n + 1):
        if i < n:
            s = t[i] - t0
            d = s // 86400
            if d < 0 or d >= n_days:
                report[R_OUTSIDE] += 1
                continue
            role = kind_role[kind[i]]
            if role < 0:
                continue
            j = i - 1  # an earlier transaction of the same student and second?
            dup = False
            while j >= 0 and student[j] == student[i] and t[j] == t[i]:
                if kind[j] == kind[i] and amount[j] == amount[i]:
                    dup = True
                    break
                j -= 1
            if dup:
                report[R_DUPLICATES] += 1
                if report[R_FIRST_DUPLICATE] < 0:
                    report[R_FIRST_DUPLICATE] = i
                if mode == 0:
                    continue
            r = student[i] * n_periods + period_of_day[d]
            if role == TOPUP:  # neither spending nor presence: counted, nothing else
                ints[r, I_COUNT + TOPUP] += 1
                floats[r, F_SUM + TOPUP] += amount[i]
                continue
        else:
            r = -2  # flush the last row
            d = -1
        if r != row or d != day:  # close the current day
            if row >= 0:
                _close_day(ints, row, day, day_flag[day], breakfast, library, prev_day)
                prev_day = day
            breakfast = False
            library = False
            day = d
        if r != row:  # close the current row: its last week and its prices
            if row >= 0:
                _welford(floats, ints, row, week_sum)
                if m > 0:
                    _heapsort(buf, m)
                    floats[row, F_MEDIAN] = _quantile(buf, m, 0.5)
                    floats[row, F_P25] = _quantile(buf, m, 0.25)
            if i == n:
                break
            row = r
            prev_day = -1
            week = d // 7
            week_sum = 0.0
            m = 0
        w = d // 7
        if w != week:  # close the week and the weeks without spending in between
            _welford(floats, ints, row, week_sum)
            for _ in range(week + 1, w):
                _welford(floats, ints, row, 0.0)
            week = w
            week_sum = 0.0
        a = amount[i]
        ints[r, I_COUNT + role] += 1
        floats[r, F_SUM + role] += a
        week_sum += a
        if role == LIBRARY:
            library = True
        elif role == CANTEEN:
            code = meal[i]
            if code < 0:
                report[R_NO_MEAL] += 1
                if report[R_FIRST_NO_MEAL] < 0:
                    report[R_FIRST_NO_MEAL] = i
                continue
            mt = meal_type[code]
            ints[r, I_MEALS + mt] += 1
            floats[r, F_MEAL + mt] += a
            if a < cutoff[mt]:
                ints[r, I_CHEAP + mt] += 1
            sec = s - d * 86400
            if sec < hours[mt, 0] or sec > hours[mt, 1]:
                ints[r, I_OFF + mt] += 1
            if mt == 0:
                breakfast = True
            buf[m] = a
            m += 1
