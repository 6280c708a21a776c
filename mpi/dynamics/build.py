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
runs over units, and the input frames are never modified. With ``store=``,
:func:`panel_from_long` builds the panel block of units by block into a Zarr store
(:mod:`mpi.dynamics.build_store`), from a long table bigger than memory; every block goes
through the same :func:`mpi.dynamics.build_steps.place_rows` as the in-memory panel.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.progress import check_progress
from mpi._common.progress import progress as progress_bar
from mpi.dynamics._long import DUPLICATE_RULES, DuplicateRule, check_frame, panel_coords
from mpi.dynamics.build_steps import long_columns, long_keys, panel_attrs, place_rows
from mpi.dynamics.build_store import panel_to_store
from mpi.dynamics.merge import RULES, merge_sources
from mpi.dynamics.merge_report import MergeReport
from mpi.errors import ValidationError

__all__ = ["panel_from_long", "merge_sources", "MergeReport", "RULES", "DUPLICATE_RULES"]


# --- panel_from_long ---------------------------------------------------------------------------
def panel_from_long(
    df: pd.DataFrame | Iterable[pd.DataFrame] | str | os.PathLike[str],
    *,
    unit: Hashable,
    time: Hashable,
    variables: Sequence[Hashable] | None = None,
    static: Sequence[Hashable] | None = None,
    unit_dim: str = "unit",
    time_dim: str = "time",
    duplicates: DuplicateRule = "raise",
    progress: bool | None = None,
    store: str | os.PathLike[str] | None = None,
    chunk_units: int = 100_000,
    rows: int = 1_000_000,
) -> xr.Dataset:
    """Turn a long table (one row per unit-wave) into a ``unit`` x ``time`` panel.

    In memory by default; with ``store=`` the panel is built into a Zarr store block of
    ``chunk_units`` units by block, from a table that may be bigger than memory (an
    iterable of DataFrame pieces, or a CSV/Parquet file read ``rows`` rows at a time), and
    returned opened lazily (dask arrays chunked along units), equal to the in-memory panel.

    Parameters
    ----------
    df : pandas.DataFrame, iterable of DataFrame, or path
        Long table; it is never modified. With ``store=``, also an iterable of pieces (a
        list, or a generator: it is consumed once) or the path of a ``.csv``/``.tsv``/
        ``.txt``/``.parquet`` file (read with :func:`mpi.io.read_pieces`).
    unit, time : hashable
        Columns with the unit ids (numbers or strings, no missing values) and the calendar
        years (int or float, e.g. 2017.5; convert dates with ``.dt.year``).
    variables : sequence of hashable, optional
        Columns that vary over time, returned along ``(unit, time)``. Default: every column
        except ``unit``, ``time`` and ``static`` (of the first piece, with ``store=``).
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
        A progress bar on stderr counting the columns placed on the panel (with ``store=``:
        the blocks of units written): ``None`` when stderr is a terminal (and the
        environment variable ``XMPI_PROGRESS`` is not ``"0"``), ``True`` always, ``False``
        never. The result is the same either way.
    store : str or os.PathLike, optional
        A Zarr store (directory) to build the panel in; an existing store there is replaced
        (anything else there is an error). The rows are first sorted into one temporary
        file per block of units, in a folder next to the store (removed afterwards), so the
        disk needs about twice the table's size free.
    chunk_units : int, default 100_000
        With ``store=``: units per block (the store's chunks along ``unit_dim``; a block's
        rows must fit in memory).
    rows : int, default 1_000_000
        With ``store=`` and a file path: rows per piece read.

    Returns
    -------
    xarray.Dataset
        Coordinates ``unit_dim`` (sorted unique ids) and ``time_dim`` (sorted years,
        integer unless some year has decimals); the variables; ``observed`` (bool, unit x
        time). Integer and boolean variables with gaps become float64 with NaN; strings and
        categories become object arrays whose missing values are None or NaN (xarray turns
        None into NaN in string arrays with pandas >= 3; test with ``pandas.isna``). With
        ``store=``: the store opened lazily (:func:`mpi.io.read`), the same values (text
        variables are stored as strings, their missing values read as NaN).

    Raises
    ------
    mpi.errors.DataError
        Missing columns, missing or non-numeric times, missing unit ids, duplicated keys
        (with ``duplicates="raise"``) or static columns that vary within a unit.
    mpi.errors.ValidationError
        Pieces or a path without ``store=``; a bad ``store``, ``chunk_units`` or ``rows``.

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

    The same panel built into a Zarr store from two pieces, one unit per block:

    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     lazy = panel_from_long([df.iloc[:2], df.iloc[2:]], unit="id", time="year",
    ...                            static=["weight"], store=Path(folder) / "panel.zarr",
    ...                            chunk_units=1)
    ...     print(lazy["income"].chunks, lazy.load().equals(ds))
    ((1, 1), (2,)) True
    """
    check_progress(progress)
    if store is not None:
        return panel_to_store(
            df,
            unit=unit,
            time=time,
            variables=variables,
            static=static,
            unit_dim=unit_dim,
            time_dim=time_dim,
            duplicates=duplicates,
            progress=progress,
            store=store,
            chunk_units=chunk_units,
            rows=rows,
        )
    if not isinstance(df, pd.DataFrame) and (
        isinstance(df, str | os.PathLike) or isinstance(df, Iterable)
    ):
        raise ValidationError(
            f"df is a {type(df).__name__}: pieces of a table and file paths are read block by "
            "block into a Zarr store; pass store='panel.zarr' (and chunk_units=), or pass "
            "one pandas.DataFrame"
        )
    df = check_frame(df, "df")
    cols = long_columns(
        df,
        unit=unit,
        time=time,
        variables=variables,
        static=static,
        unit_dim=unit_dim,
        time_dim=time_dim,
    )
    ids, years = long_keys(df, cols)
    ucode, units = pd.factorize(ids, sort=True)
    tcode, times = pd.factorize(years, sort=True)
    units, times = np.asarray(units), np.asarray(times)
    with progress_bar(
        total=len(cols.variables) + len(cols.static),
        desc="panel_from_long",
        unit="columns",
        enabled=progress,
    ) as bar:
        grid = place_rows(
            df,
            cols,
            ucode,
            tcode,
            units,
            times,
            duplicates=duplicates,
            unit_dim=unit_dim,
            time_dim=time_dim,
            bar=bar,
        )
    return xr.Dataset(
        grid.data_vars,
        coords=panel_coords(units, times, unit_dim, time_dim),
        attrs=panel_attrs(cols, duplicates, grid.dropped, grid.duplicated_keys),
    )
