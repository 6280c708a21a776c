"""Merging registry tables into one panel: :func:`merge_sources`.

Each table is keyed by unit id (and year); duplicated keys are resolved by the
``duplicates`` rules, values found in several tables are combined by the variable's
conflict rule, and a :class:`~mpi.MergeReport` counts everything found. The rows are
scattered into preallocated arrays through ``pandas.factorize`` codes; no loop runs over
units, and the input frames are never modified.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.progress import check_progress
from mpi._common.progress import progress as progress_bar
from mpi.dynamics._long import (
    Dedup,
    DuplicateRule,
    check_dims,
    check_frame,
    column,
    dedup,
    describer,
    history_stamp,
    id_kind,
    is_bool,
    panel_coords,
    parse_duplicates,
    positions,
    py_value,
    scatter,
    sorted_union,
    unit_ids,
    year_values,
)
from mpi.dynamics.merge_report import MergeReport
from mpi.errors import DataError, ValidationError

__all__ = ["merge_sources", "RULES"]

#: Conflict rules of :func:`merge_sources`.
RULES: Final = ("error", "first", "latest", "max", "min")


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
    dedup: Dedup | None = None


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
        df = check_frame(df, where)
        ids = unit_ids(column(df, unit, where=where, role="unit"), where=where, name=unit)
        is_static = name in static or time not in df.columns
        years = None if is_static else year_values(df[time], where=where, name=time)
        skip = {unit, *drop} | (set() if is_static else {time})
        cols = [c for c in df.columns if c not in skip]
        rule = _duplicate_rule(duplicates, name, names)
        parse_duplicates(rule, where)
        out.append(_Source(name, df, is_static, ids, years, cols, rule))
    _check_id_kinds(out, unit)
    if all(s.static for s in out):
        raise DataError(
            f"time: no source has the time column {time!r}, so there is no panel to build; "
            "pass time= the name of the year column of the time-varying tables"
        )
    return out


def _check_id_kinds(srcs: list[_Source], unit: Hashable) -> None:
    kinds = [id_kind(s.ids) for s in srcs]
    if len(set(kinds)) > 1:
        detail = ", ".join(
            f"{s.name}: {k} ({s.ids.dtype})" for k, s in zip(kinds, srcs, strict=True)
        )
        raise DataError(
            f"unit: the ids in column {unit!r} are numbers in some sources and strings in "
            f"others ({detail}); ids 1 and '1' would never match. Convert them to one type "
            "before merging, e.g. df[unit] = df[unit].astype(str) or pd.to_numeric(df[unit])"
        )


def _locate(
    srcs: list[_Source], advance: Callable[[int], Any] = lambda n: None
) -> tuple[np.ndarray, np.ndarray]:
    """Union coordinates and every source's flat keys, with duplicates resolved;
    ``advance(1)`` after each source (a progress bar's ``update``)."""
    units = sorted_union([pd.unique(s.ids.to_numpy()) for s in srcs])
    year_parts = [np.unique(s.years) for s in srcs if s.years is not None]
    times = sorted_union(year_parts)
    if any(p.dtype.kind == "f" for p in year_parts):
        times = times.astype(np.float64)
    n_t = len(times)
    for s in srcs:
        s.ucode = positions(s.ids, units).astype(np.int64)
        flat = s.ucode if s.static else s.ucode * n_t + positions(s.years, times)
        describe = describer(units, None if s.static else times)
        s.dedup = dedup(flat, s.df, s.rule, where=f"source {s.name!r}", describe=describe)
        s.rows = s.dedup.rows
        s.flat = flat[s.rows]
        advance(1)
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
        grid = pd.Series(np.repeat(scatter(values, s.flat, size // n_t), n_t))
        return grid.where(observed, None) if grid.dtype == object else grid.where(observed)
    return pd.Series(scatter(values, s.flat, size))


def _numeric(dtype: Any) -> bool:
    return (pd.api.types.is_numeric_dtype(dtype) or is_bool(dtype)) and not isinstance(
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
    progress: bool | None = None,
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
    progress : bool or None, default None
        A progress bar on stderr counting the sources located and the variables merged:
        ``None`` when stderr is a terminal (and the environment variable ``XMPI_PROGRESS``
        is not ``"0"``), ``True`` always, ``False`` never. The result is the same either
        way.

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
    check_progress(progress)
    srcs = _prepare(sources, unit, time, list(static or ()), list(drop), duplicates)
    srcs.sort(key=lambda s: order.index(s.name))
    holders = _holders(srcs)
    steps = len(srcs) + len(holders)  # each source located, each variable merged
    with progress_bar(total=steps, desc="merge_sources", unit="steps", enabled=progress) as bar:
        units, times = _locate(srcs, bar.update)
        n_u, n_t = len(units), len(times)
        observed = np.zeros(n_u * n_t, dtype=bool)
        for s in srcs:
            if not s.static:
                observed[s.flat] = True

        _check_rtol(rtol, holders)
        unknown = set(rules) - set(holders)
        if unknown:
            raise ValidationError(
                f"rules names variable(s) {sorted(map(str, unknown))} found in no source; "
                f"the variables are {sorted(map(str, holders))}"
            )
        check_dims(unit_dim, time_dim, list(holders))
        grid = _Grid(units, times, observed, (unit_dim, time_dim))
        merged = []
        for var, held in holders.items():
            rule = rules.get(var, default_rule)
            merged.append(_merge_variable(var, held, grid, rule, rtol.get(var, 0.0)))
            bar.update(1)
    data_vars = {m.name: m.variable for m in merged}
    var_rows = [m.row for m in merged if m.row is not None]
    conflict_frames = [m.conflicts for m in merged if m.conflicts is not None]
    errors = [m.error for m in merged if m.error]
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
        "history": history_stamp(
            f"merge_sources({', '.join(order)}; unit={unit!r}, time={time!r})"
        ),
        "sources": ", ".join(order),
        "default_rule": default_rule,
        "duplicates_dropped": int(report.sources["rows_dropped"].sum()),
        "conflicts": report.n_conflicts,
    }
    ds = xr.Dataset(data_vars, coords=panel_coords(units, times, unit_dim, time_dim), attrs=attrs)
    return ds, report


@dataclass(frozen=True)
class _Grid:
    """The merged panel's grid: unit ids, years, observed unit-waves (flat), dim names."""

    units: np.ndarray
    times: np.ndarray
    observed: np.ndarray
    dims: tuple[str, str]


@dataclass(frozen=True)
class _Merged:
    """One variable merged over the sources holding it (with its report rows)."""

    name: Hashable
    variable: xr.Variable
    row: dict | None = None  # the variable's row of MergeReport.variables (two+ sources)
    conflicts: pd.DataFrame | None = None
    error: str = ""  # the message when rule 'error' meets conflicts


def _merge_variable(
    var: Hashable, held: list[_Source], grid: _Grid, rule: str, rtol: float
) -> _Merged:
    """Variable ``var`` on the grid: along (unit, time) if a time-varying source holds it,
    along unit otherwise; combined by ``rule`` when several sources hold it."""
    n_u, n_t = len(grid.units), len(grid.times)
    timed = any(not s.static for s in held)
    size = n_u * n_t if timed else n_u
    obs = grid.observed if timed else None
    grids = [_grid(s, var, size, obs, n_t) for s in held]
    dims = grid.dims if timed else grid.dims[:1]
    shape = (n_u, n_t) if timed else (n_u,)
    attrs = {"source": ", ".join(s.name for s in held)}
    if len(held) == 1:
        return _Merged(var, xr.Variable(dims, grids[0].to_numpy().reshape(shape), attrs))
    comb = _combine(grids, rule, float(rtol), var)
    attrs["merge_rule"] = rule
    variable = xr.Variable(dims, _final_dtype(comb.values, grids).reshape(shape), attrs)
    frame = _conflict_frame(var, held, rule, comb, grid.units, grid.times if timed else None)
    error = _conflict_message(var, frame, held) if rule == "error" and len(comb.conflict) else ""
    return _Merged(var, variable, _variable_row(var, held, rule, rtol, comb), frame, error)


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
        when = "" if pd.isna(row.time) else f" in {py_value(row.time)!r}"
        examples.append(f"unit {py_value(row.unit)!r}{when}: {vals}")
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
