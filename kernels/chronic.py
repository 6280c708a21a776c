"""Additive statistics of chronic (duration-sensitive) poverty, one pass over a panel.

Three kernels read a panel unit by unit, with time inside, and add each unit's
contribution to weighted sums of its cell (group). The sums of disjoint sets of units
(threads, chunks, groups) add up exactly; :mod:`mpi.chronic` turns them into measures.

* :func:`chronic_time_first` -- Alkire, Apablaza, Chakravarty & Yalonetzky (2017): a
  unit-wave is poor by the AF cutoff ``k`` (its state), a unit is chronically poor when
  it is poor in at least ``m_i = ceil(tau * T_i)`` of its waves.
* :func:`chronic_dims_first` -- Apablaza & Yalonetzky: a unit is chronically deprived in
  indicator ``j`` when deprived in at least ``ceil(tau_j * T_i)`` waves, and poor when the
  weighted count of its chronic deprivations reaches ``k``.
* :func:`duration_adjusted_stats` -- Foster (2009): duration-adjusted FGT measures of an
  income variable.

Every cutoff decision is made on integers: wave counts against ``m_i`` computed as
``(tau_num * T_i + tau_den - 1) // tau_den`` and integer scores against ``k = a/b`` as
``score * b >= a * denom``. ``T_i`` is the number of observed waves of unit ``i`` (all
``T`` under the balanced policy). Weighted sums carry ``1 / T_i`` per unit, so the
*observed* policy keeps every unit's weight equal. This module imports only numpy and numba.
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
    "chronic_time_first",
    "chronic_dims_first",
    "duration_adjusted_stats",
    "S_W",
    "S_DUR",
    "S_SCORE",
    "S_CHI_W",
    "S_CHI_DUR",
    "S_CHI_SCORE",
    "NS",
    "T_OBS",
    "T_POOR",
    "T_SCORE",
    "T_CHI_POOR",
    "T_CHI_SCORE",
    "NT",
    "J_CHI",
    "J_TR",
    "NJ",
    "C_USED",
    "C_DROP_WAVES",
    "C_DROP_WEIGHT",
    "NC",
    "U_W",
    "U_POOR",
    "U_SCORE",
    "NU",
    "D_UNCENSORED",
    "D_CENSORED",
    "ND",
]

# per cell x periods-poor s statistics (``sstat[C, T + 1, NS]``); "/T_i" = divided by the
# unit's observed waves, "num" = integer score numerator over ``denom``
S_W = 0  # sum w
S_DUR = 1  # sum w P_i / T_i          (P_i = poor waves)
S_SCORE = 2  # sum w sum_t num p / T_i
S_CHI_W = 3  # sum w chi
S_CHI_DUR = 4  # sum w chi P_i / T_i
S_CHI_SCORE = 5  # sum w chi sum_t num p / T_i
NS = 6
# per cell x wave statistics (``tstat[C, T, NT]``)
T_OBS = 0  # sum w [observed]
T_POOR = 1  # sum w p_t
T_SCORE = 2  # sum w num_t p_t
T_CHI_POOR = 3  # sum w chi p_t
T_CHI_SCORE = 4  # sum w chi num_t p_t
NT = 5
# per cell x indicator statistics (``jstat[C, d, NJ]``)
J_CHI = 0  # sum w chi sum_t g_jt p_t / T_i
J_TR = 1  # sum w (1 - chi) sum_t g_jt p_t / T_i
NJ = 2
# per cell unit counts (``count[C, NC]``, int64)
C_USED = 0
C_DROP_WAVES = 1  # too few observed waves for the balance policy
C_DROP_WEIGHT = 2  # missing (NaN) weight
NC = 3
# dimensions-first per cell statistics (``ustat[C, NU]``)
U_W = 0  # sum w
U_POOR = 1  # sum w poor
U_SCORE = 2  # sum w cC poor (integer cC over denom)
NU = 3
# dimensions-first per cell x indicator statistics (``dstat[C, d, ND]``)
D_UNCENSORED = 0  # sum w gC_j
D_CENSORED = 1  # sum w gC_j poor
ND = 2


@kernel(inline="always")
def _ceil_count(tau_num, tau_den, t_i):
    """``ceil(tau * T_i)`` exactly, for ``tau = tau_num / tau_den > 0``."""
    return (tau_num * t_i + tau_den - 1) // tau_den


@kernel(inline="always")
def _use_unit(n_obs, n_waves, observed, min_waves):
    if observed:
        return n_obs >= min_waves and n_obs > 0
    return n_obs == n_waves


def chronic_time_first(
    state: np.ndarray,
    num: np.ndarray,
    pattern: np.ndarray,
    weight: np.ndarray,
    cell: np.ndarray,
    n_cells: int,
    d: int,
    observed: bool,
    min_waves: int,
    tau_num: int,
    tau_den: int,
    n_chunks: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Chronic (AACY) and transient statistics: AF poverty per wave, then duration.

    Parameters
    ----------
    state : int8[N, T]
        Unit-wave state codes (-1 unobserved; poor when ``>= 2``).
    num : int32[N, T]
        Integer score numerators (over the weights' common denominator).
    pattern : int64[N, T]
        Deprivation bits (bit ``j`` = deprived in indicator ``j``).
    weight : float64[N]
        Panel weights; NaN drops the unit (counted in ``C_DROP_WEIGHT``).
    cell : int64[N]
        Group cell of each unit, ``0 .. n_cells - 1``.
    d : int
        Number of indicators.
    observed : bool
        ``False``: use the units observed in every wave (``T_i = T``). ``True``: use every
        unit with ``T_i >= min_waves`` observed waves.
    tau_num, tau_den : int
        Duration cutoff ``tau = tau_num / tau_den``; chronic when poor in at least
        ``ceil(tau * T_i)`` observed waves.
    n_chunks : int
        Most contiguous chunks of units (:func:`mpi.kernels.panel.chunk_count`), each with
        private sums merged in chunk order (fewer when those would take too much memory:
        :func:`~._config.cap_chunks`); the same bits for any number of threads.

    Returns
    -------
    sstat : float64[n_cells, T + 1, NS]
        Sums per cell and number of poor waves ``s`` (see the ``S_*`` constants).
    tstat : float64[n_cells, T, NT]
        Sums per cell and wave (``T_*``).
    jstat : float64[n_cells, d, NJ]
        Censored deprivation sums per cell and indicator (``J_*``).
    count : int64[n_cells, NC]
        Units used and dropped per cell (``C_*``).

    Notes
    -----
    The private sums are allocated and merged (in chunk order) here with numpy; a thin
    parallel kernel runs one serial chunk body per chunk, on read-only inputs.
    """
    state, weight, cell = unit_arrays(state, weight, cell)
    num = readonly_view(np.ascontiguousarray(num))
    pattern = readonly_view(np.ascontiguousarray(pattern))
    n, n_waves = state.shape
    entries = (n_waves + 1) * NS + n_waves * NT + d * NJ + NC  # per cell of a chunk
    n_chunks = cap_chunks.py_func(n_chunks, n, 8 * (n_cells + PAD) * entries)
    sst = private_sums(n_chunks, n_cells, (n_waves + 1, NS), np.float64)
    tst = private_sums(n_chunks, n_cells, (n_waves, NT), np.float64)
    jst = private_sums(n_chunks, n_cells, (d, NJ), np.float64)
    cnt = private_sums(n_chunks, n_cells, (NC,), np.int64)
    _time_first_par(state, num, pattern, weight, cell, d, bool(observed), min_waves, tau_num,
                    tau_den, n_chunks, sst, tst, jst, cnt)  # fmt: skip
    sstat = merge_chunks(sst, n_cells)
    tstat = merge_chunks(tst, n_cells)
    jstat = merge_chunks(jst, n_cells)
    count = merge_chunks(cnt, n_cells)
    return sstat, tstat, jstat, count


