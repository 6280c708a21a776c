"""Screening features from campus-card transactions: :func:`features` -> :class:`ScreeningFeatures`.

The transactions are coded to integer and float arrays (student code, seconds, kind code, meal
code, yuan), sorted once by student and time (a stable argsort of one int64 key, skipped when
the input is already sorted; the input is never modified), and one numba pass
(:func:`mpi.kernels.screening.card_statistics`) accumulates the sufficient statistics of every
(student, period) row. The features are finished from them with numpy; their formulas are in
:data:`~mpi.screening.features_catalogue.FEATURES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from mpi import kernels  # noqa: F401  (registers the compile notice)
from mpi.errors import ValidationError
from mpi.kernels import screening as ks
from mpi.screening.features_catalogue import (
    BACKGROUND,
    CHEAP_PERCENTILE,
    DAYS_PER_MONTH,
    KINDS,
    MEAL_HOURS,
    MEALS,
    OPTIONAL_KINDS,
)  # fmt: skip
from mpi.screening.features_result import ScreeningFeatures

__all__ = ["features"]

_ROLES = {"canteen": ks.CANTEEN, "supermarket": ks.SUPERMARKET, "shower": ks.SHOWER,
          "library": ks.LIBRARY, "other": ks.OTHER, "topup": ks.TOPUP,
          "laundry": ks.LAUNDRY}  # fmt: skip
_DUPLICATES = ("drop", "keep", "error")
_DAY = 86400


def _column(df: pd.DataFrame, name: str, arg: str, table: str) -> pd.Series:
    if name not in df.columns:
        raise ValidationError(
            f"{arg}={name!r} is not a column of {table}; its columns are {list(df.columns)}: "
            f"pass the name of the column with {arg}=..."
        )
    return df[name]


def _codes(ser: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1: missing) and the values they stand for."""
    if isinstance(ser.dtype, pd.CategoricalDtype):
        return ser.cat.codes.to_numpy().astype(np.int32), np.asarray(ser.cat.categories, object)
    codes, uniques = pd.factorize(ser, sort=True)
    return codes.astype(np.int32), np.asarray(uniques, object)


def _used(codes: np.ndarray, k: int) -> np.ndarray:
    """Which of the ``k`` values occur in ``codes`` (missing ones left out)."""
    if not k:
        return np.zeros(0, bool)
    return np.bincount(codes.astype(np.int64) + 1, minlength=k + 1)[1:] > 0


def _first_row(df: pd.DataFrame, mask: np.ndarray) -> Any:
    return df.index[int(np.flatnonzero(mask)[0])]


def _kind_roles(
    ser: pd.Series, kinds: Mapping[str, str | None] | None, arg: str
) -> tuple[np.ndarray, np.ndarray, set[str]]:
    """Kind codes, the role (kernel code, -1 = ignored) of every code and the roles declared.

    A role is declared when a value of the column mapped to it occurs in the column or is a
    category of a categorical column (used or not).
    """
    mapping: dict[Any, str | None] = {k: k for k in KINDS}
    if kinds is not None:
        if not isinstance(kinds, Mapping):
            raise ValidationError(
                f"kinds must be a mapping from a value of {arg} to a role (one of "
                f"{sorted(_ROLES)}, or None to ignore it); got {type(kinds).__name__}"
            )
        bad = {k: v for k, v in kinds.items() if v is not None and v not in _ROLES}
        if bad:
            raise ValidationError(
                f"kinds={bad!r}: a kind's role must be one of {sorted(_ROLES)} or None "
                "(ignored); e.g. kinds={'washing': 'laundry', 'top-up': 'topup', 'atm': None}"
            )
        mapping.update(kinds)
    codes, values = _codes(ser)
    if (codes < 0).any():
        raise ValidationError(
            f"{arg}: transaction {codes.tolist().index(-1)} (position) has no kind; fill "
            f"the column {ser.name!r} or drop the rows without a kind"
        )
    used = _used(codes, len(values))
    unknown = [v for v, u in zip(values, used, strict=True) if u and v not in mapping]
    if unknown:
        raise ValidationError(
            f"{arg}: unknown kinds {unknown[:10]} in column {ser.name!r} (known: "
            f"{list(mapping)}); map each to a role with kinds=, e.g. kinds={{{unknown[0]!r}: "
            "'other'}} (counted in total spending and active days) or None (ignored)"
        )
    role = np.array([_ROLES[mapping[v]] if mapping.get(v) else -1 for v in values], np.int8)
    declared = {str(mapping[v]) for v in values if mapping.get(v)}
    return codes, role if len(role) else np.full(1, -1, np.int8), declared


