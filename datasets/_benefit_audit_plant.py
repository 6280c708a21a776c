"""Planted anomalies, reference registries and dirty identifiers of ``benefit_audit``.

Every planted anomaly is an :class:`Anomaly`: its kind (the name of the rule of
:mod:`mpi.audit` that should find it), the person and programme, and the enrolments whose
payments are irregular (``rows`` picks some payments of an enrolment, ``None`` all of them).
The registries (death, business, vehicle, property, tax, staff) cover the county's residents
at realistic rates plus residents of the rest of the prefecture; beneficiaries appear in them
only below the thresholds of :data:`THRESHOLDS` unless an anomaly is planted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from ._benefit_audit_people import draw_outsiders, name_variant
from ._benefit_audit_programmes import (
    MONTHS,
    PERIODS,
    County,
    Enrolment,
    alive_member,
    enrol,
    month_index,
    monthly_dates,
)

__all__ = [
    "ANOMALY_COUNTS",
    "THRESHOLDS",
    "Anomaly",
    "draw_registries",
    "plant_dirty",
    "plant_payments",
]

#: Limits above which a beneficiary is out of line (the values used to plant anomalies).
THRESHOLDS: Final = {
    "registered_capital": 100_000.0,  # yuan, business registration
    "vehicle_value": 50_000.0,  # yuan
    "floor_area_per_person": 60.0,  # m2 of registered property per household member
    "annual_income": 60_000.0,  # yuan of taxed income a year
    "approval_amount": 1_000.0,  # yuan: temporary assistance above needs county approval
    "transfer_months": 6,  # months after a death within which a benefit moves to a relative
}
#: Planted anomalies (incidents) by kind at ``scale=1``.
ANOMALY_COUNTS: Final = {
    "paid_after_death": 40,
    "exclusive_programmes": 20,
    "duplicate_in_period": 30,
    "business_owner": 20,
    "vehicle_owner": 20,
    "property_area": 20,
    "taxed_income": 20,
    "public_employee": 20,
    "household_in_two_villages": 15,
    "split_payments": 20,
    "shared_account": 8,
    "transferred_after_death": 15,
}
_MONTHLY = ("tekun", "disability_allowance", "elderly_allowance", "ecological_ranger", "dibao")
_REGISTRY_KINDS = {
    "business_owner": "business",
    "vehicle_owner": "vehicle",
    "property_area": "property",
    "taxed_income": "tax",
    "public_employee": "staff",
}
_EMPLOYERS = (
    "县教育局",
    "县人民医院",
    "县公安局",
    "县财政局",
    "镇人民政府",
    "镇中心小学",
    "县农业农村局",
)


@dataclass
class Anomaly:
    """One planted anomaly: ``kind`` of ``person`` in ``programme``."""

    kind: str
    incident: int
    person: int
    programme: str
    parts: list[tuple[Enrolment, list[int] | None]] = field(default_factory=list)
    detail: str = ""


def _n(kind: str, scale: float) -> int:
    return max(1, round(ANOMALY_COUNTS[kind] * scale))


def _shuffled(rng: np.random.Generator, items: list) -> list:
    return [items[i] for i in rng.permutation(len(items))]


def _done(out: list[Anomaly], kind: str, scale: float) -> bool:
    return sum(a.kind == kind for a in out) >= _n(kind, scale)


def _pick(rng: np.random.Generator, items: list, k: int) -> list:
    if not items:
        return []
    idx = rng.choice(len(items), size=min(k, len(items)), replace=False)
    return [items[i] for i in sorted(idx)]


def plant_payments(
    rng: np.random.Generator, c: County, enrolments: list[Enrolment], scale: float, used: set
) -> list[Anomaly]:
    """Plant the anomalies found in the payments themselves (no registry needed but death).

    Parameters
    ----------
    rng : numpy.random.Generator
        The random stream.
    c : County
        The county.
    enrolments : list of Enrolment
        The clean lists; anomalous enrolments are appended and some are extended.
    scale : float
        Size relative to the bundled county.
    used : set
        Persons already carrying an anomaly (updated).

    Returns
    -------
    list of Anomaly
    """
    out: list[Anomaly] = []
    inc = iter(range(1, 10**9))
    base = list(enrolments)
    has: dict[tuple[int, str], Enrolment] = {(e.person, e.programme): e for e in base}

    def free(i: int) -> bool:
        return i not in used

    # paid after death: payments continue 2-12 months after the death.
    cands = [
        e
        for e in base
        if e.programme in _MONTHLY
        and (e.programme != "dibao" or e.household_size == 1)
        and not np.isnat(c.died[e.person])
        and c.died[e.person] <= np.datetime64("2023-10-01")
        and e.dates
        and free(e.person)
    ]
    for e in _shuffled(rng, cands):
        if _done(out, "paid_after_death", scale):
            break
        if not free(e.person):
            continue
        m = month_index(c.died[e.person])
        extra = monthly_dates(e.programme, m, m + int(rng.integers(2, 13)), np.datetime64("NaT"))
        extra = [d for d in extra if d >= c.died[e.person] and d > e.dates[-1]]
        if not extra:
            continue
        start = len(e.dates)
        for d in extra:
            e.add(d, e.amounts[-1])
        used.add(e.person)
        out.append(
            Anomaly("paid_after_death", next(inc), e.person, e.programme,
                    [(e, list(range(start, len(e.dates))))],
                    f"died {c.died[e.person]}; {len(extra)} payments after death")
        )  # fmt: skip
    # a deceased person's benefit moved to a relative of the same household.
    cands = []
    for e in base:
        if e.programme not in ("elderly_allowance", "disability_allowance") or np.isnat(
            c.died[e.person]
        ):
            continue
        if c.died[e.person] > np.datetime64("2023-06-01") or not free(e.person):
            continue
        h = c.persons["household_id"].iat[e.person]
        rel = [r for r in c.members[h] if r != e.person and (r, e.programme) not in has and c.age[r] >= 18 and free(r)
               and np.isnat(c.died[r])]  # fmt: skip
        if rel:
            cands.append((e, rel[0]))
    for e, r in _shuffled(rng, cands):
        if _done(out, "transferred_after_death", scale):
            break
        if not (free(e.person) and free(r)):
            continue
        m = month_index(c.died[e.person]) + int(rng.integers(1, THRESHOLDS["transfer_months"] + 1))
        t = enrol(c, r, e.programme)
        for d in monthly_dates(e.programme, m, 47, c.died[r]):
            t.add(d, e.amounts[-1])
        if not t.dates:
            continue
        enrolments.append(t)
        used.update((e.person, r))
        out.append(
            Anomaly("transferred_after_death", next(inc), r, e.programme, [(t, None)],
                    f"{e.programme} of person {e.person + 1} (died {c.died[e.person]}) "
                    f"paid to this relative from {t.dates[0]}")
        )  # fmt: skip
    # dibao and tekun exclude each other: tekun people also paid dibao.
    cands = [e for e in base if e.programme == "tekun" and len(e.dates) >= 6 and free(e.person)]
    for e in _shuffled(rng, cands):
        if _done(out, "exclusive_programmes", scale):
            break
        if not free(e.person):
            continue
        first = month_index(e.dates[int(rng.integers(0, len(e.dates) - 3))])
        t = enrol(c, e.person, "dibao")
        for d in monthly_dates("dibao", first, first + int(rng.integers(3, 25)), c.died[e.person]):
            t.add(d, float(rng.integers(18, 33) * 10))
        enrolments.append(t)
        used.add(e.person)
        out.append(Anomaly("exclusive_programmes", next(inc), e.person, "dibao", [(t, None)],
                           "also paid tekun in the same months"))  # fmt: skip
    # the same person listed twice in one programme: paid twice in some periods.
    cands = [
        e for e in base
        if PERIODS[e.programme] in ("month", "year") and len(e.dates) >= 3 and free(e.person)
    ]  # fmt: skip
    for e in _shuffled(rng, cands):
        if _done(out, "duplicate_in_period", scale):
            break
        if not free(e.person):
            continue
        k = 1 if PERIODS[e.programme] == "year" else int(rng.integers(1, 7))
        k = min(k, len(e.dates))
        s = int(rng.integers(0, len(e.dates) - k + 1))
        t = enrol(c, e.person, e.programme)
        for j in range(s, s + k):
            shift = int(rng.integers(0, 4)) if PERIODS[e.programme] == "month" else 0
            t.add(e.dates[j] + np.timedelta64(shift, "D"), e.amounts[j])
        enrolments.append(t)
        used.add(e.person)
        out.append(Anomaly("duplicate_in_period", next(inc), e.person, e.programme,
                           [(e, list(range(s, s + k))), (t, None)],
                           f"listed twice: {k} {PERIODS[e.programme]}(s) paid twice")
                   )  # fmt: skip
    # one household claiming in two villages: a second member claims in another village.
    household_level = ("dibao", "relocation", "microcredit_subsidy", "housing_renovation")
    cands = [
        e for e in base
        if e.programme in household_level and e.household_size >= 2 and free(e.person)
    ]  # fmt: skip
    for e in _shuffled(rng, cands):
        if _done(out, "household_in_two_villages", scale):
            break
        if not free(e.person):
            continue
        rows = c.members[e.household_id]
        other = alive_member(c, [r for r in rows if r != e.person and free(r)], e.dates[0])
        if other is None or len(c.villages) < 2:
            continue
        t = enrol(c, other, e.programme)
        t.village = c.villages[
            (c.villages.index(e.village) + 1 + int(rng.integers(0, len(c.villages) - 1)))
            % len(c.villages)
        ]
        for d, a in zip(e.dates, e.amounts, strict=True):
            if np.isnat(c.died[other]) or d < c.died[other]:
                t.add(d + np.timedelta64(int(rng.integers(0, 4)), "D"), a)
        if not t.dates:
            continue
        enrolments.append(t)
        used.update((e.person, other))
        out.append(Anomaly("household_in_two_villages", next(inc), other, e.programme, [(t, None)],
                           f"household {e.household_id} of {e.village} also listed in {t.village}")
                   )  # fmt: skip
    # split payments: temporary assistance in 2-4 payments in one month, each under the
    # approval amount, together above it.
    limit = THRESHOLDS["approval_amount"]
    heads = [rows[0] for rows in c.members.values() if free(rows[0]) and c.age[rows[0]] >= 18]
    for i in _shuffled(rng, heads):
        if _done(out, "split_payments", scale):
            break
        m = int(rng.integers(0, 48))
        start = MONTHS[m]
        if not np.isnat(c.died[i]) and c.died[i] <= start + np.timedelta64(28, "D"):
            continue
        k = int(rng.integers(2, 5))
        parts = [
            float(rng.integers(int(0.55 * limit / 10), int(0.99 * limit / 10)) * 10)
            for _ in range(k)
        ]
        days = np.sort(rng.choice(28, size=k, replace=False))
        t = enrol(c, i, "temporary_assistance")
        for d, a in zip(days, parts, strict=True):
            t.add(start + np.timedelta64(int(d), "D"), a)
        enrolments.append(t)
        used.add(i)
        out.append(Anomaly("split_payments", next(inc), i, "temporary_assistance", [(t, None)],
                           f"{k} payments in {str(start)[:7]} totalling {sum(parts):.0f}"))  # fmt: skip
    # one bank account shared by unrelated households (a cadre's account).
    by_village: dict[str, list[Enrolment]] = {}
    for e in base:
        if free(e.person) and e.account == c.persons["account"].iat[e.person]:
            by_village.setdefault(e.village, []).append(e)
    villages = [v for v, es in by_village.items() if len({e.household_id for e in es}) >= 4]
    accounts = set(c.persons["account"])
    for v in _pick(rng, villages, _n("shared_account", scale)):
        es: dict[str, Enrolment] = {}
        for e in by_village[v]:
            es.setdefault(e.household_id, e)
        group = _pick(rng, list(es.values()), int(rng.integers(2, 5)))
        while True:
            account = "6228" + "".join(map(str, rng.integers(0, 10, 15)))
            if account not in accounts:
                accounts.add(account)
                break
        incident = next(inc)
        for e in group:
            e.account = account
            used.add(e.person)
            out.append(Anomaly("shared_account", incident, e.person, e.programme, [(e, None)],
                               f"account {account} shared by {len(group)} households of {v}"))  # fmt: skip
    return out


def _value(
    rng: np.random.Generator, mean_log: float, sd: float, lo: float, hi: float, step: float
) -> float:
    return float(np.clip(np.rint(rng.lognormal(mean_log, sd) / step) * step, lo, hi))


def draw_registries(
    rng: np.random.Generator,
    c: County,
    enrolments: list[Enrolment],
    scale: float,
    used: set,
) -> tuple[dict[str, pd.DataFrame], list[Anomaly]]:
    """The six reference registries, with the registry anomalies planted.

    Parameters
    ----------
    rng : numpy.random.Generator
        The random stream.
    c : County
        The county.
    enrolments : list of Enrolment
        All enrolments (payees are kept below the thresholds unless planted).
    scale : float
        Size relative to the bundled county.
    used : set
        Persons already carrying an anomaly (updated).

    Returns
    -------
    registries : dict of str to pandas.DataFrame
        ``death``, ``business``, ``vehicle``, ``property``, ``tax``, ``staff``.
    anomalies : list of Anomaly
    """
    p = c.persons
    n = len(p)
    payee = np.zeros(n, dtype=bool)
    payee[[e.person for e in enrolments]] = True
    by_person: dict[int, list[Enrolment]] = {}
    for e in enrolments:
        by_person.setdefault(e.person, []).append(e)
    adult = (c.age >= 20) & (c.age <= 70)
    working = (c.age >= 22) & (c.age <= 58)
    hsize = p["household_id"].map({h: len(r) for h, r in c.members.items()}).to_numpy()
    taken = {i[:17] for i in p["id_number"]}
    rec: dict[str, list[tuple[int | None, dict]]] = {k: [] for k in _REGISTRY_KINDS.values()}
    lim = THRESHOLDS
    for i in range(n):
        if adult[i] and rng.random() < (0.02 if payee[i] else 0.045):
            v = _value(rng, np.log(80_000), 1.1, 10_000, 5_000_000, 1000)
            rec["business"].append(
                (
                    i,
                    {
                        "registered_capital": min(v, 0.95 * lim["registered_capital"])
                        if payee[i]
                        else v
                    },
                )
            )
        if adult[i] and rng.random() < (0.05 if payee[i] else 0.16):
            v = _value(rng, np.log(70_000), 0.8, 3000, 600_000, 500)
            rec["vehicle"].append(
                (i, {"vehicle_value": min(v, 0.9 * lim["vehicle_value"]) if payee[i] else v})
            )
        if (
            p["relation"].iat[i] == "head"
            and c.age[i] >= 22
            and rng.random() < (0.08 if payee[i] else 0.2)
        ):
            v = float(np.rint(rng.uniform(55, 160)))
            cap = np.floor(0.85 * lim["floor_area_per_person"] * hsize[i])
            rec["property"].append((i, {"floor_area": min(v, cap) if payee[i] else v}))
        if working[i] and rng.random() < (0.05 if payee[i] else 0.25):
            v = _value(rng, np.log(48_000), 0.5, 12_000, 500_000, 100)
            rec["tax"].append(
                (i, {"annual_income": min(v, 0.92 * lim["annual_income"]) if payee[i] else v})
            )
        if working[i] and not payee[i] and rng.random() < 0.02:
            rec["staff"].append((i, {"employer": _EMPLOYERS[rng.integers(len(_EMPLOYERS))]}))
    # registry anomalies: payees of working age with a record above the threshold.
    anomalies: list[Anomaly] = []
    inc = 10_000
    for kind, reg in _REGISTRY_KINDS.items():
        cands = [
            i for i in range(n)
            if payee[i] and i not in used and 22 <= c.age[i] <= 62 and np.isnat(c.died[i])
            and any(e.programme not in ("elderly_allowance", "education_grant") for e in by_person[i])
            and (kind != "property_area" or p["relation"].iat[i] == "head")
        ]  # fmt: skip
        for i in _pick(rng, cands, _n(kind, scale)):
            rec[reg] = [(j, v) for j, v in rec[reg] if j != i]
            if reg == "business":
                v = {
                    "registered_capital": _value(
                        rng, np.log(400_000), 0.8, 150_000, 5_000_000, 1000
                    )
                }
            elif reg == "vehicle":
                v = {"vehicle_value": float(rng.integers(16, 80) * 5000)}
            elif reg == "property":
                v = {"floor_area": float(np.ceil(hsize[i] * rng.uniform(65, 110)))}
            elif reg == "tax":
                v = {"annual_income": float(rng.integers(70, 200) * 1000)}
            else:
                v = {"employer": _EMPLOYERS[rng.integers(len(_EMPLOYERS))]}
            rec[reg].append((i, v))
            used.add(i)
            inc += 1
            for e in by_person[i]:
                anomalies.append(Anomaly(kind, inc, i, e.programme, [(e, None)],
                                         f"{reg} registry: " + ", ".join(f"{k} {x}" for k, x in v.items())))  # fmt: skip
    regs: dict[str, pd.DataFrame] = {}
    dead = np.flatnonzero(~np.isnat(c.died))
    out_dead = draw_outsiders(rng, max(1, round(0.4 * len(dead))), taken, 40, 95)
    died_out = np.datetime64("2016-01-01") + rng.integers(0, 8 * 365, len(out_dead)).astype(
        "timedelta64[D]"
    )
    regs["death"] = pd.DataFrame(
        {
            "id_number": np.r_[p["id_number"].to_numpy()[dead], out_dead["id_number"].to_numpy()],
            "name": np.r_[p["name"].to_numpy()[dead], out_dead["name"].to_numpy()],
            "died_on": np.r_[c.died[dead], died_out].astype("datetime64[ns]"),
        }
    )
    for reg, rows in rec.items():
        idx = np.array([i for i, _ in rows], dtype=np.int64)
        cols = list(rows[0][1]) if rows else []
        outs = draw_outsiders(rng, max(1, round(0.5 * len(rows))), taken, 22, 70)
        frame = pd.DataFrame(
            {
                "id_number": np.r_[p["id_number"].to_numpy()[idx], outs["id_number"].to_numpy()],
                "name": np.r_[p["name"].to_numpy()[idx], outs["name"].to_numpy()],
            }
        )
        for col in cols:
            mine = [v[col] for _, v in rows]
            if col == "employer":
                other = [_EMPLOYERS[k] for k in rng.integers(0, len(_EMPLOYERS), len(outs))]
            else:
                like = np.array(mine, dtype=np.float64)
                other = list(rng.choice(like, size=len(outs)) if len(like) else np.zeros(len(outs)))
            frame[col] = np.array(
                mine + list(other), dtype=object if col == "employer" else np.float64
            )
        regs[reg] = frame
    for reg in list(regs):
        regs[reg] = regs[reg].iloc[rng.permutation(len(regs[reg]))].reset_index(drop=True)
    if "registered_capital" not in regs["business"]:
        regs["business"]["registered_capital"] = np.zeros(len(regs["business"]))
    return {
        k: regs[k] for k in ("death", "business", "vehicle", "property", "tax", "staff")
    }, anomalies


def _dirty_id(rng: np.random.Generator, true: str, born: int) -> tuple[str, str]:
    kinds = ["transposed digits", "mistyped digit", "missing check character"]
    if born <= 1980:
        kinds.append("15-digit number")
    kind = kinds[rng.integers(len(kinds))]
    if kind == "transposed digits":
        pos = [j for j in range(16) if true[j] != true[j + 1]]
        j = pos[rng.integers(len(pos))]
        return true[:j] + true[j + 1] + true[j] + true[j + 2 :], kind
    if kind == "mistyped digit":
        j = int(rng.integers(0, 17))
        d = str((int(true[j]) + int(rng.integers(1, 10))) % 10)
        return true[:j] + d + true[j + 1 :], kind
    if kind == "missing check character":
        return true[:17], kind
    return true[:6] + true[8:17], kind


def plant_dirty(
    rng: np.random.Generator, c: County, enrolments: list[Enrolment], anomalous: dict[int, float]
) -> None:
    """Write the id number and name shown in each list, with planted errors.

    A dirty enrolment (4 % of the normal ones, 30 % of the anomalous ones, half of the second
    listings of a duplicate) has a wrong identity number (60 %), a name variant (25 %) or both
    (15 %); all its payments show the same error.

    Parameters
    ----------
    rng : numpy.random.Generator
        The random stream.
    c : County
        The county.
    enrolments : list of Enrolment
        Updated in place (``id_shown``, ``name_shown``, ``id_error``, ``name_error``).
    anomalous : dict of int to float
        Probability of an error by ``id()`` of the enrolments that carry an anomaly.
    """
    ids = c.persons["id_number"].to_numpy()
    names = c.persons["name"].to_numpy()
    years = c.persons["birth_date"].dt.year.to_numpy()
    for e in enrolments:
        e.id_shown, e.name_shown = ids[e.person], names[e.person]
        if rng.random() >= anomalous.get(id(e), 0.04):
            continue
        u = rng.random()
        if u < 0.75:
            e.id_shown, e.id_error = _dirty_id(rng, ids[e.person], int(years[e.person]))
        if u >= 0.6:
            variant = name_variant(rng, names[e.person])
            if variant is not None:
                e.name_shown, e.name_error = variant
            elif not e.id_error:
                e.id_shown, e.id_error = _dirty_id(rng, ids[e.person], int(years[e.person]))