@kernel(parallel=True, error_model="numpy")
def _time_first_par(state, num, pattern, weight, cell, d, observed, min_waves, tau_num, tau_den,
                    n_chunks, sst, tst, jst, cnt):  # fmt: skip
    """Thin parallel loop of :func:`chronic_time_first`: one chunk body per chunk."""
    n = state.shape[0]
    for c in nb.prange(n_chunks):
        lo, hi = chunk_range(n, n_chunks, c)
        _time_first_chunk(state, num, pattern, weight, cell, d, observed, min_waves, tau_num,
                          tau_den, lo, hi, sst[c], tst[c], jst[c], cnt[c])  # fmt: skip


@kernel(error_model="numpy")
def _time_first_chunk(state, num, pattern, weight, cell, d, observed, min_waves, tau_num,
                      tau_den, lo, hi, sst, tst, jst, cnt):  # fmt: skip
    """Units ``lo .. hi - 1`` of :func:`chronic_time_first`, added to one chunk's sums."""
    n_waves = state.shape[1]
    gsum = np.zeros(d, np.int64)
    # the unit's waves as read once: -1 unobserved, -2 observed and not poor, else num
    unum = np.zeros(n_waves, np.int64)
    for i in range(lo, hi):
        g = cell[i]
        w = weight[i]
        if weight_missing(w):
            cnt[g, C_DROP_WEIGHT] += 1
            continue
        n_obs = 0
        n_poor = 0
        score = np.int64(0)
        for j in range(d):
            gsum[j] = 0
        for t in range(n_waves):  # the unit's only pass over its states
            st = state[i, t]
            if st < 0:
                unum[t] = -1
                continue
            n_obs += 1
            if st >= POOR:
                v = np.int64(num[i, t])
                unum[t] = v
                n_poor += 1
                score += v
                pat = pattern[i, t]
                for j in range(d):
                    gsum[j] += (pat >> j) & 1
            else:
                unum[t] = -2
        if not _use_unit(n_obs, n_waves, observed, min_waves):
            cnt[g, C_DROP_WAVES] += 1
            continue
        cnt[g, C_USED] += 1
        chi = n_poor >= _ceil_count(tau_num, tau_den, n_obs)
        ws = w / n_obs
        row = sst[g, n_poor]
        row[S_W] += w
        row[S_DUR] += ws * n_poor
        row[S_SCORE] += ws * score
        if chi:
            row[S_CHI_W] += w
            row[S_CHI_DUR] += ws * n_poor
            row[S_CHI_SCORE] += ws * score
        tw = tst[g]
        for t in range(n_waves):
            v = unum[t]
            if v == -1:
                continue
            tw[t, T_OBS] += w
            if v >= 0:
                tw[t, T_POOR] += w
                tw[t, T_SCORE] += w * v
                if chi:
                    tw[t, T_CHI_POOR] += w
                    tw[t, T_CHI_SCORE] += w * v
        if n_poor:
            col = J_CHI if chi else J_TR
            for j in range(d):
                jst[g, j, col] += ws * gsum[j]


