"""Generator of the synthetic ``county_lsi`` table: county living-standard indicators.

The table imitates the county-level *Living Standard Index* (LSI) that UNDP China and the Baidu
Big Data Lab published in October 2016 (*The Living Standards Dimension of the Human
Development Index: Measuring Poverty with Big Data in China*): 2,284 counties, eight
indicators -- three household amenities from statistics and five "big data" coverage measures
-- and an index on a 0--100 scale. The report's normalisation and aggregation formula was not
published; the package documents HDI-style goalposts and an arithmetic (or geometric) mean of
the indicator indices as the substitute, the preset :func:`mpi.presets.undp_china_lsi_2016`
(compute it with ``mpi.composite(df, mpi.presets.undp_china_lsi_2016())``). This module
calibrates a latent development factor by province so that the province means of that index
come out near the published ones (national mean 61.3; Zhejiang 75.1, Jiangsu 73.7, Beijing
71.8, Shanghai 71.7, Tianjin 66.5; Chongqing below the mean because of low mobile coverage and
night lights). The truth columns ``lsi`` and ``lsi_geometric`` are the preset's index,
computed by the one engine (:mod:`mpi.composites.engine`), so the recipe lives in one place.

Rows are generated province by province in chunks of at most :data:`CHUNK_ROWS` counties;
chunk ``j`` of province ``p`` (index in :data:`PROVINCES`) draws from
``SeedSequence(seed, spawn_key=(p, j))``. The result depends only on ``seed`` and ``n``.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import xarray as xr

from mpi.composites.engine import evaluate, plan
from mpi.presets import undp_china_lsi_2016

from ._errors import ValidationError
from ._io import write_csv_gz
from ._progress import progress as progress_bar

__all__ = [
    "BUNDLED_N",
    "BUNDLED_SEED",
    "CARD",
    "CATEGORIES",
    "COLUMNS",
    "FORMATS",
    "INDICATORS",
    "LABELS",
    "NAME",
    "PROVINCES",
    "PUBLISHED",
    "UNITS",
    "generate",
    "generate_columns",
    "load",
    "to_pandas",
    "to_xarray",
    "write_csv",
]

#: Names that moved to the composite-index API (issue 19), with what to use instead.
_PRESET_POSTS: Final = (
    "the goalposts and transform of each of mpi.presets.undp_china_lsi_2016().indicators"
)
_MOVED: Final = {
    "lsi": "mpi.composite(df, mpi.presets.undp_china_lsi_2016()), whose to_frame()['index'] "
    "is the index (undp_china_lsi_2016('geometric') for lsi_geometric)",
    "dimension_indices": "mpi.composite(df, mpi.presets.undp_china_lsi_2016()).to_dataset()"
    "['indicator_score']",
    "goalposts_frame": _PRESET_POSTS,
    "GOALPOSTS": _PRESET_POSTS,
    "GEOMETRIC_FLOOR": "mpi.presets.undp_china_lsi_2016('geometric').floor",
}


def __getattr__(name: str) -> Any:
    """Point the names that moved out of the dataset to the composite-index API."""
    if name in _MOVED:
        raise AttributeError(
            f"{__name__}.{name} was removed (the index is not data): use {_MOVED[name]}"
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


NAME: Final = "county_lsi"
CARD: Final = "county_lsi.md"
FORMATS: Final = ("pandas", "xarray")
FILE: Final = "county_lsi.csv.gz"

#: Size and seed of the bundled file ``data/county_lsi.csv.gz``.
BUNDLED_N: Final = 2284
BUNDLED_SEED: Final = 2016
#: Largest number of counties accepted by :func:`generate` (``county_id`` is int32).
MAX_N: Final = 100_000_000
#: Largest number of counties of one province drawn from one random stream.
CHUNK_ROWS: Final = 4096

# --- provinces ---------------------------------------------------------------------------------
# code (GB/T 2260), name, Chinese name, region, units by type (district, county-level city,
# county), population 2015 (millions), land area (10,000 km2), target LSI (mean over counties).
# Unit counts: county-level divisions around 2016, with urban districts outside the four
# municipalities thinned in proportion so that the total is the report's 2,284.
# Targets: the five published province values; the others are assumptions that respect the
# published structure (19 units above the national mean, Ningxia 11th, Chongqing below it)
# and average, weighted by county counts, to the published national 61.3.
_PROVINCE_TABLE: Final = (
    (11, "Beijing", "北京", "east", 16, 0, 0, 21.7, 1.64, 71.8),
    (12, "Tianjin", "天津", "east", 16, 0, 0, 15.5, 1.19, 66.5),
    (13, "Hebei", "河北", "east", 17, 20, 101, 74.2, 18.9, 64.1),
    (14, "Shanxi", "山西", "central", 8, 11, 85, 36.6, 15.6, 62.4),
    (15, "Inner Mongolia", "内蒙古", "west", 8, 11, 69, 25.1, 118.3, 59.0),
    (21, "Liaoning", "辽宁", "northeast", 21, 16, 25, 43.8, 14.8, 64.6),
    (22, "Jilin", "吉林", "northeast", 7, 20, 19, 27.5, 18.7, 62.0),
    (23, "Heilongjiang", "黑龙江", "northeast", 23, 18, 45, 38.1, 47.3, 60.6),
    (31, "Shanghai", "上海", "east", 16, 0, 0, 24.2, 0.63, 71.7),
    (32, "Jiangsu", "江苏", "east", 20, 22, 20, 79.8, 10.7, 73.7),
    (33, "Zhejiang", "浙江", "east", 13, 20, 33, 55.4, 10.5, 75.1),
    (34, "Anhui", "安徽", "central", 16, 6, 55, 61.4, 14.0, 63.4),
    (35, "Fujian", "福建", "east", 10, 12, 44, 38.4, 12.4, 66.2),
    (36, "Jiangxi", "江西", "central", 9, 11, 63, 45.7, 16.7, 62.8),
    (37, "Shandong", "山东", "east", 20, 27, 55, 98.5, 15.8, 65.8),
    (41, "Henan", "河南", "central", 19, 21, 85, 94.8, 16.7, 63.0),
    (42, "Hubei", "湖北", "central", 14, 24, 40, 58.5, 18.6, 63.2),
    (43, "Hunan", "湖南", "central", 12, 16, 71, 67.8, 21.2, 62.6),
    (44, "Guangdong", "广东", "east", 23, 20, 37, 108.5, 18.0, 65.3),
    (45, "Guangxi", "广西", "west", 14, 7, 64, 48.0, 23.8, 58.2),
    (46, "Hainan", "海南", "east", 3, 5, 10, 9.1, 3.5, 62.2),
    (50, "Chongqing", "重庆", "west", 26, 0, 12, 30.2, 8.2, 60.3),
    (51, "Sichuan", "四川", "west", 19, 16, 114, 82.0, 48.6, 57.7),
    (52, "Guizhou", "贵州", "west", 5, 8, 65, 35.3, 17.6, 55.5),
    (53, "Yunnan", "云南", "west", 6, 15, 98, 47.4, 39.4, 54.5),
    (54, "Tibet", "西藏", "west", 2, 1, 68, 3.2, 122.8, 47.0),
    (61, "Shaanxi", "陕西", "west", 11, 3, 74, 37.9, 20.6, 59.8),
    (62, "Gansu", "甘肃", "west", 6, 4, 65, 26.0, 42.6, 55.0),
    (63, "Qinghai", "青海", "west", 2, 3, 35, 5.9, 72.2, 53.0),
    (64, "Ningxia", "宁夏", "west", 3, 2, 11, 6.7, 6.6, 63.7),
    (65, "Xinjiang", "新疆", "west", 5, 24, 68, 23.6, 166.0, 56.6),
)

#: Provincial units (31), in the order of their GB/T 2260 codes.
PROVINCES: Final = tuple(row[1] for row in _PROVINCE_TABLE)
#: Chinese names of the provincial units.
PROVINCES_ZH: Final = tuple(row[2] for row in _PROVINCE_TABLE)
#: Regions of the National Bureau of Statistics.
REGIONS: Final = ("east", "central", "west", "northeast")
#: County types: urban district (市辖区), county-level city (县级市), county (县, 旗, ...).
TYPES: Final = ("district", "city", "county")

_CODE = np.array([row[0] for row in _PROVINCE_TABLE], dtype=np.int8)
_REGION = np.array([REGIONS.index(row[3]) for row in _PROVINCE_TABLE], dtype=np.int8)
_TYPE_COUNTS = np.array([row[4:7] for row in _PROVINCE_TABLE], dtype=np.int64)
_COUNTS = _TYPE_COUNTS.sum(axis=1)
TARGET = np.array([row[9] for row in _PROVINCE_TABLE])
# Mean population (persons) and land area (km2) of a county-level unit, over all county-level
# divisions of 2016 (including the urban districts thinned out above).
ALL_UNITS = np.array(
    [16, 16, 168, 119, 103, 100, 60, 128, 16, 97, 89, 105, 85, 100, 137, 158, 103, 122, 121, 111]
    + [23, 38, 183, 88, 129, 74, 107, 86, 44, 22, 105]
)
POP_UNIT = np.array([row[7] for row in _PROVINCE_TABLE]) * 1e6 / ALL_UNITS
_AREA_UNIT = np.array([row[8] for row in _PROVINCE_TABLE]) * 1e4 / ALL_UNITS

#: Published LSI values (UNDP China 2016): national mean and the five top provincial units.
PUBLISHED: Final[dict[str, float]] = {
    "national": 61.3,
    "Zhejiang": 75.1,
    "Jiangsu": 73.7,
    "Beijing": 71.8,
    "Shanghai": 71.7,
    "Tianjin": 66.5,
}

# --- indicators and goalposts -------------------------------------------------------------------
#: The eight LSI indicators, in the report's order.
INDICATORS: Final = (
    "sanitary_toilet",
    "indoor_kitchen",
    "piped_water",
    "mobile_internet",
    "living_services",
    "road_density",
    "night_light",
    "financial_services",
)

#: Units of the indicators.
UNITS: Final[dict[str, str]] = {
    "sanitary_toilet": "share of households (0-1)",
    "indoor_kitchen": "share of households (0-1)",
    "piped_water": "share of households (0-1)",
    "mobile_internet": "share of population (0-1)",
    "living_services": "points of interest per 10,000 people",
    "road_density": "km per km2",
    "night_light": "nW/cm2/sr",
    "financial_services": "outlets per 10,000 people",
}

# The goalposts, transforms, weights and means of the index are the preset
# mpi.presets.undp_china_lsi_2016 (mpi/presets/undp_china_lsi_2016.yml), the one place of the
# recipe; the truth columns are computed from it by mpi.composites.engine.


@cache
def _spec(method: str) -> Any:
    """The preset (a ``CompositeSpec``) of a stored column: ``lsi`` (``"arithmetic"``) or
    ``lsi_geometric`` (``"geometric"``)."""
    spec = undp_china_lsi_2016(method)  # type: ignore[arg-type]
    if spec.indicator_names != INDICATORS:
        raise RuntimeError(  # pragma: no cover - the preset and the table must agree
            f"the preset undp_china_lsi_2016 lists {spec.indicator_names}, the table "
            f"{INDICATORS}; keep them in the same order"
        )
    return spec


def _goalposts() -> dict[str, list[Any]]:
    """Indicator -> ``[min, max, transform]`` of the preset (``attrs["goalposts"]``)."""
    out: dict[str, list[Any]] = {}
    for ind in _spec("arithmetic").indicators:
        assert ind.goalposts is not None
        out[ind.name] = [*ind.goalposts, ind.transform or "linear"]
    return out


#: Categories of the categorical columns, in code order.
CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "province": PROVINCES,
    "region": REGIONS,
    "type": TYPES,
}

#: Column order and dtypes of the table (``category`` columns are listed in CATEGORIES).
DTYPES: Final[dict[str, str]] = {
    "county_id": "int32",
    "county_name": "str",
    "province": "category",
    "province_code": "int8",
    "region": "category",
    "type": "category",
    "population": "int32",
    "area_km2": "float64",
    **{ind: "float64" for ind in INDICATORS},
    "development": "float64",
    "lsi": "float64",
    "lsi_geometric": "float64",
}
COLUMNS: Final = tuple(DTYPES)

#: Short descriptions of the columns (``long_name`` in the xarray format).
LABELS: Final[dict[str, str]] = {
    "county_id": "county identifier",
    "county_name": "synthetic county name",
    "province": "provincial unit",
    "province_code": "GB/T 2260 code of the provincial unit",
    "region": "NBS region",
    "type": "type of county-level unit",
    "population": "resident population",
    "area_km2": "land area",
    "sanitary_toilet": "access to sanitary toilets",
    "indoor_kitchen": "access to an indoor kitchen",
    "piped_water": "access to piped water",
    "mobile_internet": "mobile internet coverage",
    "living_services": "living-service facility coverage",
    "road_density": "road coverage",
    "night_light": "night-time light density",
    "financial_services": "financial-service coverage",
    "development": "latent development factor (truth)",
    "lsi": "Living Standard Index, arithmetic mean of goalpost indices x 100 (truth)",
    "lsi_geometric": "Living Standard Index, geometric mean of goalpost indices x 100 (truth)",
}

# --- generating model ---------------------------------------------------------------------------
# Latent development: z = mu[province] + _TYPE_Z[type] + _Z_SD * e.
_TYPE_Z = np.array([0.6, 0.25, 0.0])
_Z_SD = np.where(np.isin(_CODE, (11, 12, 31)), 0.35, 0.6)
# Population and area: log-normal around the province's mean unit, shifted by type.
_TYPE_LOG_POP = np.array([0.25, 0.2, -0.1])
_TYPE_LOG_AREA = np.array([-1.3, 0.0, 0.15])
_POP_SD = 0.45
_AREA_SD = 0.6
_DENSITY_REF = 300.0  # people per km2
# Indicators: shares = expit(a + b z + shift + s e); densities = exp(a + b z + c log(density /
# _DENSITY_REF) + shift + s e). Columns: a, b, c, s.
_IND = np.array(
    [
        [0.6, 1.2, 0.0, 0.45],  # sanitary_toilet
        [1.6, 1.0, 0.0, 0.45],  # indoor_kitchen
        [1.2, 1.3, 0.0, 0.50],  # piped_water
        [1.3, 1.1, 0.0, 0.40],  # mobile_internet
        [np.log(60.0), 0.8, 0.0, 0.35],  # living_services
        [np.log(0.6), 0.6, 0.25, 0.35],  # road_density
        [np.log(1.5), 1.2, 0.45, 0.50],  # night_light
        [np.log(8.0), 0.6, 0.0, 0.30],  # financial_services
    ]
)
_IND[:, 0] -= 0.5 * _IND[:, 1]  # centre the latent factor near 0 nationally
_IS_SHARE = np.array([True, True, True, True, False, False, False, False])
_DECIMALS = np.array([4, 4, 4, 4, 2, 4, 4, 3])
# Province-specific indicator shifts (logit or log scale).
_SHIFT = np.zeros((len(PROVINCES), len(INDICATORS)))
# Chongqing: mountainous, low mobile coverage and night-time lights (as the report says).
_SHIFT[PROVINCES.index("Chongqing"), [3, 6]] = [-1.3, -1.8]
# Beijing and Shanghai: shared toilets and kitchens in old courtyards and crowded rentals.
for _p in ("Beijing", "Shanghai"):
    _SHIFT[PROVINCES.index(_p), [0, 1]] = [-1.0, -1.2]
# Ningxia: high piped-water and mobile coverage for its development level.
_SHIFT[PROVINCES.index("Ningxia"), [2, 3]] = [0.8, 0.6]

#: Province means of the latent development factor (baseline ``county`` type), calibrated by
#: ``python -m mpi.datasets._county_lsi --calibrate`` so that the expected province mean of the
#: arithmetic LSI equals the target.
# fmt: off
_MU = np.array(
    [
        0.2176, -0.425, 0.1366, 0.1156, 0.0651, 0.0005, -0.0219, -0.0807, 0.1376, 0.4898,
        0.7227, 0.0479, 0.2491, 0.0987, 0.1212, 0.021, 0.0134, 0.0593, 0.032, -0.1701,
        -0.0138, -0.0916, -0.1668, -0.255, -0.2749, -0.3968, -0.0316, -0.2035, -0.1699,
        -0.009, -0.052,
    ]
)
# fmt: on


# --- helpers -------------------------------------------------------------------------------------
def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _hamilton(total: int, weights: np.ndarray) -> np.ndarray:
    """Largest-remainder apportionment of ``total`` seats by ``weights``."""
    quota = total * weights / weights.sum()
    seats = np.floor(quota).astype(np.int64)
    left = total - int(seats.sum())
    order = np.argsort(-(quota - seats), kind="stable")
    seats[order[:left]] += 1
    return seats


def _allocation(n: int) -> np.ndarray:
    """Counties by province (rows) and type (columns) for a table of ``n`` counties."""
    per_province = _hamilton(n, _COUNTS.astype(np.float64))
    out = np.zeros_like(_TYPE_COUNTS)
    for p, m in enumerate(per_province):
        if m:
            out[p] = _hamilton(int(m), _TYPE_COUNTS[p].astype(np.float64))
    return out


def _centred_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal draws centred to mean 0 along the first axis (when it has > 1 row)."""
    e = rng.standard_normal(shape)
    if shape[0] > 1:
        e -= e.mean(axis=0)
    return e


