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

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.progress import check_progress
from mpi._common.progress import progress as progress_bar
from mpi.dynamics._long import (
    DUPLICATE_RULES,
    DuplicateRule,
    check_dims,
    check_frame,
    column,
    dedup,
    describer,
    history_stamp,
    panel_coords,
    py_value,
    scatter,
    unit_ids,
    year_values,
)
from mpi.dynamics.merge import RULES, merge_sources
from mpi.dynamics.merge_report import MergeReport
from mpi.errors import DataError, ValidationError

__all__ = ["panel_from_long", "merge_sources", "MergeReport", "RULES", "DUPLICATE_RULES"]


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
    progress: bool | None = None,
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
    progress : bool or None, default None
        A progress bar on stderr counting the columns placed on the panel (long tables with
        many columns take a while): ``None`` when stderr is a terminal (and the environment
        variable ``XMPI_PROGRESS`` is not ``"0"``), ``True`` always, ``False`` never. The
        result is the same either way.

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
    check_progress(progress)
    df = check_frame(df, "df")
    where = "df"
    static_cols = _names(static)
    ids = unit_ids(column(df, unit, where=where, role="unit"), where=where, name=unit)
    years = year_values(column(df, time, where=where, role="time"), where=where, name=time)
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

    ucode, units = pd.factorize(ids, sort=True)
    tcode, times = pd.factorize(years, sort=True)
    units, times = np.asarray(units), np.asarray(times)
    n_t = len(times)
    flat = ucode.astype(np.int64) * n_t + tcode

    describe = describer(units, times)
    kept = dedup(flat, df, duplicates, where=where, describe=describe)
    rows, flat = kept.rows, flat[kept.rows]
    size = len(units) * n_t

    data_vars: dict[Hashable, xr.Variable] = {}
    n_cols = len(var_cols) + len(static_cols)
    with progress_bar(
        total=n_cols, desc="panel_from_long", unit="columns", enabled=progress
    ) as bar:
        for name in var_cols:
            values = df[name].iloc[rows]
            arr = scatter(values, flat, size).reshape(len(units), n_t)
            data_vars[name] = xr.Variable((unit_dim, time_dim), arr)
            bar.update(1)
        for name in static_cols:
            values = df[name].iloc[rows]
            u, rep = _static_rows(values, ucode[rows], units, name=name)
            data_vars[name] = xr.Variable((unit_dim,), scatter(values.iloc[rep], u, len(units)))
            bar.update(1)
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
        "history": history_stamp(
            f"panel_from_long(unit={unit!r}, time={time!r}, duplicates={duplicates!r})"
        ),
        "duplicates_rule": str(duplicates),
        "duplicates_dropped": int(dropped),
        "duplicated_keys": len(kept.dup_keys),
    }
    return xr.Dataset(data_vars, coords=panel_coords(units, times, unit_dim, time_dim), attrs=attrs)