def _meal_types(ser: pd.Series, arg: str) -> tuple[np.ndarray, np.ndarray]:
    codes, values = _codes(ser)
    used = _used(codes, len(values))
    unknown = [v for v, u in zip(values, used, strict=True) if u and v not in MEALS]
    if unknown:
        raise ValidationError(
            f"{arg}: unknown meal types {unknown[:10]} in column {ser.name!r}; use "
            f"{list(MEALS)} (missing for transactions that are not canteen meals)"
        )
    types = np.array([MEALS.index(v) if v in MEALS else -1 for v in values], np.int8)
    return codes, types if len(types) else np.zeros(1, np.int8)


def _seconds(ser: pd.Series, arg: str) -> np.ndarray:
    if not pd.api.types.is_datetime64_any_dtype(ser.dtype):
        raise ValidationError(
            f"{arg}: column {ser.name!r} has dtype {ser.dtype}, not a datetime; convert it "
            "with pandas.to_datetime(...)"
        )
    if getattr(ser.dtype, "tz", None) is not None:
        ser = ser.dt.tz_localize(None)  # local wall-clock time
    if ser.isna().any():
        raise ValidationError(
            f"{arg}: column {ser.name!r} has {int(ser.isna().sum())} missing times (NaT); "
            "drop or repair those transactions"
        )
    return ser.to_numpy().astype("datetime64[s]").view(np.int64)


def _amounts(ser: pd.Series, arg: str) -> np.ndarray:
    try:
        a = ser.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"{arg}: column {ser.name!r} must be numeric yuan; got dtype {ser.dtype}"
        ) from exc
    bad = np.isnan(a) | (a < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"{arg}: column {ser.name!r} has {int(bad.sum())} missing or negative amounts "
            f"(first: {float(a[i])!r} at row {ser.index[i]!r}); amounts are yuan >= 0 (refunds and "
            "corrections must be netted out before computing features)"
        )
    return a


def _day(value: Any, arg: str) -> pd.Timestamp:
    try:
        out = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{arg}={value!r} is not a date; use e.g. '2023-09-01'") from exc
    if out is pd.NaT:
        raise ValidationError(f"{arg}={value!r} is not a date; use e.g. '2023-09-01'")
    return out.tz_localize(None).normalize() if out.tzinfo is not None else out.normalize()


def _hours(meal_hours: Mapping[str, tuple[str, str]] | None) -> np.ndarray:
    hours = dict(MEAL_HOURS)
    if meal_hours is not None:
        unknown = sorted(set(meal_hours) - set(MEALS))
        if unknown:
            raise ValidationError(
                f"meal_hours: unknown meal types {unknown}; use keys among {list(MEALS)}"
            )
        hours.update(meal_hours)
    out = np.zeros((3, 2), np.int64)
    for k, m in enumerate(MEALS):
        try:
            a, b = (pd.Timedelta(f"{h}:00" if str(h).count(":") == 1 else h) for h in hours[m])
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"meal_hours[{m!r}]={hours[m]!r}: give (from, to) as 'HH:MM' strings, e.g. "
                "('06:30', '09:30')"
            ) from exc
        out[k] = int(a.total_seconds()), int(b.total_seconds())
    return out


