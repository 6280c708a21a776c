"""Transition flows and poverty spells of a panel, in single passes over the states.

Both kernels read the ``(unit, time)`` state array of :func:`mpi.kernels.panel.panel_scores`
(``-1`` unobserved, ``0`` nonpoor, ``1`` vulnerable, ``2`` poor, ``3`` severe) unit by
unit with time inside, in contiguous chunks of units processed in parallel, each chunk
with private sums that are merged at the end. Every statistic is a plain (weighted) sum
per group cell, so statistics of disjoint sets of units add up exactly.

* :func:`transition_flows` -- weighted and unweighted counts of units by
  ``(cell, pair, from, to)`` for each pair of consecutive waves.
* :func:`spell_counts` / :func:`spell_fill` -- the two passes behind the spell table:
  the first counts the spells of every unit and sums the duration statistics, the second
  fills preallocated arrays (one row per spell). :func:`spells` runs both.

This module imports only numpy and numba.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ._config import (
    PAD,
    cap_chunks,
    chunk_range,
    kernel,
    merge_chunks,
    private_sums,
    weight_missing,
)
from .columns import readonly_view
from .panel import unit_arrays

__all__ = [
    "transition_flows",
    "spell_counts",
    "spell_fill",
    "spells",
    "POVERTY",
    "BANDS",
    "BALANCED",
    "PAIRS",
    "OBSERVED",
    "USED",
    "NO_WEIGHT",
    "UNBALANCED",
]

#: ``mode``: two states (0 nonpoor = state 0/1, 1 poor = state >= 2) or the four bands.
POVERTY, BANDS = 0, 1
#: ``balance``: units observed in every wave / per pair (or per observed wave for spells).
BALANCED, PAIRS = 0, 1
OBSERVED = PAIRS
#: Columns of the per-cell unit counts ``units[cell, 3]``.
USED, NO_WEIGHT, UNBALANCED = 0, 1, 2


@kernel(inline="always")
def _cls(s, mode):
    if s < 0:
        return -1
    if mode == POVERTY:
        return 1 if s >= 2 else 0
    return s


def transition_flows(
    state: np.ndarray,
    weight: np.ndarray,
    cell: np.ndarray,
    n_cells: int,
    mode: int,
    balance: int,
    n_chunks: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flows between consecutive waves, per group cell.

    The private sums are allocated and merged (in chunk order) here with numpy; a thin
    parallel kernel runs one serial chunk body per chunk.

    Parameters
    ----------
    state : int8[N, T]
        State codes (C-contiguous), ``-1`` for an unobserved unit-wave.
    weight : float64[N]
        Panel weight per unit; a NaN weight drops the unit (counted in ``NO_WEIGHT``).
    cell : int64[N]
        Group cell of each unit, ``0 .. n_cells - 1``.
    n_cells : int
        Group cells.
    mode : int
        :data:`POVERTY` (2 states) or :data:`BANDS` (4 states).
    balance : int
        :data:`BALANCED`: only units observed in every wave; :data:`PAIRS`: every pair of
        consecutive waves in which the unit is observed in both.
    n_chunks : int
        Most contiguous chunks of units (:func:`mpi.kernels.panel.chunk_count`), each with
        private sums merged in chunk order (fewer when those would take too much memory:
        :func:`~._config.cap_chunks`); the same bits for any number of threads.

    Returns
    -------
    flow : float64[n_cells, T - 1, S, S]
        ``flow[c, t - 1, a, b] = sum_i s_i 1[cell_i = c, P_{i,t-1} = a, P_it = b]``.
    count : int64[n_cells, T - 1, S, S]
        The same without weights.
    units : int64[n_cells, 3]
        Units used (in at least one pair), dropped for a missing weight, dropped by the
        balance policy (finite weight but no usable pair).
    """
    state, weight, cell = unit_arrays(state, weight, cell)
    n, T = state.shape
    S = 2 if mode == POVERTY else 4
    P = max(T - 1, 0)
    n_chunks = cap_chunks.py_func(n_chunks, n, (n_cells + PAD) * (16 * P * S * S + 24))
    cflow = private_sums(n_chunks, n_cells, (P, S, S), np.float64)
    ccount = private_sums(n_chunks, n_cells, (P, S, S), np.int64)
    cunits = private_sums(n_chunks, n_cells, (3,), np.int64)
    _flows_par(state, weight, cell, mode, balance, n_chunks, cflow, ccount, cunits)
    return (
        merge_chunks(cflow, n_cells),
        merge_chunks(ccount, n_cells),
        merge_chunks(cunits, n_cells),
    )


