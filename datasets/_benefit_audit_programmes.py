"""The 12 programme lists of ``benefit_audit``: who is paid what and when, 2020-2023.

Eligibility follows the county's households (registered poor, minimum-living-guarantee
(dibao) households, single elderly people in extreme-poverty support (tekun), disabled and
elderly persons); payments are monthly (dibao, tekun, disability and elderly allowances,
ecological rangers), yearly (relocation follow-up support, education grants, micro-credit
interest subsidies, employment subsidies) or one per event (medical and temporary assistance,
housing renovation). Deaths stop payments. This private module draws the *clean* lists as
:class:`Enrolment` objects; :mod:`datasets._benefit_audit_plant` plants the anomalies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from ._benefit_audit_people import REFERENCE_DATE

__all__ = [
    "END",
    "MONTHS",
    "PAY_DAY",
    "PERIODS",
    "PROGRAMMES",
    "County",
    "Enrolment",
    "alive_member",
    "draw_county_facts",
    "draw_programmes",
    "enrol",
    "month_index",
    "monthly_dates",
]

#: Programme keys, in the order of the beneficiaries table.
PROGRAMMES: Final = (
    "dibao",
    "tekun",
    "relocation",
    "education_grant",
    "microcredit_subsidy",
    "medical_assistance",
    "housing_renovation",
    "disability_allowance",
    "elderly_allowance",
    "employment_subsidy",
    "ecological_ranger",
    "temporary_assistance",
)
#: How often each programme pays a person: once a "month", once a "year" or per "event".
PERIODS: Final = {
    "dibao": "month",
    "tekun": "month",
    "relocation": "year",
    "education_grant": "year",
    "microcredit_subsidy": "year",
    "medical_assistance": "event",
    "housing_renovation": "event",
    "disability_allowance": "month",
    "elderly_allowance": "month",
    "employment_subsidy": "year",
    "ecological_ranger": "month",
    "temporary_assistance": "event",
}
#: Day of the month of the monthly payments.
PAY_DAY: Final = {
    "dibao": 10,
    "tekun": 12,
    "disability_allowance": 15,
    "elderly_allowance": 18,
    "ecological_ranger": 5,
}
#: First days of the 48 months paid, 2020-01 to 2023-12.
MONTHS: Final = pd.date_range("2020-01-01", periods=48, freq="MS").to_numpy(dtype="datetime64[D]")
#: Last day of the period covered.
END: Final = np.datetime64("2023-12-31", "D")
_YEARS = (2020, 2021, 2022, 2023)


@dataclass
class Enrolment:
    """One person's payments in one programme list (one entry of the list)."""

    person: int  # row of the persons table
    programme: str
    village: str
    household_id: str
    household_size: int
    account: str
    dates: list[np.datetime64] = field(default_factory=list)
    amounts: list[float] = field(default_factory=list)
    id_error: str = ""
    name_error: str = ""
    id_shown: str = ""
    name_shown: str = ""

    def add(self, date: np.datetime64, amount: float) -> None:
        """Append one payment."""
        self.dates.append(np.datetime64(date, "D"))
        self.amounts.append(round(float(amount), 2))


@dataclass
class County:
    """The persons with the derived facts the programmes and registries need."""

    persons: pd.DataFrame
    age: np.ndarray  # at REFERENCE_DATE, years
    died: np.ndarray  # datetime64[D], NaT when alive at END
    disabled: np.ndarray
    poor: np.ndarray  # by person: household registered poor
    dibao: np.ndarray  # by person: household in dibao
    members: dict[str, list[int]]  # household_id -> person rows (head first)
    villages: list[str]


def monthly_dates(programme: str, first: int, last: int, died: np.datetime64) -> list:
    """Pay dates of months ``first..last`` (indices into :data:`MONTHS`) before ``died``."""
    out = []
    for m in range(max(first, 0), min(last, len(MONTHS) - 1) + 1):
        d = MONTHS[m] + np.timedelta64(PAY_DAY[programme] - 1, "D")
        if not np.isnat(died) and d >= died:
            break
        out.append(d)
    return out


def month_index(date: np.datetime64) -> int:
    """Index into :data:`MONTHS` of the month of ``date``."""
    d = pd.Timestamp(date)
    return (d.year - 2020) * 12 + d.month - 1


