"""Benchmark of :func:`mpi.screening.features.features` (one numba pass) against a plain
pandas groupby implementation of the same features and against one pass over the data
(``amount.sum()``), on ``mpi.datasets.generate("campus_card", n=..., seed=1)`` with synthetic
top-ups and laundry visits added (:func:`add_topups_and_laundry`; the card data have none).

The pandas implementation (:func:`pandas_features`) is written from the formulas of
:data:`mpi.screening.features_catalogue.FEATURES` without the kernel; the tests
(``tests/screening/test_features.py``) use it as the reference (every feature equal to
1e-12). The script exits non-zero if the two disagree (beyond 1e-12, relative and absolute).

Usage::

    .venv/bin/python benchmarks/screening_features.py                   # n = 24,000 (~1e7)
    .venv/bin/python benchmarks/screening_features.py --n 2000 --repeat 1
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 30.44
MEAL_HOURS = {"breakfast": ("06:30", "09:30"), "lunch": ("10:45", "13:30"),
              "dinner": ("16:45", "20:00")}  # fmt: skip
#: The public holidays of the campus_card term (National Day week, New Year).
HOLIDAYS = [*pd.date_range("2023-09-29", "2023-10-06"), *pd.date_range("2023-12-30", "2024-01-01")]


def _div(a: pd.Series, b: pd.Series, zero: float = np.nan) -> pd.Series:
    """a / b, ``zero`` where b == 0."""
    out = a / b.where(b != 0)
    return out.where(b != 0, zero)


def add_topups_and_laundry(tx: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """``tx`` with synthetic top-ups and laundry visits (a new table; ``tx`` is not modified).

    Every student gets Poisson(4) top-ups of 50, 100, 200 or 300 yuan at any second of the
    term (some on days without another transaction: top-ups are not presence) and
    Poisson(6) laundry visits of 3 or 4 yuan between 08:00 and 22:00. ``kind`` becomes a
    categorical with ``topup`` and ``laundry`` among its categories; the new rows come last
    (the table is no longer sorted).

    Parameters
    ----------
    tx
        Transactions of the ``campus_card`` layout.
    seed
        Seed of the draw.

    Returns
    -------
    pandas.DataFrame
    """
    rng = np.random.default_rng(seed)
    ids = np.unique(tx["student_id"].to_numpy())
    day0 = tx["time"].min().normalize()
    n_days = (tx["time"].max().normalize() - day0).days + 1
    parts = []
    for kind, lam, amounts, lo, hi in (
        ("topup", 4, [50.0, 100.0, 200.0, 300.0], 0, 86399),
        ("laundry", 6, [3.0, 4.0], 8 * 3600, 22 * 3600),
    ):
        k = rng.poisson(lam, ids.size)
        n = int(k.sum())
        sec = rng.integers(0, n_days, n) * 86400 + rng.integers(lo, hi + 1, n)
        parts.append(pd.DataFrame({
            "student_id": np.repeat(ids, k).astype(tx["student_id"].dtype),
            "time": (day0 + pd.to_timedelta(sec, unit="s")).astype(tx["time"].dtype),
            "kind": kind, "meal": np.nan, "amount": rng.choice(amounts, n),
        }))  # fmt: skip
    old = list(tx["kind"].cat.categories) if hasattr(tx["kind"], "cat") else []
    cats = [*old, *(k for k in ("topup", "laundry") if k not in old)]
    base = tx.assign(kind=tx["kind"].astype(object))
    out = pd.concat([base, *parts], ignore_index=True)
    out["kind"] = out["kind"].astype(pd.CategoricalDtype(cats))
    out["meal"] = out["meal"].astype(tx["meal"].dtype)
    return out


def pandas_features(
    tx: pd.DataFrame,
    students: pd.DataFrame | None = None,
    *,
    period: str = "term",
    start: Any = None,
    end: Any = None,
    holidays: Iterable[Any] | None = None,
) -> pd.DataFrame:
    """The screening features by pandas groupby (duplicates dropped, default columns).

    Top-ups (kind ``topup``) are neither spending nor presence; the top-up (laundry) features
    are NaN when ``tx`` declares no ``topup`` (``laundry``) kind (a value, or a category of a
    categorical ``kind``).

    Parameters
    ----------
    tx
        Transactions (``student_id``, ``time``, ``kind``, ``meal``, ``amount``).
    students
        The students (rows for all of them; background columns), or None.
    period
        ``"term"`` or ``"month"``.
    start, end
        The term (default: the days of the first and last transaction).
    holidays
        Holiday dates, or None.

    Returns
    -------
    pandas.DataFrame
        The features, indexed like ``ScreeningFeatures.to_frame()``.
    """
    df = tx[["student_id", "time", "kind", "meal", "amount"]].copy()
    kinds = df["kind"].cat.categories if hasattr(df["kind"], "cat") else df["kind"].unique()
    recorded = {str(k) for k in kinds}
    df["kind"] = df["kind"].astype(str)
    df["meal"] = df["meal"].astype(object)
    canteen_all = df[df["kind"] == "canteen"]
    cutoff = canteen_all.groupby("meal")["amount"].quantile(0.2)
    if students is not None:
        df = df[df["student_id"].isin(students["student_id"])]
    day0 = df["time"].dt.normalize()
    start = day0.min() if start is None else pd.Timestamp(start)
    end = day0.max() if end is None else pd.Timestamp(end)
    days = pd.date_range(start, end, freq="D")
    df["day"] = (day0 - start).dt.days
    df = df[(df["day"] >= 0) & (df["day"] < len(days))]
    df = df.drop_duplicates(["student_id", "time", "kind", "amount"])
    hol = days.isin(pd.DatetimeIndex(list(holidays or [])))
    cal = pd.DataFrame({
        "weekend": days.day_of_week >= 5, "holiday": hol,
        "period": days.strftime("%Y-%m") if period == "month" else "term",
    })  # fmt: skip
    cal["weekday"] = ~cal["weekend"] & ~cal["holiday"]
    df["period"] = cal["period"].to_numpy()[df["day"].to_numpy()]
    keys = ["student_id", "period"]
    every = df  # with the top-ups
    df = df[df["kind"] != "topup"]  # spending and presence
    ids = students["student_id"] if students is not None else np.unique(df["student_id"])
    full = pd.MultiIndex.from_product([ids, pd.unique(cal["period"])], names=keys)
    g = df.groupby(keys)
    out = pd.DataFrame(index=full)
    can = df[df["kind"] == "canteen"]
    gc = can.groupby(keys)["amount"]
    z = pd.Series(0.0, index=full)
    c_sum, c_n = gc.sum().reindex(full, fill_value=0.0), gc.size().reindex(full, fill_value=0)
    lunch = can[can["meal"] == "lunch"].groupby(keys)["amount"]
    cheap = can["amount"] < can["meal"].map(cutoff).astype(float)
    n_cheap = cheap.groupby([can["student_id"], can["period"]]).sum().reindex(full, fill_value=0)

    def kind_stat(k: str, how: str) -> pd.Series:
        s = every[every["kind"] == k].groupby(keys)["amount"]
        return getattr(s, how)().reindex(full, fill_value=0).astype(float)

    # days: one row per active day
    d = df.assign(bf=(df["kind"] == "canteen") & (df["meal"] == "breakfast"),
                  lib=df["kind"] == "library")  # fmt: skip
    dd = d.groupby([*keys, "day"]).agg(bf=("bf", "any"), lib=("lib", "any")).reset_index()
    dd = dd.join(cal[["weekend", "holiday", "weekday"]], on="day")
    dd["gap"] = dd.groupby(keys)["day"].diff() - 1
    gd = dd.groupby(keys)
    active = gd.size().reindex(full, fill_value=0).astype(float)
    first = gd["day"].min().reindex(full)
    last = gd["day"].max().reindex(full)
    span = (last - first + 1).fillna(0.0)
    months = span / DAYS_PER_MONTH
    weekday_active = gd["weekday"].sum().reindex(full, fill_value=0).astype(float)
    weekday_bf = (dd["weekday"] & dd["bf"]).groupby([dd[k] for k in keys]).sum()
    weekday_bf = weekday_bf.reindex(full, fill_value=0).astype(float)
    # weekly spending over the weeks from the first to the last active week
    df["week"] = df["day"] // 7
    wk = df.groupby([*keys, "week"])["amount"].sum().reset_index()
    gw = wk.groupby(keys)
    n_weeks = last // 7 - first // 7 + 1
    mean_w = gw["amount"].sum().reindex(full) / n_weeks
    dev = wk["amount"] - mean_w.reindex(pd.MultiIndex.from_frame(wk[keys])).to_numpy()
    ss = (dev**2).groupby([wk[k] for k in keys]).sum().reindex(full)
    ss = ss + (n_weeks - gw.size().reindex(full)) * mean_w**2
    sd_w = np.sqrt(ss / n_weeks)
    per = cal.groupby("period")
    row_days = per.size().reindex(full.get_level_values("period")).to_numpy().astype(float)
    row_we = per["weekend"].sum().reindex(full.get_level_values("period")).to_numpy()
    row_ho = per["holiday"].sum().reindex(full.get_level_values("period")).to_numpy()
    out["canteen_spending"] = _div(c_sum, months, 0.0)
    out["canteen_meals"] = _div(c_n.astype(float), months, 0.0)
    out["price_mean"] = _div(c_sum, c_n.astype(float))
    out["price_median"] = gc.median().reindex(full)
    out["price_p25"] = gc.quantile(0.25).reindex(full)
    out["lunch_price"] = lunch.mean().reindex(full)
    out["cheap_meal_share"] = _div(n_cheap.astype(float), c_n.astype(float))
    out["supermarket_spending"] = _div(kind_stat("supermarket", "sum"), months, 0.0)
    out["supermarket_visits"] = _div(kind_stat("supermarket", "size"), months, 0.0)
    out["spending_volatility"] = (sd_w / mean_w.where(mean_w > 0)).where(mean_w > 0)
    out["total_spending"] = _div(g["amount"].sum().reindex(full, fill_value=0.0), months, 0.0)
    nan = pd.Series(np.nan, index=full)
    top = "topup" in recorded
    out["topup_amount"] = _div(kind_stat("topup", "sum"), months, 0.0) if top else nan
    out["topup_count"] = _div(kind_stat("topup", "size"), months, 0.0) if top else nan
    out["topup_mean"] = _div(kind_stat("topup", "sum"), kind_stat("topup", "size")) if top else nan
    out["laundry_visits"] = (
        _div(kind_stat("laundry", "size"), months, 0.0) if "laundry" in recorded else nan
    )
    out["active_days_share"] = active / row_days
    out["breakfast_regularity"] = _div(weekday_bf, weekday_active)
    out["meals_per_active_day"] = _div(c_n.astype(float), active)
    out["shower_visits"] = _div(kind_stat("shower", "size"), active)
    out["weekend_presence"] = _div(gd["weekend"].sum().reindex(full, fill_value=0).astype(float),
                                   pd.Series(row_we, index=full).astype(float))  # fmt: skip
    out["holiday_presence"] = _div(gd["holiday"].sum().reindex(full, fill_value=0).astype(float),
                                   pd.Series(row_ho, index=full).astype(float))  # fmt: skip
    out["longest_gap_days"] = gd["gap"].max().reindex(full).fillna(0.0).where(active > 0)
    out["library_visits"] = _div(kind_stat("library", "size"), months, 0.0)
    out["library_days_share"] = _div(gd["lib"].sum().reindex(full, fill_value=0).astype(float),
                                     active)  # fmt: skip
    del z
    if students is not None:
        s = students.set_index("student_id")
        bg = pd.DataFrame({
            "rural": s["rural"].astype(float), "registered_poor": s["registered_poor"].astype(float),
            "grade": s["grade"].astype(float), "female": (s["sex"] == "female").astype(float),
        })  # fmt: skip
        out = out.join(bg, on="student_id")
    if period == "term":
        out = out.droplevel("period")
    return out.astype(np.float64)


def _best(f: Any, repeat: int) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> int:
    """Time the contenders on one draw and print a markdown row; non-zero on disagreement."""
    import mpi.datasets
    from mpi.screening.features import features

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=24_000, help="students (24,000: ~1e7 transactions)")
    p.add_argument("--repeat", type=int, default=3, help="timed runs of features() (best)")
    args = p.parse_args(argv)
    card = mpi.datasets.generate("campus_card", n=args.n, seed=1)
    tx, st = add_topups_and_laundry(card["transactions"], seed=1), card["students"]
    # as a card system stores them: sorted by student and time (unsorted input adds an argsort)
    tx = tx.sort_values(["student_id", "time"], kind="stable", ignore_index=True)
    features(tx.iloc[:1000], st.iloc[:5])  # compile / load the kernel
    t_sum, _ = _best(lambda: tx["amount"].sum(), args.repeat)
    t_mpi, res = _best(lambda: features(tx, st, holidays=HOLIDAYS), args.repeat)
    t_pd, ref = _best(lambda: pandas_features(tx, st, holidays=HOLIDAYS), 1)
    got = res.to_frame()
    a, b = got.to_numpy(), ref[got.columns].to_numpy()
    diff = float(np.nanmax(np.abs(a - b)))
    close = bool(np.all(np.isnan(a) & np.isnan(b) | (np.abs(a - b) <= 1e-12 + 1e-12 * np.abs(b))))
    same_nan = bool((np.isnan(a) == np.isnan(b)).all()) and close
    missing = [c for c in got.columns if got[c].isna().all()]
    print("| transactions | students | amount.sum() (s) | features() (s) | pandas groupby (s) "
          "| pandas / features | features / sum | max abs diff |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {len(tx):,} | {len(st):,} | {t_sum:.3f} | {t_mpi:.3f} | {t_pd:.2f} | "
          f"{t_pd / t_mpi:.1f}x | {t_mpi / t_sum:.0f}x | {diff:.1e} |")  # fmt: skip
    print(f"({platform.processor() or platform.machine()}, python {platform.python_version()})")
    if missing:
        print(f"features without any value: {missing}", file=sys.stderr)
    ok = same_nan and not missing
    if not ok:
        print("DISAGREEMENT between features() and the pandas implementation", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
