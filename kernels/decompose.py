"""Sufficient statistics of the entries / exits / stayers decomposition of a change.

For each pair of waves ``(t1, t2)`` every unit observed in both waves falls in one
*dynamic group* (Alkire et al. 2015, §9.3.4; Apablaza & Yalonetzky 2013):

* ``PP`` (0): poor at ``t1`` and at ``t2`` (the ongoing poor, "stayers");
* ``PN`` (1): poor at ``t1``, non-poor at ``t2`` (exiters);
* ``NP_RE`` (2): non-poor at ``t1``, poor at ``t2`` and poor at some observed wave before
  ``t1`` or flagged by a unit-level history variable (re-entrants, 返贫);
* ``NP_NEW`` (3): the other entrants (first-time entrants, 致贫);
* ``NN`` (4): non-poor at both waves.

The kernel loops over units (parallel contiguous chunks with private sums) with time inside
and adds, per cell (group of ``by``) x pair x dynamic group, the weighted sums listed in
:data:`NSTAT` order: the weight ``Σ s``, the score numerators ``Σ s·num`` at ``t1`` and at
``t2`` (the score is ``num / denom``) and the uncensored deprivation counts ``Σ s·g_j`` at
``t1`` and at ``t2``. All statistics are plain sums, so statistics of disjoint sets of
units add up exactly. Poverty is read from the integer state codes of
:mod:`mpi.kernels.panel` (poor ⇔ ``state >= POOR``), never from a float comparison.

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
from .panel import POOR, unit_arrays

__all__ = [
    "decompose_statistics",
    "PP",
    "PN",
    "NP_RE",
    "NP_NEW",
    "NN",
    "N_GROUPS",
    "SUMW",
    "SCORE1",
    "SCORE2",
    "DEP1",
    "n_stats",
]

#: Dynamic groups (axis 2 of the statistics).
PP, PN, NP_RE, NP_NEW, NN = 0, 1, 2, 3, 4
N_GROUPS = 5
#: Statistics (last axis): weight, score numerators at t1 and t2, then ``d`` deprivation
#: sums at t1 (``DEP1 + j``) and ``d`` at t2 (``DEP1 + d + j``).
SUMW, SCORE1, SCORE2, DEP1 = 0, 1, 2, 3
#: ``info`` columns: units without a weight, units dropped by the balance policy, units used
#: in at least one pair.
NO_WEIGHT, UNBALANCED, USED = 0, 1, 2


def n_stats(d: int) -> int:
    """Length of the statistics axis for ``d`` indicators."""
    return DEP1 + 2 * d


def decompose_statistics(
    state: np.ndarray,
    num: np.ndarray,
    pattern: np.ndarray,
    weight: np.ndarray,
    cell: np.ndarray,
    history: np.ndarray,
    t1: np.ndarray,
    t2: np.ndarray,
    require_all: bool,
    n_cells: int,
    d: int,
    n_chunks: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted sums per cell, wave pair and dynamic group.

    Parameters
    ----------
    state : int8[N, T]
        State codes (-1 unobserved, poor ⇔ ``>= 2``).
    num : int32[N, T]
        Exact score numerators (score ``num / denom``).
    pattern : int64[N, T]
        Deprivation bits (bit ``j`` set when deprived in indicator ``j``).
    weight : float64[N]
        Fixed panel weights; a NaN weight drops the unit (counted in ``info``).
    cell : int64[N]
        Group code ``0 .. n_cells - 1`` of each unit.
    history : uint8[N]
        1 marks a unit as a past poor (re-entrant when it enters poverty); zeros otherwise.
    t1, t2 : int64[P]
        Wave indices of the pairs (``t1[p] < t2[p]``).
    require_all : bool
        ``True``: only units observed in every wave are used (balanced panel); ``False``:
        each pair uses the units observed in both its waves.
    n_cells, d, n_chunks : int
        Cells, indicators and most contiguous chunks of units
        (:func:`mpi.kernels.panel.chunk_count`), each with private sums merged in chunk
        order (fewer when those would take too much memory: :func:`~._config.cap_chunks`);
        the same bits for any number of threads.

    Returns
    -------
    stats : float64[n_cells, P, N_GROUPS, 3 + 2 d]
        Weighted sums (see the module docstring).
    counts : int64[n_cells, P, N_GROUPS]
        Units per cell, pair and dynamic group (unweighted).
    info : int64[3]
        Units without a weight, units dropped by the balance policy (weighted units only),
        units used in at least one pair.

    Notes
    -----
    The private sums are allocated and merged (in chunk order) here with numpy; a thin
    parallel kernel runs one serial chunk body per chunk, on read-only inputs.
    """
    state, weight, cell = unit_arrays(state, weight, cell)
    num = readonly_view(np.ascontiguousarray(num))
    pattern = readonly_view(np.ascontiguousarray(pattern))
    history = readonly_view(np.ascontiguousarray(history, np.uint8))
    t1 = readonly_view(np.ascontiguousarray(t1, np.int64))
    t2 = readonly_view(np.ascontiguousarray(t2, np.int64))
    n = state.shape[0]
    n_pairs = t1.shape[0]
    ns = DEP1 + 2 * d
    private = 8 * (n_cells + PAD) * n_pairs * N_GROUPS * (ns + 1) + 8 * PAD
    n_chunks = cap_chunks.py_func(n_chunks, n, private)
    stats_c = private_sums(n_chunks, n_cells, (n_pairs, N_GROUPS, ns), np.float64)
    counts_c = private_sums(n_chunks, n_cells, (n_pairs, N_GROUPS), np.int64)
    info_c = private_sums(n_chunks, 3, (), np.int64)
    _stats_par(state, num, pattern, weight, cell, history, t1, t2, bool(require_all), d,
               n_chunks, stats_c, counts_c, info_c)  # fmt: skip
    stats = merge_chunks(stats_c, n_cells)
    counts = merge_chunks(counts_c, n_cells)
    info = merge_chunks(info_c, 3)
    return stats, counts, info


