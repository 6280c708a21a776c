"""Fused numba helpers for design-based variances (numpy + numba only)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ._config import CACHE

__all__ = ["strata_variance", "strata_variance_t", "sum_rows"]


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
    result to the last bit."""
    n_strata = starts.shape[0]
    m = ut.shape[0]
    out = np.zeros(m)
    for j in range(m):
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
