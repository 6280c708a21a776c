"""Relapse (re-entry into poverty) after an exit, in one pass over the panel's states.

:func:`relapse_sums` reads the ``(unit, time)`` state codes of
:func:`mpi.kernels.panel.panel_scores` (``-1`` unobserved, ``0`` nonpoor, ``1``
vulnerable, ``2`` poor, ``3`` severe) unit by unit with time inside, in contiguous chunks
of units processed in parallel (private, padded sums per chunk merged at the end), and
emits additive weighted (and unweighted) sums per group cell:

* the life table of the exit spells (methods.md §3.4) by ``(cell, band at exit, exit
  wave t_x, e)``: at risk, events (re-entries) and censored spells;
* per wave ``t``: exits, the period relapse rate's and first-entry rate's numerators and
  denominators, and the stock ratio's (re-entrants / units that ever exited);
* the composition of the re-entries (score numerator and deprivation bits at re-entry).

:func:`relapse_cross_sums` walks the same exit spells and emits, per group cell, the sums
over units of ``w_i^2`` times the products of a unit's own counts at risk and re-entering
at two times since exit: the second moments of the linearised (influence-function)
variance of the Kaplan-Meier survival with the units as clusters.

Statistics of disjoint sets of units add up exactly. This module imports only numpy and
numba.
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
    "relapse_sums",
    "relapse_cross_sums",
    "DD",
    "DN",
    "NN",
    "AT_RISK",
    "EVENTS",
    "CENSORED",
    "EXITS",
    "RR_NUM",
    "RR_DEN",
    "FE_NUM",
    "FE_DEN",
    "STOCK_NUM",
    "STOCK_DEN",
    "N_PERIOD",
    "USED",
    "NO_WEIGHT",
]

#: Last axis of the life table ``life[cell, band, t_x, e, 3]``.
AT_RISK, EVENTS, CENSORED = 0, 1, 2
#: Last axis of the per-wave sums ``period[cell, t - 1, N_PERIOD]``.
EXITS, RR_NUM, RR_DEN, FE_NUM, FE_DEN, STOCK_NUM, STOCK_DEN = 0, 1, 2, 3, 4, 5, 6
N_PERIOD = 7
#: Columns of the per-cell unit counts ``units[cell, 2]``.
USED, NO_WEIGHT = 0, 1
#: Last axis of the cross sums of :func:`relapse_cross_sums`: ``sum_i w_i^2 d_iu d_iv``,
#: ``sum_i w_i^2 d_iu n_iv``, ``sum_i w_i^2 n_iu n_iv``.
DD, DN, NN = 0, 1, 2
#: ``num`` and ``pattern`` of :func:`relapse_sums` without scores (a user-supplied status):
#: empty, read-only, of the scores' usual dtype.
NO_SCORES = np.zeros((0, 0), np.int16)
NO_SCORES.flags.writeable = False


def relapse_sums(
    state: np.ndarray,
    num: np.ndarray,
    pattern: np.ndarray,
    weight: np.ndarray,
    cell: np.ndarray,
    n_cells: int,
    d: int,
    scores: bool,
    n_chunks: int,
) -> tuple[np.ndarray, ...]:
    """Additive relapse statistics per group cell.

    Parameters
    ----------
    state : int8[N, T]
        State codes (C-contiguous); poor ``state >= 2``, unobserved ``state < 0``.
    num : int[N, T]
        Score numerators (read only when ``scores``).
    pattern : int[N, T]
        Deprivation bits, bit ``j`` = deprived in indicator ``j`` (read only when ``scores``).
    weight : float64[N]
        Panel weight (times a bootstrap frequency); a NaN weight drops the unit.
    cell : int64[N]
        Group cell of each unit, ``0 .. n_cells - 1``.
    d : int
        Number of indicators (composition columns).
    scores : bool
        Whether ``num`` and ``pattern`` hold scores (False for a user-supplied status).
    n_chunks : int
        Contiguous chunks of units processed in parallel.

    Notes
    -----
    The private sums are allocated and merged (in chunk order) here with numpy; a thin
    parallel kernel runs one serial chunk body per chunk. Without ``scores``, ``num`` and
    ``pattern`` are not read and are passed on as empty int16 arrays (the dtype of the
    scores of most specs: one specialisation for both uses).

    Returns
    -------
    life_w, life_n : float64 / int64 [n_cells, 2, T, T, 3]
        Exit spells by ``(cell, band, t_x, e, kind)``: band ``0`` clean (state 0 at the exit
        wave ``t_x``), ``1`` vulnerable (state 1); ``kind`` :data:`AT_RISK` / :data:`EVENTS`
        at ``e`` waves after the exit (``e >= 1``), :data:`CENSORED` the spells censored
        after ``e`` waves at risk (``e = 0``: no follow-up at all).
    period_w, period_n : float64 / int64 [n_cells, T - 1, 7]
        Per later wave ``t = 1 .. T-1``: :data:`EXITS`, :data:`RR_NUM`/:data:`RR_DEN`,
        :data:`FE_NUM`/:data:`FE_DEN`, :data:`STOCK_NUM`/:data:`STOCK_DEN`.
    comp_w : float64[n_cells, 2 + 2 d]
        Re-entries: weight, weighted score numerator, then per indicator the weight of the
        re-entries newly deprived in ``j``, then deprived in ``j``.
    comp_n : int64[n_cells]
        Unweighted re-entries.
    units : int64[n_cells, 2]
        Units used / dropped for a missing weight.
    """
    state, weight, cell = unit_arrays(state, weight, cell)
    if scores:
        num = readonly_view(np.ascontiguousarray(num))
        pattern = readonly_view(np.ascontiguousarray(pattern))
    else:
        num = pattern = NO_SCORES
    n, T = state.shape
    P = max(T - 1, 0)
    C = 2 + 2 * d
    entries = 96 * T * T + 16 * max(P, 1) * N_PERIOD + 8 * C + 24  # bytes per cell of a chunk
    n_chunks = cap_chunks.py_func(n_chunks, n, (n_cells + PAD) * entries)
    clw = private_sums(n_chunks, n_cells, (2, T, T, 3), np.float64)
    cln = private_sums(n_chunks, n_cells, (2, T, T, 3), np.int64)
    cpw = private_sums(n_chunks, n_cells, (max(P, 1), N_PERIOD), np.float64)
    cpn = private_sums(n_chunks, n_cells, (max(P, 1), N_PERIOD), np.int64)
    ccw = private_sums(n_chunks, n_cells, (C,), np.float64)
    ccn = private_sums(n_chunks, n_cells, (), np.int64)
    cun = private_sums(n_chunks, n_cells, (2,), np.int64)
    _sums_par(state, num, pattern, weight, cell, d, bool(scores), n_chunks, clw, cln, cpw,
              cpn, ccw, ccn, cun)  # fmt: skip
    life_w = merge_chunks(clw, n_cells)
    life_n = merge_chunks(cln, n_cells)
    # one dummy wave pair without a later wave (T = 1): none in the outputs
    period_w = merge_chunks(cpw, n_cells)[:, :P]
    period_n = merge_chunks(cpn, n_cells)[:, :P]
    comp_w = merge_chunks(ccw, n_cells)
    comp_n = merge_chunks(ccn, n_cells)
    units = merge_chunks(cun, n_cells)
    return life_w, life_n, period_w, period_n, comp_w, comp_n, units


@kernel(parallel=True, error_model="numpy")
def _sums_par(state, num, pattern, weight, cell, d, scores, n_chunks, clw, cln, cpw, cpn, ccw,
              ccn, cun):  # fmt: skip
    """Thin parallel loop of :func:`relapse_sums`: one :func:`_sums_chunk` per chunk."""
    n = state.shape[0]
    for c in nb.prange(n_chunks):
        lo, hi = chunk_range(n, n_chunks, c)
        _sums_chunk(state, num, pattern, weight, cell, d, scores, lo, hi, clw[c], cln[c],
                    cpw[c], cpn[c], ccw[c], ccn[c], cun[c])  # fmt: skip


@kernel(error_model="numpy")
def _sums_chunk(state, num, pattern, weight, cell, d, scores, lo, hi, lw, ln, pw, pn, cw, cn,
                un):  # fmt: skip
    """Units ``lo .. hi - 1`` of :func:`relapse_sums`, added to one chunk's sums."""
    T = state.shape[1]
    for i in range(lo, hi):
        g = cell[i]
        w = weight[i]
        if weight_missing(w):
            un[g, NO_WEIGHT] += 1
            continue
        un[g, USED] += 1
        row = state[i]
        tx = -1  # exit wave of the open exit spell
        band = 0
        exited = False  # exited (poor, later nonpoor; gaps bridged) at a wave <= t - 1
        poor_before = False  # observed poor at a wave <= t - 1
        a = row[0]
        if a >= 2:
            poor_before = True
        for t in range(1, T):
            b = row[t]
            # -- life table of the open exit spell (wave t = t_x + e)
            if tx >= 0:
                e = t - tx
                if b < 0:  # a gap censors the spell after e - 1 waves at risk
                    lw[g, band, tx, e - 1, CENSORED] += w
                    ln[g, band, tx, e - 1, CENSORED] += 1
                    tx = -1
                else:
                    lw[g, band, tx, e, AT_RISK] += w
                    ln[g, band, tx, e, AT_RISK] += 1
                    if b >= 2:
                        lw[g, band, tx, e, EVENTS] += w
                        ln[g, band, tx, e, EVENTS] += 1
                        tx = -1
            # -- period rates between t - 1 and t
            if a >= 0 and a < 2 and b >= 0:
                if exited:
                    pw[g, t - 1, RR_DEN] += w
                    pn[g, t - 1, RR_DEN] += 1
                    if b >= 2:  # a re-entry
                        pw[g, t - 1, RR_NUM] += w
                        pn[g, t - 1, RR_NUM] += 1
                        cw[g, 0] += w
                        cn[g] += 1
                        if scores:
                            cw[g, 1] += w * num[i, t]
                            now = np.int64(pattern[i, t])
                            new = now & ~np.int64(pattern[i, t - 1])
                            for j in range(d):
                                if (new >> j) & 1:
                                    cw[g, 2 + j] += w
                                if (now >> j) & 1:
                                    cw[g, 2 + d + j] += w
                if not poor_before:
                    pw[g, t - 1, FE_DEN] += w
                    pn[g, t - 1, FE_DEN] += 1
                    if b >= 2:
                        pw[g, t - 1, FE_NUM] += w
                        pn[g, t - 1, FE_NUM] += 1
            # -- an exit at t opens a new spell
            if a >= 2 and b >= 0 and b < 2:
                exited = True
                tx = t
                band = 1 if b == 1 else 0
                pw[g, t - 1, EXITS] += w
                pn[g, t - 1, EXITS] += 1
            # -- an exit across a gap (poor at an earlier observed wave, nonpoor now)
            # also makes the unit an "exited" one for the period rates and the stock,
            # as in decompose_change (re-entrant = poor at an earlier wave) and
            # relapse_risk; it opens no exit spell (its exit wave is unknown)
            if poor_before and b >= 0 and b < 2:
                exited = True
            # -- stock: poor at t among the units that exited at a wave <= t
            if exited and b >= 0:
                pw[g, t - 1, STOCK_DEN] += w
                pn[g, t - 1, STOCK_DEN] += 1
                if b >= 2:
                    pw[g, t - 1, STOCK_NUM] += w
                    pn[g, t - 1, STOCK_NUM] += 1
            if b >= 2:
                poor_before = True
            a = b
        if tx >= 0:  # the panel ends: censored after T - 1 - t_x waves at risk
            lw[g, band, tx, T - 1 - tx, CENSORED] += w
            ln[g, band, tx, T - 1 - tx, CENSORED] += 1


