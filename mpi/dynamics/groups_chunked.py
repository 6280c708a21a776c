"""Group cells of a dask panel: labels fixed once for every block of units.

The in-memory path encodes the ``by`` variables of all units at once
(:func:`mpi._common.table.encode_groups`). On a dask panel the blocks must share the same
cells, so :func:`global_groups` makes one cheap pass over the ``by`` variables (one value
per unit, never the indicators) collecting their distinct values, encodes a small table
holding each distinct value with :func:`~mpi._common.table.encode_groups` (same labels,
offset, number of cells and missing slots as the in-memory encoding), and
:func:`block_codes` gives the codes of one block's units against those labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.chunked import reduce_blocks
from mpi._common.panel_layout import PanelLayout, static_column
from mpi._common.table import Groups, Table, encode_groups
from mpi.errors import ValidationError

__all__ = ["global_groups", "block_codes"]


def _distinct(block: xr.Dataset, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Distinct values of each ``by`` variable in one block (a missing value kept once)."""
    return {b: pd.unique(pd.Series(block[b].values)) for b in names}


def _union(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: pd.unique(pd.Series(np.concatenate([a[k], b[k]]))) for k in a}


def global_groups(
    panel: xr.Dataset, by: str | Sequence[str] | None, layout: PanelLayout
) -> tuple[list[str], Groups | None]:
    """The ``by`` cells of a dask panel, as :func:`~mpi._common.table.encode_groups` would
    give them for the whole panel, with empty ``codes`` (codes are per block:
    :func:`block_codes`).

    Parameters
    ----------
    panel : xarray.Dataset
        A dask-backed panel chunked along the unit dimension.
    by : str or sequence of str, optional
        The ``by`` variables (checked: each lies along ``unit`` only and is named once).
    layout : PanelLayout
        The panel's layout.

    Returns
    -------
    list of str
        The ``by`` names.
    Groups or None
        Labels, offset, number of cells and missing flag of the whole panel (None without
        ``by``).
    """
    by = [by] if isinstance(by, str) else list(by or [])
    if len(set(by)) != len(by):
        raise ValidationError(f"by names a variable twice: {by!r}")
    if not by:
        return by, None
    for b in by:
        static_column(panel, b, layout, "by")
    values = reduce_blocks(
        lambda block: _distinct(block, by), panel, layout.unit_dim, combine=_union, variables=by
    )
    # a small table in which every distinct value of every variable occurs (shorter
    # columns repeated): the encoding sees the same values, dtypes and missing values
    rows = max(len(v) for v in values.values())
    small = xr.Dataset({b: ("row", np.resize(values[b], rows)) for b in by})
    groups = encode_groups(Table(small, "xarray", "row", rows), list(by))
    return by, replace(groups, codes=np.empty(0, np.int64))


def block_codes(block: xr.Dataset, groups: Groups) -> np.ndarray:
    """The codes (``cell + offset``) of one block's units under the panel's ``groups``.

    Parameters
    ----------
    block : xarray.Dataset
        An in-memory block of units holding the ``by`` variables.
    groups : Groups
        The panel's cells (:func:`global_groups`).

    Returns
    -------
    numpy.ndarray
        int64 codes, one per unit of the block.
    """
    unit = block[groups.names[0]].dims[0]
    table = Table(block, "xarray", unit, block.sizes[unit])
    if groups.prune:  # one integer variable: the codes are its values (offset = the minimum)
        return table.column(groups.names[0], role="by").to_numpy().astype(np.int64)
    codes = np.zeros(block.sizes[unit], np.int64)
    for name, lab in zip(groups.names, groups.labels, strict=True):
        pos = pd.Index(lab).get_indexer(table.column(name, role="by"))
        codes = codes * (len(lab) + 1) + np.where(pos < 0, len(lab), pos)
    return codes
