"""Early-warning features and transition counts of a panel, in one pass over the states.

:func:`risk_counts` reads the ``(unit, time)`` state array (``-1`` unobserved, ``0``
nonpoor, ``1`` vulnerable, ``2`` poor, ``3`` severe; poor = state >= 2) unit by unit with
time inside, in contiguous chunks of units processed in parallel. For every observed
unit-wave it computes the features of the early-warning model from the unit's *past and
present* only:

* ``band``: the state (four bands) or poor/nonpoor (two bands, ``n_bands = 2``);
* ``history``: the number of earlier observed poor waves, capped at ``max_history``;
* ``tse``: time since the last exit in waves, ``0`` when the unit is poor now or was never
  observed exiting, else ``min(t - u + 1, 3)`` for the last exit at wave ``u`` (the wave
  first observed nonpoor after an observed poor wave; gaps are bridged), so ``tse = 1`` at
  the exit wave, whose next wave is the first at risk of re-entry;
* ``exited``: 1 when an exit was observed at or before the wave (also while poor again).

and writes the code of the unit-wave's *full cell*
``((band * H + history) * E + tse) * 2 + exited`` (``H = max_history + 1``, ``E = 4``).
With a finite weight and an observed target wave ``t + horizon`` it adds the unit-wave to
additive sums per ``(target wave, full cell)``: weighted and unweighted numbers of
unit-waves and of those poor at the target wave. The sums of disjoint sets of units add up
exactly, and every coarser cell table is a sum over axes of the full one.

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

__all__ = ["risk_counts", "N_TSE", "full_cells", "USED", "NO_WEIGHT"]

#: Time-since-exit categories: 0 (never exited / poor now), 1, 2, >= 3 waves.
N_TSE = 4
#: Columns of ``units[2]``: units with a finite weight, units dropped for a NaN weight.
USED, NO_WEIGHT = 0, 1


def full_cells(n_bands: int, max_history: int) -> int:
    """Number of full cells ``band x history x tse x exited``."""
    return n_bands * (max_history + 1) * N_TSE * 2


def risk_counts(
    state: np.ndarray,
    weight: np.ndarray,
    n_bands: int,
    max_history: int,
    horizon: int,
    n_chunks: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Full-cell codes of every unit-wave and the transition sums per target wave.

    Parameters
    ----------
    state : int8[N, T]
        State codes (C-contiguous), ``-1`` unobserved.
    weight : float64[N]
        Panel weight per unit; a NaN weight keeps the unit out of the sums (its codes are
        still written, so it can be scored).
    n_bands : int
        4 (nonpoor, vulnerable, poor, severe = the state) or 2 (nonpoor, poor).
    max_history : int
        Cap of the count of earlier poor waves.
    horizon : int
        Waves ahead of the target (``t + horizon``).
    n_chunks : int
        Most contiguous chunks of units (:func:`mpi.kernels.panel.chunk_count`), each with
        private sums merged in chunk order (fewer when those would take too much memory:
        :func:`~._config.cap_chunks`); the same bits for any number of threads.

    Returns
    -------
    code : int16[N, T]
        Full-cell code of each unit-wave, ``-1`` when unobserved.
    sum_w : float64[T, n_full, 2]
        ``sum_w[t', c, 0]`` = sum of weights of the unit-waves in full cell ``c`` at wave
        ``t' - horizon`` observed at the target wave ``t'``; ``[..., 1]`` the same for the
        ones poor at ``t'``. Rows ``t' < horizon`` are zero.
    sum_n : int64[T, n_full, 2]
        The same, unweighted.
    units : int64[2]
        Units with a finite weight (:data:`USED`) and without (:data:`NO_WEIGHT`).

    Notes
    -----
    The private sums (per chunk: ``T + 1`` wave rows, each padded, so that two threads
    never share a cache line) are allocated and merged (in chunk order) here with numpy; a
    thin parallel kernel runs one serial chunk body per chunk, on read-only inputs.
    """
    state = readonly_view(np.ascontiguousarray(state, np.int8))
    weight = readonly_view(np.ascontiguousarray(weight, np.float64))
    n, T = state.shape
    H = max_history + 1
    n_full = n_bands * H * N_TSE * 2
    n_chunks = cap_chunks.py_func(n_chunks, n, 32 * (T + 1) * (n_full + PAD) + 8 * (2 + PAD))
    code = np.empty((n, T), np.int16)
    cw = np.zeros((n_chunks, T + 1, n_full + PAD, 2))
    cn = np.zeros((n_chunks, T + 1, n_full + PAD, 2), np.int64)
    cu = private_sums(n_chunks, 2, (), np.int64)
    _risk_par(state, weight, n_bands, max_history, horizon, n_chunks, code, cw, cn, cu)
    sum_w = merge_chunks(cw, T)[:, :n_full].copy()
    sum_n = merge_chunks(cn, T)[:, :n_full].copy()
    units = merge_chunks(cu, 2)
    return code, sum_w, sum_n, units


@kernel(parallel=True, error_model="numpy")
def _risk_par(state, weight, n_bands, max_history, horizon, n_chunks, code, cw, cn, cu):
    """Thin parallel loop of :func:`risk_counts`: one :func:`_risk_chunk` per chunk."""
    n = state.shape[0]
    for c in nb.prange(n_chunks):
        lo, hi = chunk_range(n, n_chunks, c)
        _risk_chunk(state, weight, n_bands, max_history, horizon, lo, hi, code, cw[c], cn[c],
                    cu[c])  # fmt: skip


@kernel(error_model="numpy")
def _risk_chunk(state, weight, n_bands, max_history, horizon, lo, hi, code, sw, sn, un):
    """Units ``lo .. hi - 1`` of :func:`risk_counts`: their codes, added to one chunk's sums."""
    T = state.shape[1]
    H = max_history + 1
    for i in range(lo, hi):
        w = weight[i]
        ok = not weight_missing(w)
        if ok:
            un[USED] += 1
        else:
            un[NO_WEIGHT] += 1
        past_poor = 0
        last_exit = -1
        prev = -1  # poverty (0/1) at the last observed wave, -1 before any
        for t in range(T):
            s = state[i, t]
            if s < 0:
                code[i, t] = -1
                continue
            p = 1 if s >= 2 else 0
            if prev == 1 and p == 0:
                last_exit = t
            if n_bands == 4:
                band = s
            else:
                band = p
            hist = past_poor if past_poor < max_history else max_history
            if p == 1 or last_exit < 0:
                tse = 0
            else:
                tse = t - last_exit + 1
                if tse > N_TSE - 1:
                    tse = N_TSE - 1
            ex = 1 if last_exit >= 0 else 0
            k = ((band * H + hist) * N_TSE + tse) * 2 + ex
            code[i, t] = k
            if ok and t + horizon < T:
                s2 = state[i, t + horizon]
                if s2 >= 0:
                    sw[t + horizon, k, 0] += w
                    sn[t + horizon, k, 0] += 1
                    if s2 >= 2:
                        sw[t + horizon, k, 1] += w
                        sn[t + horizon, k, 1] += 1
            past_poor += p
            prev = p
