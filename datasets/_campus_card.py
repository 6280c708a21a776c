"""Generator of the synthetic ``campus_card`` tables: a semester of campus-card transactions.

The dataset imitates the campus-card (一卡通) records that Chinese universities mine to find
students in financial hardship -- the best-known example being a university that tops up the
card of students whose canteen spending falls below a threshold (reported as 200 yuan a month)
without asking them to apply. A fictional university in a central province (Anhui) records one
autumn semester, 2023-09-01 to 2024-01-14, of canteen meals, supermarket purchases, hot-water
showers and library entries for every student. Each student has a latent monthly living budget;
students whose budget is below :data:`HARDSHIP_BUDGET` yuan are the *truth* of financial
hardship. Off-campus eating, holidays spent at home, internships, lost cards and lighter
eaters make a naive canteen-spending rule err in both directions; the rule is written in user
code from :func:`monthly_canteen_spending` and evaluated with :func:`mpi.targeting` (see the
data card).

Students are drawn in fixed blocks of :data:`BLOCK_STUDENTS`; block ``b`` (students
``b * BLOCK_STUDENTS + 1`` onwards) draws all its students and their transactions from
``SeedSequence(seed, spawn_key=(b,))``. ``generate(n)`` is therefore a prefix of
``generate(m)`` for ``n <= m`` (students, truth and the transactions of those students).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from ._county_lsi import ALL_UNITS, POP_UNIT, TARGET
from ._county_lsi import PROVINCES as _PROVINCES
from ._errors import ValidationError
from ._io import write_csv_gz
from ._progress import progress as progress_bar

__all__ = [
    "AID",
    "BLOCK_STUDENTS",
    "BUNDLED_N",
    "BUNDLED_SEED",
    "CARD",
    "CATEGORIES",
    "COLLEGES",
    "DTYPES",
    "FORMATS",
    "HARDSHIP_BUDGET",
    "KINDS",
    "MAX_N",
    "MEALS",
    "NAME",
    "N_DAYS",
    "RULE_MONTHS",
    "SEMESTER_END",
    "SEMESTER_START",
    "generate",
    "generate_tables",
    "load",
    "monthly_canteen_spending",
    "write_csv",
]

NAME: Final = "campus_card"
CARD: Final = "campus_card.md"
FORMATS: Final = ("tables",)
FILES: Final = {
    "students": "campus_card_students.csv.gz",
    "transactions": "campus_card_transactions.csv.gz",
    "truth": "campus_card_truth.csv.gz",
}

#: Students and seed of the bundled files ``data/campus_card_*.csv.gz``.
BUNDLED_N: Final = 800
BUNDLED_SEED: Final = 2023
#: Students per internal block (each block has its own random stream).
BLOCK_STUDENTS: Final = 1024
#: Largest number of students accepted by :func:`generate`.
MAX_N: Final = 2_000_000

#: First day of the recorded semester (local time, 00:00).
SEMESTER_START: Final = np.datetime64("2023-09-01T00:00:00", "s")
#: End of the recorded semester (exclusive): the last day recorded is 2024-01-14.
SEMESTER_END: Final = np.datetime64("2024-01-15T00:00:00", "s")
N_DAYS: Final = int((SEMESTER_END - SEMESTER_START) // np.timedelta64(1, "D"))
#: Default months of :func:`monthly_canteen_spending`: the four full months on campus, over
#: which the data card's naive rule averages canteen spending.
RULE_MONTHS: Final = ("2023-09", "2023-10", "2023-11", "2023-12")
_DELTA: Final = "seconds_since_previous"  # time column of the bundled transactions file
#: Monthly living budget (yuan) below which a student is in financial hardship (the truth).
HARDSHIP_BUDGET: Final = 1000.0

# --- codebook --------------------------------------------------------------------------------------
COLLEGES: Final = (
    "mathematics",
    "physics",
    "chemistry",
    "life_sciences",
    "engineering",
    "computer_science",
    "management",
    "humanities",
)
SEXES: Final = ("female", "male")
AID: Final = ("none", "general", "difficult", "special")
KINDS: Final = ("canteen", "supermarket", "shower", "library")
MEALS: Final = ("breakfast", "lunch", "dinner")

#: Categories of the categorical columns, by table, in code order.
CATEGORIES: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "students": {
        "college": COLLEGES,
        "sex": SEXES,
        "hometown_province": _PROVINCES,
        "aid": AID,
    },
    "transactions": {"kind": KINDS, "meal": MEALS},
    "truth": {},
}

#: Column order and dtypes of the three tables.
DTYPES: Final[dict[str, dict[str, str]]] = {
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

# --- calendar ---------------------------------------------------------------------------------------
_DATES = SEMESTER_START.astype("datetime64[D]") + np.arange(N_DAYS)
_WEEKDAY = (_DATES.astype(np.int64) + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)


def _day(date: str) -> int:
    return int((np.datetime64(date, "D") - _DATES[0]) // np.timedelta64(1, "D"))


# Mid-Autumn Festival and National Day: 29 Sep - 6 Oct 2023 off, Sat 7 and Sun 8 Oct worked.
_GOLDEN_WEEK = np.arange(_day("2023-09-29"), _day("2023-10-06") + 1)
_MAKEUP_DAYS = np.array([_day("2023-10-07"), _day("2023-10-08")])
# New Year's Day: 30 Dec 2023 - 1 Jan 2024.
_NEW_YEAR = np.arange(_day("2023-12-30"), _day("2024-01-01") + 1)
# Freshmen's military training and the final examination weeks.
_TRAINING = np.arange(_day("2023-09-04"), _day("2023-09-17") + 1)
_EXAMS = np.arange(_day("2024-01-02"), _day("2024-01-12") + 1)
_REVIEW = np.arange(_day("2023-12-18"), _day("2024-01-01") + 1)

_OFF = np.zeros(N_DAYS, dtype=bool)  # weekends and public holidays
_OFF[_WEEKDAY >= 5] = True
_OFF[_MAKEUP_DAYS] = False
_OFF[_GOLDEN_WEEK] = True
_OFF[_NEW_YEAR] = True
_EXAM = np.zeros(N_DAYS, dtype=bool)
_EXAM[_EXAMS] = True
_REVIEWING = np.zeros(N_DAYS, dtype=bool)
_REVIEWING[_REVIEW] = True
_TRAINING_DAY = np.zeros(N_DAYS, dtype=bool)
_TRAINING_DAY[_TRAINING] = True
_WEEKEND_DAYS = np.flatnonzero((_WEEKDAY >= 5) & _OFF & ~np.isin(np.arange(N_DAYS), _GOLDEN_WEEK))

# --- model ------------------------------------------------------------------------------------------
_HOME: Final = _PROVINCES.index("Anhui")  # the university's province
_HOME_SHARE = 0.30  # students from the home province
_PROVINCE_POP = POP_UNIT * ALL_UNITS  # 2015 population of the provincial units
_HOMETOWN_P = (1 - _HOME_SHARE) * _PROVINCE_POP / _PROVINCE_POP.sum()
_HOMETOWN_P[_HOME] += _HOME_SHARE
_DEV = TARGET - 61.3  # province living-standard index relative to the national mean
_COLLEGE_P = np.array([0.10, 0.12, 0.10, 0.10, 0.20, 0.18, 0.10, 0.10])
_COLLEGE_FEMALE = np.array([0.35, 0.25, 0.40, 0.50, 0.20, 0.22, 0.55, 0.65])
_GRADE_P = np.array([0.26, 0.25, 0.25, 0.24])
_BUDGET_REF = 1820.0  # yuan a month, urban non-poor students from an average province
_BUDGET_SD = 0.37
# Canteen: lunch price (yuan) of a reference student, and the budget elasticity of prices.
_MEAL_PRICE = 9.5
_PRICE_ELASTICITY = 0.9
_FEMALE_PRICE = 0.8
_BREAKFAST_PRICE = 0.4
_DINNER_PRICE = 0.92
# Logits of eating a meal in the canteen on a working day (reference student) and their slopes
# in log budget; shifts for days off, exams, military training and off-campus eaters.
_MEAL_LOGIT = np.array([-0.3, 1.8, 1.3])
_MEAL_BUDGET_SLOPE = np.array([0.6, 0.6, 0.6])
_MEAL_OFF = np.array([-1.0, -0.6, -0.5])
_MEAL_EXAM = np.array([0.6, 0.5, 0.5])
_MEAL_TRAINING = np.array([2.5, 1.0, 1.0])
_MEAL_OFF_CAMPUS = np.array([-1.2, -1.9, -1.9])
# Times of day (hours): mean, sd, lower and upper clip.
_MEAL_TIME = np.array([[7.5, 0.45, 6.5, 9.5], [11.9, 0.35, 10.75, 13.5], [17.9, 0.45, 16.75, 20.0]])


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _times(
    rng: np.random.Generator, m: int, mean: float, sd: float, lo: float, hi: float
) -> np.ndarray:
    """Seconds after midnight: normal hours of day clipped to ``[lo, hi]``."""
    hours = np.clip(rng.normal(mean, sd, m), lo, hi)
    return np.minimum(np.rint(hours * 3600.0), 86_399).astype(np.int64)


def _block(seed: int, block: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Draw one full block of :data:`BLOCK_STUDENTS` students and their transactions.

    Parameters
    ----------
    seed : int
        The user seed.
    block : int
        Index of the block; it draws from ``SeedSequence(seed, spawn_key=(block,))``.

    Returns
    -------
    students : dict of str to numpy.ndarray
        Student and truth columns (categoricals as int8 codes), without ``student_id``.
    transactions : dict of str to numpy.ndarray
        ``student`` (0-based index within the block), ``seconds`` (since the semester start),
        ``kind``, ``meal`` (-1 if not a meal) and ``cents``, sorted by student and time.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    s = BLOCK_STUDENTS
    d = N_DAYS

    # --- students ---
    college = rng.choice(len(COLLEGES), s, p=_COLLEGE_P)
    female = rng.random(s) < _COLLEGE_FEMALE[college]
    grade = 1 + rng.choice(4, s, p=_GRADE_P)
    province = rng.choice(len(_PROVINCES), s, p=_HOMETOWN_P)
    local = province == _HOME
    dev = _DEV[province]
    rural = rng.random(s) < _expit(-0.3 - 0.12 * dev)
    registered_poor = rural & (rng.random(s) < _expit(-1.9 - 0.15 * dev))
    log_budget = (
        np.log(_BUDGET_REF)
        + 0.025 * dev
        - 0.35 * rural
        - 0.45 * registered_poor
        + 0.1 * (grade >= 3)
        + rng.normal(0.0, _BUDGET_SD, s)
    )
    budget = np.round(np.exp(log_budget))
    hardship = budget < HARDSHIP_BUDGET
    lb = np.log(budget / _BUDGET_REF)
    off_campus = rng.random(s) < _expit(-3.2 + 1.8 * lb + 0.3 * ~female + 0.4 * (grade >= 3))

    # Existing aid: registered-poor students are enrolled automatically; others must apply,
    # and the committee approves most applications (on a noisy view of the budget).
    applies = rng.random(s) < _expit(
        -3.4 + 3.0 * hardship + 1.5 * (~hardship & (budget < 1400)) + 0.6 * rural
    )
    approved = registered_poor | (applies & (rng.random(s) < np.where(hardship, 0.85, 0.45)))
    assessed = log_budget + rng.normal(0.0, 0.2, s) - 0.3 * registered_poor
    level = np.select([assessed < np.log(700.0), assessed < np.log(1000.0)], [3, 2], 1)
    aid = np.where(approved, level, 0)

    # --- presence on campus with a working card ---
    days = np.arange(d)
    arrival = np.where(grade == 1, rng.integers(1, 3, s), rng.integers(0, 3, s))
    departure = np.where(
        local,
        rng.integers(_day("2024-01-10"), _day("2024-01-13") + 1, s),
        rng.integers(_day("2024-01-11"), _day("2024-01-14") + 1, s),
    )
    present = (days >= arrival[:, None]) & (days <= departure[:, None])
    # National Day week at home (most local students, fewer from far away or in hardship).
    home_gw = rng.random(s) < _expit(np.where(local, 1.7, -0.6) + 0.8 * lb)
    present[np.ix_(home_gw, _GOLDEN_WEEK)] = False
    travel = ~home_gw & (rng.random(s) < _expit(-1.2 + 1.2 * lb))
    trip = _GOLDEN_WEEK[0] + rng.integers(0, len(_GOLDEN_WEEK) - 2, s)
    for k in range(3):
        present[travel, trip[travel] + k] = False
    home_ny = local & (rng.random(s) < 0.5)
    present[np.ix_(home_ny, _NEW_YEAR)] = False
    weekender = local & (rng.random(s) < 0.35)
    gone = weekender[:, None] & (rng.random((s, len(_WEEKEND_DAYS) // 2 + 1)) < 0.6)
    gone = np.repeat(gone, 2, axis=1)[:, : len(_WEEKEND_DAYS)]
    wk = present[:, _WEEKEND_DAYS]
    wk &= ~gone
    present[:, _WEEKEND_DAYS] = wk
    # Final-year internships and job hunting: a spell away from campus.
    intern = (grade == 4) & (rng.random(s) < 0.25)
    i_start = rng.integers(_day("2023-10-09"), _day("2023-12-01"), s)
    i_len = rng.integers(10, 36, s)
    present &= ~(intern[:, None] & (days >= i_start[:, None]) & (days < (i_start + i_len)[:, None]))
    # Lost cards: no transactions until the replacement card arrives.
    lost = rng.random(s) < 0.07
    l_start = rng.integers(_day("2023-09-10"), _day("2023-12-20"), s)
    l_len = rng.integers(2, 15, s)
    lost_mask = lost[:, None] & (days >= l_start[:, None]) & (days < (l_start + l_len)[:, None])
    lost_days = (lost_mask & present).sum(axis=1)
    present &= ~lost_mask

    # --- per-student behaviour ---
    price = (
        _MEAL_PRICE
        * np.exp(_PRICE_ELASTICITY * lb)
        * np.where(female, _FEMALE_PRICE, 1.0)
        * np.exp(rng.normal(0.0, 0.15, s))
    )
    appetite = rng.normal(0.0, 0.35, s)  # student-level propensity to eat in the canteen
    diligence = np.exp(rng.normal(0.0, 0.6, s))  # library visits
    shop = 0.35 * np.exp(0.8 * lb + rng.normal(0.0, 0.4, s))  # supermarket visits a day
    shower_p = _expit(np.where(female, 0.4, -0.1) + 0.3 * lb + rng.normal(0.0, 0.4, s))

    off = _OFF[None, :]
    exam = _EXAM[None, :]
    training = _TRAINING_DAY[None, :] & (grade == 1)[:, None]
    parts: list[tuple[np.ndarray, ...]] = []

    for meal in range(3):
        logit = (
            _MEAL_LOGIT[meal]
            + _MEAL_BUDGET_SLOPE[meal] * lb[:, None]
            + appetite[:, None]
            + _MEAL_OFF[meal] * off
            + _MEAL_EXAM[meal] * exam
            + _MEAL_TRAINING[meal] * training
            + np.where(exam, 0.5, 1.0) * _MEAL_OFF_CAMPUS[meal] * off_campus[:, None]
        )
        eats = present & (rng.random((s, d)) < _expit(logit))
        st, dy = np.nonzero(eats)
        m = st.shape[0]
        tod = _times(rng, m, *_MEAL_TIME[meal])
        factor = (_BREAKFAST_PRICE, 1.0, _DINNER_PRICE)[meal]
        amount = price[st] * factor * np.exp(rng.normal(-0.04, 0.28, m))
        floor = 0.5 if meal == 0 else 1.0
        cents = 10 * np.maximum(np.rint(amount * 10.0), floor * 10)
        parts.append((st, dy, 0, meal, tod, cents.astype(np.int64)))

    # Supermarket: Poisson visits, busier on days off.
    lam = shop[:, None] * np.where(off, 1.4, 1.0)
    counts = np.where(present, rng.poisson(lam), 0)
    nz = np.nonzero(counts)
    st, dy = np.repeat(nz[0], counts[nz]), np.repeat(nz[1], counts[nz])
    m = st.shape[0]
    tod = np.where(
        rng.random(m) < 0.5,
        _times(rng, m, 12.5, 1.5, 9.0, 22.5),
        _times(rng, m, 20.5, 1.2, 9.0, 22.5),
    )
    amount = np.exp(np.log(9.0) + 0.8 * lb[st] + rng.normal(0.0, 0.7, m))
    cents = 10 * np.maximum(np.rint(amount * 10.0), 5)
    parts.append((st, dy, 1, -1, tod, cents.astype(np.int64)))

    # Hot-water showers, metered: about 2-4 yuan.
    st, dy = np.nonzero(present & (rng.random((s, d)) < shower_p[:, None]))
    m = st.shape[0]
    tod = _times(rng, m, 20.6, 1.4, 12.0, 23.5)
    amount = np.exp(np.log(2.3) + 0.25 * female[st] + 0.2 * lb[st] + rng.normal(0.0, 0.3, m))
    cents = np.maximum(np.rint(amount * 100.0), 30)
    parts.append((st, dy, 2, -1, tod, cents.astype(np.int64)))

    # Library entries (no charge): more before and during the exams, fewer on days off.
    lam = (
        0.45
        * diligence[:, None]
        * np.where(off, 0.5, 1.0)
        * np.where(_REVIEWING[None, :], 1.5, 1.0)
        * np.where(exam, 2.2, 1.0)
        * np.where(training, 0.2, 1.0)
    )
    counts = np.where(present, rng.poisson(lam), 0)
    nz = np.nonzero(counts)
    st, dy = np.repeat(nz[0], counts[nz]), np.repeat(nz[1], counts[nz])
    m = st.shape[0]
    which = rng.choice(3, m, p=[0.4, 0.3, 0.3])
    tod = np.choose(
        which,
        [
            _times(rng, m, 8.2, 0.5, 7.5, 21.5),
            _times(rng, m, 14.0, 0.6, 7.5, 21.5),
            _times(rng, m, 19.0, 0.7, 7.5, 21.5),
        ],
    )
    parts.append((st, dy, 3, -1, tod, np.zeros(m, dtype=np.int64)))

    student = np.concatenate([p[0] for p in parts])
    seconds = np.concatenate([p[1] * 86_400 + p[4] for p in parts])
    kind = np.concatenate([np.full(p[0].shape[0], p[2], dtype=np.int8) for p in parts])
    meal = np.concatenate([np.full(p[0].shape[0], p[3], dtype=np.int8) for p in parts])
    cents_all = np.concatenate([p[5] for p in parts])
    # One int64 key (seconds < 2**24, kind < 4), sorted stably: by student, time, kind.
    order = np.argsort((student.astype(np.int64) << 26) | (seconds << 2) | kind, kind="stable")
    transactions = {
        "student": student[order].astype(np.int32),
        "seconds": seconds[order].astype(np.int64),
        "kind": kind[order],
        "meal": meal[order],
        "cents": cents_all[order],
    }
    students = {
        "college": college.astype(np.int8),
        "grade": grade.astype(np.int8),
        "sex": (~female).astype(np.int8),
        "hometown_province": province.astype(np.int8),
        "rural": rural.astype(np.int8),
        "registered_poor": registered_poor.astype(np.int8),
        "aid": aid.astype(np.int8),
        "off_campus_eater": off_campus.astype(np.int8),
        "hardship": hardship.astype(np.int8),
        "monthly_budget": budget,
        "days_on_campus": (present.sum(axis=1) + lost_days).astype(np.int16),
        "lost_card_days": lost_days.astype(np.int16),
    }
    return students, transactions


def generate_tables(n: int, seed: int, progress: bool | None = False) -> dict[str, pd.DataFrame]:
    """Generate ``n`` students, their truth and their transactions.

    Parameters
    ----------
    n : int
        Number of students, ``1 <= n <= MAX_N``.
    seed : int
        Non-negative seed of the root :class:`numpy.random.SeedSequence`.
    progress : bool or None, default False
        A progress bar on stderr counting the students generated (``None``: when stderr
        is a terminal); the data are the same either way.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"students"``, ``"transactions"`` and ``"truth"``, with the dtypes of :data:`DTYPES`.
    """
    cols = {
        c: np.empty(n, dtype=("int8" if t == "category" else t))
        for table in ("students", "truth")
        for c, t in DTYPES[table].items()
        if c != "student_id"
    }
    tx_parts: list[dict[str, np.ndarray]] = []
    bar = progress_bar(total=n, desc=NAME, unit="students", unit_scale=True, enabled=progress)
    with bar:
        for b in range(-(-n // BLOCK_STUDENTS)):
            start = b * BLOCK_STUDENTS
            keep = min(BLOCK_STUDENTS, n - start)
            students, tx = _block(seed, b)
            for k, v in students.items():
                cols[k][start : start + keep] = v[:keep]
            stop = int(np.searchsorted(tx["student"], keep))
            tx = {k: v[:stop] for k, v in tx.items()}
            tx["student"] += start + 1  # student_id
            tx_parts.append(tx)
            del students
            bar.update(keep)
    ids = np.arange(1, n + 1, dtype=np.int32)
    tables = {}
    for table in ("students", "truth"):
        data: dict[str, Any] = {"student_id": ids}
        for c in DTYPES[table]:
            if c == "student_id":
                continue
            cats = CATEGORIES[table].get(c)
            data[c] = (
                pd.Categorical.from_codes(cols[c], dtype=pd.CategoricalDtype(list(cats)))
                if cats
                else cols[c]
            )
        tables[table] = pd.DataFrame(data, copy=False)
    tables["transactions"] = _transactions_frame(tx_parts)
    return {k: tables[k] for k in ("students", "transactions", "truth")}


def _transactions_frame(parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    total = sum(p["student"].shape[0] for p in parts)
    student = np.empty(total, dtype=np.int32)
    time = np.empty(total, dtype="datetime64[s]")
    kind = np.empty(total, dtype=np.int8)
    meal = np.empty(total, dtype=np.int8)
    amount = np.empty(total, dtype=np.float64)
    pos = 0
    while parts:
        p = parts.pop(0)  # free each block once copied
        m = p["student"].shape[0]
        sl = slice(pos, pos + m)
        student[sl] = p["student"]
        time[sl] = SEMESTER_START + p["seconds"].astype("timedelta64[s]")
        kind[sl] = p["kind"]
        meal[sl] = p["meal"]
        amount[sl] = p["cents"] / 100.0
        pos += m
    return pd.DataFrame(
        {
            "student_id": student,
            "time": time,
            "kind": pd.Categorical.from_codes(kind, dtype=pd.CategoricalDtype(list(KINDS))),
            "meal": pd.Categorical.from_codes(meal, dtype=pd.CategoricalDtype(list(MEALS))),
            "amount": amount,
        },
        copy=False,
    )


# --- public API -------------------------------------------------------------------------------------
def load(*, format: str = "tables") -> dict[str, pd.DataFrame]:
    """Load the bundled semester of 800 students.

    Parameters
    ----------
    format : {"tables"}, default "tables"
        The only format: a dict of DataFrames.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"students"`` (one row per student), ``"transactions"`` (one row per card
        transaction, sorted by student and time) and ``"truth"`` (one row per student);
        exactly ``generate(n=800, seed=2023)``.
    """
    out = {}
    for table, file in FILES.items():
        dtypes: dict[str, Any] = {
            c: t for c, t in DTYPES[table].items() if t not in ("category", "datetime64[s]")
        }
        dtypes.update({c: pd.CategoricalDtype(list(v)) for c, v in CATEGORIES[table].items()})
        if table == "transactions":
            dtypes[_DELTA] = "int64"
        pkg = resources.files(__package__ or "datasets")
        with pkg.joinpath("data", file).open("rb") as fh:
            df = pd.read_csv(
                fh,
                compression="gzip",
                dtype=dtypes,
                keep_default_na=False,
                na_values={"meal": [""]},
            )
        if table == "transactions":
            sec = df.pop(_DELTA).groupby(df["student_id"].to_numpy(), sort=False).cumsum()
            df["time"] = SEMESTER_START + sec.to_numpy().astype("timedelta64[s]")
        out[table] = df[list(DTYPES[table])]
    return {k: out[k] for k in ("students", "transactions", "truth")}


def generate(
    *,
    n: int | None = None,
    seed: int = 0,
    chunk_size: int = 1_000_000,
    format: str = "tables",
    progress: bool | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate a semester of campus-card data for ``n`` students.

    Parameters
    ----------
    n : int, optional
        Number of students; defaults to the bundled 800. About 420 transactions are drawn per
        student (100,000 students: about 42 million rows, 0.9 GB).
    seed : int, default 0
        Non-negative seed.
    chunk_size : int, default 1_000_000
        Accepted for compatibility; students are always drawn in blocks of
        :data:`BLOCK_STUDENTS`, so it does not change the result.
    format : {"tables"}, default "tables"
        The only format: a dict of DataFrames.
    progress : bool or None, default None
        A progress bar on stderr counting the students generated: ``None`` when stderr is a
        terminal (and the environment variable ``XMPI_PROGRESS`` is not ``"0"``), ``True``
        always, ``False`` never. The data are the same either way.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"students"``, ``"transactions"`` and ``"truth"`` as in :func:`load`.

    Raises
    ------
    mpi.errors.ValidationError
        If ``n`` exceeds :data:`MAX_N`.
    """
    n = BUNDLED_N if n is None else int(n)
    if n > MAX_N:
        raise ValidationError(f"n: must be at most {MAX_N:,} students; got {n!r}")
    return generate_tables(n, seed, progress)


