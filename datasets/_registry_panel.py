"""Synthetic multi-source poverty registry panel of a Chinese city (``registry_panel``).

The dataset imitates the poverty database that a prefecture-level city assembled during the
targeted poverty alleviation campaign (精准扶贫, 2015-2020) and the relapse-prevention period
that followed (防返贫监测, 2021-2022) by merging the registries of its departments, keyed by
household id: the poverty office's registered-poor records (建档立卡), civil affairs (低保,
特困), health, education, housing safety, drinking water, the disability federation, human
resources, the business and vehicle registries and the benefit payments, plus the annual
"self-application + village vote" lists. A latent poverty process with shocks and known exit
and relapse hazards generates everything; the truth (latent status, shocks, exits, relapses,
the hazards, targeting errors, planted data problems and benefit anomalies) is stored beside
the data.

Formats:

* ``format="tables"`` (default): a ``dict`` of :class:`pandas.DataFrame`, one per table
  (:data:`TABLES`), with the columns and dtypes of :data:`SCHEMA`;
* ``format="xarray"``: an :class:`xarray.Dataset` with dimensions ``unit`` (households,
  coordinate = ``hh_id``) and ``time`` (calendar years 2015-2022) holding the variables of
  :func:`mpi.presets.china_2b3g` merged from the department tables (:data:`MERGE_RULE`), the
  registry status, the truth and the household attributes, ready for panel dynamics.

Households are drawn in fixed blocks of :data:`~datasets._registry_sim.BLOCK_HH`; block ``b``
uses ``SeedSequence(seed, spawn_key=(b,))``, so the data depend only on ``seed`` and ``n``
(never on ``chunk_size`` or memory) and ``generate(n=k)`` holds exactly the households
``1 .. k`` of ``generate(n=m)`` for ``m >= k``. The xarray format is filled block by block, so
memory stays at the output plus one block of workspace.

Run ``python -m mpi.datasets._registry_panel`` to rewrite the bundled file
``data/registry_panel.npz`` (byte for byte).
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import xarray as xr

from . import _registry_sim as sim
from ._errors import ValidationError
from ._progress import progress as progress_bar
from ._registry_sim import (
    BLOCK_HH,
    COUNTIES,
    DIBAO_STANDARD,
    ENTRY_HAZARD,
    EXIT_HAZARD,
    EXIT_MULTIPLIER,
    HAZARD_CAP,
    LIST_APPLY,
    LIST_APPROVE,
    MONITORING_LINE,
    POVERTY_LINE,
    QUIRKS,
    RELAPSE_HAZARD,
    RISK_MULTIPLIER,
    SHOCKS,
    YEARS,
)

__all__ = [
    "BLOCK_HH",
    "BUNDLED_N",
    "BUNDLED_SEED",
    "CARD",
    "CATEGORIES",
    "COUNTIES",
    "DIBAO_STANDARD",
    "ENTRY_HAZARD",
    "EXIT_HAZARD",
    "EXIT_MULTIPLIER",
    "FORMATS",
    "HAZARD_CAP",
    "LIST_APPLY",
    "LIST_APPROVE",
    "MAX_N",
    "MERGE_RULE",
    "MONITORING_LINE",
    "NAME",
    "POVERTY_LINE",
    "QUIRKS",
    "RELAPSE_HAZARD",
    "RISK_MULTIPLIER",
    "SCHEMA",
    "SHOCKS",
    "TABLES",
    "YEARS",
    "generate",
    "hazard_parameters",
    "load",
    "write_bundled",
]

NAME: Final = "registry_panel"
CARD: Final = "registry_panel.md"
FORMATS: Final = ("tables", "xarray")
#: Size and seed of the bundled file ``data/registry_panel.npz``.
BUNDLED_N: Final = 5000
BUNDLED_SEED: Final = 2015
#: Largest number of households (ids and row numbers are int32).
MAX_N: Final = 100_000_000
BUNDLED_FILE: Final = "registry_panel.npz"

#: Categories of every categorical column, by ``(table, column)``.
CATEGORIES: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("households", "county"): sim.CATEGORIES["county"],
    ("households", "head_sex"): sim.CATEGORIES["head_sex"],
    ("households", "labour_capacity"): sim.CATEGORIES["labour_capacity"],
    ("poverty_office", "poverty_status"): sim.CATEGORIES["poverty_status"],
    ("poverty_office", "monitoring"): sim.CATEGORIES["monitoring"],
    ("civil_affairs", "assistance"): sim.CATEGORIES["assistance"],
    ("housing", "housing_grade"): sim.CATEGORIES["housing_grade"],
    ("business", "business_type"): sim.CATEGORIES["business_type"],
    ("vehicles", "vehicle_type"): sim.CATEGORIES["vehicle_type"],
    ("payments", "programme"): sim.CATEGORIES["programme"],
    ("payments", "department"): sim.CATEGORIES["department"],
    ("truth", "risk_set"): sim.CATEGORIES["risk_set"],
    ("truth", "list_error"): sim.CATEGORIES["list_error"],
    ("anomalies", "kind"): sim.CATEGORIES["anomaly_kind"],
    ("anomalies", "programme"): sim.CATEGORIES["programme"],
    ("data_issues", "kind"): sim.CATEGORIES["issue_kind"],
    ("data_issues", "table"): sim.CATEGORIES["issue_table"],
    ("data_issues", "column"): sim.CATEGORIES["issue_column"],
}

_ID = {"hh_id": "int32", "year": "int16"}
_REC = {"record_id": "int32", **_ID}
#: Columns and dtypes of every table (``"category"`` columns use :data:`CATEGORIES`,
#: ``"Int16"`` is pandas' nullable integer for years that may be missing).
SCHEMA: Final[dict[str, dict[str, str]]] = {
    "households": {
        "hh_id": "int32",
        "county": "category",
        "township": "int16",
        "village": "int32",
        "hh_size": "int8",
        "head_age": "int8",
        "head_sex": "category",
        "labour_capacity": "category",
        "death_year": "Int16",
    },
    "poverty_office": {
        **_REC,
        "registered_poor": "int8",
        "registration_year": "Int16",
        "exit_year": "Int16",
        "poverty_status": "category",
        "monitoring": "category",
        "income_per_capita": "float64",
        "food_insecure": "int8",
        "clothing_insecure": "int8",
    },
    "civil_affairs": {
        **_REC,
        "applied": "int8",
        "assistance": "category",
        "hh_size": "int8",
        "income_assessed": "float64",
        "allowance": "float64",
    },
    "health": {
        **_REC,
        "insured_members": "int8",
        "medical_insured": "int8",
        "chronic_members": "int8",
        "large_medical_spending": "int8",
        "oop_spending": "float64",
    },
    "education": {**_REC, "school_age_children": "int8", "dropout_children": "int8"},
    "housing": {
        **_REC,
        "housing_grade": "category",
        "renovated": "int8",
        "disaster_damage": "int8",
    },
    "water": {
        **_REC,
        "piped": "int8",
        "water_quantity_lpd": "float64",
        "water_quality_ok": "int8",
        "fetch_minutes": "float64",
        "interruption_days": "int16",
        "safe_water": "int8",
    },
    "disability": {**_REC, "disabled_members": "int8", "max_disability_grade": "int8"},
    "employment": {
        **_REC,
        "working_age_members": "int8",
        "local_employed": "int8",
        "migrant_workers": "int8",
        "lost_job": "int8",
        "public_welfare_job": "int8",
    },
    "business": {
        "business_id": "int32",
        "hh_id": "int32",
        "business_type": "category",
        "registration_year": "int16",
        "deregistration_year": "Int16",
        "registered_capital": "float64",
    },
    "vehicles": {
        "vehicle_id": "int32",
        "hh_id": "int32",
        "vehicle_type": "category",
        "registration_year": "int16",
        "scrapped_year": "Int16",
    },
    "payments": {
        "payment_id": "int32",
        **_ID,
        "programme": "category",
        "department": "category",
        "amount": "float64",
    },
    "village_list": {
        **_ID,
        "village": "int32",
        "voters": "int16",
        "votes_for": "int16",
        "listed": "int8",
    },
    "truth": {
        **_ID,
        "latent_poor": "int8",
        "shock_illness": "int8",
        "shock_disaster": "int8",
        "shock_job_loss": "int8",
        "risk_set": "category",
        "years_since_exit": "int8",
        "base_hazard": "float64",
        "hazard": "float64",
        "exit": "int8",
        "relapse": "int8",
        "entry": "int8",
        "near_poor": "int8",
        "connected": "int8",
        "applied": "int8",
        "listed": "int8",
        "p_listed": "float64",
        "list_error": "category",
        "education_attrited": "int8",
        "employment_attrited": "int8",
    },
    "anomalies": {
        "kind": "category",
        "payment_id": "int32",
        **_ID,
        "programme": "category",
    },
    "data_issues": {
        "kind": "category",
        "table": "category",
        "record_id": "int32",
        **_ID,
        "column": "category",
        "value_true": "float64",
        "value_false": "float64",
    },
}
#: Table names, in the order of the ``dict`` returned by ``format="tables"``.
TABLES: Final = tuple(SCHEMA)
_ID_COLUMN = {"payments": "payment_id", "business": "business_id", "vehicles": "vehicle_id"}

#: How the xarray format merges the department tables into household x year variables.
MERGE_RULE: Final[dict[str, tuple[str, str]]] = {
    "income_per_capita": ("poverty_office", "income_per_capita"),
    "food_insecure": ("poverty_office", "food_insecure"),
    "clothing_insecure": ("poverty_office", "clothing_insecure"),
    "dropout_children": ("education", "dropout_children"),
    "medical_insured": ("health", "medical_insured"),
    "housing_grade": ("housing", "housing_grade"),
    "safe_water": ("water", "safe_water"),
    "registered_poor": ("poverty_office", "registered_poor"),
    "poverty_status": ("poverty_office", "poverty_status"),
    "monitoring": ("poverty_office", "monitoring"),
    "dibao": ("civil_affairs", "assistance"),
}

_LABELS: Final[dict[str, str]] = {
    "county": "county of residence",
    "township": "township code (100 x county number + township number)",
    "village": "village identifier",
    "hh_size": "household members (2015 registration)",
    "head_age": "age of the household head in 2015",
    "head_sex": "sex of the household head",
    "labour_capacity": "labour capacity of the household (full, partial, none)",
    "death_year": "year the household was dissolved by death (NaN: exists in 2022)",
    "weight": "household weight (1: the registry is a census of the city's rural households)",
    "income_per_capita": "annual per-capita net income, yuan (poverty office)",
    "food_insecure": "1 if the household lacks adequate food (poverty office)",
    "clothing_insecure": "1 if the household lacks adequate clothing (poverty office)",
    "dropout_children": "children of compulsory-school age who dropped out (education)",
    "medical_insured": "1 if every member has basic medical insurance (health)",
    "housing_grade": "dwelling safety appraisal grade A-D (housing)",
    "safe_water": "1 if drinking water is safe on all four criteria (water)",
    "registered_poor": "1 if a registered poor household (建档立卡户, also after exit)",
    "poverty_status": "registry status: not_registered, poor or exited",
    "monitoring": "relapse-prevention monitoring category (2020-2022)",
    "dibao": "1 if the household receives dibao or tekun (civil affairs)",
    "listed": "1 if on the village list (self-application + village vote) of the year",
    "alive": "TRUTH: 1 while the household exists",
    "latent_poor": "TRUTH: latent poverty status",
    "shock_illness": "TRUTH: serious illness shock in the year",
    "shock_disaster": "TRUTH: natural disaster shock in the year",
    "shock_job_loss": "TRUTH: job loss shock in the year",
    "risk_set": "TRUTH: transition at risk in the year (initial, exit, relapse, entry)",
    "years_since_exit": "TRUTH: years since the last exit when at risk of relapse",
    "base_hazard": "TRUTH: hazard of the year's transition before shocks",
    "hazard": "TRUTH: hazard of the year's transition after shocks (capped)",
    "exit": "TRUTH: 1 if the household exited latent poverty this year",
    "relapse": "TRUTH: 1 if the household relapsed into latent poverty this year",
    "entry": "TRUTH: 1 if the household entered latent poverty for the first time this year",
    "poverty_line": "income poverty line of the year, yuan per person",
    "monitoring_line": "income line of relapse-prevention monitoring, yuan per person",
    "dibao_standard": "rural minimum living allowance standard, yuan per person",
}

Storage = dict[str, dict[str, np.ndarray]]


# --- parameters -------------------------------------------------------------------------------
def hazard_parameters() -> dict[str, Any]:
    """The parameters of the latent process and of the village list, as stored in attrs.

    Returns
    -------
    dict
        ``exit_hazard`` (by year), ``relapse_hazard`` (by years since exit, 3 = 3+),
        ``entry_hazard`` (by labour capacity), ``exit_multiplier`` and ``risk_multiplier``
        (by shock), ``hazard_cap``, ``hazard_formula``, ``list_apply`` and ``list_approve``
        (by truth cell), and the yearly ``poverty_line``, ``monitoring_line`` and
        ``dibao_standard``.

    Examples
    --------
    >>> from mpi.datasets._registry_panel import hazard_parameters
    >>> hazard_parameters()["relapse_hazard"]
    {1: 0.15, 2: 0.09, 3: 0.05}
    """
    return {
        "exit_hazard": dict(EXIT_HAZARD),
        "relapse_hazard": dict(RELAPSE_HAZARD),
        "entry_hazard": dict(ENTRY_HAZARD),
        "exit_multiplier": dict(EXIT_MULTIPLIER),
        "risk_multiplier": dict(RISK_MULTIPLIER),
        "hazard_cap": HAZARD_CAP,
        "hazard_formula": (
            "hazard = min(hazard_cap, base_hazard * prod over shocks s in the year of "
            "multiplier[s]); base_hazard = exit_hazard[year] (latent poor last year), "
            "relapse_hazard[min(year - last exit, 3)] (exited before), "
            "entry_hazard[labour_capacity] (never exited); exit_multiplier for exits, "
            "risk_multiplier for relapses and entries"
        ),
        "list_apply": dict(LIST_APPLY),
        "list_approve": dict(LIST_APPROVE),
        "poverty_line": dict(POVERTY_LINE),
        "monitoring_line": dict(MONITORING_LINE),
        "dibao_standard": dict(DIBAO_STANDARD),
    }


def _flat_attrs() -> dict[str, Any]:
    """Hazard parameters as netCDF-friendly attributes (numbers, strings and lists)."""
    return {
        "exit_hazard_years": list(EXIT_HAZARD),
        "exit_hazard": list(EXIT_HAZARD.values()),
        "relapse_hazard_tau": [1, 2, 3],
        "relapse_hazard": [RELAPSE_HAZARD[t] for t in (1, 2, 3)],
        "entry_hazard_capacity": list(ENTRY_HAZARD),
        "entry_hazard": list(ENTRY_HAZARD.values()),
        "shocks": list(SHOCKS),
        "exit_multiplier": [EXIT_MULTIPLIER[s] for s in SHOCKS],
        "risk_multiplier": [RISK_MULTIPLIER[s] for s in SHOCKS],
        "hazard_cap": HAZARD_CAP,
        "hazard_formula": hazard_parameters()["hazard_formula"],
    }


# --- blocks to storage form -------------------------------------------------------------------
def _truncate(block: Storage, keep: int) -> Storage:
    """The first ``keep`` households of a block (rows are sorted by household)."""
    out: Storage = {}
    for table, cols in block.items():
        cut = int(np.searchsorted(cols["hh"], keep, side="left"))
        out[table] = {c: v[:cut] for c, v in cols.items()}
    return out


def _blocks(n: int, seed: int, progress: bool | None = False) -> Iterator[tuple[int, int, Storage]]:
    """Yield ``(block, first household index, block tables)`` covering households 0 .. n-1;
    ``progress``: a bar counting the households (advanced once the caller used a block)."""
    with progress_bar(
        total=n, desc=NAME, unit="households", unit_scale=True, enabled=progress
    ) as bar:
        for b in range(-(-n // BLOCK_HH)):
            start = b * BLOCK_HH
            block = sim.simulate_block(seed, b)
            if start + BLOCK_HH > n:
                block = _truncate(block, n - start)
            yield b, start, block
            bar.update(min(BLOCK_HH, n - start))


def _publish(block: Storage, b: int, start: int, offsets: dict[str, int]) -> Storage:
    """Block tables with global ids (``offsets``: rows already emitted per table; updated)."""
    out: Storage = {}
    for table, cols in block.items():
        pub: dict[str, np.ndarray] = {}
        nrows = len(cols["hh"])
        for col in SCHEMA[table]:
            if col == "hh_id":
                pub[col] = (cols["hh"] + (start + 1)).astype(np.int32)
            elif table == "anomalies" and col == "payment_id":
                pub[col] = (cols["row"] + offsets.get("payments", 0) + 1).astype(np.int32)
            elif table == "data_issues" and col == "record_id":
                tables = np.array(sim.CATEGORIES["issue_table"])[cols["table"].astype(np.int64)]
                base = np.array([offsets.get(str(t), 0) for t in tables], dtype=np.int64)
                pub[col] = (cols["row"] + base + 1).astype(np.int32)
            elif col == "record_id" or col == _ID_COLUMN.get(table):
                first = offsets.get(table, 0) + 1
                pub[col] = np.arange(first, first + nrows, dtype=np.int32)
            elif col == "village":
                pub[col] = (cols["village"] + (b * sim.VILLAGES_PER_BLOCK + 1)).astype(np.int32)
            else:
                pub[col] = cols[col]
        out[table] = pub
    for table, cols in block.items():
        offsets[table] = offsets.get(table, 0) + len(cols["hh"])
    return out


def _storage(n: int, seed: int, progress: bool | None = False) -> Storage:
    """All tables in storage form (category codes, ``-1`` for missing years)."""
    parts: dict[str, list[dict[str, np.ndarray]]] = {t: [] for t in TABLES}
    offsets: dict[str, int] = {}
    for b, start, block in _blocks(n, seed, progress):
        for table, cols in _publish(block, b, start, offsets).items():
            parts[table].append(cols)
        del block
    out: Storage = {}
    for table in TABLES:
        blocks = parts.pop(table)
        out[table] = {c: np.concatenate([p[c] for p in blocks]) for c in SCHEMA[table]}
        del blocks
    return out


# --- storage form to pandas ------------------------------------------------------------------
def _series(table: str, col: str, values: np.ndarray) -> Any:
    dtype = SCHEMA[table][col]
    if dtype == "category":
        cats = pd.CategoricalDtype(list(CATEGORIES[(table, col)]))
        return pd.Categorical.from_codes(values.astype(np.int8, copy=False), dtype=cats)
    if dtype == "Int16":
        mask = values < 0
        return pd.arrays.IntegerArray(np.where(mask, 0, values).astype(np.int16), mask)
    return values.astype(dtype, copy=False)


def _frames(storage: Storage) -> dict[str, pd.DataFrame]:
    frames = {}
    for table in TABLES:
        cols = storage[table]
        data = {c: _series(table, c, cols[c]) for c in SCHEMA[table]}
        frames[table] = pd.DataFrame(data, columns=list(SCHEMA[table]), copy=False)
    frames["truth"].attrs.update(hazard_parameters())
    return frames


# --- storage form to the panel ---------------------------------------------------------------
def _labels(categories: tuple[str, ...]) -> np.ndarray:
    labels = np.empty(len(categories) + 1, dtype=object)
    labels[:-1] = list(categories)
    labels[-1] = np.nan  # code -1 (no record) picks the last entry
    return labels


def _panel_arrays(tab: Storage, m: int) -> dict[str, np.ndarray]:
    """Household x year arrays of ``m`` households from tables keyed by 0-based ``hh``.

    Merge rule: a household-year takes the value of the department's record for that year;
    records dated after the household's death year are ignored; of duplicated records the
    one with the highest ``record_id`` (the last in table order) wins; no record gives NaN.
    """
    t_n = len(YEARS)
    death = tab["households"]["death_year"].astype(np.int64)
    year0 = YEARS[0]

    def keys(table: str) -> tuple[np.ndarray, np.ndarray]:
        hh = tab[table]["hh"].astype(np.int64)
        year = tab[table]["year"].astype(np.int64)
        keep = (death[hh] < 0) | (year <= death[hh])
        key = np.where(keep, hh * t_n + (year - year0), -1)
        last = keep.copy()
        last[:-1] &= key[1:] != key[:-1]  # rows are sorted by household, year, record
        return key, last

    cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def merged(table: str, values: np.ndarray, dtype: Any, fill: Any) -> np.ndarray:
        if table not in cache:
            cache[table] = keys(table)
        key, last = cache[table]
        out = np.full(m * t_n, fill, dtype=dtype)
        out[key[last]] = values[last]
        return out.reshape(m, t_n)

    arrays: dict[str, np.ndarray] = {}
    for var, (table, col) in MERGE_RULE.items():
        values = tab[table][col]
        if var == "dibao":
            arrays[var] = merged(table, (values >= 2).astype(np.float32), np.float32, np.nan)
        elif (table, col) in CATEGORIES:
            codes = merged(table, values.astype(np.int8), np.int8, -1)
            arrays[var] = _labels(CATEGORIES[(table, col)])[codes]
        elif SCHEMA[table][col] == "float64":
            arrays[var] = merged(table, values, np.float64, np.nan)
        else:
            arrays[var] = merged(table, values.astype(np.float32), np.float32, np.nan)

    alive = np.arange(t_n)[None, :] + year0 <= np.where(death < 0, 9999, death)[:, None]
    listed = merged("village_list", tab["village_list"]["listed"].astype(np.float32), np.float32, 0)
    arrays["listed"] = np.where(alive, listed, np.float32(np.nan)).astype(np.float32)

    truth = tab["truth"]
    arrays["alive"] = alive.astype(np.int8)
    for col in ("latent_poor", "shock_illness", "shock_disaster", "shock_job_loss"):
        arrays[col] = merged("truth", truth[col].astype(np.float32), np.float32, np.nan)
    codes = merged("truth", truth["risk_set"].astype(np.int8), np.int8, -1)
    arrays["risk_set"] = _labels(CATEGORIES[("truth", "risk_set")])[codes]
    arrays["years_since_exit"] = merged(
        "truth", truth["years_since_exit"].astype(np.float32), np.float32, np.nan
    )
    for col in ("base_hazard", "hazard"):
        arrays[col] = merged("truth", truth[col], np.float64, np.nan)
    for col in ("exit", "relapse", "entry"):
        arrays[col] = merged("truth", truth[col].astype(np.float32), np.float32, np.nan)
    return arrays


_PANEL_VARS = (
    *MERGE_RULE,
    "listed",
    "alive",
    "latent_poor",
    "shock_illness",
    "shock_disaster",
    "shock_job_loss",
    "risk_set",
    "years_since_exit",
    "base_hazard",
    "hazard",
    "exit",
    "relapse",
    "entry",
)
_UNIT_VARS = (
    "county",
    "township",
    "village",
    "hh_size",
    "head_age",
    "head_sex",
    "labour_capacity",
    "death_year",
)


def _unit_arrays(households: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for col in _UNIT_VARS:
        values = households[col]
        if ("households", col) in CATEGORIES:
            out[col] = _labels(CATEGORIES[("households", col)])[values.astype(np.int64)]
        elif col == "death_year":
            out[col] = np.where(values < 0, np.nan, values.astype(np.float64))
        else:
            out[col] = values
    return out


def _dataset(
    hh_id: np.ndarray,
    unit: dict[str, np.ndarray],
    panel: dict[str, np.ndarray],
    n: int,
    seed: int,
) -> xr.Dataset:
    def attrs(name: str, **extra: Any) -> dict[str, Any]:
        a = {"long_name": _LABELS[name]} if name in _LABELS else {}
        a.update(extra)
        return a

    data_vars: dict[str, xr.Variable] = {}
    for var in _PANEL_VARS:
        extra: dict[str, Any] = {}
        if var in MERGE_RULE:
            extra["source"] = "{}.{}".format(*MERGE_RULE[var])
        if var in ("alive", *SCHEMA["truth"]):
            extra["truth"] = 1
        if var == "housing_grade":
            extra["categories"] = list(CATEGORIES[("housing", "housing_grade")])
        data_vars[var] = xr.Variable(("unit", "time"), panel[var], attrs=attrs(var, **extra))
    for var in _UNIT_VARS:
        data_vars[var] = xr.Variable(("unit",), unit[var], attrs=attrs(var))
    data_vars["weight"] = xr.Variable(("unit",), np.ones(len(hh_id)), attrs=attrs("weight"))
    lines = {
        "poverty_line": POVERTY_LINE,
        "monitoring_line": MONITORING_LINE,
        "dibao_standard": DIBAO_STANDARD,
    }
    for var, table in lines.items():
        values = np.array([table.get(y, np.nan) for y in YEARS], dtype=np.float64)
        data_vars[var] = xr.Variable(("time",), values, attrs=attrs(var, units="yuan"))
    coords = {
        "unit": ("unit", hh_id, {"long_name": "household identifier (hh_id)"}),
        "time": ("time", np.array(YEARS, dtype=np.int64), {"long_name": "calendar year"}),
    }
    ds_attrs = {
        "title": NAME,
        "description": f"see mpi.datasets.describe({NAME!r})",
        "source": "synthetic (mpi.datasets); licence CC0 1.0",
        "n": n,
        "seed": seed,
        "merge_rule": (
            "value of the source table's record for the household-year; records after the "
            "household's death year ignored; of duplicated keys the highest record_id wins; "
            "NaN where the source has no record"
        ),
        **_flat_attrs(),
    }
    return xr.Dataset(data_vars, coords=coords, attrs=ds_attrs)


def _xarray_from_storage(storage: Storage, n: int, seed: int) -> xr.Dataset:
    """The panel from whole tables (the bundled file)."""
    tab: Storage = {}
    for table in ("households", *{t for t, _ in MERGE_RULE.values()}, "village_list", "truth"):
        cols = dict(storage[table])
        cols["hh"] = cols["hh_id"].astype(np.int64) - 1
        tab[table] = cols
    panel = _panel_arrays(tab, n)
    return _dataset(
        storage["households"]["hh_id"], _unit_arrays(storage["households"]), panel, n, seed
    )


def _xarray_generated(n: int, seed: int, progress: bool | None = False) -> xr.Dataset:
    """The panel filled block by block (memory: the output plus one block)."""
    t_n = len(YEARS)
    panel: dict[str, np.ndarray] = {}
    unit: dict[str, np.ndarray] = {}
    hh_id = np.arange(1, n + 1, dtype=np.int32)
    for b, start, block in _blocks(n, seed, progress):
        m = len(block["households"]["hh"])
        arrays = _panel_arrays(block, m)
        hh = dict(block["households"])
        hh["village"] = (hh["village"] + (b * sim.VILLAGES_PER_BLOCK + 1)).astype(np.int32)
        units = _unit_arrays(hh)
        if not panel:
            panel = {k: np.empty((n, t_n), dtype=v.dtype) for k, v in arrays.items()}
            unit = {k: np.empty(n, dtype=v.dtype) for k, v in units.items()}
        for k, v in arrays.items():
            panel[k][start : start + m] = v
        for k, v in units.items():
            unit[k][start : start + m] = v
        del block, arrays
    return _dataset(hh_id, unit, panel, n, seed)


# --- bundled file ------------------------------------------------------------------------------
def write_bundled(path: str | os.PathLike[str]) -> None:
    """Write the bundled tables as a byte-reproducible compressed ``.npz`` file.

    Parameters
    ----------
    path : str or os.PathLike
        Destination, conventionally ``datasets/data/registry_panel.npz``.
    """
    storage = _storage(BUNDLED_N, BUNDLED_SEED)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for table in TABLES:
            for col in SCHEMA[table]:
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.ascontiguousarray(storage[table][col]))
                info = zipfile.ZipInfo(f"{table}.{col}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, buf.getvalue(), compresslevel=9)


def _read_bundled() -> Storage:
    storage: Storage = {t: {} for t in TABLES}
    with resources.files(__package__).joinpath("data", BUNDLED_FILE).open("rb") as fh:
        with np.load(fh, allow_pickle=False) as npz:
            for table in TABLES:
                for col in SCHEMA[table]:
                    storage[table][col] = npz[f"{table}.{col}"]
    return storage


# --- public API ----------------------------------------------------------------------------
def _check_format(format: object) -> None:
    if format not in FORMATS:
        raise ValidationError(
            f"format: dataset {NAME!r} comes as 'tables' or 'xarray'; got {format!r}"
        )


def load(*, format: str = "tables") -> dict[str, pd.DataFrame] | xr.Dataset:
    """Load the bundled registry panel (5,000 households, 2015-2022).

    Parameters
    ----------
    format : {"tables", "xarray"}, default "tables"
        ``"tables"``: a ``dict`` of :class:`pandas.DataFrame` keyed by :data:`TABLES`;
        ``"xarray"``: the merged panel as an :class:`xarray.Dataset` (dims ``unit``, ``time``).

    Returns
    -------
    dict of str to pandas.DataFrame or xarray.Dataset
        Identical to ``generate(n=5000, seed=2015, format=format)``.

    Raises
    ------
    mpi.errors.ValidationError
        If ``format`` is unknown.

    Examples
    --------
    >>> import mpi.datasets
    >>> tables = mpi.datasets.load("registry_panel")
    >>> tables["households"].shape
    (5000, 9)
    """
    _check_format(format)
    storage = _read_bundled()
    if format == "xarray":
        return _xarray_from_storage(storage, BUNDLED_N, BUNDLED_SEED)
    return _frames(storage)


def generate(
    *,
    n: int | None = None,
    seed: int = 0,
    chunk_size: int = 1_000_000,
    format: str = "tables",
    progress: bool | None = None,
) -> dict[str, pd.DataFrame] | xr.Dataset:
    """Generate the registry panel for ``n`` households, deterministically for a seed.

    Parameters
    ----------
    n : int, optional
        Number of households (1 .. :data:`MAX_N`); defaults to the bundled 5,000.
    seed : int, default 0
        Non-negative seed.
    chunk_size : int, default 1_000_000
        Accepted for compatibility; households are always drawn in blocks of
        :data:`BLOCK_HH`, so the value changes neither the data nor the memory used.
    format : {"tables", "xarray"}, default "tables"
        Output type, as in :func:`load`. The xarray format is filled block by block and
        never holds the tables; ``"tables"`` at a million households takes a few GB.
    progress : bool or None, default None
        A progress bar on stderr counting the households generated: ``None`` when stderr is a
        terminal (and the environment variable ``XMPI_PROGRESS`` is not ``"0"``), ``True``
        always, ``False`` never. The data are the same either way.

    Returns
    -------
    dict of str to pandas.DataFrame or xarray.Dataset
        The tables or the merged panel.

    Raises
    ------
    mpi.errors.ValidationError
        If ``n`` is not between 1 and :data:`MAX_N` or ``format`` is unknown.

    Examples
    --------
    >>> import mpi.datasets
    >>> ds = mpi.datasets.generate("registry_panel", n=1000, seed=1, format="xarray")
    >>> dict(ds.sizes)
    {'unit': 1000, 'time': 8}
    """
    _check_format(format)
    n = BUNDLED_N if n is None else int(n)
    if not 1 <= n <= MAX_N:
        raise ValidationError(f"n: must be between 1 and {MAX_N}; got {n!r}")
    if format == "xarray":
        return _xarray_generated(n, seed, progress)
    return _frames(_storage(n, seed, progress))


if __name__ == "__main__":  # pragma: no cover - regenerates the bundled file
    # python -m mpi.datasets._registry_panel
    target = Path(__file__).with_name("data") / BUNDLED_FILE
    write_bundled(target)
    print(f"wrote {target} ({target.stat().st_size} bytes)")
