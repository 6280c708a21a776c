"""Integer codes for survey design variables, in one or two passes (numpy + numba only)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ._config import kernel

__all__ = ["dense_codes", "psu_strata", "pair_codes", "psu_values", "run_codes"]


def _ro(a):
    """``a`` as a read-only, C-contiguous int64 view (the caller's array untouched): the
    kernels below read their inputs through one numba type whatever the caller passes."""
    v = np.ascontiguousarray(a, np.int64).view()
    v.flags.writeable = False
    return v


# Why the per-unit outputs below are allocated by numpy and filled by the kernels: numpy
# asks for transparent huge pages for arrays of 4 MiB or more, so a fresh array costs a
# few page faults instead of one per 4 KiB (an ``np.empty`` inside a kernel gets none).


def dense_codes(arr, max_range):
    """Codes ``0 .. m-1`` of the sorted distinct values of an int64 array.

    Returns ``(codes, uniques, ok)``; ``ok`` is False (and the arrays empty) when the value
    range exceeds ``max_range`` (then hash the values instead). The range is computed in
    Python integers: labels such as ``[-2**62, 2**62]`` (a range beyond int64) are refused
    rather than wrapped into a negative or tiny range.
    """
    if arr.shape[0] == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), True
    lo = int(arr.min())  # two vectorised reductions
    span = int(arr.max()) - lo + 1  # exact: no int64 overflow
    if span > max_range:
        return np.empty(0, np.int64), np.empty(0, np.int64), False
    codes = np.empty(arr.shape[0], np.int64)
    rank = np.zeros(span, np.int64)  # numpy-allocated value table (no np.zeros in numba)
    arr = _ro(arr)
    m = _rank_values(arr, lo, rank)
    uniques = np.flatnonzero(rank >= 0) + lo if m else np.empty(0, np.int64)
    _fill_codes(arr, lo, rank, codes)
    return codes, uniques.astype(np.int64, copy=False), True


@kernel
def _rank_values(arr, lo, rank):
    """Turn ``rank`` (zeroed, one slot per value ``lo ..``) into the rank of every value
    present among the sorted distinct values of ``arr``, -1 for absent ones; returns how
    many are present."""
    for x in arr:
        rank[x - lo] = 1
    m = 0
    for v in range(rank.shape[0]):
        if rank[v]:
            rank[v] = m
            m += 1
        else:
            rank[v] = -1
    return m


@kernel(parallel=True)
def _fill_codes(arr, lo, rank, codes):
    """``codes[i] = rank[arr[i] - lo]`` on all threads (the only parallel loop)."""
    for i in nb.prange(arr.shape[0]):
        codes[i] = rank[arr[i] - lo]


def psu_strata(psu, stratum, n_psu):
    """Stratum of every PSU code ``0 .. n_psu - 1`` (the first one met; -1 for a code no unit
    carries) and how many PSU codes appear in more than one stratum (each counted once)."""
    out = np.full(n_psu, -1, np.int64)
    seen = np.zeros(n_psu, np.bool_)  # own markers: no value of ``out`` means "unset"
    clash = np.zeros(n_psu, np.bool_)
    return out, _psu_strata(_ro(psu), _ro(stratum), out, seen, clash)


@kernel
def _psu_strata(psu, stratum, out, seen, clash):
    """:func:`psu_strata` into ``out`` (-1), with the zeroed markers ``seen`` and ``clash``;
    returns the number of PSU codes in more than one stratum."""
    n_psu = out.shape[0]
    for i in range(psu.shape[0]):
        p = psu[i]
        h = stratum[i]
        if not seen[p]:
            seen[p] = True
            out[p] = h
        elif out[p] != h:
            clash[p] = True
    bad = 0
    for p in range(n_psu):
        bad += clash[p]
    return bad


def pair_codes(psu, cell, offset, n_cells, mark):
    """PSU-major pair codes ``psu * n_cells + (cell - offset)`` of the units (``cell`` empty:
    one cell), and with ``mark`` (length ``n_psu * n_cells``, zeroed) set where a pair
    holds units. Returns ``(codes, number of distinct pairs)`` (0 when ``mark`` is empty)."""
    out = np.empty(psu.shape[0], np.int64)
    return out, _pair_codes(_ro(psu), _ro(cell), offset, n_cells, mark, out)


@kernel
def _pair_codes(psu, cell, offset, n_cells, mark, out):
    """:func:`pair_codes` into ``out``; returns the number of distinct pairs."""
    n = psu.shape[0]
    if cell.shape[0] > 0:
        for i in range(n):
            out[i] = psu[i] * n_cells + (cell[i] - offset)
    else:
        for i in range(n):
            out[i] = psu[i] * n_cells
    if mark.shape[0] == 0:
        return 0
    for i in range(n):  # branch-free: a test of mark[k] first would mispredict
        mark[out[i]] = True
    distinct = 0
    for k in range(mark.shape[0]):
        distinct += mark[k]
    return distinct


def run_codes(labels, values):
    """Codes ``0 .. m-1`` of an int64 label column that never decreases (a file sorted by
    PSU), each run of equal labels one code, with the value (e.g. stratum) of every run.

    Returns ``(codes, first, clash, ok)``: ``first[c]`` is the first row of code ``c`` (its
    label is ``labels[first[c]]``, its value ``values[first[c]]``), ``clash`` the number of
    runs whose ``values`` are not all equal. ``ok`` is False (and the rest empty) when the
    labels decrease somewhere: then :func:`dense_codes` and :func:`psu_values`. The codes
    equal :func:`dense_codes`'s (the runs come in ascending label order) from one pass over
    the two columns instead of four.
    """
    n = labels.shape[0]
    codes = np.empty(n, np.int64)  # numpy: huge pages, faulted in as the pass writes
    first = np.empty(n, np.int64)  # only the runs' entries are written (touched)
    m, clash, ok = _run_codes(_ro(labels), _ro(values), codes, first)
    if not ok:
        return codes[:0], first[:0], 0, False
    return codes, first[:m].copy(), clash, True


@kernel
def _run_codes(labels, values, codes, first):
    """:func:`run_codes` into ``codes`` and ``first``; returns ``(m, clash, ok)``."""
    n = labels.shape[0]
    if n == 0:
        return 0, 0, True
    prev = labels[0]
    v0 = values[0]
    first[0] = 0
    m = 1
    clash = 0
    mixed = False  # the current run has met a second value
    for i in range(n):
        x = labels[i]
        if x != prev:
            if x < prev:
                return 0, 0, False
            prev = x
            v0 = values[i]
            mixed = False
            first[m] = i
            m += 1
        elif values[i] != v0 and not mixed:
            mixed = True
            clash += 1
        codes[i] = m - 1
    return m, clash, True


def psu_values(psu, values, n_psu):
    """The value (e.g. stratum label) of every PSU code ``0 .. n_psu - 1`` and how many PSUs
    carry more than one value."""
    out = np.zeros(n_psu, np.int64)
    seen = np.zeros(n_psu, np.bool_)
    clash = np.zeros(n_psu, np.bool_)
    _psu_values(_ro(psu), _ro(values), out, seen, clash)
    return out, int(clash.sum())


@kernel
def _psu_values(psu, values, out, seen, clash):
    """:func:`psu_values` into ``out`` (zeroed), marking ``seen`` and ``clash``."""
    prev_p = -1
    prev_v = 0
    for i in range(psu.shape[0]):
        p = psu[i]
        v = values[i]
        if p == prev_p and v == prev_v:  # the run of a file sorted by PSU: nothing new
            continue
        prev_p = p
        prev_v = v
        if not seen[p]:
            seen[p] = True
            out[p] = v
        elif out[p] != v:
            clash[p] = True