@kernel(parallel=True, error_model="numpy")
def _flows_par(state, weight, cell, mode, balance, n_chunks, cflow, ccount, cunits):
    """Thin parallel loop of :func:`transition_flows`: one :func:`_flows_chunk` per chunk."""
    n = state.shape[0]
    for c in nb.prange(n_chunks):
        lo, hi = chunk_range(n, n_chunks, c)
        _flows_chunk(state, weight, cell, mode, balance, lo, hi, cflow[c], ccount[c], cunits[c])


@kernel(error_model="numpy")
def _flows_chunk(state, weight, cell, mode, balance, lo, hi, fl, ct, un):
    """Units ``lo .. hi - 1`` of :func:`transition_flows`, added to one chunk's sums."""
    T = state.shape[1]
    for i in range(lo, hi):
        g = cell[i]
        w = weight[i]
        if weight_missing(w):
            un[g, NO_WEIGHT] += 1
            continue
        if balance == BALANCED:
            ok = True
            for t in range(T):
                if state[i, t] < 0:
                    ok = False
                    break
            if not ok:
                un[g, UNBALANCED] += 1
                continue
        used = False
        a = _cls(state[i, 0], mode)
        for t in range(1, T):
            b = _cls(state[i, t], mode)
            if a >= 0 and b >= 0:
                fl[g, t - 1, a, b] += w
                ct[g, t - 1, a, b] += 1
                used = True
            a = b
        if used:
            un[g, USED] += 1
        else:
            un[g, UNBALANCED] += 1


@kernel(inline="always")
def _unit_ok(state, i, T, balance):
    """Whether unit ``i`` enters the spell statistics (0 no observed wave / unbalanced)."""
    any_obs = False
    for t in range(T):
        if state[i, t] >= 0:
            any_obs = True
        elif balance == BALANCED:
            return False
    return any_obs


def spell_counts(
    state: np.ndarray,
    weight: np.ndarray,
    cell: np.ndarray,
    n_cells: int,
    balance: int,
    n_chunks: int,
) -> tuple[np.ndarray, ...]:
    """First pass: spells per unit and the additive duration statistics per cell.

    A spell is a maximal run of consecutive *observed* waves with the same poverty status
    (poor = state >= 2). It is left-censored when the wave before its start is outside the
    panel or unobserved, right-censored when the wave after its end is.

    Parameters
    ----------
    state, weight, cell, n_cells, n_chunks
        As in :func:`transition_flows`.
    balance : int
        :data:`BALANCED` (only units observed in every wave) or :data:`OBSERVED` (every
        unit with at least one observed wave; gaps break spells).

    Returns
    -------
    n_spells : int64[N]
        Spells of each unit (0 for a dropped unit).
    spells_w, spells_n : float64 / int64 [n_cells, 2, T, 2, 2]
        Weighted / unweighted number of spells by ``(cell, poor, length - 1, left_censored,
        right_censored)``.
    povsp_w, povsp_n : float64 / int64 [n_cells, (T + 1) // 2 + 1]
        Weighted / unweighted number of units by their number of poverty spells.
    units : int64[n_cells, 3]
        Units used, dropped for a missing weight, dropped by the balance policy (or without
        any observed wave).
    """
    state, weight, cell = unit_arrays(state, weight, cell)
    n, T = state.shape
    M = (T + 1) // 2 + 1
    n_chunks = cap_chunks.py_func(n_chunks, n, (n_cells + PAD) * (128 * max(T, 1) + 16 * M + 24))
    n_spells = np.zeros(n, np.int64)
    csw = private_sums(n_chunks, n_cells, (2, max(T, 1), 2, 2), np.float64)
    csn = private_sums(n_chunks, n_cells, (2, max(T, 1), 2, 2), np.int64)
    cpw = private_sums(n_chunks, n_cells, (M,), np.float64)
    cpn = private_sums(n_chunks, n_cells, (M,), np.int64)
    cunits = private_sums(n_chunks, n_cells, (3,), np.int64)
    _counts_par(state, weight, cell, balance, n_chunks, n_spells, csw, csn, cpw, cpn, cunits)
    return (
        n_spells,
        *(merge_chunks(a, n_cells) for a in (csw, csn, cpw, cpn, cunits)),
    )


@kernel(parallel=True, error_model="numpy")
def _counts_par(state, weight, cell, balance, n_chunks, n_spells, csw, csn, cpw, cpn, cunits):
    """Thin parallel loop of :func:`spell_counts`: one :func:`_counts_chunk` per chunk."""
    n = state.shape[0]
    for c in nb.prange(n_chunks):
        lo, hi = chunk_range(n, n_chunks, c)
        _counts_chunk(state, weight, cell, balance, lo, hi, n_spells, csw[c], csn[c], cpw[c],
                      cpn[c], cunits[c])  # fmt: skip


