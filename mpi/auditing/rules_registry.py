"""Checks of the default rules that read a reference registry (death, business, vehicle,
property, tax, staff).

Every check reads the person links of :meth:`~mpi.auditing.context.AuditContext.linked` (made once
by :func:`mpi.audit`, exact on valid identity numbers, else by record linkage); a payment whose
person is not linked to the registry is never a hit. When a person is linked to several
offending records, the hit keeps one: the most probable link, then the heaviest, then the most
offending value (largest amount, earliest death), then the lowest record number. A value
exactly at a threshold is not a hit: every comparison is strict (``>``).

The rules and their parameters are defined in :mod:`mpi.auditing.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mpi.auditing.ids import parse_ids
from mpi.auditing.rules_core import (
    Rule,
    best_per_row,
    days,
    empty_hits,
    make_hits,
    money,
    number_param,
    payment_texts,
    programmes_param,
    pull,
    record_texts,
)
from mpi.errors import ValidationError

if TYPE_CHECKING:
    from mpi.auditing.context import AuditContext

__all__ = [
    "check_paid_after_death", "check_business_owner", "check_vehicle_owner",
    "check_property_area", "check_taxed_income", "check_public_employee",
    "check_transferred_after_death", "household_sizes",
]  # fmt: skip


def _in_programmes(pay: pd.DataFrame, rows: np.ndarray, rule: Rule) -> np.ndarray:
    """Mask of ``rows`` whose programme is one of the rule's ``programmes`` (all if None)."""
    names = programmes_param(rule)
    if names is None:
        return np.ones(len(rows), dtype=bool)
    return pay["programme"].astype(str).isin(names).to_numpy()[rows]


