"""Checks of the default rules that read the payments alone (no registry): exclusive
programmes, duplicates in a period, a household in two villages, split payments, shared bank
accounts.

Persons are the ``person`` keys of :class:`~mpi.auditing.context.AuditContext` (one key per valid
identity number; an invalid number joined to a person by record linkage shares that key), so a
dirty identifier is caught exactly when :func:`mpi.audit` linked it. A hit's ``linked_by`` is
``"id"`` (match probability 1) when every row of the person carries the same normalised
number, else ``"record linkage"`` (with the person's weakest self-link when the payments carry
``self_probability``/``self_weight``, else NaN: see :func:`~mpi.auditing.rules_core.person_link`); household and account rules say ``"household_id"`` / ``"account"``
(an exact key, probability 1).

Where a conflict has two sides (two programmes, two villages), the rows of the side presumed
legitimate (the programme joined first, the household's main village) are left out and the
rows of the other side are the hits, carrying the whole payment as ``amount_at_risk``; the
evidence names the other side's payment. A shared account has no legitimate side: every
payment into it is a hit. The rules and their parameters are defined in :mod:`mpi.auditing.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mpi.auditing.rules_core import (
    Rule,
    choice_param,
    days,
    empty_hits,
    make_hits,
    money,
    number_param,
    period_key,
    period_text,
    person_link,
    programmes_param,
    pull,
)
from mpi.errors import ValidationError

if TYPE_CHECKING:
    from mpi.auditing.context import AuditContext

__all__ = [
    "check_exclusive_programmes", "check_duplicate_in_period",
    "check_household_in_two_villages", "check_split_payments", "check_shared_account",
]  # fmt: skip

PERIODS = ("month", "year")


def _frame(pay: pd.DataFrame, *, persons: bool = True) -> pd.DataFrame:
    """The payments with their position ``row`` and (``persons``) how each person was put
    together."""
    if not persons:
        return pay.assign(row=np.arange(len(pay), dtype=np.int64))
    link = person_link(pay)
    return pay.assign(
        row=np.arange(len(pay), dtype=np.int64),
        _by=link["linked_by"].to_numpy(),
        _w=link["match_weight"].to_numpy(),
        _p=link["match_probability"].to_numpy(),
    )


def _person_hits(pay: pd.DataFrame, hits: pd.DataFrame, evidence: list[str]) -> pd.DataFrame:
    return make_hits(
        hits["row"].to_numpy(),
        evidence,
        linked_by=hits["_by"].tolist(),
        match_weight=hits["_w"].to_numpy(dtype=float),
        match_probability=hits["_p"].to_numpy(dtype=float),
        amount_at_risk=hits["amount"].to_numpy(dtype=float),
    )


def _fields(pay: pd.DataFrame, rows: np.ndarray) -> dict[str, np.ndarray]:
    """The payments' fields at ``rows`` as evidence shows them (object arrays)."""
    rows = np.asarray(rows, dtype=np.int64)
    amounts = pay["amount"].to_numpy(dtype=float)[rows]
    return {
        "row": rows,
        "name": pull(pay, "name", rows),
        "programme": pull(pay, "programme", rows),
        "date": days(pay["paid_on"].to_numpy(dtype="datetime64[ns]")[rows]),
        "amount": np.array([money(a) for a in amounts], dtype=object),
        "household": pull(pay, "household_id", rows),
    }


def _programme_mask(frame: pd.DataFrame, rule: Rule) -> np.ndarray:
    names = programmes_param(rule)
    if names is None:
        return np.ones(len(frame), dtype=bool)
    return frame["programme"].astype(str).isin(names).to_numpy()


def _period_of(frame: pd.DataFrame, rule: Rule) -> pd.Series:
    """Period key per row: ``period`` is "month"/"year" or a mapping programme -> period
    (programmes not in it: by month)."""
    period = rule.params.get("period")
    if isinstance(period, Mapping):
        bad = {p: v for p, v in period.items() if v not in PERIODS}
        if bad:
            raise ValidationError(
                f"rule {rule.name!r}: parameter period={dict(period)!r} maps {bad} to a period "
                f"other than {PERIODS}; use e.g. {{'education_grant': 'year'}}"
            )
        yearly = [p for p, v in period.items() if v == "year"]
        month, year = period_key(frame["paid_on"], "month"), period_key(frame["paid_on"], "year")
        return month.where(~frame["programme"].astype(str).isin(yearly).to_numpy(), year)
    return period_key(frame["paid_on"], choice_param(rule, "period", PERIODS))


