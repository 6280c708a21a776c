"""Build unit x time panels from long tables and from several administrative registries.

A *panel* is an :class:`xarray.Dataset` with dimensions ``unit`` and ``time``: variables that
change over time lie along ``(unit, time)``, time-invariant ones (weights, groups) along
``unit``, the ``unit`` coordinate holds the sorted unique ids and ``time`` the calendar years
(numbers, strictly increasing, uneven spacing and decimals allowed). A unit-wave without a
record is missing (NaN, or None/NaN in object arrays) in every ``(unit, time)`` variable,
and the boolean variable ``observed(unit, time)`` records which unit-waves had one.

* :func:`panel_from_long` turns one long table (one row per unit-wave) into a panel;
* :func:`merge_sources` merges several department tables keyed by unit id and year, resolving
  duplicated keys and conflicting values by explicit rules, and returns a
  :class:`MergeReport` that counts everything it found.

Both scatter the rows into preallocated arrays through ``pandas.factorize`` codes; no loop
runs over units, and the input frames are never modified.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import pandas as pd
import xarray as xr

from mpi._version import __version__
from mpi.errors import DataError, ValidationError

__all__ = ["panel_from_long", "merge_sources", "MergeReport", "RULES", "DUPLICATE_RULES"]

#: Conflict rules of :func:`merge_sources`.
RULES: Final = ("error", "first", "latest", "max", "min")
#: Duplicate-key rules (``"first"`` and ``"last"`` may be paired with an ordering column).
DUPLICATE_RULES: Final = ("raise", "first", "last")

DuplicateRule = str | tuple[str, Hashable]
_EXAMPLES: Final = 5


# --- small helpers ------------------------------------------------------------------------------
def _fmt_keys(keys: Sequence[Any], total: int) -> str:
    shown = ", ".join(repr(k) for k in keys[:_EXAMPLES])
    more = f", … ({total - _EXAMPLES} more)" if total > _EXAMPLES else ""
    return shown + more


def _history(what: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{stamp} xmpi {__version__} {what}"


def _column(df: pd.DataFrame, name: Hashable, *, where: str, role: str) -> pd.Series:
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


def _check_frame(df: Any, where: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{where} must be a pandas.DataFrame; got {type(df).__name__}")
    if df.columns.has_duplicates:
        dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise DataError(f"{where} has duplicated column names {dup}; rename them")
    return df


def _id_kind(col: pd.Series) -> str:
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


def _unit_ids(col: pd.Series, *, where: str, name: Hashable) -> pd.Series:
    """Validated unit ids (no missing, one kind of value; integral floats become int64)."""
    n_missing = int(col.isna().sum())
    if n_missing:
        raise DataError(
            f"unit: {n_missing} row(s) of {where} have a missing unit id in column {name!r}; "
            "drop or fill them first (e.g. df.dropna(subset=[unit]))"
        )
    kind = _id_kind(col)
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


def _times(col: pd.Series, *, where: str, name: Hashable) -> np.ndarray:
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


def _sorted_union(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Sorted unique values of several arrays (numeric or object)."""
    values = np.concatenate([np.asarray(p) for p in parts]) if parts else np.array([])
    uniq = pd.unique(values)
    try:
        return np.sort(uniq)
    except TypeError as exc:  # pragma: no cover - mixed ids are rejected earlier
        raise DataError(f"unit ids cannot be sorted: {exc}") from exc


def _codes(values: np.ndarray | pd.Series, coord: np.ndarray) -> np.ndarray:
    """Positions of ``values`` in the sorted unique ``coord`` (via factorize)."""
    codes, uniq = pd.factorize(np.asarray(values))
    return pd.Index(coord).get_indexer(uniq)[codes]


# --- scatter with the dtype policy -------------------------------------------------------------
def _is_bool(dtype: Any) -> bool:
    return pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)


def _is_int(dtype: Any) -> bool:
    return pd.api.types.is_integer_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)


def _as_object(values: pd.Series) -> np.ndarray:
    out = values.to_numpy(dtype=object)
    out[values.isna().to_numpy()] = None
    return out


def _scatter(values: pd.Series, flat: np.ndarray, size: int) -> np.ndarray:
    """Place ``values`` at positions ``flat`` of a new array of ``size`` (gaps missing).

    Booleans and integers keep their dtype when every position is filled without missing
    values and otherwise become float64 with NaN; floats and naive datetimes keep theirs;
    everything else (strings, categories, objects) becomes object with None (which xarray,
    with pandas >= 3, stores as NaN in arrays of strings: test with ``pandas.isna``).
    """
    dtype = values.dtype
    has_na = bool(values.isna().any())
    full = len(flat) == size and not has_na
    if _is_bool(dtype) or _is_int(dtype):
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
class _Dedup:
    rows: np.ndarray  # positions of the kept rows
    dup_keys: np.ndarray  # flat keys with more than one row
    dup_counts: np.ndarray  # rows per duplicated key
    dup_kept: np.ndarray  # kept row position of each duplicated key