def _draw(
    rng: np.random.Generator, p: int, types: np.ndarray, mu: float, rounded: bool = True
) -> dict[str, np.ndarray]:
    """Draw the counties of one chunk of province ``p`` with latent mean ``mu``."""
    m = types.shape[0]
    z = mu + _TYPE_Z[types] + _Z_SD[p] * _centred_normal(rng, (m,))
    pop = np.exp(np.log(POP_UNIT[p]) + _TYPE_LOG_POP[types] + _POP_SD * _centred_normal(rng, (m,)))
    area = np.exp(
        np.log(_AREA_UNIT[p]) + _TYPE_LOG_AREA[types] + _AREA_SD * _centred_normal(rng, (m,))
    )
    pop = np.maximum(np.rint(pop), 1000.0)
    area = np.maximum(np.round(area, 1), 1.0)
    log_density = np.log(pop / area / _DENSITY_REF)
    noise = _centred_normal(rng, (m, len(INDICATORS)))
    out: dict[str, np.ndarray] = {"development": z, "population": pop, "area_km2": area}
    for k, ind in enumerate(INDICATORS):
        a, b, c, s = _IND[k]
        eta = a + b * z + c * log_density + _SHIFT[p, k] + s * noise[:, k]
        x = _expit(eta) if _IS_SHARE[k] else np.exp(eta)
        out[ind] = np.round(x, _DECIMALS[k]) if rounded else x
    return out


