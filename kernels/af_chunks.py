"""How the AF kernel cuts the units into chunks (numpy, plus one small scan kernel).

:func:`chunk_count` is the most chunks for ``n`` units; :func:`plan_chunks` fixes their
boundaries and the range of cells each chunk meets (:func:`chunk_plan`, :func:`cell_ranges`),
with fewer chunks when their private sums would take too much memory. Everything depends on
the data and ``n_chunks`` only, never on the threads, so the sums of :mod:`.af_sums` carry the
same bits on any machine.

Planning runs once per call on at most :data:`~._config.MAX_CHUNKS` chunks, so it is numpy:
only the scan of a chunk's cells (a pass over its units, when their order does not tell the
range) is a kernel, compiled only for calls with more than
:data:`~.af_layout.RANGE_MIN_CELLS` cells.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from ._config import cap_chunks, fixed_chunks, kernel
from .af_layout import CHUNK, NBS, PATTERNS, RANGE_MIN_CELLS

__all__ = [
    "chunk_count",
    "cell_at",
    "cells_of",
    "chunk_plan",
    "cell_ranges",
    "private_bytes",
    "plan_chunks",
]


def chunk_count(n: int) -> int:
    """Chunks of :func:`.af.af_statistics` for ``n`` units: :func:`~._config.fixed_chunks` with
    at least :data:`~.af_layout.CHUNK` units each (a function of ``n`` only, never of the
    thread count).

    Parameters
    ----------
    n : int
        Number of units.

    Returns
    -------
    int
        The most chunks (a power of two, at most 64).
    """
    return fixed_chunks(n, CHUNK)


@kernel(inline="always")
def cell_at(cell, offset, major, n_minor, i):
    """Cell of unit ``i``: ``cell[i] - offset``, plus ``major[i] * n_minor`` when ``major``
    is given (e.g. PSU-major (PSU, group) cells, computed here instead of in a pass of
    their own; -1, an error, when ``cell[i] - offset`` is not in ``0 .. n_minor - 1``)."""
    c = cell[i] - offset
    if major.shape[0] > 0:
        if c < 0 or c >= n_minor:
            return -1
        c += major[i] * n_minor
    return c


def cells_of(cell: np.ndarray, offset: int, major: np.ndarray, n_minor: int, a: int, b: int):
    """:func:`cell_at` of units ``a .. b - 1`` (numpy; int64[b - a])."""
    c = cell[a:b].astype(np.int64) - offset
    if major.shape[0] > 0:
        bad = (c < 0) | (c >= n_minor)
        c = np.where(bad, -1, c + major[a:b] * n_minor)
    return c


def _next_block_change(
    n: int, b: int, cell: np.ndarray, offset: int, major: np.ndarray, n_minor: int, block: int
) -> int:
    """The first unit ``i >= b`` (``0 < b < n``) whose block of cells (``cell // block``)
    differs from unit ``i - 1``'s, else ``n``: windows of growing size, numpy."""
    width = 256
    while b < n:
        hi = min(n, b + width)
        blocks = cells_of(cell, offset, major, n_minor, b - 1, hi) // block
        change = np.flatnonzero(blocks[1:] != blocks[:-1])
        if change.size:
            return b + int(change[0])
        b = hi
        width *= 4
    return n


def chunk_plan(
    n, cell, cell_offset, n_cells, n_chunks, cell_block, cell_major, n_minor, blocks_sorted,
    use_patterns,
):  # fmt: skip
    """The chunks of :func:`.af_sums.af_sums`, a function of the data and ``n_chunks`` only.

    Returns ``bounds`` (int64[n_chunks + 1]: chunk ``t`` holds units ``bounds[t] ..
    bounds[t + 1] - 1``; with ``cell_block`` each inner boundary moves to the next change of
    block), ``lo`` and ``size`` (int64[n_chunks]: the cells ``lo[t] .. lo[t] + size[t] - 1``
    of chunk ``t``'s private sums) and ``shared`` (the chunks meet disjoint, increasing ranges
    of cells and add straight into the output).
    """
    has_cell = cell.shape[0] > 0
    per = (n + n_chunks - 1) // n_chunks
    bounds = np.empty(n_chunks + 1, np.int64)
    bounds[0] = 0
    bounds[n_chunks] = n
    for t in range(1, n_chunks):
        b = max(min(n, t * per), int(bounds[t - 1]))
        if has_cell and cell_block > 0 and 0 < b < n:  # move to the next change of block
            b = _next_block_change(n, b, cell, cell_offset, cell_major, n_minor, cell_block)
        bounds[t] = b
    # each chunk keeps private sums for the range of cells it meets only (units sorted by
    # cell, e.g. by PSU, make the ranges disjoint and the private arrays small)
    lo = np.zeros(n_chunks, np.int64)
    size = np.full(n_chunks, n_cells, np.int64)
    ranged = has_cell and n_cells > RANGE_MIN_CELLS  # few cells: full private arrays are small
    if ranged:
        cell_ranges(
            bounds, cell, cell_offset, n_cells, cell_block, cell_major, n_minor, blocks_sorted,
            lo, size,
        )  # fmt: skip
    # chunks meeting disjoint, increasing ranges of cells add into the shared output
    shared = bool(ranged and cell_block > 0 and use_patterns != PATTERNS)
    hi_prev = -1
    for t in range(n_chunks):
        if shared and bounds[t + 1] > bounds[t]:
            shared = bool(lo[t] > hi_prev)
            hi_prev = int(lo[t] + size[t] - 1)
    return bounds, lo, size, shared


@kernel
def _scan_range(cell, offset, major, n_minor, n_cells, a0, a1):
    """Smallest and largest valid cell of units ``a0 .. a1 - 1`` (``(0, 0)`` if none)."""
    cmin = n_cells - 1
    cmax = 0
    for i in range(a0, a1):
        c = cell_at(cell, offset, major, n_minor, i)
        if 0 <= c < n_cells:
            cmin = min(cmin, c)
            cmax = max(cmax, c)
    if cmax < cmin:
        return 0, 0
    return cmin, cmax


@kernel(parallel=True)
def _scan_ranges(cell, offset, major, n_minor, n_cells, a0, a1, cmin, cmax):
    """:func:`_scan_range` of the chunks ``a0[t] .. a1[t] - 1``, in parallel (a thin
    ``prange`` loop over the serial scan)."""
    for t in nb.prange(a0.shape[0]):
        cmin[t], cmax[t] = _scan_range(cell, offset, major, n_minor, n_cells, a0[t], a1[t])


def cell_ranges(
    bounds, cell, cell_offset, n_cells, cell_block, cell_major, n_minor, blocks_sorted, lo, size
):  # fmt: skip
    """The range of cells ``lo[t] .. lo[t] + size[t] - 1`` that chunk ``t`` meets, written
    into ``lo`` and ``size``: from the chunk's first and last unit when ``blocks_sorted``,
    else from a pass over its units (:func:`_scan_ranges`, in parallel)."""
    scan = []
    for t in range(bounds.shape[0] - 1):
        a0, a1 = int(bounds[t]), int(bounds[t + 1])
        if blocks_sorted and cell_block > 0 and a1 > a0:  # the range from the ends
            c0 = int(cells_of(cell, cell_offset, cell_major, n_minor, a0, a0 + 1)[0])
            c1 = int(cells_of(cell, cell_offset, cell_major, n_minor, a1 - 1, a1)[0])
            if 0 <= c0 < n_cells and 0 <= c1 < n_cells and c0 // cell_block <= c1 // cell_block:
                lo[t] = c0 // cell_block * cell_block
                size[t] = min(n_cells, (c1 // cell_block + 1) * cell_block) - lo[t]
                continue
        scan.append(t)
    if scan:
        which = np.array(scan, np.int64)
        a0s = np.ascontiguousarray(bounds[which])
        a1s = np.ascontiguousarray(bounds[which + 1])
        cmin = np.zeros(len(scan), np.int64)
        cmax = np.zeros(len(scan), np.int64)
        _scan_ranges(cell, int(cell_offset), cell_major, int(n_minor), int(n_cells), a0s, a1s,
                     cmin, cmax)  # fmt: skip
        lo[which] = cmin
        size[which] = cmax - cmin + 1


def private_bytes(rows: int, ident: Any) -> int:
    """Bytes of one chunk's private sums in :func:`.af_sums.af_sums` for ``rows`` cells of
    the :class:`.af.Identification` ``ident``.

    Parameters
    ----------
    rows : int
        Cells of one chunk's private sums.
    ident : Identification
        The kernel's identification (indicators, cutoffs, mode).

    Returns
    -------
    int
        Bytes.
    """
    d = len(ident.rules)
    nb_ = len(ident.k_num) + 1
    per_cell = nb_ * (NBS + d) + 1 + d
    if ident.reweight:
        per_cell += 2 * nb_ * d
    if ident.use_patterns == PATTERNS:  # weight and count per deprivation pattern
        per_cell += 2 << d
    return 8 * rows * per_cell


def plan_chunks(
    n, ident, cell, cell_offset, n_cells, n_chunks, cell_block, major, n_minor, blocks_sorted
):  # fmt: skip
    """:func:`chunk_plan` with at most ``n_chunks`` chunks, fewer (:func:`cap_chunks`) when
    their private sums would take too much memory. Depends on the data and ``n_chunks``
    only, never on the threads."""
    while True:
        bounds, lo, size, shared = chunk_plan(
            n, cell, cell_offset, n_cells, n_chunks, cell_block, major, n_minor, blocks_sorted,
            ident.use_patterns,
        )  # fmt: skip
        rows = 0 if shared else int(size.max())
        # the kernel's own rule run as Python (a loop of at most six steps: nothing to compile)
        fewer = cap_chunks.py_func(n_chunks, n, private_bytes(rows, ident))
        if fewer == n_chunks:
            return bounds, lo, size, shared
        n_chunks = fewer