def draw_county_facts(rng: np.random.Generator, persons: pd.DataFrame, villages: list) -> County:
    """Deaths (2020-2023), disability and the poverty status of households.

    Parameters
    ----------
    rng : numpy.random.Generator
        The random stream.
    persons : pandas.DataFrame
        From :func:`datasets._benefit_audit_people.draw_county`.
    villages : list of str
        The villages.

    Returns
    -------
    County
    """
    n = len(persons)
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    age = (REFERENCE_DATE - birth).astype(np.int64) / 365.25
    died = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    for y in range(4):
        q = np.minimum(0.45, np.exp(-9.6 + 0.088 * (age + y)))
        hit = np.isnat(died) & (rng.random(n) < q)
        died[hit] = np.datetime64(f"{2020 + y}-01-01") + rng.integers(0, 365, hit.sum()).astype(
            "timedelta64[D]"
        )
    disabled = rng.random(n) < 0.012 + 0.0005 * age
    hh = persons["household_id"].to_numpy()
    members: dict[str, list[int]] = {}
    for i, h in enumerate(hh):
        members.setdefault(h, []).append(i)
    poor = np.zeros(n, dtype=bool)
    dib = np.zeros(n, dtype=bool)
    for rows in members.values():
        p = (
            0.09
            + 0.08 * (age[rows[0]] > 65)
            + 0.15 * disabled[rows].any()
            + 0.05 * (len(rows) == 1)
        )
        is_poor = rng.random() < p
        is_dibao = rng.random() < (0.33 if is_poor else 0.015)
        poor[rows] = is_poor
        dib[rows] = is_dibao
    return County(persons, age, died, disabled, poor, dib, members, villages)


def enrol(c: County, i: int, programme: str) -> Enrolment:
    """An empty enrolment of person row ``i`` in ``programme`` (household facts filled)."""
    p = c.persons
    h = p["household_id"].iat[i]
    return Enrolment(
        person=i,
        programme=programme,
        village=p["village"].iat[i],
        household_id=h,
        household_size=len(c.members[h]),
        account=p["account"].iat[i],
    )


def alive_member(c: County, rows: list[int], at: np.datetime64, adult: bool = True) -> int | None:
    """The first of ``rows`` alive at ``at`` (and adult), or None."""
    for r in rows:
        alive = np.isnat(c.died[r]) or c.died[r] > at
        if alive and (not adult or c.age[r] >= 18):
            return r
    return None


def _yearly(
    c: County, rng: np.random.Generator, i: int, prog: str, month: int, amounts: dict
) -> Enrolment:
    """Pay person ``i`` once in each year of ``amounts`` (year -> amount) while alive."""
    e = enrol(c, i, prog)
    for year, amount in amounts.items():
        d = np.datetime64(f"{year}-{month:02d}-01") + np.timedelta64(int(rng.integers(0, 25)), "D")
        if np.isnat(c.died[i]) or d < c.died[i]:
            e.add(d, amount)
    return e


