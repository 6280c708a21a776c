"""Fused numba helpers for design-based variances (numpy + numba only)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ._config import CACHE

__all__ = ["strata_variance", "strata_variance_t", "sum_rows", "combine_terms", "terms_variance"]


@nb.njit(cache=CACHE, nogil=True)
def strata_variance(u, starts, n_h, scale):
    """``sum_h scale_h sum_i (u_hi - ubar_h)^2`` over the rows of ``u`` (PSUs sorted by
    stratum; rows ``starts[h] .. starts[h] + n_h[h]``), column by column, in two passes
    per stratum (exact zero for constant columns). ``scale_h = 0`` skips a stratum."""
    n_strata = starts.shape[0]
    m = u.shape[1]
    out = np.zeros(m)
    mean = np.empty(m)
    acc = np.empty(m)
    for h in range(n_strata):
        c = scale[h]
        if c == 0.0:
            continue
        lo = starts[h]
        n = n_h[h]
        mean[:] = 0.0
        for i in range(lo, lo + n):
            for j in range(m):
                mean[j] += u[i, j]
        for j in range(m):
            mean[j] /= n
        acc[:] = 0.0
        for i in range(lo, lo + n):
            for j in range(m):
                dev = u[i, j] - mean[j]
                acc[j] += dev * dev
        for j in range(m):
            out[j] += c * acc[j]
    return out


@nb.njit(cache=CACHE, nogil=True)
def strata_variance_t(ut, starts, n_h, scale):
    """:func:`strata_variance` for the transposed layout: ``ut[j, i]`` is column ``j`` of
    PSU ``i`` (each column's PSUs contiguous). Same sums in the same order, so the same
    result to the last bit. Columns go in blocks of 4 so that the per-column sums (each a
    chain of dependent additions) overlap."""
    n_strata = starts.shape[0]
    m = ut.shape[0]
    out = np.zeros(m)
    for j0 in range(0, m, 4):
        nj = min(4, m - j0)
        if nj < 4:  # a last partial block: one column at a time
            for j in range(j0, m):
                row = ut[j]
                total = 0.0
                for h in range(n_strata):
                    c = scale[h]
                    if c == 0.0:
                        continue
                    lo = starts[h]
                    n = n_h[h]
                    mean = 0.0
                    for i in range(lo, lo + n):
                        mean += row[i]
                    mean /= n
                    acc = 0.0
                    for i in range(lo, lo + n):
                        dev = row[i] - mean
                        acc += dev * dev
                    total += c * acc
                out[j] = total
            continue
        r0 = ut[j0]
        r1 = ut[j0 + 1]
        r2 = ut[j0 + 2]
        r3 = ut[j0 + 3]
        t0 = 0.0
        t1 = 0.0
        t2 = 0.0
        t3 = 0.0
        for h in range(n_strata):
            c = scale[h]
            if c == 0.0:
                continue
            lo = starts[h]
            n = n_h[h]
            m0 = 0.0
            m1 = 0.0
            m2 = 0.0
            m3 = 0.0
            for i in range(lo, lo + n):
                m0 += r0[i]
                m1 += r1[i]
                m2 += r2[i]
                m3 += r3[i]
            m0 /= n
            m1 /= n
            m2 /= n
            m3 /= n
            a0 = 0.0
            a1 = 0.0
            a2 = 0.0
            a3 = 0.0
            for i in range(lo, lo + n):
                d0 = r0[i] - m0
                d1 = r1[i] - m1
                d2 = r2[i] - m2
                d3 = r3[i] - m3
                a0 += d0 * d0
                a1 += d1 * d1
                a2 += d2 * d2
                a3 += d3 * d3
            t0 += c * a0
            t1 += c * a1
            t2 += c * a2
            t3 += c * a3
        out[j0] = t0
        out[j0 + 1] = t1
        out[j0 + 2] = t2
        out[j0 + 3] = t3
    return out


@nb.njit(cache=CACHE, nogil=True)
def combine_terms(bases, rstride, cols, coefs, n_lead):
    """``out[i, j] = sum_t coefs[t, j] * bases[t][i * rstride[t] + cols[t, j]]``: a linear
    combination of PSU-level arrays, each read through a flat buffer (row ``i`` of base
    ``t`` starts at ``i * rstride[t]``; a stride of 0 repeats one row for every PSU)."""
    n_t, m = coefs.shape
    out = np.zeros((n_lead, m))
    for t in range(n_t):
        b = bases[t]
        rs = rstride[t]
        c = coefs[t]
        col = cols[t]
        run = True  # the columns are consecutive values of each row: no gather
        for j in range(1, m):
            run = run and col[j] == col[0] + j
        if run:
            for i in range(n_lead):
                r0 = i * rs + col[0]
                o = out[i]
                for j in range(m):
                    o[j] += c[j] * b[r0 + j]
        else:
            for i in range(n_lead):
                r0 = i * rs
                for j in range(m):
                    out[i, j] += c[j] * b[r0 + col[j]]
    return out


@nb.njit(cache=CACHE, nogil=True)
def sum_rows(a):
    """Column sums of a 2-D array, adding the rows in order (e.g. PSU totals into group
    totals; a reduction over the leading axis in numpy is several times slower)."""
    out = np.zeros(a.shape[1])
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[j] += a[i, j]
    return out


@nb.njit(cache=CACHE, nogil=True)
def terms_variance(bases, rstride, cols, coefs, starts, n_h, scale):
    """:func:`strata_variance` of :func:`combine_terms` without forming the whole array:
    each stratum's rows are combined into a small buffer, then summed. The same products
    and sums in the same order, so the same result to the last bit."""
    n_t, m = coefs.shape
    n_strata = starts.shape[0]
    big = 0
    for h in range(n_strata):
        big = max(big, n_h[h])
    buf = np.empty((big, m))
    out = np.zeros(m)
    mean = np.empty(m)
    acc = np.empty(m)
    for h in range(n_strata):
        c = scale[h]
        if c == 0.0:
            continue
        lo = starts[h]
        n = n_h[h]
        buf[:n] = 0.0
        for t in range(n_t):
            b = bases[t]
            rs = rstride[t]
            ct = coefs[t]
            col = cols[t]
            for r in range(n):
                r0 = (lo + r) * rs
                for j in range(m):
                    buf[r, j] += ct[j] * b[r0 + col[j]]
        mean[:] = 0.0
        for r in range(n):
            for j in range(m):
                mean[j] += buf[r, j]
        for j in range(m):
            mean[j] /= n
        acc[:] = 0.0
        for r in range(n):
            for j in range(m):
                dev = buf[r, j] - mean[j]
                acc[j] += dev * dev
        for j in range(m):
            out[j] += c * acc[j]
    return out