def _parse_duplicates(rule: Any, where: str) -> tuple[str, Hashable | None]:
    if isinstance(rule, tuple) and len(rule) == 2 and rule[0] in ("first", "last"):
        return rule[0], rule[1]
    if isinstance(rule, str) and rule in DUPLICATE_RULES:
        return rule, None
    raise ValidationError(
        f"duplicates: the rule for {where} must be 'raise', 'first', 'last' or a pair "
        f"('first' | 'last', column) such as ('last', 'record_id'); got {rule!r}"
    )


def _dedup(
    flat: np.ndarray,
    df: pd.DataFrame,
    rule: Any,
    *,
    where: str,
    describe: Any,
) -> _Dedup:
    """Resolve duplicated flat keys by ``rule``; ``describe(keys)`` names keys for errors."""
    keep, by = _parse_duplicates(rule, where)
    dup_mask = pd.Series(flat).duplicated(keep=False).to_numpy()
    if not dup_mask.any():
        empty = np.array([], dtype=np.int64)
        return _Dedup(np.arange(len(flat)), empty, empty, empty)
    dup_keys, dup_counts = np.unique(flat[dup_mask], return_counts=True)
    if keep == "raise":
        raise DataError(
            f"duplicates: {where} has {len(dup_keys)} duplicated key(s) "
            f"({int(dup_counts.sum())} rows), e.g. {_fmt_keys(describe(dup_keys), len(dup_keys))}. "
            "Pass duplicates='first' or 'last' (input order), or ('last', column) to keep the "
            "row with the highest value of that column, or remove them first"
        )
    order = np.arange(len(flat))
    if by is not None:
        col = _column(df, by, where=where, role="duplicates")
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
    return _Dedup(rows, dup_keys, dup_counts, kept_dup)


# --- static columns ----------------------------------------------------------------------------
def _static_rows(
    col: pd.Series, ucode: np.ndarray, units: np.ndarray, *, name: Hashable
) -> tuple[np.ndarray, np.ndarray]:
    """(unit codes, representative rows) of a column constant within units, or raise."""
    codes, uniq = pd.factorize(col.to_numpy(dtype=object) if col.dtype == object else col)
    valid = np.flatnonzero(codes >= 0)
    frame = pd.DataFrame({"u": ucode[valid], "c": codes[valid], "row": valid})
    grouped = frame.groupby("u", sort=True)
    lo, hi, first = grouped["c"].min(), grouped["c"].max(), grouped["row"].min()
    bad = lo.index[lo.to_numpy() != hi.to_numpy()]
    if len(bad):
        u = bad[0]
        seen = [_py(uniq[c]) for c in np.unique(frame.loc[frame["u"] == u, "c"])]
        raise DataError(
            f"static: column {name!r} is not constant within units: {len(bad)} unit(s) have "
            f"different values, e.g. unit {_py(units[u])!r} has {seen}. Fix the data or list "
            f"{name!r} in variables= (time-varying) instead of static="
        )
    return first.index.to_numpy(), first.to_numpy()


# --- panel_from_long ---------------------------------------------------------------------------
def _names(arg: Any) -> list[Hashable]:
    if arg is None:
        return []
    if isinstance(arg, str) or not isinstance(arg, Sequence | pd.Index | np.ndarray):
        return [arg]
    return list(arg)


