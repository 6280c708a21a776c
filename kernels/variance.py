"""Fused numba helpers for design-based variances (numpy + numba only)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ._config import CACHE, PARALLEL

__all__ = ["strata_variance", "sum_rows", "combine_terms", "terms_variance", "fold_rows"]


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


@nb.njit(cache=CACHE, nogil=True, inline="always")
def _lone(n, c, out):
    """Whether stratum of ``n`` PSUs is skipped: a lone PSU adds nothing (its policy's
    term, if any, is added elsewhere) unless its scale is undefined (NaN, e.g. "average"
    with no stratum of two PSUs), which makes every variance undefined. A stratum of two or
    more PSUs is never skipped, even with scale 0 (a census stratum): 0 times an undefined
    deviation stays undefined, as in R ``survey``."""
    if n >= 2:
        return False
    if c != c:
        out[:] = np.nan
    return True


@nb.njit(cache=CACHE, nogil=True)
def strata_variance(u, starts, n_h, scale):
    """``sum_h scale_h sum_i (u_hi - ubar_h)^2`` over the rows of ``u`` (PSUs sorted by
    stratum; rows ``starts[h] .. starts[h] + n_h[h]``), column by column, in two passes
    per stratum (exact zero for constant columns). Strata of one PSU are skipped (see
    :func:`_lone`)."""
    m = u.shape[1]
    out = np.zeros(m)
    mean = np.empty(m)
    acc = np.empty(m)
    for h in range(starts.shape[0]):
        if _lone(n_h[h], scale[h], out):
            continue
        _add_stratum(u[starts[h] : starts[h] + n_h[h]], scale[h], out, mean, acc)
    return out


@nb.njit(cache=CACHE, nogil=True, inline="always")
def _add_terms(dest, row0, n, bases, which, rstride, cols, coefs, first, width, t0, t1, c0):
    """``dest[r, first[t] - c0 + j] += coefs[t, j] * bases[which[t]][(row0 + r) * rstride[t]
    + cols[t, j]]`` for rows ``r < n`` and terms ``t0 <= t < t1`` (their ``width[t]``
    columns; ``c0`` is the first column ``dest`` holds)."""
    for t in range(t0, t1):
        b = bases[which[t]]
        rs = rstride[t]
        c = coefs[t]
        col = cols[t]
        j0 = first[t] - c0
        w = width[t]
        run = True  # the columns are consecutive values of each row: no gather
        for j in range(1, w):
            run = run and col[j] == col[0] + j
        if run:
            for r in range(n):
                r0 = (row0 + r) * rs + col[0]
                for j in range(w):
                    dest[r, j0 + j] += c[j] * b[r0 + j]
        else:
            for r in range(n):
                r0 = (row0 + r) * rs
                for j in range(w):
                    dest[r, j0 + j] += c[j] * b[r0 + col[j]]


@nb.njit(cache=CACHE, nogil=True)
def combine_terms(bases, which, rstride, cols, coefs, first, width, m, n_lead):
    """``out[i, first[t] + j] += coefs[t, j] * bases[which[t]][i * rstride[t] + cols[t, j]]``
    summed over the terms: linear combinations of PSU-level arrays, each read through a flat
    buffer (row ``i`` of term ``t`` starts at ``i * rstride[t]``; a stride of 0 repeats one
    row for every PSU). ``bases`` is a tuple of fixed length (unused slots are padding)."""
    out = np.zeros((n_lead, m))
    _add_terms(out, 0, n_lead, bases, which, rstride, cols, coefs, first, width, 0, len(first), 0)
    return out


@nb.njit(cache=CACHE, nogil=True)
def fold_rows(flat, starts, step, nz_row, nz_col, nz_val, m):
    """``out[p, q] = sum_j flat[starts[p] + j * step] * mat[j, q]`` for a matrix given by
    its nonzero entries ``mat[nz_row[e], nz_col[e]] = nz_val[e]`` (in row order): a map
    applied to rows read in place from a flat buffer (e.g. a strided view of the kernel's
    sums, which numpy would first copy). A 0/1 membership matrix costs one product per
    indicator."""
    out = np.zeros((starts.shape[0], m))
    for p in range(starts.shape[0]):
        s0 = starts[p]
        for e in range(nz_row.shape[0]):
            out[p, nz_col[e]] += flat[s0 + nz_row[e] * step] * nz_val[e]
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
def column_parts(first, width, n_parts):
    """Split the terms (ordered by their first column) into at most ``n_parts`` runs of
    about equal width that write disjoint ranges of columns; returns the first term of each
    run and, one past the end, the number of terms. A run never splits an estimate's
    columns, so every column is summed by one run in the order of the whole batch."""
    n_t = first.shape[0]
    total = 0
    for t in range(n_t):
        total += width[t]
    cuts = np.empty(n_parts + 1, np.int64)
    cuts[0] = 0
    n_cut = 1
    done = 0
    end = 0  # one past the last column written by the terms so far
    for t in range(n_t):
        if t > 0 and first[t] >= end and n_cut < n_parts and done * n_parts >= total * n_cut:
            cuts[n_cut] = t
            n_cut += 1
        done += width[t]
        end = max(end, first[t] + width[t])
    cuts[n_cut] = n_t
    return cuts[: n_cut + 1]


@nb.njit(parallel=PARALLEL, cache=CACHE, nogil=True)
def terms_variance(
    bases, which, rstride, cols, coefs, first, width, m, starts, n_h, scale, n_parts=1
):
    """:func:`strata_variance` of :func:`combine_terms` without forming the whole array:
    each stratum's rows are combined into a small buffer, then summed. The same products
    and sums in the same order, so the same result to the last bit. Many estimates go in
    one call (each term writes its own range of columns); up to ``n_parts`` runs of
    estimates with disjoint columns (:func:`column_parts`) are computed in parallel, each
    column still summed in the same order."""
    n_strata = starts.shape[0]
    big = 0
    for h in range(n_strata):
        big = max(big, n_h[h])
    out = np.zeros(m)
    cuts = column_parts(first, width, max(n_parts, 1))
    for p in nb.prange(cuts.shape[0] - 1):
        t0 = cuts[p]
        t1 = cuts[p + 1]
        c0 = m
        c1 = 0
        for t in range(t0, t1):
            c0 = min(c0, first[t])
            c1 = max(c1, first[t] + width[t])
        if c1 <= c0:
            continue
        part = out[c0:c1]
        buf = np.empty((big, c1 - c0))
        mean = np.empty(c1 - c0)
        acc = np.empty(c1 - c0)
        for h in range(n_strata):
            c = scale[h]
            n = n_h[h]
            if _lone(n, c, part):
                continue
            buf[:n] = 0.0
            _add_terms(
                buf, starts[h], n, bases, which, rstride, cols, coefs, first, width, t0, t1, c0
            )
            _add_stratum(buf[:n], c, part, mean, acc)
    return out