@kernel(inline="always")
def _add_outer(out, w2, d, n, last):
    """``out[u, v, :] += w2 * (d_u d_v, d_u n_v, n_u n_v)`` for ``u, v <= last``."""
    for u in range(last + 1):
        du = d[u]
        nu = n[u]
        if nu == 0.0:
            continue
        for v in range(last + 1):
            nv = n[v]
            if nv == 0.0:
                continue
            out[u, v, DD] += w2 * du * d[v]
            out[u, v, DN] += w2 * du * nv
            out[u, v, NN] += w2 * nu * nv


def relapse_cross_sums(
    state: np.ndarray,
    weight: np.ndarray,
    cell: np.ndarray,
    n_cells: int,
    tau_index: np.ndarray,
    n_taus: int,
    n_chunks: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Second moments of the per-unit life-table counts, per group cell.

    For each unit ``i`` with weight ``w_i`` let ``n_iu`` / ``d_iu`` be its exit spells at
    risk / re-entering at time ``u`` since exit (the exit spells of :func:`relapse_sums`).
    The linearised variance of a Kaplan-Meier survival over units needs only
    ``sum_i w_i^2 d_iu d_iv``, ``sum_i w_i^2 d_iu n_iv`` and ``sum_i w_i^2 n_iu n_iv``,
    which add up over units.

    Parameters
    ----------
    state : int8[N, T]
        State codes (C-contiguous); poor ``state >= 2``, unobserved ``state < 0``.
    weight : float64[N]
        Panel weight; a NaN weight drops the unit.
    cell : int64[N]
        Group cell of each unit, ``0 .. n_cells - 1``.
    tau_index : int64[T, T]
        Index of the duration in years ``y_{t_x+e} - y_{t_x}`` among the ``n_taus``
        distinct ones, for ``t_x >= 1``, ``e >= 1``, ``t_x + e < T`` (else ``-1``).
    n_chunks : int
        Contiguous chunks of units processed in parallel.

    Returns
    -------
    waves : float64[n_cells, 3, T, T, 3]
        ``[cell, slot, u, v, k]`` over the times since exit ``u, v`` (in waves); slot ``0``
        / ``1`` the spells of band ``0`` / ``1`` at exit only, slot ``2`` all spells; ``k``
        :data:`DD`, :data:`DN`, :data:`NN`.
    years : float64[n_cells, n_taus, n_taus, 3]
        The same over the durations in years (at risk at ``tau``: the spells whose event
        or censoring duration is at least ``tau``).
    """
    state, weight, cell = unit_arrays(state, weight, cell)
    tau_index = readonly_view(np.ascontiguousarray(tau_index, np.int64))
    n, T = state.shape
    K = n_taus
    n_chunks = cap_chunks.py_func(n_chunks, n, (n_cells + PAD) * (72 * T * T + 24 * max(K, 1) ** 2))
    cw = private_sums(n_chunks, n_cells, (3, T, T, 3), np.float64)
    cy = private_sums(n_chunks, n_cells, (max(K, 1), max(K, 1), 3), np.float64)
    _cross_par(state, weight, cell, tau_index, max(K, 1), n_chunks, cw, cy)
    waves = merge_chunks(cw, n_cells)
    years = merge_chunks(cy, n_cells)[:, :K, :K]  # one dummy duration without any (K = 0)
    return waves, years


@kernel(parallel=True, error_model="numpy")
def _cross_par(state, weight, cell, tau_index, k1, n_chunks, cw, cy):
    """Thin parallel loop of :func:`relapse_cross_sums`: one :func:`_cross_chunk` per chunk."""
    n = state.shape[0]
    for c in nb.prange(n_chunks):
        lo, hi = chunk_range(n, n_chunks, c)
        _cross_chunk(state, weight, cell, tau_index, k1, lo, hi, cw[c], cy[c])


@kernel(error_model="numpy")
def _cross_chunk(state, weight, cell, tau_index, k1, lo, hi, wv, yv):
    """Units ``lo .. hi - 1`` of :func:`relapse_cross_sums`, added to one chunk's sums
    (``k1``: the durations in years, at least one)."""
    T = state.shape[1]
    ni = np.zeros((3, T))  # the unit's spells at risk / re-entering at e, per slot
    di = np.zeros((3, T))
    ny = np.zeros(k1)  # ... along the durations in years
    dy = np.zeros(k1)
    for i in range(lo, hi):
        w = weight[i]
        if weight_missing(w):
            continue
        g = cell[i]
        row = state[i]
        last = 0  # the last e with a spell at risk
        lasty = -1  # the last duration index with a spell ending there
        tx = -1
        band = 0
        a = row[0]
        for t in range(1, T):
            b = row[t]
            if tx >= 0:
                e = t - tx
                if b < 0:  # a gap censors the spell after e - 1 waves at risk
                    if e > 1:
                        k = tau_index[tx, e - 1]
                        ny[k] += 1.0
                        lasty = max(lasty, k)
                    tx = -1
                else:
                    ni[band, e] += 1.0
                    last = max(last, e)
                    if b >= 2:
                        di[band, e] += 1.0
                        k = tau_index[tx, e]
                        dy[k] += 1.0
                        ny[k] += 1.0
                        lasty = max(lasty, k)
                        tx = -1
            if a >= 2 and b >= 0 and b < 2:
                tx = t
                band = 1 if b == 1 else 0
            a = b
        if tx >= 0 and T - 1 - tx > 0:  # the panel ends: censored
            k = tau_index[tx, T - 1 - tx]
            ny[k] += 1.0
            lasty = max(lasty, k)
        if last == 0:
            continue  # no exit spell at risk (nothing was written)
        w2 = w * w
        for e in range(T):
            ni[2, e] = ni[0, e] + ni[1, e]
            di[2, e] = di[0, e] + di[1, e]
        for sl in range(3):
            _add_outer(wv[g, sl], w2, di[sl], ni[sl], last)
        # at risk at tau: the spells ending (event or censoring) at tau or later
        for k in range(lasty - 1, -1, -1):
            ny[k] += ny[k + 1]
        _add_outer(yv[g], w2, dy, ny, lasty)
        ni[:, : last + 1] = 0.0
        di[:, : last + 1] = 0.0
        ny[: lasty + 1] = 0.0
        dy[: lasty + 1] = 0.0
