"""Generator of the synthetic ``benefit_audit`` tables: 12 benefit lists and 6 registries.

A fictional county imitating Sui County (随县) of Suizhou, Hubei, whose poverty big-data
system cross-matched 12 beneficiary lists with property, business-registration and tax
records. About 20,000 persons live in 7,000 households in some 190 villages of 16 townships.
Twelve programmes pay them from 2020-01 to 2023-12 (table ``beneficiaries``, one row per
payment); six registries (``death``, ``business``, ``vehicle``, ``property``, ``tax``,
``staff``) hold the county's residents at realistic rates plus residents of the rest of the
prefecture. About 300 anomalies are planted and labelled (``labels``), and some list entries
show dirty identity numbers or names (``dirty``). ``persons`` is the truth: every resident's
true identity number, name and household.

Everything is drawn from one ``numpy.random.default_rng(seed)`` stream; the bundled files are
exactly ``generate_tables(seed=BUNDLED_SEED, scale=1.0)``. See the data card
(``mpi.datasets.describe("benefit_audit")``).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from ._benefit_audit_people import draw_county
from ._benefit_audit_plant import (
    ANOMALY_COUNTS,
    THRESHOLDS,
    Anomaly,
    draw_registries,
    plant_dirty,
    plant_payments,
)
from ._benefit_audit_programmes import (
    PERIODS,
    PROGRAMMES,
    Enrolment,
    draw_county_facts,
    draw_programmes,
)
from ._errors import ValidationError
from ._io import write_csv_gz
from ._progress import progress as progress_bar

__all__ = [
    "ANOMALY_COUNTS",
    "BUNDLED_HOUSEHOLDS",
    "BUNDLED_SEED",
    "CARD",
    "DTYPES",
    "FORMATS",
    "KINDS",
    "MAX_N",
    "NAME",
    "PERIODS",
    "PROGRAMMES",
    "REGISTRIES",
    "TABLES",
    "THRESHOLDS",
    "generate",
    "generate_tables",
    "load",
    "write_csv",
]

NAME: Final = "benefit_audit"
CARD: Final = "benefit_audit.md"
FORMATS: Final = ("tables",)
#: Households and seed of the bundled files ``data/benefit_audit_*.csv.gz``.
BUNDLED_HOUSEHOLDS: Final = 7000
BUNDLED_SEED: Final = 2018
#: Largest number of households accepted by :func:`generate`.
MAX_N: Final = 200_000
#: Kinds of the planted anomalies (the ``kind`` column of ``labels``).
KINDS: Final = tuple(ANOMALY_COUNTS)
#: The reference registries, by kind (the ``registries`` argument of ``mpi.audit``).
REGISTRIES: Final = ("death", "business", "vehicle", "property", "tax", "staff")
#: All tables, in the order of :func:`load`.
TABLES: Final = ("beneficiaries", *REGISTRIES, "persons", "labels", "dirty")

#: Column order and dtypes of every table (``str``: text; dates are ``datetime64[ns]``).
DTYPES: Final[dict[str, dict[str, str]]] = {
    "beneficiaries": {
        "id_number": "str",
        "name": "str",
        "programme": "str",
        "amount": "float64",
        "paid_on": "datetime64[ns]",
        "household_id": "str",
        "household_size": "int64",
        "village": "str",
        "account": "str",
    },
    "death": {"id_number": "str", "name": "str", "died_on": "datetime64[ns]"},
    "business": {"id_number": "str", "name": "str", "registered_capital": "float64"},
    "vehicle": {"id_number": "str", "name": "str", "vehicle_value": "float64"},
    "property": {"id_number": "str", "name": "str", "floor_area": "float64"},
    "tax": {"id_number": "str", "name": "str", "annual_income": "float64"},
    "staff": {"id_number": "str", "name": "str", "employer": "str"},
    "persons": {
        "person_id": "int64",
        "household_id": "str",
        "relation": "str",
        "id_number": "str",
        "name": "str",
        "sex": "str",
        "birth_date": "datetime64[ns]",
        "village": "str",
        "account": "str",
        "died_on": "datetime64[ns]",
    },
    "labels": {
        "label_id": "int64",
        "incident": "int64",
        "kind": "str",
        "programme": "str",
        "person_id": "int64",
        "id_number": "str",
        "name": "str",
        "first_row": "int64",
        "n_rows": "int64",
        "rows": "str",
        "dirty_id": "bool",
        "dirty": "str",
        "detail": "str",
    },
    "dirty": {"row": "int64", "person_id": "int64", "id_error": "str", "name_error": "str"},
}

# pandas 3 parses floats exactly by default; pandas 2 needs the round-trip parser.
_EXACT: dict[str, Any] = (
    {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
)


def _typed(table: str, df: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col, dtype in DTYPES[table].items():
        s = df[col]
        if dtype == "str":
            out[col] = s.astype(str)
        elif dtype == "bool" and s.dtype != bool:
            out[col] = s.astype(str).str.lower().eq("true")
        else:
            out[col] = s.astype(dtype)
    return pd.DataFrame(out)


def _flatten(enrolments: list[Enrolment], persons: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The beneficiaries table and the position of each (enrolment, payment)."""
    order = {p: k for k, p in enumerate(PROGRAMMES)}
    cols: dict[str, list] = {k: [] for k in ("k", "j", "prog", "person", "date")}
    for k, e in enumerate(enrolments):
        m = len(e.dates)
        cols["k"] += [k] * m
        cols["j"] += list(range(m))
        cols["prog"] += [order[e.programme]] * m
        cols["person"] += [e.person] * m
        cols["date"] += e.dates
    k = np.array(cols["k"], dtype=np.int64)
    j = np.array(cols["j"], dtype=np.int64)
    village = np.array([enrolments[x].village for x in k], dtype=object)
    household = np.array([enrolments[x].household_id for x in k], dtype=object)
    date = np.array(cols["date"], dtype="datetime64[D]")
    perm = np.lexsort(
        (j, k, date, np.array(cols["person"]), household, village, np.array(cols["prog"]))
    )
    k, j, date = k[perm], j[perm], date[perm]
    position = {(int(a), int(b)): r for r, (a, b) in enumerate(zip(k, j, strict=True))}

    def attr(name: str) -> list:
        return [getattr(enrolments[x], name) for x in k]

    table = pd.DataFrame(
        {
            "id_number": attr("id_shown"),
            "name": attr("name_shown"),
            "programme": attr("programme"),
            "amount": [enrolments[a].amounts[b] for a, b in zip(k, j, strict=True)],
            "paid_on": date.astype("datetime64[ns]"),
            "household_id": attr("household_id"),
            "household_size": attr("household_size"),
            "village": attr("village"),
            "account": attr("account"),
        }
    )
    errors = [
        (r, enrolments[a])
        for r, a in enumerate(k)
        if enrolments[a].id_error or enrolments[a].name_error
    ]
    dirty = pd.DataFrame(
        {
            "row": [r for r, _ in errors],
            "person_id": [int(persons["person_id"].iat[e.person]) for _, e in errors],
            "id_error": [e.id_error for _, e in errors],
            "name_error": [e.name_error for _, e in errors],
        },
        columns=list(DTYPES["dirty"]),
    )
    return table, {
        "position": position,
        "index": {id(e): x for x, e in enumerate(enrolments)},
        "dirty": dirty,
    }