def _index(values: np.ndarray, method: str) -> np.ndarray:
    """The preset's index (0--100) of an (n, 8) array of indicator values, by the engine."""
    return evaluate(plan(values, _spec(method)), contributions=False).index


# --- generation ----------------------------------------------------------------------------------
def generate_columns(n: int, seed: int, progress: bool | None = False) -> dict[str, np.ndarray]:
    """Generate ``n`` counties into compact arrays.

    Parameters
    ----------
    n : int
        Number of counties, ``1 <= n <= MAX_N``. ``n`` is apportioned to provinces in
        proportion to their bundled county counts (largest remainders) and, within a province,
        to the three unit types; ``n = 2284`` gives the bundled counts exactly.
    seed : int
        Non-negative seed of the root :class:`numpy.random.SeedSequence`.
    progress : bool or None, default False
        A progress bar on stderr counting the counties generated (``None``: when stderr is
        a terminal); the data are the same either way.

    Returns
    -------
    dict of str to numpy.ndarray
        One array per column of :data:`COLUMNS`; categorical columns are int8 codes and
        ``county_name`` an object array of ``str``.
    """
    alloc = _allocation(n)
    out: dict[str, np.ndarray] = {}
    for col, dtype in DTYPES.items():
        if col == "county_name":
            continue
        out[col] = np.empty(n, dtype="int8" if dtype == "category" else dtype)
    out["county_id"][:] = np.arange(1, n + 1, dtype=np.int32)
    start = 0
    bar = progress_bar(total=n, desc=NAME, unit="counties", unit_scale=True, enabled=progress)
    with bar:
        for p in range(len(PROVINCES)):
            types = np.repeat(np.arange(3, dtype=np.int8), alloc[p])
            for j, lo in enumerate(range(0, types.shape[0], CHUNK_ROWS)):
                chunk_types = types[lo : lo + CHUNK_ROWS]
                m = chunk_types.shape[0]
                rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(p, j)))
                cols = _draw(rng, p, chunk_types, float(_MU[p]))
                sl = slice(start, start + m)
                out["province"][sl] = p
                out["province_code"][sl] = _CODE[p]
                out["region"][sl] = _REGION[p]
                out["type"][sl] = chunk_types
                for k, v in cols.items():
                    out[k][sl] = v
                values = np.column_stack([cols[i] for i in INDICATORS])
                out["lsi"][sl] = _index(values, "arithmetic")
                out["lsi_geometric"][sl] = _index(values, "geometric")
                start += m
                bar.update(m)
    out["county_name"] = np.array([f"县{i:04d}" for i in range(1, n + 1)], dtype=object)
    return out


