"""Generator of the synthetic ``mpi_survey`` household cross-section.

The survey imitates a DHS/MICS-style household survey of a lower-middle-income country with
five regions. Every household gets a latent wealth factor (region and area mean, a cluster
effect and an idiosyncratic term) and every indicator is drawn from it, so deprivations are
correlated the way they are in real surveys: poor, rural and remote households are deprived in
many indicators at once. The latent factor itself is not part of the data.

Rows are drawn in fixed internal blocks of :data:`BLOCK_PSUS` clusters of :data:`HH_PER_PSU`
households. Block ``b`` draws from its own stream ``SeedSequence(seed, spawn_key=(b,))`` (the
``b``-th child of ``SeedSequence(seed).spawn``), so the rows generated for a seed depend neither
on how the caller chunks the work nor on ``n``: ``generate(n)`` is always a prefix of ``generate(m)`` for
``n <= m``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from ._io import write_csv_gz
from ._progress import progress as progress_bar

__all__ = [
    "BLOCK_PSUS",
    "BLOCK_ROWS",
    "BUNDLED_N",
    "BUNDLED_SEED",
    "CATEGORIES",
    "COLUMNS",
    "HH_PER_PSU",
    "LABELS",
    "MAX_N",
    "NUMERIC_DTYPES",
    "generate_columns",
    "to_pandas",
    "write_csv",
]

#: Regions, in the order of their stratum numbers.
REGIONS: Final = ("Central", "North", "East", "West", "South")
#: Areas, in the order of their stratum numbers.
AREAS: Final = ("urban", "rural")

COOKING_FUEL: Final = (
    "electricity",
    "lpg",
    "natural_gas",
    "biogas",
    "kerosene",
    "coal",
    "charcoal",
    "wood",
    "crop_residue",
    "shrubs",
    "dung",
)
SANITATION: Final = (
    "flush_sewer",
    "flush_septic",
    "pit_slab",
    "vip",
    "composting",
    "improved_shared",
    "pit_open",
    "bucket",
    "hanging",
    "other_unimproved",
    "none",
)
DRINKING_WATER: Final = (
    "piped",
    "borehole",
    "protected_well",
    "protected_spring",
    "rainwater",
    "bottled",
    "improved_30min_plus",
    "unprotected_well",
    "unprotected_spring",
    "surface_water",
    "tanker",
)

#: Categories of the categorical (string) columns, in code order.
CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "region": REGIONS,
    "area": AREAS,
    "cooking_fuel": COOKING_FUEL,
    "sanitation": SANITATION,
    "drinking_water": DRINKING_WATER,
}

#: dtypes of the numeric columns.
NUMERIC_DTYPES: Final[dict[str, str]] = {
    "hh_id": "int32",
    "urban": "int8",
    "stratum": "int8",
    "psu": "int32",
    "weight": "float64",
    "hh_size": "int8",
    "undernourished": "float64",
    "child_deaths_5y": "float64",
    "max_schooling": "float64",
    "children_out_of_school": "float64",
    "electricity": "float64",
    "inadequate_materials": "float64",
    "assets": "float64",
}

#: Column order of the dataset.
COLUMNS: Final = (
    "hh_id",
    "region",
    "area",
    "urban",
    "stratum",
    "psu",
    "weight",
    "hh_size",
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

#: Short descriptions of the columns (``long_name`` in the xarray format).
LABELS: Final[dict[str, str]] = {
    "hh_id": "household identifier",
    "region": "region of residence",
    "area": "area of residence (urban or rural)",
    "urban": "1 if urban, 0 if rural",
    "stratum": "sampling stratum (region x area)",
    "psu": "primary sampling unit (cluster)",
    "weight": "household sampling weight",
    "hh_size": "number of household members",
    "undernourished": "1 if any member with nutrition data is undernourished",
    "child_deaths_5y": "child deaths in the household in the last five years",
    "max_schooling": "years of schooling of the most educated member aged 10 or older",
    "children_out_of_school": "school-aged children not attending school",
    "cooking_fuel": "main cooking fuel",
    "sanitation": "sanitation facility",
    "drinking_water": "main source of drinking water",
    "electricity": "1 if the household has electricity",
    "inadequate_materials": "number of floor, roof and walls of rudimentary materials",
    "assets": "number of small assets owned (8 for car or truck owners)",
}

#: Households per cluster (PSU), as in a DHS take of 25 households per enumeration area.
HH_PER_PSU: Final = 25
#: Clusters per internal block; each block draws from its own spawned seed.
BLOCK_PSUS: Final = 2048
#: Rows per internal block.
BLOCK_ROWS: Final = BLOCK_PSUS * HH_PER_PSU
#: Largest number of households (``hh_id`` is stored as int32).
MAX_N: Final = int(np.iinfo(np.int32).max) - BLOCK_ROWS

#: Size and seed of the bundled file ``data/mpi_survey.csv.gz``.
BUNDLED_N: Final = 5000
BUNDLED_SEED: Final = 2018

# --- survey design ---------------------------------------------------------------------------
# Population share of households and urban share by region (Central holds the capital).
_POP_SHARE = np.array([0.24, 0.18, 0.20, 0.17, 0.21])
_URBAN_SHARE = np.array([0.82, 0.18, 0.35, 0.28, 0.45])
# Sample allocation: equal clusters per region, urban clusters oversampled within regions.
_SAMPLE_URBAN_SHARE = np.array([0.70, 0.35, 0.45, 0.40, 0.50])

_POP = np.column_stack([_POP_SHARE * _URBAN_SHARE, _POP_SHARE * (1 - _URBAN_SHARE)]).ravel()
_SAMPLE = np.column_stack(
    [np.full(5, 0.2) * _SAMPLE_URBAN_SHARE, np.full(5, 0.2) * (1 - _SAMPLE_URBAN_SHARE)]
).ravel()
# Design weight of each stratum (index = stratum - 1); averages 1 over the sample.
_STRATUM_WEIGHT = _POP / _SAMPLE
_SAMPLE_CUM = np.cumsum(_SAMPLE)

# --- latent wealth --------------------------------------------------------------------------
# Mean of the latent wealth factor by stratum (region x area); sd of cluster and household terms.
_WEALTH_MEAN = np.array(
    [
        [1.70, 0.60],  # Central
        [0.40, -0.80],  # North
        [1.05, -0.08],  # East
        [0.85, -0.33],  # West
        [1.30, 0.27],  # South
    ]
).ravel()
_PSU_SD = 0.55
_HH_SD = 1.0

# Category probabilities within the deprived / non-deprived groups, by area (rural, urban).
# Clean fuels (electricity, lpg, natural_gas, biogas, kerosene) by area x electricity.
_CLEAN_FUEL = np.array(
    [
        [0.00, 0.70, 0.00, 0.05, 0.08],  # rural, no electricity
        [0.10, 0.70, 0.00, 0.05, 0.08],  # rural, electricity
        [0.00, 0.70, 0.10, 0.00, 0.08],  # urban, no electricity
        [0.10, 0.70, 0.10, 0.00, 0.08],  # urban, electricity
    ]
)
# Solid fuels: coal, charcoal, wood, crop_residue, shrubs, dung.
SOLID_FUEL = np.array([[0.02, 0.12, 0.62, 0.12, 0.06, 0.06], [0.06, 0.55, 0.33, 0.04, 0.01, 0.01]])
# Improved, not shared: flush_sewer, flush_septic, pit_slab, vip, composting.
SANITATION_IMPROVED = np.array([[0.02, 0.13, 0.55, 0.25, 0.05], [0.30, 0.35, 0.25, 0.08, 0.02]])
# Unimproved: pit_open, bucket, hanging, other_unimproved, none.
SANITATION_UNIMPROVED = np.array([[0.45, 0.03, 0.04, 0.08, 0.40], [0.55, 0.10, 0.10, 0.15, 0.10]])
# Improved within 30 minutes: piped, borehole, protected_well, protected_spring, rainwater,
# bottled.
_WATER_NEAR = np.array([[0.22, 0.38, 0.22, 0.12, 0.05, 0.01], [0.68, 0.10, 0.06, 0.02, 0.02, 0.12]])
# Deprived: improved_30min_plus, unprotected_well, unprotected_spring, surface_water, tanker.
_WATER_FAR = np.array([[0.35, 0.25, 0.15, 0.22, 0.03], [0.45, 0.15, 0.05, 0.05, 0.30]])

# Missingness rates.
_MISS_NUTRITION = 0.03  # plus households without eligible members (see below)
_MISS_SCHOOLING = 0.025
_MISS_OTHER = 0.004


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _choose(rng: np.random.Generator, group: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Draw one category per row, with probabilities ``table[group]`` (rows need not sum to 1)."""
    cum = np.cumsum(table, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(group.shape[0])
    out = np.empty(group.shape[0], dtype=np.int64)
    group = group.astype(np.intp)
    for g in range(table.shape[0]):
        mask = group == g
        out[mask] = np.searchsorted(cum[g], u[mask], side="right")
    return np.minimum(out, table.shape[1] - 1)


def _block(seed: int, block: int) -> dict[str, np.ndarray]:
    """Draw one full block of :data:`BLOCK_ROWS` households.

    Parameters
    ----------
    seed : int
        The user seed.
    block : int
        Index of the block; the block draws from ``SeedSequence(seed, spawn_key=(block,))``.

    Returns
    -------
    dict of str to numpy.ndarray
        Columns of the block (categorical columns as int8 codes, -1 for missing), without
        ``hh_id``.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    m = BLOCK_ROWS

    # Clusters: stratum, cluster wealth effect, grid and water infrastructure, weight factor.
    psu_stratum = np.searchsorted(_SAMPLE_CUM, rng.random(BLOCK_PSUS) * _SAMPLE_CUM[-1], "right")
    psu_stratum = np.minimum(psu_stratum, len(_SAMPLE) - 1)
    psu_effect = rng.normal(0.0, _PSU_SD, BLOCK_PSUS)
    psu_weight = _STRATUM_WEIGHT[psu_stratum] * np.exp(rng.normal(-0.02, 0.2, BLOCK_PSUS))
    psu_weight = np.round(psu_weight, 6)
    psu_urban = psu_stratum % 2 == 0
    psu_grid = rng.random(BLOCK_PSUS) < _expit(
        0.6 + 2.2 * psu_urban + 1.8 * (_WEALTH_MEAN[psu_stratum] + psu_effect)
    )
    psu_water = rng.normal(0.0, 0.8, BLOCK_PSUS)

    rep = np.repeat
    stratum = rep(psu_stratum, HH_PER_PSU)
    urban = rep(psu_urban, HH_PER_PSU)
    rural = ~urban
    grid = rep(psu_grid, HH_PER_PSU)
    wealth = _WEALTH_MEAN[stratum] + rep(psu_effect, HH_PER_PSU) + rng.normal(0.0, _HH_SD, m)

    out: dict[str, np.ndarray] = {}
    out["region"] = (stratum // 2).astype(np.int8)
    out["area"] = (stratum % 2).astype(np.int8)
    out["urban"] = urban.astype(np.int8)
    out["stratum"] = (stratum + 1).astype(np.int8)
    out["psu"] = np.arange(BLOCK_PSUS, dtype=np.int64).repeat(HH_PER_PSU) + block * BLOCK_PSUS + 1
    out["weight"] = rep(psu_weight, HH_PER_PSU)

    lam = np.exp(np.log(3.4) + 0.12 * rural - 0.10 * wealth)
    hh_size = np.clip(1 + rng.poisson(lam), 1, 12)
    out["hh_size"] = hh_size.astype(np.int8)

    # Health.
    under = rng.random(m) < _expit(-1.55 - 0.85 * wealth + 0.1 * hh_size)
    out["undernourished"] = under.astype(np.float64)
    births = rng.binomial(np.minimum(hh_size - 1, 5), 0.35)
    out["child_deaths_5y"] = rng.binomial(births, _expit(-3.0 - 0.55 * wealth)).astype(np.float64)

    # Education.
    school = np.rint(7.6 + 2.9 * wealth + rng.normal(0.0, 3.0, m) - 0.6 * rural)
    school = np.where(rng.random(m) < _expit(-2.4 - 1.3 * wealth), 0.0, school)
    out["max_schooling"] = np.clip(school, 0, 18)
    school_age = rng.binomial(hh_size - 1, 0.3)
    out["children_out_of_school"] = rng.binomial(
        school_age, _expit(-2.35 - 0.9 * wealth + 0.3 * rural)
    ).astype(np.float64)

    # Electricity: grid connection where the cluster is on the grid, else solar home systems.
    p_elec = np.where(grid, _expit(1.7 + 1.4 * wealth), _expit(-2.6 + 0.9 * wealth))
    electricity = rng.random(m) < p_elec
    out["electricity"] = electricity.astype(np.float64)

    # Cooking fuel: clean (electricity, lpg, natural gas, biogas, kerosene) or solid.
    clean = wealth + 0.7 * urban + rng.normal(0.0, 0.9, m) > 0.95
    clean_group = 2 * urban + electricity  # rural/urban x without/with electricity
    fuel_clean = _choose(rng, clean_group, _CLEAN_FUEL)
    fuel_solid = 5 + _choose(rng, urban, SOLID_FUEL)
    out["cooking_fuel"] = np.where(clean, fuel_clean, fuel_solid).astype(np.int8)

    # Sanitation: improved and not shared, improved but shared, or unimproved.
    s = wealth + 0.4 * urban + 0.5 * rep(psu_water, HH_PER_PSU) + rng.normal(0.0, 0.9, m)
    san_improved = _choose(rng, urban, SANITATION_IMPROVED)
    san_unimproved = 6 + _choose(rng, urban, SANITATION_UNIMPROVED)
    out["sanitation"] = np.select([s > -0.05, s > -0.55], [san_improved, 5], san_unimproved).astype(
        np.int8
    )

    # Drinking water: improved within 30 minutes, or not (unimproved or far away).
    wat = 0.7 * wealth + 0.8 * urban + rep(psu_water, HH_PER_PSU) + rng.normal(0.0, 0.7, m)
    water_near = _choose(rng, urban, _WATER_NEAR)
    water_far = 6 + _choose(rng, urban, _WATER_FAR)
    out["drinking_water"] = np.where(wat > -0.75, water_near, water_far).astype(np.int8)

    # Housing: floor, roof and walls share a household propensity.
    h = -wealth - 0.4 * urban + rng.normal(0.0, 0.7, m)
    inadequate = (
        (h + rng.normal(0.0, 0.6, m) > 0.35).astype(np.int8)
        + (h + rng.normal(0.0, 0.6, m) > 0.90)
        + (h + rng.normal(0.0, 0.6, m) > 0.65)
    )
    out["inadequate_materials"] = inadequate.astype(np.float64)

    # Assets: radio, TV, phone, computer, animal cart, bicycle, motorbike, fridge; car owners = 8.
    a = wealth + rng.normal(0.0, 0.6, m)
    thresholds = np.array([-0.4, 0.6, -1.3, 2.3, 2.2, 0.6, 1.2, 1.0])
    rural_shift = np.array([0.0, -0.4, -0.3, -0.3, 1.4, 0.5, 0.0, -0.4])
    needs_power = (False, True, False, True, False, False, False, True)
    powered = electricity | (rng.random(m) < 0.1)  # grid, solar or a generator
    count = np.zeros(m, dtype=np.int64)
    for t, shift, power in zip(thresholds, rural_shift, needs_power, strict=True):
        own = a + shift * rural + rng.normal(0.0, 0.8, m) > t
        count += own & powered if power else own
    car = a + rng.normal(0.0, 0.5, m) > 3.1
    out["assets"] = np.where(car, 8, np.minimum(count, 8)).astype(np.float64)

    # Missing values. Households without a woman or child under five have no nutrition data.
    no_eligible = (hh_size <= 2) & (rng.random(m) < 0.10)
    nan = np.nan
    out["undernourished"][no_eligible | (rng.random(m) < _MISS_NUTRITION)] = nan
    out["max_schooling"][rng.random(m) < _MISS_SCHOOLING] = nan
    for col in (
        "child_deaths_5y",
        "children_out_of_school",
        "electricity",
        "inadequate_materials",
        "assets",
    ):
        out[col][rng.random(m) < _MISS_OTHER] = nan
    for col in ("cooking_fuel", "sanitation", "drinking_water"):
        out[col][rng.random(m) < _MISS_OTHER] = -1
    return out


def _blocks(seed: int, n: int) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """Yield ``(start_row, columns)`` for the internal blocks covering rows ``0 .. n-1``."""
    for b in range(-(-n // BLOCK_ROWS)):
        start = b * BLOCK_ROWS
        cols = _block(seed, b)
        yield start, {k: v[: n - start] for k, v in cols.items()}


def generate_columns(n: int, seed: int, progress: bool | None = False) -> dict[str, np.ndarray]:
    """Generate ``n`` households into preallocated compact arrays.

    Parameters
    ----------
    n : int
        Number of households (rows), ``1 <= n <= MAX_N``.
    seed : int
        Non-negative seed of the root :class:`numpy.random.SeedSequence`.
    progress : bool or None, default False
        A progress bar on stderr counting the households generated (``None``: when stderr
        is a terminal); the data are the same either way.

    Returns
    -------
    dict of str to numpy.ndarray
        One array per column of :data:`COLUMNS`; categorical columns are int8 codes with -1
        for missing values.
    """
    out: dict[str, np.ndarray] = {
        col: np.empty(n, dtype=NUMERIC_DTYPES.get(col, "int8")) for col in COLUMNS
    }
    out["hh_id"][:] = np.arange(1, n + 1, dtype=np.int32)
    bar = progress_bar(
        total=n, desc="mpi_survey", unit="households", unit_scale=True, enabled=progress
    )
    with bar:
        for start, cols in _blocks(seed, n):
            stop = start + len(cols["weight"])
            for k, v in cols.items():
                out[k][start:stop] = v
            bar.update(stop - start)
    return out


def to_pandas(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """Wrap generated columns in a DataFrame without copying them.

    Parameters
    ----------
    columns : dict of str to numpy.ndarray
        Output of :func:`generate_columns`.

    Returns
    -------
    pandas.DataFrame
        One row per household; string columns are :class:`pandas.Categorical`.
    """
    data = {}
    for col in COLUMNS:
        if col in CATEGORIES:
            data[col] = pd.Categorical.from_codes(
                columns[col], dtype=pd.CategoricalDtype(list(CATEGORIES[col]))
            )
        else:
            data[col] = columns[col]
    return pd.DataFrame(data, columns=list(COLUMNS), copy=False)


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a dataset as a byte-reproducible gzipped CSV (the format of the bundled file).

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`to_pandas`.
    path : str or os.PathLike
        Destination, conventionally ``datasets/data/mpi_survey.csv.gz``.
    """
    write_csv_gz(df, path)


if __name__ == "__main__":  # pragma: no cover - regenerates the bundled file
    # python datasets/_mpi_survey.py  (from the repository root)
    target = Path(__file__).with_name("data") / "mpi_survey.csv.gz"
    write_csv(to_pandas(generate_columns(BUNDLED_N, BUNDLED_SEED)), target)
    print(f"wrote {target} ({target.stat().st_size} bytes)")