@kernel(parallel=True, error_model="numpy")
def _stats_par(state, num, pattern, weight, cell, history, t1, t2, require_all, d, n_chunks,
               stats_c, counts_c, info_c):  # fmt: skip
    """Thin parallel loop of :func:`decompose_statistics`: one chunk body per chunk."""
    n = state.shape[0]
    for c in nb.prange(n_chunks):
        lo, hi = chunk_range(n, n_chunks, c)
        _stats_chunk(state, num, pattern, weight, cell, history, t1, t2, require_all, d, lo,
                     hi, stats_c[c], counts_c[c], info_c[c])  # fmt: skip


@kernel(error_model="numpy")
def _stats_chunk(state, num, pattern, weight, cell, history, t1, t2, require_all, d, lo, hi,
                 st, ct, info):  # fmt: skip
    """Units ``lo .. hi - 1`` of :func:`decompose_statistics`, added to one chunk's sums."""
    n_waves = state.shape[1]
    n_pairs = t1.shape[0]
    for i in range(lo, hi):
        w = weight[i]
        if weight_missing(w):
            info[NO_WEIGHT] += 1
            continue
        first_poor = n_waves
        all_obs = True
        for t in range(n_waves):
            s = state[i, t]
            if s < 0:
                all_obs = False
            elif s >= POOR and first_poor == n_waves:
                first_poor = t
        if require_all and not all_obs:
            info[UNBALANCED] += 1
            continue
        past = history[i] != 0
        k = cell[i]
        used = False
        for p in range(n_pairs):
            a = t1[p]
            b = t2[p]
            sa = state[i, a]
            sb = state[i, b]
            if sa < 0 or sb < 0:
                continue
            used = True
            if sa >= POOR:
                g = PP if sb >= POOR else PN
            elif sb >= POOR:
                g = NP_RE if (past or first_poor < a) else NP_NEW
            else:
                g = NN
            row = st[k, p, g]
            row[SUMW] += w
            row[SCORE1] += w * num[i, a]
            row[SCORE2] += w * num[i, b]
            pa = pattern[i, a]
            pb = pattern[i, b]
            for j in range(d):
                if (pa >> j) & 1:
                    row[DEP1 + j] += w
                if (pb >> j) & 1:
                    row[DEP1 + d + j] += w
            ct[k, p, g] += 1
        if used:
            info[USED] += 1
        elif not require_all:
            info[UNBALANCED] += 1