def panel_from_long(
    df: pd.DataFrame,
    *,
    unit: Hashable,
    time: Hashable,
    variables: Sequence[Hashable] | None = None,
    static: Sequence[Hashable] | None = None,
    unit_dim: str = "unit",
    time_dim: str = "time",
    duplicates: DuplicateRule = "raise",
) -> xr.Dataset:
    """Turn a long table (one row per unit-wave) into a ``unit`` x ``time`` panel.

    Parameters
    ----------
    df : pandas.DataFrame
        Long table; it is never modified.
    unit, time : hashable
        Columns with the unit ids (numbers or strings, no missing values) and the calendar
        years (int or float, e.g. 2017.5; convert dates with ``.dt.year``).
    variables : sequence of hashable, optional
        Columns that vary over time, returned along ``(unit, time)``. Default: every column
        except ``unit``, ``time`` and ``static``.
    static : sequence of hashable, optional
        Columns constant within a unit (weights, region, sex, ...), returned along ``unit``.
        Missing values in some rows are filled from the unit's other rows; two different
        non-missing values within a unit raise :class:`~mpi.errors.DataError`.
    unit_dim, time_dim : str, default "unit", "time"
        Names of the two dimensions.
    duplicates : {"raise", "first", "last"} or tuple, default "raise"
        Rows sharing a ``(unit, time)`` key: raise, keep the first or last in input order,
        or ``("first" | "last", column)`` to keep the row with the lowest or highest value
        of ``column``. The number of dropped rows is in ``attrs["duplicates_dropped"]``.

    Returns
    -------
    xarray.Dataset
        Coordinates ``unit_dim`` (sorted unique ids) and ``time_dim`` (sorted years,
        integer unless some year has decimals); the variables; ``observed`` (bool, unit x
        time). Integer and boolean variables with gaps become float64 with NaN; strings and
        categories become object arrays whose missing values are None or NaN (xarray turns
        None into NaN in string arrays with pandas >= 3; test with ``pandas.isna``).

    Raises
    ------
    mpi.errors.DataError
        Missing columns, missing or non-numeric times, missing unit ids, duplicated keys
        (with ``duplicates="raise"``) or static columns that vary within a unit.

    Examples
    --------
    >>> import pandas as pd
    >>> from mpi.dynamics.build import panel_from_long
    >>> df = pd.DataFrame({"id": [1, 1, 2], "year": [2015, 2017, 2015],
    ...                    "income": [900.0, 1200.0, 700.0], "weight": [2.0, 2.0, 1.0]})
    >>> ds = panel_from_long(df, unit="id", time="year", static=["weight"])
    >>> ds["income"].values
    array([[ 900., 1200.],
           [ 700.,   nan]])
    >>> ds["observed"].values.tolist()
    [[True, True], [True, False]]
    """
    df = _check_frame(df, "df")
    where = "df"
    static_cols = _names(static)
    ids = _unit_ids(_column(df, unit, where=where, role="unit"), where=where, name=unit)
    years = _times(_column(df, time, where=where, role="time"), where=where, name=time)
    for name in static_cols:
        _column(df, name, where=where, role="static")
    if variables is None:
        skip = {unit, time, *static_cols}
        var_cols = [c for c in df.columns if c not in skip]
    else:
        var_cols = _names(variables)
        for name in var_cols:
            _column(df, name, where=where, role="variables")
    both = set(var_cols) & set(static_cols)
    if both:
        raise ValidationError(
            f"variables and static both list {sorted(map(str, both))}; a column is either "
            "time-varying or static"
        )
    _check_dims(unit_dim, time_dim, [*var_cols, *static_cols])

    ucode, units = pd.factorize(ids, sort=True)
    tcode, times = pd.factorize(years, sort=True)
    units, times = np.asarray(units), np.asarray(times)
    n_t = len(times)
    flat = ucode.astype(np.int64) * n_t + tcode

    describe = _describer(units, times)
    dedup = _dedup(flat, df, duplicates, where=where, describe=describe)
    rows, flat = dedup.rows, flat[dedup.rows]
    size = len(units) * n_t

    data_vars: dict[Hashable, xr.Variable] = {}
    for name in var_cols:
        values = df[name].iloc[rows]
        arr = _scatter(values, flat, size).reshape(len(units), n_t)
        data_vars[name] = xr.Variable((unit_dim, time_dim), arr)
    for name in static_cols:
        values = df[name].iloc[rows]
        u, rep = _static_rows(values, ucode[rows], units, name=name)
        data_vars[name] = xr.Variable((unit_dim,), _scatter(values.iloc[rep], u, len(units)))
    observed = np.zeros(size, dtype=bool)
    observed[flat] = True
    data_vars["observed"] = xr.Variable(
        (unit_dim, time_dim),
        observed.reshape(len(units), n_t),
        {"long_name": "unit-wave has a record"},
    )
    dropped = len(df) - len(rows)
    attrs = {
        "title": "panel built with mpi.panel_from_long",
        "history": _history(
            f"panel_from_long(unit={unit!r}, time={time!r}, duplicates={duplicates!r})"
        ),
        "duplicates_rule": str(duplicates),
        "duplicates_dropped": int(dropped),
        "duplicated_keys": len(dedup.dup_keys),
    }
    return xr.Dataset(data_vars, coords=_coords(units, times, unit_dim, time_dim), attrs=attrs)


