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

__all__ = ["bucket_statistics", "NUMBA_MIN_CELLS"]

#: :func:`bucket_statistics` uses its numba pass from this many cells on; fewer cells (the
#: group cells of a call, PSU rows of a small survey) are summed by numpy, the same
#: additions in the same order, so a call on them compiles nothing.
NUMBA_MIN_CELLS = 2048


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
    n_c, nb_, d = bstat.shape[0], bstat.shape[1], bdep.shape[2]
    n_k = nb_ - 1
    if n_c < NUMBA_MIN_CELLS:
        return _numpy_statistics(bstat, bdep, bmissw, bcadj, wflt, position)
    # outputs allocated by numpy, one block per shape (each statistic a contiguous row of
    # its block), so the kernel itself allocates nothing
    per_cell = np.empty((4, n_c))
    per_ind = np.empty((2, n_c, d))
    per_k = np.empty((6, n_c, n_k))
    per_kd = np.empty((2, n_c, n_k, d))
    scratch = np.empty((3, max(d, 6)))
    _bucket_statistics(
        _ro(bstat), _ro(bdep), _ro(bmissw), _ro(bcadj), _ro(wflt), _ro(position, np.int64),
        per_cell, per_ind, per_k, per_kd, scratch,
    )  # fmt: skip
    sumw, nobs, severe, score = per_cell
    obs, dep = per_ind
    poor, cp, c2p, vuln, m1, m2 = per_k
    cdep, contrib = per_kd
    return (sumw, nobs, severe, score, obs, dep, poor, cp, c2p, vuln, m1, m2, cdep, contrib)


def _numpy_statistics(bstat, bdep, bmissw, bcadj, wflt, position):
    """:func:`bucket_statistics` by numpy (for few cells): the same additions, in the same
    order, so the same bits; every output a new C-contiguous array."""
    n_k = bstat.shape[1] - 1
    d = bdep.shape[2]
    rw = bmissw.shape[0] > 0
    position = np.asarray(position, np.int64)

    def total(x):  # buckets 0 .. K in order
        out = x[:, 0].copy()
        for b in range(1, x.shape[1]):
            out += x[:, b]
        return out

    def above(x):  # sorted cutoff kk <- buckets K, K-1, .., kk+1 (top down), user's order
        out = np.empty((x.shape[0], n_k, *x.shape[2:]))
        acc = x[:, n_k].copy()
        out[:, n_k - 1] = acc
        for kk in range(n_k - 2, -1, -1):
            acc += x[:, kk + 1]
            out[:, kk] = acc
        return np.ascontiguousarray(out[:, position])

    def below(x):  # sorted cutoff kk <- buckets 0, 1, .., kk (bottom up), user's order
        out = np.empty((x.shape[0], n_k, *x.shape[2:]))
        acc = x[:, 0].copy()
        out[:, 0] = acc
        for kk in range(1, n_k):
            acc += x[:, kk]
            out[:, kk] = acc
        return np.ascontiguousarray(out[:, position])

    sumw = total(bstat[..., SUMW])
    obs = sumw[:, None] - total(bmissw) if rw else np.repeat(sumw[:, None], d, 1)
    cdep = above(bdep)
    contrib = cdep * wflt + above(bcadj) if rw else cdep * wflt
    return (
        sumw,
        total(bstat[..., NOBS]),
        total(bstat[..., SEVERE]),
        total(bstat[..., SCORE]),
        obs,
        total(bdep),
        above(bstat[..., SUMW]),
        above(bstat[..., SCORE]),
        above(bstat[..., C2]),
        below(bstat[..., VULNB]),
        above(bstat[..., M1]),
        above(bstat[..., M2]),
        cdep,
        contrib,
    )


def _ro(a, dtype=np.float64):
    """``a`` as a read-only, C-contiguous view of ``dtype`` (the caller's array untouched):
    one numba type whatever the caller passes."""
    v = np.ascontiguousarray(a, dtype).view()
    v.flags.writeable = False
    return v


@kernel
def _bucket_statistics(
    bstat, bdep, bmissw, bcadj, wflt, position, per_cell, per_ind, per_k, per_kd, scratch
):
    """:func:`bucket_statistics` into the caller's blocks ``per_cell`` (4, C), ``per_ind``
    (2, C, d), ``per_k`` (6, C, K) and ``per_kd`` (2, C, K, d); ``scratch`` (3, >= max(d,
    6)) holds the running sums."""
    n_c = bstat.shape[0]
    nb_ = bstat.shape[1]
    n_k = nb_ - 1
    d = bdep.shape[2]
    rw = bmissw.shape[0] > 0
    sumw, nobs, severe, score = per_cell[0], per_cell[1], per_cell[2], per_cell[3]
    obs, dep = per_ind[0], per_ind[1]
    poor, cp, c2p, vuln, m1, m2 = per_k[0], per_k[1], per_k[2], per_k[3], per_k[4], per_k[5]
    cdep, contrib = per_kd[0], per_kd[1]
    up = scratch[0]  # running sums above a cutoff: SUMW, SCORE, C2, M1, M2 (+ spare)
    updep = scratch[1]
    upadj = scratch[2]
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