def _labels(anomalies: list[Anomaly], persons: pd.DataFrame, flat: dict) -> pd.DataFrame:
    rows = []
    index, position = flat["index"], flat["position"]
    for a in anomalies:
        pos: list[int] = []
        errors: list[str] = []
        for e, which in a.parts:
            k = index[id(e)]
            pos += [position[(k, j)] for j in (range(len(e.dates)) if which is None else which)]
            errors += [x for x in (e.id_error, e.name_error) if x and x not in errors]
        pos.sort()
        rows.append(
            {
                "incident": a.incident,
                "kind": a.kind,
                "programme": a.programme,
                "person_id": int(persons["person_id"].iat[a.person]),
                "id_number": persons["id_number"].iat[a.person],
                "name": persons["name"].iat[a.person],
                "first_row": pos[0],
                "n_rows": len(pos),
                "rows": " ".join(map(str, pos)),
                "dirty_id": bool(errors),
                "dirty": ", ".join(errors),
                "detail": a.detail,
            }
        )
    df = pd.DataFrame(rows)
    df = df.sort_values(["first_row", "kind"], kind="stable").reset_index(drop=True)
    incidents = {v: n + 1 for n, v in enumerate(dict.fromkeys(df["incident"]))}
    df["incident"] = df["incident"].map(incidents)
    df.insert(0, "label_id", np.arange(1, len(df) + 1))
    return df