def _describer(units: np.ndarray, times: np.ndarray | None) -> Any:
    """Function turning flat keys into ``unit`` or ``(unit, time)`` for messages."""
    if times is None:
        return lambda keys: [_py(units[k]) for k in keys]
    n_t = len(times)
    return lambda keys: [(_py(units[k // n_t]), _py(times[k % n_t])) for k in keys]


def _py(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def _check_dims(unit_dim: str, time_dim: str, names: Sequence[Hashable]) -> None:
    if unit_dim == time_dim:
        raise ValidationError(f"unit_dim and time_dim must differ; both are {unit_dim!r}")
    clash = {unit_dim, time_dim, "observed"} & set(names)
    if clash:
        raise ValidationError(
            f"variables {sorted(map(str, clash))} clash with the dimension names or with "
            "'observed'; rename them or pass other unit_dim / time_dim"
        )


def _coords(units: np.ndarray, times: np.ndarray, unit_dim: str, time_dim: str) -> dict:
    if times.dtype.kind == "f" and np.all(times == np.round(times)):
        times = times.astype(np.int64)
    return {
        unit_dim: (unit_dim, units, {"long_name": "unit identifier"}),
        time_dim: (time_dim, times, {"long_name": "calendar year"}),
    }


# --- merge_sources: report ---------------------------------------------------------------------
@dataclass(repr=False)
class MergeReport:
    """What :func:`merge_sources` found: nothing is dropped without being counted here.

    Attributes
    ----------
    sources : pandas.DataFrame
        One row per source: ``kind`` (``"time"`` or ``"static"``), ``rows``, ``units``,
        ``records`` (rows kept), ``duplicated_keys``, ``rows_dropped``, ``only_here``
        (units found in no other source) and ``duplicates`` (the rule).
    coverage : pandas.DataFrame
        Units with a record per time-varying source (rows) and wave (columns); the last row
        ``"any"`` is the number of observed units per wave.
    duplicates : pandas.DataFrame
        One row per duplicated key: ``source``, ``unit``, ``time`` (NaN for static sources),
        ``rows``, ``rule`` and ``kept_index`` (the index label of the kept row).
    conflicts : pandas.DataFrame
        One row per conflicting key and variable: ``unit``, ``time``, ``variable``, ``rule``,
        the value of every source holding the variable (one column per source) and ``kept``.
    variables : pandas.DataFrame
        One row per variable found in two or more sources: ``sources``, ``rule``, ``rtol``,
        ``compared`` (keys with two or more values), ``differing`` (values not identical) and
        ``conflicts`` (differing beyond ``rtol``).
    only_in : dict of str to numpy.ndarray
        Ids of the units found in one source only, by source.
    units_by_n_sources : pandas.Series
        Number of units found in 1, 2, ... sources.
    """

    sources: pd.DataFrame
    coverage: pd.DataFrame
    duplicates: pd.DataFrame
    conflicts: pd.DataFrame
    variables: pd.DataFrame
    only_in: dict[str, np.ndarray] = field(default_factory=dict)
    units_by_n_sources: pd.Series = field(default_factory=lambda: pd.Series(dtype=np.int64))
    n_units: int = 0
    n_times: int = 0

    @property
    def n_duplicated_keys(self) -> int:
        """Duplicated keys over all sources."""
        return len(self.duplicates)

    @property
    def n_conflicts(self) -> int:
        """Conflicting (key, variable) pairs over all variables."""
        return len(self.conflicts)

    @property
    def conflict_counts(self) -> pd.Series:
        """Conflicts per variable (variables found in two or more sources)."""
        return self.variables["conflicts"]

    def to_frame(self) -> pd.DataFrame:
        """The per-source table (:attr:`sources`)."""
        return self.sources.copy()

    def summary(self) -> str:
        """A plain-text summary of the merge."""
        lines = [
            f"MergeReport: {len(self.sources)} sources -> {self.n_units} units x "
            f"{self.n_times} waves",
            "",
            self.sources.to_string(),
            "",
            f"duplicated keys: {self.n_duplicated_keys}",
        ]
        if len(self.variables):
            lines += ["", "variables in several sources:", self.variables.to_string()]
        lines += ["", f"conflicts: {self.n_conflicts}"]
        counts = ", ".join(f"{n} source(s): {c}" for n, c in self.units_by_n_sources.items())
        lines += [f"units by number of sources: {counts}"]
        if len(self.coverage):
            lines += ["", "units with a record per wave:", self.coverage.to_string()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


# --- merge_sources: preparation ----------------------------------------------------------------
@dataclass
class _Source:
    name: str
    df: pd.DataFrame
    static: bool
    ids: pd.Series
    years: np.ndarray | None
    columns: list[Hashable]
    rule: Any
    ucode: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    flat: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    rows: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    dedup: _Dedup | None = None


def _check_order(order: Sequence[str] | None, names: list[str]) -> list[str]:
    if order is None:
        return names
    order = list(order)
    if sorted(order) != sorted(names) or len(set(order)) != len(order):
        raise ValidationError(
            f"order must list every source exactly once; got {order!r} for the sources {names!r}"
        )
    return order


def _duplicate_rule(duplicates: Any, name: str, names: list[str]) -> Any:
    if isinstance(duplicates, Mapping):
        unknown = set(duplicates) - set(names)
        if unknown:
            raise ValidationError(
                f"duplicates names unknown source(s) {sorted(unknown)}; the sources are {names}"
            )
        return duplicates.get(name, "raise")
    return duplicates


def _prepare(
    sources: Mapping[str, pd.DataFrame],
    unit: Hashable,
    time: Hashable,
    static: Sequence[str],
    drop: Sequence[Hashable],
    duplicates: Any,
) -> list[_Source]:
    if not isinstance(sources, Mapping) or not sources:
        raise ValidationError(
            "sources must be a non-empty dict of name -> pandas.DataFrame; got "
            f"{type(sources).__name__}"
        )
    names = [str(n) for n in sources]
    unknown = set(static) - set(names)
    if unknown:
        raise ValidationError(f"static names unknown source(s) {sorted(unknown)}; sources: {names}")
    out = []
    for name, df in sources.items():
        where = f"source {name!r}"
        df = _check_frame(df, where)
        ids = _unit_ids(_column(df, unit, where=where, role="unit"), where=where, name=unit)
        is_static = name in static or time not in df.columns
        years = None if is_static else _times(df[time], where=where, name=time)
        skip = {unit, *drop} | (set() if is_static else {time})
        cols = [c for c in df.columns if c not in skip]
        rule = _duplicate_rule(duplicates, name, names)
        _parse_duplicates(rule, where)
        out.append(_Source(name, df, is_static, ids, years, cols, rule))
    _check_id_kinds(out, unit)
    if all(s.static for s in out):
        raise DataError(
            f"time: no source has the time column {time!r}, so there is no panel to build; "
            "pass time= the name of the year column of the time-varying tables"
        )
    return out


def _check_id_kinds(srcs: list[_Source], unit: Hashable) -> None:
    kinds = [_id_kind(s.ids) for s in srcs]
    if len(set(kinds)) > 1:
        detail = ", ".join(
            f"{s.name}: {k} ({s.ids.dtype})" for k, s in zip(kinds, srcs, strict=True)
        )
        raise DataError(
            f"unit: the ids in column {unit!r} are numbers in some sources and strings in "
            f"others ({detail}); ids 1 and '1' would never match. Convert them to one type "
            "before merging, e.g. df[unit] = df[unit].astype(str) or pd.to_numeric(df[unit])"
        )


def _locate(srcs: list[_Source]) -> tuple[np.ndarray, np.ndarray]:
    """Union coordinates and every source's flat keys, with duplicates resolved."""
    units = _sorted_union([pd.unique(s.ids.to_numpy()) for s in srcs])
    year_parts = [np.unique(s.years) for s in srcs if s.years is not None]
    times = _sorted_union(year_parts)
    if any(p.dtype.kind == "f" for p in year_parts):
        times = times.astype(np.float64)
    n_t = len(times)
    for s in srcs:
        s.ucode = _codes(s.ids, units).astype(np.int64)
        flat = s.ucode if s.static else s.ucode * n_t + _codes(s.years, times)
        describe = _describer(units, None if s.static else times)
        s.dedup = _dedup(flat, s.df, s.rule, where=f"source {s.name!r}", describe=describe)
        s.rows = s.dedup.rows
        s.flat = flat[s.rows]
    return units, times


# --- merge_sources: combining one variable ----------------------------------------------------
@dataclass
class _Combined:
    values: np.ndarray
    conflict: np.ndarray  # flat positions with a conflict
    compared: int
    differing: int
    grids: list[np.ndarray]  # per holding source, float64 or object (for the report)


def _grid(s: _Source, col: Hashable, size: int, observed: np.ndarray | None, n_t: int) -> pd.Series:
    """Values of ``s[col]`` on the flat grid as a Series (missing where no record)."""
    values = s.df[col].iloc[s.rows]
    if observed is not None and s.static:
        grid = pd.Series(np.repeat(_scatter(values, s.flat, size // n_t), n_t))
        return grid.where(observed, None) if grid.dtype == object else grid.where(observed)
    return pd.Series(_scatter(values, s.flat, size))


def _numeric(dtype: Any) -> bool:
    return (pd.api.types.is_numeric_dtype(dtype) or _is_bool(dtype)) and not isinstance(
        dtype, pd.CategoricalDtype
    )


def _combine(grids: list[pd.Series], rule: str, rtol: float, name: Hashable) -> _Combined:
    numeric = all(_numeric(g.dtype) for g in grids)
    if numeric:
        stack = np.vstack([g.to_numpy(dtype=np.float64, na_value=np.nan) for g in grids])
        present = ~np.isnan(stack)
        hi, lo = np.fmax.reduce(stack, axis=0), np.fmin.reduce(stack, axis=0)
        n_present = present.sum(axis=0)
        differ = (n_present >= 2) & (hi != lo)
        scale = np.maximum(np.abs(hi), np.abs(lo))
        conflict = differ & ~(hi - lo <= rtol * scale) if rtol else differ
        keyed = stack
    else:
        objs = [g.astype(object).where(g.notna(), None).to_numpy() for g in grids]
        pooled = np.concatenate(objs)
        try:
            codes, uniq = pd.factorize(pooled, sort=True)
        except TypeError:
            if rule in ("max", "min"):
                raise DataError(
                    f"rules: variable {name!r} mixes values that cannot be ordered, so rule "
                    f"{rule!r} is undefined; use 'first' or 'latest'"
                ) from None
            codes, uniq = pd.factorize(pooled)
        codes = codes.reshape(len(grids), -1).astype(np.float64)
        codes[codes < 0] = np.nan
        present = ~np.isnan(codes)
        hi, lo = np.fmax.reduce(codes, axis=0), np.fmin.reduce(codes, axis=0)
        n_present = present.sum(axis=0)
        differ = conflict = (n_present >= 2) & (hi != lo)
        keyed = codes
    first = np.argmax(present, axis=0)
    last = len(grids) - 1 - np.argmax(present[::-1], axis=0)
    pick = {"first": first, "error": first, "latest": last}
    cols = np.arange(keyed.shape[1])
    if rule in pick:
        kept = keyed[pick[rule], cols]
    else:
        kept = hi if rule == "max" else lo
    if not numeric:
        out = np.full(kept.shape, None, dtype=object)
        ok = ~np.isnan(kept)
        out[ok] = np.asarray(uniq, dtype=object)[kept[ok].astype(np.int64)]
        kept = out
    return _Combined(
        values=kept,
        conflict=np.flatnonzero(conflict),
        compared=int((n_present >= 2).sum()),
        differing=int(differ.sum()),
        grids=[g.to_numpy() for g in grids],
    )


def _final_dtype(values: np.ndarray, grids: list[pd.Series]) -> np.ndarray:
    """Cast a float64 merge back to the sources' integer/bool dtype when nothing is missing."""
    if values.dtype != np.float64 or np.isnan(values).any():
        return values
    dtypes = [g.dtype for g in grids]
    if all(isinstance(d, np.dtype) and d.kind in "iu" for d in dtypes):
        return values.astype(np.result_type(*dtypes))
    if all(isinstance(d, np.dtype) and d.kind == "b" for d in dtypes):
        return values.astype(bool)
    return values


# --- merge_sources ----------------------------------------------------------------------------
def merge_sources(
    sources: Mapping[str, pd.DataFrame],
    *,
    unit: Hashable,
    time: Hashable = "year",
    static: Sequence[str] | None = None,
    rules: Mapping[Hashable, str] | None = None,
    order: Sequence[str] | None = None,
    default_rule: str = "error",
    duplicates: Mapping[str, DuplicateRule] | DuplicateRule = "raise",
    drop: Sequence[Hashable] = ("record_id",),
    rtol: Mapping[Hashable, float] | None = None,
    unit_dim: str = "unit",
    time_dim: str = "time",
) -> tuple[xr.Dataset, MergeReport]:
    """Merge registry tables keyed by unit id (and year) into one panel, with a report.

    Each table is keyed by the ``unit`` column and, if it has one, the ``time`` column.
    Tables without the time column (or listed in ``static``) are *static*: one row per unit,
    their columns become unit-level variables. A column found in several tables is merged:
    where two tables give different non-missing values for the same key, the values
    *conflict* and the variable's rule decides.

    Parameters
    ----------
    sources : dict of str to pandas.DataFrame
        The tables by name. They are never modified.
    unit : hashable
        Unit id column, present in every table (numbers in all or strings in all).
    time : hashable, default "year"
        Year column (numeric) of the time-varying tables.
    static : sequence of str, optional
        Tables to treat as static even though they have the time column (which then is an
        ordinary variable).
    rules : dict of variable to str, optional
        Conflict rule per variable: ``"error"`` (raise, listing the conflicts), ``"first"``
        (the value of the first table in ``order`` that has one), ``"latest"`` (the last
        table in ``order`` that has one), ``"max"`` or ``"min"``.
    order : sequence of str, optional
        The tables from the oldest or least to the newest or most authoritative (default:
        the order of ``sources``). ``"first"`` trusts the head of this list, ``"latest"``
        its tail.
    default_rule : str, default "error"
        Rule for variables not in ``rules``.
    duplicates : str, tuple or dict of str to those, default "raise"
        Rows sharing a key within one table: ``"raise"``, ``"first"`` / ``"last"`` (input
        order) or ``("first" | "last", column)``, keeping the row with the lowest / highest
        value of ``column`` (e.g. ``("last", "record_id")``: the latest entry wins). A dict
        gives the rule per table (``"raise"`` for tables it omits).
    drop : sequence of hashable, default ("record_id",)
        Columns ignored in every table (record numbers that identify rows, not units).
    rtol : dict of variable to float, optional
        Relative tolerance of numeric variables: values ``a`` and ``b`` agree when
        ``|a - b| <= rtol * max(|a|, |b|)``. Agreeing but unequal values are counted in
        ``report.variables["differing"]``; the kept value follows the rule (``"error"``
        keeps the first table's).
    unit_dim, time_dim : str, default "unit", "time"
        Names of the dimensions.

    Returns
    -------
    panel : xarray.Dataset
        Every unit of any table (sorted), the union of the years, one variable per column:
        along ``(unit, time)`` if some time-varying table has it (a static table's value
        then fills every observed wave of the unit), along ``unit`` otherwise; and
        ``observed(unit, time)``, true where some time-varying table has a record.
    report : MergeReport
        Sources, coverage per wave, duplicated keys, conflicts, single-source units.

    Raises
    ------
    mpi.errors.DataError
        Missing key columns, missing ids or years, ids that are numbers in one table and
        strings in another, duplicated keys under ``"raise"``, or conflicts under
        ``"error"`` (the exception's ``report`` attribute holds the full report).

    Examples
    --------
    >>> import pandas as pd
    >>> from mpi.dynamics.build import merge_sources
    >>> master = pd.DataFrame({"hh": [1, 2], "size": [3, 4]})
    >>> health = pd.DataFrame({"hh": [1, 1, 2], "year": [2020, 2021, 2020],
    ...                        "insured": [1, 0, 1], "size": [3, 3, 5]})
    >>> ds, report = merge_sources({"master": master, "health": health}, unit="hh",
    ...                            rules={"size": "first"})
    >>> ds["size"].values.tolist()
    [[3.0, 3.0], [4.0, nan]]
    >>> report.conflicts[["unit", "time", "master", "health", "kept"]]
       unit  time  master  health  kept
    0     2  2020     4.0     5.0   4.0
    """
    names = [str(n) for n in sources] if isinstance(sources, Mapping) else []
    order = _check_order(order, names)
    rules, rtol = dict(rules or {}), dict(rtol or {})
    _check_rule(default_rule, "default_rule")
    for var, rule in rules.items():
        _check_rule(rule, f"rules[{var!r}]")
    srcs = _prepare(sources, unit, time, list(static or ()), list(drop), duplicates)
    srcs.sort(key=lambda s: order.index(s.name))
    units, times = _locate(srcs)
    n_u, n_t = len(units), len(times)
    observed = np.zeros(n_u * n_t, dtype=bool)
    for s in srcs:
        if not s.static:
            observed[s.flat] = True

    holders = _holders(srcs)
    _check_rtol(rtol, holders)
    unknown = set(rules) - set(holders)
    if unknown:
        raise ValidationError(
            f"rules names variable(s) {sorted(map(str, unknown))} found in no source; "
            f"the variables are {sorted(map(str, holders))}"
        )
    _check_dims(unit_dim, time_dim, list(holders))
    data_vars: dict[Hashable, xr.Variable] = {}
    var_rows, conflict_frames, errors = [], [], []
    for var, held in holders.items():
        timed = any(not s.static for s in held)
        size = n_u * n_t if timed else n_u
        obs = observed if timed else None
        grids = [_grid(s, var, size, obs, n_t) for s in held]
        dims = (unit_dim, time_dim) if timed else (unit_dim,)
        shape = (n_u, n_t) if timed else (n_u,)
        attrs = {"source": ", ".join(s.name for s in held)}
        if len(held) == 1:
            data_vars[var] = xr.Variable(dims, grids[0].to_numpy().reshape(shape), attrs)
            continue
        rule = rules.get(var, default_rule)
        comb = _combine(grids, rule, float(rtol.get(var, 0.0)), var)
        attrs["merge_rule"] = rule
        data_vars[var] = xr.Variable(dims, _final_dtype(comb.values, grids).reshape(shape), attrs)
        var_rows.append(_variable_row(var, held, rule, rtol.get(var, 0.0), comb))
        frame = _conflict_frame(var, held, rule, comb, units, times if timed else None)
        conflict_frames.append(frame)
        if rule == "error" and len(comb.conflict):
            errors.append(_conflict_message(var, frame, held))
    data_vars["observed"] = xr.Variable(
        (unit_dim, time_dim),
        observed.reshape(n_u, n_t),
        {"long_name": "unit-wave has a record in some time-varying source"},
    )
    report = _report(srcs, units, times, observed, var_rows, conflict_frames)
    if errors:
        exc = DataError(
            "rules: conflicting values (rule 'error') in "
            + "; ".join(errors)
            + ". Choose a rule per variable, e.g. rules={var: 'first' | 'latest' | 'max' | "
            "'min'} (with order= from least to most authoritative), set rtol= for numbers "
            "that may differ slightly, or fix the data. The exception's .report attribute "
            "holds the full MergeReport"
        )
        exc.report = report  # type: ignore[attr-defined]
        raise exc
    attrs = {
        "title": "panel merged with mpi.merge_sources",
        "history": _history(f"merge_sources({', '.join(order)}; unit={unit!r}, time={time!r})"),
        "sources": ", ".join(order),
        "default_rule": default_rule,
        "duplicates_dropped": int(report.sources["rows_dropped"].sum()),
        "conflicts": report.n_conflicts,
    }
    ds = xr.Dataset(data_vars, coords=_coords(units, times, unit_dim, time_dim), attrs=attrs)
    return ds, report


def _check_rule(rule: Any, role: str) -> None:
    if rule not in RULES:
        raise ValidationError(f"{role} must be one of {', '.join(map(repr, RULES))}; got {rule!r}")


def _check_rtol(rtol: dict[Hashable, float], holders: dict[Hashable, list[_Source]]) -> None:
    for var, tol in rtol.items():
        if var not in holders:
            raise ValidationError(
                f"rtol names variable {var!r} found in no source; the variables are "
                f"{sorted(map(str, holders))}"
            )
        if not isinstance(tol, int | float) or not 0 <= tol < 1:
            raise ValidationError(
                f"rtol[{var!r}] must be a number in [0, 1), e.g. 0.1 for 10 %; got {tol!r}"
            )


def _holders(srcs: list[_Source]) -> dict[Hashable, list[_Source]]:
    holders: dict[Hashable, list[_Source]] = {}
    for s in srcs:
        for col in s.columns:
            holders.setdefault(col, []).append(s)
    return holders


def _variable_row(var: Hashable, held: list[_Source], rule: str, rtol: float, c: _Combined):
    return {
        "variable": var,
        "sources": ", ".join(s.name for s in held),
        "rule": rule,
        "rtol": float(rtol),
        "compared": c.compared,
        "differing": c.differing,
        "conflicts": len(c.conflict),
    }


def _conflict_frame(
    var: Hashable,
    held: list[_Source],
    rule: str,
    c: _Combined,
    units: np.ndarray,
    times: np.ndarray | None,
) -> pd.DataFrame:
    pos = c.conflict
    n_t = 1 if times is None else len(times)
    frame = {
        "unit": units[pos // n_t],
        "time": times[pos % n_t] if times is not None else np.full(len(pos), np.nan),
        "variable": [var] * len(pos),
        "rule": [rule] * len(pos),
    }
    for s, g in zip(held, c.grids, strict=True):
        frame[s.name] = g[pos]
    frame["kept"] = c.values[pos]
    return pd.DataFrame(frame)


def _conflict_message(var: Hashable, frame: pd.DataFrame, held: list[_Source]) -> str:
    examples = []
    for row in frame.head(3).itertuples(index=False):
        vals = ", ".join(f"{s.name}={getattr(row, s.name)!r}" for s in held)
        when = "" if pd.isna(row.time) else f" in {_py(row.time)!r}"
        examples.append(f"unit {_py(row.unit)!r}{when}: {vals}")
    return f"{var!r}: {len(frame)} conflict(s), e.g. " + "; ".join(examples)


def _report(
    srcs: list[_Source],
    units: np.ndarray,
    times: np.ndarray,
    observed: np.ndarray,
    var_rows: list[dict],
    conflict_frames: list[pd.DataFrame],
) -> MergeReport:
    n_u, n_t = len(units), len(times)
    present = np.zeros((len(srcs), n_u), dtype=bool)
    for i, s in enumerate(srcs):
        present[i, s.ucode] = True
    n_src = present.sum(axis=0)
    only = {s.name: units[present[i] & (n_src == 1)] for i, s in enumerate(srcs)}
    rows, coverage, dups = [], {}, []
    for s in srcs:
        d = s.dedup
        assert d is not None
        rows.append(
            {
                "source": s.name,
                "kind": "static" if s.static else "time",
                "rows": len(s.df),
                "units": int(present[srcs.index(s)].sum()),
                "records": len(s.rows),
                "duplicated_keys": len(d.dup_keys),
                "rows_dropped": len(s.df) - len(s.rows),
                "only_here": len(only[s.name]),
                "duplicates": str(s.rule),
            }
        )
        if not s.static:
            coverage[s.name] = np.bincount(s.flat % n_t, minlength=n_t)
        if len(d.dup_keys):
            dups.append(_duplicate_frame(s, units, times))
    coverage["any"] = observed.reshape(n_u, n_t).sum(axis=0)
    var_cols = ["sources", "rule", "rtol", "compared", "differing", "conflicts"]
    variables = pd.DataFrame(var_rows, columns=["variable", *var_cols]).set_index("variable")
    key_cols = ["unit", "time", "variable", "rule"]
    held = [s.name for s in srcs if any(s.name in f.columns for f in conflict_frames)]
    frames = [f for f in conflict_frames if len(f)]
    conflicts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    conflicts = conflicts.reindex(columns=[*key_cols, *held, "kept"])
    dup_cols = ["source", "unit", "time", "rows", "rule", "kept_index"]
    return MergeReport(
        sources=pd.DataFrame(rows).set_index("source"),
        coverage=pd.DataFrame(coverage, index=times).T.rename_axis(index="source"),
        duplicates=(pd.concat(dups, ignore_index=True) if dups else pd.DataFrame(columns=dup_cols)),
        conflicts=conflicts,
        variables=variables,
        only_in=only,
        units_by_n_sources=pd.Series(
            np.bincount(n_src, minlength=len(srcs) + 1)[1:],
            index=pd.RangeIndex(1, len(srcs) + 1, name="sources"),
            name="units",
        ),
        n_units=n_u,
        n_times=n_t,
    )


def _duplicate_frame(s: _Source, units: np.ndarray, times: np.ndarray) -> pd.DataFrame:
    d = s.dedup
    assert d is not None
    n_t = 1 if s.static else len(times)
    keys = d.dup_keys
    return pd.DataFrame(
        {
            "source": s.name,
            "unit": units[keys // n_t],
            "time": np.full(len(keys), np.nan) if s.static else times[keys % n_t],
            "rows": d.dup_counts,
            "rule": str(s.rule),
            "kept_index": s.df.index.to_numpy()[d.dup_kept],
        }
    )
