"""Alkire-Foster sufficient statistics in one fused pass over the units.

The kernel reads each indicator column once, evaluates the deprivation rule, computes the
unit's *exact* rational deprivation score, identifies the poor for every requested ``k``
and adds the unit's contribution to additive statistics of its cell (group, PSU, ...).
Nothing of size ``n x d`` is ever allocated: rules are evaluated on blocks of
``BLOCK`` units held in small per-thread buffers.

Statistics are plain weighted sums, so statistics of disjoint sets of units (threads,
chunks of a dask array, PSUs, groups) add up exactly; :mod:`mpi.finalize` turns them into
measures. This module imports only numpy and numba.

Layout of the outputs (``C`` cells, ``K`` cutoffs, ``d`` indicators):

``base[C, NB]``
    ``SUMW`` (sum of weights of the units used), ``NOBS`` (count of units used),
    ``NDROP`` (count of units dropped for missing values), ``SEVERE`` (sum of weights with
    ``c >= severe``), ``SCORE`` (sum of ``s * c``).
``ind[C, NI, d]``
    ``OBS`` (sum of weights of used units observing the indicator), ``DEP`` (sum of weights
    deprived), ``NMISS`` (count of units, used or dropped, with the indicator missing).
``kst[C, K, NK]``
    ``POOR`` (sum ``s p``), ``CP`` (sum ``s c p``), ``C2P`` (sum ``s c^2 p``), ``VULN``
    (sum ``s`` over ``vulnerable <= c < k``), ``M1`` (sum ``s p sum_j w_j gap_j``), ``M2``
    (same with squared gaps).
``kind[C, K, NKI, d]``
    ``CDEP`` (sum ``s g_j p``), ``CONTRIB`` (sum ``s w_ij g_j p`` with the unit's effective
    weight ``w_ij``; equal to ``w_j`` unless missing values were reweighted).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ._config import CACHE, PARALLEL

__all__ = [
    "af_statistics",
    "RULE_CODES",
    "BLOCK",
]

#: Deprivation rules understood by the kernel (``in`` and string comparisons are encoded
#: as 0/1 flags before the kernel runs).
RULE_CODES = {"flag": 0, "<": 1, "<=": 2, ">": 3, ">=": 4, "==": 5, "!=": 6}
FLAG, LT, LE, GT, GE, EQ, NE = 0, 1, 2, 3, 4, 5, 6

# field positions (see the module docstring)
SUMW, NOBS, NDROP, SEVERE, SCORE = 0, 1, 2, 3, 4
NB = 5
OBS, DEP, NMISS = 0, 1, 2
NI = 3
POOR, CP, C2P, VULN, M1, M2 = 0, 1, 2, 3, 4, 5
NK = 6
CDEP, CONTRIB = 0, 1
NKI = 2

# error codes written to ``err[:, 0]``
ERR_FLAG_VALUE = 1  # a 0/1 variable holds another value
ERR_NEG_WEIGHT = 2  # negative or infinite sampling weight
ERR_DENOMINATOR = 3  # reweighting needs a denominator too large for exact integers

#: Units per block of the per-thread buffers: 256 x d bytes of flags stay in L1 cache.
BLOCK = 256
#: Largest common denominator of reweighted dimension shares (keeps products < 2**63).
MAX_REWEIGHT_DENOMINATOR = 10**6


@nb.njit(cache=CACHE, nogil=True, inline="always")
def _gcd(a, b):
    while b:
        a, b = b, a % b
    return a


@nb.njit(cache=CACHE, nogil=True, inline="always")
def _deprived(x, rule, z):
    if rule == LT:
        return x < z
    if rule == LE:
        return x <= z
    if rule == GT:
        return x > z
    if rule == GE:
        return x >= z
    if rule == EQ:
        return x == z
    if rule == NE:
        return x != z
    return x == 1.0  # FLAG; other values are rejected by the caller


@nb.njit(parallel=PARALLEL, cache=CACHE, nogil=True)
def af_statistics(
    cols,
    rules,
    cutoffs,
    cardinal,
    wint,
    dim_of,
    n_dims,
    denom,
    sweight,
    cell,
    n_cells,
    k_num,
    k_den,
    vul_num,
    vul_den,
    sev_num,
    sev_den,
    reweight,
    n_chunks,
):
    """Additive AF statistics per cell, one pass over the units.

    Parameters
    ----------
    cols : numba.typed.List of float64[:]
        One achievement (or 0/1 flag) column per indicator; NaN marks a missing value.
    rules, cutoffs, cardinal : int64[d], float64[d], bool[d]
        Rule code (:data:`RULE_CODES`), cutoff ``z_j`` and cardinal flag per indicator.
    wint : int64[d]
        Weights as integers over the common denominator ``denom`` (``w_j = wint_j/denom``).
    dim_of : int64[d]
        Dimension index of each indicator (``0 .. n_dims-1``), for reweighting.
    sweight : float64[n] or float64[0]
        Sampling weights (empty: every unit weighs 1). NaN drops the unit.
    cell : int64[n] or int64[0]
        Cell code ``0 .. n_cells-1`` of each unit (empty: one cell).
    k_num, k_den : int64[K]
        Poverty cutoffs ``k = k_num/k_den``: poor iff ``score >= k`` computed exactly as
        ``N * k_den >= k_num * D`` for the unit's score ``N/D``.
    vul_num, vul_den, sev_num, sev_den : int
        Vulnerability and severity cutoffs as fractions.
    reweight : bool
        ``False``: units with a missing value are dropped (and counted). ``True``: the OPHI
        rule, weights re-spread within each dimension over the observed indicators.
    n_chunks : int
        Number of contiguous chunks processed in parallel, each with private sums.

    Returns
    -------
    base, ind, kst, kind, err : float64 arrays
        Statistics summed over chunks (layouts in the module docstring) and ``err`` of shape
        ``(n_chunks, 3)`` holding ``(code, indicator, value)`` of the first error per chunk.
    """
    n = cols[0].shape[0]
    has_cell = cell.shape[0] > 0
    d = rules.shape[0]
    K = k_num.shape[0]
    has_w = sweight.shape[0] > 0
    base = np.zeros((n_chunks, n_cells, NB))
    ind = np.zeros((n_chunks, n_cells, NI, d))
    kst = np.zeros((n_chunks, n_cells, K, NK))
    kind = np.zeros((n_chunks, n_cells, K, NKI, d))
    err = np.zeros((n_chunks, 3))
    dim_w = np.zeros(n_dims, np.int64)
    for j in range(d):
        dim_w[dim_of[j]] += wint[j]
    fdenom = float(denom)
    step = (n + n_chunks - 1) // n_chunks
    for t in nb.prange(n_chunks):
        start = t * step
        stop = min(n, start + step)
        g = np.zeros((BLOCK, d), np.uint8)
        obs = np.zeros((BLOCK, d), np.uint8)
        gap = np.zeros((BLOCK, d))
        a = np.zeros(n_dims, np.int64)
        b = np.zeros(n_dims, np.int64)
        weff = np.zeros(d)
        for i0 in range(start, stop, BLOCK):
            m = min(BLOCK, stop - i0)
            # pass 1: deprivation status and gap, one column at a time (sequential reads)
            for j in range(d):
                col = cols[j]
                rule = rules[j]
                z = cutoffs[j]
                card = cardinal[j]
                for r in range(m):
                    x = col[i0 + r]
                    if np.isnan(x):
                        obs[r, j] = 0
                        g[r, j] = 0
                        gap[r, j] = 0.0
                        continue
                    obs[r, j] = 1
                    if rule == FLAG and x != 0.0 and x != 1.0 and err[t, 0] == 0:
                        err[t, 0] = ERR_FLAG_VALUE
                        err[t, 1] = j
                        err[t, 2] = x
                    if _deprived(x, rule, z):
                        g[r, j] = 1
                        if card:
                            gg = (z - x) / z
                            gap[r, j] = gg if gg < 1.0 else 1.0
                        else:
                            gap[r, j] = 1.0
                    else:
                        g[r, j] = 0
                        gap[r, j] = 0.0
            # pass 2: score, identification and accumulation, one unit at a time
            for r in range(m):
                i = i0 + r
                c = cell[i] if has_cell else 0
                nmiss = 0
                for j in range(d):
                    if obs[r, j] == 0:
                        nmiss += 1
                        ind[t, c, NMISS, j] += 1.0
                s = 1.0
                if has_w:
                    s = sweight[i]
                    if np.isnan(s):
                        base[t, c, NDROP] += 1.0
                        continue
                    if (s < 0.0 or np.isinf(s)) and err[t, 0] == 0:
                        err[t, 0] = ERR_NEG_WEIGHT
                        err[t, 1] = i
                        err[t, 2] = s
                if nmiss > 0 and not reweight:
                    base[t, c, NDROP] += 1.0
                    continue
                if nmiss == 0:
                    num = 0
                    for j in range(d):
                        if g[r, j]:
                            num += wint[j]
                        weff[j] = wint[j] / fdenom
                    den = denom
                else:
                    a[:] = 0
                    b[:] = 0
                    for j in range(d):
                        if obs[r, j]:
                            b[dim_of[j]] += wint[j]
                            if g[r, j]:
                                a[dim_of[j]] += wint[j]
                    empty = False
                    big = 1
                    for q in range(n_dims):
                        if b[q] == 0:
                            empty = True
                        elif b[q] != dim_w[q]:
                            big = big // _gcd(big, b[q]) * b[q]
                    if empty:
                        base[t, c, NDROP] += 1.0
                        continue
                    if big > MAX_REWEIGHT_DENOMINATOR:
                        if err[t, 0] == 0:
                            err[t, 0] = ERR_DENOMINATOR
                            err[t, 1] = i
                            err[t, 2] = big
                        continue
                    num = 0
                    for q in range(n_dims):
                        num += dim_w[q] * a[q] * (big // b[q])
                    den = denom * big
                    for j in range(d):
                        q = dim_of[j]
                        weff[j] = dim_w[q] * wint[j] / (b[q] * fdenom) if obs[r, j] else 0.0
                score = num / den
                base[t, c, SUMW] += s
                base[t, c, NOBS] += 1.0
                base[t, c, SCORE] += s * score
                if num * sev_den >= sev_num * den:
                    base[t, c, SEVERE] += s
                m1 = 0.0
                m2 = 0.0
                for j in range(d):
                    if obs[r, j]:
                        ind[t, c, OBS, j] += s
                        if g[r, j]:
                            ind[t, c, DEP, j] += s
                            m1 += weff[j] * gap[r, j]
                            m2 += weff[j] * gap[r, j] * gap[r, j]
                vulnerable = num * vul_den >= vul_num * den
                for kk in range(K):
                    if num * k_den[kk] >= k_num[kk] * den:
                        kst[t, c, kk, POOR] += s
                        kst[t, c, kk, CP] += s * score
                        kst[t, c, kk, C2P] += s * score * score
                        kst[t, c, kk, M1] += s * m1
                        kst[t, c, kk, M2] += s * m2
                        for j in range(d):
                            if g[r, j]:
                                kind[t, c, kk, CDEP, j] += s
                                kind[t, c, kk, CONTRIB, j] += s * weff[j]
                    elif vulnerable:
                        kst[t, c, kk, VULN] += s
    return base.sum(axis=0), ind.sum(axis=0), kst.sum(axis=0), kind.sum(axis=0), err