def generate_tables(
    seed: int = BUNDLED_SEED, scale: float = 1.0, progress: bool | None = False
) -> dict[str, pd.DataFrame]:
    """Generate the county, its 12 benefit lists, its registries and the planted anomalies.

    Parameters
    ----------
    seed : int, default BUNDLED_SEED
        Non-negative seed of ``numpy.random.default_rng``.
    scale : float, default 1.0
        Size relative to the bundled county: ``round(7000 * scale)`` households and
        ``max(1, round(count * scale))`` planted anomalies of each kind of
        :data:`ANOMALY_COUNTS` (fewer when a small county has too few candidates).
    progress : bool or None, default False
        A progress bar on stderr over the generation steps; the data are the same either way.

    Returns
    -------
    dict of str to pandas.DataFrame
        The tables of :data:`TABLES` with the columns and dtypes of :data:`DTYPES`.

    Raises
    ------
    mpi.errors.ValidationError
        If ``seed`` is not a non-negative integer, or ``scale`` is not a number giving 50 to
        :data:`MAX_N` households.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValidationError(f"seed: must be a non-negative integer; got {seed!r}")
    if isinstance(scale, bool) or not isinstance(scale, int | float | np.integer | np.floating):
        raise ValidationError(f"scale: must be a number (1.0 = 7,000 households); got {scale!r}")
    n_households = round(BUNDLED_HOUSEHOLDS * float(scale)) if np.isfinite(scale) else 0
    if not 50 <= n_households <= MAX_N:
        raise ValidationError(
            f"scale: must give between 50 and {MAX_N:,} households (7,000 x scale); got "
            f"scale={scale!r}. Use a scale between 0.0072 and {MAX_N / BUNDLED_HOUSEHOLDS:g}"
        )
    rng = np.random.default_rng(seed)
    bar = progress_bar(total=5, desc=NAME, unit="steps", enabled=progress)
    with bar:
        persons, villages = draw_county(rng, n_households)
        county = draw_county_facts(rng, persons, villages)
        bar.update(1)
        enrolments = draw_programmes(rng, county)
        bar.update(1)
        used: set[int] = set()
        anomalies = plant_payments(rng, county, enrolments, float(scale), used)
        registries, more = draw_registries(rng, county, enrolments, float(scale), used)
        anomalies += more
        bar.update(1)
        chance: dict[int, float] = {}
        for a in anomalies:
            for n, (e, _) in enumerate(a.parts):
                second = a.kind == "duplicate_in_period" and n == 1
                chance[id(e)] = 0.5 if second else max(chance.get(id(e), 0.0), 0.3)
        plant_dirty(rng, county, enrolments, chance)
        beneficiaries, flat = _flatten(enrolments, persons)
        bar.update(1)
        people = persons.assign(died_on=county.died.astype("datetime64[ns]"))
        tables = {
            "beneficiaries": beneficiaries,
            **registries,
            "persons": people,
            "labels": _labels(anomalies, persons, flat),
            "dirty": flat["dirty"],
        }
        bar.update(1)
    return {t: _typed(t, tables[t]) for t in TABLES}


def _file(table: str) -> str:
    return f"{NAME}_{table}.csv.gz"


def load(*, format: str = "tables") -> dict[str, pd.DataFrame]:
    """Load the bundled county (7,000 households, seed :data:`BUNDLED_SEED`).

    Parameters
    ----------
    format : {"tables"}, default "tables"
        The only format: a dict of DataFrames.

    Returns
    -------
    dict of str to pandas.DataFrame
        The tables of :data:`TABLES`; exactly ``generate_tables(BUNDLED_SEED, 1.0)``.
    """
    out = {}
    pkg = resources.files(__package__ or "datasets")
    for table in TABLES:
        dates = [c for c, t in DTYPES[table].items() if t.startswith("datetime")]
        dtypes = {c: t for c, t in DTYPES[table].items() if c not in dates and t != "bool"}
        with pkg.joinpath("data", _file(table)).open("rb") as fh:
            df = pd.read_csv(
                fh,
                compression="gzip",
                dtype=dtypes,
                keep_default_na=False,
                na_values={c: [""] for c in dates},
                parse_dates=dates,
                **_EXACT,
            )
        out[table] = _typed(table, df)
    return out


def generate(
    *,
    n: int | None = None,
    seed: int = 0,
    chunk_size: int = 1_000_000,
    format: str = "tables",
    progress: bool | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate a county of ``n`` households (``mpi.datasets.generate("benefit_audit", ...)``).

    Parameters
    ----------
    n : int, optional
        Number of households; defaults to the bundled 7,000. The anomaly counts scale with
        ``n / 7000`` (see :func:`generate_tables`).
    seed : int, default 0
        Non-negative seed.
    chunk_size : int, default 1_000_000
        Accepted for compatibility; it does not change the result.
    format : {"tables"}, default "tables"
        The only format: a dict of DataFrames.
    progress : bool or None, default None
        A progress bar on stderr; the data are the same either way.

    Returns
    -------
    dict of str to pandas.DataFrame
        The tables of :data:`TABLES`, as in :func:`load`.

    Raises
    ------
    mpi.errors.ValidationError
        If ``n`` is below 50 or above :data:`MAX_N`.
    """
    n = BUNDLED_HOUSEHOLDS if n is None else int(n)
    if not 50 <= n <= MAX_N:
        raise ValidationError(f"n: must be between 50 and {MAX_N:,} households; got {n!r}")
    return generate_tables(seed, n / BUNDLED_HOUSEHOLDS, progress)


def write_csv(tables: dict[str, pd.DataFrame], directory: str | os.PathLike[str]) -> None:
    """Write the tables as byte-reproducible gzipped CSV files (the bundled format).

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        The output of :func:`generate_tables`.
    directory : str or os.PathLike
        Destination folder, conventionally ``datasets/data``.
    """
    for table in TABLES:
        df = tables[table].copy()
        for col, t in DTYPES[table].items():
            if t.startswith("datetime"):
                df[col] = df[col].dt.strftime("%Y-%m-%d").fillna("")
        write_csv_gz(df, Path(directory) / _file(table))


if __name__ == "__main__":  # pragma: no cover - regenerates the bundled files
    # python -m mpi.datasets._benefit_audit  (writes into the package's data folder)
    target = Path(__file__).with_name("data")
    write_csv(generate_tables(BUNDLED_SEED, 1.0), target)
    for t in TABLES:
        print(f"wrote {target / _file(t)} ({(target / _file(t)).stat().st_size} bytes)")
