"""Synthetic two-round household survey with person-level raw data (``dhs_rounds``).

The dataset imitates two rounds of a Demographic and Health Survey (DHS) or Multiple Indicator
Cluster Survey (MICS) of a lower-middle-income country, fielded in 2015 and 2020. Each round is
an independent stratified two-stage cluster sample of households; 40 % of the 2020 clusters
(primary sampling units) are enumeration areas already visited in 2015 and keep their ``psu``
number, while the households themselves are new draws (the data are repeated cross-sections,
not a panel).

The data come at two levels:

* ``format="persons"``: one row per household member (a DHS "PR" file), with the raw
  achievements behind the global MPI indicators -- age, sex, anthropometry, years of schooling,
  school attendance -- and the household's own variables (cooking fuel, toilet, water source and
  time, electricity, floor, roof and wall materials, assets, child deaths) repeated on every
  member's row;
* ``format="households"``: one row per household, with the variables of
  :func:`mpi.presets.global_mpi_2018` derived from the person rows by :func:`to_households`
  (OPHI rules), next to the design and raw household columns. ``format="xarray"`` gives the same
  table as an :class:`xarray.Dataset` with dimension ``"unit"``.

Rows are drawn in fixed internal blocks of :data:`BLOCK_PSUS` cluster positions per round. Block
``b`` draws both rounds of its clusters from ``SeedSequence(seed, spawn_key=(b,))``, so the data
depend only on ``seed`` and ``n``; each round of ``generate(n=k)`` is the first ``k`` households
of that round of ``generate(n=m)`` for ``m >= k``. The households format aggregates every block
as soon as it is drawn and never holds more than one block of person rows.

Run this file (``python datasets/_dhs_rounds.py`` from the repository root) to rewrite the
bundled files ``data/dhs_rounds_households.csv.gz`` and ``data/dhs_rounds_persons.csv.gz``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import xarray as xr

from ._errors import DataError, ValidationError
from ._io import write_csv_gz
from ._mpi_survey import (
    AREAS,
    COOKING_FUEL,
    DRINKING_WATER,
    SANITATION,
    SANITATION_IMPROVED,
    SANITATION_UNIMPROVED,
    SOLID_FUEL,
)
from ._progress import progress as progress_bar

__all__ = [
    "ASSETS",
    "BLOCK_PSUS",
    "BUNDLED_N",
    "BUNDLED_SEED",
    "CARD",
    "CATEGORIES",
    "DTYPES",
    "FORMATS",
    "HH_PER_PSU",
    "HOUSEHOLD_COLUMNS",
    "LABELS",
    "MATERIAL_CLASS",
    "MAX_N",
    "MAX_N_PERSONS",
    "NAME",
    "PERSON_COLUMNS",
    "PRESET_VARIABLES",
    "REVISIT_SHARE",
    "ROUNDS",
    "generate",
    "load",
    "to_households",
    "write_bundled",
]

NAME: Final = "dhs_rounds"
CARD: Final = "dhs_rounds.md"
#: Accepted ``format`` values; the first is the default.
FORMATS: Final = ("households", "persons", "xarray")

#: Survey rounds (calendar year in which fieldwork started).
ROUNDS: Final = (2015, 2020)
#: Households interviewed per cluster (primary sampling unit).
HH_PER_PSU: Final = 25
#: Cluster positions per round in one internal block (each block has its own random stream).
BLOCK_PSUS: Final = 1000
#: Households per round in one internal block.
BLOCK_HH: Final = BLOCK_PSUS * HH_PER_PSU
#: Share of the 2020 clusters that re-visit a 2015 enumeration area (2 in every 5 positions).
REVISIT_SHARE: Final = 0.4
#: Largest ``n`` (households per round) of the households and xarray formats.
MAX_N: Final = 100_000_000
#: Largest ``n`` (households per round) of the persons format (about 9.4 million person rows).
MAX_N_PERSONS: Final = 1_000_000
#: Size (households per round) and seed of the bundled files.
BUNDLED_N: Final = 3000
BUNDLED_SEED: Final = 2004

# --- value labels ---------------------------------------------------------------------------
REGIONS: Final = ("Capital", "Coast", "Central", "Lakes", "Highlands", "North")
# AREAS, COOKING_FUEL, SANITATION and DRINKING_WATER (the categories of the global MPI
# preset) come from _mpi_survey, so both surveys always speak the preset's labels.
SEX: Final = ("male", "female")
RELATIONSHIP: Final = ("head", "spouse", "child", "grandchild", "parent", "other_relative")

#: Raw toilet facility types (sharing is recorded separately in ``toilet_shared``).
TOILET_TYPE: Final = (
    "flush_sewer",
    "flush_septic",
    "pit_slab",
    "vip",
    "composting",
    "pit_open",
    "bucket",
    "hanging",
    "other_unimproved",
    "none",
)
_TOILET_IMPROVED: Final = ("flush_sewer", "flush_septic", "pit_slab", "vip", "composting")
#: Raw main source of drinking water.
WATER_SOURCE: Final = (
    "piped_dwelling",
    "piped_yard",
    "public_tap",
    "borehole",
    "protected_well",
    "protected_spring",
    "rainwater",
    "bottled",
    "unprotected_well",
    "unprotected_spring",
    "surface_water",
    "tanker",
)
_WATER_IMPROVED: Final = WATER_SOURCE[:8]

FLOOR: Final = (
    "earth_sand",
    "dung",
    "wood_planks",
    "palm_bamboo",
    "parquet_polished_wood",
    "vinyl_asphalt",
    "ceramic_tiles",
    "cement",
    "carpet",
)
ROOF: Final = (
    "no_roof",
    "thatch_palm",
    "sod",
    "rustic_mat",
    "palm_bamboo",
    "wood_planks",
    "cardboard",
    "metal",
    "wood",
    "calamine_cement_fibre",
    "ceramic_tiles",
    "cement",
    "roofing_shingles",
)
WALLS: Final = (
    "no_walls",
    "cane_palm_trunks",
    "dirt",
    "bamboo_with_mud",
    "stone_with_mud",
    "uncovered_adobe",
    "plywood",
    "cardboard",
    "reused_wood",
    "cement",
    "stone_with_lime_cement",
    "bricks",
    "cement_blocks",
    "covered_adobe",
    "wood_planks_shingles",
)
# Number of natural, rudimentary and finished categories (in that order) of each material.
_MATERIAL_SPLIT: Final = {"floor": (2, 2, 5), "roof": (3, 4, 6), "walls": (3, 6, 6)}
_MATERIALS: Final = {"floor": FLOOR, "roof": ROOF, "walls": WALLS}


def _material_classes() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for part, cats in _MATERIALS.items():
        labels = [
            c
            for c, k in zip(
                ("natural", "rudimentary", "finished"), _MATERIAL_SPLIT[part], strict=True
            )
            for _ in range(k)
        ]
        out[part] = dict(zip(cats, labels, strict=True))
    return out


#: DHS material class (``natural``, ``rudimentary`` or ``finished``) of every floor, roof and
#: wall category; natural and rudimentary materials are inadequate in the global MPI.
MATERIAL_CLASS: Final = _material_classes()

#: Assets, in the order of their columns; the first eight are the global MPI's small assets.
ASSETS: Final = (
    "radio",
    "tv",
    "telephone",
    "computer",
    "animal_cart",
    "bicycle",
    "motorbike",
    "refrigerator",
    "car_truck",
)

#: Categories of the categorical columns (both formats), in code order.
CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "region": REGIONS,
    "area": AREAS,
    "relationship": RELATIONSHIP,
    "sex": SEX,
    "cooking_fuel": COOKING_FUEL,
    "toilet_type": TOILET_TYPE,
    "water_source": WATER_SOURCE,
    "floor": FLOOR,
    "roof": ROOF,
    "walls": WALLS,
    "sanitation": SANITATION,
    "drinking_water": DRINKING_WATER,
}

#: Household-level columns of the persons format (repeated on every member's row), in order.
_HH_RAW: Final = (
    "round",
    "year",
    "hh_id",
    "psu",
    "stratum",
    "region",
    "area",
    "urban",
    "weight",
    "hh_size",
    "anthro_subsample",
    "child_deaths_5y",
    "cooking_fuel",
    "toilet_type",
    "toilet_shared",
    "water_source",
    "water_time",
    "electricity",
    "floor",
    "roof",
    "walls",
    *ASSETS,
)
#: Person-level columns of the persons format.
_PERSON_OWN: Final = (
    "person_id",
    "line",
    "relationship",
    "sex",
    "age",
    "pregnant",
    "waz",
    "haz",
    "bmi_age_z",
    "bmi",
    "years_schooling",
    "attending_school",
)
#: Columns of the persons format, in order.
PERSON_COLUMNS: Final = (*_HH_RAW[:3], *_PERSON_OWN, *_HH_RAW[3:])
_DESIGN: Final = _HH_RAW[:11]
#: Variables of the global MPI preset derived by :func:`to_households`.
PRESET_VARIABLES: Final = (
    "undernourished",
    "child_deaths_5y",
    "max_schooling",
    "children_out_of_school",
    "cooking_fuel",
    "sanitation",
    "drinking_water",
    "electricity",
    "inadequate_materials",
    "assets",
)
_HH_EXTRA_RAW: Final = tuple(c for c in _HH_RAW[11:] if c not in PRESET_VARIABLES)
#: Columns of the households format, in order.
HOUSEHOLD_COLUMNS: Final = (*_DESIGN, *PRESET_VARIABLES, *_HH_EXTRA_RAW)

_F32 = "float32"
#: dtypes of every column ("category" for the columns of :data:`CATEGORIES`).
DTYPES: Final[dict[str, str]] = {
    "round": "int16",
    "year": "float64",
    "hh_id": "int64",
    "person_id": "int64",
    "line": "int8",
    "psu": "int32",
    "stratum": "int8",
    "urban": "int8",
    "weight": "float64",
    "hh_size": "int8",
    "anthro_subsample": "int8",
    "age": "int8",
    "pregnant": _F32,
    "waz": _F32,
    "haz": _F32,
    "bmi_age_z": _F32,
    "bmi": _F32,
    "years_schooling": _F32,
    "attending_school": _F32,
    "child_deaths_5y": "float64",
    "toilet_shared": _F32,
    "water_time": _F32,
    "electricity": "float64",
    **{a: _F32 for a in ASSETS},
    "undernourished": "float64",
    "max_schooling": "float64",
    "children_out_of_school": "float64",
    "inadequate_materials": "float64",
    "assets": "float64",
    **{c: "category" for c in CATEGORIES},
}

#: Short descriptions of the columns (``long_name`` in the xarray format).
LABELS: Final[dict[str, str]] = {
    "round": "survey round (2015 or 2020)",
    "year": "date of interview as a decimal year",
    "hh_id": "household identifier (round x 10^9 + household number), unique across rounds",
    "person_id": "person identifier (hh_id x 100 + line)",
    "line": "line number in the household roster (1 = head)",
    "psu": "primary sampling unit (enumeration area); same number when re-visited in 2020",
    "stratum": "sampling stratum (region x area)",
    "region": "region of residence",
    "area": "area of residence (urban or rural)",
    "urban": "1 if urban, 0 if rural",
    "weight": "household sampling weight (mean about 1 in each round)",
    "hh_size": "number of household members",
    "anthro_subsample": "1 if the household is in the subsample where all members are measured",
    "relationship": "relationship to the household head",
    "sex": "sex",
    "age": "age in completed years",
    "pregnant": "1 if a woman aged 15-49 is pregnant (not measured), 0 if not",
    "waz": "weight-for-age z-score (children under 5)",
    "haz": "height-for-age z-score (children under 5)",
    "bmi_age_z": "BMI-for-age z-score (ages 5-19)",
    "bmi": "body mass index, kg/m2 (ages 15 and older)",
    "years_schooling": "completed years of schooling (ages 5 and older)",
    "attending_school": "1 if attending school in the current school year (ages 5-24)",
    "child_deaths_5y": "child deaths in the household in the last five years",
    "cooking_fuel": "main cooking fuel",
    "toilet_type": "type of toilet facility",
    "toilet_shared": "1 if the toilet facility is shared with other households",
    "water_source": "main source of drinking water",
    "water_time": "round-trip time to fetch drinking water, minutes (0 on premises)",
    "electricity": "1 if the household has electricity",
    "floor": "main floor material",
    "roof": "main roof material",
    "walls": "main wall material",
    "radio": "1 if the household owns a radio",
    "tv": "1 if the household owns a television",
    "telephone": "1 if the household owns a mobile or landline telephone",
    "computer": "1 if the household owns a computer",
    "animal_cart": "1 if the household owns an animal-drawn cart",
    "bicycle": "1 if the household owns a bicycle",
    "motorbike": "1 if the household owns a motorbike or scooter",
    "refrigerator": "1 if the household owns a refrigerator",
    "car_truck": "1 if the household owns a car or truck",
    "undernourished": "1 if any member under 70 with nutrition data is undernourished",
    "max_schooling": "years of schooling of the most educated member aged 10 or older",
    "children_out_of_school": "children aged 6-14 not attending school",
    "sanitation": "sanitation facility (improved but shared = improved_shared)",
    "drinking_water": "drinking water source (improved, 30+ minutes = improved_30min_plus)",
    "inadequate_materials": "number of floor, roof and walls of natural or rudimentary materials",
    "assets": "number of small assets owned (8 for car or truck owners)",
}

# --- survey design ---------------------------------------------------------------------------
# Household population share and urban share of each region.
_POP_SHARE = np.array([0.18, 0.17, 0.19, 0.16, 0.15, 0.15])
_URBAN_SHARE = np.array([0.95, 0.45, 0.30, 0.25, 0.20, 0.15])
# Sample allocation: equal clusters per region, urban clusters oversampled.
_SAMPLE_URBAN_SHARE = np.array([0.85, 0.55, 0.45, 0.40, 0.35, 0.35])
_NREG = len(REGIONS)
_POP = np.column_stack([_POP_SHARE * _URBAN_SHARE, _POP_SHARE * (1 - _URBAN_SHARE)]).ravel()
_SAMPLE = np.column_stack(
    [
        np.full(_NREG, 1 / _NREG) * _SAMPLE_URBAN_SHARE,
        np.full(_NREG, 1 / _NREG) * (1 - _SAMPLE_URBAN_SHARE),
    ]
).ravel()
_STRATUM_WEIGHT = _POP / _SAMPLE  # design weight by stratum - 1; averages 1 over the sample
_SAMPLE_CUM = np.cumsum(_SAMPLE)
# Fieldwork: day of the year on which a round's fieldwork starts and its length in days.
_FIELDWORK_START = 45
_FIELDWORK_DAYS = 200

# --- latent wealth ---------------------------------------------------------------------------
# 2015 mean of the latent wealth factor by stratum (region x (urban, rural)).
_WEALTH_MEAN = np.array(
    [
        [2.05, 0.85],  # Capital
        [1.45, 0.35],  # Coast
        [1.30, 0.10],  # Central
        [1.10, -0.15],  # Lakes
        [1.00, -0.30],  # Highlands
        [0.65, -0.80],  # North
    ]
).ravel()
# Gain in mean wealth between the rounds, by region (uneven progress).
_IMPROVEMENT = np.array([0.20, 0.32, 0.52, 0.55, 0.04, 0.20])
_EA_SD = 0.55  # enumeration-area effect
_EA_DRIFT_SD = 0.25  # change of a re-visited area's effect between the rounds
_HH_SD = 1.0  # household term

# --- category shares within the groups of the threshold models (rows: rural, urban) ---------
_CLEAN_FUEL = np.array(
    [
        [0.00, 0.70, 0.00, 0.05, 0.10],  # rural, no electricity
        [0.10, 0.70, 0.00, 0.05, 0.10],  # rural, electricity
        [0.00, 0.70, 0.10, 0.00, 0.10],  # urban, no electricity
        [0.10, 0.70, 0.10, 0.00, 0.10],  # urban, electricity
    ]
)
# solid fuels and toilet types: the same shares as the single-round survey
_TOILET_GOOD = SANITATION_IMPROVED
_TOILET_BAD = SANITATION_UNIMPROVED
# Improved sources: piped_dwelling, piped_yard, public_tap, borehole, protected_well,
# protected_spring, rainwater, bottled.
_WATER_GOOD = np.array(
    [
        [0.03, 0.07, 0.12, 0.38, 0.22, 0.12, 0.05, 0.01],
        [0.30, 0.25, 0.13, 0.10, 0.06, 0.02, 0.02, 0.12],
    ]
)
# Unimproved sources: unprotected_well, unprotected_spring, surface_water, tanker.
_WATER_BAD = np.array([[0.40, 0.25, 0.32, 0.03], [0.30, 0.10, 0.10, 0.50]])
# Material shares within class (rural, urban): natural / rudimentary / finished categories.
_FLOOR_SHARES = (
    np.array([[0.85, 0.15], [0.70, 0.30]]),
    np.array([[0.55, 0.45], [0.70, 0.30]]),
    np.array([[0.02, 0.03, 0.10, 0.84, 0.01], [0.05, 0.10, 0.25, 0.57, 0.03]]),
)
_ROOF_SHARES = (
    np.array([[0.05, 0.85, 0.10], [0.15, 0.75, 0.10]]),
    np.array([[0.25, 0.35, 0.25, 0.15], [0.10, 0.20, 0.40, 0.30]]),
    np.array([[0.80, 0.03, 0.07, 0.05, 0.04, 0.01], [0.55, 0.02, 0.10, 0.13, 0.17, 0.03]]),
)
_WALLS_SHARES = (
    np.array([[0.05, 0.55, 0.40], [0.20, 0.50, 0.30]]),
    np.array([[0.35, 0.20, 0.30, 0.05, 0.03, 0.07], [0.15, 0.15, 0.20, 0.20, 0.15, 0.15]]),
    np.array([[0.15, 0.10, 0.35, 0.20, 0.15, 0.05], [0.35, 0.05, 0.25, 0.30, 0.03, 0.02]]),
)

# --- missingness -----------------------------------------------------------------------------
_MISS_ANTHRO = {"under5": 0.09, "school_age": 0.10, "adult": 0.07}
_MISS_SCHOOLING = (0.005, 0.02, 0.05)  # ages 5-14, 15-59, 60+ ("don't know")
_MISS_ATTENDANCE = 0.01
_MISS_WATER_TIME = 0.03  # "don't know", off-premises sources only
_MISS_DEATHS = 0.015  # birth history not completed, households with a woman 15-49
_MISS_HH = 0.003  # cooking fuel, toilet, water source, electricity, each material, assets


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _choose(rng: np.random.Generator, group: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Draw one category index per row with probabilities ``table[group]`` (rows normalised).

    The cumulative rows are laid end to end (row ``g`` shifted by ``g``), so a single
    ``searchsorted`` of ``u + group`` finds every row's category.
    """
    n_groups, k = table.shape
    cum = np.cumsum(table, axis=1)
    cum = cum / cum[:, -1:]
    cum[:, -1] = 1.0
    flat = (cum + np.arange(n_groups)[:, None]).ravel()
    g = group.astype(np.int64)
    u = rng.random(group.shape[0])
    idx = np.searchsorted(flat, u + g, side="right") - g * k
    return np.minimum(idx, k - 1).astype(np.int8)