def _restrict(pay: pd.DataFrame, links: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    return links[_in_programmes(pay, links["row"].to_numpy(), rule)]


def _value_rule(
    ctx: AuditContext, rule: Rule, kind: str, column: str, what: str, limit_key: str
) -> pd.DataFrame:
    """Hits of a rule "linked record's ``column`` > parameter ``limit_key``"."""
    limit = number_param(rule, limit_key)
    pay, reg = ctx.payments, ctx.registries[kind]
    links = _restrict(pay, ctx.linked(kind), rule)
    value = pd.to_numeric(reg[column], errors="coerce").to_numpy(dtype=float)
    links = links.assign(_v=value[links["registry_row"].to_numpy()])
    if kind == "tax" and "year" in reg.columns:  # income of a year: payments of that year
        year = pd.to_numeric(reg["year"], errors="coerce").to_numpy(dtype=float)
        paid = pay["paid_on"].dt.year.to_numpy(dtype=float)[links["row"].to_numpy()]
        links = links[paid == year[links["registry_row"].to_numpy()]]
    links = links[links["_v"].to_numpy() > limit]
    if links.empty:
        return empty_hits()
    best = best_per_row(links, then="_v", ascending=False)

    regrows = best["registry_row"].to_numpy()
    years = [""] * len(best)
    if kind == "tax" and "year" in reg.columns:
        years = [f" ({int(y)})" for y in pull(reg, "year", regrows)]
    evidence = [
        f"{rec}: {what} {money(v)} > {money(limit)}{y}; {p}"
        for rec, v, y, p in zip(
            record_texts(reg, kind, regrows), best["_v"].to_numpy(), years,
            payment_texts(pay, best["row"].to_numpy()), strict=True,
        )
    ]  # fmt: skip
    return _hits(pay, best, evidence)


def _hits(pay: pd.DataFrame, best: pd.DataFrame, evidence: list[str]) -> pd.DataFrame:
    rows = best["row"].to_numpy()
    return make_hits(
        rows, evidence, registry_row=best["registry_row"].tolist(),
        linked_by=best["linked_by"].tolist(), match_weight=best["match_weight"].to_numpy(),
        match_probability=best["match_probability"].to_numpy(),
        amount_at_risk=pay["amount"].to_numpy(dtype=float)[rows],
    )  # fmt: skip


def _age_entitlements(rule: Rule) -> dict[str, int]:
    """Parameter ``age_entitlements``: programme -> age in whole years ({} when None)."""
    value = rule.params.get("age_entitlements")
    if value is None:
        return {}
    ok = isinstance(value, Mapping) and all(
        isinstance(p, str)
        and isinstance(a, int | float | np.integer | np.floating)
        and not isinstance(a, bool)
        and a > 0
        and float(a).is_integer()
        for p, a in value.items()
    )
    if not ok:
        raise ValidationError(
            f"rule {rule.name!r}: parameter age_entitlements={value!r} must map programme "
            "names to the age in whole years that grants them, e.g. "
            "{'elderly_allowance': 80}, or be None (no age exception)"
        )
    return {p: int(a) for p, a in value.items()}


def _birth_dates(pay: pd.DataFrame, persons: np.ndarray) -> pd.Series:
    """Birth date per person key (index) of ``persons``, as written in the identity numbers
    of the person's payments: a valid number's first, else any number with a readable date."""
    rows = pay[pay["person"].isin(persons).to_numpy()]
    numbers = rows["id_clean"].astype(object).where(rows["id_clean"].notna(), rows["id_number"])
    parsed = parse_ids(numbers.reset_index(drop=True))
    frame = pd.DataFrame(
        {
            "person": rows["person"].to_numpy(),
            "valid": parsed["valid"].to_numpy(dtype=bool),
            "born": parsed["birth_date"].to_numpy(dtype="datetime64[ns]"),
        }
    )
    frame = frame[frame["born"].notna().to_numpy()]
    frame = frame.sort_values(["person", "valid"], ascending=[True, False], kind="stable")
    return frame.drop_duplicates("person").set_index("person")["born"]


def _entitled_by_age(
    pay: pd.DataFrame, cand: pd.DataFrame, ages: dict[str, int], months: int
) -> np.ndarray:
    """Mask of ``cand`` (transfer candidates) whose start of a programme of ``ages`` follows
    the relative's birthday of that age by at most ``months`` calendar months."""
    need = cand["programme"].astype(str).map(ages).to_numpy(dtype=float)  # NaN: no age rule
    out = np.zeros(len(cand), dtype=bool)
    some = ~np.isnan(need)
    if not some.any():
        return out
    born = pd.Series(
        _birth_dates(pay, cand["person"].to_numpy()[some])
        .reindex(cand["person"].to_numpy()[some])
        .to_numpy(dtype="datetime64[ns]")
    )
    start = pd.Series(cand["_start"].to_numpy(dtype="datetime64[ns]")[some])
    age = need[some]
    later_in_year = (start.dt.month * 100 + start.dt.day) < (born.dt.month * 100 + born.dt.day)
    reached = (start.dt.year - born.dt.year - later_in_year.astype(float)).to_numpy() >= age
    gap = (
        (start.dt.year * 12 + start.dt.month) - ((born.dt.year + age) * 12 + born.dt.month)
    ).to_numpy(dtype=float)
    out[some] = reached & (gap <= months) & ~np.isnan(gap)
    return out


def check_paid_after_death(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
    """Payments dated more than ``grace_days`` days after the person's recorded death.

    Parameters
    ----------
    ctx : AuditContext
        The audit's tables and links (needs the ``death`` registry, ``died_on``).
    rule : Rule
        Parameters ``grace_days`` (payments on ``died_on + grace_days`` or before are not
        hits) and ``programmes`` (None: every programme).

    Returns
    -------
    pandas.DataFrame
        The hits; ``amount_at_risk`` is the payment's amount.
    """
    grace = number_param(rule, "grace_days")
    pay, reg = ctx.payments, ctx.registries["death"]
    links = _restrict(pay, ctx.linked("death"), rule)
    died = reg["died_on"].to_numpy(dtype="datetime64[ns]")[links["registry_row"].to_numpy()]
    paid = pay["paid_on"].to_numpy(dtype="datetime64[ns]")[links["row"].to_numpy()]
    links = links.assign(_v=died)
    after = paid > died + np.timedelta64(int(round(grace * 86400)), "s")
    links = links[after & ~np.isnat(died) & ~np.isnat(paid)]
    if links.empty:
        return empty_hits()
    best = best_per_row(links, then="_v", ascending=True)
    evidence = [
        f"{rec} died {d}; {p}"
        for rec, d, p in zip(
            record_texts(reg, "death", best["registry_row"].to_numpy()),
            days(best["_v"].to_numpy()),
            payment_texts(pay, best["row"].to_numpy()),
            strict=True,
        )
    ]
    return _hits(pay, best, evidence)


def check_business_owner(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
    """Payments to a person registered as owner of a business with capital above
    ``threshold``.

    Parameters
    ----------
    ctx : AuditContext
        Needs the ``business`` registry (``registered_capital``, yuan).
    rule : Rule
        Parameters ``threshold`` (yuan; strict ``>``) and ``programmes``.

    Returns
    -------
    pandas.DataFrame
        The hits; ``amount_at_risk`` is the payment's amount.
    """
    return _value_rule(
        ctx, rule, "business", "registered_capital", "registered capital", "threshold"
    )


def check_vehicle_owner(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
    """Payments to a person owning a registered vehicle worth more than ``threshold``.

    Parameters
    ----------
    ctx : AuditContext
        Needs the ``vehicle`` registry (``vehicle_value``, yuan; one record per vehicle).
    rule : Rule
        Parameters ``threshold`` (yuan; strict ``>``, per vehicle) and ``programmes``.

    Returns
    -------
    pandas.DataFrame
        The hits; ``amount_at_risk`` is the payment's amount.
    """
    return _value_rule(ctx, rule, "vehicle", "vehicle_value", "vehicle value", "threshold")


def check_taxed_income(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
    """Payments to a person whose taxed annual income is above ``line``.

    When the tax registry has a ``year`` column, only payments made in that year are hits.

    Parameters
    ----------
    ctx : AuditContext
        Needs the ``tax`` registry (``annual_income``, yuan; optional ``year``).
    rule : Rule
        Parameters ``line`` (yuan a year; strict ``>``) and ``programmes``.

    Returns
    -------
    pandas.DataFrame
        The hits; ``amount_at_risk`` is the payment's amount.
    """
    return _value_rule(ctx, rule, "tax", "annual_income", "taxed annual income", "line")


def check_public_employee(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
    """Payments to a person on the public-employee (staff) register.

    Parameters
    ----------
    ctx : AuditContext
        Needs the ``staff`` registry (``id_number``, ``name``).
    rule : Rule
        Parameter ``programmes``.

    Returns
    -------
    pandas.DataFrame
        The hits; ``amount_at_risk`` is the payment's amount.
    """
    pay, reg = ctx.payments, ctx.registries["staff"]
    links = _restrict(pay, ctx.linked("staff"), rule)
    if links.empty:
        return empty_hits()
    best = best_per_row(links)
    evidence = [
        f"{rec} is a public employee; {p}"
        for rec, p in zip(
            record_texts(reg, "staff", best["registry_row"].to_numpy()),
            payment_texts(pay, best["row"].to_numpy()),
            strict=True,
        )
    ]
    return _hits(pay, best, evidence)


def household_sizes(pay: pd.DataFrame) -> pd.Series:
    """Members per payment row's household: the row's ``household_size`` when the payments
    have one, else the number of distinct persons with that ``household_id``, else 1.

    Parameters
    ----------
    pay : pandas.DataFrame
        ``context.payments``.

    Returns
    -------
    pandas.Series
        float64, indexed like ``pay``.
    """
    size = pd.Series(1.0, index=pay.index)
    hh = pay["household_id"]
    known = hh.notna()
    if known.any():
        counted = pay.loc[known, "person"].groupby(hh[known]).transform("nunique")
        size[known] = counted.to_numpy(dtype=float)
    if "household_size" in pay.columns:
        given = pd.to_numeric(pay["household_size"], errors="coerce")
        size = given.where(given > 0, size).astype(float)
    return size


def check_property_area(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
    """Payments to a household whose registered floor area per member is above
    ``threshold`` m².

    The floor area of a household is the sum over the distinct property records linked to
    any of its members (a payment without ``household_id`` is a household of its person);
    it is divided by the household size (:func:`household_sizes`). Every payment of the
    household is a hit; the link shown is the household's most probable one.

    Parameters
    ----------
    ctx : AuditContext
        Needs the ``property`` registry (``floor_area``, m²).
    rule : Rule
        Parameters ``threshold`` (m² per member; strict ``>``) and ``programmes`` (of the
        payments that are hits).

    Returns
    -------
    pandas.DataFrame
        The hits; ``amount_at_risk`` is the payment's amount.
    """
    limit = number_param(rule, "threshold")
    pay, reg = ctx.payments, ctx.registries["property"]
    links = ctx.linked("property")
    if links.empty:
        return empty_hits()
    unit = pay["household_id"].astype(object).where(
        pay["household_id"].notna(), "person " + pay["person"].astype(str)
    ).to_numpy()  # fmt: skip
    area = pd.to_numeric(reg["floor_area"], errors="coerce").to_numpy(dtype=float)
    links = links.assign(_u=unit[links["row"].to_numpy()])
    records = links.drop_duplicates(["_u", "registry_row"])
    records = records.assign(_a=np.nan_to_num(area[records["registry_row"].to_numpy()]))
    total = records.groupby("_u")["_a"].sum()
    size = household_sizes(pay).to_numpy()
    by_unit = pd.Series(size, index=unit).groupby(level=0).max()
    per = total / by_unit.reindex(total.index).to_numpy()
    bad = per[per.to_numpy() > limit]
    if bad.empty:
        return empty_hits()
    best = (
        links[links["_u"].isin(bad.index)]
        .assign(_p=lambda d: d["match_probability"].fillna(-1.0),
                _w=lambda d: d["match_weight"].fillna(np.inf))
        .sort_values(["_u", "_p", "_w", "registry_row"], ascending=[True, False, False, True])
        .drop_duplicates("_u")
        .set_index("_u")
    )  # fmt: skip
    rows = np.flatnonzero(pd.Series(unit).isin(bad.index).to_numpy())
    rows = rows[_in_programmes(pay, rows, rule)]
    if len(rows) == 0:
        return empty_hits()
    # one text per offending household, then one per payment
    own = records[records["_u"].isin(bad.index)].sort_values(["_u", "registry_row"])
    nums = own.groupby("_u")["registry_row"].agg(lambda r: ", ".join(map(str, r)))
    first = own.drop_duplicates("_u").set_index("_u")["registry_row"]
    head = {
        key: f"property registry record{'s' if ', ' in n else ''} {n} ({nm}, {i}): "
        f"{t:,.4g} m² for {k:g} household member(s) = {a:,.4g} m² per member > "
        f"{limit:,.4g} m²"
        for key, n, nm, i, t, k, a in zip(
            nums.index, nums.to_numpy(), pull(reg, "name", first[nums.index].to_numpy()),
            pull(reg, "id_number", first[nums.index].to_numpy()),
            total.reindex(nums.index).to_numpy(), by_unit.reindex(nums.index).to_numpy(),
            bad.reindex(nums.index).to_numpy(), strict=True,
        )
    }  # fmt: skip
    u = unit[rows]
    link = best.loc[u]
    evidence = [f"{head[key]}; {p}" for key, p in zip(u, payment_texts(pay, rows), strict=True)]
    return make_hits(
        rows, evidence, registry_row=link["registry_row"].tolist(),
        linked_by=link["linked_by"].tolist(), match_weight=link["match_weight"].to_numpy(),
        match_probability=link["match_probability"].to_numpy(),
        amount_at_risk=pay["amount"].to_numpy(dtype=float)[rows],
    )  # fmt: skip


def check_transferred_after_death(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
    """A deceased beneficiary's personal allowance taken up by a member of the same household.

    A hit is a payment of programme P to person M when: a person D of the same
    ``household_id`` (D ≠ M) is linked to a death record with date ``died_on``, D was paid by
    P on or before ``died_on``, M's first payment of P is after ``died_on`` and at most
    ``months`` calendar months later (month of M's first payment − month of death ≤
    ``months``). Every payment of P to M from that first one on is a hit.

    Only programmes of ``programmes`` are checked (by default the personal allowances, which
    end with their holder; see :mod:`mpi.auditing.rules`), never those of ``exclude``
    (household benefits, whose payee legitimately changes when the payee dies). A programme
    of ``age_entitlements`` (programme -> age A in years) is granted by age: M's start is not
    a hit when M reached age A on or before the first payment and at most ``months`` calendar
    months before it (month of the first payment − month of M's A-th birthday ≤ ``months``),
    M's birth date being the one written in M's identity number (a valid number of M's
    payments first, else any number whose date can be read). The start is then M's own new
    entitlement, not D's allowance continuing. A person whose birth date cannot be read is
    not excused.

    Parameters
    ----------
    ctx : AuditContext
        Needs the ``death`` registry and ``household_id`` in the payments.
    rule : Rule
        Parameters ``months``, ``programmes`` (None: every programme), ``exclude`` and
        ``age_entitlements`` (a mapping programme -> whole years; empty or None: no age
        exception).

    Returns
    -------
    pandas.DataFrame
        The hits, carrying the link of the deceased to the death record;
        ``amount_at_risk`` is the payment's amount.

    Raises
    ------
    ValidationError
        When ``age_entitlements`` is not a mapping of programme names to positive whole
        years.
    """
    months = int(number_param(rule, "months"))
    ages = _age_entitlements(rule)
    pay, reg = ctx.payments, ctx.registries["death"]
    links = ctx.linked("death")
    if links.empty or pay["household_id"].isna().all():
        return empty_hits()
    died = reg["died_on"].to_numpy(dtype="datetime64[ns]")
    best = best_per_row(links.assign(_d=died[links["registry_row"].to_numpy()]), then="_d")
    best = best[~np.isnat(best["_d"].to_numpy(dtype="datetime64[ns]"))]
    frame = pay[["programme", "paid_on", "household_id", "person"]].assign(row=np.arange(len(pay)))[
        pay["household_id"].notna().to_numpy()
    ]
    dead = frame.merge(best, on="row")
    dead = dead[dead["paid_on"] <= dead["_d"]]  # the deceased's own payments before death
    if dead.empty:
        return empty_hits()
    dead = dead.sort_values(["paid_on", "row"], ascending=[False, False]).drop_duplicates(
        ["household_id", "programme", "person"]
    )  # the deceased's last payment of each programme before death
    first = frame.groupby(["person", "programme"])["paid_on"].transform("min")
    starts = frame.assign(_start=first)
    cand = starts.merge(
        dead[["household_id", "programme", "person", "row", "registry_row", "_d", "linked_by",
              "match_weight", "match_probability"]].rename(
            columns={"person": "_dead", "row": "_dead_row"}),
        on=["household_id", "programme"],
    )  # fmt: skip
    cand = cand[cand["person"] != cand["_dead"]]
    gap = (cand["_start"].dt.year * 12 + cand["_start"].dt.month) - (
        cand["_d"].dt.year * 12 + cand["_d"].dt.month
    )
    cand = cand[(cand["_start"] > cand["_d"]) & (gap <= months)]
    cand = cand[_in_programmes(pay, cand["row"].to_numpy(), rule)]
    skip = programmes_param(rule, "exclude")
    if skip is not None:
        cand = cand[~cand["programme"].astype(str).isin(skip).to_numpy()]
    if ages and not cand.empty:
        cand = cand[~_entitled_by_age(pay, cand, ages, months)]
    if cand.empty:
        return empty_hits()
    cand = best_per_row(cand, then="_d")
    rows, dead_rows = cand["row"].to_numpy(), cand["_dead_row"].to_numpy()
    evidence = [
        f"{rec} died {d}, paid {prog} until then (payment row {dr}, household {hh}); {nm} of "
        f"the same household starts {prog} {s}; {p}"
        for rec, d, prog, dr, hh, nm, s, p in zip(
            record_texts(reg, "death", cand["registry_row"].to_numpy()),
            days(cand["_d"].to_numpy()), pull(pay, "programme", rows), dead_rows,
            pull(pay, "household_id", rows), pull(pay, "name", rows),
            days(cand["_start"].to_numpy()), payment_texts(pay, rows), strict=True,
        )
    ]  # fmt: skip
    return _hits(pay, cand, evidence)
