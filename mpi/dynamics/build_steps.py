"""The steps of :func:`mpi.panel_from_long` shared by the in-memory panel and the Zarr store.

:func:`long_columns` and :func:`long_keys` check a long table's columns and keys;
:func:`place_rows` scatters rows onto a ``unit`` x ``time`` grid (all of a panel's units, or
one block of them: :mod:`mpi.dynamics.build_store`); :func:`panel_attrs` gives the panel's
attributes. Each is written once and used by both paths.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi.dynamics._long import (
    DuplicateRule,
    check_dims,
    column,
    dedup,
    describer,
    history_stamp,
    py_value,
    scatter,
    unit_ids,
    year_values,
)
from mpi.errors import DataError, ValidationError

__all__ = ["LongColumns", "long_columns", "long_keys", "Grid", "place_rows", "panel_attrs"]


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
        seen = [py_value(uniq[c]) for c in np.unique(frame.loc[frame["u"] == u, "c"])]
        raise DataError(
            f"static: column {name!r} is not constant within units: {len(bad)} unit(s) have "
            f"different values, e.g. unit {py_value(units[u])!r} has {seen}. Fix the data or list "
            f"{name!r} in variables= (time-varying) instead of static="
        )
    return first.index.to_numpy(), first.to_numpy()


# --- the steps shared by the in-memory panel and the Zarr store -------------------------------
def _names(arg: Any) -> list[Hashable]:
    if arg is None:
        return []
    if isinstance(arg, str) or not isinstance(arg, Sequence | pd.Index | np.ndarray):
        return [arg]
    return list(arg)


@dataclass(frozen=True)
class LongColumns:
    """The columns of a long table: keys, time-varying ``variables`` and ``static``."""

    unit: Hashable
    time: Hashable
    variables: list[Hashable]
    static: list[Hashable]

    @property
    def read(self) -> list[Hashable]:
        """Every column a panel is built from (keys first)."""
        return list(dict.fromkeys([self.unit, self.time, *self.variables, *self.static]))


def long_columns(
    df: pd.DataFrame,
    *,
    unit: Hashable,
    time: Hashable,
    variables: Sequence[Hashable] | None,
    static: Sequence[Hashable] | None,
    unit_dim: str,
    time_dim: str,
    where: str = "df",
) -> LongColumns:
    """The checked columns of ``panel_from_long`` found in the frame ``df``.

    Parameters
    ----------
    df : pandas.DataFrame
        The long table (or its first piece).
    unit, time, variables, static, unit_dim, time_dim
        As in :func:`panel_from_long`.
    where : str
        The table's name in messages.

    Returns
    -------
    LongColumns
        ``variables`` defaults to every column but the keys and ``static``.
    """
    static_cols = _names(static)
    column(df, unit, where=where, role="unit")
    column(df, time, where=where, role="time")
    for name in static_cols:
        column(df, name, where=where, role="static")
    if variables is None:
        skip = {unit, time, *static_cols}
        var_cols = [c for c in df.columns if c not in skip]
    else:
        var_cols = _names(variables)
        for name in var_cols:
            column(df, name, where=where, role="variables")
    both = set(var_cols) & set(static_cols)
    if both:
        raise ValidationError(
            f"variables and static both list {sorted(map(str, both))}; a column is either "
            "time-varying or static"
        )
    check_dims(unit_dim, time_dim, [*var_cols, *static_cols])
    return LongColumns(unit, time, var_cols, static_cols)


def long_keys(
    df: pd.DataFrame, cols: LongColumns, where: str = "df"
) -> tuple[pd.Series, np.ndarray]:
    """The checked unit ids and numeric years of the rows of ``df``.

    Parameters
    ----------
    df : pandas.DataFrame
        The long table (or a piece of it).
    cols : LongColumns
        Its columns.
    where : str
        The table's name in messages.

    Returns
    -------
    tuple
        ``(ids, years)``: see :func:`mpi.dynamics._long.unit_ids` and ``year_values``.
    """
    ids = unit_ids(column(df, cols.unit, where=where, role="unit"), where=where, name=cols.unit)
    years = year_values(
        column(df, cols.time, where=where, role="time"), where=where, name=cols.time
    )
    return ids, years


@dataclass
class Grid:
    """The variables of a panel (or of a block of its units) and the duplicates dropped."""

    data_vars: dict[Hashable, xr.Variable]
    dropped: int
    duplicated_keys: int


def place_rows(
    df: pd.DataFrame,
    cols: LongColumns,
    ucode: np.ndarray,
    tcode: np.ndarray,
    units: np.ndarray,
    times: np.ndarray,
    *,
    duplicates: DuplicateRule,
    unit_dim: str,
    time_dim: str,
    where: str = "df",
    bar: Any = None,
) -> Grid:
    """Scatter the rows of ``df`` onto the ``units`` x ``times`` grid.

    Parameters
    ----------
    df : pandas.DataFrame
        The rows (all rows of the units in ``units``, in input order).
    cols : LongColumns
        The columns.
    ucode, tcode : numpy.ndarray
        Each row's position in ``units`` and in ``times``.
    units, times : numpy.ndarray
        The coordinates (sorted unique ids, sorted years).
    duplicates, unit_dim, time_dim
        As in :func:`panel_from_long`.
    where : str
        The table's name in messages.
    bar : tqdm, optional
        Advanced by one per column placed.

    Returns
    -------
    Grid
        The ``(unit, time)``, ``unit`` and ``observed`` variables; rows dropped as
        duplicates and the number of duplicated keys.
    """
    n_t = len(times)
    flat = ucode.astype(np.int64) * n_t + tcode
    kept = dedup(flat, df, duplicates, where=where, describe=describer(units, times))
    rows, flat = kept.rows, flat[kept.rows]
    size = len(units) * n_t
    data_vars: dict[Hashable, xr.Variable] = {}
    for name in cols.variables:
        values = df[name].iloc[rows]
        arr = scatter(values, flat, size).reshape(len(units), n_t)
        data_vars[name] = xr.Variable((unit_dim, time_dim), arr)
        if bar is not None:
            bar.update(1)
    for name in cols.static:
        values = df[name].iloc[rows]
        u, rep = _static_rows(values, ucode[rows], units, name=name)
        data_vars[name] = xr.Variable((unit_dim,), scatter(values.iloc[rep], u, len(units)))
        if bar is not None:
            bar.update(1)
    observed = np.zeros(size, dtype=bool)
    observed[flat] = True
    data_vars["observed"] = xr.Variable(
        (unit_dim, time_dim),
        observed.reshape(len(units), n_t),
        {"long_name": "unit-wave has a record"},
    )
    return Grid(data_vars, len(df) - len(rows), len(kept.dup_keys))


def panel_attrs(
    cols: LongColumns, duplicates: DuplicateRule, dropped: int, duplicated_keys: int
) -> dict[str, Any]:
    """The attributes of a panel built by :func:`panel_from_long`.

    Parameters
    ----------
    cols : LongColumns
        The columns.
    duplicates : str or tuple
        The duplicates rule.
    dropped, duplicated_keys : int
        Rows dropped as duplicates; keys that had more than one row.

    Returns
    -------
    dict
        ``title``, ``history``, ``duplicates_rule``, ``duplicates_dropped``,
        ``duplicated_keys``.
    """
    return {
        "title": "panel built with mpi.panel_from_long",
        "history": history_stamp(
            f"panel_from_long(unit={cols.unit!r}, time={cols.time!r}, duplicates={duplicates!r})"
        ),
        "duplicates_rule": str(duplicates),
        "duplicates_dropped": int(dropped),
        "duplicated_keys": int(duplicated_keys),
    }