def _material(
    rng: np.random.Generator,
    propensity: np.ndarray,
    urban: np.ndarray,
    cuts: tuple[float, float],
    shares: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """Class by thresholds of the propensity (natural above ``cuts[0]``), then a category."""
    m = propensity.shape[0]
    score = propensity + rng.normal(0.0, 0.6, m)
    cls = np.where(score > cuts[0], 0, np.where(score > cuts[1], 1, 2))
    offsets = np.cumsum([0, shares[0].shape[1], shares[1].shape[1]])
    picks = [_choose(rng, urban, s) for s in shares]
    out = np.select([cls == 0, cls == 1], [picks[0], picks[1] + offsets[1]], picks[2] + offsets[2])
    return out.astype(np.int8)


def _flagged(x: np.ndarray, measured: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Round to two decimals; NaN where not measured or outside the plausible ``[lo, hi]``."""
    x = np.round(x, 2)
    return np.where(measured & (x >= lo) & (x <= hi), x, np.nan).astype(np.float32)


def _draw_stratum(rng: np.random.Generator, m: int) -> np.ndarray:
    s = np.searchsorted(_SAMPLE_CUM, rng.random(m) * _SAMPLE_CUM[-1], "right")
    return np.minimum(s, len(_SAMPLE) - 1)


# --- the block generator ---------------------------------------------------------------------


def _round(
    rng: np.random.Generator,
    r: int,
    first_hh: int,
    stratum_psu: np.ndarray,
    ea_psu: np.ndarray,
    grid_psu: np.ndarray,
    water_psu: np.ndarray,
    psu_id: np.ndarray,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Draw the households and persons of one round of one block.

    Parameters
    ----------
    rng : numpy.random.Generator
        The block's stream.
    r : int
        Round index (0 = 2015, 1 = 2020).
    first_hh : int
        Household number (within the round, 0-based) of the block's first household.
    stratum_psu, ea_psu, grid_psu, water_psu : numpy.ndarray
        Per cluster: stratum index (0-based), area wealth effect, grid-access propensity and
        water infrastructure effect.
    psu_id : numpy.ndarray
        Per cluster: the ``psu`` number.

    Returns
    -------
    (dict, dict)
        Household columns (length ``BLOCK_HH``) and person columns (sorted by household and
        line); categorical columns as int8 codes with -1 for missing values.
    """
    year = ROUNDS[r]
    n_psu = stratum_psu.shape[0]
    m = n_psu * HH_PER_PSU
    rep = np.repeat
    nan = np.nan

    # Cluster-level: weight and fieldwork date.
    psu_weight = np.round(_STRATUM_WEIGHT[stratum_psu] * np.exp(rng.normal(-0.02, 0.2, n_psu)), 6)
    psu_day = _FIELDWORK_START + rng.integers(0, _FIELDWORK_DAYS, n_psu)

    stratum = rep(stratum_psu, HH_PER_PSU)
    region = stratum // 2
    urban = (stratum % 2 == 0).astype(np.int8)
    rural = 1 - urban
    wealth = (
        _WEALTH_MEAN[stratum]
        + r * _IMPROVEMENT[region]
        + rep(ea_psu, HH_PER_PSU)
        + rng.normal(0.0, _HH_SD, m)
    )
    hh: dict[str, np.ndarray] = {}
    hh["round"] = np.full(m, year, dtype=np.int16)
    day = rep(psu_day, HH_PER_PSU) + rng.integers(0, 7, m)
    hh["year"] = np.round(year + day / 365.0, 3)
    hh["hh_id"] = year * 1_000_000_000 + first_hh + 1 + np.arange(m, dtype=np.int64)
    hh["psu"] = rep(psu_id, HH_PER_PSU).astype(np.int32)
    hh["stratum"] = (stratum + 1).astype(np.int8)
    hh["region"] = region.astype(np.int8)
    hh["area"] = rural.astype(np.int8)
    hh["urban"] = urban
    hh["weight"] = rep(psu_weight, HH_PER_PSU)

    # Household size and roster.
    lam = np.exp(np.log(3.55) + 0.10 * rural - 0.11 * wealth - 0.05 * r)
    size = np.clip(1 + rng.poisson(lam), 1, 15)
    hh["hh_size"] = size.astype(np.int8)
    hh["anthro_subsample"] = (rng.random(m) < 0.5).astype(np.int8)
    has_spouse = (size >= 2) & (rng.random(m) < 0.80)
    u = rng.random(m)
    head_male = np.where(has_spouse, u < 0.93, u < 0.40)
    head_age = np.minimum(19 + np.floor(rng.gamma(3.0, 8.5, m)), 95)
    spouse_age = np.clip(
        head_age + np.where(head_male, -5, 4) + np.rint(rng.normal(0.0, 4.0, m)), 15, 95
    )
    mother_age = np.where(has_spouse & head_male, spouse_age, head_age - 5 * head_male)

    n = int(size.sum())
    starts = np.zeros(m, dtype=np.int64)
    np.cumsum(size[:-1], out=starts[1:])
    hidx = rep(np.arange(m), size)
    line = np.arange(n, dtype=np.int64) - starts[hidx] + 1
    spouse_row = (line == 2) & has_spouse[hidx]
    head_row = line == 1
    # Other members: child, grandchild, parent or other relative.
    rel = np.select(
        [head_row, spouse_row],
        [0, 1],
        2 + _choose(rng, np.zeros(n, dtype=np.int8), np.array([[0.80, 0.09, 0.04, 0.07]])),
    ).astype(np.int8)
    u = rng.random(n)
    span = np.clip(mother_age[hidx] - 15, 1, 32)
    age = np.select(
        [rel == 0, rel == 1, rel == 2, rel == 3, rel == 4],
        [
            head_age[hidx],
            spouse_age[hidx],
            np.floor(span * u),
            np.floor(10 * u),
            np.minimum(head_age[hidx] + 22 + np.floor(8 * u), 98),
        ],
        10 + np.floor(30 * u),
    ).astype(np.int64)
    u = rng.random(n)
    female = np.select([rel == 0, rel == 1], [~head_male[hidx], head_male[hidx]], u < 0.5).astype(
        bool
    )

    p: dict[str, np.ndarray] = {}
    p["line"] = line.astype(np.int8)
    p["person_id"] = hh["hh_id"][hidx] * 100 + line
    p["relationship"] = rel
    p["sex"] = female.astype(np.int8)
    p["age"] = age.astype(np.int8)
    w_p = wealth[hidx]
    rural_p = rural[hidx]

    # Anthropometry. Food insecurity is shared within the household.
    insecure = -0.55 * wealth - 0.1 * r + rng.normal(0.0, 0.55, m)
    ins_p = insecure[hidx]
    under5 = age < 5
    school_age = (age >= 5) & (age <= 19)
    woman = female & (age >= 15) & (age <= 49)
    pregnant = woman & (rng.random(n) < 0.07) & (age <= 45)
    sub = hh["anthro_subsample"][hidx] == 1
    p["pregnant"] = np.where(woman, pregnant, nan).astype(np.float32)
    # Measured: every child under 5 and every non-pregnant woman 15-49; in the subsample also
    # every other member aged 5-69. Then non-response (absent, refused).
    candidate = np.where(
        age < 5, True, np.where(age < 15, sub, ~pregnant & (woman | (sub & (age <= 69))))
    )
    rate = np.select(
        [age < 5, age < 15],
        [_MISS_ANTHRO["under5"], _MISS_ANTHRO["school_age"]],
        _MISS_ANTHRO["adult"],
    )
    measured = candidate & (rng.random(n) >= rate)
    m_u5 = measured & under5
    m_sa = measured & school_age
    m_ad = measured & (age >= 15)
    haz = -1.10 - 0.9 * ins_p + rng.normal(0.0, 1.15, n)
    waz = -0.35 + 0.55 * haz + rng.normal(0.0, 0.75, n)
    # Implausible values are flagged as missing (WHO flags: |haz| > 6, waz < -6 or > 5).
    p["haz"] = _flagged(haz, m_u5, -6.0, 6.0)
    p["waz"] = _flagged(waz, m_u5, -6.0, 5.0)
    bmi = (
        21.6
        - 1.6 * ins_p
        + 0.8 * female
        + 0.05 * np.clip(age - 30, -15, 25)
        + rng.normal(0.0, 2.7, n)
    )
    # BMI-for-age: drawn for ages 5-14; derived from BMI at 15-19 (approximate WHO medians).
    median_1519 = 19.2 + 0.5 * (age - 15) + 0.3 * female
    bmiz = np.where(
        age >= 15,
        (bmi - median_1519) / 2.7,
        -0.30 - 0.9 * ins_p + rng.normal(0.0, 1.0, n),
    )
    p["bmi"] = _flagged(bmi, m_ad, 12.0, 60.0)
    p["bmi_age_z"] = _flagged(bmiz, m_sa, -5.0, 5.0)

    # Schooling and attendance.
    cohort = (year - age) - 1975.0
    latent = (
        6.2 + 2.5 * w_p + 0.07 * cohort - 1.1 * female - 0.6 * rural_p + rng.normal(0.0, 2.8, n)
    )
    none = rng.random(n) < _expit(-1.7 - 1.3 * w_p - 0.03 * cohort + 0.5 * female)
    completed = np.where(none, 0.0, np.clip(np.rint(latent), 0, 18))
    delay = rng.poisson(np.clip(0.25 - 0.35 * w_p, 0.05, 2.0))
    by_age = np.maximum(age - 6 - delay, 0)
    base = (
        np.select([age == 5, age <= 11, age <= 14, age <= 17], [-0.3, 2.5, 2.0, 0.7], -1.4)
        + 1.0 * w_p
        - 0.35 * rural_p
        + 0.4 * r
    )
    attend = (rng.random(n) < _expit(base)) & (by_age < 18) & (age <= 24) & ~(none & (age >= 12))
    years = np.where(attend, by_age, np.minimum(completed, by_age)).astype(np.float64)
    miss = rng.random(n)
    dk = np.select(
        [age < 15, age < 60], [_MISS_SCHOOLING[0], _MISS_SCHOOLING[1]], _MISS_SCHOOLING[2]
    )
    years[(age < 5) | (miss < dk)] = nan
    p["years_schooling"] = years.astype(np.float32)
    elig = (age >= 5) & (age <= 24)
    att = np.where(elig, attend, nan)
    att[rng.random(n) < _MISS_ATTENDANCE] = nan
    p["attending_school"] = np.where(elig, att, nan).astype(np.float32)

    # Child deaths in the last five years (birth histories of women 15-49).
    has_woman = np.logical_or.reduceat(woman, starts)
    n_u5 = np.add.reduceat(under5.astype(np.int64), starts)
    deaths = rng.binomial(n_u5 + 1, _expit(-3.55 - 0.55 * wealth - 0.1 * r))
    deaths = np.where(has_woman, deaths, 0).astype(np.float64)
    deaths[has_woman & (rng.random(m) < _MISS_DEATHS)] = nan
    hh["child_deaths_5y"] = deaths

    # Electricity: the grid reaches an area when its propensity passes a round-specific bar.
    grid = rep(grid_psu, HH_PER_PSU) + 1.3 * urban + 0.9 * rep(ea_psu, HH_PER_PSU) > (
        0.1 - 0.55 * r
    )
    p_elec = np.where(grid, _expit(1.8 + 1.4 * wealth), _expit(-2.4 + 0.9 * wealth + 0.7 * r))
    electricity = rng.random(m) < p_elec
    hh["electricity"] = electricity.astype(np.float64)

    # Cooking fuel.
    clean = wealth + 0.7 * urban + rng.normal(0.0, 0.9, m) > 1.0 - 0.15 * r
    fuel_clean = _choose(rng, 2 * urban + electricity, _CLEAN_FUEL)
    fuel_solid = 5 + _choose(rng, urban, SOLID_FUEL)
    hh["cooking_fuel"] = np.where(clean, fuel_clean, fuel_solid).astype(np.int8)

    # Toilet: improved or not, then shared or not.
    water_eff = rep(water_psu, HH_PER_PSU)
    s = wealth + 0.4 * urban + 0.5 * water_eff + 0.25 * r + rng.normal(0.0, 0.9, m)
    good = s > -0.35
    toilet = np.where(
        good, _choose(rng, urban, _TOILET_GOOD), 5 + _choose(rng, urban, _TOILET_BAD)
    ).astype(np.int8)
    shared = rng.random(m) < _expit(-1.5 - 0.6 * wealth + 1.0 * urban)
    hh["toilet_type"] = toilet
    hh["toilet_shared"] = np.where(toilet == TOILET_TYPE.index("none"), nan, shared).astype(
        np.float32
    )

    # Drinking water: improved or not, then the round-trip time.
    wat = 0.7 * wealth + 0.8 * urban + water_eff + 0.2 * r + rng.normal(0.0, 0.7, m)
    improved = wat > -1.0
    source = np.where(
        improved, _choose(rng, urban, _WATER_GOOD), 8 + _choose(rng, urban, _WATER_BAD)
    ).astype(np.int8)
    on_premises = np.isin(source, [0, 1, 6, 7])  # piped to dwelling or yard, rainwater, bottled
    minutes = np.exp(
        np.log(np.where(urban == 1, 12.0, 17.0))
        - 0.25 * wealth
        - 0.3 * water_eff
        + rng.normal(0.0, 0.75, m)
    )
    minutes = np.clip(np.where(minutes < 10, np.ceil(minutes), 5 * np.rint(minutes / 5)), 1, 600)
    minutes = np.where(on_premises, 0.0, minutes)
    minutes[~on_premises & (rng.random(m) < _MISS_WATER_TIME)] = nan
    hh["water_source"] = source
    hh["water_time"] = minutes.astype(np.float32)

    # Housing materials share a household propensity.
    h = -wealth - 0.4 * urban - 0.15 * r + rng.normal(0.0, 0.7, m)
    hh["floor"] = _material(rng, h, urban, (0.55, 1.4), _FLOOR_SHARES)
    hh["roof"] = _material(rng, h, urban, (1.6, 1.0), _ROOF_SHARES)
    hh["walls"] = _material(rng, h, urban, (1.2, 0.75), _WALLS_SHARES)

    # Assets: eight correlated thresholds plus cars; electrical assets need power.
    a = wealth + 0.15 * r + rng.normal(0.0, 0.6, m)
    thresholds = (-0.4, 0.6, -1.6, 2.3, 2.2, 0.6, 1.2, 1.0)
    rural_shift = (0.0, -0.4, -0.3, -0.3, 1.4, 0.5, 0.0, -0.4)
    needs_power = (False, True, False, True, False, False, False, True)
    powered = electricity | (rng.random(m) < 0.1)
    for name, t, shift, power in zip(ASSETS[:8], thresholds, rural_shift, needs_power, strict=True):
        own = a + shift * rural + rng.normal(0.0, 0.8, m) > t
        hh[name] = (own & powered if power else own).astype(np.float32)
    hh["car_truck"] = (a + rng.normal(0.0, 0.5, m) > 3.1).astype(np.float32)

    # Item non-response of the household questionnaire.
    for col in ("cooking_fuel", "toilet_type", "water_source", "floor", "roof", "walls"):
        hh[col][rng.random(m) < _MISS_HH] = -1
    hh["electricity"][rng.random(m) < _MISS_HH] = nan
    gone = (hh["toilet_type"] == -1) | (rng.random(m) < _MISS_HH)
    hh["toilet_shared"][gone] = nan
    hh["water_time"][hh["water_source"] == -1] = nan
    no_assets = rng.random(m) < _MISS_HH
    for name in ASSETS:
        hh[name][no_assets] = nan
    return hh, p


def _block(seed: int, block: int) -> list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]:
    """Draw both rounds of one block of :data:`BLOCK_PSUS` cluster positions.

    Parameters
    ----------
    seed : int
        The user seed.
    block : int
        Block index; the block draws from ``SeedSequence(seed, spawn_key=(block,))``.

    Returns
    -------
    list of (dict, dict)
        For each round, the household and person columns of :func:`_round`.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    k = BLOCK_PSUS
    pos = block * k + np.arange(k, dtype=np.int64)  # global cluster positions
    # 2015: a fresh sample of enumeration areas (odd psu numbers).
    stratum1 = _draw_stratum(rng, k)
    ea1 = rng.normal(0.0, _EA_SD, k)
    grid1 = rng.normal(0.0, 1.0, k)
    water1 = rng.normal(0.0, 0.8, k)
    # 2020: two in every five positions re-visit the 2015 area; the others are new areas
    # (even psu numbers).
    ranks = np.argsort(np.argsort(rng.random((k // 5, 5)), axis=1), axis=1)
    revisit = (ranks < round(5 * REVISIT_SHARE)).ravel()
    stratum2 = np.where(revisit, stratum1, _draw_stratum(rng, k))
    ea2 = np.where(revisit, ea1 + rng.normal(0.0, _EA_DRIFT_SD, k), rng.normal(0.0, _EA_SD, k))
    grid2 = np.where(revisit, grid1, rng.normal(0.0, 1.0, k))
    water2 = np.where(revisit, water1 + rng.normal(0.0, 0.2, k), rng.normal(0.0, 0.8, k))
    psu1 = 2 * pos + 1
    psu2 = np.where(revisit, psu1, 2 * pos + 2)
    first = block * BLOCK_HH
    return [
        _round(rng, 0, first, stratum1, ea1, grid1, water1, psu1),
        _round(rng, 1, first, stratum2, ea2, grid2, water2, psu2),
    ]


def _blocks(
    seed: int, n: int
) -> Iterator[tuple[int, list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]]]:
    """Yield ``(first_household, rounds)`` for the blocks covering households ``0 .. n-1``.

    Every round is cut to the households below ``n`` (and their members).
    """
    for b in range(-(-n // BLOCK_HH)):
        start = b * BLOCK_HH
        keep = min(n - start, BLOCK_HH)
        rounds = []
        for hh, p in _block(seed, b):
            if keep < BLOCK_HH:
                n_persons = int(hh["hh_size"][:keep].astype(np.int64).sum())
                hh = {c: v[:keep] for c, v in hh.items()}
                p = {c: v[:n_persons] for c, v in p.items()}
            rounds.append((hh, p))
        yield start, rounds


# --- aggregation (OPHI rules) ----------------------------------------------------------------


def _lookup(codes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Map int8 codes (-1 = missing) through ``table`` (whose last entry is used for -1)."""
    return table[codes.astype(np.intp)]


_SANITATION_OF_TOILET = np.array([SANITATION.index(t) for t in TOILET_TYPE] + [-1], dtype=np.int8)
_TOILET_IS_IMPROVED = np.array([t in _TOILET_IMPROVED for t in TOILET_TYPE] + [False])
_DRINKING_OF_SOURCE = np.array(
    [0, 0, 0, *(DRINKING_WATER.index(s) for s in WATER_SOURCE[3:])] + [-1], dtype=np.int8
)
_SOURCE_IS_IMPROVED = np.array([s in _WATER_IMPROVED for s in WATER_SOURCE] + [False])
_INADEQUATE = {
    part: np.array([MATERIAL_CLASS[part][c] != "finished" for c in cats] + [False])
    for part, cats in _MATERIALS.items()
}


def _derive(
    hh: Mapping[str, np.ndarray], p: Mapping[str, np.ndarray], starts: np.ndarray
) -> dict[str, np.ndarray]:
    """Household rows from household columns and the members' rows (the OPHI rules).

    Parameters
    ----------
    hh : mapping of str to numpy.ndarray
        The household-level columns of :data:`_HH_RAW`, one entry per household (categorical
        columns as int8 codes, -1 = missing).
    p : mapping of str to numpy.ndarray
        The person-level columns ``age``, ``waz``, ``haz``, ``bmi_age_z``, ``bmi``,
        ``years_schooling`` and ``attending_school``, members of a household in consecutive
        rows.
    starts : numpy.ndarray
        Index of each household's first row in ``p`` (strictly increasing, first 0).

    Returns
    -------
    dict of str to numpy.ndarray
        The columns of :data:`HOUSEHOLD_COLUMNS` (categorical columns as int8 codes).
    """
    nan = np.nan
    age = p["age"].astype(np.int16)
    under5 = age < 5
    young = (age >= 5) & (age <= 19)
    adult = (age >= 20) & (age < 70)
    waz, haz, bmiz, bmi = p["waz"], p["haz"], p["bmi_age_z"], p["bmi"]
    info = (
        (under5 & (~np.isnan(waz) | ~np.isnan(haz)))
        | (young & ~np.isnan(bmiz))
        | (adult & ~np.isnan(bmi))
    )
    under = (under5 & ((waz < -2) | (haz < -2))) | (young & (bmiz < -2)) | (adult & (bmi < 18.5))
    any_info = np.logical_or.reduceat(info, starts)
    any_under = np.logical_or.reduceat(under, starts)

    years = p["years_schooling"].astype(np.float64)
    counted = (age >= 10) & ~np.isnan(years)
    best = np.maximum.reduceat(np.where(counted, years, -1.0), starts)

    school_age = (age >= 6) & (age <= 14)
    att = p["attending_school"]
    out_of_school = np.add.reduceat((school_age & (att == 0)).astype(np.int64), starts)
    n_school_age = np.add.reduceat(school_age.astype(np.int64), starts)
    n_known = np.add.reduceat((school_age & ~np.isnan(att)).astype(np.int64), starts)

    out: dict[str, np.ndarray] = {c: hh[c] for c in _DESIGN}
    out["undernourished"] = np.where(any_info, any_under.astype(np.float64), nan)
    out["child_deaths_5y"] = hh["child_deaths_5y"]
    out["max_schooling"] = np.where(best >= 0, best, nan)
    out["children_out_of_school"] = np.where(
        (n_school_age > 0) & (n_known == 0), nan, out_of_school.astype(np.float64)
    )
    out["cooking_fuel"] = hh["cooking_fuel"]

    toilet = hh["toilet_type"]
    shared_improved = _lookup(toilet, _TOILET_IS_IMPROVED) & (hh["toilet_shared"] == 1)
    out["sanitation"] = np.where(
        shared_improved, SANITATION.index("improved_shared"), _lookup(toilet, _SANITATION_OF_TOILET)
    ).astype(np.int8)

    source = hh["water_source"]
    far = _lookup(source, _SOURCE_IS_IMPROVED) & (hh["water_time"] >= 30)
    out["drinking_water"] = np.where(
        far, DRINKING_WATER.index("improved_30min_plus"), _lookup(source, _DRINKING_OF_SOURCE)
    ).astype(np.int8)
    out["electricity"] = hh["electricity"]

    count = np.zeros(len(toilet), dtype=np.float64)
    unknown = np.zeros(len(toilet), dtype=bool)
    for part, table in _INADEQUATE.items():
        count += _lookup(hh[part], table)
        unknown |= hh[part] == -1
    out["inadequate_materials"] = np.where(unknown & (count == 0), nan, count)

    small = np.zeros(len(toilet), dtype=np.float64)
    for name in ASSETS[:8]:
        small += hh[name]  # NaN propagates: unknown unless a car settles it
    out["assets"] = np.where(hh["car_truck"] == 1, 8.0, small)
    for col in _HH_EXTRA_RAW:
        out[col] = hh[col]
    return out


# --- pandas / xarray wrappers ----------------------------------------------------------------


def _frame(columns: Mapping[str, np.ndarray], names: tuple[str, ...]) -> pd.DataFrame:
    """Wrap arrays (categorical columns as codes) in a DataFrame with the codebook dtypes."""
    data: dict[str, Any] = {}
    for col in names:
        v = columns[col]
        if col in CATEGORIES:
            data[col] = pd.Categorical.from_codes(
                v, dtype=pd.CategoricalDtype(list(CATEGORIES[col]))
            )
        else:
            data[col] = v.astype(DTYPES[col], copy=False)
    return pd.DataFrame(data, columns=list(names), copy=False)


def _codes(s: pd.Series, col: str) -> np.ndarray:
    """int8 codes of a column in the codebook's category order (-1 for missing or unknown)."""
    cats = list(CATEGORIES[col])
    if isinstance(s.dtype, pd.CategoricalDtype) and list(s.cat.categories) == cats:
        return s.cat.codes.to_numpy(dtype=np.int8)
    values = s.astype(object).where(s.notna(), None)
    unknown = set(values.dropna().unique()) - set(cats)
    if unknown:
        raise DataError(
            f"persons: column {col!r} has values {sorted(map(str, unknown))!r} that are not "
            f"among its categories {cats!r}"
        )
    return pd.Categorical(values, categories=cats).codes.astype(np.int8)


def to_households(persons: pd.DataFrame) -> pd.DataFrame:
    """Aggregate person rows to households and derive the global MPI variables (OPHI rules).

    Parameters
    ----------
    persons : pandas.DataFrame
        Person rows with the columns of the ``"persons"`` format (``load("dhs_rounds",
        format="persons")`` or ``generate(..., format="persons")``); extra columns are ignored
        and rows may come in any order. A household is identified by ``(round, hh_id)``; its
        design and household-level columns are taken from its first row (by ``line``).
        Categorical columns may also be plain strings.

    Returns
    -------
    pandas.DataFrame
        One row per household, sorted by ``round`` and ``hh_id``, with the columns
        :data:`HOUSEHOLD_COLUMNS`: the design columns, the variables of
        :func:`mpi.presets.global_mpi_2018` and the raw household columns. The preset
        variables are

        - ``undernourished``: 1 if any member under 70 with nutrition information is
          undernourished -- under 5: ``waz < -2`` or ``haz < -2``; aged 5-19:
          ``bmi_age_z < -2``; aged 20-69: ``bmi < 18.5`` -- else 0; NaN when no member under
          70 has such information;
        - ``child_deaths_5y``: the household's count, unchanged;
        - ``max_schooling``: the largest ``years_schooling`` among members aged 10 or older
          (NaN if none is known);
        - ``children_out_of_school``: the number of children aged 6-14 with
          ``attending_school == 0`` (NaN if there are such children but the attendance of all
          of them is missing);
        - ``cooking_fuel`` and ``electricity``: unchanged;
        - ``sanitation``: ``toilet_type``, except that an improved facility (flush to sewer or
          septic tank, pit latrine with slab, VIP latrine, composting toilet) shared with other
          households becomes ``improved_shared`` (missing ``toilet_shared`` counts as not
          shared);
        - ``drinking_water``: ``water_source`` with the three piped sources merged into
          ``piped``, except that an improved source 30 minutes or more away (round trip,
          ``water_time >= 30``) becomes ``improved_30min_plus`` (missing time counts as less
          than 30 minutes);
        - ``inadequate_materials``: how many of floor, roof and walls are of natural or
          rudimentary materials (:data:`MATERIAL_CLASS`); NaN only if a material is missing
          and none of the known ones is inadequate;
        - ``assets``: 8 for car or truck owners, else the number of radio, TV, telephone,
          computer, animal cart, bicycle, motorbike and refrigerator owned (NaN if unknown).

    Raises
    ------
    mpi.errors.DataError
        If a required column is absent or a categorical column holds an unknown label.

    Examples
    --------
    >>> import mpi.datasets
    >>> from mpi.datasets._dhs_rounds import to_households
    >>> persons = mpi.datasets.load("dhs_rounds", format="persons")
    >>> hh = to_households(persons)
    >>> hh.equals(mpi.datasets.load("dhs_rounds"))
    True
    """
    if not isinstance(persons, pd.DataFrame):
        raise DataError(f"persons: must be a pandas.DataFrame; got {type(persons).__name__}")
    needed = [c for c in PERSON_COLUMNS if c != "person_id"]
    absent = [c for c in needed if c not in persons.columns]
    if absent:
        raise DataError(f"persons: missing column(s) {absent!r}; expected {list(PERSON_COLUMNS)!r}")
    if len(persons) == 0:
        return _frame({c: np.empty(0, dtype=np.int8) for c in HOUSEHOLD_COLUMNS}, HOUSEHOLD_COLUMNS)
    rnd = persons["round"].to_numpy(dtype=np.int64)
    hid = persons["hh_id"].to_numpy(dtype=np.int64)
    line = persons["line"].to_numpy(dtype=np.int64)
    ordered = bool(
        np.all(
            (np.diff(rnd) > 0)
            | ((np.diff(rnd) == 0) & (np.diff(hid) > 0))
            | ((np.diff(rnd) == 0) & (np.diff(hid) == 0) & (np.diff(line) > 0))
        )
    )
    order = None if ordered else np.lexsort((line, hid, rnd))

    def col(name: str) -> np.ndarray:
        if name in CATEGORIES:
            v = _codes(persons[name], name)
        else:
            s = persons[name]
            if np.dtype(DTYPES[name]).kind == "i" and s.isna().any():
                raise DataError(
                    f"persons: column {name!r} has missing values; it must hold whole numbers"
                )
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", RuntimeWarning)
                    v = s.to_numpy(dtype=DTYPES[name])
            except (TypeError, ValueError, RuntimeWarning) as exc:
                raise DataError(
                    f"persons: column {name!r} must be convertible to {DTYPES[name]}: {exc}"
                ) from exc
        return v if order is None else v[order]

    rnd_s = rnd if order is None else rnd[order]
    hid_s = hid if order is None else hid[order]
    new = np.ones(len(rnd_s), dtype=bool)
    new[1:] = (rnd_s[1:] != rnd_s[:-1]) | (hid_s[1:] != hid_s[:-1])
    starts = np.flatnonzero(new)
    hh = {c: col(c)[starts] for c in _HH_RAW}
    p = {
        c: col(c)
        for c in ("age", "waz", "haz", "bmi_age_z", "bmi", "years_schooling", "attending_school")
    }
    return _frame(_derive(hh, p, starts), HOUSEHOLD_COLUMNS)


def _persons_frame(
    rounds: list[list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]],
) -> pd.DataFrame:
    """Stack per-block (households, persons) pieces of every round into the persons table."""
    pieces = [piece for per_round in rounds for piece in per_round]
    counts = [hh["hh_size"].astype(np.int64) for hh, _ in pieces]
    data: dict[str, np.ndarray] = {}
    for c in PERSON_COLUMNS:
        if c in _PERSON_OWN:
            parts = [p[c] for _, p in pieces]
        else:
            parts = [np.repeat(hh[c], k) for (hh, _), k in zip(pieces, counts, strict=True)]
        data[c] = np.concatenate(parts) if len(parts) > 1 else parts[0]
        for _, p in pieces:
            p.pop(c, None)
    return _frame(data, PERSON_COLUMNS)