def _canteen_by_month(
    tables: Mapping[str, pd.DataFrame], months: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Student ids, canteen yuan and canteen meals by student (rows) and month (columns)."""
    try:
        codes = np.array(list(months), dtype="datetime64[M]").astype(np.int64)
    except ValueError as err:
        raise ValidationError(f"months: must be 'YYYY-MM' strings; got {months!r}") from err
    if codes.size == 0 or np.unique(codes).size != codes.size:
        raise ValidationError(f"months: must be distinct 'YYYY-MM' strings; got {months!r}")
    tx = tables["transactions"]
    ids = tables["students"]["student_id"].to_numpy()
    canteen = np.flatnonzero(tx["kind"].to_numpy() == "canteen")
    month = tx["time"].to_numpy()[canteen].astype("datetime64[M]").astype(np.int64)
    sorter = np.argsort(codes)
    j = np.searchsorted(codes, month, sorter=sorter).clip(0, codes.size - 1)
    j = sorter[j]
    row = pd.Index(ids).get_indexer(tx["student_id"].to_numpy()[canteen])
    keep = (codes[j] == month) & (row >= 0)
    flat = row[keep] * codes.size + j[keep]
    size = ids.shape[0] * codes.size
    amount = tx["amount"].to_numpy()[canteen][keep]
    spent = np.bincount(flat, weights=amount, minlength=size).reshape(-1, codes.size)
    meals = np.bincount(flat, minlength=size).reshape(-1, codes.size)
    return ids, np.round(spent, 2), meals


def monthly_canteen_spending(
    tables: Mapping[str, pd.DataFrame], months: Sequence[str] = RULE_MONTHS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canteen spending and canteen meals of every student by calendar month.

    A data-preparation step (as :func:`mpi.datasets.to_households` is for ``dhs_rounds``):
    the card transactions become one row per student and one column per month, the input
    of screening rules such as "average canteen spending below 200 yuan a month". The rule
    itself is written in user code and evaluated with :func:`mpi.targeting`.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        The output of ``mpi.datasets.load("campus_card")`` or
        ``mpi.datasets.generate("campus_card", ...)`` (``"students"`` and ``"transactions"``
        are used; they are not modified).
    months : sequence of str, default ("2023-09", "2023-10", "2023-11", "2023-12")
        Distinct calendar months ``"YYYY-MM"`` to report, in the order given. The default
        are the four full months of the semester.

    Returns
    -------
    spending : pandas.DataFrame
        Yuan spent in canteens: the sum of ``amount`` over the student's canteen
        transactions in the month, rounded to the fen (float64).
    meals : pandas.DataFrame
        Number of canteen transactions (meals) in the month (int64).

    Both have one row per student of ``tables["students"]`` in its order (index
    ``student_id``; students without any canteen transaction, e.g. with a lost card, have
    0 spending and 0 meals) and one column per month (columns named ``month``).

    Raises
    ------
    mpi.errors.ValidationError
        If ``months`` are not distinct ``"YYYY-MM"`` strings, or empty.

    Examples
    --------
    The naive screening rule of the data card, evaluated against the truth:

    >>> import mpi
    >>> card = mpi.datasets.load("campus_card")
    >>> spend, meals = mpi.datasets.monthly_canteen_spending(card)
    >>> list(spend.columns)
    ['2023-09', '2023-10', '2023-11', '2023-12']
    >>> df = card["truth"].set_index("student_id")[["hardship"]]
    >>> df["flag"] = spend.mean(axis=1) < 200
    >>> res = mpi.targeting(df, listed="flag", poor="hardship")
    >>> round(float(res.to_dataset()["inclusion_error"]), 4)
    0.3778
    >>> round(float(res.to_dataset()["exclusion_error"]), 4)
    0.3563
    """
    ids, spent, meals = _canteen_by_month(tables, months)
    index = pd.Index(ids, name="student_id")
    columns = pd.Index([str(m) for m in months], name="month")
    return (
        pd.DataFrame(spent, index=index, columns=columns),
        pd.DataFrame(meals.astype(np.int64), index=index, columns=columns.copy()),
    )


def write_csv(tables: Mapping[str, pd.DataFrame], directory: str | os.PathLike[str]) -> None:
    """Write the tables as byte-reproducible gzipped CSV files (the bundled format).

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        The output of :func:`generate`.
    directory : str or os.PathLike
        Destination folder, conventionally ``datasets/data``.
    """
    for table, file in FILES.items():
        df = tables[table]
        if table == "transactions":
            # Seconds since the student's previous transaction (since SEMESTER_START for the
            # first one): a fifth smaller once compressed than absolute times.
            sec = (df["time"].to_numpy() - SEMESTER_START).astype(np.int64)
            first = np.r_[True, df["student_id"].to_numpy()[1:] != df["student_id"].to_numpy()[:-1]]
            delta = np.where(first, sec, sec - np.r_[0, sec[:-1]])
            df = df.rename(columns={"time": _DELTA}).assign(**{_DELTA: delta})
        write_csv_gz(df, Path(directory) / file)


if __name__ == "__main__":  # pragma: no cover - regenerates the bundled files
    # python -m mpi.datasets._campus_card  (writes into the package's data folder)
    target = Path(__file__).with_name("data")
    write_csv(generate_tables(BUNDLED_N, BUNDLED_SEED), target)
    for file in FILES.values():
        print(f"wrote {target / file} ({(target / file).stat().st_size} bytes)")