def check_exclusive_programmes(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
    """The same person paid in one period by programmes that exclude each other.

    For each group of ``groups``: when a person is paid by two or more of its programmes in
    the same ``period``, the programme kept is the one the person was paid by first (earliest
    payment of the group's programmes; ``keep="first_listed"``: the first of the group in
    conflict); the payments of the others in that period are hits. A row hit by two groups
    counts once (the first group).

    Parameters
    ----------
    ctx : AuditContext
        The payments.
    rule : Rule
        Parameters ``groups`` (tuple of tuples of programme names), ``period``
        ("month"/"year") and ``keep`` ("earliest"/"first_listed").

    Returns
    -------
    pandas.DataFrame
        The hits; ``amount_at_risk`` is the payment's amount.
    """
    groups = rule.params.get("groups")
    ok = isinstance(groups, tuple | list) and all(
        isinstance(g, tuple | list) and len(g) >= 2 and all(isinstance(p, str) for p in g)
        for g in groups
    )
    if not ok:
        raise ValidationError(
            f"rule {rule.name!r}: parameter groups={groups!r} must be groups of at least two "
            "programme names, e.g. (('dibao', 'tekun'),)"
        )
    keep = choice_param(rule, "keep", ("earliest", "first_listed"))
    pay = ctx.payments
    frame = _frame(pay)
    frame = frame.assign(_period=_period_of(frame, rule), _prog=frame["programme"].astype(str))
    parts = []
    for group in groups:
        order = {p: i for i, p in enumerate(group)}
        sub = frame[frame["_prog"].isin(group)]
        n = sub.groupby(["person", "_period"])["_prog"].transform("nunique")
        sub = sub[n.to_numpy() >= 2]
        if sub.empty:
            continue
        # the programme kept in a period: of those paid in it, the one the person joined
        # first (ever), or the first listed; ties by the order of the group
        joined = frame[frame["_prog"].isin(group)].groupby(["person", "_prog"])["paid_on"].min()
        sub = sub.assign(
            _rank=sub["_prog"].map(order),
            _joined=joined.reindex(
                pd.MultiIndex.from_arrays([sub["person"], sub["_prog"]])
            ).to_numpy(),
        )
        by = (
            ["person", "_period", "_joined", "_rank"]
            if keep == "earliest"
            else ["person", "_period", "_rank"]
        )
        kept = sub.sort_values(by).drop_duplicates(["person", "_period"])
        kept = kept.set_index(["person", "_period"])["_prog"]
        sub = sub.assign(
            _kept=kept.reindex(
                pd.MultiIndex.from_arrays([sub["person"], sub["_period"]])
            ).to_numpy()
        )
        kept_rows = (
            sub[sub["_prog"] == sub["_kept"]]
            .sort_values(["paid_on", "row"])
            .drop_duplicates(["person", "_period"])
            .set_index(["person", "_period"])["row"]
        )
        hit = sub[sub["_prog"] != sub["_kept"]]
        hit = hit.assign(_other=kept_rows.reindex(
            pd.MultiIndex.from_arrays([hit["person"], hit["_period"]])).to_numpy())  # fmt: skip
        parts.append(hit.assign(_group=" and ".join(group)))
    if not parts:
        return empty_hits()
    hits = pd.concat(parts).drop_duplicates("row").sort_values("row")
    h, o = _fields(pay, hits["row"].to_numpy()), _fields(pay, hits["_other"].to_numpy())
    evidence = [
        f"{name} is also paid {oprog} in {period_text(per)} (payment row {orow}, {odate}, "
        f"{oamt}); {grp} exclude each other; payment row {row}: {prog} paid {date}, {amt}"
        for name, oprog, per, orow, odate, oamt, grp, row, prog, date, amt in zip(
            h["name"], o["programme"], hits["_period"], o["row"], o["date"], o["amount"],
            hits["_group"], h["row"], h["programme"], h["date"], h["amount"], strict=True,
        )
    ]  # fmt: skip
    return _person_hits(pay, hits, evidence)


def check_duplicate_in_period(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
    """The same person paid twice or more by one programme in one period.

    Within each (person, programme, period) the earliest payment (then the lowest row) is
    the regular one; every further payment is a hit.

    Parameters
    ----------
    ctx : AuditContext
        The payments.
    rule : Rule
        Parameters ``period`` ("month", "year", or a mapping programme -> period, by month
        for programmes not in it), ``programmes`` (None: every programme) and ``exclude``
        (programmes paid per event, where several payments in a period are normal).

    Returns
    -------
    pandas.DataFrame
        The hits; ``amount_at_risk`` is the payment's amount.
    """
    pay = ctx.payments
    frame = _frame(pay)
    keep = _programme_mask(frame, rule)
    skip = programmes_param(rule, "exclude")
    if skip is not None:
        keep = keep & ~frame["programme"].astype(str).isin(skip).to_numpy()
    frame = frame.assign(_period=_period_of(frame, rule))[keep]
    frame = frame.sort_values(["paid_on", "row"], kind="stable")
    key = [frame["person"], frame["programme"].astype(str), frame["_period"]]
    nth = frame.groupby(key).cumcount().to_numpy()
    first = frame.groupby(key)["row"].transform("first").to_numpy()
    hits = frame.assign(_first=first, _nth=nth + 1)[nth >= 1].sort_values("row")
    if hits.empty:
        return empty_hits()
    h, f = _fields(pay, hits["row"].to_numpy()), _fields(pay, hits["_first"].to_numpy())
    evidence = [
        f"payment {k} of {prog} to {name} in {period_text(per)} (the first: payment row {frow}, "
        f"{fdate}, {famt}); payment row {row}: paid {date}, {amt}"
        for k, prog, name, per, frow, fdate, famt, row, date, amt in zip(
            hits["_nth"], h["programme"], h["name"], hits["_period"], f["row"], f["date"],
            f["amount"], h["row"], h["date"], h["amount"], strict=True,
        )
    ]  # fmt: skip
    return _person_hits(pay, hits, evidence)


def _main_of(frame: pd.DataFrame, group: list[str], side: str) -> pd.DataFrame:
    """Per ``group`` value, the ``side`` value with the most rows (ties: earliest payment,
    then the smaller value), with its first row ``_r``; indexed by ``group``."""
    stats = (
        frame.groupby([*group, side])
        .agg(_n=("row", "size"), _t=("paid_on", "min"), _r=("row", "min"))
        .reset_index()
        .sort_values(
            [*group, "_n", "_t", side], ascending=[*[True] * len(group), False, True, True]
        )
        .drop_duplicates(group)
    )
    return stats.set_index(group)


def check_household_in_two_villages(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
    """One household paid in two or more villages in one period.

    The household's main village in the period is the one with most of its payments (ties:
    the earliest payment); the payments made in other villages are hits. ``household_id``
    must identify a household across the county (not only within a village).

    Parameters
    ----------
    ctx : AuditContext
        The payments, with ``household_id`` and ``village``.
    rule : Rule
        Parameters ``period`` ("month", "year", or None: the whole audit period) and
        ``programmes``.

    Returns
    -------
    pandas.DataFrame
        The hits; ``amount_at_risk`` is the payment's amount.
    """
    pay = ctx.payments
    frame = _frame(pay, persons=False)
    frame = frame[_programme_mask(frame, rule)]
    frame = frame[frame["household_id"].notna().to_numpy() & frame["village"].notna().to_numpy()]
    period = choice_param(rule, "period", (None, *PERIODS))
    per = (
        pd.Series(0, index=frame.index) if period is None else period_key(frame["paid_on"], period)
    )
    frame = frame.assign(
        _hh=frame["household_id"].astype(str), _period=per, _village=frame["village"].astype(str)
    )
    n = frame.groupby(["_hh", "_period"])["_village"].transform("nunique").to_numpy()
    frame = frame[n >= 2]
    if frame.empty:
        return empty_hits()
    main = _main_of(frame, ["_hh", "_period"], "_village")
    at = pd.MultiIndex.from_arrays([frame["_hh"], frame["_period"]])
    frame = frame.assign(
        _main=main["_village"].reindex(at).to_numpy(), _main_row=main["_r"].reindex(at).to_numpy()
    )
    hits = frame[frame["_village"] != frame["_main"]].sort_values("row")
    h, m = _fields(pay, hits["row"].to_numpy()), _fields(pay, hits["_main_row"].to_numpy())
    evidence = [
        f"household {hh} is paid in {v} and in {mv} in "
        f"{'the audit period' if period is None else period_text(per)} (payment row {mrow}: "
        f"{mname}, {mprog}, {mdate}); payment row {row} ({name}, {v}): {prog} paid {date}, {amt}"
        for hh, v, mv, per, mrow, mname, mprog, mdate, row, name, prog, date, amt in zip(
            h["household"], hits["_village"], hits["_main"], hits["_period"], m["row"],
            m["name"], m["programme"], m["date"], h["row"], h["name"], h["programme"],
            h["date"], h["amount"], strict=True,
        )
    ]  # fmt: skip
    return make_hits(
        hits["row"].to_numpy(),
        evidence,
        linked_by="household_id",
        match_probability=1.0,
        amount_at_risk=hits["amount"].to_numpy(dtype=float),
    )


def check_split_payments(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
    """Several payments to one person from one programme in one period, each within the
    approval ``threshold`` but together above it.

    A payment above ``threshold`` needs approval at a higher level; the payments of a
    (person, programme, period) that are at most ``threshold`` each are hits when there are
    two or more of them and their sum ``S`` is strictly above ``threshold`` (a sum exactly at
    the threshold is not a hit). ``amount_at_risk``: with ``at_risk="excess"`` the part of
    the sum above the threshold, ``S − threshold``, shared among the payments in proportion
    to their amounts (each carries ``amount × (S − threshold) / S``, so a lead's amounts add
    up to the excess: what the lower level could not have approved); with ``"total"`` each
    payment's whole amount.

    Parameters
    ----------
    ctx : AuditContext
        The payments.
    rule : Rule
        Parameters ``threshold`` (yuan), ``period`` ("month"/"year" or a mapping programme
        -> period), ``programmes`` (by default those whose larger payments need approval,
        :data:`mpi.auditing.rules.APPROVAL_PROGRAMMES`; None: every programme) and
        ``at_risk`` ("excess"/"total").

    Returns
    -------
    pandas.DataFrame
        The hits.
    """
    limit = number_param(rule, "threshold")
    at_risk = choice_param(rule, "at_risk", ("excess", "total"))
    pay = ctx.payments
    frame = _frame(pay)
    frame = frame.assign(_period=_period_of(frame, rule))[_programme_mask(frame, rule)]
    frame = frame[frame["amount"].to_numpy(dtype=float) <= limit]
    key = [frame["person"], frame["programme"].astype(str), frame["_period"]]
    g = frame.groupby(key)["amount"]
    frame = frame.assign(
        _n=g.transform("size").to_numpy(), _sum=g.transform("sum").to_numpy(dtype=float)
    )
    hits = frame[(frame["_n"] >= 2) & (frame["_sum"] > limit)].sort_values("row")
    if hits.empty:
        return empty_hits()
    hkey = [hits["person"], hits["programme"].astype(str), hits["_period"]]
    hits = hits.assign(
        _rows=hits.groupby(hkey)["row"].transform(lambda r: ", ".join(map(str, sorted(r))))
    )
    amount = hits["amount"].to_numpy(dtype=float)
    total = hits["_sum"].to_numpy(dtype=float)
    risk = amount * (total - limit) / total if at_risk == "excess" else amount
    h = _fields(pay, hits["row"].to_numpy())
    evidence = [
        f"{n} payments of {prog} to {name} in {period_text(per)} (payment rows {rows}), each "
        f"at most the approval threshold {money(limit)}, sum {money(sm)}; payment row {row}: "
        f"paid {date}, {amt}"
        for n, prog, name, per, rows, sm, row, date, amt in zip(
            hits["_n"], h["programme"], h["name"], hits["_period"], hits["_rows"], total,
            h["row"], h["date"], h["amount"], strict=True,
        )
    ]  # fmt: skip
    return _person_hits(pay, hits.assign(amount=risk), evidence)


def check_shared_account(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
    """One bank account receiving the payments of several households.

    A household is the payment's ``household_id`` (a payment without one is a household of
    its person). When ``min_households`` or more households are paid into one ``account``,
    every payment into it is a hit: benefits are paid into the beneficiary's own account, and
    which household (if any) holds a shared one is for the inspector to find out. Accounts
    are compared exactly as given (``"6222-01"`` and ``"622201"`` differ).

    Parameters
    ----------
    ctx : AuditContext
        The payments, with ``account``.
    rule : Rule
        Parameters ``min_households`` (>= 2) and ``programmes``.

    Returns
    -------
    pandas.DataFrame
        The hits; ``amount_at_risk`` is the payment's amount.
    """
    least = number_param(rule, "min_households", minimum=2)
    pay = ctx.payments
    frame = _frame(pay, persons=False)
    frame = frame[_programme_mask(frame, rule) & frame["account"].notna().to_numpy()]
    hh = frame["household_id"].astype(object)
    unit = hh.where(hh.notna(), "person " + frame["person"].astype(str)).astype(str)
    frame = frame.assign(_unit=unit, _acct=frame["account"].astype(str))
    n = frame.groupby("_acct")["_unit"].transform("nunique").to_numpy()
    hits = frame[n >= least].sort_values("row")
    if hits.empty:
        return empty_hits()
    shown = 5
    units = hits.groupby("_acct")["_unit"].agg(
        lambda u: (lambda s: ", ".join(s[:shown]) + (", ..." if len(s) > shown else ""))(
            sorted(set(u))
        )
    )
    k = hits.groupby("_acct")["_unit"].nunique()
    h = _fields(pay, hits["row"].to_numpy())
    evidence = [
        f"account {a} receives the payments of {n} households ({us}); payment row {row} "
        f"({name}, household {u}): {prog} paid {date}, {amt}"
        for a, n, us, row, name, u, prog, date, amt in zip(
            hits["_acct"], k.reindex(hits["_acct"]).to_numpy(),
            units.reindex(hits["_acct"]).to_numpy(), h["row"], h["name"], hits["_unit"],
            h["programme"], h["date"], h["amount"], strict=True,
        )
    ]  # fmt: skip
    return make_hits(
        hits["row"].to_numpy(),
        evidence,
        linked_by="account",
        match_probability=1.0,
        amount_at_risk=hits["amount"].to_numpy(dtype=float),
    )