def to_pandas(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """Wrap generated columns in a DataFrame with the goalposts in ``attrs``.

    Parameters
    ----------
    columns : dict of str to numpy.ndarray
        Output of :func:`generate_columns`.

    Returns
    -------
    pandas.DataFrame
        One row per county; ``province``, ``region`` and ``type`` are categorical and
        ``attrs`` holds ``goalposts`` (indicator to ``(min, max, transform)``),
        ``lsi_method`` and ``source``.
    """
    data: dict[str, Any] = {}
    for col in COLUMNS:
        if col in CATEGORIES:
            data[col] = pd.Categorical.from_codes(
                columns[col], dtype=pd.CategoricalDtype(list(CATEGORIES[col]))
            )
        elif col == "county_name":
            data[col] = pd.array(columns[col], dtype="str")
        else:
            data[col] = columns[col]
    df = pd.DataFrame(data, columns=list(COLUMNS), copy=False)
    df.attrs.update(_attrs())
    return df


def _attrs() -> dict[str, Any]:
    return {
        "title": NAME,
        "description": f"see mpi.datasets.describe({NAME!r})",
        "goalposts": _goalposts(),
        "lsi_method": "arithmetic mean of goalpost indices x 100 (lsi); geometric (lsi_geometric)",
        "geometric_floor": _spec("geometric").floor,
        "preset": "mpi.presets.undp_china_lsi_2016",
        "source": "synthetic; imitates UNDP China (2016) big-data Living Standard Index",
        "licence": "CC0-1.0",
    }


def to_xarray(df: pd.DataFrame) -> xr.Dataset:
    """Convert the table to an :class:`xarray.Dataset` along the dimension ``"county"``.

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`to_pandas` (or :func:`load`).

    Returns
    -------
    xarray.Dataset
        Coordinate ``county`` (= ``county_id``), one variable per other column (categories and
        names as object arrays of ``str``), each with ``long_name`` and ``units``; the
        indicators also carry ``goalpost_min``, ``goalpost_max`` and ``transform``.
    """
    data_vars = {}
    for col in COLUMNS:
        if col == "county_id":
            continue
        s = df[col]
        attrs: dict[str, Any] = {"long_name": LABELS[col]}
        if isinstance(s.dtype, pd.CategoricalDtype):
            values = np.asarray(s.astype(object))
            attrs["categories"] = list(CATEGORIES[col])
        elif col == "county_name":
            values = np.asarray(s, dtype=object)
        else:
            values = s.to_numpy()
        if col in UNITS:
            lo, hi, transform = _goalposts()[col]
            attrs.update(units=UNITS[col], goalpost_min=lo, goalpost_max=hi, transform=transform)
        elif col == "population":
            attrs["units"] = "persons"
        elif col == "area_km2":
            attrs["units"] = "km2"
        elif col.startswith("lsi"):
            attrs["units"] = "0-100"
        data_vars[col] = xr.Variable(("county",), values, attrs=attrs)
    county = xr.Variable(
        ("county",), df["county_id"].to_numpy(), {"long_name": LABELS["county_id"]}
    )
    attrs = _attrs()
    attrs["goalposts"] = str(attrs["goalposts"])  # netCDF-safe
    return xr.Dataset(data_vars, coords={"county": county}, attrs=attrs)


def load(*, format: str = "pandas") -> pd.DataFrame | xr.Dataset:
    """Load the bundled table of 2,284 counties.

    Parameters
    ----------
    format : {"pandas", "xarray"}, default "pandas"
        A :class:`pandas.DataFrame` (one row per county) or an :class:`xarray.Dataset` with the
        dimension ``"county"``.

    Returns
    -------
    pandas.DataFrame or xarray.Dataset
        Exactly ``generate(n=2284, seed=2016)``.
    """
    dtypes: dict[str, Any] = {c: t for c, t in DTYPES.items() if t != "category"}
    dtypes.update({c: pd.CategoricalDtype(list(v)) for c, v in CATEGORIES.items()})
    with resources.files(__package__ or "datasets").joinpath("data", FILE).open("rb") as fh:
        df = pd.read_csv(fh, compression="gzip", dtype=dtypes, keep_default_na=False)
    df = df[list(COLUMNS)]
    df.attrs.update(_attrs())
    return to_xarray(df) if format == "xarray" else df


def generate(
    *,
    n: int | None = None,
    seed: int = 0,
    chunk_size: int = 1_000_000,
    format: str = "pandas",
    progress: bool | None = None,
) -> pd.DataFrame | xr.Dataset:
    """Generate ``n`` counties deterministically for ``seed``.

    Parameters
    ----------
    n : int, optional
        Number of counties; defaults to the bundled 2,284. Other sizes are apportioned to
        provinces in proportion to the bundled counts.
    seed : int, default 0
        Non-negative seed.
    chunk_size : int, default 1_000_000
        Accepted for compatibility; generation always works in chunks of at most
        :data:`CHUNK_ROWS` counties of one province, so it does not change the result.
    format : {"pandas", "xarray"}, default "pandas"
        Output type, as in :func:`load`.
    progress : bool or None, default None
        A progress bar on stderr counting the counties generated: ``None`` when stderr is a
        terminal (and the environment variable ``XMPI_PROGRESS`` is not ``"0"``), ``True``
        always, ``False`` never. The data are the same either way.

    Returns
    -------
    pandas.DataFrame or xarray.Dataset
        The generated table with the columns and dtypes of :func:`load`.

    Raises
    ------
    mpi.errors.ValidationError
        If ``n`` exceeds :data:`MAX_N`.
    """
    n = BUNDLED_N if n is None else int(n)
    if n > MAX_N:
        raise ValidationError(f"n: must be at most {MAX_N:,} counties; got {n!r}")
    df = to_pandas(generate_columns(n, seed, progress))
    return to_xarray(df) if format == "xarray" else df


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write the table as a byte-reproducible gzipped CSV (the format of the bundled file).

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`to_pandas`.
    path : str or os.PathLike
        Destination, conventionally ``datasets/data/county_lsi.csv.gz``.
    """
    write_csv_gz(df, path)


def _calibrate(m: int = 20_000, seed: int = 20161017) -> np.ndarray:  # pragma: no cover
    """Solve the latent province means so that the expected province LSI equals the target."""
    alloc = _allocation(BUNDLED_N)
    mu = np.zeros(len(PROVINCES))
    for p in range(len(PROVINCES)):
        types = np.repeat(np.arange(3), _hamilton(m, alloc[p].astype(np.float64)))
        lo, hi = -6.0, 6.0
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(p,)))
            cols = _draw(rng, p, types, mid, rounded=False)
            values = np.column_stack([cols[i] for i in INDICATORS])
            if _index(values, "arithmetic").mean() < TARGET[p]:
                lo = mid
            else:
                hi = mid
        mu[p] = 0.5 * (lo + hi)
    return mu


if __name__ == "__main__":  # pragma: no cover - regenerates the bundled file
    # python -m mpi.datasets._county_lsi [--calibrate]  (writes into the package data folder)
    if "--calibrate" in sys.argv:
        print("_MU = np.array(", np.round(_calibrate(), 4).tolist(), ")")
    else:
        target = Path(__file__).with_name("data") / FILE
        write_csv(to_pandas(generate_columns(BUNDLED_N, BUNDLED_SEED)), target)
        print(f"wrote {target} ({target.stat().st_size} bytes)")