def _to_xarray(df: pd.DataFrame, **attrs: Any) -> xr.Dataset:
    """One variable per column along dimension ``unit``; categories become ``str`` objects."""
    data_vars = {}
    for col in df.columns:
        s = df[col]
        var_attrs: dict[str, Any] = {}
        if isinstance(s.dtype, pd.CategoricalDtype):
            labels = np.empty(len(s.cat.categories) + 1, dtype=object)
            labels[:-1] = [str(c) for c in s.cat.categories]
            labels[-1] = np.nan  # code -1 picks the last entry
            values = labels[s.cat.codes.to_numpy()]
            var_attrs["categories"] = [str(c) for c in s.cat.categories]
        else:
            values = s.to_numpy()
        var_attrs["long_name"] = LABELS[col]
        data_vars[col] = xr.Variable(("unit",), values, attrs=var_attrs)
    ds_attrs = {"title": NAME, "description": f"see mpi.datasets.describe({NAME!r})"}
    ds_attrs.update(attrs)
    return xr.Dataset(data_vars, attrs=ds_attrs)


# --- plugin interface ------------------------------------------------------------------------

_FILES: Final = ("dhs_rounds_households.csv.gz", "dhs_rounds_persons.csv.gz")
_FILE_PERSON_COLUMNS: Final = ("hh_id", *(c for c in _PERSON_OWN if c != "person_id"))


