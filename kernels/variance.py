"""Fused numba helpers for design-based variances (numpy + numba only)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ._config import CACHE

__all__ = ["strata_variance", "sum_rows", "combine_terms", "terms_variance"]


@nb.njit(cache=CACHE, nogil=True, inline="always")
def _add_stratum(block, c, out, mean, acc):
    """``out += c * sum_i (block_i - mean)^2`` column by column over the rows of one
    stratum's ``block``: the mean first, then the squared deviations (two passes, so a
    column constant within the stratum adds exactly zero)."""
    n, m = block.shape
    mean[:] = 0.0
    for i in range(n):
        for j in range(m):
            mean[j] += block[i, j]
    for j in range(m):
        mean[j] /= n
    acc[:] = 0.0
    for i in range(n):
        for j in range(m):
            dev = block[i, j] - mean[j]
            acc[j] += dev * dev
    for j in range(m):
        out[j] += c * acc[j]


@nb.njit(cache=CACHE, nogil=True)
def strata_variance(u, starts, n_h, scale):
    """``sum_h scale_h sum_i (u_hi - ubar_h)^2`` over the rows of ``u`` (PSUs sorted by
    stratum; rows ``starts[h] .. starts[h] + n_h[h]``), column by column, in two passes
    per stratum (exact zero for constant columns). ``scale_h = 0`` skips a stratum."""
    m = u.shape[1]
    out = np.zeros(m)
    mean = np.empty(m)
    acc = np.empty(m)
    for h in range(starts.shape[0]):
        if scale[h] != 0.0:
            _add_stratum(u[starts[h] : starts[h] + n_h[h]], scale[h], out, mean, acc)
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
        _add_stratum(buf[:n], c, out, mean, acc)
    return out
