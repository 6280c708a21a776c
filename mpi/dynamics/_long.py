"""Long tables (one row per record) onto ``unit`` x ``time`` grids: the checks of key
columns, unit ids and years, the dtype policy of the scatter, and duplicated keys.

Shared by :func:`mpi.panel_from_long` and :func:`mpi.merge_sources`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import pandas as pd

from mpi._version import __version__
from mpi.errors import DataError, ValidationError

__all__ = [
    "DUPLICATE_RULES",
    "Dedup",
    "DuplicateRule",
    "check_dims",
    "check_frame",
    "column",
    "dedup",
    "describer",
    "fmt_keys",
    "history_stamp",
    "id_kind",
    "is_bool",
    "is_int",
    "panel_coords",
    "parse_duplicates",
    "positions",
    "py_value",
    "scatter",
    "sorted_union",
    "unit_ids",
    "year_values",
]

#: Duplicate-key rules (``"first"`` and ``"last"`` may be paired with an ordering column).
DUPLICATE_RULES: Final = ("raise", "first", "last")

DuplicateRule = str | tuple[str, Hashable]
_EXAMPLES: Final = 5


# --- small helpers ------------------------------------------------------------------------------
def fmt_keys(keys: Sequence[Any], total: int) -> str:
    shown = ", ".join(repr(k) for k in keys[:_EXAMPLES])
    more = f", … ({total - _EXAMPLES} more)" if total > _EXAMPLES else ""
    return shown + more


def history_stamp(what: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{stamp} xmpi {__version__} {what}"


def column(df: pd.DataFrame, name: Hashable, *, where: str, role: str) -> pd.Series:
    if name not in df.columns:
        close = [c for c in df.columns if str(c).lower() == str(name).lower()]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        cols = ", ".join(map(str, list(df.columns)[:30]))
        raise DataError(
            f"{role}: column {name!r} is not in {where}.{hint} Its columns are: {cols}. "
            "Rename the column or pass the right name"
        )
    col = df[name]
    if isinstance(col, pd.DataFrame):
        raise DataError(f"{role}: {where} has several columns named {name!r}; rename them")
    return col


def check_frame(df: Any, where: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{where} must be a pandas.DataFrame; got {type(df).__name__}")
    if df.columns.has_duplicates:
        dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise DataError(f"{where} has duplicated column names {dup}; rename them")
    return df


def id_kind(col: pd.Series) -> str:
    """``"number"`` or ``"string"`` for unit ids; anything else is rejected."""
    values = col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) else col
    if pd.api.types.is_bool_dtype(values.dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(values.dtype):
        return "number"
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        return "number"
    if inferred in ("string", "empty"):
        return "string"
    return inferred


def unit_ids(col: pd.Series, *, where: str, name: Hashable) -> pd.Series:
    """Validated unit ids (no missing, one kind of value; integral floats become int64)."""
    n_missing = int(col.isna().sum())
    if n_missing:
        raise DataError(
            f"unit: {n_missing} row(s) of {where} have a missing unit id in column {name!r}; "
            "drop or fill them first (e.g. df.dropna(subset=[unit]))"
        )
    kind = id_kind(col)
    if kind not in ("number", "string"):
        raise DataError(
            f"unit: the ids in column {name!r} of {where} are of kind {kind!r} (dtype "
            f"{col.dtype}); unit ids must be all numbers or all strings. Convert them with "
            ".astype(str) or pd.to_numeric"
        )
    if isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype(col.cat.categories.dtype)
    if kind == "number" and pd.api.types.is_float_dtype(col.dtype):
        values = col.to_numpy(dtype=np.float64)
        if np.all(values == np.round(values)):
            return pd.Series(values.astype(np.int64), index=col.index, name=col.name)
    if kind == "number" and pd.api.types.is_extension_array_dtype(col.dtype):
        return pd.Series(col.to_numpy(dtype=np.int64), index=col.index, name=col.name)
    if kind == "string":
        return col.astype(object)
    return col


def year_values(col: pd.Series, *, where: str, name: Hashable) -> np.ndarray:
    """Numeric years as a numpy array (integer dtype kept, integral floats -> int64)."""
    dtype = col.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        raise DataError(
            f"time: column {name!r} of {where} has dtype {dtype}; the time coordinate holds "
            f"calendar years as numbers. Convert it, e.g. df[{name!r}].dt.year (or "
            "dt.year + (dt.dayofyear - 1) / 365.25 for fractional years)"
        )
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        raise DataError(
            f"time: column {name!r} of {where} has dtype {dtype}; the time coordinate must be "
            f"numeric years (e.g. 2015 or 2017.5). Convert it with pd.to_numeric(df[{name!r}])"
        )
    n_missing = int(col.isna().sum())
    if n_missing:
        raise DataError(
            f"time: {n_missing} row(s) of {where} have a missing time in column {name!r}; "
            "drop or fill them first"
        )
    if pd.api.types.is_integer_dtype(dtype):
        target = dtype.numpy_dtype if pd.api.types.is_extension_array_dtype(dtype) else dtype
        return col.to_numpy(dtype=target)
    values = col.to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise DataError(f"time: column {name!r} of {where} has infinite values; drop them")
    if np.all(values == np.round(values)):
        return values.astype(np.int64)
    return values


def sorted_union(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Sorted unique values of several arrays (numeric or object)."""
    values = np.concatenate([np.asarray(p) for p in parts]) if parts else np.array([])
    uniq = pd.unique(values)
    try:
        return np.sort(uniq)
    except TypeError as exc:  # pragma: no cover - mixed ids are rejected earlier
        raise DataError(f"unit ids cannot be sorted: {exc}") from exc


