"""Latent poverty process and department registries of ``registry_panel``, one block at a time.

This private module holds the parameters of the generating process (hazards, shock
multipliers, poverty lines, error and quirk rates) and :func:`simulate_block`, which draws
:data:`BLOCK_HH` households over the eight annual waves 2015-2022 from one random stream and
returns every table of the dataset for that block in *storage form*: plain NumPy columns,
categorical columns as ``int8`` codes, missing years as ``-1``, households as a block-local
0-based index ``hh`` and waves as ``year``. :mod:`datasets._registry_panel` turns blocks into
the public tables and the panel ``xarray.Dataset``.

Every row is sorted by household first, so a block truncated to its first ``k`` households is
the prefix of the full block: ``generate(n=k)`` is a prefix of ``generate(n=m)``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Final

import numpy as np

__all__ = [
    "BLOCK_HH",
    "CATEGORIES",
    "COUNTIES",
    "DIBAO_STANDARD",
    "ENTRY_HAZARD",
    "EXIT_HAZARD",
    "EXIT_MULTIPLIER",
    "HAZARD_CAP",
    "LIST_APPLY",
    "LIST_APPROVE",
    "MONITORING_LINE",
    "POVERTY_LINE",
    "QUIRKS",
    "RELAPSE_HAZARD",
    "RISK_MULTIPLIER",
    "SHOCKS",
    "T",
    "VILLAGES_PER_BLOCK",
    "YEARS",
    "simulate_block",
]

# --- calendar and administrative geography --------------------------------------------------
#: Waves (calendar years) of the panel.
YEARS: Final = tuple(range(2015, 2023))
#: Number of waves.
T: Final = len(YEARS)
FIRST_YEAR: Final = YEARS[0]
#: Households per internal block; block ``b`` draws from ``SeedSequence(seed, spawn_key=(b,))``.
BLOCK_HH: Final = 16_384
#: Villages per block (about 256 households each); village ids run on across blocks.
VILLAGES_PER_BLOCK: Final = 64

#: The six (fictional) counties of the city, in code order.
COUNTIES: Final = ("Qingshan", "Baihe", "Shiqiao", "Liujiang", "Yunling", "Hongyan")
_COUNTY_SHARE = np.array([0.22, 0.20, 0.18, 0.16, 0.14, 0.10])
_COUNTY_EFFECT = np.array([-0.45, -0.20, 0.0, 0.20, 0.45, 0.70])  # higher = poorer, remoter
#: Townships per county; township codes are ``100 * (county code + 1) + 1, 2, ...``.
TOWNSHIPS_PER_COUNTY: Final = (14, 12, 12, 10, 10, 8)

# --- lines (yuan per person per year) -------------------------------------------------------
#: Income poverty line z_t of the city. 2015, 2016 and 2020 equal the national line at
#: current prices (2,855; 2,952; "about 4,000"); other years are a smooth synthetic path.
POVERTY_LINE: Final[dict[int, float]] = {
    2015: 2855.0,
    2016: 2952.0,
    2017: 3335.0,
    2018: 3535.0,
    2019: 3747.0,
    2020: 4000.0,
    2021: 4200.0,
    2022: 4400.0,
}
#: Income line of the relapse-prevention monitoring (about 1.5 x the poverty line), 2020-2022.
MONITORING_LINE: Final[dict[int, float]] = {2020: 6000.0, 2021: 6000.0, 2022: 6500.0}
#: Rural minimum living allowance (dibao) standard; at or above z_t from 2017 (两线合一).
DIBAO_STANDARD: Final[dict[int, float]] = {
    2015: 2800.0,
    2016: 3100.0,
    2017: 3500.0,
    2018: 3900.0,
    2019: 4300.0,
    2020: 4800.0,
    2021: 5100.0,
    2022: 5400.0,
}

# --- latent poverty process -----------------------------------------------------------------
#: Shocks, in the order of the truth columns.
SHOCKS: Final = ("illness", "disaster", "job_loss")
#: Annual exit hazard of a latent-poor household without shocks, by calendar year.
EXIT_HAZARD: Final[dict[int, float]] = {
    2016: 0.30,
    2017: 0.35,
    2018: 0.40,
    2019: 0.45,
    2020: 0.50,
    2021: 0.30,
    2022: 0.30,
}
#: Annual relapse hazard h(tau) of a household without shocks, tau = years since the last exit
#: (3 stands for 3 or more).
RELAPSE_HAZARD: Final[dict[int, float]] = {1: 0.15, 2: 0.09, 3: 0.05}
#: Annual first-entry hazard of a never-exited non-poor household, by labour capacity.
ENTRY_HAZARD: Final[dict[str, float]] = {"full": 0.010, "partial": 0.025, "none": 0.050}
#: Multipliers of the exit hazard per shock in the year (they lower it).
EXIT_MULTIPLIER: Final[dict[str, float]] = {"illness": 0.5, "disaster": 0.7, "job_loss": 0.7}
#: Multipliers of the relapse and entry hazards per shock in the year (they raise them).
RISK_MULTIPLIER: Final[dict[str, float]] = {"illness": 2.5, "disaster": 2.0, "job_loss": 1.8}
#: Upper bound of every hazard after the multipliers.
HAZARD_CAP: Final = 0.95

# --- village list (self-application + village vote) -----------------------------------------
#: Probability to apply, by truth cell.
LIST_APPLY: Final[dict[str, float]] = {
    "poor": 0.80,
    "connected": 0.50,
    "near_poor": 0.25,
    "other": 0.03,
}
#: Probability that the village vote approves an applicant, by truth cell.
LIST_APPROVE: Final[dict[str, float]] = {
    "poor": 0.85,
    "connected": 0.70,
    "near_poor": 0.30,
    "other": 0.15,
}

#: Rates of the registry quirks and of the planted problems.
QUIRKS: Final[dict[str, float]] = {
    # missing waves (share of in-scope, alive household-years without a record)
    "poverty_office_missing_registered": 0.01,
    "poverty_office_missing_other": 0.03,
    "civil_affairs_missing": 0.02,
    "health_missing": 0.01,
    "education_missing": 0.02,
    "housing_missing": 0.02,
    "water_village_missing": 0.01,
    "water_missing": 0.01,
    "disability_missing": 0.04,
    "employment_missing_2015": 0.30,
    "employment_missing": 0.03,
    # attrition (annual hazard of leaving the register for good, from 2016)
    "education_attrition": 0.005,
    "employment_attrition": 0.01,
    # planted data problems
    "duplicate_key": 0.0005,  # per record of poverty_office, health and housing
    "conflict_hh_size": 0.005,  # per civil_affairs record
    "conflict_income": 0.005,  # per civil_affairs record with a unique poverty_office record
    "record_after_death": 0.15,  # per household dying in 2015-2021 (health record next year)
    # planted benefit anomalies
    "payment_after_death": 0.30,  # per dying household paid in its death year (2015-2021)
    "duplicate_claim": 0.01,  # per dibao household-year: an extra tekun payment
    "planted_vehicle": 0.03,  # per dibao/tekun household: a car registered in a paid year
    "planted_business": 0.02,  # per dibao/tekun household: a business registered in a paid year
}
#: County whose 2018 health records are lost in the migration to the medical insurance bureau.
HEALTH_GAP: Final = ("Hongyan", 2018)

_ADMIN_EXIT_PASS = {2016: 0.35, 2017: 0.45, 2018: 0.55, 2019: 0.70, 2020: 1.0}
_ADMIN_EXIT_FAIL = {2016: 0.03, 2017: 0.05, 2018: 0.08, 2019: 0.12, 2020: 1.0}
_LAST_REGISTRATION = 2019
_CAMPAIGN = np.array([1.0, 0.85, 0.7, 0.55, 0.45, 0.4, 0.4, 0.4])  # 2B2G deprivation of the poor
_SCHOOL_CAMPAIGN = np.array([1.0, 0.8, 0.6, 0.4, 0.25, 0.2, 0.2, 0.2])  # 控辍保学
_INSURANCE_CAMPAIGN = np.array([1.0, 0.6, 0.4, 0.2, 0.1, 0.08, 0.08, 0.08])
_DISASTER_P = np.array([0.05, 0.05, 0.06, 0.05, 0.05, 0.12, 0.05, 0.06])
_JOB_LOSS_P = np.array([0.04, 0.04, 0.04, 0.04, 0.04, 0.15, 0.06, 0.08])

#: Categories of the categorical columns (storage codes are positions in these tuples).
CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "county": COUNTIES,
    "head_sex": ("male", "female"),
    "labour_capacity": ("full", "partial", "none"),
    "poverty_status": ("not_registered", "poor", "exited"),
    "monitoring": ("none", "unstable_exited", "marginal", "sudden_hardship", "risk_eliminated"),
    "assistance": ("none", "rejected", "dibao", "tekun"),
    "housing_grade": ("A", "B", "C", "D"),
    "business_type": ("individual", "company"),
    "vehicle_type": ("car", "truck", "motorcycle", "tricycle"),
    "programme": (
        "dibao",
        "tekun",
        "disability_subsidy",
        "education_grant",
        "medical_assistance",
        "housing_renovation",
        "industry_subsidy",
        "public_welfare_job",
    ),
    "department": (
        "poverty_office",
        "civil_affairs",
        "health",
        "education",
        "housing",
        "disability",
        "employment",
    ),
    "risk_set": ("initial", "exit", "relapse", "entry"),
    "list_error": ("none", "inclusion", "exclusion"),
    "anomaly_kind": ("payment_after_death", "duplicate_claim", "business_owner", "vehicle_owner"),
    "issue_kind": ("duplicate_key", "conflict_hh_size", "conflict_income", "record_after_death"),
    "issue_table": ("poverty_office", "civil_affairs", "health", "housing"),
    "issue_column": ("income_per_capita", "medical_insured", "housing_grade", "hh_size", "record"),
}

_PROGRAMME_DEPARTMENT = np.array([1, 1, 5, 3, 2, 4, 0, 6], dtype=np.int8)
_DIBAO, _TEKUN, _DISAB, _EDU, _MED, _HOUSE, _INDUSTRY, _PWJ = range(8)
_NONE, _REJECTED, _DIBAO_STATUS, _TEKUN_STATUS = range(4)

Block = dict[str, dict[str, np.ndarray]]


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _round10(x: np.ndarray) -> np.ndarray:
    """Round to multiples of 10 yuan."""
    return np.rint(x / 10.0) * 10.0


def _round1(x: np.ndarray) -> np.ndarray:
    """Round to one decimal (exactly as ``float(f"{x:.1f}")`` would parse)."""
    return np.rint(x * 10.0) / 10.0


def _pick(rng: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    """For every row of ``mask`` (each with a True), the column of one True chosen at random."""
    count = mask.sum(axis=1)
    j = np.floor(rng.random(mask.shape[0]) * count).astype(np.int64)
    return np.argmax(np.cumsum(mask, axis=1) > j[:, None], axis=1)


def _rows(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(household, wave) of the True cells, sorted by household then wave."""
    hh, k = np.nonzero(mask)
    return hh.astype(np.int32), k.astype(np.int64)


