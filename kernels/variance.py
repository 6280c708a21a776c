"""Fused numba helpers for design-based variances (numpy + numba only)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ._config import CACHE

__all__ = ["strata_variance"]


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
