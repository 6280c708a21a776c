"""The spell rows of a dask panel, one block of units per dask task.

:meth:`mpi.dynamics.spells.SpellResult.table` lists every spell; on lazy panel states the
rows of each block come from :func:`mpi.kernels.transitions.spells` on that block alone
(a spell never crosses units) and are concatenated in the panel's unit order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from mpi._common.panel_layout import parallel_chunks
from mpi.dynamics.states_chunked import block_sums
from mpi.kernels import transitions as ktr

__all__ = ["spell_rows", "concat_rows"]


def concat_rows(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Rows of two neighbouring blocks, the first block's first.

    Parameters
    ----------
    a, b : tuple of numpy.ndarray
        Row columns of the earlier and the later block.

    Returns
    -------
    tuple of numpy.ndarray
        The columns concatenated.
    """
    return tuple(np.concatenate([x, y]) for x, y in zip(a, b, strict=True))


def spell_rows(states: Any, balance: str) -> tuple[np.ndarray, ...]:
    """One entry per spell of lazy panel states: ``(unit row, poor, start wave, end wave,
    left-censored, right-censored)`` as :func:`mpi.kernels.transitions.spell_fill` gives it
    for the whole panel.

    Parameters
    ----------
    states : PanelStates
        Lazy panel states.
    balance : {"balanced", "observed"}
        The balance policy of :func:`mpi.spells`.

    Returns
    -------
    tuple of numpy.ndarray
        The spell rows, units in panel order.
    """
    bal = ktr.BALANCED if balance == "balanced" else ktr.OBSERVED

    def rows(ps: Any, block: xr.Dataset) -> tuple[np.ndarray, ...]:
        out = ktr.spells(
            ps.state, ps.weight, ps.cell, ps.n_cells, bal, parallel_chunks(ps.layout.n_units)
        )[0]
        start = int(block["row"].values[0]) if block.sizes[ps.layout.unit_dim] else 0
        return (out[0] + out[0].dtype.type(start), *out[1:])

    return block_sums(states, rows, combine=concat_rows, with_block=True)
