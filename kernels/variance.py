"""Fused numba helpers for design-based variances (numpy + numba only)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ._config import kernel, share_range

__all__ = ["strata_variance", "sum_rows", "combine_terms", "terms_variance", "fold_rows"]


@kernel(inline="always")
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


@kernel(inline="always")
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


@kernel
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


@kernel(inline="always")
def _add_terms(dest, row0, n, bases, which, rstride, cols, coefs, first, width):
    """``dest[r, first[t] + j] += coefs[t, j] * bases[which[t]][(row0 + r) * rstride[t] +
    cols[t, j]]`` for rows ``r < n`` and every term ``t`` (its ``width[t]`` columns)."""
    for t in range(first.shape[0]):
        b = bases[which[t]]
        rs = rstride[t]
        c = coefs[t]
        col = cols[t]
        j0 = first[t]
        w = width[t]
        run = True  # the columns are consecutive values of each row: no gather
        for j in range(1, w):
            run = run and col[j] == col[0] + j
        # unsigned indices: no negative-index wraparound test, so the loops vectorise
        uj0 = np.uint64(j0)
        if run:
            for r in range(n):
                r0 = np.uint64((row0 + r) * rs + col[0])
                ur = np.uint64(r)
                for j in range(np.uint64(w)):
                    dest[ur, uj0 + j] += c[j] * b[r0 + j]
        else:
            for r in range(n):
                r0 = np.uint64((row0 + r) * rs)
                ur = np.uint64(r)
                for j in range(np.uint64(w)):
                    dest[ur, uj0 + j] += c[j] * b[r0 + np.uint64(col[j])]


@kernel
def combine_terms(bases, which, rstride, cols, coefs, first, width, m, n_lead):
    """``out[i, first[t] + j] += coefs[t, j] * bases[which[t]][i * rstride[t] + cols[t, j]]``
    summed over the terms: linear combinations of PSU-level arrays, each read through a flat
    buffer (row ``i`` of term ``t`` starts at ``i * rstride[t]``; a stride of 0 repeats one
    row for every PSU). ``bases`` is a tuple of fixed length (unused slots are padding)."""
    out = np.zeros((n_lead, m))
    _add_terms(out, 0, n_lead, bases, which, rstride, cols, coefs, first, width)
    return out


@kernel
def fold_rows(flat, starts, step, nz_row, nz_col, nz_val, out):
    """``out[p, q] = sum_j flat[starts[p] + j * step] * mat[j, q]`` for a matrix given by
    its nonzero entries ``mat[nz_row[e], nz_col[e]] = nz_val[e]`` (in row order): a map
    applied to rows read in place from a flat buffer (e.g. a strided view of the kernel's
    sums, which numpy would first copy). A 0/1 membership matrix costs one product per
    indicator. ``out`` (``(len(starts), m)``, zeroed) is allocated by the caller."""
    for p in range(starts.shape[0]):
        s0 = starts[p]
        for e in range(nz_row.shape[0]):
            out[p, nz_col[e]] += flat[s0 + nz_row[e] * step] * nz_val[e]
    return out


@kernel
def sum_rows(a):
    """Column sums of a 2-D array, adding the rows in order (e.g. PSU totals into group
    totals; a reduction over the leading axis in numpy is several times slower)."""
    out = np.zeros(a.shape[1])
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[j] += a[i, j]
    return out


#: Strata per parallel block of :func:`terms_variance` (bounds its per-stratum buffer).
STRATA_BLOCK = 256

#: :func:`terms_variance` runs on several threads from this many PSU rows x columns on
#: (1e6 units of ``benchmarks/survey.py``: 10,000 x 250); below it the serial body does the
#: whole pass, and the parallel kernel (over a second of compiling) is not compiled.
PARALLEL_MIN_WORK = 1_000_000


def terms_variance(
    bases, which, rstride, cols, coefs, first, width, m, starts, n_h, scale, n_threads=1
):
    """:func:`strata_variance` of :func:`combine_terms` without forming the whole array:
    each stratum's rows are combined into a small buffer, then summed. Many estimates go in
    one call (each term writes its own range of columns).

    Blocks of strata are split between ``n_threads`` threads, each reading only its own
    strata's rows; every stratum's term goes to its own row of a buffer, and the rows are
    added in stratum order, so the result equals :func:`strata_variance` of the combined
    terms to the last bit for any number of threads.

    The buffers are allocated here (numpy) and the work is done by a serial kernel per
    thread's share of a block (:func:`_strata_block`), so the parallel kernel holds only
    its ``prange`` loop; below :data:`PARALLEL_MIN_WORK` the serial kernel does every block
    itself (the same rows, added in the same order: the same bits). The arrays the
    kernels only read are passed as read-only, C-contiguous views of fixed dtypes (one
    compiled specialisation).
    """
    n_strata = starts.shape[0]
    out = np.zeros(m)
    if n_strata == 0:
        return out
    if int(np.sum(n_h)) * m < PARALLEL_MIN_WORK:
        n_threads = 1
    n_threads = max(int(n_threads), 1)
    big = int(np.max(n_h))
    part = np.empty((min(STRATA_BLOCK, n_strata), m))
    # per thread: ``big`` rows of the stratum's combined terms, then its mean and its sum
    # of squared deviations
    bufs = np.empty((n_threads, max(big, 0) + 2, m))
    args = (
        tuple(_ro(b, np.float64) for b in bases),
        _ro(which, np.int64),
        _ro(rstride, np.int64),
        _ro(cols, np.int64),
        _ro(coefs, np.float64),
        _ro(first, np.int64),
        _ro(width, np.int64),
        _ro(starts, np.int64),
        _ro(n_h, np.int64),
        _ro(scale, np.float64),
    )
    for b0 in range(0, n_strata, STRATA_BLOCK):
        nbk = min(n_strata, b0 + STRATA_BLOCK) - b0
        if n_threads > 1:
            _terms_variance(*args, b0, nbk, part, bufs)
        else:
            _strata_block(*args, b0, 0, nbk, part, bufs[0])
        _add_part(part, nbk, out)  # in stratum order, as strata_variance adds them
    return out


def _ro(a, dtype):
    """``a`` as a read-only, C-contiguous view of ``dtype`` (the caller's array untouched)."""
    v = np.ascontiguousarray(a, dtype).view()
    v.flags.writeable = False
    return v


@kernel(parallel=True)
def _terms_variance(
    bases, which, rstride, cols, coefs, first, width, starts, n_h, scale, b0, nbk, part, bufs
):
    """Rows ``0 .. nbk - 1`` of ``part``: the terms of strata ``b0 .. b0 + nbk - 1``, shared
    out between the threads (one per row of ``bufs``)."""
    n_threads = bufs.shape[0]
    for t in nb.prange(n_threads):
        h0, h1 = share_range(nbk, n_threads, t)
        _strata_block(
            bases, which, rstride, cols, coefs, first, width, starts, n_h, scale,
            b0, h0, h1, part, bufs[t],
        )  # fmt: skip


@kernel
def _strata_block(
    bases, which, rstride, cols, coefs, first, width, starts, n_h, scale, b0, h0, h1, part, buf
):
    """Rows ``h0 .. h1 - 1`` of ``part``: the term of strata ``b0 + h0 .. b0 + h1 - 1``
    (``buf``: the thread's rows, then its mean and accumulator rows)."""
    big = buf.shape[0] - 2
    mean = buf[big]
    acc = buf[big + 1]
    for hb in range(h0, h1):
        h = b0 + hb
        row = part[hb]
        row[:] = 0.0
        c = scale[h]
        n = n_h[h]
        if _lone(n, c, row):
            continue
        block = buf[:n]
        block[:] = 0.0
        _add_terms(block, starts[h], n, bases, which, rstride, cols, coefs, first, width)
        _add_stratum(block, c, row, mean, acc)


@kernel
def _add_part(part, nbk, out):
    """``out += part[0] + ... + part[nbk - 1]``, in row (stratum) order."""
    for hb in range(nbk):
        for j in range(out.shape[0]):
            out[j] += part[hb, j]
