"""Bookkeeping of the ``by`` groups of :func:`mpi.measure`: units with a missing group, the
labels of flagged groups, and the coordinates of a sparse cross-classification.

Shared by the kernel driver (:mod:`mpi.measurement.prepare`, which warns about missing and
empty groups) and the result (:mod:`mpi.measurement.result`, which reports them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from mpi.measurement.finalize import CELL_DIM

__all__ = ["sparse_position_name", "unit_counts", "missing_group_counts", "group_names"]


def sparse_position_name(name: str) -> str:
    """Coordinate of a sparse extended table holding each cell's label position in ``by``
    variable ``name`` (its label count for the missing slot).

    Parameters
    ----------
    name
        A ``by`` variable.

    Returns
    -------
    str
        The coordinate's name.
    """
    return f"_position_{name}"


def unit_counts(ds: xr.Dataset) -> xr.DataArray:
    """Units in each cell of the statistics ``ds``, used or dropped.

    Parameters
    ----------
    ds
        Additive statistics with ``NOBS`` and ``NDROP``.

    Returns
    -------
    xarray.DataArray
        ``NOBS + NDROP``.
    """
    return ds["NOBS"] + ds["NDROP"]


def missing_group_counts(
    missing_group: xr.Dataset | None, ext: xr.Dataset | None, names: list[str], time: str | None
) -> tuple[xr.DataArray, xr.DataArray | None]:
    """Units with a missing value in at least one ``by`` variable, in total and per variable.

    Parameters
    ----------
    missing_group
        Statistics of the units with a missing group (None when there is none).
    ext
        The extended table: statistics by group with a trailing missing slot per variable
        (None when no unit has a missing group).
    names
        The ``by`` variables that are population groups.
    time
        A panel's wave dim (counts are then per wave), or None.

    Returns
    -------
    tuple of xarray.DataArray
        ``missing_group``'s units (per wave for a panel), and the same per variable along a
        ``group_variable`` dim (from the extended table; None when there is none and
        several variables).
    """
    keep = [time] if time else []
    if missing_group is None:
        total = xr.DataArray(0) if not time else xr.zeros_like(ext[time], dtype=np.int64)
    else:
        total = unit_counts(missing_group)
    total = total.astype(np.int64)
    if not names:
        return total, None
    if ext is None:
        return total, (total.expand_dims(group_variable=names) if len(names) == 1 else None)
    units = unit_counts(ext)
    per = []
    for b in names:
        if CELL_DIM in units.dims:  # sparse: the cells whose position is the missing slot
            pos = ext[sparse_position_name(b)]
            per.append(units.where(pos == ext.sizes[b], 0).sum(CELL_DIM))
            continue
        others = [d for d in units.dims if d not in (b, *keep)]
        count = units.isel({b: -1}, drop=True).sum(others)
        if time:  # the wave's missing slot holds no unit: drop it, label the waves
            count = count.isel({time: slice(0, total.sizes[time])}).assign_coords(
                {time: total[time].values}
            )
        per.append(count)
    out = xr.concat(per, dim="group_variable").astype(np.int64)
    return total, out.assign_coords(group_variable=np.asarray(names, dtype=object))


def group_names(mask: xr.DataArray) -> list[str]:
    """Labels of the True entries of a mask over groups.

    Parameters
    ----------
    mask
        Boolean, along the group dims (or a sparse table's ``cell`` dim).

    Returns
    -------
    list of str
        ``"a / b"`` over the group dims, in the mask's order.
    """
    flat = mask.stack(_entry=list(mask.dims)) if mask.ndim > 1 else mask
    dim = flat.dims[0]
    hits = np.flatnonzero(flat.values)
    if not len(hits):
        return []
    keys = flat.indexes[dim][hits] if dim in flat.indexes else pd.Index(hits)
    return [" / ".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in keys]