def positions(values: np.ndarray | pd.Series, coord: np.ndarray) -> np.ndarray:
    """Positions of ``values`` in the sorted unique ``coord`` (via factorize)."""
    codes, uniq = pd.factorize(np.asarray(values))
    return pd.Index(coord).get_indexer(uniq)[codes]


# --- scatter with the dtype policy -------------------------------------------------------------
def is_bool(dtype: Any) -> bool:
    return pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)


def is_int(dtype: Any) -> bool:
    return pd.api.types.is_integer_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)


def _as_object(values: pd.Series) -> np.ndarray:
    out = values.to_numpy(dtype=object)
    out[values.isna().to_numpy()] = None
    return out


def scatter(values: pd.Series, flat: np.ndarray, size: int) -> np.ndarray:
    """Place ``values`` at positions ``flat`` of a new array of ``size`` (gaps missing).

    Booleans and integers keep their dtype when every position is filled without missing
    values and otherwise become float64 with NaN; floats and naive datetimes keep theirs;
    everything else (strings, categories, objects) becomes object with None (which xarray,
    with pandas >= 3, stores as NaN in arrays of strings: test with ``pandas.isna``).
    """
    dtype = values.dtype
    has_na = bool(values.isna().any())
    full = len(flat) == size and not has_na
    if is_bool(dtype) or is_int(dtype):
        if full:
            target = dtype.numpy_dtype if pd.api.types.is_extension_array_dtype(dtype) else dtype
            out = np.empty(size, dtype=target)
            out[flat] = values.to_numpy(dtype=target)
            return out
        out = np.full(size, np.nan)
        out[flat] = values.to_numpy(dtype=np.float64, na_value=np.nan)
        return out
    if pd.api.types.is_float_dtype(dtype):
        target = dtype.numpy_dtype if pd.api.types.is_extension_array_dtype(dtype) else dtype
        out = np.full(size, np.nan, dtype=target)
        out[flat] = values.to_numpy(dtype=target, na_value=np.nan)
        return out
    if isinstance(dtype, np.dtype) and dtype.kind in "mM":
        out = np.full(size, np.datetime64("NaT") if dtype.kind == "M" else np.timedelta64("NaT"))
        out = out.astype(dtype)
        out[flat] = values.to_numpy()
        return out
    out = np.full(size, None, dtype=object)
    out[flat] = _as_object(values)
    return out