def draw_programmes(rng: np.random.Generator, c: County) -> list[Enrolment]:
    """The clean programme lists (no anomaly), one :class:`Enrolment` per person and programme.

    Parameters
    ----------
    rng : numpy.random.Generator
        The random stream.
    c : County
        The county.

    Returns
    -------
    list of Enrolment
    """
    out: list[Enrolment] = []
    keep = out.append

    def push(e: Enrolment | None) -> None:
        if e is not None and e.dates:
            keep(e)

    age = c.age
    for rows in c.members.values():
        head = rows[0]
        size = len(rows)
        # dibao: the household head is paid; on the head's death the next adult takes over.
        if c.dibao[head]:
            first = 0 if rng.random() < 0.7 else int(rng.integers(1, 48))
            last = first + int(rng.geometric(0.012)) - 1
            per_person = float(rng.integers(18, 33) * 10)
            payee, start = head, first
            while payee is not None and start <= min(last, 47):
                e = enrol(c, payee, "dibao")
                for d in monthly_dates("dibao", start, last, c.died[payee]):
                    e.add(d, size * per_person * (1 + 0.05 * (pd.Timestamp(d).year - 2020)))
                push(e)
                if np.isnat(c.died[payee]):
                    break
                start = month_index(c.died[payee]) + 1
                payee = alive_member(c, [r for r in rows if r != payee], c.died[payee])
        # tekun: single elderly people without support (never together with dibao).
        if size == 1 and age[head] >= 60 and not c.dibao[head] and rng.random() < 0.2:
            e = enrol(c, head, "tekun")
            for d in monthly_dates("tekun", 0, 47, c.died[head]):
                e.add(d, 750 + 50 * (pd.Timestamp(d).year - 2020))
            push(e)
        if c.poor[head]:
            if rng.random() < 0.12:  # relocated before 2020: yearly follow-up support
                payee = alive_member(c, rows, np.datetime64("2020-06-01")) or head
                push(_yearly(c, rng, payee, "relocation", 6, {y: 800.0 * size for y in _YEARS}))
            if 25 <= age[head] <= 65 and rng.random() < 0.25:
                y0 = int(rng.integers(2020, 2022))
                loan = float(rng.choice([30000, 40000, 50000]))
                amounts = {y: loan * 0.0435 for y in range(y0, y0 + 3)}
                push(_yearly(c, rng, head, "microcredit_subsidy", 12, amounts))
            if rng.random() < 0.08:
                e = enrol(c, head, "housing_renovation")
                d = np.datetime64(f"{int(rng.integers(2020, 2022))}-03-01") + np.timedelta64(
                    int(rng.integers(0, 240)), "D"
                )
                if np.isnat(c.died[head]) or d < c.died[head]:
                    e.add(d, float(rng.integers(30, 71) * 500))
                push(e)
            workers = [r for r in rows if 25 <= age[r] <= 58]
            if workers and rng.random() < 0.3:
                r = workers[int(rng.integers(len(workers)))]
                e = enrol(c, r, "ecological_ranger")
                first = 0 if rng.random() < 0.6 else 12
                last = 47 if rng.random() < 0.8 else first + 12 * int(rng.integers(1, 3)) - 1
                for d in monthly_dates("ecological_ranger", first, last, c.died[r]):
                    e.add(d, 800.0)
                push(e)
        # temporary assistance: at most one payment a year per household.
        p_temp = 0.08 if (c.poor[head] or c.dibao[head]) else 0.012
        temp: Enrolment | None = None
        for y in _YEARS:
            if rng.random() < p_temp:
                d = np.datetime64(f"{y}-01-01") + np.timedelta64(int(rng.integers(0, 365)), "D")
                payee = alive_member(c, rows, d)
                if payee is None:
                    continue
                if temp is None or temp.person != payee:
                    push(temp)
                    temp = enrol(c, payee, "temporary_assistance")
                temp.add(d, float(min(3000, 300 + 50 * int(rng.gamma(2.0, 6.0)))))
        push(temp)
    for i in range(len(c.persons)):
        support = c.poor[i] or c.dibao[i]
        # education grants: pupils and students of poor and dibao households, each autumn.
        if support:
            grants = {}
            for y in _YEARS:
                a = age[i] + (y - 2020) + 0.67
                if 6 <= a < 23:
                    grants[y] = (
                        1000.0 if a < 12 else 1250.0 if a < 15 else 2000.0 if a < 18 else 3000.0
                    )
            if grants:
                push(_yearly(c, rng, i, "education_grant", 9, grants))
            if 18 <= age[i] <= 55:
                years = {y: float(rng.integers(5, 11) * 100) for y in _YEARS if rng.random() < 0.35}
                push(_yearly(c, rng, i, "employment_subsidy", 12, years))
        # disability allowances (living and care subsidies), monthly.
        if c.disabled[i] and (support or rng.random() < 0.3):
            e = enrol(c, i, "disability_allowance")
            amount = 160.0 if rng.random() < 0.3 else 80.0
            for d in monthly_dates("disability_allowance", 0, 47, c.died[i]):
                e.add(d, amount)
            push(e)
        # elderly allowance: everyone from the month after the 80th birthday.
        if age[i] + 4 >= 80:
            e = enrol(c, i, "elderly_allowance")
            for d in monthly_dates("elderly_allowance", 0, 47, c.died[i]):
                a = age[i] + (d - REFERENCE_DATE).astype(np.int64) / 365.25
                if a >= 80 + 1 / 12:
                    e.add(d, 100.0 if a < 90 else 200.0 if a < 100 else 300.0)
            push(e)
        # medical assistance: hospital bills of poor, dibao and elderly people.
        if support or age[i] >= 70:
            e = enrol(c, i, "medical_assistance")
            for y in _YEARS:
                for _ in range(int(rng.poisson(0.12))):
                    d = np.datetime64(f"{y}-01-01") + np.timedelta64(int(rng.integers(0, 365)), "D")
                    if np.isnat(c.died[i]) or d < c.died[i]:
                        e.add(d, float(np.clip(np.rint(rng.lognormal(7.3, 0.9)), 200, 30000)))
            if e.dates:
                order = np.argsort(np.array(e.dates))
                e.dates = [e.dates[k] for k in order]
                e.amounts = [e.amounts[k] for k in order]
            push(e)
    return out