def _read(name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    dtypes: dict[str, Any] = {}
    for c in columns:
        dtypes[c] = pd.CategoricalDtype(list(CATEGORIES[c])) if c in CATEGORIES else DTYPES[c]
    with resources.files(__package__ or "mpi.datasets").joinpath("data", name).open("rb") as fh:
        df = pd.read_csv(
            fh, compression="gzip", dtype=dtypes, keep_default_na=False, na_values=[""]
        )
    return df[list(columns)]


def _load_persons() -> pd.DataFrame:
    """The bundled persons table: household file rows repeated over the person file rows."""
    hh = _read(_FILES[0], _HH_RAW)
    own = _read(_FILES[1], _FILE_PERSON_COLUMNS)
    idx = np.repeat(np.arange(len(hh)), hh["hh_size"].to_numpy(dtype=np.int64))
    hh_id = own["hh_id"].to_numpy()
    if len(idx) != len(own) or not np.array_equal(hh["hh_id"].to_numpy()[idx], hh_id):
        raise DataError(
            "bundled dhs_rounds files are inconsistent; reinstall xmpi"
        )  # pragma: no cover

    def arr(s: pd.Series) -> np.ndarray:
        if isinstance(s.dtype, pd.CategoricalDtype):
            return s.cat.codes.to_numpy(dtype=np.int8)
        return s.to_numpy()

    columns = {c: arr(hh[c])[idx] for c in _HH_RAW}
    columns.update({c: arr(own[c]) for c in _FILE_PERSON_COLUMNS[1:]})
    columns["person_id"] = hh_id * 100 + columns["line"].astype(np.int64)
    return _frame(columns, PERSON_COLUMNS)


def _format_floats(s: pd.Series) -> pd.Series:
    """Shortest round-trip text of float32 values (float64 text would be long and noisy)."""
    values = s.to_numpy()
    text = np.array([str(v) for v in values], dtype=object)
    text[np.isnan(values)] = ""
    return pd.Series(text, index=s.index, name=s.name)


def _write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a byte-reproducible gzipped CSV (no timestamp in the gzip header)."""
    df = df.copy()
    for c in df.columns:
        if df[c].dtype == np.float32:
            df[c] = _format_floats(df[c])
    write_csv_gz(df, path)


def write_bundled(directory: str | os.PathLike[str]) -> list[Path]:
    """Write the bundled files (``generate(n=BUNDLED_N, seed=BUNDLED_SEED)``) to a directory.

    The persons table is stored as two files: its household-level columns once per household
    (``dhs_rounds_households.csv.gz``) and its person-level columns with ``hh_id``
    (``dhs_rounds_persons.csv.gz``); ``person_id`` is recomputed on loading.

    Parameters
    ----------
    directory : str or os.PathLike
        Destination folder, conventionally ``datasets/data``.

    Returns
    -------
    list of pathlib.Path
        The two files written.
    """
    persons = generate(n=BUNDLED_N, seed=BUNDLED_SEED, format="persons")
    assert isinstance(persons, pd.DataFrame)
    first = persons["line"].to_numpy() == 1
    paths = [Path(directory) / f for f in _FILES]
    _write_csv(persons.loc[first, list(_HH_RAW)], paths[0])
    _write_csv(persons[list(_FILE_PERSON_COLUMNS)], paths[1])
    return paths


def load(*, format: str = "households") -> pd.DataFrame | xr.Dataset:
    """Load the bundled copy (3,000 households per round, 26,504 persons in all).

    Parameters
    ----------
    format : {"households", "persons", "xarray"}, default "households"
        ``"households"``: one row per household and round (:func:`to_households` of the
        persons); ``"persons"``: one row per household member; ``"xarray"``: the households
        as an :class:`xarray.Dataset` with dimension ``"unit"``.

    Returns
    -------
    pandas.DataFrame or xarray.Dataset
        Exactly ``generate(n=BUNDLED_N, seed=BUNDLED_SEED, format=format)``, i.e.
        ``n=3000, seed=2004``.

    Examples
    --------
    >>> import mpi.datasets
    >>> mpi.datasets.load("dhs_rounds").groupby("round").size().to_dict()
    {2015: 3000, 2020: 3000}
    >>> len(mpi.datasets.load("dhs_rounds", format="persons"))
    26504
    """
    persons = _load_persons()
    if format == "persons":
        return persons
    households = to_households(persons)
    if format == "xarray":
        return _to_xarray(households, n=BUNDLED_N, seed=BUNDLED_SEED)
    return households


def generate(
    *,
    n: int | None = None,
    seed: int = 0,
    chunk_size: int = 1_000_000,
    format: str = "households",
    progress: bool | None = None,
) -> pd.DataFrame | xr.Dataset:
    """Generate both rounds with ``n`` households each, deterministically for a seed.

    Parameters
    ----------
    n : int, optional
        Households per round (default :data:`BUNDLED_N`); at most :data:`MAX_N`, and at most
        :data:`MAX_N_PERSONS` for ``format="persons"``.
    seed : int, default 0
        Non-negative seed.
    chunk_size : int, default 1_000_000
        Accepted for compatibility; the generator always works in internal blocks of
        :data:`BLOCK_PSUS` cluster positions, so the value changes nothing.
    format : {"households", "persons", "xarray"}, default "households"
        As in :func:`load`.
    progress : bool or None, default None
        A progress bar on stderr counting the households (of both rounds) generated: ``None`` when stderr is a
        terminal (and the environment variable ``XMPI_PROGRESS`` is not ``"0"``), ``True``
        always, ``False`` never. The data are the same either way.

    Returns
    -------
    pandas.DataFrame or xarray.Dataset
        The 2015 rows followed by the 2020 rows.

    Raises
    ------
    mpi.errors.ValidationError
        If ``n`` exceeds the limit of the format.

    Examples
    --------
    >>> import mpi.datasets
    >>> hh = mpi.datasets.generate("dhs_rounds", n=50_000, seed=1)
    >>> hh.shape
    (100000, 37)
    >>> small = mpi.datasets.generate("dhs_rounds", n=10, seed=1)
    >>> small.iloc[:10].equals(hh.iloc[:10])
    True
    """
    n = BUNDLED_N if n is None else int(n)
    limit = MAX_N_PERSONS if format == "persons" else MAX_N
    if n > limit:
        detail = (
            f"; use format='households' (up to {MAX_N:,} households per round), which never "
            "holds more than one block of person rows"
            if format == "persons"
            else ""
        )
        raise ValidationError(
            f"n: format {format!r} of dataset {NAME!r} allows at most {limit:,} households per "
            f"round; got {n:,}{detail}"
        )
    bar = progress_bar(total=2 * n, desc=NAME, unit="households", unit_scale=True, enabled=progress)
    if format == "persons":
        per_round: list[list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]] = [[], []]
        with bar:
            for _, rounds in _blocks(seed, n):
                for r, piece in enumerate(rounds):
                    per_round[r].append(piece)
                    bar.update(len(piece[0]["hh_size"]))
        return _persons_frame(per_round)
    out: dict[str, np.ndarray] = {
        c: np.empty(2 * n, dtype=np.int8 if c in CATEGORIES else DTYPES[c])
        for c in HOUSEHOLD_COLUMNS
    }
    with bar:
        for start, rounds in _blocks(seed, n):
            for r, (hh, p) in enumerate(rounds):
                starts = np.zeros(len(hh["hh_size"]), dtype=np.int64)
                np.cumsum(hh["hh_size"][:-1], out=starts[1:])
                derived = _derive(hh, p, starts)
                lo = r * n + start
                for c, v in derived.items():
                    out[c][lo : lo + len(v)] = v
                bar.update(len(hh["hh_size"]))
    households = _frame(out, HOUSEHOLD_COLUMNS)
    if format == "xarray":
        return _to_xarray(households, n=n, seed=seed)
    return households


if __name__ == "__main__":  # pragma: no cover - regenerates the bundled files
    # python datasets/_dhs_rounds.py  (from the repository root)
    for written in write_bundled(Path(__file__).with_name("data")):
        print(f"wrote {written} ({written.stat().st_size:,} bytes)")