@kernel(error_model="numpy")
def _counts_chunk(state, weight, cell, balance, lo, hi, n_spells, sw, sn, pw, pn, un):
    """Units ``lo .. hi - 1`` of :func:`spell_counts`, added to one chunk's sums."""
    T = state.shape[1]
    for i in range(lo, hi):
        g = cell[i]
        w = weight[i]
        if weight_missing(w):
            un[g, NO_WEIGHT] += 1
            continue
        if not _unit_ok(state, i, T, balance):
            un[g, UNBALANCED] += 1
            continue
        un[g, USED] += 1
        k = 0
        npov = 0
        start = -1
        cur = -1
        for t in range(T + 1):
            s = state[i, t] if t < T else -1
            p = -1 if s < 0 else (1 if s >= 2 else 0)
            if start >= 0 and p != cur:  # the run [start, t - 1] ends
                lc = 1 if start == 0 or state[i, start - 1] < 0 else 0
                rc = 1 if p < 0 else 0
                sw[g, cur, t - 1 - start, lc, rc] += w
                sn[g, cur, t - 1 - start, lc, rc] += 1
                k += 1
                npov += cur
                start = -1
            if p >= 0 and start < 0:
                start = t
                cur = p
        n_spells[i] = k
        pw[g, npov] += w
        pn[g, npov] += 1


def spell_fill(state: np.ndarray, offsets: np.ndarray, n_chunks: int) -> tuple[np.ndarray, ...]:
    """Second pass: one row per spell, written at ``offsets[i] ..`` for unit ``i``.

    ``offsets`` (int64[N + 1]) is the cumulative sum of the first pass' ``n_spells``;
    units with no spell (dropped ones) write nothing, so no weight or balance test is
    needed here.

    Parameters
    ----------
    state : int8[N, T]
        State codes.
    offsets : int64[N + 1]
        First row of each unit's spells.
    n_chunks : int
        Chunks of units (no sums: the rows do not depend on them).

    Returns
    -------
    tuple of numpy.ndarray
        ``unit`` int64[n] (row of the unit in the panel), ``poor`` int8[n] (1 poverty
        spell, 0 non-poor spell), ``start``, ``end`` int32[n] (wave indices of the first and
        last wave of the spell), ``left``, ``right`` bool[n] (left- / right-censored).
    """
    state = readonly_view(np.ascontiguousarray(state, np.int8))
    offsets = readonly_view(np.ascontiguousarray(offsets, np.int64))
    m = int(offsets[state.shape[0]])
    rows = (
        np.empty(m, np.int64),
        np.empty(m, np.int8),
        np.empty(m, np.int32),
        np.empty(m, np.int32),
        np.empty(m, np.bool_),
        np.empty(m, np.bool_),
    )
    _fill_par(state, offsets, n_chunks, *rows)
    return rows


@kernel(parallel=True, error_model="numpy")
def _fill_par(state, offsets, n_chunks, unit, poor, start_, end_, left, right):
    """Thin parallel loop of :func:`spell_fill`: one :func:`_fill_chunk` per chunk."""
    n = state.shape[0]
    for c in nb.prange(n_chunks):  # no sums: the rows do not depend on the chunks
        lo, hi = chunk_range(n, n_chunks, c)
        _fill_chunk(state, offsets, lo, hi, unit, poor, start_, end_, left, right)


@kernel(error_model="numpy")
def _fill_chunk(state, offsets, lo, hi, unit, poor, start_, end_, left, right):
    """The spell rows of units ``lo .. hi - 1``."""
    T = state.shape[1]
    for i in range(lo, hi):
        r = offsets[i]
        if offsets[i + 1] == r:
            continue
        start = -1
        cur = -1
        for t in range(T + 1):
            s = state[i, t] if t < T else -1
            p = -1 if s < 0 else (1 if s >= 2 else 0)
            if start >= 0 and p != cur:
                unit[r] = i
                poor[r] = cur
                start_[r] = start
                end_[r] = t - 1
                left[r] = start == 0 or state[i, start - 1] < 0
                right[r] = p < 0
                r += 1
                start = -1
            if p >= 0 and start < 0:
                start = t
                cur = p


def spells(
    state: np.ndarray,
    weight: np.ndarray,
    cell: np.ndarray,
    n_cells: int,
    balance: int,
    n_chunks: int,
) -> tuple:
    """Both passes: the duration statistics of :func:`spell_counts` and the spell rows of
    :func:`spell_fill` (``(unit, poor, start, end, left, right)``)."""
    n_spells, spells_w, spells_n, povsp_w, povsp_n, units = spell_counts(
        state, weight, cell, n_cells, balance, n_chunks
    )
    offsets = np.zeros(len(n_spells) + 1, np.int64)
    np.cumsum(n_spells, out=offsets[1:])
    rows = spell_fill(state, offsets, n_chunks)
    return rows, spells_w, spells_n, povsp_w, povsp_n, units