def chronic_dims_first(
    state: np.ndarray,
    pattern: np.ndarray,
    weight: np.ndarray,
    cell: np.ndarray,
    n_cells: int,
    observed: bool,
    min_waves: int,
    tau_num: np.ndarray,
    tau_den: np.ndarray,
    wint: np.ndarray,
    denom: int,
    k_num: int,
    k_den: int,
    n_chunks: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chronic deprivation per indicator, then AF counting across indicators.

    Unit ``i`` is chronically deprived in ``j`` when deprived in at least
    ``ceil(tau_j * T_i)`` of its observed waves (``tau_j = tau_num[j] / tau_den[j]``); its
    chronic score is ``cC_i = sum_j wint_j gC_ij`` (an integer over ``denom``) and it is
    poor when ``cC_i * k_den >= k_num * denom``.

    Returns
    -------
    ustat : float64[n_cells, NU]
        ``U_*`` sums per cell.
    dstat : float64[n_cells, d, ND]
        Chronic deprivation sums per cell and indicator (``D_*``).
    count : int64[n_cells, NC]
        Units used and dropped per cell (``C_*``).

    Notes
    -----
    The private sums are allocated and merged (in chunk order) here with numpy; a thin
    parallel kernel runs one serial chunk body per chunk, on read-only inputs.
    """
    state, weight, cell = unit_arrays(state, weight, cell)
    pattern = readonly_view(np.ascontiguousarray(pattern))
    tau_num = readonly_view(np.ascontiguousarray(tau_num, np.int64))
    tau_den = readonly_view(np.ascontiguousarray(tau_den, np.int64))
    wint = readonly_view(np.ascontiguousarray(wint, np.int64))
    n, n_waves = state.shape
    d = wint.shape[0]
    n_chunks = cap_chunks.py_func(n_chunks, n, 8 * (n_cells + PAD) * (NU + d * ND + NC))
    ust = private_sums(n_chunks, n_cells, (NU,), np.float64)
    dst = private_sums(n_chunks, n_cells, (d, ND), np.float64)
    cnt = private_sums(n_chunks, n_cells, (NC,), np.int64)
    _dims_first_par(state, pattern, weight, cell, bool(observed), min_waves, tau_num, tau_den,
                    wint, denom, k_num, k_den, n_chunks, ust, dst, cnt)  # fmt: skip
    ustat = merge_chunks(ust, n_cells)
    dstat = merge_chunks(dst, n_cells)
    count = merge_chunks(cnt, n_cells)
    return ustat, dstat, count


@kernel(parallel=True, error_model="numpy")
def _dims_first_par(state, pattern, weight, cell, observed, min_waves, tau_num, tau_den, wint,
                    denom, k_num, k_den, n_chunks, ust, dst, cnt):  # fmt: skip
    """Thin parallel loop of :func:`chronic_dims_first`: one chunk body per chunk."""
    n = state.shape[0]
    for c in nb.prange(n_chunks):
        lo, hi = chunk_range(n, n_chunks, c)
        _dims_first_chunk(state, pattern, weight, cell, observed, min_waves, tau_num, tau_den,
                          wint, denom, k_num, k_den, lo, hi, ust[c], dst[c], cnt[c])  # fmt: skip


@kernel(error_model="numpy")
def _dims_first_chunk(state, pattern, weight, cell, observed, min_waves, tau_num, tau_den, wint,
                      denom, k_num, k_den, lo, hi, ust, dst, cnt):  # fmt: skip
    """Units ``lo .. hi - 1`` of :func:`chronic_dims_first`, added to one chunk's sums."""
    n_waves = state.shape[1]
    d = wint.shape[0]
    gsum = np.zeros(d, np.int64)
    for i in range(lo, hi):
        g = cell[i]
        w = weight[i]
        if weight_missing(w):
            cnt[g, C_DROP_WEIGHT] += 1
            continue
        n_obs = 0
        for j in range(d):
            gsum[j] = 0
        for t in range(n_waves):
            if state[i, t] < 0:
                continue
            n_obs += 1
            pat = pattern[i, t]
            for j in range(d):
                gsum[j] += (pat >> j) & 1
        if not _use_unit(n_obs, n_waves, observed, min_waves):
            cnt[g, C_DROP_WAVES] += 1
            continue
        cnt[g, C_USED] += 1
        cc = np.int64(0)
        for j in range(d):
            if gsum[j] >= _ceil_count(tau_num[j], tau_den[j], n_obs):
                gsum[j] = 1
                cc += wint[j]
            else:
                gsum[j] = 0
        poor = cc * k_den >= k_num * denom
        ust[g, U_W] += w
        if poor:
            ust[g, U_POOR] += w
            ust[g, U_SCORE] += w * cc
        for j in range(d):
            if gsum[j]:
                dst[g, j, D_UNCENSORED] += w
                if poor:
                    dst[g, j, D_CENSORED] += w


def duration_adjusted_stats(
    y: np.ndarray,
    line: np.ndarray,
    weight: np.ndarray,
    cell: np.ndarray,
    n_cells: int,
    observed: bool,
    min_waves: int,
    tau_num: int,
    tau_den: int,
    alpha: np.ndarray,
    n_chunks: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Foster (2009) duration-adjusted FGT statistics of an income panel.

    A wave is poor when ``y_it < z_t`` (strict); its normalised gap
    ``gamma = (z_t - y_it) / z_t`` is capped to ``[0, 1]`` (a negative income has gap 1);
    ``gamma ** 0`` is the poverty indicator. NaN income marks an unobserved wave.

    Returns
    -------
    ustat : float64[n_cells, 3 + A]
        Per cell ``sum w``, ``sum w chi``, ``sum w chi P_i / T_i`` and, per ``alpha``,
        ``sum w chi sum_t gamma^alpha pi / T_i``.
    tstat : float64[n_cells, T, 1 + A]
        Per cell and wave ``sum w [observed]`` and, per ``alpha``,
        ``sum w gamma^alpha pi`` (the per-wave FGT numerators).
    count : int64[n_cells, NC]
        Units used and dropped per cell (``C_*``).

    Notes
    -----
    The private sums are allocated and merged (in chunk order) here with numpy; a thin
    parallel kernel runs one serial chunk body per chunk, on read-only inputs.
    """
    y = readonly_view(np.ascontiguousarray(y, np.float64))
    line = readonly_view(np.ascontiguousarray(line, np.float64))
    weight = readonly_view(np.ascontiguousarray(weight, np.float64))
    cell = readonly_view(np.ascontiguousarray(cell, np.int64))
    alpha = readonly_view(np.ascontiguousarray(alpha, np.float64))
    n, n_waves = y.shape
    na = alpha.shape[0]
    entries = 3 + na + n_waves * (1 + na) + NC  # per cell of a chunk
    n_chunks = cap_chunks.py_func(n_chunks, n, 8 * (n_cells + PAD) * entries)
    ust = private_sums(n_chunks, n_cells, (3 + na,), np.float64)
    tst = private_sums(n_chunks, n_cells, (n_waves, 1 + na), np.float64)
    cnt = private_sums(n_chunks, n_cells, (NC,), np.int64)
    _duration_par(y, line, weight, cell, bool(observed), min_waves, tau_num, tau_den, alpha,
                  n_chunks, ust, tst, cnt)  # fmt: skip
    ustat = merge_chunks(ust, n_cells)
    tstat = merge_chunks(tst, n_cells)
    count = merge_chunks(cnt, n_cells)
    return ustat, tstat, count


@kernel(parallel=True, error_model="numpy")
def _duration_par(y, line, weight, cell, observed, min_waves, tau_num, tau_den, alpha, n_chunks,
                  ust, tst, cnt):  # fmt: skip
    """Thin parallel loop of :func:`duration_adjusted_stats`: one chunk body per chunk."""
    n = y.shape[0]
    for c in nb.prange(n_chunks):
        lo, hi = chunk_range(n, n_chunks, c)
        _duration_chunk(y, line, weight, cell, observed, min_waves, tau_num, tau_den, alpha,
                        lo, hi, ust[c], tst[c], cnt[c])  # fmt: skip


@kernel(error_model="numpy")
def _duration_chunk(y, line, weight, cell, observed, min_waves, tau_num, tau_den, alpha, lo, hi,
                    ust, tst, cnt):  # fmt: skip
    """Units ``lo .. hi - 1`` of :func:`duration_adjusted_stats`, added to one chunk's sums."""
    n_waves = y.shape[1]
    na = alpha.shape[0]
    status = np.zeros(n_waves, np.int8)  # -1 unobserved, 0 not poor, 1 poor
    gpow = np.zeros((n_waves, na))  # gamma^alpha of the unit's poor waves
    gsum = np.zeros(na)
    for i in range(lo, hi):
        g = cell[i]
        w = weight[i]
        if weight_missing(w):
            cnt[g, C_DROP_WEIGHT] += 1
            continue
        n_obs = 0
        n_poor = 0
        for a in range(na):
            gsum[a] = 0.0
        for t in range(n_waves):  # the unit's only pass over its incomes
            x = y[i, t]
            if x != x:
                status[t] = -1
                continue
            n_obs += 1
            z = line[t]
            if x < z:
                status[t] = 1
                n_poor += 1
                gg = min((z - x) / z, 1.0)
                for a in range(na):
                    e = alpha[a]
                    # gamma^0 := 1 in a poor wave; exact products for alpha 1 and 2
                    v = 1.0 if e == 0.0 else (gg if e == 1.0 else (gg * gg if e == 2.0 else gg**e))
                    gpow[t, a] = v
                    gsum[a] += v
            else:
                status[t] = 0
        if not _use_unit(n_obs, n_waves, observed, min_waves):
            cnt[g, C_DROP_WAVES] += 1
            continue
        cnt[g, C_USED] += 1
        ws = w / n_obs
        ust[g, 0] += w
        if n_poor >= _ceil_count(tau_num, tau_den, n_obs):
            ust[g, 1] += w
            ust[g, 2] += ws * n_poor
            for a in range(na):
                ust[g, 3 + a] += ws * gsum[a]
        for t in range(n_waves):
            if status[t] < 0:
                continue
            tst[g, t, 0] += w
            if status[t]:
                for a in range(na):
                    tst[g, t, 1 + a] += w * gpow[t, a]