# --- duplicated keys ---------------------------------------------------------------------------
@dataclass
class Dedup:
    rows: np.ndarray  # positions of the kept rows
    dup_keys: np.ndarray  # flat keys with more than one row
    dup_counts: np.ndarray  # rows per duplicated key
    dup_kept: np.ndarray  # kept row position of each duplicated key


def parse_duplicates(rule: Any, where: str) -> tuple[str, Hashable | None]:
    if isinstance(rule, tuple) and len(rule) == 2 and rule[0] in ("first", "last"):
        return rule[0], rule[1]
    if isinstance(rule, str) and rule in DUPLICATE_RULES:
        return rule, None
    raise ValidationError(
        f"duplicates: the rule for {where} must be 'raise', 'first', 'last' or a pair "
        f"('first' | 'last', column) such as ('last', 'record_id'); got {rule!r}"
    )


def dedup(
    flat: np.ndarray,
    df: pd.DataFrame,
    rule: Any,
    *,
    where: str,
    describe: Any,
) -> Dedup:
    """Resolve duplicated flat keys by ``rule``; ``describe(keys)`` names keys for errors."""
    keep, by = parse_duplicates(rule, where)
    dup_mask = pd.Series(flat).duplicated(keep=False).to_numpy()
    if not dup_mask.any():
        empty = np.array([], dtype=np.int64)
        return Dedup(np.arange(len(flat)), empty, empty, empty)
    dup_keys, dup_counts = np.unique(flat[dup_mask], return_counts=True)
    if keep == "raise":
        raise DataError(
            f"duplicates: {where} has {len(dup_keys)} duplicated key(s) "
            f"({int(dup_counts.sum())} rows), e.g. {fmt_keys(describe(dup_keys), len(dup_keys))}. "
            "Pass duplicates='first' or 'last' (input order), or ('last', column) to keep the "
            "row with the highest value of that column, or remove them first"
        )
    order = np.arange(len(flat))
    if by is not None:
        col = column(df, by, where=where, role="duplicates")
        if bool(col[dup_mask].isna().any()):
            raise DataError(
                f"duplicates: the ordering column {by!r} of {where} is missing in some rows "
                "with duplicated keys; fill it or use duplicates='first' / 'last'"
            )
        rank, _ = pd.factorize(col, sort=True)  # value order; any dtype, missing first
        order = np.argsort(rank, kind="stable")
    kept_o = ~pd.Series(flat[order]).duplicated(keep=keep).to_numpy()
    rows = np.sort(order[kept_o])
    kept_dup = rows[np.isin(flat[rows], dup_keys)]
    kept_dup = kept_dup[np.argsort(flat[kept_dup])]  # aligned with the sorted dup_keys
    return Dedup(rows, dup_keys, dup_counts, kept_dup)


def describer(units: np.ndarray, times: np.ndarray | None) -> Any:
    """Function turning flat keys into ``unit`` or ``(unit, time)`` for messages."""
    if times is None:
        return lambda keys: [py_value(units[k]) for k in keys]
    n_t = len(times)
    return lambda keys: [(py_value(units[k // n_t]), py_value(times[k % n_t])) for k in keys]


def py_value(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def check_dims(unit_dim: str, time_dim: str, names: Sequence[Hashable]) -> None:
    if unit_dim == time_dim:
        raise ValidationError(f"unit_dim and time_dim must differ; both are {unit_dim!r}")
    clash = {unit_dim, time_dim, "observed"} & set(names)
    if clash:
        raise ValidationError(
            f"variables {sorted(map(str, clash))} clash with the dimension names or with "
            "'observed'; rename them or pass other unit_dim / time_dim"
        )


def panel_coords(units: np.ndarray, times: np.ndarray, unit_dim: str, time_dim: str) -> dict:
    if times.dtype.kind == "f" and np.all(times == np.round(times)):
        times = times.astype(np.int64)
    return {
        unit_dim: (unit_dim, units, {"long_name": "unit identifier"}),
        time_dim: (time_dim, times, {"long_name": "calendar year"}),
    }
