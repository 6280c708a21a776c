"""Per-bucket kernel sums -> additive statistics per cutoff, in one pass (numpy + numba).

:func:`mpi.kernels.af_statistics` keeps its sums per *bucket* (how many of the sorted
cutoffs a unit's score reaches). :func:`bucket_statistics` turns them into the statistics
per cutoff that :mod:`mpi.finalize` and the design-based variances read: sums over buckets
above a cutoff (the poor at that cutoff), below it (not poor) and over all buckets. One
sequential pass over the cells writes every statistic into its own contiguous array, so
that later reads of one statistic for all cells (e.g. PSU totals) are sequential too.
"""

from __future__ import annotations

import numpy as np

from ._config import kernel
from .af_layout import C2, M1, M2, NOBS, SCORE, SEVERE, SUMW, VULNB

__all__ = ["bucket_statistics"]


@kernel
def bucket_statistics(bstat, bdep, bmissw, bcadj, wflt, position):
    """Statistics per cell and cutoff from per-bucket sums.

    Parameters
    ----------
    bstat : float64[C, K+1, 8]
        Per cell and bucket: SUMW, NOBS, SCORE, C2, M1, M2, VULNB, SEVERE.
    bdep : float64[C, K+1, d]
        Weighted deprivation counts per bucket.
    bmissw, bcadj : float64[C, K+1, d] or float64[0, K+1, d]
        Reweighting corrections (empty without reweighting).
    wflt : float64[d]
        Indicator weights.
    position : int64[K]
        For each cutoff in the user's order, its rank among the sorted cutoffs.

    Returns
    -------
    tuple
        ``sumw, nobs, severe, score`` (C), ``obs, dep`` (C, d), ``poor, cp, c2p, vuln,
        m1, m2`` (C, K) and ``cdep, contrib`` (C, K, d). "Above" cutoff ``kk`` means
        buckets ``b > kk`` summed from the top down, "below" buckets ``b <= kk`` from the
        bottom up, and totals buckets ``0 .. K`` in order: the additions of the numpy
        formulation, so the results are the same to the last bit.
    """
    n_c = bstat.shape[0]
    nb_ = bstat.shape[1]
    n_k = nb_ - 1
    d = bdep.shape[2]
    rw = bmissw.shape[0] > 0
    sumw = np.empty(n_c)
    nobs = np.empty(n_c)
    severe = np.empty(n_c)
    score = np.empty(n_c)
    obs = np.empty((n_c, d))
    dep = np.empty((n_c, d))
    poor = np.empty((n_c, n_k))
    cp = np.empty((n_c, n_k))
    c2p = np.empty((n_c, n_k))
    vuln = np.empty((n_c, n_k))
    m1 = np.empty((n_c, n_k))
    m2 = np.empty((n_c, n_k))
    cdep = np.empty((n_c, n_k, d))
    contrib = np.empty((n_c, n_k, d))
    up = np.empty(6)  # running sums above a cutoff: SUMW, SCORE, C2, M1, M2 (+ spare)
    updep = np.empty(d)
    upadj = np.empty(d)
    for c in range(n_c):
        st = bstat[c]
        sumw[c] = st[0, SUMW]
        nobs[c] = st[0, NOBS]
        severe[c] = st[0, SEVERE]
        score[c] = st[0, SCORE]
        for b in range(1, nb_):
            sumw[c] += st[b, SUMW]
            nobs[c] += st[b, NOBS]
            severe[c] += st[b, SEVERE]
            score[c] += st[b, SCORE]
        for j in range(d):
            acc = bdep[c, 0, j]
            for b in range(1, nb_):
                acc += bdep[c, b, j]
            dep[c, j] = acc
            if rw:
                miss = bmissw[c, 0, j]
                for b in range(1, nb_):
                    miss += bmissw[c, b, j]
                obs[c, j] = sumw[c] - miss
            else:
                obs[c, j] = sumw[c]
        # above: from the top bucket down (sorted cutoff kk <- buckets kk+1 .. K)
        up[0] = st[n_k, SUMW]
        up[1] = st[n_k, SCORE]
        up[2] = st[n_k, C2]
        up[3] = st[n_k, M1]
        up[4] = st[n_k, M2]
        for j in range(d):
            updep[j] = bdep[c, n_k, j]
            upadj[j] = bcadj[c, n_k, j] if rw else 0.0
        for kk in range(n_k - 1, -1, -1):
            if kk < n_k - 1:
                up[0] += st[kk + 1, SUMW]
                up[1] += st[kk + 1, SCORE]
                up[2] += st[kk + 1, C2]
                up[3] += st[kk + 1, M1]
                up[4] += st[kk + 1, M2]
                for j in range(d):
                    updep[j] += bdep[c, kk + 1, j]
                    if rw:
                        upadj[j] += bcadj[c, kk + 1, j]
            # the user's cutoffs whose sorted rank is kk
            for u in range(n_k):
                if position[u] != kk:
                    continue
                poor[c, u] = up[0]
                cp[c, u] = up[1]
                c2p[c, u] = up[2]
                m1[c, u] = up[3]
                m2[c, u] = up[4]
                for j in range(d):
                    cdep[c, u, j] = updep[j]
                    contrib[c, u, j] = updep[j] * wflt[j] + upadj[j] if rw else updep[j] * wflt[j]
        # below: from the bottom bucket up (sorted cutoff kk <- buckets 0 .. kk)
        low = st[0, VULNB]
        for kk in range(n_k):
            if kk > 0:
                low += st[kk, VULNB]
            for u in range(n_k):
                if position[u] == kk:
                    vuln[c, u] = low
    return (sumw, nobs, severe, score, obs, dep, poor, cp, c2p, vuln, m1, m2, cdep, contrib)