def _with_extra(
    hh: np.ndarray, k: np.ndarray, extra_hh: np.ndarray, extra_k: np.ndarray, before: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Merge extra rows into sorted (hh, k) rows.

    Returns the order of the concatenated rows and the position of each extra row in it.
    ``before`` puts an extra row in front of a regular row with the same key.
    """
    n0 = len(hh)
    all_hh = np.concatenate([hh, extra_hh])
    all_k = np.concatenate([k, extra_k])
    tie = np.concatenate([np.ones(n0, np.int8), np.where(before, 0, 2).astype(np.int8)])
    order = np.lexsort((tie, all_k, all_hh))
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    return order, position[n0:]


def simulate_block(seed: int, block: int) -> Block:
    """Draw one full block of :data:`BLOCK_HH` households over the waves 2015-2022.

    Parameters
    ----------
    seed : int
        The user seed.
    block : int
        Block index; the block draws from ``SeedSequence(seed, spawn_key=(block,))``.

    Returns
    -------
    dict of str to dict of str to numpy.ndarray
        The tables of the block in storage form (see the module docstring). Rows of every
        table are sorted by the block-local household index ``hh``; ``anomalies`` and
        ``data_issues`` point at rows of ``payments`` and of the department tables through
        the block-local row index ``row``.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    m, nv = BLOCK_HH, VILLAGES_PER_BLOCK
    years = np.array(YEARS, dtype=np.int64)
    line = np.array([POVERTY_LINE[y] for y in YEARS])
    standard = np.array([DIBAO_STANDARD[y] for y in YEARS])

    # --- villages ----------------------------------------------------------------------------
    v_county = np.searchsorted(np.cumsum(_COUNTY_SHARE), rng.random(nv) * _COUNTY_SHARE.sum())
    v_county = np.minimum(v_county, len(COUNTIES) - 1)
    n_town = np.array(TOWNSHIPS_PER_COUNTY)[v_county]
    v_township = 100 * (v_county + 1) + 1 + np.floor(rng.random(nv) * n_town).astype(np.int64)
    v_effect = _COUNTY_EFFECT[v_county] + rng.normal(0.0, 0.45, nv)
    piped_before = rng.random(nv) < _expit(0.4 - 1.2 * v_effect)
    v_piped_year = np.where(piped_before, 2014, 2016 + np.floor(rng.random(nv) * 8).astype(int))
    v_scarce = rng.random(nv) < 0.3
    v_disaster = rng.random((nv, T)) < _DISASTER_P * np.exp(0.5 * v_effect)[:, None]
    v_water_missing = rng.random((nv, T)) < QUIRKS["water_village_missing"]
    v_voters = 15 + np.floor(rng.random(nv) * 26).astype(np.int64)  # 15..40 representatives

    # --- households ----------------------------------------------------------------------------
    village = np.floor(rng.random(m) * nv).astype(np.int64)
    size_p = np.array([0.12, 0.25, 0.20, 0.20, 0.13, 0.07, 0.03])
    size = 1 + np.minimum(np.searchsorted(np.cumsum(size_p), rng.random(m)), 6)
    small = size <= 2
    age0 = np.where(small, rng.normal(62.0, 12.0, m), rng.normal(47.0, 10.0, m))
    age0 = np.clip(np.rint(age0), 22, 90).astype(np.int64)
    female = rng.random(m) < np.where(small & (age0 >= 60), 0.30, 0.10)
    n_kids = np.where(size >= 3, np.minimum(rng.binomial(np.maximum(size - 2, 0), 0.75), 3), 0)
    n_kids = np.where(size == 2, (rng.random(m) < 0.12).astype(int), n_kids)
    n_kids = np.where(age0 >= 60, 0, n_kids)
    kid_birth = 1999 + np.floor(rng.random((m, 3)) * 18).astype(np.int64)
    kid_birth[np.arange(3)[None, :] >= n_kids[:, None]] = -100
    adults = size - n_kids
    elderly = np.where(age0 >= 60, np.minimum(adults, 2), ((adults >= 3) & (rng.random(m) < 0.5)))
    working = (adults - elderly).astype(np.int64)
    disabled = rng.binomial(size, 0.018) + (rng.random(m) < 0.03)
    disabled = np.minimum(disabled, size)
    grade_d = 1 + np.searchsorted(np.cumsum([0.10, 0.20, 0.35, 0.35]), rng.random(m))
    grade_d = np.minimum(grade_d, 4)
    chronic = np.minimum(rng.binomial(size, np.clip(0.04 + 0.004 * (age0 - 50), 0.02, 0.3)), size)
    score = 0.07 * (age0 - 60) - 0.8 * (working >= 2) + 1.0 * (disabled > 0) + rng.normal(size=m)
    cap = np.where(score > 1.3, 2, np.where(score > 0.3, 1, 0))  # 0 full, 1 partial, 2 none
    u = rng.normal(0.0, 0.3, m)  # persistent income effect
    connected = rng.random(m) < 0.05  # related to village cadres (关系户)
    veff = v_effect[village]
    vcounty = v_county[village]

    # deaths: the household is dissolved (户销) in its death year
    age_t = age0[:, None] + np.arange(T)[None, :]
    d_haz = _expit(-7.0 + 0.1 * (age_t - 50)) * np.where(small, 1.0, 0.2)[:, None]
    dies = rng.random((m, T)) < d_haz
    death_k = np.where(dies.any(axis=1), np.argmax(dies, axis=1), T)  # T = alive in 2022
    alive = np.arange(T)[None, :] <= death_k[:, None]
    death_year = np.where(death_k < T, FIRST_YEAR + death_k, -1)

    # shocks
    school_age = (
        (years[None, None, :] - kid_birth[:, :, None] >= 6)
        & (years[None, None, :] - kid_birth[:, :, None] <= 15)
    ).sum(axis=1)
    ill_u = rng.random((m, T))
    hit_u = rng.random((m, T))
    job_u = rng.random((m, T))
    disaster = v_disaster[village] & (hit_u < 0.5)
    job = (working > 0)[:, None] & (cap < 2)[:, None] & (job_u < _JOB_LOSS_P[None, :])

    # natural vehicles and businesses (household level), never registered after the death year
    last_year = np.where(death_year > 0, death_year, YEARS[-1])
    poor_prone = -2.0 * u + 0.8 * (cap == 2) + 0.4 * (cap == 1) + veff
    has_car = rng.random(m) < _expit(-1.9 - 1.0 * poor_prone + 0.5 * (working >= 2))
    car_reg = 2008 + np.floor(rng.random(m) * 16).astype(np.int64)  # 2023 = bought later
    has_car &= car_reg <= last_year
    car_scrap = np.where(rng.random(m) < 0.1, car_reg + 5 + np.floor(rng.random(m) * 8), 9999)
    car_scrap = car_scrap.astype(np.int64)
    has_biz = rng.random(m) < _expit(-3.3 - 1.2 * poor_prone)
    biz_reg = 2005 + np.floor(rng.random(m) * 19).astype(np.int64)
    has_biz &= biz_reg <= last_year
    biz_dereg = np.where(rng.random(m) < 0.3, biz_reg + 1 + np.floor(rng.random(m) * 10), 9999)
    biz_dereg = biz_dereg.astype(np.int64)
    biz_company = rng.random(m) < 0.15
    biz_capital = np.where(
        biz_company, rng.lognormal(np.log(500_000), 0.8, m), rng.lognormal(np.log(50_000), 0.9, m)
    )
    biz_capital = np.maximum(np.rint(biz_capital / 1000.0) * 1000.0, 1000.0)
    has_truck = rng.random(m) < np.where(has_biz, 0.25, 0.02)
    truck_reg = 2008 + np.floor(rng.random(m) * 15).astype(np.int64)
    has_truck &= truck_reg <= last_year
    has_moto = rng.random(m) < 0.35
    moto_reg = 2006 + np.floor(rng.random(m) * 17).astype(np.int64)
    has_moto &= moto_reg <= last_year
    has_tri = rng.random(m) < 0.12
    tri_reg = 2010 + np.floor(rng.random(m) * 13).astype(np.int64)
    has_tri &= tri_reg <= last_year
    yr = years[None, :]
    owns = (has_car[:, None] & (car_reg[:, None] <= yr) & (car_scrap[:, None] > yr)) | (
        has_truck[:, None] & (truck_reg[:, None] <= yr)
    )
    owns |= has_biz[:, None] & (biz_reg[:, None] <= yr) & (biz_dereg[:, None] > yr)

    # --- the yearly loop -------------------------------------------------------------------
    f8 = np.float64
    latent = np.zeros((m, T), bool)
    risk = np.zeros((m, T), np.int8)
    tau_out = np.zeros((m, T), np.int8)
    base_h = np.full((m, T), np.nan)
    haz = np.full((m, T), np.nan)
    exit_ev = np.zeros((m, T), bool)
    relapse_ev = np.zeros((m, T), bool)
    entry_ev = np.zeros((m, T), bool)
    ill = np.zeros((m, T), bool)
    income = np.zeros((m, T), f8)
    near_poor = np.zeros((m, T), bool)
    food = np.zeros((m, T), bool)
    cloth = np.zeros((m, T), bool)
    dropout = np.zeros((m, T), np.int64)
    insured_members = np.zeros((m, T), np.int64)
    chronic_t = np.zeros((m, T), np.int64)
    disabled_t = np.zeros((m, T), np.int64)
    oop = np.zeros((m, T), f8)
    grade = np.zeros((m, T), np.int8)
    renovated = np.zeros((m, T), bool)
    damage = np.zeros((m, T), bool)
    piped = np.zeros((m, T), bool)
    quantity = np.zeros((m, T), f8)
    quality = np.zeros((m, T), bool)
    fetch = np.zeros((m, T), f8)
    interruption = np.zeros((m, T), np.int64)
    applied = np.zeros((m, T), bool)
    listed = np.zeros((m, T), bool)
    p_listed = np.zeros((m, T), f8)
    votes_for = np.zeros((m, T), np.int64)
    status = np.zeros((m, T), np.int8)
    reg_shown = np.full((m, T), -1, np.int64)
    exit_shown = np.full((m, T), -1, np.int64)
    monitoring = np.zeros((m, T), np.int8)
    ca_applied = np.zeros((m, T), bool)
    assistance = np.zeros((m, T), np.int8)
    assessed = np.zeros((m, T), f8)
    allowance = np.zeros((m, T), f8)
    migrant = np.zeros((m, T), np.int64)
    local = np.zeros((m, T), np.int64)
    lost_job = np.zeros((m, T), bool)
    pwj = np.zeros((m, T), bool)
    pay = np.zeros((m, T, 8), f8)  # natural payments by programme (0 = none)

    r_x = np.array([EXIT_MULTIPLIER[s] for s in SHOCKS])
    r_r = np.array([RISK_MULTIPLIER[s] for s in SHOCKS])
    entry_h = np.array([ENTRY_HAZARD[c] for c in CATEGORIES["labour_capacity"]])
    relapse_h = np.array([np.nan, RELAPSE_HAZARD[1], RELAPSE_HAZARD[2], RELAPSE_HAZARD[3]])

    # initial state (2015) and pre-window exits
    p0 = _expit(-1.8 + 1.2 * (cap == 2) + 0.5 * (cap == 1) + veff - 2.0 * u + 0.4 * (disabled > 0))
    poor = rng.random(m) < p0
    pre_exit = ~poor & (rng.random(m) < 0.2)
    last_exit = np.where(pre_exit, 2014 - np.searchsorted([0.45, 0.75], rng.random(m)), 0)
    reg_year = np.where(last_exit == 2014, 2014, 0)
    admin_exit = np.where(last_exit == 2014, 2014, 0)
    grade_now = np.where(
        poor,
        np.searchsorted(np.cumsum([0.15, 0.45, 0.28]), rng.random(m)),
        np.searchsorted(np.cumsum([0.55, 0.435, 0.01]), rng.random(m)),
    ).astype(np.int8)
    hh_conn = rng.random(m) < np.where(poor, 0.90, 0.97)
    ever_monitored = np.zeros(m, bool)
    ca_last = np.zeros(m, bool)
    chron = chronic.copy()
    disab = disabled.copy()

    for k, year in enumerate(YEARS):
        al = alive[:, k]
        age = age0 + k
        ill[:, k] = ill_u[:, k] < _expit(-3.5 + 0.03 * (age - 50) + 0.6 * (chron > 0))
        s_ill, s_dis, s_job = ill[:, k], disaster[:, k], job[:, k]
        shock = s_ill | s_dis | s_job

        # latent transition
        if k == 0:
            new = poor
            risk[:, 0] = 0
            tau_out[:, 0] = np.where(~poor & (last_exit > 0), year - last_exit, 0)
        else:
            rs_exit = poor
            rs_rel = ~poor & (last_exit > 0)
            bucket = np.where(rs_rel, np.minimum(year - last_exit, 3), 0)
            b = np.where(rs_exit, EXIT_HAZARD[year], np.where(rs_rel, relapse_h[bucket], entry_h[cap]))
            mult = np.where(
                rs_exit,
                np.where(s_ill, r_x[0], 1.0)
                * np.where(s_dis, r_x[1], 1.0)
                * np.where(s_job, r_x[2], 1.0),
                np.where(s_ill, r_r[0], 1.0)
                * np.where(s_dis, r_r[1], 1.0)
                * np.where(s_job, r_r[2], 1.0),
            )
            h = np.minimum(HAZARD_CAP, b * mult)
            ev = rng.random(m) < h
            new = np.where(rs_exit, ~ev, ev)
            risk[:, k] = np.where(rs_exit, 1, np.where(rs_rel, 2, 3))
            tau_out[:, k] = np.where(rs_rel, year - last_exit, 0)
            base_h[:, k], haz[:, k] = b, h
            exit_ev[:, k], relapse_ev[:, k], entry_ev[:, k] = (
                rs_exit & ev,
                rs_rel & ev,
                ~poor & ~rs_rel & ev,
            )
            last_exit = np.where(rs_exit & ev, year, last_exit)
        poor = new
        latent[:, k] = poor

        # health and disability counts move with illness
        chron = np.minimum(chron + (s_ill & (rng.random(m) < 0.3)), size)
        disab = np.minimum(disab + (s_ill & (rng.random(m) < 0.04)), size)
        chronic_t[:, k], disabled_t[:, k] = chron, disab

        # income per capita (yuan, multiples of 10)
        recent = ~poor & (last_exit > 0) & (year - last_exit <= 1)
        mu = np.where(
            poor,
            -0.45 + 0.5 * u,
            0.95 + u - 0.35 * recent - 0.25 * shock + 0.15 * (working >= 2) - 0.25 * (cap == 2),
        )
        y = line[k] * np.exp(mu + rng.normal(0.0, 0.28, m))
        y = np.maximum(_round10(y), 300.0)
        income[:, k] = y
        near_poor[:, k] = ~poor & (y < 1.5 * line[k])

        # two assurances, three guarantees (true values)
        food[:, k] = rng.random(m) < np.where(poor, 0.10 * _CAMPAIGN[k], 0.002)
        cloth[:, k] = rng.random(m) < np.where(poor, 0.07 * _CAMPAIGN[k], 0.002)
        dropout[:, k] = rng.binomial(
            school_age[:, k], np.where(poor, 0.06 * _SCHOOL_CAMPAIGN[k], 0.002)
        )
        uninsured = rng.random(m) < np.where(poor, 0.08 * _INSURANCE_CAMPAIGN[k], 0.006)
        missing_members = 1 + rng.binomial(size - 1, 0.3)
        insured_members[:, k] = np.where(uninsured, size - missing_members, size)
        oop[:, k] = _round10(
            np.where(
                s_ill,
                rng.lognormal(np.log(12_000), 0.6, m),
                rng.lognormal(np.log(600) + 0.7 * (chron > 0), 0.8, m),
            )
        )

        # housing: renovation (危房改造) of C/D dwellings, disaster damage, slow decay
        registered_before = (reg_year > 0) & (reg_year < year) & (admin_exit == 0)
        prev_grade = grade_now
        bad = prev_grade >= 2
        if k > 0:
            p_renov = np.where(registered_before, 0.6, np.where(ca_last, 0.45, 0.3))
            renov = bad & (rng.random(m) < p_renov)
        else:
            renov = np.zeros(m, bool)
        g = np.where(renov, (rng.random(m) >= 0.4).astype(np.int8), grade_now)
        dmg = s_dis & ~renov & (rng.random(m) < 0.15)
        g = np.where(dmg, np.maximum(g, np.where(rng.random(m) < 0.33, 3, 2)), g)
        decay = rng.random(m)
        g = np.where(~renov & ~dmg & (g == 0) & (decay < 0.02), 1, g)
        g = np.where(~renov & ~dmg & (g == 1) & (decay < 0.001), 2, g)
        grade_now = g.astype(np.int8)
        grade[:, k], renovated[:, k], damage[:, k] = grade_now, renov, dmg

        # drinking water (农村饮水安全评价准则: quantity, quality, convenience, guarantee)
        pip = hh_conn & (v_piped_year[village] <= year)
        q_mu = np.where(pip, np.log(85.0), np.log(70.0) - 0.5 * poor)
        quantity[:, k] = _round1(rng.lognormal(q_mu, 0.35))
        quality[:, k] = rng.random(m) < np.where(pip, 0.995, np.where(poor, 0.90, 0.985))
        f_min = np.rint(rng.lognormal(np.log(5.0) + 0.4 * veff + 0.6 * poor, 0.6))
        fetch[:, k] = np.where(pip, 0.0, np.maximum(f_min, 1.0))
        vd = v_disaster[village, k]
        interruption[:, k] = rng.poisson(np.where(pip, 5.0, 12.0)) + vd * rng.poisson(15.0, m)
        piped[:, k] = pip

        # village list: self-application and village vote
        cell = np.where(poor, 0, np.where(connected, 1, np.where(near_poor[:, k], 2, 3)))
        p_apply = np.array(list(LIST_APPLY.values()))[cell]
        p_approve = np.array(list(LIST_APPROVE.values()))[cell]
        applied[:, k] = rng.random(m) < p_apply
        listed[:, k] = applied[:, k] & (rng.random(m) < p_approve)
        p_listed[:, k] = p_apply * p_approve
        voters = v_voters[village]
        half = voters // 2
        vu = rng.random(m)
        votes_for[:, k] = np.where(
            listed[:, k], half + 1 + np.floor(vu * (voters - half)), np.floor(vu * (half + 1))
        )

        # registration (建档立卡) until 2019; administrative exit until 2020
        new_reg = listed[:, k] & al & (reg_year == 0) & (year <= _LAST_REGISTRATION)
        reg_year = np.where(new_reg, year, reg_year)
        if year in _ADMIN_EXIT_PASS:
            passes = (
                (y >= line[k])
                & ~food[:, k]
                & ~cloth[:, k]
                & (dropout[:, k] == 0)
                & ~uninsured
                & (grade_now <= 1)
                & (quantity[:, k] >= np.where(v_scarce[village], 20.0, 35.0))
            )
            p_exit = np.where(passes, _ADMIN_EXIT_PASS[year], _ADMIN_EXIT_FAIL[year])
            leaves = registered_before & (rng.random(m) < p_exit)
            admin_exit = np.where(leaves, year, admin_exit)
        is_reg = reg_year > 0
        is_exited = admin_exit > 0
        status[:, k] = np.where(is_exited, 2, np.where(is_reg, 1, 0))
        reg_shown[:, k] = np.where(is_reg, reg_year, -1)
        exit_shown[:, k] = np.where(is_exited, admin_exit, -1)

        # relapse-prevention monitoring (防返贫监测), 2020-2022
        if year in MONITORING_LINE:
            below = y < MONITORING_LINE[year]
            unstable = is_exited & below & (rng.random(m) < 0.5)
            marginal = ~is_reg & below & (rng.random(m) < 0.4)
            sudden = (s_ill | s_dis) & ~unstable & ~marginal & (rng.random(m) < 0.3)
            mon = np.select([unstable, marginal, sudden], [1, 2, 3], np.where(ever_monitored, 4, 0))
            monitoring[:, k] = mon
            ever_monitored |= (mon >= 1) & (mon <= 3)

        # civil affairs: dibao (低保) and tekun (特困供养)
        a = np.maximum(_round10(y * rng.uniform(0.92, 1.08, m)), 300.0)
        assessed[:, k] = a
        std = standard[k]
        tekun_ok = (cap == 2) & (size == 1) & (age >= 60) & (a < 1.5 * std)
        p_ca = np.where(a < std, 0.75, np.where(a < 1.5 * std, 0.15, 0.01))
        p_ca = np.where(tekun_ok, 0.8, p_ca)
        p_ca = np.where(ca_last, 0.95, p_ca)
        appl = al & (rng.random(m) < p_ca)
        grant_u = rng.random(m)
        st = np.where(
            appl & tekun_ok & ~owns[:, k] & (grant_u < 0.9),
            _TEKUN_STATUS,
            np.where(
                appl & (a < std) & ~owns[:, k] & (grant_u < 0.85),
                _DIBAO_STATUS,
                np.where(appl, _REJECTED, _NONE),
            ),
        )
        ca_applied[:, k], assistance[:, k] = appl, st
        amount = np.where(
            st == _DIBAO_STATUS,
            _round10(np.maximum(std - a, 0.25 * std) * size),
            np.where(st == _TEKUN_STATUS, _round10(1.3 * std * size), 0.0),
        )
        allowance[:, k] = amount
        ca_last = st >= _DIBAO_STATUS

        # employment
        work_eff = np.where(cap < 2, working, 0)
        migrant[:, k] = rng.binomial(work_eff, np.where(poor, 0.2, 0.35))
        local[:, k] = rng.binomial(work_eff - migrant[:, k], 0.5)
        lost_job[:, k] = s_job & (rng.random(m) < 0.85)
        pwj[:, k] = is_reg & (cap == 1) & (year >= 2017) & (rng.random(m) < 0.3)

        # natural payments (only while alive)
        supported = is_reg | ca_last
        p = pay[:, k, :]
        p[:, _DIBAO] = np.where(st == _DIBAO_STATUS, amount, 0.0)
        p[:, _TEKUN] = np.where(st == _TEKUN_STATUS, amount, 0.0)
        p[:, _DISAB] = np.where((disab > 0) & ((grade_d <= 2) | ca_last), 960.0 * disab, 0.0)
        p[:, _EDU] = np.where(is_reg & (school_age[:, k] > 0), 1000.0 * school_age[:, k], 0.0)
        p[:, _MED] = np.where(
            supported & (oop[:, k] >= 10_000), np.minimum(_round10(0.5 * oop[:, k]), 30_000.0), 0.0
        )
        p[:, _HOUSE] = np.where(
            supported & renov, np.where(prev_grade == 3, 30_000.0, 15_000.0), 0.0
        )
        p[:, _INDUSTRY] = np.where(
            (is_reg & ~is_exited) | (admin_exit == year), (rng.random(m) < 0.3) * 3000.0, 0.0
        )
        p[:, _PWJ] = np.where(pwj[:, k], 6000.0, 0.0)
        p[~al] = 0.0

    # every array drawn above, by name (the tables need most of them)
    return _tables(rng, SimpleNamespace(**locals(), tau=tau_out))


# --- from the simulated state to the tables ---------------------------------------------------
_I1, _I2, _I4 = np.int8, np.int16, np.int32


def _gather(
    hh: np.ndarray, k: np.ndarray, fields: dict[str, tuple[np.ndarray, type]]
) -> dict[str, np.ndarray]:
    """Columns ``hh``, ``year`` and ``fields`` (household or household x wave arrays) at rows."""
    cols = {"hh": hh.astype(_I4), "year": (FIRST_YEAR + k).astype(_I2)}
    for name, (arr, dtype) in fields.items():
        cols[name] = (arr[hh, k] if arr.ndim == 2 else arr[hh]).astype(dtype)
    return cols


def _add_rows(
    cols: dict[str, np.ndarray], extra: dict[str, np.ndarray], before: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Insert ``extra`` rows into sorted ``cols``; return the table and the extra rows' positions."""
    order, position = _with_extra(
        cols["hh"],
        cols["year"].astype(np.int64),
        extra["hh"],
        extra["year"].astype(np.int64),
        before,
    )
    merged = {c: np.concatenate([cols[c], extra[c]])[order] for c in cols}
    return merged, position


def _subset(cols: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    return {c: v[rows] for c, v in cols.items()}


def _issues(
    kind: int,
    table: int,
    column: int,
    hh: np.ndarray,
    year: np.ndarray,
    true: np.ndarray,
    false: np.ndarray,
    row: np.ndarray,
) -> dict[str, np.ndarray]:
    n = len(hh)
    return {
        "kind": np.full(n, kind, _I1),
        "table": np.full(n, table, _I1),
        "hh": hh.astype(_I4),
        "year": year.astype(_I2),
        "column": np.full(n, column, _I1),
        "value_true": np.asarray(true, np.float64),
        "value_false": np.asarray(false, np.float64),
        "row": row.astype(np.int64),
    }


def _concat(parts: list[dict[str, np.ndarray]], keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    cols = {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}
    order = np.lexsort(tuple(cols[c] for c in reversed(keys)))
    return {c: v[order] for c, v in cols.items()}


def _tables(rng: np.random.Generator, s: SimpleNamespace) -> Block:
    """Department tables, payments, list, truth and planted problems of one block."""
    m = s.m
    q = QUIRKS
    alive = s.alive
    years = np.array(YEARS, dtype=np.int64)
    out: Block = {}
    issues: list[dict[str, np.ndarray]] = []

    out["households"] = {
        "hh": np.arange(m, dtype=_I4),
        "county": s.vcounty.astype(_I1),
        "township": s.v_township[s.village].astype(_I2),
        "village": s.village.astype(_I4),
        "hh_size": s.size.astype(_I1),
        "head_age": s.age0.astype(_I1),
        "head_sex": s.female.astype(_I1),
        "labour_capacity": s.cap.astype(_I1),
        "death_year": s.death_year.astype(_I2),
    }

    # poverty office (扶贫办; 乡村振兴局 from 2021), with duplicated keys (income typed x10 or /10)
    miss = np.where(
        s.status >= 1, q["poverty_office_missing_registered"], q["poverty_office_missing_other"]
    )
    hh, k = _rows(alive & (rng.random((m, T)) >= miss))
    po = _gather(
        hh,
        k,
        {
            "registered_poor": (s.status >= 1, _I1),
            "registration_year": (s.reg_shown, _I2),
            "exit_year": (s.exit_shown, _I2),
            "poverty_status": (s.status, _I1),
            "monitoring": (s.monitoring, _I1),
            "income_per_capita": (s.income, np.float64),
            "food_insecure": (s.food, _I1),
            "clothing_insecure": (s.cloth, _I1),
        },
    )
    n = len(hh)
    dup, before, up = rng.random(n) < q["duplicate_key"], rng.random(n) < 0.5, rng.random(n) < 0.5
    inc = po["income_per_capita"]
    false_inc = np.where(up, inc * 10.0, np.maximum(_round10(inc / 10.0), 300.0))
    extra = _subset(po, dup)
    extra["income_per_capita"] = false_inc[dup]
    po, pos = _add_rows(po, extra, before[dup])
    out["poverty_office"] = po
    issues.append(_issues(0, 0, 0, hh[dup], FIRST_YEAR + k[dup], inc[dup], false_inc[dup], pos))
    po_count = np.zeros((m, T), np.int64)
    np.add.at(po_count, (po["hh"], po["year"] - FIRST_YEAR), 1)

    # health (卫健委 / 医保局): duplicated keys, a lost county-year, stale records after death
    gap = (s.vcounty == COUNTIES.index(HEALTH_GAP[0]))[:, None] & (years == HEALTH_GAP[1])[None, :]
    hh, k = _rows(alive & ~gap & (rng.random((m, T)) >= q["health_missing"]))
    size2 = np.broadcast_to(s.size[:, None], (m, T))
    fields = {
        "insured_members": (s.insured_members, _I1),
        "medical_insured": (s.insured_members == size2, _I1),
        "chronic_members": (s.chronic_t, _I1),
        "large_medical_spending": (s.oop >= 10_000, _I1),
        "oop_spending": (s.oop, np.float64),
    }
    he = _gather(hh, k, fields)
    n = len(hh)
    dup, before = rng.random(n) < q["duplicate_key"], rng.random(n) < 0.5
    extra = _subset(he, dup)
    flipped = 1 - extra["medical_insured"]
    extra["medical_insured"] = flipped.astype(_I1)
    extra["insured_members"] = np.where(flipped == 1, s.size[hh[dup]], s.size[hh[dup]] - 1).astype(
        _I1
    )
    stale = (
        (s.death_year > 0) & (s.death_year <= YEARS[-2]) & (rng.random(m) < q["record_after_death"])
    )
    sh = np.nonzero(stale)[0]
    stale_rows = _gather(sh, s.death_k[sh], fields)
    stale_rows["year"] = (stale_rows["year"] + 1).astype(_I2)
    n_dup = int(dup.sum())
    extra = {c: np.concatenate([extra[c], stale_rows[c]]) for c in extra}
    he, pos = _add_rows(he, extra, np.concatenate([before[dup], np.zeros(len(sh), bool)]))
    out["health"] = he
    true_ins = he["medical_insured"][pos[:n_dup]]
    issues.append(
        _issues(0, 2, 1, hh[dup], FIRST_YEAR + k[dup], 1 - true_ins, true_ins, pos[:n_dup])
    )
    issues.append(
        _issues(
            3,
            2,
            4,
            sh,
            s.death_year[sh] + 1,
            np.full(len(sh), np.nan),
            np.full(len(sh), np.nan),
            pos[n_dup:],
        )
    )

    # education (教育局): attrition and missing waves
    hits = rng.random((m, T)) < q["education_attrition"]
    hits[:, 0] = False
    edu_attr = np.logical_or.accumulate(hits, axis=1)
    hh, k = _rows(alive & ~edu_attr & (rng.random((m, T)) >= q["education_missing"]))
    out["education"] = _gather(
        hh, k, {"school_age_children": (s.school_age, _I1), "dropout_children": (s.dropout, _I1)}
    )

    # housing (住建局): appraisals, never missing for registered poor households; duplicated keys
    miss = np.where(s.status == 1, 0.0, q["housing_missing"])
    hh, k = _rows(alive & (rng.random((m, T)) >= miss))
    ho = _gather(
        hh,
        k,
        {
            "housing_grade": (s.grade, _I1),
            "renovated": (s.renovated, _I1),
            "disaster_damage": (s.damage, _I1),
        },
    )
    n = len(hh)
    dup, before = rng.random(n) < q["duplicate_key"], rng.random(n) < 0.5
    shift = 1 + np.floor(rng.random(n) * 3).astype(np.int64)
    extra = _subset(ho, dup)
    true_g = extra["housing_grade"].astype(np.int64)
    false_g = (true_g + shift[dup]) % 4
    extra["housing_grade"] = false_g.astype(_I1)
    ho, pos = _add_rows(ho, extra, before[dup])
    out["housing"] = ho
    issues.append(_issues(0, 3, 2, hh[dup], FIRST_YEAR + k[dup], true_g + 1, false_g + 1, pos))

    # water (水利局): whole villages missing in some years
    thr = np.where(s.v_scarce[s.village], 20.0, 35.0)[:, None]
    safe = (s.quantity >= thr) & s.quality & (s.fetch <= 20.0) & (s.interruption <= 36)
    vmiss = s.v_water_missing[s.village]
    hh, k = _rows(alive & ~vmiss & (rng.random((m, T)) >= q["water_missing"]))
    out["water"] = _gather(
        hh,
        k,
        {
            "piped": (s.piped, _I1),
            "water_quantity_lpd": (s.quantity, np.float64),
            "water_quality_ok": (s.quality, _I1),
            "fetch_minutes": (s.fetch, np.float64),
            "interruption_days": (s.interruption, _I2),
            "safe_water": (safe, _I1),
        },
    )

    # disability federation (残联): certified households only
    hh, k = _rows(alive & (s.disabled_t > 0) & (rng.random((m, T)) >= q["disability_missing"]))
    out["disability"] = _gather(
        hh, k, {"disabled_members": (s.disabled_t, _I1), "max_disability_grade": (s.grade_d, _I1)}
    )

    # human resources (人社局): households with labour; 2015 wave incomplete; attrition
    hits = rng.random((m, T)) < q["employment_attrition"]
    hits[:, 0] = False
    emp_attr = np.logical_or.accumulate(hits, axis=1)
    scope = (s.working > 0) & (s.cap < 2)
    miss = np.where(years == 2015, q["employment_missing_2015"], q["employment_missing"])[None, :]
    hh, k = _rows(alive & scope[:, None] & ~emp_attr & (rng.random((m, T)) >= miss))
    work2 = np.broadcast_to(s.working[:, None], (m, T))
    out["employment"] = _gather(
        hh,
        k,
        {
            "working_age_members": (work2, _I1),
            "local_employed": (s.local, _I1),
            "migrant_workers": (s.migrant, _I1),
            "lost_job": (s.lost_job, _I1),
            "public_welfare_job": (s.pwj, _I1),
        },
    )

    # civil affairs (民政局): from the first application on; conflicting size and income
    contact = np.logical_or.accumulate(s.ca_applied & alive, axis=1)
    hh, k = _rows(alive & contact & (rng.random((m, T)) >= q["civil_affairs_missing"]))
    ca = _gather(
        hh,
        k,
        {
            "applied": (s.ca_applied, _I1),
            "assistance": (s.assistance, _I1),
            "hh_size": (size2, _I1),
            "income_assessed": (s.assessed, np.float64),
            "allowance": (s.allowance, np.float64),
        },
    )
    n = len(hh)
    c_size = rng.random(n) < q["conflict_hh_size"]
    delta = np.array([-2, -1, 1, 2])[np.floor(rng.random(n) * 4).astype(np.int64)]
    true_size = ca["hh_size"].astype(np.int64)
    false_size = np.where(true_size + delta >= 1, true_size + delta, true_size + 1)
    ca["hh_size"] = np.where(c_size, false_size, true_size).astype(_I1)
    rows = np.nonzero(c_size)[0]
    issues.append(
        _issues(1, 1, 3, hh[rows], ca["year"][rows], true_size[rows], false_size[rows], rows)
    )
    unique_po = po_count[hh, k] == 1
    c_inc = unique_po & (rng.random(n) < q["conflict_income"])
    y_po = s.income[hh, k]
    low, high = rng.uniform(0.3, 0.55, n), rng.uniform(1.8, 3.0, n)
    factor = np.where((y_po < 1500) | (rng.random(n) < 0.5), high, low)
    false_a = np.maximum(_round10(y_po * factor), 300.0)
    rows = np.nonzero(c_inc)[0]
    issues.append(
        _issues(
            2, 1, 0, hh[rows], ca["year"][rows], ca["income_assessed"][rows], false_a[rows], rows
        )
    )
    ca["income_assessed"] = np.where(c_inc, false_a, ca["income_assessed"])
    out["civil_affairs"] = ca

    # village list: applicants of the self-application + village vote, by year
    hh, k = _rows(alive & s.applied)
    vl = _gather(hh, k, {"village": (s.village, _I4), "voters": (s.v_voters[s.village], _I2)})
    vl["votes_for"] = s.votes_for[hh, k].astype(_I2)
    vl["listed"] = s.listed[hh, k].astype(_I1)
    out["village_list"] = vl

    # payments, with planted anomalies
    _payments(rng, s, out)

    # truth, one row per household-year while the household exists
    hh, k = _rows(alive)
    list_error = np.where(s.listed & ~s.latent, 1, np.where(s.latent & ~s.listed, 2, 0))
    out["truth"] = _gather(
        hh,
        k,
        {
            "latent_poor": (s.latent, _I1),
            "shock_illness": (s.ill, _I1),
            "shock_disaster": (s.disaster, _I1),
            "shock_job_loss": (s.job, _I1),
            "risk_set": (s.risk, _I1),
            "years_since_exit": (s.tau, _I1),
            "base_hazard": (s.base_h, np.float64),
            "hazard": (s.haz, np.float64),
            "exit": (s.exit_ev, _I1),
            "relapse": (s.relapse_ev, _I1),
            "entry": (s.entry_ev, _I1),
            "near_poor": (s.near_poor, _I1),
            "connected": (np.broadcast_to(s.connected[:, None], (m, T)), _I1),
            "applied": (s.applied, _I1),
            "listed": (s.listed, _I1),
            "p_listed": (s.p_listed, np.float64),
            "list_error": (list_error, _I1),
            "education_attrited": (edu_attr, _I1),
            "employment_attrited": (emp_attr, _I1),
        },
    )
    out["data_issues"] = _concat(issues, ("hh", "year", "table", "kind"))
    return out


def _payments(rng: np.random.Generator, s: SimpleNamespace, out: Block) -> None:
    """Payments, vehicles and businesses with the planted benefit anomalies."""
    m = s.m
    q = QUIRKS
    years = np.array(YEARS, dtype=np.int64)
    standard = np.array([DIBAO_STANDARD[y] for y in YEARS])
    pay = s.pay.copy()

    # duplicate claims: a tekun payment on top of dibao in the same year
    dibao = pay[:, :, _DIBAO] > 0
    dup = dibao & (rng.random((m, T)) < q["duplicate_claim"])
    tekun_amount = _round10(1.3 * standard[None, :] * s.size[:, None])
    pay[:, :, _TEKUN] = np.where(dup, tekun_amount, pay[:, :, _TEKUN])

    # payments after death: the death year's payments continue one or two more years
    dk = s.death_k
    idx = np.nonzero((s.death_year > 0) & (s.death_year <= YEARS[-2]))[0]
    paid = (pay[idx, dk[idx], :] > 0).any(axis=1)
    sel = paid & (rng.random(len(idx)) < q["payment_after_death"])
    n_extra = 1 + (rng.random(len(idx)) < 0.5)
    for j in (1, 2):
        rows = idx[sel & (n_extra >= j) & (dk[idx] + j < T)]
        pay[rows, dk[rows] + j, :] = pay[rows, dk[rows], :]

    # planted cars and businesses of allowance recipients, registered in a paid year
    recip = ((pay[:, :, _DIBAO] > 0) | (pay[:, :, _TEKUN] > 0)) & s.alive
    has = recip.any(axis=1)
    plant_car = has & (rng.random(m) < q["planted_vehicle"])
    plant_biz = has & (rng.random(m) < q["planted_business"])
    car_hh, biz_hh = np.nonzero(plant_car)[0], np.nonzero(plant_biz)[0]
    car_year = FIRST_YEAR + _pick(rng, recip[car_hh])
    biz_year = FIRST_YEAR + _pick(rng, recip[biz_hh])
    biz_capital = np.maximum(
        np.rint(rng.lognormal(np.log(30_000), 0.7, len(biz_hh)) / 1000) * 1000, 1000.0
    )

    yr = years[None, :]
    veh_active = (s.has_car[:, None] & (s.car_reg[:, None] <= yr) & (s.car_scrap[:, None] > yr)) | (
        s.has_truck[:, None] & (s.truck_reg[:, None] <= yr)
    )
    veh_active[car_hh] |= car_year[:, None] <= yr
    biz_active = s.has_biz[:, None] & (s.biz_reg[:, None] <= yr) & (s.biz_dereg[:, None] > yr)
    biz_active[biz_hh] |= biz_year[:, None] <= yr

    ph, pk, pp = np.nonzero(pay > 0)
    out["payments"] = {
        "hh": ph.astype(_I4),
        "year": (FIRST_YEAR + pk).astype(_I2),
        "programme": pp.astype(_I1),
        "department": _PROGRAMME_DEPARTMENT[pp],
        "amount": pay[ph, pk, pp],
    }
    allowance = (pp == _DIBAO) | (pp == _TEKUN)
    both = (pay[:, :, _DIBAO] > 0) & (pay[:, :, _TEKUN] > 0)
    flags = [
        (s.death_year[ph] > 0) & (FIRST_YEAR + pk > s.death_year[ph]),
        (pp == _TEKUN) & both[ph, pk],
        allowance & biz_active[ph, pk],
        allowance & veh_active[ph, pk],
    ]
    parts = []
    for kind, flag in enumerate(flags):
        rows = np.nonzero(flag)[0]
        parts.append(
            {
                "kind": np.full(len(rows), kind, _I1),
                "hh": ph[rows].astype(_I4),
                "year": (FIRST_YEAR + pk[rows]).astype(_I2),
                "programme": pp[rows].astype(_I1),
                "row": rows.astype(np.int64),
            }
        )
    out["anomalies"] = _concat(parts, ("row", "kind"))

    # vehicles (公安交管) and businesses (市场监管局)
    none = np.full(m, -1, np.int64)
    v_parts = []
    for have, vtype, reg, scrap in (
        (s.has_car, 0, s.car_reg, np.where(s.car_scrap <= YEARS[-1], s.car_scrap, -1)),
        (s.has_truck, 1, s.truck_reg, none),
        (s.has_moto, 2, s.moto_reg, none),
        (s.has_tri, 3, s.tri_reg, none),
    ):
        h = np.nonzero(have)[0]
        v_parts.append(
            {
                "hh": h.astype(_I4),
                "vehicle_type": np.full(len(h), vtype, _I1),
                "registration_year": reg[h].astype(_I2),
                "scrapped_year": scrap[h].astype(_I2),
            }
        )
    v_parts.append(
        {
            "hh": car_hh.astype(_I4),
            "vehicle_type": np.zeros(len(car_hh), _I1),
            "registration_year": car_year.astype(_I2),
            "scrapped_year": np.full(len(car_hh), -1, _I2),
        }
    )
    out["vehicles"] = _concat(v_parts, ("hh", "registration_year", "vehicle_type"))
    h = np.nonzero(s.has_biz)[0]
    dereg = np.where(s.biz_dereg <= YEARS[-1], s.biz_dereg, -1)
    b_parts = [
        {
            "hh": h.astype(_I4),
            "business_type": s.biz_company[h].astype(_I1),
            "registration_year": s.biz_reg[h].astype(_I2),
            "deregistration_year": dereg[h].astype(_I2),
            "registered_capital": s.biz_capital[h],
        },
        {
            "hh": biz_hh.astype(_I4),
            "business_type": np.zeros(len(biz_hh), _I1),
            "registration_year": biz_year.astype(_I2),
            "deregistration_year": np.full(len(biz_hh), -1, _I2),
            "registered_capital": biz_capital,
        },
    ]
    out["business"] = _concat(b_parts, ("hh", "registration_year", "business_type"))
