"""Generator of the synthetic ``labour_market`` tables: a city's database of poor workers and posts.

The dataset imitates the labour database of Yueyang (岳阳, Hunan): the human-resources and
poverty offices surveyed every poor worker willing to work -- 7,658 people, with the jobs,
places and wages they want -- and entered 396 employers' 10,090 posts into one database, from
which the poverty office matched people to posts and pushed the offers to workers' phones.
The city here is the fictional one of the ``registry_panel`` dataset (its six counties and
villages); workers of the panel's poor households with labour carry the panel's household id.

Two tables (:data:`DTYPES`): ``workers`` (one row per worker: household link, home on a km
grid, age, sex, education, health, skills, wage floor, how far the worker will go, wanted
sectors) and ``posts`` (one row per posting of an employer: sector, place, wage, openings,
age, education, health and skill requirements). Every value is drawn from the model below;
no real person or firm is represented.

Workers are drawn in fixed blocks of :data:`BLOCK_WORKERS`; block ``b`` draws from
``SeedSequence(seed, spawn_key=(0, b))``, so ``generate(n=k)["workers"]`` is the first ``k``
rows of ``generate(n=m)["workers"]`` for ``k <= m``. The household links come from one
list of *slots* (a poor household with labour repeated once per surveyed worker, 1-3, in a
random order drawn from ``SeedSequence(seed, spawn_key=(1,))``): the ``k``-th worker drawn as
linked takes slot ``k``; once the slots are used up, further workers are unlinked
(``household_id = -1``). Employers are drawn in blocks of :data:`BLOCK_EMPLOYERS` from
``SeedSequence(seed, spawn_key=(2, b))``; their number and the total openings scale with
``n`` (:func:`n_employers`, :func:`n_openings`), and the openings are rescaled to hit the
total exactly, so posts are not a prefix across sizes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from ._errors import ValidationError
from ._io import write_csv_gz
from ._progress import progress as progress_bar
from ._registry_sim import COUNTIES

__all__ = [
    "BLOCK_EMPLOYERS",
    "BLOCK_WORKERS",
    "BUNDLED_EMPLOYERS",
    "BUNDLED_N",
    "BUNDLED_OPENINGS",
    "BUNDLED_SEED",
    "CARD",
    "COUNTIES",
    "COUNTY_CENTRES",
    "DTYPES",
    "EDUCATION",
    "FILES",
    "FORMATS",
    "HEALTH",
    "HEALTH_REQUIRED",
    "LABELS",
    "MAX_N",
    "NAME",
    "PLACES",
    "SECTORS",
    "SEXES",
    "SKILLS",
    "generate",
    "generate_tables",
    "load",
    "n_employers",
    "n_openings",
    "write_csv",
]

NAME: Final = "labour_market"
CARD: Final = "labour_market.md"
FORMATS: Final = ("tables",)
FILES: Final = {
    "workers": "labour_market_workers.csv.gz",
    "posts": "labour_market_posts.csv.gz",
}

#: Workers and seed of the bundled files ``data/labour_market_*.csv.gz``.
BUNDLED_N: Final = 7658
BUNDLED_SEED: Final = 2017
#: Employers and total openings at the bundled size (Yueyang's 396 employers, 10,090 posts).
BUNDLED_EMPLOYERS: Final = 396
BUNDLED_OPENINGS: Final = 10_090
#: Workers per internal block (each block has its own random stream).
BLOCK_WORKERS: Final = 1024
#: Employers per internal block.
BLOCK_EMPLOYERS: Final = 64
#: Largest number of workers accepted by :func:`generate`.
MAX_N: Final = 10_000_000

# --- codebook --------------------------------------------------------------------------------------
SKILLS: Final = (
    "construction",
    "driving",
    "cooking",
    "sewing",
    "electrician",
    "welding",
    "care",
    "farming",
    "retail",
    "computer",
    "mechanic",
    "cleaning",
)
SECTORS: Final = (
    "manufacturing",
    "construction",
    "services",
    "agriculture",
    "logistics",
    "retail",
    "care",
    "hospitality",
)
#: Education codes 0..5.
EDUCATION: Final = (
    "none",
    "primary",
    "junior secondary",
    "senior secondary",
    "vocational",
    "college",
)
SEXES: Final = ("female", "male")
HEALTH: Final = ("good", "fair", "poor")
HEALTH_REQUIRED: Final = ("any", "fair", "good")

#: County seats on the city's km grid (x east, y north; the city districts at the origin).
#: Remoter, poorer counties of the registry panel lie further out.
COUNTY_CENTRES: Final[dict[str, tuple[float, float]]] = {
    "Qingshan": (18.0, -22.0),
    "Baihe": (-34.0, 12.0),
    "Shiqiao": (40.0, 30.0),
    "Liujiang": (-30.0, -56.0),
    "Yunling": (52.0, -62.0),
    "Hongyan": (86.0, -104.0),
}
#: Workplaces outside the six counties: (name, province, x_km, y_km, place class). Distances
#: are straight lines from Yueyang's city districts (29.4 N, 113.1 E).
PLACES: Final = (
    ("Yueyang", "Hunan", 0.0, 0.0, "city"),
    ("Changsha", "Hunan", -16.0, -127.0, "capital"),
    ("Wuhan", "Hubei", 115.0, 136.0, "capital"),
    ("Guangzhou", "Guangdong", 16.0, -693.0, "coastal"),
    ("Dongguan", "Guangdong", 63.0, -705.0, "coastal"),
    ("Shenzhen", "Guangdong", 93.0, -760.0, "coastal"),
    ("Suzhou", "Jiangsu", 720.0, 215.0, "coastal"),
    ("Ningbo", "Zhejiang", 816.0, 56.0, "coastal"),
)

#: Column order and dtypes of the two tables (``"str"``: strings, ``""`` never missing).
DTYPES: Final[dict[str, dict[str, str]]] = {
    "workers": {
        "worker_id": "str",
        "household_id": "int64",
        "village": "int32",
        "county": "str",
        "x_km": "float64",
        "y_km": "float64",
        "age": "int64",
        "sex": "str",
        "education": "int64",
        "health": "str",
        "skills": "str",
        "wage_floor": "float64",
        "max_distance_km": "float64",
        "sectors": "str",
    },
    "posts": {
        "post_id": "str",
        "employer_id": "str",
        "employer": "str",
        "sector": "str",
        "county": "str",
        "x_km": "float64",
        "y_km": "float64",
        "wage": "float64",
        "openings": "int64",
        "min_age": "int64",
        "max_age": "int64",
        "min_education": "int64",
        "skill": "str",
        "health_required": "str",
    },
}

#: One-line description of every column, by table.
LABELS: Final[dict[str, dict[str, str]]] = {
    "workers": {
        "worker_id": "worker identifier W000001, W000002, ...",
        "household_id": "hh_id of the registry_panel household (-1: not linked)",
        "village": "village identifier of the registry_panel (home village)",
        "county": "county of residence (registry_panel counties)",
        "x_km": "home, km east of the city districts",
        "y_km": "home, km north of the city districts",
        "age": "age in years (16-64)",
        "sex": "female or male",
        "education": "0 none, 1 primary, 2 junior secondary, 3 senior secondary, "
        "4 vocational, 5 college",
        "health": "self-reported health: good, fair or poor",
        "skills": "';'-separated skill codes (empty: none)",
        "wage_floor": "lowest acceptable wage, yuan per month",
        "max_distance_km": "farthest straight-line distance to a workplace, km",
        "sectors": "';'-separated wanted sectors (empty: any sector)",
    },
    "posts": {
        "post_id": "posting identifier P000001, P000002, ...",
        "employer_id": "employer identifier E0001, E0002, ...",
        "employer": "employer name",
        "sector": "sector of the post",
        "county": "county or city of the workplace",
        "x_km": "workplace, km east of the city districts",
        "y_km": "workplace, km north of the city districts",
        "wage": "monthly wage offered, yuan",
        "openings": "number of openings of the posting (>= 1)",
        "min_age": "youngest age accepted",
        "max_age": "oldest age accepted",
        "min_education": "lowest education code accepted (0-5)",
        "skill": "skill code required (empty: none)",
        "health_required": "any, fair (fair or good) or good",
    },
}

# --- model: workers ---------------------------------------------------------------------------------
_GEO_SEED: Final = 19_430_517  # fixed geography (village sites) for every seed
_N_VILLAGE_SITES = 64  # villages of the bundled registry panel (ids 1..64)
_P_LINK = 0.38  # share of surveyed workers drawn from the panel's households
_P_HAMLET = 0.12  # share of workers living in outlying hamlets
_SURVEY_YEAR = 2017  # year of the survey (ages of linked workers follow the panel's heads)
_MOBILITY = ("local", "regional", "migrant")
# Skill logits: expit(base + female shift + age slope * (age - 40) + education slope * (edu - 2)).
_SKILL_LOGIT = np.array([-1.1, -1.4, -2.1, -2.7, -2.6, -2.5, -3.5, -1.2, -2.8, -3.0, -2.8, -2.2])
_SKILL_FEMALE = np.array([-2.2, -1.9, 1.2, 2.3, -2.2, -2.5, 1.9, 0.0, 0.8, 0.0, -2.0, 1.0])
_SKILL_AGE = np.array([0.0, -0.02, 0.0, -0.03, -0.01, -0.01, 0.03, 0.06, -0.04, -0.12, -0.02, 0.02])
_SKILL_EDU = np.array([0.0, 0.25, 0.0, 0.0, 0.6, 0.2, 0.2, -0.3, 0.5, 1.3, 0.4, -0.2])
# Education: latent = N(0,1) - slope * (age - 40) + male bonus; codes by cut points.
_EDU_CUTS = np.array([-1.30, -0.05, 1.25, 1.70, 2.15])
# Sector preference weights (SECTORS order) and their boosts by skill.
_SECTOR_BASE = np.array([1.0, 0.5, 0.9, 0.6, 0.4, 0.5, 0.35, 0.6])
_SECTOR_SKILL = {  # skill -> (sector, multiplier)
    "construction": ("construction", 5.0),
    "welding": ("manufacturing", 2.5),
    "electrician": ("construction", 2.0),
    "sewing": ("manufacturing", 4.0),
    "driving": ("logistics", 5.0),
    "cooking": ("hospitality", 4.0),
    "care": ("care", 6.0),
    "farming": ("agriculture", 3.0),
    "retail": ("retail", 5.0),
    "computer": ("retail", 1.5),
    "cleaning": ("services", 3.0),
    "mechanic": ("manufacturing", 2.0),
}

# --- model: employers and posts ---------------------------------------------------------------------
_CLASSES = ("coastal", "capital", "city", "county", "village")
_CLASS_P = np.array([0.11, 0.08, 0.27, 0.33, 0.21])
#: Sector probabilities by place class (rows) in SECTORS order.
_SECTOR_P = np.array(
    [
        [0.78, 0.07, 0.03, 0.00, 0.07, 0.00, 0.00, 0.05],
        [0.25, 0.25, 0.12, 0.00, 0.12, 0.06, 0.08, 0.12],
        [0.24, 0.14, 0.16, 0.00, 0.12, 0.12, 0.09, 0.13],
        [0.09, 0.14, 0.21, 0.05, 0.08, 0.17, 0.12, 0.14],
        [0.42, 0.00, 0.00, 0.58, 0.00, 0.00, 0.00, 0.00],
    ]
)
_CLASS_WAGE = np.array([1.40, 1.15, 1.0, 0.88, 0.80])
_SECTOR_WAGE = np.array([3500.0, 4700.0, 2600.0, 2450.0, 4100.0, 2800.0, 3300.0, 2900.0])
#: Median openings per posting (before rescaling to the total) by place class.
_CLASS_OPENINGS = np.array([24.0, 6.0, 4.5, 3.0, 6.0])
_MAX_POSTINGS = 8
_POSTINGS_MEAN = np.array([3.0, 2.5, 2.5, 2.0, 1.6])  # mean postings per employer, by class
#: Skill required, by sector: (skill or "", probability).
_POST_SKILL: Final[dict[str, tuple[tuple[str, float], ...]]] = {
    "manufacturing": (
        ("", 0.55),
        ("sewing", 0.20),
        ("welding", 0.09),
        ("electrician", 0.07),
        ("mechanic", 0.06),
        ("computer", 0.03),
    ),
    "construction": (
        ("", 0.35),
        ("construction", 0.40),
        ("welding", 0.10),
        ("electrician", 0.10),
        ("driving", 0.05),
    ),
    "services": (
        ("", 0.50),
        ("cleaning", 0.35),
        ("driving", 0.05),
        ("cooking", 0.05),
        ("electrician", 0.05),
    ),
    "workshop": (("", 0.60), ("sewing", 0.40)),  # village poverty-alleviation workshops
    "agriculture": (("", 0.50), ("farming", 0.45), ("driving", 0.05)),
    "logistics": (("", 0.40), ("driving", 0.55), ("computer", 0.05)),
    "retail": (("", 0.50), ("retail", 0.35), ("computer", 0.15)),
    "care": (("", 0.25), ("care", 0.65), ("cooking", 0.10)),
    "hospitality": (("", 0.40), ("cooking", 0.45), ("cleaning", 0.15)),
}
_MAX_AGES = np.array([40, 45, 50, 55, 60, 64])
#: Probabilities of the oldest accepted age (_MAX_AGES) by sector.
_MAX_AGE_P = np.array(
    [
        [0.25, 0.35, 0.25, 0.10, 0.05, 0.00],
        [0.00, 0.05, 0.25, 0.40, 0.25, 0.05],
        [0.00, 0.05, 0.15, 0.25, 0.35, 0.20],
        [0.00, 0.00, 0.05, 0.15, 0.35, 0.45],
        [0.10, 0.30, 0.35, 0.20, 0.05, 0.00],
        [0.30, 0.35, 0.20, 0.10, 0.05, 0.00],
        [0.00, 0.05, 0.20, 0.35, 0.30, 0.10],
        [0.20, 0.30, 0.30, 0.15, 0.05, 0.00],
    ]
)
#: Probabilities of the lowest accepted education 0..3 by sector.
_MIN_EDU_P = np.array(
    [
        [0.20, 0.40, 0.35, 0.05],
        [0.65, 0.30, 0.05, 0.00],
        [0.50, 0.40, 0.10, 0.00],
        [0.85, 0.15, 0.00, 0.00],
        [0.10, 0.45, 0.40, 0.05],
        [0.05, 0.25, 0.45, 0.25],
        [0.20, 0.50, 0.25, 0.05],
        [0.30, 0.50, 0.20, 0.00],
    ]
)
#: Probabilities of health_required any / fair / good by sector.
_HEALTH_P = np.array(
    [
        [0.05, 0.40, 0.55],
        [0.00, 0.20, 0.80],
        [0.40, 0.50, 0.10],
        [0.50, 0.40, 0.10],
        [0.05, 0.30, 0.65],
        [0.25, 0.55, 0.20],
        [0.05, 0.55, 0.40],
        [0.05, 0.45, 0.50],
    ]
)
_FIRM_WORDS = (
    "Huaxing",
    "Xinda",
    "Hengtai",
    "Jinsheng",
    "Fuda",
    "Changhong",
    "Yuanfeng",
    "Minsheng",
    "Tianrun",
    "Hongli",
    "Ruifeng",
    "Dongfang",
    "Kangtai",
    "Anxin",
    "Baoli",
    "Jiahe",
)
_FIRM_KINDS: Final[dict[str, tuple[str, ...]]] = {
    "manufacturing": (
        "Electronics",
        "Garments",
        "Shoes",
        "Plastics",
        "Precision Parts",
        "Furniture",
    ),
    "workshop": ("Garments", "Shoes", "Electronics Assembly", "Bamboo Crafts"),
    "construction": ("Construction", "Building Engineering", "Decoration"),
    "services": ("Property Services", "Security Services", "Cleaning Services"),
    "agriculture": (
        "Tea Cooperative",
        "Fruit Cooperative",
        "Aquaculture Cooperative",
        "Rice Cooperative",
    ),
    "logistics": ("Logistics", "Express", "Freight"),
    "retail": ("Supermarket", "Department Store", "Pharmacy Chain"),
    "care": ("Elderly Care Home", "Home Care Services", "Rehabilitation Centre"),
    "hospitality": ("Hotel", "Restaurant", "Catering"),
}


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# --- geography and the registry panel's households ---------------------------------------------------
@lru_cache(maxsize=1)
def _panel() -> dict[str, np.ndarray]:
    """Households, villages and link slots' ingredients from the bundled registry panel.

    Returns read-only arrays: ``hh_id``, ``county`` (code), ``village``, ``head_age``,
    ``male_head``, ``partial`` (labour capacity partial), ``eligible`` (alive in 2022, labour
    capacity full or partial, ever registered poor or ever under monitoring), ``working_age``
    (working-age members in the household's latest human-resources record, 0 if none),
    and the village sites ``site_county``, ``site_x``, ``site_y`` (index = village id - 1).
    """
    from . import _registry_panel

    tables = _registry_panel.load(format="tables")
    hh = tables["households"]
    po = tables["poverty_office"]
    emp = tables["employment"]
    ids = hh["hh_id"].to_numpy().astype(np.int64)
    n = ids.shape[0]
    row = pd.Index(ids)
    poor = np.zeros(n, dtype=bool)
    r = row.get_indexer(po["hh_id"].to_numpy())
    flagged = (po["registered_poor"].to_numpy() == 1) | (
        po["monitoring"].astype(str).to_numpy() != "none"
    )
    poor[r[flagged]] = True
    working_age = np.zeros(n, dtype=np.int64)
    latest = emp.sort_values(["hh_id", "year"], kind="stable").drop_duplicates("hh_id", keep="last")
    working_age[row.get_indexer(latest["hh_id"].to_numpy())] = latest[
        "working_age_members"
    ].to_numpy()
    cap = hh["labour_capacity"].astype(str).to_numpy()
    county = np.array([COUNTIES.index(c) for c in hh["county"].astype(str)], dtype=np.int64)
    village = hh["village"].to_numpy().astype(np.int64)
    eligible = poor & np.isin(cap, ("full", "partial")) & hh["death_year"].isna().to_numpy()
    # Village sites: each village of the panel lies in one county; sites scatter around the
    # county seat (6-24 km) from a fixed stream, the same for every seed.
    n_sites = max(_N_VILLAGE_SITES, int(village.max()))
    site_county = np.zeros(n_sites, dtype=np.int64)
    site_county[village - 1] = county
    geo = np.random.default_rng(np.random.SeedSequence(_GEO_SEED))
    angle = geo.uniform(0.0, 2 * np.pi, n_sites)
    radius = geo.uniform(6.0, 24.0, n_sites)
    centres = np.array([COUNTY_CENTRES[c] for c in COUNTIES])
    site_x = np.round(centres[site_county, 0] + radius * np.cos(angle), 2)
    site_y = np.round(centres[site_county, 1] + radius * np.sin(angle), 2)
    out = {
        "hh_id": ids,
        "county": county,
        "village": village,
        "head_age": hh["head_age"].to_numpy().astype(np.int64),
        "male_head": (hh["head_sex"].astype(str) == "male").to_numpy(),
        "partial": cap == "partial",
        "eligible": eligible,
        "working_age": working_age,
        "site_county": site_county,
        "site_x": site_x,
        "site_y": site_y,
        # share of eligible households by village (where unlinked workers live)
        "site_weight": np.bincount(village[eligible] - 1, minlength=n_sites).astype(float) + 1.0,
    }
    for v in out.values():
        v.flags.writeable = False
    return out


@lru_cache(maxsize=4)
def _slots(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Link slots: row of the panel household and role (0 head, 1 spouse, 2 adult child).

    Every eligible household (see :func:`_panel`) contributes ``1 + Binomial(k - 1, 0.6)``
    slots, ``k = clip(working-age members, 1, 3)`` (2 when unknown; 1 for partial labour
    capacity), and the slots are shuffled by ``SeedSequence(seed, spawn_key=(1,))``.
    """
    p = _panel()
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    rows = np.flatnonzero(p["eligible"])
    k = np.where(p["working_age"][rows] > 0, np.clip(p["working_age"][rows], 1, 3), 2)
    k = np.where(p["partial"][rows], 1, k)
    take = 1 + rng.binomial(k - 1, 0.6)
    slot_row = np.repeat(rows, take)
    first = np.r_[0, np.cumsum(take)[:-1]]
    rank = np.arange(slot_row.shape[0]) - np.repeat(first, take)
    role = np.minimum(rank, 2)
    order = rng.permutation(slot_row.shape[0])
    slot_row, role = slot_row[order], role[order]
    slot_row.flags.writeable = False
    role.flags.writeable = False
    return slot_row, role


# --- workers ----------------------------------------------------------------------------------------
def _worker_block(
    seed: int, block: int, link_start: int, slot_row: np.ndarray, slot_role: np.ndarray
) -> dict[str, np.ndarray]:
    """Draw one full block of :data:`BLOCK_WORKERS` workers.

    Parameters
    ----------
    seed : int
        The user seed; the block draws from ``SeedSequence(seed, spawn_key=(0, block))``.
    block : int
        Index of the block.
    link_start : int
        Number of workers drawn as linked in the blocks before this one (the first slot
        this block may take).
    slot_row, slot_role : numpy.ndarray
        The link slots of :func:`_slots`.

    Returns
    -------
    dict of str to numpy.ndarray
        The worker columns (strings as object arrays) without ``worker_id``, plus ``linked``
        (drawn as linked, whether or not a slot was left).
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, block)))
    b = BLOCK_WORKERS
    p = _panel()
    # Fixed-size draws, in a fixed order, for every worker of the block.
    wants_link = rng.random(b) < _P_LINK
    u_village = rng.random(b)
    z_age = rng.normal(0.0, 1.0, b)
    u_young = rng.random(b)
    u_sex = rng.random(b)
    jitter = rng.normal(0.0, 1.2, (b, 2))
    u_hamlet = rng.random((b, 3))
    z_edu = rng.normal(0.0, 1.0, b)
    z_health = rng.normal(0.0, 1.0, b)
    u_skill = rng.random((b, len(SKILLS)))
    g_mob = rng.gumbel(0.0, 1.0, (b, 3))
    u_dist = rng.random(b)
    z_floor = rng.normal(0.0, 1.0, b)
    u_any = rng.random(b)
    u_nsec = rng.random(b)
    g_sec = rng.gumbel(0.0, 1.0, (b, len(SECTORS)))

    # --- household link ---
    counter = link_start + np.cumsum(wants_link) - 1
    linked = wants_link & (counter < slot_row.shape[0])
    slot = np.where(linked, counter, 0)
    hrow = slot_row[slot] if slot_row.shape[0] else np.zeros(b, dtype=np.int64)
    role = slot_role[slot] if slot_role.shape[0] else np.zeros(b, dtype=np.int64)
    household = np.where(linked, p["hh_id"][hrow], -1)

    # Unlinked workers: a village of the panel, weighted by its poor households with labour.
    w = p["site_weight"]
    site = np.minimum(np.searchsorted(np.cumsum(w) / w.sum(), u_village), w.shape[0] - 1)
    village = np.where(linked, p["village"][hrow], site + 1)
    county = p["site_county"][village - 1]
    # Most homes lie within a few km of the village centre; outlying hamlets 7-18 km out.
    hamlet = u_hamlet[:, 0] < _P_HAMLET
    r_out = np.where(hamlet, 7.0 + 11.0 * u_hamlet[:, 1], 0.0)
    a_out = 2 * np.pi * u_hamlet[:, 2]
    x = np.round(p["site_x"][village - 1] + jitter[:, 0] + r_out * np.cos(a_out), 2)
    y = np.round(p["site_y"][village - 1] + jitter[:, 1] + r_out * np.sin(a_out), 2)

    # --- age and sex ---
    # The panel records the head's age in 2015; the survey is of 2017.
    head_age = p["head_age"][hrow] + _SURVEY_YEAR - 2015
    young = u_young < 0.16
    free_age = np.where(young, 24.0 + 4.5 * z_age, 47.0 + 9.0 * z_age)
    # Heads past working age send a grown child; young heads have no grown child, so their
    # third worker is a sibling of about their age.
    child = (role == 2) & (head_age >= 45) | (role < 2) & (head_age > 64)
    as_member = np.select(
        [child, role == 1],
        [head_age - 28.0 + 4.0 * z_age, head_age - 2.0 + 3.0 * z_age],
        head_age + 1.5 * z_age,
    )
    age = np.clip(np.rint(np.where(linked, as_member, free_age)), 16, 64).astype(np.int64)
    male_head = p["male_head"][hrow]
    male_member = np.select(
        [(role == 0) & ~child, (role == 1) & ~child], [male_head, ~male_head], u_sex < 0.5
    )
    male = np.where(linked, male_member, u_sex < 0.53)

    # --- education, health, skills ---
    latent = z_edu - 0.045 * (age - 40) + 0.2 * male
    education = np.searchsorted(_EDU_CUTS, latent).astype(np.int64)
    partial = linked & p["partial"][hrow]
    h_latent = z_health - 0.03 * (age - 40) - 1.0 * partial
    health = np.select([h_latent < -1.9, h_latent < -0.9], [2, 1], 0)
    logit = (
        _SKILL_LOGIT[None, :]
        + _SKILL_FEMALE[None, :] * (~male)[:, None]
        + _SKILL_AGE[None, :] * (age - 40)[:, None]
        + _SKILL_EDU[None, :] * (education - 2)[:, None]
    )
    has_skill = u_skill < _expit(logit)

    # --- mobility, wage floor ---
    mob_logit = np.stack(
        [
            np.zeros(b),
            -1.7 + 0.25 * male - 0.02 * (age - 40) + 0.15 * education,
            -1.2 + 0.5 * male - 0.09 * (age - 35) - 1.1 * (health > 0) + 0.1 * education,
        ],
        axis=1,
    )
    mobility = np.argmax(mob_logit + g_mob, axis=1)
    local_km = 10.0 + 30.0 * u_dist**1.8
    regional_km = 40.0 + 160.0 * u_dist
    migrant_km = 300.0 + 1200.0 * u_dist**0.6
    max_distance = np.round(np.choose(mobility, [local_km, regional_km, migrant_km]) * 2) / 2
    base = np.choose(mobility, [2150.0, 2800.0, 3400.0]) + 170.0 * education - 8.0 * (age - 40)
    floor = np.clip(np.round((base + 420.0 * z_floor) / 100.0) * 100.0, 1800.0, 4500.0)

    # --- wanted sectors ---
    weight = np.tile(_SECTOR_BASE, (b, 1))
    for skill, (sector, mult) in _SECTOR_SKILL.items():
        weight[:, SECTORS.index(sector)] *= np.where(has_skill[:, SKILLS.index(skill)], mult, 1.0)
    weight[:, SECTORS.index("construction")] *= np.where(male, 1.0, 0.15)
    weight[:, SECTORS.index("care")] *= np.where(male, 0.3, 1.5)
    weight[:, SECTORS.index("manufacturing")] *= np.where(mobility == 2, 4.0, 1.0)
    weight[:, SECTORS.index("agriculture")] *= np.where(age >= 50, 2.0, 0.6)
    keys = np.log(weight) + g_sec
    ranked = np.argsort(-keys, axis=1, kind="stable")
    n_wanted = 1 + (u_nsec > 0.45).astype(np.int64) + (u_nsec > 0.8).astype(np.int64)
    any_sector = u_any < np.where(mobility == 2, 0.35, 0.5)
    wanted = np.zeros((b, len(SECTORS)), dtype=bool)
    for k in range(3):
        on = ~any_sector & (n_wanted > k)
        wanted[np.flatnonzero(on), ranked[on, k]] = True

    return {
        "household_id": household.astype(np.int64),
        "village": village.astype(np.int32),
        "county": np.asarray(COUNTIES, dtype=object)[county],
        "x_km": x,
        "y_km": y,
        "age": age,
        "sex": np.where(male, "male", "female").astype(object),
        "education": education,
        "health": np.asarray(HEALTH, dtype=object)[health],
        "skills": _join(has_skill, SKILLS),
        "wage_floor": floor,
        "max_distance_km": max_distance,
        "sectors": _join(wanted, SECTORS),
        "linked": wants_link,
    }


def _join(mask: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Row-wise ``";".join`` of the names whose column is set (in ``names`` order)."""
    out = np.full(mask.shape[0], "", dtype=object)
    for j, name in enumerate(names):
        col = mask[:, j]
        out[col] = np.where(out[col] == "", name, out[col] + ";" + name)
    return out


def _workers(n: int, seed: int, progress: bool | None) -> pd.DataFrame:
    slot_row, slot_role = _slots(seed)
    cols: dict[str, list[np.ndarray]] = {c: [] for c in DTYPES["workers"] if c != "worker_id"}
    link_start = 0
    bar = progress_bar(total=n, desc=NAME, unit="workers", unit_scale=True, enabled=progress)
    with bar:
        for blk in range(-(-n // BLOCK_WORKERS)):
            keep = min(BLOCK_WORKERS, n - blk * BLOCK_WORKERS)
            block = _worker_block(seed, blk, link_start, slot_row, slot_role)
            link_start += int(block.pop("linked").sum())
            for c, v in block.items():
                cols[c].append(v[:keep])
            bar.update(keep)
    data: dict[str, Any] = {"worker_id": _ids("W", 1, n, 6)}
    for c in cols:
        data[c] = np.concatenate(cols[c])
    return _frame(data, "workers")


def _ids(prefix: str, first: int, n: int, width: int) -> np.ndarray:
    return np.array([f"{prefix}{i:0{width}d}" for i in range(first, first + n)], dtype=object)


def _frame(data: Mapping[str, Any], table: str) -> pd.DataFrame:
    out = {}
    for c, t in DTYPES[table].items():
        out[c] = pd.Series(data[c], dtype=str) if t == "str" else np.asarray(data[c], dtype=t)
    return pd.DataFrame(out)


# --- employers and posts ----------------------------------------------------------------------------
def n_employers(n: int) -> int:
    """Number of employers for ``n`` workers: ``max(1, round(396 n / 7658))``.

    Parameters
    ----------
    n : int
        Number of workers.

    Returns
    -------
    int
        396 at the bundled 7,658 workers.
    """
    return max(1, int(np.floor(BUNDLED_EMPLOYERS * n / BUNDLED_N + 0.5)))


def n_openings(n: int) -> int:
    """Target total openings for ``n`` workers: ``round(10090 n / 7658)``.

    Parameters
    ----------
    n : int
        Number of workers.

    Returns
    -------
    int
        10,090 at the bundled 7,658 workers. When the postings outnumber this total (tiny
        ``n``), every posting keeps one opening and the total is the number of postings.
    """
    return max(1, int(np.floor(BUNDLED_OPENINGS * n / BUNDLED_N + 0.5)))


def _choice(u: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Categorical draws from uniforms ``u`` with probabilities ``p`` (rows or one vector)."""
    cum = np.cumsum(p, axis=-1)
    cum = cum / cum[..., -1:]
    if cum.ndim == 1:
        return np.minimum(np.searchsorted(cum, u, side="right"), cum.shape[0] - 1)
    return np.minimum((u[..., None] >= cum).sum(axis=-1), cum.shape[-1] - 1)


def _employer_block(seed: int, block: int) -> dict[str, np.ndarray]:
    """Draw one full block of :data:`BLOCK_EMPLOYERS` employers and their postings.

    Parameters
    ----------
    seed : int
        The user seed; the block draws from ``SeedSequence(seed, spawn_key=(2, block))``.
    block : int
        Index of the block.

    Returns
    -------
    dict of str to numpy.ndarray
        Employer arrays (``e_*``, one per employer) and posting arrays (``p_*``, shape
        ``(BLOCK_EMPLOYERS, 8)``) with ``p_valid`` marking the postings that exist.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2, block)))
    e, m = BLOCK_EMPLOYERS, _MAX_POSTINGS
    p = _panel()
    u_class = rng.random(e)
    u_sector = rng.random(e)
    u_place = rng.random(e)
    jitter = rng.normal(0.0, 1.0, (e, 2))
    u_npost = rng.random(e)
    u_word = rng.integers(0, len(_FIRM_WORDS), e)
    u_kind = rng.random(e)
    u_skill = rng.random((e, m))
    z_wage = rng.normal(0.0, 1.0, (e, m))
    z_open = rng.normal(0.0, 1.0, (e, m))
    u_maxage = rng.random((e, m))
    u_minage = rng.random((e, m))
    u_edu = rng.random((e, m))
    u_health = rng.random((e, m))

    cls = _choice(u_class, _CLASS_P)
    sector = _choice(u_sector, _SECTOR_P[cls])
    # Place: a coastal city, a provincial capital, the city districts, a county seat, a village.
    coastal = [i for i, pl in enumerate(PLACES) if pl[4] == "coastal"]
    capital = [i for i, pl in enumerate(PLACES) if pl[4] == "capital"]
    county_w = np.array([0.22, 0.20, 0.18, 0.16, 0.14, 0.10])
    sites = p["site_weight"]
    place_name = np.empty(e, dtype=object)
    x = np.empty(e)
    y = np.empty(e)
    for i in range(e):
        c = int(cls[i])
        if c == 0 or c == 1:
            pool = coastal if c == 0 else capital
            k = pool[min(int(u_place[i] * len(pool)), len(pool) - 1)]
            name, _, px, py, _ = PLACES[k]
            sd = 8.0
        elif c == 2:
            name, px, py, sd = "Yueyang", 0.0, 0.0, 5.0
        elif c == 3:
            k = int(_choice(np.array([u_place[i]]), county_w)[0])
            name = COUNTIES[k]
            px, py = COUNTY_CENTRES[name]
            sd = 2.0
        else:
            s = int(_choice(np.array([u_place[i]]), sites)[0])
            name = COUNTIES[int(p["site_county"][s])]
            px, py = float(p["site_x"][s]), float(p["site_y"][s])
            sd = 2.0
        place_name[i] = name
        x[i] = px + sd * jitter[i, 0]
        y[i] = py + sd * jitter[i, 1]
    # 1 + a geometric number of further postings with mean _POSTINGS_MEAN - 1
    q = 1.0 / _POSTINGS_MEAN[cls]
    n_post = np.clip(1 + np.floor(np.log1p(-u_npost) / np.log1p(-q)), 1, m).astype(np.int64)
    valid = np.arange(m)[None, :] < n_post[:, None]

    # Postings of each employer: its sector and place; own skill, wage, openings, requirements.
    # Village workshops (manufacturing in a village) have their own skills and names.
    kind = np.where(
        (cls == 4) & (sector == SECTORS.index("manufacturing")),
        "workshop",
        np.asarray(SECTORS, dtype=object)[sector],
    )
    skill = np.empty((e, m), dtype=object)
    for i in range(e):
        options = _POST_SKILL[str(kind[i])]
        probs = np.array([q for _, q in options])
        idx = _choice(u_skill[i], probs)
        skill[i] = [options[j][0] for j in idx]
    premium = np.where(skill != "", 1.12, 1.0)
    wage = _SECTOR_WAGE[sector][:, None] * _CLASS_WAGE[cls][:, None] * premium
    wage = np.clip(np.round(wage * np.exp(0.15 * z_wage) / 50.0) * 50.0, 2000.0, 7000.0)
    median = _CLASS_OPENINGS[cls][:, None] * np.where(
        (cls == 4)[:, None] & (sector == 0)[:, None], 2.5, 1.0
    )
    openings = np.clip(np.rint(median * np.exp(0.8 * z_open)), 1, 300).astype(np.int64)
    max_age = _MAX_AGES[_choice(u_maxage, _MAX_AGE_P[sector][:, None, :].repeat(m, axis=1))]
    # Village workshops and farms take older workers; coastal factories want young ones.
    max_age = np.where((cls == 4)[:, None], np.maximum(max_age, 60), max_age)
    max_age = np.where((cls == 0)[:, None], np.minimum(max_age, 50), max_age)
    min_age = np.where(u_minage < 0.85, 18, np.where(u_minage < 0.95, 16, 20)).astype(np.int64)
    min_age = np.where(skill == "driving", 21, min_age)
    min_edu = _choice(u_edu, _MIN_EDU_P[sector][:, None, :].repeat(m, axis=1))
    health = _choice(u_health, _HEALTH_P[sector][:, None, :].repeat(m, axis=1))
    names = np.array(
        [
            _employer_name(
                str(place_name[i]), _FIRM_WORDS[int(u_word[i])], str(kind[i]), float(u_kind[i])
            )
            for i in range(e)
        ],
        dtype=object,
    )
    return {
        "e_sector": sector,
        "e_place": place_name,
        "e_name": names,
        "e_x": np.round(x, 2),
        "e_y": np.round(y, 2),
        "p_valid": valid,
        "p_skill": skill,
        "p_wage": wage,
        "p_openings": openings,
        "p_min_age": min_age,
        "p_max_age": max_age.astype(np.int64),
        "p_min_education": min_edu.astype(np.int64),
        "p_health": health,
    }


def _employer_name(place: str, word: str, kind: str, u: float) -> str:
    """``"<place> <word> <business>"`` plus a legal form, e.g. "Yueyang Xinda Logistics Co.,
    Ltd." or "Hongyan Fuda Garments Poverty-Alleviation Workshop"."""
    kinds = _FIRM_KINDS[kind]
    business = kinds[min(int(u * len(kinds)), len(kinds) - 1)]
    if kind == "workshop":
        return f"{place} {word} {business} Poverty-Alleviation Workshop"
    plain = ("Cooperative", "Home", "Centre")
    suffix = "" if any(w in business for w in plain) else " Co., Ltd."
    return f"{place} {word} {business}{suffix}"


def _rescale(raw: np.ndarray, total: int) -> np.ndarray:
    """Openings rescaled to sum exactly to ``total`` (each >= 1), deterministically.

    ``o_j = max(1, floor(r_j T / R))``; the remaining openings go one each to the postings
    with the largest remainders ``r_j T / R - o_j`` (ties: the earlier posting), and an
    excess (from the floor of 1) is taken one each from the largest postings above 1.
    """
    total = max(total, raw.shape[0])
    share = raw * (total / raw.sum())
    out = np.maximum(np.floor(share), 1).astype(np.int64)
    gap = total - int(out.sum())
    if gap > 0:
        order = np.argsort(-(share - out), kind="stable")
        out[order[:gap]] += 1
    while gap < 0:
        order = np.argsort(-out, kind="stable")
        take = order[: min(-gap, int((out > 1).sum()))]
        out[take] -= 1
        gap = total - int(out.sum())
    return out


def _posts(n: int, seed: int) -> pd.DataFrame:
    n_emp = n_employers(n)
    blocks = [_employer_block(seed, b) for b in range(-(-n_emp // BLOCK_EMPLOYERS))]
    cat = {k: np.concatenate([blk[k] for blk in blocks])[:n_emp] for k in blocks[0]}
    valid = cat["p_valid"]
    emp_idx, _ = np.nonzero(valid)
    n_posts = emp_idx.shape[0]
    names = pd.Series(cat["e_name"], dtype=object)
    dup = names.groupby(names).cumcount().to_numpy()
    names = np.where(dup > 0, names + " (" + (dup + 1).astype(str).astype(object) + ")", names)
    emp_ids = _ids("E", 1, n_emp, 4)
    data = {
        "post_id": _ids("P", 1, n_posts, 6),
        "employer_id": emp_ids[emp_idx],
        "employer": names[emp_idx],
        "sector": np.asarray(SECTORS, dtype=object)[cat["e_sector"][emp_idx]],
        "county": cat["e_place"][emp_idx],
        "x_km": cat["e_x"][emp_idx],
        "y_km": cat["e_y"][emp_idx],
        "wage": cat["p_wage"][valid],
        "openings": _rescale(cat["p_openings"][valid].astype(float), n_openings(n)),
        "min_age": cat["p_min_age"][valid],
        "max_age": cat["p_max_age"][valid],
        "min_education": cat["p_min_education"][valid],
        "skill": cat["p_skill"][valid],
        "health_required": np.asarray(HEALTH_REQUIRED, dtype=object)[cat["p_health"][valid]],
    }
    return _frame(data, "posts")


# --- public API -------------------------------------------------------------------------------------
def generate_tables(n: int, seed: int, progress: bool | None = False) -> dict[str, pd.DataFrame]:
    """Generate ``n`` workers and the posts of :func:`n_employers` employers.

    Parameters
    ----------
    n : int
        Number of workers, ``1 <= n <= MAX_N``.
    seed : int
        Non-negative seed of the root :class:`numpy.random.SeedSequence`.
    progress : bool or None, default False
        A progress bar on stderr counting the workers generated.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"workers"`` and ``"posts"`` with the columns and dtypes of :data:`DTYPES`.
    """
    return {"workers": _workers(n, seed, progress), "posts": _posts(n, seed)}


def _check_int(value: object, argument: str, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValidationError(f"{argument}: must be an integer; got {value!r}")
    if value < lo or (hi is not None and value > hi):
        bound = f">= {lo}" if hi is None else f"between {lo} and {hi:,}"
        raise ValidationError(f"{argument}: must be {bound}; got {value!r}")
    return int(value)


def load(*, format: str = "tables") -> dict[str, pd.DataFrame]:
    """Load the bundled labour database: 7,658 workers and 396 employers' 10,090 openings.

    Parameters
    ----------
    format : {"tables"}, default "tables"
        The only format: a dict of DataFrames.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"workers"`` (one row per worker) and ``"posts"`` (one row per posting), exactly
        ``generate(n=7658, seed=2017)``.

    Raises
    ------
    mpi.errors.ValidationError
        If ``format`` is not ``"tables"``.

    Examples
    --------
    >>> import mpi.datasets
    >>> db = mpi.datasets.load("labour_market")
    >>> len(db["workers"]), int(db["posts"]["openings"].sum())
    (7658, 10090)
    """
    if format not in FORMATS:
        raise ValidationError(f"format: dataset {NAME!r} comes as 'tables'; got {format!r}")
    out = {}
    pkg = resources.files(__package__ or "datasets")
    for table, file in FILES.items():
        dtypes = {c: (str if t == "str" else t) for c, t in DTYPES[table].items()}
        with pkg.joinpath("data", file).open("rb") as fh:
            df = pd.read_csv(fh, compression="gzip", dtype=dtypes, keep_default_na=False)
        out[table] = _frame({c: df[c].to_numpy() for c in DTYPES[table]}, table)
    return out


def generate(
    *,
    n: int | None = None,
    seed: int = 0,
    chunk_size: int = 1_000_000,
    format: str = "tables",
    progress: bool | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate the labour database for ``n`` workers, deterministically for a seed.

    Employers number ``max(1, round(396 n / 7658))`` and their postings' openings are
    rescaled to sum to ``round(10090 n / 7658)`` (see :func:`n_openings`).

    Parameters
    ----------
    n : int, optional
        Number of workers (1 .. :data:`MAX_N`); defaults to the bundled 7,658.
    seed : int, default 0
        Non-negative seed.
    chunk_size : int, default 1_000_000
        Accepted for compatibility (positive integer); workers are always drawn in blocks of
        :data:`BLOCK_WORKERS`, so it changes nothing.
    format : {"tables"}, default "tables"
        The only format: a dict of DataFrames.
    progress : bool or None, default None
        A progress bar on stderr counting the workers generated: ``None`` when stderr is a
        terminal (and the environment variable ``XMPI_PROGRESS`` is not ``"0"``), ``True``
        always, ``False`` never. The data are the same either way.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"workers"`` and ``"posts"`` as in :func:`load`.

    Raises
    ------
    mpi.errors.ValidationError
        If ``n``, ``seed``, ``chunk_size`` or ``format`` is invalid.

    Examples
    --------
    >>> import mpi.datasets
    >>> db = mpi.datasets.generate("labour_market", n=1000, seed=1)
    >>> len(db["workers"]), int(db["posts"]["openings"].sum())
    (1000, 1318)
    """
    n = BUNDLED_N if n is None else _check_int(n, "n", 1, MAX_N)
    seed = _check_int(seed, "seed", 0)
    _check_int(chunk_size, "chunk_size", 1)
    if format not in FORMATS:
        raise ValidationError(f"format: dataset {NAME!r} comes as 'tables'; got {format!r}")
    return generate_tables(n, seed, progress)


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
        write_csv_gz(tables[table], Path(directory) / file)


if __name__ == "__main__":  # pragma: no cover - regenerates the bundled files
    # python -m mpi.datasets._labour_market  (writes into the package's data folder)
    target = Path(__file__).with_name("data")
    write_csv(generate_tables(BUNDLED_N, BUNDLED_SEED), target)
    for file in FILES.values():
        print(f"wrote {target / file} ({(target / file).stat().st_size} bytes)")