def _calendar(
    start: pd.Timestamp, n_days: int, holidays: Iterable[Any] | None, period: str
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Day flags, period of every day and the period labels."""
    days = pd.date_range(start, periods=n_days, freq="D")
    weekend = days.day_of_week.to_numpy() >= 5
    holiday = np.zeros(n_days, bool)
    if holidays is not None:
        if isinstance(holidays, str):
            raise ValidationError("holidays must be a list of dates, not one string")
        hd = pd.DatetimeIndex([_day(h, "holidays") for h in holidays])
        holiday = days.isin(hd)
    flag = np.where(weekend, ks.WEEKEND, 0) | np.where(holiday, ks.HOLIDAY, 0)
    flag |= np.where(~weekend & ~holiday, ks.WEEKDAY, 0)
    if period == "term":
        return flag.astype(np.uint8), np.zeros(n_days, np.int64), ["term"]
    month = days.strftime("%Y-%m").to_numpy()
    labels, code = np.unique(month, return_inverse=True)
    return flag.astype(np.uint8), code.astype(np.int64), [str(x) for x in labels]


def _cutoffs(
    role_of: np.ndarray,
    kind: np.ndarray,
    mtype_of: np.ndarray,
    meal: np.ndarray,
    amount: np.ndarray,
) -> np.ndarray:
    """The cheap-price cutoff of every meal type over the whole table."""
    n_meals = len(mtype_of) + 1  # meal codes -1 .. len - 1
    pair = np.full((len(role_of), n_meals), -1, np.int8)  # (kind, meal) -> canteen meal type
    pair[role_of == ks.CANTEEN, 1:] = mtype_of
    mt = pair.reshape(-1)[kind.astype(np.int64) * n_meals + (meal + 1)]
    out = np.full(3, np.nan)
    for k in range(3):
        prices = amount[mt == k]
        if prices.size:
            out[k] = np.percentile(prices, CHEAP_PERCENTILE)
    return out


def _given_cutoffs(cheap_cutoffs: Any) -> np.ndarray:
    """The cheap-price cutoff of every meal type from ``cheap_cutoffs`` (validated)."""
    if not isinstance(cheap_cutoffs, Mapping):
        raise ValidationError(
            f"cheap_cutoffs must be a mapping from meal type to yuan, e.g. "
            f"{{'breakfast': 2.5, 'lunch': 8.0, 'dinner': 7.5}} (the cheap_cutoffs of a first "
            f"pass over the whole table), or None; got {type(cheap_cutoffs).__name__}"
        )
    unknown = sorted(str(k) for k in set(cheap_cutoffs) - set(MEALS))
    missing = [m for m in MEALS if m not in cheap_cutoffs]
    if unknown or missing:
        raise ValidationError(
            f"cheap_cutoffs={dict(cheap_cutoffs)!r}: give one cutoff for each meal type "
            f"{list(MEALS)} (unknown: {unknown}, missing: {missing}); the cheap_cutoffs of "
            "features() over the whole table have them all"
        )
    out = np.full(3, np.nan)
    for k, m in enumerate(MEALS):
        v = cheap_cutoffs[m]
        try:
            x = float(v)
        except (TypeError, ValueError):
            x = -1.0
        if isinstance(v, bool) or not (np.isnan(x) or 0 <= x < np.inf):
            raise ValidationError(
                f"cheap_cutoffs[{m!r}]={v!r}: a cutoff is yuan >= 0 (NaN: no meal of that type "
                "is cheap, the cutoff of a table without such meals)"
            )
        out[k] = x
    return out


def _sort(code: np.ndarray, t: np.ndarray) -> np.ndarray | None:
    """The stable order by (student, time), or None when the data are already in it."""
    if code.size < 2:
        return None
    tmin = int(t.min())
    span = int(t.max()) - tmin + 1
    if int(code.max()) + 1 < (1 << 62) // span:
        key = code.astype(np.int64) * span + (t - tmin)
        if (key[1:] >= key[:-1]).all():
            return None
        return np.argsort(key, kind="stable")
    order = np.lexsort((t, code))
    return None if (order == np.arange(code.size)).all() else order


def _rate(x: np.ndarray, months: np.ndarray) -> np.ndarray:
    return np.divide(x, months, out=np.zeros(x.shape), where=months > 0)


def _share(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    return np.divide(x, n, out=np.full(x.shape, np.nan), where=n > 0)


def _finish(
    ints: np.ndarray,
    floats: np.ndarray,
    period_days: np.ndarray,
    weekend_days: np.ndarray,
    holiday_days: np.ndarray,
    recorded: set[str],
) -> dict[str, np.ndarray]:
    """The features of every row from its sufficient statistics (formulas: FEATURES).

    The top-up (laundry) features are NaN when ``recorded`` lacks ``"topup"``
    (``"laundry"``).
    """
    count = ints[:, ks.I_COUNT : ks.I_COUNT + ks.N_ROLES].astype(np.float64)
    spent = floats[:, ks.F_SUM : ks.F_SUM + ks.N_ROLES]
    meals = count[:, ks.CANTEEN]
    active = ints[:, ks.I_ACTIVE].astype(np.float64)
    span = np.where(active > 0, ints[:, ks.I_LAST] - ints[:, ks.I_FIRST] + 1, 0)
    months = span / DAYS_PER_MONTH
    mean_w = floats[:, ks.F_WMEAN]
    sd_w = np.sqrt(_share(floats[:, ks.F_WM2], ints[:, ks.I_WEEKS].astype(np.float64)))
    volatility = np.divide(sd_w, mean_w, out=np.full(mean_w.shape, np.nan), where=mean_w > 0)

    def nan() -> np.ndarray:
        return np.full(meals.shape, np.nan)

    topup = "topup" in recorded
    laundry = "laundry" in recorded
    spending = np.delete(spent, ks.TOPUP, axis=1).sum(axis=1)
    return {
        "canteen_spending": _rate(spent[:, ks.CANTEEN], months),
        "canteen_meals": _rate(meals, months),
        "price_mean": _share(spent[:, ks.CANTEEN], meals),
        "price_median": floats[:, ks.F_MEDIAN].copy(),
        "price_p25": floats[:, ks.F_P25].copy(),
        "lunch_price": _share(floats[:, ks.F_MEAL + 1], ints[:, ks.I_MEALS + 1].astype(float)),
        "cheap_meal_share": _share(
            ints[:, ks.I_CHEAP : ks.I_CHEAP + 3].sum(axis=1).astype(float), meals
        ),
        "supermarket_spending": _rate(spent[:, ks.SUPERMARKET], months),
        "supermarket_visits": _rate(count[:, ks.SUPERMARKET], months),
        "spending_volatility": volatility,
        "total_spending": _rate(spending, months),
        "topup_amount": _rate(spent[:, ks.TOPUP], months) if topup else nan(),
        "topup_count": _rate(count[:, ks.TOPUP], months) if topup else nan(),
        "topup_mean": _share(spent[:, ks.TOPUP], count[:, ks.TOPUP]) if topup else nan(),
        "active_days_share": _share(active, period_days),
        "breakfast_regularity": _share(
            ints[:, ks.I_BREAKFAST].astype(float), ints[:, ks.I_WEEKDAY].astype(float)
        ),
        "meals_per_active_day": _share(meals, active),
        "shower_visits": _share(count[:, ks.SHOWER], active),
        "laundry_visits": _rate(count[:, ks.LAUNDRY], months) if laundry else nan(),
        "weekend_presence": _share(ints[:, ks.I_WEEKEND].astype(float), weekend_days),
        "holiday_presence": _share(ints[:, ks.I_HOLIDAY].astype(float), holiday_days),
        "longest_gap_days": np.where(active > 0, ints[:, ks.I_GAP], np.nan),
        "library_visits": _rate(count[:, ks.LIBRARY], months),
        "library_days_share": _share(ints[:, ks.I_LIBDAYS].astype(float), active),
        "_span": span.astype(np.int64),
    }


def _background(students: pd.DataFrame, n_periods: int) -> dict[str, np.ndarray]:
    out = {}
    for name, col in BACKGROUND.items():
        if col not in students.columns:
            continue
        ser = students[col]
        if name == "female":
            values = np.where(ser.isna(), np.nan, (ser.astype(object) == "female").astype(float))
        else:
            try:
                values = pd.to_numeric(ser, errors="raise").to_numpy(dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ValidationError(
                    f"students: column {col!r} must be numeric (0/1 flags, grade as a number)"
                ) from exc
        out[name] = np.repeat(values, n_periods)
    return out


def features(
    transactions: pd.DataFrame,
    students: pd.DataFrame | None = None,
    *,
    id: str = "student_id",  # noqa: A002
    time: str = "time",
    kind: str = "kind",
    amount: str = "amount",
    meal: str = "meal",
    period: str = "term",
    start: Any = None,
    end: Any = None,
    holidays: Iterable[Any] | None = None,
    duplicates: str = "drop",
    meal_hours: Mapping[str, tuple[str, str]] | None = None,
    kinds: Mapping[str, str | None] | None = None,
    cheap_cutoffs: Mapping[str, float] | None = None,
) -> ScreeningFeatures:
    """Screening features of every student (and month) from campus-card transactions.

    Each feature (name, category, formula, units, direction) is listed in
    :data:`mpi.screening.features_catalogue.FEATURES`. In short, per student (and month):
    consumption (canteen yuan and meals per month, mean, median and 25th percentile of the
    price per meal, mean lunch price, share of cheap meals, supermarket yuan and visits per
    month, the coefficient of variation of weekly spending, total yuan per month, yuan
    loaded by top-ups per month, top-ups per month and yuan per top-up), living habits
    (share of active days, breakfast regularity, meals per active day, showers per active
    day, laundry per month, weekend and holiday presence, longest gap between active days), study
    (library entries per month, share of active days with a library entry) and background
    (``rural``, ``registered_poor``, ``grade``, ``female`` from ``students``).

    Monthly rates are totals divided by the student's span on campus in months,
    ``(last active day - first active day + 1) / 30.44`` (within the row's month for
    ``period="month"``): a student who arrived late or left early is not penalised for the
    days before or after, while days without a transaction inside the span (a lost card, a
    trip) count. Top-ups are neither spending nor presence; the top-up and laundry features
    are NaN when the input records no such kind (see the catalogue's notes).

    **Chunks** (tables too large for memory, dask partitions, parallel workers): split the
    transactions by student (every transaction of a student in one chunk, e.g.
    ``tx[tx.student_id.isin(ids)]``, with the matching rows of ``students``), compute
    each chunk with the same ``start``, ``end``, ``holidays``, ``period``, ``duplicates``,
    ``meal_hours``, ``kinds`` and ``cheap_cutoffs`` (the cutoffs of the whole table: take
    ``features(whole_table).cheap_cutoffs`` of a first pass, or a reduction of your own —
    the 20th percentile of each meal type's canteen prices), keep ``kind`` a categorical with
    the same categories in every chunk (or let every chunk contain each optional kind the
    system records), and concatenate the ``to_frame()`` of the chunks: they equal the
    features of the whole table (the kernel's statistics are per student), and the chunks'
    :attr:`~ScreeningFeatures.counts` and per-meal ``n_off_hours`` add up to the whole
    table's.

    Parameters
    ----------
    transactions
        One row per card transaction (not modified; any order: it is sorted by student and
        time, ties in input order).
    students
        One row per student (``id`` unique). Every student gets a row, also without
        transactions (``no_transactions``); transactions of ids not in it are left out and
        counted (``n_not_in_students``). Its columns ``rural``, ``registered_poor``,
        ``grade`` and ``sex`` give the background features (those present). None: the
        students are the ids of ``transactions`` and there is no background feature.
    id, time, kind, amount, meal
        Column names: the student id, the time (datetime64, naive local time), the kind
        (``canteen``, ``supermarket``, ``shower``, ``library``, ``topup`` (yuan loaded),
        ``laundry``; others with ``kinds``), the yuan (>= 0; library entries 0) and the
        meal type of a canteen transaction
        (``breakfast``, ``lunch``, ``dinner``; missing for other kinds).
    period
        ``"term"``: one row per student; ``"month"``: one row per student and calendar month
        of the term (``"YYYY-MM"``), also for months without transactions.
    start, end
        First and last day of the term (dates; default: the days of the first and last
        transaction). Transactions outside ``[start 00:00, end 24:00)`` are left out and
        counted (``n_outside_term``).
    holidays
        Dates of the term's public holidays: ``holiday_presence`` is the share of them with a
        transaction, and they are not weekdays for ``breakfast_regularity``. Default none:
        ``holiday_presence`` is NaN.
    duplicates
        Transactions with the same id, time, kind and amount as an earlier one: ``"drop"``
        (default: counted once, the copies counted in ``n_duplicates``), ``"keep"`` (counted
        and kept) or ``"error"`` (a :class:`~mpi.errors.ValidationError` naming the first).
    meal_hours
        Canteen opening hours per meal type, ``{"lunch": ("10:45", "13:30")}`` (both ends
        included; default :data:`~mpi.screening.features_catalogue.MEAL_HOURS`, those of the
        ``campus_card`` data card). Meals outside them (clock skew) are kept and counted per
        meal type (``n_off_hours``).
    kinds
        Roles of further (or renamed) kinds: ``{"top-up": "topup", "vending": "other",
        "atm": None}`` — a role is ``"canteen"``, ``"supermarket"``, ``"shower"``,
        ``"library"``, ``"topup"`` (yuan loaded on the card: not spending, not presence),
        ``"laundry"`` (a metered washing machine), ``"other"`` (counted in
        ``total_spending``, volatility and active days) or None (ignored). A kind in the data
        that is neither one of the six of
        :data:`~mpi.screening.features_catalogue.KINDS` nor mapped is an error.
    cheap_cutoffs
        The cheap-price cutoff (yuan) of each meal type, ``{"breakfast": 2.5, "lunch": 8.0,
        "dinner": 7.5}`` (all three; NaN: no meal of that type is cheap): a meal priced
        strictly below it is cheap (``cheap_meal_share``). Default None: the 20th
        percentile of the meal type's canteen prices in ``transactions``. Give the
        :attr:`~ScreeningFeatures.cheap_cutoffs` of the whole table when computing chunks.

    Returns
    -------
    ScreeningFeatures
        ``to_frame()``: one float64 column per feature, indexed by ``student_id`` (and
        ``period``); ``to_dataset()`` adds ``no_transactions``, ``n_transactions``,
        ``active_days``, ``span_days`` per row and the counts of what was left out;
        ``cheap_cutoffs`` (dict) the cutoffs used.

    Raises
    ------
    ValidationError
        For a missing column, a time that is not a datetime or missing, a negative or
        missing amount, an unknown kind or meal type, a canteen transaction without a meal
        type, duplicated ``students`` ids, ``end`` before ``start``, duplicates with
        ``duplicates="error"``, or ``cheap_cutoffs`` without a yuan >= 0 (or NaN) for each
        meal type.

    Examples
    --------
    >>> import mpi
    >>> from mpi.screening.features import features
    >>> card = mpi.datasets.load("campus_card")
    >>> feat = features(card["transactions"], card["students"])
    >>> feat.to_frame().shape
    (800, 28)
    >>> bool(feat.to_frame()["topup_amount"].isna().all())  # the data record no top-up
    True
    >>> sorted(feat.cheap_cutoffs)
    ['breakfast', 'dinner', 'lunch']
    """
    if not isinstance(transactions, pd.DataFrame):
        raise ValidationError(
            f"transactions must be a pandas DataFrame; got {type(transactions).__name__}"
        )
    if period not in ("term", "month"):
        raise ValidationError(f"period={period!r}: use 'term' or 'month'")
    if duplicates not in _DUPLICATES:
        raise ValidationError(f"duplicates={duplicates!r}: use one of {_DUPLICATES}")
    tx = transactions
    ids = _column(tx, id, "id", "transactions").to_numpy()
    t = _seconds(_column(tx, time, "time", "transactions"), "time")
    kind_code, role_of, declared = _kind_roles(
        _column(tx, kind, "kind", "transactions"), kinds, "kind"
    )
    meal_code, mtype_of = _meal_types(_column(tx, meal, "meal", "transactions"), "meal")
    a = _amounts(_column(tx, amount, "amount", "transactions"), "amount")
    hours = _hours(meal_hours)
    if pd.isna(ids).any():
        raise ValidationError(
            f"id: column {id!r} has missing ids (first at row "
            f"{_first_row(tx, pd.isna(ids))!r}); drop those transactions"
        )
    if students is not None:
        if not isinstance(students, pd.DataFrame):
            raise ValidationError(
                f"students must be a pandas DataFrame or None; got {type(students).__name__}"
            )
        sid = pd.Index(_column(students, id, "id", "students"))
        if not sid.is_unique:
            raise ValidationError(
                f"students: column {id!r} has repeated ids "
                f"{sid[sid.duplicated()].unique()[:5].tolist()}; give one row per student"
            )
        code = sid.get_indexer(ids).astype(np.int64)
        student_ids = sid
    else:
        fcode, uniques = pd.factorize(ids, sort=True)
        code, student_ids = fcode.astype(np.int64), pd.Index(uniques)
    n_input = len(tx)
    kept = code >= 0
    n_not_in = int(n_input - kept.sum())
    if cheap_cutoffs is None:
        cutoff = _cutoffs(role_of, kind_code, mtype_of, meal_code, a)
    else:
        cutoff = _given_cutoffs(cheap_cutoffs)
    n_ignored = int((role_of[kind_code] < 0).sum()) if (role_of < 0).any() else 0
    if n_not_in:
        sel = np.flatnonzero(kept)
        code, t, kind_code, meal_code, a = (x[sel] for x in (code, t, kind_code, meal_code, a))
    else:
        sel = None
    t_start = _day(start, "start") if start is not None else None
    t_end = _day(end, "end") if end is not None else None
    if t_start is None or t_end is None:
        if t.size == 0 and (t_start is None or t_end is None):
            raise ValidationError("no transactions: give start= and end= for the term")
        lo, hi = (pd.Timestamp(np.datetime64(int(x), "s")).normalize() for x in (t.min(), t.max()))
        t_start = lo if t_start is None else t_start
        t_end = hi if t_end is None else t_end
    if t_end < t_start:
        raise ValidationError(f"end={t_end.date()} is before start={t_start.date()}")
    n_days = (t_end - t_start).days + 1
    flag, period_of_day, labels = _calendar(t_start, n_days, holidays, period)
    order = _sort(code, t)
    if order is not None:
        code, t, kind_code, meal_code, a = (
            np.take(x, order) for x in (code, t, kind_code, meal_code, a)
        )
    n_students, n_periods = len(student_ids), len(labels)
    longest = int(np.bincount(code).max()) if code.size else 0
    t0 = int(np.datetime64(t_start.to_datetime64(), "s").astype(np.int64))
    ints, floats, report = ks.card_statistics(
        code, t, kind_code, meal_code, a, role_of, mtype_of, t0, flag, period_of_day,
        n_periods, n_students * n_periods, hours, cutoff, 0 if duplicates == "drop" else 1,
        np.empty(max(longest, 1)),
    )  # fmt: skip

    def original(pos: int) -> Any:
        p = int(order[pos]) if order is not None else pos
        return tx.index[int(sel[p]) if sel is not None else p]

    if report[ks.R_NO_MEAL]:
        row = original(int(report[ks.R_FIRST_NO_MEAL]))
        raise ValidationError(
            f"meal: {int(report[ks.R_NO_MEAL])} canteen transactions have no meal type in "
            f"column {meal!r} (first at row {row!r}); give 'breakfast', 'lunch' or 'dinner', "
            "or map that kind to another role with kinds="
        )
    if duplicates == "error" and report[ks.R_DUPLICATES]:
        row = original(int(report[ks.R_FIRST_DUPLICATE]))
        raise ValidationError(
            f"duplicates='error': {int(report[ks.R_DUPLICATES])} transactions repeat an "
            f"earlier one with the same {id}, {time}, {kind} and {amount} (first at row "
            f"{row!r}); pass duplicates='drop' to count them once or 'keep' to keep them"
        )
    per_day = np.bincount(period_of_day, minlength=n_periods).astype(float)
    wk = np.bincount(period_of_day, weights=(flag & ks.WEEKEND) > 0, minlength=n_periods)
    hol = np.bincount(period_of_day, weights=(flag & ks.HOLIDAY) > 0, minlength=n_periods)
    values = _finish(ints, floats, np.tile(per_day, n_students), np.tile(wk, n_students),
                     np.tile(hol, n_students), declared)  # fmt: skip
    span = values.pop("_span")
    if students is not None:
        values.update(_background(students, n_periods))
    n_tx = ints[:, ks.I_COUNT : ks.I_COUNT + ks.N_ROLES].sum(axis=1)
    student_tx = n_tx.reshape(n_students, n_periods).sum(axis=1)
    counts = {
        "n_input": n_input,
        "n_used": int(n_tx.sum()),
        "n_duplicates": int(report[ks.R_DUPLICATES]),
        "n_outside_term": int(report[ks.R_OUTSIDE]),
        "n_not_in_students": n_not_in,
        "n_ignored_kind": n_ignored,
        "n_students": n_students,
        "n_no_transactions": int((student_tx == 0).sum()),
    }
    off = ints[:, ks.I_OFF : ks.I_OFF + 3].sum(axis=0)
    return ScreeningFeatures.from_arrays(
        student_ids, labels if period == "month" else None, values,
        rows={"no_transactions": n_tx == 0,
              "n_transactions": n_tx, "active_days": ints[:, ks.I_ACTIVE], "span_days": span},
        counts=counts, per_meal={"n_off_hours": off, "cheap_cutoff": cutoff},
        settings={"id": id, "period": period, "start": str(t_start.date()),
                  "end": str(t_end.date()), "duplicates": duplicates,
                  "holidays": int((flag & ks.HOLIDAY).astype(bool).sum()),
                  "cheap_cutoffs": "input" if cheap_cutoffs is None else "given",
                  "not_recorded": ", ".join(k for k in OPTIONAL_KINDS if k not in declared)},
    )  # fmt: skip
