"""Validated worker and post tables for the job matching: :func:`normalise` and
:class:`Tables`.

:func:`normalise` checks the two tables of :func:`mpi.jobs.match` (columns, ids, dtypes,
missing values, ranges), copies them under canonical column names, drops the posts with
zero openings (counting them) and encodes the ``";"``-separated skills and sectors as
boolean indicator matrices and the health levels as integers, so that
:mod:`mpi.jobs.constraints` can test every constraint with numpy on whole blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mpi.errors import ValidationError

__all__ = [
    "WORKER_COLUMNS", "POST_COLUMNS", "WORKER_OPTIONAL", "POST_OPTIONAL", "HEALTH",
    "HEALTH_REQUIRED", "Tables", "normalise",
]  # fmt: skip

#: Columns every worker table must have (the id column is named by ``worker_id=``).
WORKER_COLUMNS = (
    "x_km", "y_km", "age", "education", "health", "skills", "wage_floor", "max_distance_km",
    "sectors",
)  # fmt: skip
#: Optional worker columns (for coverage and the link to households): filled when absent.
WORKER_OPTIONAL = {"household_id": -1, "village": -1, "county": ""}
#: Columns every post table must have (the id column is named by ``post_id=``).
POST_COLUMNS = (
    "sector", "x_km", "y_km", "wage", "openings", "min_age", "max_age", "min_education",
    "skill", "health_required",
)  # fmt: skip
#: Optional post columns: filled when absent.
POST_OPTIONAL = {"employer_id": "", "employer": "", "county": ""}
#: Worker health levels, worst first (their position is the level).
HEALTH = ("poor", "fair", "good")
#: A post's health requirement -> the lowest acceptable worker level (position in HEALTH).
HEALTH_REQUIRED = {"any": 0, "fair": 1, "good": 2}

@dataclass
class Tables:
    """Validated worker and post tables as numpy arrays (posts with openings only).

    Parameters
    ----------
    workers, posts
        The validated tables (copies, canonical column names ``worker_id`` and ``post_id``,
        index 0 .. n-1); ``posts`` holds only the posts with at least one opening.
    post_rows
        Row positions of ``posts`` in the table the caller passed.
    n_posts_without_openings
        Posts given with ``openings == 0`` (excluded, counted).
    skill_codes, sector_codes
        Every skill and sector code seen in either table, sorted.
    worker_skills, worker_sectors
        Boolean ``(workers, codes)`` matrices: the worker has the skill / wants the sector.
    any_sector
        Workers who named no sector (any sector is acceptable).
    post_skill, post_sector
        The post's code as a position in ``skill_codes`` / ``sector_codes`` (-1: no skill).
    worker_health, post_health
        Worker health level (position in :data:`HEALTH`) and the post's lowest acceptable
        level.
    worker_rank, post_rank
        Position of each id in the sorted ids (the deterministic tie-breakers).
    arrays
        The numeric columns as contiguous float64/int64 arrays (``wx``, ``wy``, ``age``,
        ``edu``, ``floor``, ``maxd`` per worker; ``px``, ``py``, ``wage``, ``min_age``,
        ``max_age``, ``min_edu``, ``openings`` per post).
    """

    workers: pd.DataFrame
    posts: pd.DataFrame
    post_rows: np.ndarray
    n_posts_without_openings: int
    skill_codes: list[str]
    sector_codes: list[str]
    worker_skills: np.ndarray
    worker_sectors: np.ndarray
    any_sector: np.ndarray
    post_skill: np.ndarray
    post_sector: np.ndarray
    worker_health: np.ndarray
    post_health: np.ndarray
    worker_rank: np.ndarray
    post_rank: np.ndarray
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_workers(self) -> int:
        """Number of workers."""
        return len(self.workers)

    @property
    def n_posts(self) -> int:
        """Number of posts with openings."""
        return len(self.posts)


# -- validation ----------------------------------------------------------------------------
def _frame(obj: Any, arg: str) -> pd.DataFrame:
    if not isinstance(obj, pd.DataFrame):
        raise ValidationError(
            f"{arg} must be a pandas DataFrame (one row per {arg[:-1]}); got {type(obj).__name__}"
        )
    return obj


def _check_columns(df: pd.DataFrame, arg: str, needed: tuple[str, ...]) -> None:
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValidationError(
            f"{arg} misses the column(s) {missing}; it has {sorted(map(str, df.columns))}. "
            f"Add them (see mpi.jobs.match for their meaning) or rename yours"
        )


def _ids(df: pd.DataFrame, col: str, arg: str, id_arg: str) -> pd.Series:
    s = df[col]
    if s.isna().any():
        row = int(np.flatnonzero(s.isna().to_numpy())[0])
        raise ValidationError(
            f"{arg}[{col!r}] has a missing id (row {row}); give every row an id "
            f"(or name another id column with {id_arg}=)"
        )
    if not (pd.api.types.is_string_dtype(s) or pd.api.types.is_integer_dtype(s)
            or pd.api.types.is_object_dtype(s)) or pd.api.types.is_bool_dtype(s):  # fmt: skip
        raise ValidationError(
            f"{arg}[{col!r}] must hold string or integer ids; got dtype {s.dtype}"
        )
    out = s.astype(str)
    dup = out.duplicated(keep=False)
    if dup.any():
        values = sorted(out[dup].unique())[:5]
        raise ValidationError(
            f"{arg}[{col!r}] has duplicated ids, e.g. {values} ({int(out.duplicated().sum())} "
            f"duplicate rows); each {arg[:-1]} must appear once: drop or renumber the duplicates"
        )
    return out.reset_index(drop=True)


def _numeric(
    df: pd.DataFrame, col: str, arg: str, *, minimum: float | None = None,
    allow_inf: bool = False, integer: bool = False,
) -> np.ndarray:  # fmt: skip
    s = df[col]
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        raise ValidationError(
            f"{arg}[{col!r}] must be numeric; got dtype {s.dtype} (e.g. {s.iloc[0]!r} in the "
            f"first row). Convert it with pd.to_numeric"
        )
    values = s.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(values) | (np.isinf(values) if not allow_inf else np.isneginf(values))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"{arg}[{col!r}] has {int(bad.sum())} missing or infinite value(s) (first at row "
            f"{row}: {values[row]!r}); fill them or drop those rows before matching"
        )
    if integer and (values != np.round(values)).any():
        row = int(np.flatnonzero(values != np.round(values))[0])
        raise ValidationError(
            f"{arg}[{col!r}] must hold whole numbers; row {row} has {values[row]!r}. Round it"
        )
    if minimum is not None and (values < minimum).any():
        row = int(np.flatnonzero(values < minimum)[0])
        raise ValidationError(
            f"{arg}[{col!r}] must be >= {minimum:g}; row {row} has {values[row]!r}. Correct "
            f"the value (a {col} cannot be negative)"
        )
    return values


def _text(
    df: pd.DataFrame, col: str, arg: str, allowed: tuple[str, ...] | None = None
) -> np.ndarray:
    s = df[col]
    if s.isna().any():
        row = int(np.flatnonzero(s.isna().to_numpy())[0])
        raise ValidationError(
            f"{arg}[{col!r}] has a missing value at row {row}; use \"\" for none "
            f"(';'-separated codes otherwise)"
            if allowed is None
            else f"{arg}[{col!r}] has a missing value at row {row}; use one of {allowed}"
        )
    if not (pd.api.types.is_string_dtype(s) or pd.api.types.is_object_dtype(s)
            or isinstance(s.dtype, pd.CategoricalDtype)):  # fmt: skip
        raise ValidationError(f"{arg}[{col!r}] must hold text; got dtype {s.dtype}")
    values = s.astype(str).str.strip().to_numpy(dtype=object)
    if allowed is not None:
        bad = ~np.isin(values, np.asarray(allowed, dtype=object))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValidationError(
                f"{arg}[{col!r}] must be one of {allowed}; row {row} has {values[row]!r}"
            )
    return values


def _codes(values: np.ndarray) -> list[list[str]]:
    return [[c.strip() for c in v.split(";") if c.strip()] for v in values]


def _indicator(lists: list[list[str]], codes: list[str]) -> np.ndarray:
    pos = {c: k for k, c in enumerate(codes)}
    out = np.zeros((len(lists), len(codes)), dtype=bool)
    rows = [i for i, lst in enumerate(lists) for _ in lst]
    cols = [pos[c] for lst in lists for c in lst]
    out[rows, cols] = True
    return out


def normalise(
    workers: pd.DataFrame,
    posts: pd.DataFrame,
    *,
    worker_id: str = "worker_id",
    post_id: str = "post_id",
) -> Tables:
    """Validate the worker and post tables and encode them for the vectorised constraints.

    Parameters
    ----------
    workers
        One row per worker: ``worker_id`` (or the column named by ``worker_id``) and the
        columns of :data:`WORKER_COLUMNS`; optional ``household_id``, ``village``,
        ``county`` (filled with -1, -1 and ``""`` when absent).
    posts
        One row per job posting: ``post_id`` (or the column named by ``post_id``) and the
        columns of :data:`POST_COLUMNS`; optional ``employer_id``, ``employer``, ``county``.
    worker_id, post_id
        Names of the id columns.

    Returns
    -------
    Tables
        Copies (the inputs are never changed). Posts with ``openings == 0`` are excluded and
        counted in ``n_posts_without_openings``.

    Raises
    ------
    ValidationError
        Naming the table, the column, the value and the fix for: a missing column,
        duplicated or missing ids, missing or infinite values, a non-numeric column where
        numbers are needed, negative or non-integer ``openings``, negative wages, wage
        floors or distances, ``min_age > max_age``, unknown health levels.
    """
    workers = _frame(workers, "workers")
    posts = _frame(posts, "posts")
    for arg, name in (("worker_id", worker_id), ("post_id", post_id)):
        if not isinstance(name, str):
            raise ValidationError(f"{arg} must be a column name (str); got {name!r}")
    _check_columns(workers, "workers", (worker_id, *WORKER_COLUMNS))
    _check_columns(posts, "posts", (post_id, *POST_COLUMNS))
    if len(workers) == 0:
        raise ValidationError("workers has no rows; give at least one worker to match")

    w: dict[str, Any] = {"worker_id": _ids(workers, worker_id, "workers", "worker_id")}
    w["x_km"] = _numeric(workers, "x_km", "workers")
    w["y_km"] = _numeric(workers, "y_km", "workers")
    w["age"] = _numeric(workers, "age", "workers", minimum=0)
    w["education"] = _numeric(workers, "education", "workers", minimum=0)
    w["health"] = _text(workers, "health", "workers", HEALTH)
    w["skills"] = _text(workers, "skills", "workers")
    w["wage_floor"] = _numeric(workers, "wage_floor", "workers", minimum=0)
    w["max_distance_km"] = _numeric(workers, "max_distance_km", "workers", minimum=0,
                                    allow_inf=True)  # fmt: skip
    w["sectors"] = _text(workers, "sectors", "workers")
    hh = workers["household_id"] if "household_id" in workers else None
    w["household_id"] = (
        np.full(len(workers), -1, np.int64) if hh is None
        else _numeric(workers, "household_id", "workers", integer=True).astype(np.int64)
    )  # fmt: skip
    w["village"] = (
        np.full(len(workers), -1, np.int64) if "village" not in workers
        else _numeric(workers, "village", "workers", integer=True).astype(np.int64)
    )  # fmt: skip
    w["county"] = (
        np.full(len(workers), "", object) if "county" not in workers
        else _text(workers, "county", "workers")
    )  # fmt: skip
    wdf = pd.DataFrame({k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in w.items()})

    p: dict[str, Any] = {"post_id": _ids(posts, post_id, "posts", "post_id")}
    p["sector"] = _text(posts, "sector", "posts")
    empty = np.flatnonzero(p["sector"] == "")
    if len(empty):
        raise ValidationError(
            f"posts['sector'] is empty at row {int(empty[0])}; every post needs its sector"
        )
    p["x_km"] = _numeric(posts, "x_km", "posts")
    p["y_km"] = _numeric(posts, "y_km", "posts")
    p["wage"] = _numeric(posts, "wage", "posts", minimum=0)
    p["openings"] = _numeric(posts, "openings", "posts", minimum=0, integer=True).astype(np.int64)
    p["min_age"] = _numeric(posts, "min_age", "posts", minimum=0)
    p["max_age"] = _numeric(posts, "max_age", "posts", minimum=0)
    bad = np.flatnonzero(p["min_age"] > p["max_age"])
    if len(bad):
        r = int(bad[0])
        raise ValidationError(
            f"posts has min_age > max_age at row {r} ({p['min_age'][r]:g} > "
            f"{p['max_age'][r]:g}); no worker could take it: correct the age range"
        )
    p["min_education"] = _numeric(posts, "min_education", "posts", minimum=0)
    p["skill"] = _text(posts, "skill", "posts")
    multi = np.flatnonzero([";" in s for s in p["skill"]])
    if len(multi):
        raise ValidationError(
            f"posts['skill'] must hold one skill code or \"\"; row {int(multi[0])} has "
            f"{p['skill'][int(multi[0])]!r}: split the post or keep its main skill"
        )
    p["health_required"] = _text(posts, "health_required", "posts", tuple(HEALTH_REQUIRED))
    for col, default in POST_OPTIONAL.items():
        p[col] = (
            _text(posts, col, "posts") if col in posts
            else np.full(len(posts), default, object)
        )  # fmt: skip
    pdf = pd.DataFrame({k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in p.items()})

    has = pdf["openings"].to_numpy() > 0
    post_rows = np.flatnonzero(has).astype(np.int64)
    pdf = pdf.iloc[post_rows].reset_index(drop=True)

    wskills = _codes(wdf["skills"].to_numpy())
    wsectors = _codes(wdf["sectors"].to_numpy())
    skill_codes = sorted({c for lst in wskills for c in lst} | set(pdf["skill"]) - {""})
    sector_codes = sorted({c for lst in wsectors for c in lst} | set(pdf["sector"]))
    skill_pos = {c: k for k, c in enumerate(skill_codes)}
    sector_pos = {c: k for k, c in enumerate(sector_codes)}
    health_pos = {h: k for k, h in enumerate(HEALTH)}

    def rank(ids: pd.Series) -> np.ndarray:
        order = np.argsort(ids.to_numpy(dtype=str), kind="stable")
        out = np.empty(len(ids), np.int64)
        out[order] = np.arange(len(ids))
        return out

    arrays = {
        "wx": wdf["x_km"].to_numpy(np.float64), "wy": wdf["y_km"].to_numpy(np.float64),
        "age": wdf["age"].to_numpy(np.float64), "edu": wdf["education"].to_numpy(np.float64),
        "floor": wdf["wage_floor"].to_numpy(np.float64),
        "maxd": wdf["max_distance_km"].to_numpy(np.float64),
        "px": pdf["x_km"].to_numpy(np.float64), "py": pdf["y_km"].to_numpy(np.float64),
        "wage": pdf["wage"].to_numpy(np.float64),
        "min_age": pdf["min_age"].to_numpy(np.float64),
        "max_age": pdf["max_age"].to_numpy(np.float64),
        "min_edu": pdf["min_education"].to_numpy(np.float64),
        "openings": pdf["openings"].to_numpy(np.int64),
    }  # fmt: skip
    return Tables(
        workers=wdf,
        posts=pdf,
        post_rows=post_rows,
        n_posts_without_openings=int((~has).sum()),
        skill_codes=skill_codes,
        sector_codes=sector_codes,
        worker_skills=_indicator(wskills, skill_codes),
        worker_sectors=_indicator(wsectors, sector_codes),
        any_sector=np.array([len(s) == 0 for s in wsectors], dtype=bool),
        post_skill=np.array([skill_pos.get(s, -1) for s in pdf["skill"]], dtype=np.int64),
        post_sector=np.array([sector_pos[s] for s in pdf["sector"]], dtype=np.int64),
        worker_health=np.array([health_pos[h] for h in wdf["health"]], dtype=np.int64),
        post_health=np.array([HEALTH_REQUIRED[h] for h in pdf["health_required"]], np.int64),
        worker_rank=rank(wdf["worker_id"]),
        post_rank=rank(pdf["post_id"]),
        arrays=arrays,
    )
